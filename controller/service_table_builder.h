// ServiceTable construction from Services and Endpoints, pure.
#pragma once

#include <cstdint>
#include <vector>

#include "config/objects.h"
#include "controller/service_table.h"

namespace skiff::controller {

// The view of one Service: cluster IP ("None" is headless), ports with their node ports and
// the ready endpoints of each port (matched to the Endpoints subsets' ports by name and
// protocol; sorted by ip, port; duplicates dropped), the distinct ready addresses (for DNS),
// load-balancer IPs from status, annotations and session affinity. `endpoints` may be null.
ServiceView build_service_view(const config::Service& service, const config::Endpoints* endpoints);

// Every Service with its same-named Endpoints, sorted by namespace then name.
ServiceTable build_service_table(const std::vector<config::ObjectPtr>& services,
                                 const std::vector<config::ObjectPtr>& endpoints, uint64_t version);

// Whether two views hold the same data (the version is not compared), so a sync can skip
// publishing a snapshot identical to the current one.
bool same_view(const ServiceView& a, const ServiceView& b);
bool same_services(const ServiceTable& a, const ServiceTable& b);

}  // namespace skiff::controller
