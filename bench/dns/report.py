#!/usr/bin/env python3
"""Writes bench/results/dns-DATE.md from the TSV rows of parse.py, and the chart's data file."""
import argparse
import os
import platform
import statistics


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ratio(a, b):
    return a / b if b else float("nan")


def main():
    ap = argparse.ArgumentParser()
    for flag in ("--raw", "--date", "--load", "--md", "--dat", "--skiff", "--unbound", "--dnsmasq",
                 "--dnsperf"):
        ap.add_argument(flag, default="")
    for flag in ("--secs", "--rounds", "--lat-secs", "--lat-qps", "--outstanding", "--clients",
                 "--client-cpu", "--server-cpu"):
        ap.add_argument(flag, type=int, default=0)
    a = ap.parse_args()

    runs = {}  # name -> list of throughput rounds
    lat = {}   # name -> the fixed-rate run
    cls = {}
    order = []
    for line in open(a.raw):
        f = line.rstrip("\n").split("\t")
        if len(f) < 11:
            continue
        kind, name, _, c = f[0], f[1], f[2], f[3]
        qps, sent, completed, lost = float(f[4]), int(f[5]), int(f[6]), int(f[7])
        cpu_ms = float(f[10])
        if name not in cls:
            cls[name] = c
            order.append(name)
        if kind == "qps":
            runs.setdefault(name, []).append({
                "qps": qps, "sent": sent, "completed": completed, "lost": lost,
                "avg": float(f[8]), "max": float(f[9]), "cpu_ms": cpu_ms,
                "per_cpu": completed / (cpu_ms / 1000.0) if cpu_ms > 0 else 0.0,
                "cores": cpu_ms / 1000.0 / a.secs if a.secs else 0.0,
            })
        else:
            lat[name] = {"qps": qps, "completed": completed, "lost": lost, "p50": float(f[8]),
                         "p99": float(f[9]),
                         "us_per_q": cpu_ms * 1000.0 / completed if completed else float("nan")}

    med = {}
    for n, rs in runs.items():
        by_qps = sorted(rs, key=lambda r: r["qps"])
        mid = by_qps[len(by_qps) // 2]  # the median round (the upper one of an even count)
        med[n] = {
            "qps": statistics.median(r["qps"] for r in rs),
            "rounds": [r["qps"] for r in rs],
            "lost": sum(r["lost"] for r in rs), "sent": sum(r["sent"] for r in rs),
            "avg": mid["avg"], "max": max(r["max"] for r in rs),
            "per_cpu": statistics.median(r["per_cpu"] for r in rs),
            "cores": statistics.median(r["cores"] for r in rs),
        }

    def best_of(names, key):
        names = [n for n in names if n in med]
        return max(names, key=lambda n: med[n][key]) if names else None

    pairs = [("skiff-1w", ["unbound", "dnsmasq"]), ("skiff-all", ["unbound-all"])]

    with open(a.dat, "w") as d:
        for n in order:
            if n in med:
                d.write(f"{n} {med[n]['qps']:.0f}\n")

    out = []
    out.append(f"# DNS benchmark, {a.date}\n")
    out.append("Produced by `bench/dns/run.sh` (see `bench/README.md`). dnsperf asks every server "
               "the same A name (`bench.default.svc.cluster.local`), one server at a time, all on "
               "loopback, in interleaved rounds; each figure is the median over the rounds.\n")
    out.append(f"- **One core each** (`skiff-1w`, `unbound`, `dnsmasq`): the server is pinned to "
               f"CPU {a.server_cpu} (`taskset`), dnsperf to CPU {a.client_cpu}. skiff has one DNS "
               "worker, unbound `num-threads: 1`, dnsmasq is single-threaded.")
    out.append("- **All cores** (`skiff-all`, `unbound-all`): skiff with one DNS worker per core, "
               "unbound with one thread per core and `so-reuseport: yes`; nothing pinned, so "
               "dnsperf shares the cores with the server.\n")
    out.append("Compare the **ratios**: this is a shared machine and other jobs were running.\n")
    out.append("## Machine\n")
    out.append(f"- CPUs: {os.cpu_count()} ({cpu_model()})")
    out.append(f"- kernel: {platform.system()} {platform.release()} {platform.machine()}")
    out.append(f"- date: {a.date} (UTC)")
    out.append(f"- load average at start (1/5/15 min): {a.load}")
    out.append(f"- versions: {a.skiff}; {a.unbound}; {a.dnsmasq}; dnsperf {a.dnsperf}\n")
    out.append("## Results\n")
    out.append(f"Throughput: closed loop, `dnsperf -c {a.clients} -q {a.outstanding} -l {a.secs}` "
               f"(at most that many queries in flight; a query unanswered after 2 s is lost), "
               f"{a.rounds} rounds. Server CPU: user + system time of the server process (all "
               "threads) over each run, from /proc. *Server cores* is that time over the run's "
               "length: a pinned server well below 1.00 was waiting for dnsperf, so its queries/s "
               "is the load generator's ceiling, not the server's; queries per CPU-second is the "
               "server's own cost per query either way.\n")
    out.append(f"Fixed rate: one run per server at {a.lat_qps} queries/s for {a.lat_secs} s "
               "(`-Q`, `-v`): latency percentiles over every answer, and the server's CPU time "
               "per query at the same offered load.\n")
    out.append(f"| target | queries/s (median) | rounds | lost | avg ms | max ms | server cores | "
               f"queries/CPU-s | p50 ms @{a.lat_qps}/s | p99 ms @{a.lat_qps}/s | "
               f"lost @{a.lat_qps}/s | CPU µs/query @{a.lat_qps}/s |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in order:
        if n not in med:
            continue
        r = med[n]
        l = lat.get(n, {"p50": float("nan"), "p99": float("nan"), "lost": "n/a",
                        "us_per_q": float("nan")})
        loss = f"{r['lost']} ({100.0 * r['lost'] / r['sent']:.3f} %)" if r["sent"] else "n/a"
        rounds = " / ".join(f"{q:.0f}" for q in r["rounds"])
        out.append(f"| {n} | {r['qps']:.0f} | {rounds} | {loss} | {r['avg']:.3f} | "
                   f"{r['max']:.3f} | {r['cores']:.2f} | {r['per_cpu']:.0f} | {l['p50']:.3f} | "
                   f"{l['p99']:.3f} | {l['lost']} | {l['us_per_q']:.2f} |")
    out.append("")
    out.append("## Ratios\n")
    for skiff, peers in pairs:
        if skiff not in med:
            continue
        best = best_of(peers, "qps")
        best_cpu = best_of(peers, "per_cpu")
        if not best:
            continue
        q = ratio(med[skiff]["qps"], med[best]["qps"])
        verdict = "meets" if q >= 1.5 and med[skiff]["lost"] == 0 else "misses"
        line = (f"- {skiff}: {q:.2f}× {best} in queries/s ({verdict} the 1.5× target at 0 % "
                f"loss); {ratio(med[skiff]['per_cpu'], med[best_cpu]['per_cpu']):.2f}× "
                f"{best_cpu} in queries per CPU-second")
        lat_peers = [p for p in peers if p in lat]
        if skiff in lat and lat_peers:
            cheapest = min(lat_peers, key=lambda p: lat[p]["us_per_q"])
            line += (f"; CPU per query at {a.lat_qps} queries/s: {lat[skiff]['us_per_q']:.2f} µs, "
                     f"{cheapest} {lat[cheapest]['us_per_q']:.2f} µs "
                     f"({ratio(lat[skiff]['us_per_q'], lat[cheapest]['us_per_q']):.2f}×)")
        out.append(line)
        if cls.get(skiff) == "one" and med[skiff]["cores"] < 0.9:
            out.append(f"  - {skiff} used {med[skiff]['cores']:.2f} of its core: dnsperf on its "
                       "own core could not load it fully, so queries/s understates it.")
    lossy = [n for n in order if n in med and med[n]["lost"]]
    out.append("")
    out.append("Lost queries in the throughput runs: " +
               (", ".join(f"{n} {med[n]['lost']}" for n in lossy) if lossy else "none") + ".\n")
    out.append("## Commands\n")
    out.append("- skiff: `skiff daemon --dns-workers 1|0 --dns-addr 127.0.0.1:15353` with a "
               "selector-less ClusterIP Service `bench` (clusterIP 127.96.0.10).")
    out.append("- unbound: `num-threads: 1` (`unbound-all`: one per core, `so-reuseport: yes`), "
               "`local-zone: \"cluster.local.\" static`, "
               "`local-data: \"bench.default.svc.cluster.local. 5 IN A 127.96.0.10\"`, ports "
               "15354 and 15357.")
    out.append("- dnsmasq: `--no-resolv --no-hosts --address=/bench.default.svc.cluster.local/"
               "127.96.0.10`, port 15355.")
    out.append("- raw dnsperf output, skiff logs and its `skiff_dns_*` metrics after the run: "
               f"`bench/results/dns-{a.date}-raw/`.\n")
    with open(a.md, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
