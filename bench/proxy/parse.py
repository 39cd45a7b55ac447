#!/usr/bin/env python3
"""Turns one target's tool output into one JSON line for raw.jsonl.

    parse.py NAME DIR

DIR holds the run's files for NAME, one per test and round: NAME-ka-R.txt and NAME-close-R.txt
(wrk), NAME-bulk-R.json (iperf3), NAME-udp-R.json (udp_blast), NAME-hold-R.json (tcp_hold),
NAME-ka-R.cpu and NAME-close-R.cpu (the proxy's CPU ticks during that wrk run), NAME-perf.txt
(`perf report --sort dso` of the proxy during one more keep-alive run) and NAME-perf-wrk.txt (that
run's wrk output).
Figures: ka_rps, ka_p99_ms, close_rps, bulk_gbps (each the median over the rounds, the per-round
values kept under "rounds"), ka_cpu_us and close_cpu_us (proxy CPU microseconds per request),
udp (udp_blast's counts summed over the rounds), hold (tcp_hold's JSON), profile (the perf
table: kernel_pct, the share of samples in the kernel, and the top DSOs; or why there is none),
wrk_errors (socket errors + non-2xx over every wrk run) and problems (what went wrong, in
words). A test with no usable output gives null, so one failed tool never hides the rest of the
run.
"""
import glob
import json
import re
import statistics
import sys

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def wrk_figures(text, label, problems):
    """(req/s, p99 ms, errors) from `wrk --latency` output; None for what is missing."""
    if text is None:
        problems.append(f"{label}: no wrk output")
        return None, None, 0
    rps = re.search(r"Requests/sec:\s*([\d.]+)", text)
    # The latency distribution printed by --latency: "     99%    5.50ms".
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    errors = 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(x) for x in sock.groups())
        problems.append(f"{label}: {sock.group(0)}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
        problems.append(f"{label}: {non2xx.group(0)}")
    if not rps:
        problems.append(f"{label}: wrk gave no Requests/sec")
    return (float(rps.group(1)) if rps else None,
            float(p99.group(1)) * UNIT_MS[p99.group(2)] if p99 else None, errors)


def bulk_gbps(text, problems):
    if text is None:
        problems.append("bulk: no iperf3 output")
        return None
    try:
        doc = json.loads(text)
        if "error" in doc:
            problems.append(f"bulk: iperf3: {doc['error']}")
            return None
        return doc["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError, TypeError) as err:
        problems.append(f"bulk: iperf3 output unreadable ({err})")
        return None


def tool_json(text, label, problems):
    """The last JSON line a tool printed; None (and a problem) otherwise."""
    if text is None:
        problems.append(f"{label}: no output")
        return None
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    problems.append(f"{label}: output unreadable: {text.strip()[:200]!r}")
    return None


def wrk_requests(text):
    m = re.search(r"(\d+) requests in", text or "")
    return int(m.group(1)) if m else None


def cpu_us_per_request(directory, name, test):
    """The proxy's CPU time (user + system) per request over the rounds of one wrk test, in
    microseconds, from NAME-TEST-R.cpu ("ticks ticks_per_second", written by run.sh around the
    wrk run) and the request count wrk printed; None without both."""
    seconds, requests = 0.0, 0
    for path in files(directory, name, test, "cpu"):
        parts = (read(path) or "").split()
        n = wrk_requests(read(path[:-len(".cpu")] + ".txt"))
        if len(parts) != 2 or not n or int(parts[1]) <= 0:
            continue
        seconds += int(parts[0]) / int(parts[1])
        requests += n
    return seconds * 1e6 / requests if requests else None


def profile(directory, name, problems):
    """The kernel's share of the proxy's CPU samples from NAME-perf.txt (`perf report --sort dso
    --stdio`): {"kernel_pct", "event", "samples", "dsos": [[dso, pct], ...], "ka_rps"}, or
    {"error": why} if perf gave no table; None if the profile was not run."""
    text = read(f"{directory}/{name}-perf.txt")
    if text is None:
        return None
    # A binary replaced on disk while it runs is listed as "NAME (deleted)".
    dsos = [[m.group(2).strip().removesuffix(" (deleted)"), float(m.group(1))]
            for m in re.finditer(r"^\s+([\d.]+)%\s+(\S.*?)\s*$", text, re.M)]
    if not dsos:
        why = next((line.strip() for line in text.splitlines()
                    if line.strip() and not line.startswith("#")), "no samples")
        problems.append(f"profile: {why[:200]}")
        return {"error": why[:200]}
    event = re.search(r"^# Samples: (\S+) of event '([^']*)'", text, re.M)
    rps, _, _ = wrk_figures(read(f"{directory}/{name}-perf-wrk.txt"), "profile run", [])
    return {"kernel_pct": sum(pct for dso, pct in dsos if dso == "[kernel.kallsyms]"),
            "event": event.group(2) if event else None,
            "samples": event.group(1) if event else None, "dsos": dsos[:6], "ka_rps": rps}


def round_of(path):
    return int(path.rsplit("-", 1)[1].split(".")[0])


def files(directory, name, test, ext):
    """The round files of one test, in round order."""
    pattern = f"{glob.escape(directory)}/{glob.escape(name)}-{test}-*.{ext}"
    return sorted(glob.glob(pattern), key=round_of)


def median(values):
    """The middle of the rounds: one round the machine's background load hit does not move it,
    where it would move a mean."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def combine_udp(runs):
    """udp_blast runs summed: pps = all echoes / all timed seconds."""
    runs = [r for r in runs if r]
    if not runs:
        return None
    total = {k: sum(r[k] for r in runs) for k in ("sent", "received", "lost", "bad", "errors")}
    seconds = sum(r["seconds"] for r in runs)
    timed = sum(r["pps"] * r["seconds"] for r in runs)
    total.update(seconds=seconds, pps=timed / seconds if seconds else None,
                 loss_pct=100.0 * total["lost"] / total["sent"] if total["sent"] else 0.0,
                 flows=runs[0]["flows"], window=runs[0]["window"], size=runs[0]["size"],
                 rounds=len(runs))
    return total


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: parse.py NAME DIR")
    name, directory = sys.argv[1:3]
    problems = []
    ka = [wrk_figures(read(p), f"keep-alive round {round_of(p)}", problems)
          for p in files(directory, name, "ka", "txt")]
    close = [wrk_figures(read(p), f"close round {round_of(p)}", problems)
             for p in files(directory, name, "close", "txt")]
    bulk = [bulk_gbps(read(p), problems) for p in files(directory, name, "bulk", "json")]
    udp = [tool_json(read(p), f"udp round {round_of(p)}", problems)
           for p in files(directory, name, "udp", "json")]
    holds = [tool_json(read(p), "idle connections", problems)
             for p in files(directory, name, "hold", "json")]
    if not ka:
        problems.append("keep-alive: no wrk output")
    if not close:
        problems.append("close: no wrk output")
    if not bulk:
        problems.append("bulk: no iperf3 output")
    row = {
        "name": name,
        "ka_rps": median([k[0] for k in ka]),
        "ka_p99_ms": median([k[1] for k in ka]),
        "close_rps": median([c[0] for c in close]),
        "bulk_gbps": median(bulk),
        "ka_cpu_us": cpu_us_per_request(directory, name, "ka"),
        "close_cpu_us": cpu_us_per_request(directory, name, "close"),
        "udp": combine_udp(udp),
        "hold": holds[-1] if holds else None,
        "profile": profile(directory, name, problems),
        "wrk_errors": sum(k[2] for k in ka) + sum(c[2] for c in close),
        "rounds": {"ka_rps": [k[0] for k in ka], "ka_p99_ms": [k[1] for k in ka],
                   "close_rps": [c[0] for c in close], "bulk_gbps": bulk,
                   "udp_pps": [u["pps"] if u else None for u in udp]},
    }
    udp_row, hold_row = row["udp"], row["hold"]
    if udp_row and (udp_row.get("bad") or udp_row.get("errors")):
        problems.append(f"udp: {udp_row.get('bad')} misrouted/garbled echoes, "
                        f"{udp_row.get('errors')} socket errors")
    if hold_row and not (hold_row["opened"] == hold_row["round1_ok"] == hold_row["round2_ok"]
                         == hold_row["count"]):
        problems.append(
            f"idle connections: {hold_row['opened']} of {hold_row['count']} opened, "
            f"{hold_row['round1_ok']} echoed a byte, {hold_row['round2_ok']} again after idling")
    row["problems"] = problems
    print(json.dumps(row))


if __name__ == "__main__":
    main()
