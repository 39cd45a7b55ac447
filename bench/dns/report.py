#!/usr/bin/env python3
"""Writes bench/results/dns-DATE.md from the TSV rows of parse.py, and the chart's data file."""
import argparse
import os
import platform


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser()
    for flag in ("--raw", "--date", "--load", "--md", "--dat", "--skiff", "--unbound", "--dnsmasq",
                 "--dnsperf"):
        ap.add_argument(flag, default="")
    for flag in ("--secs", "--lat-secs", "--lat-qps", "--outstanding", "--clients"):
        ap.add_argument(flag, type=int, default=0)
    a = ap.parse_args()

    rows = {}
    order = []
    for line in open(a.raw):
        f = line.rstrip("\n").split("\t")
        if len(f) < 13:
            continue
        rows[f[0]] = {
            "qps": float(f[1]), "sent": int(f[2]), "completed": int(f[3]), "lost": int(f[4]),
            "avg": float(f[5]), "max": float(f[6]), "lat_n": int(f[7]), "p50": float(f[8]),
            "p99": float(f[9]), "lat_lost": int(f[10]), "cpu_ms": float(f[11]),
            "per_cpu": float(f[12]),
        }
        order.append(f[0])
    peers = [n for n in ("unbound", "dnsmasq") if n in rows]
    best = max(peers, key=lambda n: rows[n]["qps"]) if peers else None
    best_qps = rows[best]["qps"] if best else 0
    best_cpu = max(peers, key=lambda n: rows[n]["per_cpu"]) if peers else None
    best_per_cpu = rows[best_cpu]["per_cpu"] if best_cpu else 0

    with open(a.dat, "w") as d:
        for n in order:
            d.write(f"{n} {rows[n]['qps']:.0f}\n")

    out = []
    out.append(f"# DNS benchmark, {a.date}\n")
    out.append("Produced by `bench/dns/run.sh` (see `bench/README.md`). dnsperf asks every server the "
               "same A name (`bench.default.svc.cluster.local`), one server at a time, all on "
               "loopback. `skiff-1w` is skiff with one DNS worker, the fair match for unbound's one "
               "thread and dnsmasq's single process; `skiff-all` uses one worker per core. Compare "
               "the **ratios**: this is a shared 2-core machine, dnsperf and the server compete "
               "for the same two cores, and other jobs were running.\n")
    out.append("## Machine\n")
    out.append(f"- CPUs: {os.cpu_count()} ({cpu_model()})")
    out.append(f"- kernel: {platform.system()} {platform.release()} {platform.machine()}")
    out.append(f"- date: {a.date} (UTC)")
    out.append(f"- load average at start (1/5/15 min): {a.load}")
    out.append(f"- versions: {a.skiff}; {a.unbound}; {a.dnsmasq}; dnsperf {a.dnsperf}\n")
    out.append("## Results\n")
    out.append(f"Throughput: closed loop, `dnsperf -c {a.clients} -q {a.outstanding} -l {a.secs}` "
               "(at most that many queries in flight; a query unanswered after 2 s is lost). "
               f"Latency: a separate run at a fixed {a.lat_qps} queries/s for {a.lat_secs} s "
               "(`-Q`, `-v`), percentiles over every answer.\n")
    out.append("Server CPU: user + system time of the server process (all threads) over the "
               "throughput run, from /proc; queries per CPU-second is the server's own cost per "
               "query, which the scheduling of a loaded machine skews far less than queries/s.\n")
    out.append(f"| target | queries/s | lost | avg ms | max ms | p50 ms @{a.lat_qps}/s | "
               f"p99 ms @{a.lat_qps}/s | lost @{a.lat_qps}/s | server CPU s | queries/CPU-s | "
               f"q/s ×{best or 'peer'} | q/CPU-s ×{best_cpu or 'peer'} |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in order:
        r = rows[n]
        ratio = r["qps"] / best_qps if best_qps else float("nan")
        cpu_ratio = r["per_cpu"] / best_per_cpu if best_per_cpu else float("nan")
        loss = f"{r['lost']} ({100.0 * r['lost'] / r['sent']:.2f} %)" if r["sent"] else "n/a"
        out.append(f"| {n} | {r['qps']:.0f} | {loss} | {r['avg']:.3f} | {r['max']:.3f} | "
                   f"{r['p50']:.3f} | {r['p99']:.3f} | {r['lat_lost']} | "
                   f"{r['cpu_ms'] / 1000:.2f} | {r['per_cpu']:.0f} | {ratio:.2f} | "
                   f"{cpu_ratio:.2f} |")
    out.append("")
    if best:
        for n in ("skiff-1w", "skiff-all"):
            if n in rows:
                verdict = "meets" if rows[n]["qps"] >= 1.5 * best_qps else "misses"
                out.append(f"- {n}: {rows[n]['qps'] / best_qps:.2f}× {best} in queries/s "
                           f"({verdict} the 1.5× target); {rows[n]['per_cpu'] / best_per_cpu:.2f}× "
                           f"{best_cpu} in queries per CPU-second")
        for n in peers:
            if "skiff-1w" in rows and rows[n]["qps"]:
                out.append(f"- skiff-1w / {n}: {rows['skiff-1w']['qps'] / rows[n]['qps']:.2f}×")
    lossy = [n for n in order if rows[n]["lost"]]
    out.append("")
    out.append("Lost queries in the throughput runs: " +
               (", ".join(f"{n} {rows[n]['lost']}" for n in lossy) if lossy else "none") + ".\n")
    out.append("## Commands\n")
    out.append("- skiff: `skiff daemon --dns-workers 1|0 --dns-addr 127.0.0.1:15353` with a "
               "selector-less ClusterIP Service `bench` (clusterIP 127.96.0.10).")
    out.append("- unbound: `num-threads: 1`, `local-zone: \"cluster.local.\" static`, "
               "`local-data: \"bench.default.svc.cluster.local. 5 IN A 127.96.0.10\"`, port 15354.")
    out.append("- dnsmasq: `--no-resolv --no-hosts --address=/bench.default.svc.cluster.local/"
               "127.96.0.10`, port 15355.")
    out.append("- raw dnsperf output, skiff logs and its `skiff_dns_*` metrics after the run: "
               f"`bench/results/dns-{a.date}-raw/`.\n")
    with open(a.md, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
