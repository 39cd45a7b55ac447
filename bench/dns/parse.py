#!/usr/bin/env python3
"""Turns one target's dnsperf outputs into a TSV row.

usage: parse.py NAME QPS_OUTPUT LATENCY_OUTPUT SERVER_CPU_MS
row:   name qps sent completed lost avg_ms max_ms lat_queries lat_p50_ms lat_p99_ms lat_lost
       cpu_ms queries_per_cpu_second
The throughput run gives qps, loss and dnsperf's average/max latency; the fixed-rate run (-v)
prints one line per answer ("> NOERROR name A 0.000123"), from which the percentiles come.
"""
import re
import sys


def grab(pattern, text, cast=float, default=0):
    m = re.search(pattern, text)
    return cast(m.group(1)) if m else default


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def main():
    name, qps_path, lat_path, cpu_ms = sys.argv[1:5]
    cpu_ms = float(cpu_ms or 0)
    qps_text = open(qps_path, errors="replace").read()
    lat_text = open(lat_path, errors="replace").read()
    qps = grab(r"Queries per second:\s+([0-9.]+)", qps_text)
    sent = grab(r"Queries sent:\s+([0-9]+)", qps_text, int)
    completed = grab(r"Queries completed:\s+([0-9]+)", qps_text, int)
    lost = grab(r"Queries lost:\s+([0-9]+)", qps_text, int)
    avg = grab(r"Average Latency \(s\):\s+([0-9.]+)", qps_text) * 1000
    mx = grab(r"Average Latency \(s\):.*max ([0-9.]+)\)", qps_text) * 1000
    lat = [float(x) * 1000 for x in re.findall(r"^> \S+ \S+ \S+ ([0-9.]+)$", lat_text, re.M)]
    lat_lost = grab(r"Queries lost:\s+([0-9]+)", lat_text, int)
    print("\t".join([name, f"{qps:.0f}", str(sent), str(completed), str(lost), f"{avg:.3f}",
                     f"{mx:.3f}", str(len(lat)), f"{percentile(lat, 50):.3f}",
                     f"{percentile(lat, 99):.3f}", str(lat_lost), f"{cpu_ms:.0f}",
                     f"{completed / (cpu_ms / 1000.0):.0f}" if cpu_ms > 0 else "0"]))


if __name__ == "__main__":
    main()
