#!/usr/bin/env python3
"""Turns one dnsperf output, or one perf table, into a TSV row.

usage: parse.py qps|lat NAME ROUND CLASS DNSPERF_OUTPUT SERVER_CPU_MS
       parse.py kernel NAME PERF_DSO_TABLE
rows:  qps NAME ROUND CLASS qps sent completed lost avg_ms max_ms cpu_ms
       lat NAME 0 CLASS qps sent completed lost p50_ms p99_ms cpu_ms
       kernel NAME share samples        (share: 0..1 or "n/a"; samples: perf's count or "n/a")
A throughput run (qps) gives queries/s, loss and dnsperf's average/max latency; a fixed-rate run
(lat, dnsperf -v) prints one line per answer ("> NOERROR name A 0.000123"), from which the
percentiles come. CLASS is "one" (server pinned to one core) or "all" (every core). The perf table
is `perf report --no-children --sort dso --stdio -n`: "    91.40%   4570  [kernel.kallsyms]" per
shared object (percentage, samples, name); the kernel's share is that line's percentage (n/a when the table is missing or empty).
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


def kernel_share(name, path):
    try:
        text = open(path, errors="replace").read()
    except OSError:
        text = ""
    shares, samples = {}, 0
    for m in re.finditer(r"^\s*([0-9.]+)%\s+([0-9]+)\s+(\S.*?)\s*$", text, re.M):
        shares[m.group(3)] = shares.get(m.group(3), 0.0) + float(m.group(1)) / 100.0
        samples += int(m.group(2))
    share = f"{shares.get('[kernel.kallsyms]', 0.0):.4f}" if shares else "n/a"
    print("\t".join(["kernel", name, share, str(samples) if shares else "n/a"]))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "kernel":
        kernel_share(sys.argv[2], sys.argv[3])
        return
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
