#!/usr/bin/python3
"""Evaluates `d2a suggest --target DEVICE --max-latency-ms B` on CIFAR-10 (the held-out target;
its 200-epoch accuracies are read here for evaluation only): for each HW-NAS-Bench device and
three bounds per device (the 25th, 50th and 75th percentile of the device's latencies over the
space), over seeds, does the honest top-1 suggestion meet the bound, and how far is its
CIFAR-10 accuracy below the best cell that meets it (an oracle look-up)?

Beside it, the `ceiling` column: the gap of the cell that the allowed benchmark columns themselves
rank first under the bound (mean z-score of CIFAR-100 and ImageNet16-120, what d2a's prior is
fitted to). It is what a perfect fit of the prior would pick, so a gap the ceiling shares comes
from how those datasets transfer to CIFAR-10, not from d2a's model.

  tools/eval_latency.py --d2a build/d2a --data build/data/cifar10 --bench ACC.csv
                        --latency LATENCY.csv [--model DIR] [--seeds 0 1 2 3 4] [--out FILE.json]
"""
import argparse
import csv
import json
import subprocess
import statistics
import time

DEVICES = ["edgegpu", "raspi4", "edgetpu", "pixel3", "eyeriss", "fpga"]
# The `net` tuple's edge order (0->1, 0->2, 0->3, 1->2, 1->3, 2->3) and op codes.
OPS = {0: "skip_connect", 1: "none", 2: "nor_conv_3x3", 3: "nor_conv_1x1", 4: "avg_pool_3x3"}


def cell_of_net(net):
    e = [OPS[int(x)] for x in net.strip("()").split(",")]
    # cell string edges: 1<-0 | 2<-0, 2<-1 | 3<-0, 3<-1, 3<-2
    return f"|{e[0]}~0|+|{e[1]}~0|{e[3]}~1|+|{e[2]}~0|{e[4]}~1|{e[5]}~2|"


def percentile(values, pct):
    """numpy's default (linear) percentile, so the tool needs nothing beyond python3."""
    v = sorted(values)
    x = (len(v) - 1) * pct / 100.0
    lo = int(x)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (x - lo)


def mean_z(table, columns):
    """Mean over the columns of each cell's z-score within the column."""
    score = {r["ArchitectureString"]: 0.0 for r in table}
    for col in columns:
        values = [float(r[col]) for r in table]
        mean, sd = statistics.fmean(values), statistics.pstdev(values)
        for r, v in zip(table, values):
            score[r["ArchitectureString"]] += (v - mean) / sd / len(columns)
    return score


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--d2a", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--bench", required=True)
    p.add_argument("--latency", required=True)
    p.add_argument("--model", default="")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--out", default="")
    a = p.parse_args()
    with open(a.bench, newline="") as f:
        table = list(csv.DictReader(f))
    acc = {r["ArchitectureString"]: float(r["CIFAR10TestAccuracy200Epochs"]) for r in table}
    column_score = mean_z(table, ["CIFAR100TestAccuracy200Epochs", "ImageNetTestAccuracy200Epochs"])
    latency = {d: {} for d in DEVICES}
    with open(a.latency, newline="") as f:
        for r in csv.DictReader(f):
            cell = cell_of_net(r["net"])
            for d in DEVICES:
                v = float(r[f"{d}_latency"])
                if v >= 0:
                    latency[d][cell] = v
    rows, summary = [], {"devices": {}}
    print("d2a suggest --target on CIFAR-10 (test images), top-1 under a latency bound, "
          f"{len(a.seeds)} seeds")
    print(f"  {'device':8s} {'pct':>4s} {'bound ms':>9s} {'met':>5s} {'top-1 acc':>10s} {'oracle':>7s} "
          f"{'gap':>6s} {'ceiling':>8s} {'s/run':>6s}")
    for d in DEVICES:
        values = list(latency[d].values())
        for pct in (25, 50, 75):
            bound = percentile(values, pct)
            meeting = [c for c, v in latency[d].items() if v <= bound]
            oracle = max(acc[c] for c in meeting)
            ceiling = oracle - acc[max(meeting, key=lambda c: column_score[c])]
            met, accs, secs = 0, [], []
            for seed in a.seeds:
                cmd = [a.d2a, "suggest", "--data", a.data, "--split", "test", "--target", d,
                       "--latency-table", a.latency, "--max-latency-ms", repr(bound), "--top", "1",
                       "--seed", str(seed), "--threads", "2", "--json"]
                if a.model:
                    cmd += ["--model", a.model]
                start = time.time()
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                secs.append(time.time() - start)
                top = json.loads(out)["suggestions"][0]
                met += latency[d].get(top["arch"], float("inf")) <= bound
                accs.append(acc[top["arch"]])
            gap = oracle - float(statistics.fmean(accs))
            entry = {"device": d, "percentile": pct, "bound_ms": bound, "met": met, "runs": len(a.seeds),
                     "top1_accuracy": float(statistics.fmean(accs)), "top1_values": accs, "oracle": oracle,
                     "gap": gap, "ceiling_gap": ceiling, "seconds_per_run": float(statistics.fmean(secs))}
            rows.append(entry)
            print(f"  {d:8s} {pct:4d} {bound:9.3f} {met:3d}/{len(a.seeds)} {statistics.fmean(accs):10.2f} "
                  f"{oracle:7.2f} {gap:6.2f} {ceiling:8.2f} {statistics.fmean(secs):6.2f}")
    summary["rows"] = rows
    summary["all_met"] = all(r["met"] == r["runs"] for r in rows)
    summary["within_half_point"] = sum(r["gap"] <= 0.5 for r in rows)
    summary["mean_gap"] = float(statistics.fmean([r["gap"] for r in rows]))
    summary["ceiling_within_half_point"] = sum(r["ceiling_gap"] <= 0.5 for r in rows)
    summary["ceiling_mean_gap"] = float(statistics.fmean([r["ceiling_gap"] for r in rows]))
    print(f"  bound met in {sum(r['met'] for r in rows)} of {sum(r['runs'] for r in rows)} runs; "
          f"top-1 within 0.5 points of the oracle for {summary['within_half_point']} of {len(rows)} "
          f"bounds; mean gap {summary['mean_gap']:.2f} (the columns' own pick: "
          f"{summary['ceiling_within_half_point']} of {len(rows)}, mean gap {summary['ceiling_mean_gap']:.2f})")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
