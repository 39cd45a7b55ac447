// Service + Pods -> Endpoints: for each Service with a selector, an Endpoints object of the
// same name listing its pods (endpoints_builder.h), created, updated and deleted with the
// Service. Endpoints of selector-less Services are the user's and are left alone while the
// Service exists.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <vector>

#include "controller/store.h"
#include "controller/work_queue.h"

namespace skiff::controller {

class EndpointsController {
 public:
  EndpointsController(boost::asio::io_context& io, Store& store);
  ~EndpointsController();
  EndpointsController(const EndpointsController&) = delete;
  EndpointsController& operator=(const EndpointsController&) = delete;

  // Watches Services and Pods and queues every existing Service.
  void start();

 private:
  void reconcile(const ObjectKey& key);
  void queue_services_selecting(const config::Pod& pod);

  Store& store_;
  WorkQueue<ObjectKey> queue_;
  std::vector<uint64_t> watches_;
};

}  // namespace skiff::controller
