#!/usr/bin/env python3
"""Draws one benchmark run as a PNG: grouped bars of every proxy's ratio to direct per test,
with issue #4's targets drawn over the groups, and a side panel of memory per idle connection.

    chart.py --raw raw.jsonl --out OUT.png --title TEXT --skiff-1w NAME
"""
import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import figures as F  # noqa: E402

COLORS = {"haproxy": "#e8912d", "nginx-stream": "#3f9e5b", "floor": "#8a8a8a"}
SKIFF_COLORS = ["#1c4fa8", "#7ea6e3"]
TARGET_COLOR = "#c0282d"


def color(name, skiff_names):
    if name in skiff_names:
        return SKIFF_COLORS[min(skiff_names.index(name), len(SKIFF_COLORS) - 1)]
    return COLORS.get(name, "#888888")


def main():
    ap = argparse.ArgumentParser()
    for flag in ("raw", "out", "title", "skiff-1w"):
        ap.add_argument("--" + flag, required=True)
    args = ap.parse_args()

    rows = F.load(args.raw)
    direct, haproxy = F.by_name(rows, "direct"), F.by_name(rows, "haproxy")
    proxies = [r for r in rows if r["name"] != "direct"]
    skiff_names = [r["name"] for r in proxies if r["name"].startswith("skiff")]
    holds = [r for r in proxies if r.get("hold") and r["hold"].get("kib_per_conn", -1) >= 0]

    fig, (ax, mem) = plt.subplots(1, 2, figsize=(15, 6.6), width_ratios=[4.2, 1],
                                  constrained_layout=True)
    fig.suptitle(args.title, fontsize=13)

    n = len(proxies)
    width = 0.8 / max(n, 1)
    top = 1.15
    ticks, drawn = [], set()
    for i, (key, label, _, _) in enumerate(F.TESTS):
        for j, r in enumerate(proxies):
            x = i - 0.4 + width * (j + 0.5)
            v = F.ratio_to(r, direct, key)
            if v is None:
                why = "no UDP" if key == "udp_pps" and r["name"] in F.NO_UDP else "n/a"
                ax.text(x, 0.02, why, rotation=90, ha="center", va="bottom", fontsize=8,
                        color="#555555")
                continue
            ax.bar(x, v, width * 0.92, color=color(r["name"], skiff_names),
                   label=r["name"] if i == 0 else None, edgecolor="white", linewidth=0.5)
            verdict, ink = "", "black"
            met = F.meets_target(r, direct, haproxy, key) if r["name"] == args.skiff_1w else None
            if met is not None:
                verdict, ink = (" ✓", "#1e7b34") if met else (" ✗", TARGET_COLOR)
            ax.text(x, v + 0.01, f"{v:.2f}{verdict}", ha="center", va="bottom", fontsize=8,
                    zorder=5, color=ink, fontweight="bold" if verdict else "normal")
            top = max(top, v + 0.12)
        # Targets for skiff on one worker, drawn across the group.
        lo, hi = i - 0.45, i + 0.45
        marks = []
        if key in F.TARGET_TO_DIRECT:
            marks.append((F.TARGET_TO_DIRECT[key], f"target ≥ {F.TARGET_TO_DIRECT[key]:.2f}", "--"))
        if key in F.TARGET_TO_HAPROXY:
            base = F.ratio_to(haproxy, direct, key)
            if base is not None:
                k = F.TARGET_TO_HAPROXY[key]
                text = "target ≥ HAProxy" if k == 1.0 else f"target ≥ {k:g}× HAProxy"
                marks.append((base * k, text, ":"))
        for y, text, style in marks:
            kind = "target: ratio to direct" if style == "--" else "target: relative to HAProxy"
            ax.hlines(y, lo, hi, colors=TARGET_COLOR, linestyles=style, linewidth=2, zorder=3,
                      label=(kind if kind not in drawn else None))
            drawn.add(kind)
            top = max(top, y + 0.12)
        ticks.append(f"{label}\n" + (" and ".join(t for _, t, _ in marks) or "no target"))
    ax.axhline(1.0, color="#444444", linewidth=1, linestyle="-", zorder=0)
    ax.text(len(F.TESTS) - 0.5, 1.0, "direct = 1.0", ha="right", va="bottom", fontsize=8,
            color="#444444")
    ax.set_xticks(range(len(F.TESTS)))
    ax.set_xticklabels(ticks, fontsize=9)
    ax.set_xlim(-0.5, len(F.TESTS) - 0.5)
    ax.set_ylim(0, top)
    ax.set_ylabel("ratio to a direct connection (higher is better)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda k: labels[k].startswith("target"))
    ax.legend([handles[k] for k in order], [labels[k] for k in order], loc="upper left",
              ncol=n + 2, fontsize=9, frameon=False)
    ax.set_title("ratio to direct per test (p99 drawn as direct / proxy); red: issue #4 targets "
                 f"for {args.skiff_1w} (✓ met, ✗ not met)", fontsize=10)

    if holds:
        names = [r["name"] for r in holds]
        vals = [r["hold"]["kib_per_conn"] for r in holds]
        bars = mem.bar(range(len(holds)), vals, 0.7,
                       color=[color(nm, skiff_names) for nm in names])
        for b, v, r in zip(bars, vals, holds):
            ok = r["hold"]["round1_ok"] == r["hold"]["round2_ok"] == r["hold"]["count"]
            text, ink = f"{v:.1f}" + ("" if ok else "\nconnections\nFAILED"), "black"
            if r["name"] == args.skiff_1w:
                met = ok and v <= F.KIB_PER_CONN_TARGET
                text, ink = text + (" ✓" if met else " ✗"), "#1e7b34" if met else TARGET_COLOR
            mem.text(b.get_x() + b.get_width() / 2, v, text, ha="center", va="bottom", fontsize=8,
                     color=ink, fontweight="bold" if r["name"] == args.skiff_1w else "normal")
        mem.axhline(F.KIB_PER_CONN_TARGET, color=TARGET_COLOR, linestyle="--", linewidth=2,
                    zorder=3)
        mem.set_xticks(range(len(holds)))
        mem.set_xticklabels(names, rotation=30, ha="right", fontsize=9)
        mem.set_ylim(0, max(vals + [F.KIB_PER_CONN_TARGET]) * 1.25)
        count = holds[0]["hold"]["count"]
        mem.set_title(f"proxy RSS per idle connection, KiB\n({count:,} held; lower is better;\n"
                      f"red line: target ≤ {F.KIB_PER_CONN_TARGET:g} KiB)", fontsize=10)
        mem.grid(axis="y", alpha=0.3)
        mem.set_axisbelow(True)
    else:
        mem.axis("off")
        mem.text(0.5, 0.5, "idle-connection test\nnot run", ha="center", va="center")

    fig.savefig(args.out, dpi=110)


if __name__ == "__main__":
    main()
