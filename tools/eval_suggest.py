#!/usr/bin/python3
"""Summarises tools/eval_suggest.sh: benchmark accuracy of the suggested cells, rank correlation
of the predictor with the true CIFAR-10 accuracy beside the zero-cost proxies, and the wall time
and peak memory of `d2a suggest`. Prints a table and writes a JSON summary. numpy only."""
import argparse
import csv
import json
import re
import sys

import numpy as np

ACC_COLUMN = "CIFAR10TestAccuracy200Epochs"


def read_accuracy(path):
    with open(path, newline="") as f:
        return {row["ArchitectureString"]: float(row[ACC_COLUMN]) for row in csv.DictReader(f)}


def ranks(values):
    """Average ranks (ties share the mean of their positions), 1-based."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    result = np.empty(len(values), dtype=np.float64)
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        result[order[start:end + 1]] = (start + end) / 2.0 + 1
        start = end + 1
    return result


def spearman(x, y):
    rx, ry = ranks(x), ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    return float((rx * ry).sum() / np.sqrt((rx * rx).sum() * (ry * ry).sum()))


def kendall_tau_b(x, y, chunk=1024):
    """Kendall's tau-b over all pairs (exact, O(n^2) in chunks)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(x)
    concordance = 0.0
    tied_x = tied_y = 0.0
    for start in range(0, n, chunk):
        dx = np.sign(x[start:start + chunk, None] - x[None, :])
        dy = np.sign(y[start:start + chunk, None] - y[None, :])
        concordance += float((dx * dy).sum())
        tied_x += float((dx == 0).sum())
        tied_y += float((dy == 0).sum())
    # Ordered pairs counted both ways, the diagonal tied in both.
    pairs = n * (n - 1) / 2.0
    concordance /= 2.0
    tied_x = (tied_x - n) / 2.0
    tied_y = (tied_y - n) / 2.0
    return float(concordance / np.sqrt((pairs - tied_x) * (pairs - tied_y)))


def mean_std(values):
    a = np.asarray(values, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std()), "values": [float(v) for v in a]}


def parse_time(path):
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (.*)", text).group(1)
    seconds = 0.0
    for part in wall.strip().split(":"):
        seconds = seconds * 60 + float(part)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
    return {"wall_s": seconds, "peak_rss_mb": rss_kb / 1024.0, "cpu_s": user + system}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--label", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--bench", required=True)
    p.add_argument("--proxies", required=True)
    p.add_argument("--runs", nargs="+", required=True, help="suggest --json outputs, one per seed")
    p.add_argument("--scores", help="suggest --all --scores-out CSV")
    p.add_argument("--timings", nargs="*", default=[], help="/usr/bin/time -v outputs")
    p.add_argument("--timed-json", nargs="*", default=[],
                   help="the timed runs' --json outputs (their per-stage timing_s)")
    p.add_argument("--extra", default="")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    accuracy = read_accuracy(a.bench)
    optimum = max(accuracy.values())
    summary = {"label": a.label, "model": a.model, "extra_flags": a.extra,
               "benchmark": a.bench, "metric": "cifar10 test accuracy, 200 epochs (%)",
               "optimum": optimum}

    # (1) accuracy of what was suggested, per seed.
    top1, top5, best30, seeds = [], [], [], []
    for path in a.runs:
        run = json.load(open(path))
        accs = [accuracy[s["arch"]] for s in run["suggestions"]]
        if not accs:
            sys.exit(f"eval_suggest: {path} has no suggestions")
        seeds.append(run["seed"])
        top1.append(accs[0])
        top5.append(float(np.mean(accs[:5])))
        best30.append(max(accs[:30]))
    summary["suggest"] = {"seeds": seeds, "top1": mean_std(top1), "top5_mean": mean_std(top5),
                          "best_of_top30": mean_std(best30)}

    # (2) rank correlations.
    with open(a.proxies, newline="") as f:
        proxy_rows = list(csv.DictReader(f))
    proxy_archs = [r["net_str"] for r in proxy_rows]
    proxy_true = [accuracy[arch] for arch in proxy_archs]
    correlations = {}

    def add(name, cells, predicted, truth):
        correlations[name] = {"cells": len(cells), "spearman": spearman(predicted, truth),
                              "kendall": kendall_tau_b(predicted, truth)}

    if a.scores:
        with open(a.scores, newline="") as f:
            score = {r["arch"]: float(r["score"]) for r in csv.DictReader(f)}
        archs = sorted(accuracy)
        if set(score) != set(archs):
            sys.exit(f"eval_suggest: {a.scores} does not score all {len(archs)} cells")
        add("d2a (all cells)", archs, [score[x] for x in archs], [accuracy[x] for x in archs])
        add("d2a", proxy_archs, [score[x] for x in proxy_archs], proxy_true)
    for column in ("nwot", "synflow", "flops", "params"):
        add(column, proxy_archs, [float(r[column]) for r in proxy_rows], proxy_true)
    summary["correlation"] = correlations

    # (3) time and memory of a fresh process.
    if a.timings:
        times = [parse_time(t) for t in a.timings]
        summary["time"] = {"runs": times,
                           "wall_s_median": float(np.median([t["wall_s"] for t in times])),
                           "peak_rss_mb_max": max(t["peak_rss_mb"] for t in times),
                           "stages_s": [json.load(open(f))["timing_s"] for f in a.timed_json]}

    with open(a.out, "w") as f:
        json.dump(summary, f, indent=2)

    s = summary["suggest"]
    print(f"d2a suggest on CIFAR-10 (test images), model {a.model}"
          + (f", flags: {a.extra}" if a.extra else ""))
    print(f"  NB201 200-epoch CIFAR-10 test accuracy, {len(seeds)} seeds (optimum {optimum:.2f}):")
    for key, name in (("top1", "top-1"), ("top5_mean", "mean of top 5"),
                      ("best_of_top30", "best of top 30 (oracle)")):
        print(f"    {name:<26} {s[key]['mean']:6.2f} +- {s[key]['std']:.2f}")
    print("  rank correlation with the true accuracy:")
    print(f"    {'scorer':<18} {'cells':>6} {'Spearman':>9} {'Kendall':>8}")
    for name, c in correlations.items():
        print(f"    {name:<18} {c['cells']:>6} {c['spearman']:>9.3f} {c['kendall']:>8.3f}")
    if a.timings:
        t = summary["time"]
        print(f"  suggest as a new process: {t['wall_s_median']:.2f} s wall (median of "
              f"{len(a.timings)}), peak {t['peak_rss_mb_max']:.0f} MB")
    print(f"  summary: {a.out}")


if __name__ == "__main__":
    main()
