#!/usr/bin/env python3
"""Prints the ratio table and writes the dated Markdown result of one benchmark run.

    report.py --raw raw.jsonl --date D --load "L1 L5 L15" --md OUT.md --commands commands.txt
              --skiff-1w NAME --settings "key=value ..." [--nofile N]

Ratios are to "direct" (the load tool straight to a backend) so that figures from a shared, busy
machine stay comparable: every target ran in the same session under the same background load.
"""
import argparse
import os
import platform

import figures as F


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def raw_table(rows):
    out = []
    for r in rows:
        udp = r.get("udp")
        udp_text = "no UDP" if r["name"] in F.NO_UDP else (
            f"{udp['pps']:,.0f} ({udp['loss_pct']:.2f}% lost)" if udp else "n/a")
        cpu = "–" if r["name"] == "direct" else (
            f"{F.fmt(F.value(r, 'ka_cpu_us'), 1)} / {F.fmt(F.value(r, 'close_cpu_us'), 1)}")
        out.append([r["name"], F.fmt(F.value(r, "ka_rps"), 0), F.fmt(F.value(r, "ka_p99_ms"), 3),
                    F.fmt(F.value(r, "close_rps"), 0), F.fmt(F.value(r, "bulk_gbps")), udp_text,
                    cpu, str(r.get("wrk_errors"))])
    return table(["target", "keep-alive req/s", "p99 ms", "new conn req/s", "bulk Gbit/s",
                  "UDP pps (loss)", "proxy CPU µs/req (KA / new conn)", "wrk errors"], out)


def ratio_table(rows):
    direct, haproxy = F.by_name(rows, "direct"), F.by_name(rows, "haproxy")
    keys = [t[0] for t in F.TESTS]
    out = []
    for r in rows:
        cells = [r["name"]]
        cells += [F.fmt(F.ratio_to(r, direct, k)) for k in keys]
        cells += ["–" if k == "udp_pps" else F.fmt(F.ratio_to(r, haproxy, k)) for k in keys]
        out.append(cells)
    short = ["KA", "p99", "new conn", "bulk", "UDP"]
    return table(["target"] + [f"{s} ×direct" for s in short] + [f"{s} ×HAProxy" for s in short],
                 out)


def rounds_table(rows):
    def cells(values, digits):
        return " / ".join(F.fmt(v, digits) for v in values) or "–"

    out = []
    for r in rows:
        rr = r.get("rounds", {})
        out.append([r["name"], cells(rr.get("ka_rps", []), 0), cells(rr.get("ka_p99_ms", []), 2),
                    cells(rr.get("close_rps", []), 0), cells(rr.get("bulk_gbps", []), 2),
                    cells(rr.get("udp_pps", []), 0)])
    return table(["target", "keep-alive req/s", "p99 ms", "new conn req/s", "bulk Gbit/s",
                  "UDP pps"], out)


def hold_table(rows):
    out = []
    for r in rows:
        h = r.get("hold")
        if not h:
            continue
        per = h.get("kib_per_conn")
        out.append([
            r["name"], f"{h['count']:,}", f"{h['opened']:,}",
            f"{h['round1_ok']:,} / {h['round2_ok']:,}", f"{h['open_seconds']:.1f}",
            f"{h['rss_before_kib'] / 1024:.1f}", f"{h['rss_held_kib'] / 1024:.1f}",
            f"{per:.2f}" if per is not None and per >= 0 else "n/a",
            f"{h['fds_before']:,} → {h['fds_held']:,} → {h['fds_after_close']:,}"
        ])
    return table(["proxy", "connections", "opened", "echoed a byte (fresh / after idle)",
                  "open s", "RSS before MiB", "RSS held MiB", "KiB per conn",
                  "proxy fds before → held → after close"], out)


