#!/usr/bin/python3
"""How well a held-out table agrees with itself, beside a variant trained under another budget:
for the cells both tables trained at least twice, the Spearman of run 1 against run 2 (with a
bootstrap 90 % interval over cells), the one-way intraclass correlation ICC(1) of single runs
(the share of a run's variance that is the cell's, not the seed's), the seed noise (standard
deviation of one run around its cell's mean), the spread of the cells' means, and the Spearman
of the two tables' means. Printed as a table; tools/heldout_noise_study.sh runs it.

  tools/heldout_noise.py --name NAME --shipped TABLE.csv --study VARIANT.csv
"""
import argparse
import csv
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_heldout import spearman  # noqa: E402


def die(message):
    print(f"heldout_noise: {message}", file=sys.stderr)
    sys.exit(2)


def read_table(path):
    """(budget and split sizes, arch -> accuracies of its runs in seed order)."""
    if not os.path.isfile(path):
        die(f"no such file {path}")
    budget, sizes, runs = "?", "", {}
    with open(path, newline="") as f:
        lines = []
        for line in f:
            if line.startswith("# budget:"):
                budget = line[len("# budget:"):].split(";")[0].strip()
            elif line.startswith("# images per class:"):
                sizes = " (" + line[len("# images per class:"):].split("(")[0].strip() + ")"
            elif not line.startswith("#"):
                lines.append(line)
        rows = list(csv.DictReader(lines))
    if not rows or not {"arch", "seed", "accuracy"} <= set(rows[0]):
        die(f"{path} is not a held-out table (arch,seed,accuracy rows)")
    for row in rows:
        runs.setdefault(row["arch"], []).append(float(row["accuracy"]))
    return budget + sizes, runs


def agreement(runs, archs, rng, resamples=2000):
    """Statistics of the first two runs of every cell in archs."""
    a = np.array([runs[c][0] for c in archs])
    b = np.array([runs[c][1] for c in archs])
    pairs = np.stack([a, b], axis=1)
    n = len(archs)
    # One-way ANOVA with k = 2 runs per cell: ICC(1) = (MSB - MSW) / (MSB + MSW).
    means = pairs.mean(axis=1)
    msb = 2 * np.var(means, ddof=1)
    msw = np.sum((pairs - means[:, None]) ** 2) / n
    boot = []
    for _ in range(resamples):
        pick = rng.integers(0, n, n)
        if np.ptp(a[pick]) > 0 and np.ptp(b[pick]) > 0:
            boot.append(spearman(a[pick], b[pick]))
    low, high = np.percentile(boot, [5, 95])
    return {"spearman": spearman(a, b), "low": low, "high": high,
            "icc": (msb - msw) / (msb + msw), "noise_sd": float(np.sqrt(msw)),
            "cell_sd": float(np.std(means, ddof=1)), "mean": float(pairs.mean()), "means": means}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True)
    parser.add_argument("--shipped", required=True, help="meta_db/heldout/NAME.csv")
    parser.add_argument("--study", required=True, help="the variant's table (heldout_table.py)")
    args = parser.parse_args()
    shipped_budget, shipped = read_table(args.shipped)
    study_budget, study = read_table(args.study)
    archs = sorted(c for c in study if len(study[c]) >= 2 and len(shipped.get(c, [])) >= 2)
    if len(archs) < 5:
        die(f"{args.name}: only {len(archs)} cells have two runs in both tables (need 5)")
    rng = np.random.default_rng(0)
    rows = [(shipped_budget, agreement(shipped, archs, rng)),
            (study_budget, agreement(study, archs, rng))]
    print(f"\n{args.name}: {len(archs)} cells, two runs each")
    print(f"{'budget':58} {'mean acc':>8} {'run1~run2':>9} {'90% interval':>13} {'ICC(1)':>7} "
          f"{'seed sd':>7} {'cell sd':>7}")
    for budget, s in rows:
        print(f"{budget[:58]:58} {s['mean']:8.2f} {s['spearman']:9.3f} "
              f"{s['low']:6.3f}-{s['high']:.3f} {s['icc']:7.3f} {s['noise_sd']:7.2f} {s['cell_sd']:7.2f}")
    print(f"Spearman of the two budgets' two-run means: {spearman(rows[0][1]['means'], rows[1][1]['means']):.3f}")


if __name__ == "__main__":
    main()
