"""The benchmark's figures and ratios, shared by report.py (Markdown) and chart.py (PNG).

Every ratio is "higher is better, 1.0 = as good as no proxy": target / direct for rates,
direct / target for p99 latency.
"""
import json

# (key, label, unit, higher_is_better); the UDP figure lives in row["udp"]["pps"].
TESTS = [
    ("ka_rps", "keep-alive req/s", "req/s", True),
    ("ka_p99_ms", "keep-alive p99 latency", "ms", False),
    ("close_rps", "new connection per request", "req/s", True),
    ("bulk_gbps", "bulk TCP (iperf3)", "Gbit/s", True),
    ("udp_pps", "UDP packets/s", "pps", True),
]

# Issue #4's targets for skiff on one worker, as ratios to direct (None: no absolute target).
TARGET_TO_DIRECT = {"ka_rps": 0.75, "close_rps": 0.80, "bulk_gbps": 0.60}
# ... and relative to HAProxy: keep-alive at least 1.2x HAProxy's, p99 no worse than HAProxy's.
TARGET_TO_HAPROXY = {"ka_rps": 1.2, "ka_p99_ms": 1.0}
KIB_PER_CONN_TARGET = 10.0

# HAProxy proxies no UDP (only syslog forwarding and QUIC); the floor relay is TCP only.
NO_UDP = {"haproxy", "floor"}
FLOOR = "floor"  # bench/tools/tcp_relay.cpp: the least a user-space TCP proxy can do


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                row = json.loads(line)
                row["udp_pps"] = (row.get("udp") or {}).get("pps")
                rows.append(row)
    return rows


def value(row, key):
    v = row.get(key) if row else None
    return v if isinstance(v, (int, float)) and v > 0 else None


def ratio_to(row, base, key):
    """row vs base for one test, oriented so that higher is better; None if either is missing."""
    a, b = value(row, key), value(base, key)
    if a is None or b is None:
        return None
    higher_is_better = next(t[3] for t in TESTS if t[0] == key)
    return a / b if higher_is_better else b / a


def by_name(rows, name):
    return next((r for r in rows if r["name"] == name), None)


def fmt(x, digits=2):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def meets_target(row, direct, haproxy, key):
    """True/False if the test has a target for skiff on one worker, None if not or unmeasured."""
    checks = []
    if key in TARGET_TO_DIRECT:
        checks.append((ratio_to(row, direct, key), TARGET_TO_DIRECT[key]))
    if key in TARGET_TO_HAPROXY:
        checks.append((ratio_to(row, haproxy, key), TARGET_TO_HAPROXY[key]))
    if not checks or any(r is None for r, _ in checks):
        return None
    return all(r >= floor - 1e-9 for r, floor in checks)


def kib_text(hold):
    per = (hold or {}).get("kib_per_conn")
    return f"{per:.2f} KiB" if per is not None and per >= 0 else "n/a"


def target_checks(rows, skiff_name):
    """[(what, target text, measured text, floor text, met or None)] for skiff on one worker;
    the floor text is the floor relay's figure for the same row ("–" if it did not run)."""
    direct, haproxy, skiff = by_name(rows, "direct"), by_name(rows, "haproxy"), by_name(
        rows, skiff_name)
    floor_row = by_name(rows, FLOOR)
    checks = []

    def met(x, wanted):
        return None if x is None or wanted is None else x >= wanted - 1e-9

    def at_floor(key, base):
        return fmt(ratio_to(floor_row, base, key)) if floor_row else "–"

    for key, label, _, _ in TESTS:
        if key in TARGET_TO_DIRECT:
            r = ratio_to(skiff, direct, key)
            wanted = TARGET_TO_DIRECT[key]
            checks.append((f"{label} ×direct", f"≥ {wanted:.2f}", fmt(r), at_floor(key, direct),
                           met(r, wanted)))
        if key in TARGET_TO_HAPROXY:
            r = ratio_to(skiff, haproxy, key)
            wanted = TARGET_TO_HAPROXY[key]
            what = f"{label} ×HAProxy"
            if key == "ka_p99_ms":
                what += " (HAProxy p99 / skiff p99)"
            checks.append((what, f"≥ {wanted:.2f}", fmt(r), at_floor(key, haproxy),
                           met(r, wanted)))
    hold = (skiff or {}).get("hold")
    floor_hold = (floor_row or {}).get("hold")
    if hold:
        per = hold.get("kib_per_conn")
        checks.append((f"memory per idle connection ({hold['round1_ok']:,} held)",
                       f"≤ {KIB_PER_CONN_TARGET:.0f} KiB", kib_text(hold),
                       kib_text(floor_hold) if floor_hold else "–",
                       None if per is None or per < 0 else per <= KIB_PER_CONN_TARGET))
        all_ok = hold["opened"] == hold["round1_ok"] == hold["round2_ok"] == hold["count"]
        checks.append(("every idle connection carries a byte, before and after idling",
                       f"{hold['count']:,} of {hold['count']:,}",
                       f"{min(hold['round1_ok'], hold['round2_ok']):,}",
                       f"{min(floor_hold['round1_ok'], floor_hold['round2_ok']):,}"
                       if floor_hold else "–", all_ok))
    if skiff:
        checks.append(("wrk errors (socket errors + non-2xx)", "0", str(skiff.get("wrk_errors")),
                       str(floor_row.get("wrk_errors")) if floor_row else "–",
                       skiff.get("wrk_errors") == 0))
    return checks


def needed_ka_ratio(rows):
    """The keep-alive ratio to direct that meets both keep-alive rate targets in this run:
    max(0.75, 1.2 × HAProxy's ratio); (needed, 1.2 × HAProxy's ratio) or (None, None)."""
    via_haproxy = ratio_to(by_name(rows, "haproxy"), by_name(rows, "direct"), "ka_rps")
    if via_haproxy is None:
        return None, None
    share = TARGET_TO_HAPROXY["ka_rps"] * via_haproxy
    return max(TARGET_TO_DIRECT["ka_rps"], share), share
