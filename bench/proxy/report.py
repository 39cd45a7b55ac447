#!/usr/bin/env python3
"""Prints the comparison table and writes the dated Markdown result plus the chart's data file.

Ratios are to "direct" (wrk/iperf3 straight to a backend) so that figures from a shared, busy
machine stay comparable: every target ran in the same session under the same background load.
For p99 latency the ratio is direct/target, so that for every column higher is better and 1.0
means "as good as no proxy".
"""
import argparse
import math
import os
import platform
import subprocess


def cpu_model():
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ratio(a, b):
    if math.isnan(a) or math.isnan(b) or b == 0:
        return float("nan")
    return a / b


def fmt(x, digits=2):
    return "n/a" if math.isnan(x) else f"{x:.{digits}f}"


def main():
    ap = argparse.ArgumentParser()
    for flag in ("raw", "date", "load", "md", "dat", "commands", "ka-secs", "close-secs",
                 "bulk-secs"):
        ap.add_argument("--" + flag, required=True)
    args = ap.parse_args()

    rows = {}
    order = []
    for line in open(args.raw, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 7:
            continue
        name = parts[0]
        order.append(name)
        rows[name] = dict(ka=float(parts[1]), p99=float(parts[2]), close=float(parts[3]),
                          bulk=float(parts[4]), errors=int(parts[5]), detail=parts[6])
    direct = rows.get("direct")
    haproxy = rows.get("haproxy")

    head = ("| target | keep-alive req/s | p99 ms | close req/s | bulk Gbit/s | wrk errors "
            "| KA ×direct | p99 ×direct | close ×direct | bulk ×direct | KA ×HAProxy "
            "| close ×HAProxy | bulk ×HAProxy |")
    sep = "|" + "---|" * 13
    lines = [head, sep]
    dat = ["# target keepalive close bulk p99(direct/target)"]
    for name in order:
        r = rows[name]
        rd = [ratio(r["ka"], direct["ka"]), ratio(direct["p99"], r["p99"]),
              ratio(r["close"], direct["close"]), ratio(r["bulk"], direct["bulk"])]
        rh = [ratio(r["ka"], haproxy["ka"]), ratio(r["close"], haproxy["close"]),
              ratio(r["bulk"], haproxy["bulk"])] if haproxy else [float("nan")] * 3
        lines.append(
            f"| {name} | {fmt(r['ka'], 0)} | {fmt(r['p99'], 3)} | {fmt(r['close'], 0)} "
            f"| {fmt(r['bulk'])} | {r['errors']} | " + " | ".join(fmt(x) for x in rd + rh) + " |")
        if name != "direct":
            dat.append(f"{name} {fmt(rd[0], 4)} {fmt(rd[2], 4)} {fmt(rd[3], 4)} {fmt(rd[1], 4)}"
                       .replace("n/a", "NaN"))
    table = "\n".join(lines)
    print(table)

    errors = [f"- {n}: {rows[n]['errors']} errors ({rows[n]['detail']})" for n in order
              if rows[n]["errors"] or rows[n]["detail"] != "-"]
    uname = os.uname()
    commands = open(args.commands, encoding="utf-8").read().format(
        ka=args.ka_secs, close=args.close_secs, bulk=args.bulk_secs)
    md = f"""# Proxy benchmark, {args.date}

Produced by `bench/proxy/run.sh` (see `bench/README.md`). All traffic on loopback; every proxy on
one thread except the `skiff-2w` row. Compare the **ratios**, not the absolute figures: this is a
shared 2-core machine and wrk, the proxy and the backend all compete for the same cores.

## Machine

- CPUs: {os.cpu_count()} ({cpu_model()})
- kernel: {uname.sysname} {uname.release} {uname.machine}
- date: {args.date} (UTC)
- load average at start (1/5/15 min): {args.load}

## Results

Ratios "×direct": target figure / direct figure (p99: direct / target), so 1.00 = no proxy cost and
higher is better everywhere. "×HAProxy": target / HAProxy.

{table}

Errors (wrk socket errors and non-2xx responses, both wrk runs summed):

{chr(10).join(errors) if errors else "- none"}

UDP packets/s: not measured (skipped for time; the proxy's UDP path is not in this benchmark).

## Commands

{commands}
"""
    with open(args.md, "w", encoding="utf-8") as out:
        out.write(md)
    with open(args.dat, "w", encoding="utf-8") as out:
        out.write("\n".join(dat) + "\n")


if __name__ == "__main__":
    main()
