#!/usr/bin/env python3
"""Turns one target's wrk and iperf3 output into one TSV row.

Columns: name, keep-alive req/s, keep-alive p99 ms, close req/s, bulk Gbit/s, errors (wrk socket
errors + non-2xx over both wrk runs), error detail. A missing figure is written as "nan" so one
failed tool never hides the rest of the run.
"""
import json
import re
import sys

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk_figures(path):
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return float("nan"), float("nan"), 0, "no output"
    rps = re.search(r"Requests/sec:\s*([\d.]+)", text)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    errors, detail = 0, []
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(x) for x in sock.groups())
        detail.append(sock.group(0))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
        detail.append(non2xx.group(0))
    if not rps:
        detail.append("wrk gave no Requests/sec")
    return (float(rps.group(1)) if rps else float("nan"),
            float(p99.group(1)) * UNIT_MS[p99.group(2)] if p99 else float("nan"), errors,
            "; ".join(detail))


def bulk_gbps(path):
    try:
        doc = json.load(open(path, encoding="utf-8"))
        return doc["end"]["sum_received"]["bits_per_second"] / 1e9, ""
    except (OSError, ValueError, KeyError, TypeError) as err:
        return float("nan"), f"iperf3: {err}"


def main():
    name, ka, close, bulk = sys.argv[1:5]
    ka_rps, ka_p99, ka_err, ka_detail = wrk_figures(ka)
    close_rps, _, close_err, close_detail = wrk_figures(close)
    gbps, bulk_detail = bulk_gbps(bulk)
    detail = " | ".join(x for x in (ka_detail and f"keep-alive: {ka_detail}", close_detail and
                                    f"close: {close_detail}", bulk_detail) if x)
    print("\t".join([name, f"{ka_rps:.1f}", f"{ka_p99:.3f}", f"{close_rps:.1f}", f"{gbps:.2f}",
                     str(ka_err + close_err), detail or "-"]))


if __name__ == "__main__":
    main()
