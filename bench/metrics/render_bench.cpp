// How long GET /metrics takes to render with many Services: a registry holding the proxy's
// and DNS's per-Service families for N Services of P ports each (with the shapes and label
// sets those subsystems export), plus the process families, with non-zero values everywhere.
// Prints the size and the median / p99 / max of R renders, split into collect (reading the
// sharded counters and histograms) and format (the text exposition).
//
//   metrics_render_bench [--services 1000] [--ports 3] [--renders 200]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "metrics/exposition.h"
#include "metrics/histogram.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"

namespace {

using Clock = std::chrono::steady_clock;
using skiff::metrics::Registry;

struct Options {
  int services = 1000;
  int ports = 3;
  int renders = 200;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int value = std::atoi(argv[i + 1]);
    if (value <= 0) {
      std::fprintf(stderr, "%s: expected a positive number, got \"%s\"\n", argv[i], argv[i + 1]);
      std::exit(2);
    }
    if (std::strcmp(argv[i], "--services") == 0) {
      o.services = value;
    } else if (std::strcmp(argv[i], "--ports") == 0) {
      o.ports = value;
    } else if (std::strcmp(argv[i], "--renders") == 0) {
      o.renders = value;
    } else {
      std::fprintf(stderr, "unknown flag %s (--services N --ports N --renders N)\n", argv[i]);
      std::exit(2);
    }
  }
  return o;
}

// The per-Service families a busy daemon exports, filled with values.
void populate(Registry& registry, const Options& o) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> small(0, 1000);
  std::exponential_distribution<double> latency(1000.0);  // mean 1 ms

  const std::vector<std::string> port_labels{"namespace", "service", "port", "protocol"};
  auto& connections =
      registry.counter("skiff_proxy_connections_total",
                       "TCP connections accepted and UDP flows created.", port_labels);
  auto& active =
      registry.gauge("skiff_proxy_active_connections", "Connections open now.", port_labels);
  auto& refused = registry.counter("skiff_proxy_refused_connections_total",
                                   "Connections refused (no endpoint, limit).", port_labels);
  auto& failed = registry.counter("skiff_proxy_connect_failures_total",
                                  "Connections whose every endpoint attempt failed.", port_labels);
  auto& bytes_in = registry.counter("skiff_proxy_received_bytes_total",
                                    "Bytes received from clients.", port_labels);
  auto& bytes_out =
      registry.counter("skiff_proxy_sent_bytes_total", "Bytes sent to clients.", port_labels);
  auto& retries = registry.counter("skiff_proxy_retries_total",
                                   "Connection attempts retried on another endpoint.", port_labels);
  auto& connect =
      registry.histogram("skiff_proxy_connect_duration_seconds", "Time to connect to an endpoint.",
                         port_labels, skiff::metrics::exponential_buckets(0.0001, 2.5, 12));
  auto& ready =
      registry.gauge("skiff_proxy_endpoints", "Ready endpoints behind a port.", port_labels);

  auto& dns_requests =
      registry.counter("skiff_dns_service_requests_total",
                       "Queries answered for a Service's names.", {"namespace", "service", "type"});
  auto& dns_duration = registry.histogram(
      "skiff_dns_service_request_duration_seconds", "Time to answer a query for a Service's names.",
      {"namespace", "service"}, skiff::metrics::exponential_buckets(0.00001, 4, 8));
  skiff::metrics::register_process_metrics(registry, "bench");

  for (int s = 0; s < o.services; ++s) {
    const std::string ns = "team-" + std::to_string(s % 20);
    const std::string service = "service-" + std::to_string(s);
    for (int p = 0; p < o.ports; ++p) {
      const std::vector<std::string> labels{ns, service, p == 0 ? "http" : std::to_string(8000 + p),
                                            p == o.ports - 1 ? "UDP" : "TCP"};
      connections.with(labels).inc(static_cast<std::uint64_t>(small(rng)) * 1000);
      active.with(labels).set(small(rng));
      refused.with(labels).inc(static_cast<std::uint64_t>(small(rng)));
      failed.with(labels).inc(static_cast<std::uint64_t>(small(rng)));
      bytes_in.with(labels).inc(static_cast<std::uint64_t>(small(rng)) * 1000003);
      bytes_out.with(labels).inc(static_cast<std::uint64_t>(small(rng)) * 7000001);
      retries.with(labels).inc(static_cast<std::uint64_t>(small(rng)));
      ready.with(labels).set(1 + s % 4);
      auto& h = connect.with(labels);
      for (int i = 0; i < 50; ++i) h.observe(latency(rng));
    }
    for (const char* type : {"A", "AAAA", "SRV"}) {
      dns_requests.with({ns, service, type}).inc(static_cast<std::uint64_t>(small(rng)));
    }
    auto& h = dns_duration.with({ns, service});
    for (int i = 0; i < 20; ++i) h.observe(latency(rng) / 10);
  }
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of this thread in ms: on a shared, loaded machine wall time also counts the time
// other processes held the CPU, so both are reported.
double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  Registry registry;
  populate(registry, o);

  std::vector<double> total, collect, format, cpu;
  std::size_t bytes = 0, lines = 0;
  std::string sink;
  for (int i = 0; i < o.renders + 3; ++i) {
    const double c0 = thread_cpu_ms();
    const auto t0 = Clock::now();
    const auto families = registry.collect(skiff::metrics::CollectMode::kForExposition);
    const auto t1 = Clock::now();
    std::string text = skiff::metrics::render(families);
    const auto t2 = Clock::now();
    const double c1 = thread_cpu_ms();
    if (i < 3) continue;  // warm-up: page faults of the first large strings
    collect.push_back(ms(t1 - t0));
    format.push_back(ms(t2 - t1));
    total.push_back(ms(t2 - t0));
    cpu.push_back(c1 - c0);
    bytes = text.size();
    lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    sink.swap(text);  // keeps the optimiser from dropping the render
  }
  std::printf("services %d, ports per service %d, renders %d\n", o.services, o.ports, o.renders);
  std::printf("exposition %zu bytes (%.2f MB), %zu lines\n", bytes, bytes / 1e6, lines);
  std::printf("render (collect + format) ms: median %.2f  p99 %.2f  max %.2f\n",
              percentile(total, 0.5), percentile(total, 0.99), percentile(total, 1.0));
  std::printf("render CPU time ms: median %.2f  p99 %.2f  max %.2f\n", percentile(cpu, 0.5),
              percentile(cpu, 0.99), percentile(cpu, 1.0));
  std::printf("  collect ms: median %.2f  p99 %.2f\n", percentile(collect, 0.5),
              percentile(collect, 0.99));
  std::printf("  format  ms: median %.2f  p99 %.2f\n", percentile(format, 0.5),
              percentile(format, 0.99));
  return sink.empty() ? 1 : 0;
}
