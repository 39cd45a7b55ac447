#!/usr/bin/env python3
"""Turns one dnsperf output into a TSV row.

usage: parse.py qps|lat NAME ROUND CLASS DNSPERF_OUTPUT SERVER_CPU_MS
rows:  qps NAME ROUND CLASS qps sent completed lost avg_ms max_ms cpu_ms
       lat NAME 0 CLASS qps sent completed lost p50_ms p99_ms cpu_ms
A throughput run (qps) gives queries/s, loss and dnsperf's average/max latency; a fixed-rate run
(lat, dnsperf -v) prints one line per answer ("> NOERROR name A 0.000123"), from which the
percentiles come. CLASS is "one" (server pinned to one core) or "all" (every core).
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
    kind, name, rnd, cls, path, cpu_ms = sys.argv[1:7]
    cpu_ms = float(cpu_ms or 0)
    text = open(path, errors="replace").read()
    qps = grab(r"Queries per second:\s+([0-9.]+)", text)
    sent = grab(r"Queries sent:\s+([0-9]+)", text, int)
    completed = grab(r"Queries completed:\s+([0-9]+)", text, int)
    lost = grab(r"Queries lost:\s+([0-9]+)", text, int)
    row = [kind, name, rnd, cls, f"{qps:.0f}", str(sent), str(completed), str(lost)]
    if kind == "qps":
        avg = grab(r"Average Latency \(s\):\s+([0-9.]+)", text) * 1000
        mx = grab(r"Average Latency \(s\):.*max ([0-9.]+)\)", text) * 1000
        row += [f"{avg:.3f}", f"{mx:.3f}"]
    else:
        lat = [float(x) * 1000 for x in re.findall(r"^> \S+ \S+ \S+ ([0-9.]+)$", text, re.M)]
        row += [f"{percentile(lat, 50):.3f}", f"{percentile(lat, 99):.3f}"]
    row.append(f"{cpu_ms:.0f}")
    print("\t".join(row))


if __name__ == "__main__":
    main()