def profile_cells(row):
    """(kernel share, the rest by DSO) of a proxy's perf profile, as text."""
    prof = row.get("profile")
    if not prof:
        return "not profiled", "–"
    if prof.get("error"):
        return "n/a", prof["error"]
    rest = ", ".join(f"{dso} {pct:.1f} %" for dso, pct in prof["dsos"]
                     if dso != "[kernel.kallsyms]")
    return f"{prof['kernel_pct']:.1f} %", rest or "–"


def machine_section(rows, skiff_name):
    """"What this machine allows": the floor relay's figures next to the proxies', from this run."""
    direct, floor = F.by_name(rows, "direct"), F.by_name(rows, F.FLOOR)
    if not floor or not direct:
        return "The floor relay did not run, so this run cannot say what the machine allows.\n"
    proxies = [r for r in rows if r["name"] != "direct"]
    out = []
    for r in proxies:
        kernel, rest = profile_cells(r)
        out.append([r["name"], F.fmt(F.value(r, "ka_cpu_us"), 1),
                    F.fmt(F.value(r, "close_cpu_us"), 1), kernel, rest,
                    F.fmt(F.ratio_to(r, direct, "ka_rps")),
                    F.fmt(F.ratio_to(r, direct, "close_rps"))])
    cpu = table(["proxy", "CPU µs/req keep-alive", "CPU µs/req new conn",
                 "kernel share of CPU samples (keep-alive)", "other samples by DSO",
                 "KA ×direct", "new conn ×direct"], out)
    floor_ka, floor_close = (F.ratio_to(floor, direct, "ka_rps"),
                             F.ratio_to(floor, direct, "close_rps"))
    needed, via_haproxy = F.needed_ka_ratio(rows)
    close_needed = F.TARGET_TO_DIRECT["close_rps"]
    lines = [
        f"- The floor relay: keep-alive {F.fmt(floor_ka)} × direct, new connection per request "
        f"{F.fmt(floor_close)} × direct.",
    ]
    if needed is not None:
        lines.append(
            f"- The keep-alive targets need {skiff_name} at ≥ {needed:.2f} × direct in this "
            f"run: ≥ {F.TARGET_TO_DIRECT['ka_rps']:.2f} × direct, and "
            f"{F.TARGET_TO_HAPROXY['ka_rps']:g} × HAProxy's "
            f"{F.fmt(F.ratio_to(F.by_name(rows, 'haproxy'), direct, 'ka_rps'))} = "
            f"{via_haproxy:.2f} × direct. The floor reached {F.fmt(floor_ka)}"
            + (f" ({floor_ka / needed:.0%} of it)." if floor_ka else "."))
    lines.append(f"- The new-connection target needs ≥ {close_needed:.2f} × direct; the floor "
                 f"reached {F.fmt(floor_close)}"
                 + (f" ({floor_close / close_needed:.0%} of it)." if floor_close else "."))
    floor_cpu = F.value(floor, "ka_cpu_us")
    for r in proxies:
        us = F.value(r, "ka_cpu_us")
        if us is None:
            continue
        text = f"- {r['name']}: {us:.1f} µs of CPU per keep-alive request"
        if r is not floor and floor_cpu is not None:
            text += f", {us - floor_cpu:+.1f} µs ({us / floor_cpu - 1:+.0%}) against the floor"
        prof = r.get("profile") or {}
        if prof.get("kernel_pct") is not None:
            user = 100.0 - prof["kernel_pct"]
            text += (f"; {user:.1f} % of its samples outside the kernel, "
                     f"≈ {us * user / 100:.1f} µs per request")
        lines.append(text + ".")
    events = {(r.get("profile") or {}).get("event") for r in proxies} - {None}
    how = f"perf's `{'`, `'.join(sorted(events))}` event" if events else "perf"
    return f"""The floor is `bench/tools/tcp_relay.cpp`: one thread, one edge-triggered epoll set,
recv and send through one 64 KiB buffer, round robin; no timeouts, metrics, logging or splice.
Per keep-alive request it makes the system calls a user-space TCP proxy cannot avoid (recv and
send each way, a share of an epoll_wait) and nothing else. "CPU µs/req" is each proxy's user +
system time during the wrk runs divided by the requests served. The kernel share is from {how}
sampling the proxy's processes for 2 s of one more keep-alive run (`perf report --sort dso`).

{cpu}

{chr(10).join(lines)}
"""


