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


def fmt(x, spec=".0f"):
    return "n/a" if x is None or x != x else format(x, spec)


def read_kernel(path):
    """name -> (kernel share 0..1 or None, perf samples or None), from parse.py's kernel rows."""
    shares = {}
    if not path or not os.path.exists(path):
        return shares
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) == 4 and f[0] == "kernel":
            shares[f[1]] = (None if f[2] == "n/a" else float(f[2]),
                            None if f[3] == "n/a" else int(f[3]))
    return shares


def machine_allows(a, med, kernel):
    """The section that sets skiff's figures against the floor and the kernel's share of the CPU,
    all from this run. Returns its lines (empty if the run has no floor)."""
    one = [n for n in ("skiff-1w", "unbound", "dnsmasq", "floor") if n in med]
    peers = [n for n in ("unbound", "dnsmasq") if n in med]
    if "floor" not in med or not peers:
        return []
    out = ["## What this machine allows\n"]
    out.append("The one-core servers and `floor` (`bench/tools/dns_floor.cpp`: one thread, "
               "recvmmsg, check the question, answer in place, sendmmsg with a client's replies "
               "as one UDP GSO message as skiff sends them; no zone, no TCP, no EDNS), on the "
               "same core with the same load. *Kernel share*: the share of the "
               f"server's CPU samples in `[kernel.kallsyms]`, from `perf record -p PID -- sleep 2` "
               f"started 1 s into one more {a.prof_secs} s throughput run after the rounds "
               "(`perf report --no-children --sort dso`). The kernel's part (receiving, sending "
               "over loopback, waking dnsperf, epoll) is what no server code can remove, so "
               "*queries/CPU-s with zero user-space cost* = queries/CPU-s / kernel share is the "
               "most a server on this host could answer per CPU-second.\n")
    out.append("| server | queries/CPU-s | kernel share | perf samples | queries/CPU-s with zero "
               "user-space cost | queries/s | server cores |")
    out.append("|---|---|---|---|---|---|---|")
    bound = {}
    for n in one:
        share, samples = kernel.get(n, (None, None))
        bound[n] = med[n]["per_cpu"] / share if share else None
        out.append(f"| {n} | {med[n]['per_cpu']:.0f} | "
                   f"{fmt(share * 100 if share is not None else None, '.1f')}"
                   f"{' %' if share is not None else ''} | {fmt(samples, 'd')} | "
                   f"{fmt(bound[n])} | {med[n]['qps']:.0f} | {med[n]['cores']:.2f} |")
    out.append("")
    best = max(peers, key=lambda n: med[n]["per_cpu"])
    target = 1.5 * med[best]["per_cpu"]
    out.append(f"- Better peer per CPU-second: {best}, {med[best]['per_cpu']:.0f} queries/CPU-s; "
               f"1.5× that: {target:.0f}.")
    out.append(f"- floor: {med['floor']['per_cpu']:.0f} queries/CPU-s = "
               f"{ratio(med['floor']['per_cpu'], med[best]['per_cpu']):.2f}× {best}.")
    for n in ("skiff-1w", "floor"):
        if n in bound and bound[n]:
            out.append(f"- {n} with zero user-space cost: {bound[n]:.0f} queries/CPU-s = "
                       f"{ratio(bound[n], med[best]['per_cpu']):.2f}× {best} "
                       f"(target 1.5×: {target:.0f}).")
        elif n in med:
            out.append(f"- {n} with zero user-space cost: n/a (no kernel share: perf could not "
                       "record).")
    best_q = max(peers, key=lambda n: med[n]["qps"])
    line = (f"- Queries/s: floor {med['floor']['qps']:.0f} using {med['floor']['cores']:.2f} of "
            f"its core; 1.5× {best_q} is {1.5 * med[best_q]['qps']:.0f} "
            f"({ratio(1.5 * med[best_q]['qps'], med['floor']['qps']):.2f}× the floor's)")
    if "skiff-1w" in med:
        line += (f"; skiff-1w {med['skiff-1w']['qps']:.0f} "
                 f"({ratio(med['skiff-1w']['qps'], med['floor']['qps']):.2f}× the floor's)")
    out.append(line + ".\n")
    return out


def main():
    ap = argparse.ArgumentParser()
    for flag in ("--raw", "--kernel", "--date", "--load", "--md", "--dat", "--skiff", "--unbound", "--dnsmasq",
                 "--dnsperf"):
        ap.add_argument(flag, default="")
    for flag in ("--secs", "--rounds", "--lat-secs", "--lat-qps", "--outstanding", "--clients",
                 "--client-cpu", "--server-cpu", "--prof-secs"):
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
            if n in med:  # the floor in grey: a reference, not a peer
                colour = 0x909090 if n == "floor" else 0x3070B0
                d.write(f"{n} {med[n]['qps']:.0f} {colour}\n")

    out = []
    out.append(f"# DNS benchmark, {a.date}\n")
    out.append("Produced by `bench/dns/run.sh` (see `bench/README.md`). dnsperf asks every server "
               "the same A name (`bench.default.svc.cluster.local`), one server at a time, all on "
               "loopback, in interleaved rounds; each figure is the median over the rounds.\n")
    out.append(f"- **One core each** (`skiff-1w`, `unbound`, `dnsmasq`, `floor`): the server is "
               f"pinned to CPU {a.server_cpu} (`taskset`), dnsperf to CPU {a.client_cpu}. skiff "
               "has one DNS worker, unbound `num-threads: 1`, dnsmasq is single-threaded. `floor` "
               "is no peer but a reference: the least a UDP DNS server can do per query "
               "(`bench/tools/dns_floor.cpp`).")
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
    out += machine_allows(a, med, read_kernel(a.kernel))
    out.append("## Commands\n")
    out.append("- skiff: `skiff daemon --dns-workers 1|0 --dns-addr 127.0.0.1:15353` with a "
               "selector-less ClusterIP Service `bench` (clusterIP 127.96.0.10).")
    out.append("- unbound: `num-threads: 1` (`unbound-all`: one per core, `so-reuseport: yes`), "
               "`local-zone: \"cluster.local.\" static`, "
               "`local-data: \"bench.default.svc.cluster.local. 5 IN A 127.96.0.10\"`, ports "
               "15354 and 15357.")
    out.append("- dnsmasq: `--no-resolv --no-hosts --address=/bench.default.svc.cluster.local/"
               "127.96.0.10`, port 15355.")
    out.append("- floor: `dns_floor --addr 127.0.0.1:15360 --name bench.default.svc.cluster.local "
               "--a 127.96.0.10` (`bench/tools/dns_floor.cpp`, `g++ -O2`).")
    out.append(f"- kernel share: `perf record -p PID -o FILE -- sleep 2`, 1 s into a {a.prof_secs} s "
               "run of the same dnsperf line; `perf report -i FILE --no-children --sort dso "
               "--stdio -n`.")
    out.append("- raw dnsperf output, skiff logs and its `skiff_dns_*` metrics after the run, the "
               "floor's counts (`floor.log`), perf's tables (`*-perf-dso.txt`, `kernel.tsv`): "
               f"`dns-{a.date}-raw/` beside this file.\n")
    with open(a.md, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