def main():
    ap = argparse.ArgumentParser()
    for flag in ("raw", "date", "load", "md", "commands", "skiff-1w", "settings"):
        ap.add_argument("--" + flag, required=True)
    ap.add_argument("--nofile", default="")
    args = ap.parse_args()

    rows = F.load(args.raw)
    ratios = ratio_table(rows)
    print(ratios)

    checks = F.target_checks(rows, args.skiff_1w)
    verdict = {True: "met", False: "**not met**", None: "n/a"}
    targets = table(["target (issue #4, skiff on one worker)", "wanted", "measured", "",
                     "floor relay, same figure"],
                    [[w, t, m, verdict[ok], fl] for w, t, m, fl, ok in checks])
    problems = [f"- {r['name']}: {p}" for r in rows for p in r.get("problems", [])]
    settings = dict(kv.split("=", 1) for kv in args.settings.split())
    with open(args.commands, encoding="utf-8") as f:
        commands = f.read().format(**settings)
    uname = os.uname()
    hold_note = ""
    if args.nofile and int(args.nofile) < 2 * 10000 + 256:
        hold_note = (
            f"\nThe descriptor limit here is {int(args.nofile):,} (hard `RLIMIT_NOFILE`, and the "
            "run has no `CAP_SYS_RESOURCE` to raise it); a proxy needs two descriptors per "
            "connection, so the test holds as many as fit under that limit instead of 10 000.\n")

    md = f"""# Proxy benchmark, {args.date}

Produced by `bench/proxy/run.sh` (see `bench/README.md`). All traffic on loopback. Every proxy runs
on one thread; the last skiff row runs one proxy worker per core. Compare the **ratios**, not the
absolute figures: on this machine the load tool, the proxy and the backend share the same cores
with other work.

## Machine

- host: {uname.nodename}
- CPUs: {os.cpu_count()} ({cpu_model()})
- kernel: {uname.sysname} {uname.release} {uname.machine}
- date: {args.date} (UTC)
- load average at start (1/5/15 min): {args.load}

## Targets

{targets}

## What this machine allows

{machine_section(rows, args.skiff_1w)}
## Ratios

"×direct": target / direct (p99: direct / target), so 1.00 = no proxy cost and higher is better
in every column. "×HAProxy": target / HAProxy (p99: HAProxy / target); above 1.00 beats HAProxy.
HAProxy has no UDP proxying and the floor relay is TCP only, so they have no UDP figure.

{ratios}

## Figures

{raw_table(rows)}

Each figure is the median over {settings["rounds"]} rounds; in each round every test visits every target
in turn (every other round in reverse order), so that changes in the machine's background load
fall on all targets alike. UDP: `udp_blast` echoes through the proxy to `udp_echo`; pps = echoes
received per second (each a datagram through the proxy and its reply back), loss = datagrams
without an echo. "proxy CPU µs/req": the proxy process's user + system CPU time during the wrk
runs (from `/proc/PID/stat`) divided by the requests wrk completed: the cost of one request in
the proxy, which the machine's background load disturbs less than req/s.

Per round (spread = noise of this machine):

{rounds_table(rows)}

## Idle connections

Each proxy holds the connections open to `tcp_echo`; every connection must echo a byte when
fresh and again after idling. "KiB per conn" = (RSS while held − RSS before) / connections, RSS
being `VmRSS` from `/proc/PID/status` (nginx: master + worker). Descriptors must return to the
"before" count once the clients close.
{hold_note}
{hold_table(rows)}

## Problems seen

{chr(10).join(problems) if problems else "- none (no wrk socket errors or non-2xx, no UDP misroutes, every idle connection worked)"}

## Commands

{commands}
"""
    with open(args.md, "w", encoding="utf-8") as out:
        out.write(md)


if __name__ == "__main__":
    main()
