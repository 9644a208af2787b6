#!/usr/bin/python3
"""Prints the ablations of tools/eval_ablations.sh as one Markdown table: per ranking, its top-1
regret, top-5 mean and Spearman on every held-out table (tools/eval_heldout.sh summaries) and its
CIFAR-10 top-1 and Spearman (tools/eval_suggest.sh summaries), then the trivial picks (the
largest cell, chance, and ranking by FLOPs) and each table's own noise. A missing summary prints as '-'.

Beside each row's mean regret: its difference from the first row's, with a 90 % interval from
resampling every cell's runs (the difference of two rankings' regrets is the difference of their
picks' table means, so it is exactly as noisy as the runs of the picked cells). Under the table:
how large a regret difference the tables can resolve, next to 30 % of the first row's regret.

  tools/ablation_table.py LABEL=HELDOUT.json,SUGGEST.json ...
"""
import csv
import json
import os
import sys

import numpy as np

from eval_heldout import read_runs, run_matrix

LARGEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def die(message):
    print(f"ablation_table: {message}", file=sys.stderr)
    sys.exit(2)


def load(path):
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        die(f"{path}: not a summary ({e})")


def joined(values, fmt):
    return " / ".join(fmt.format(v) for v in values)


def largest_cell_cifar10():
    """The largest cell's 200-epoch CIFAR-10 accuracy from the shared benchmark table, or None."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    shared = os.environ.get("D2A_SHARED_DIR", os.path.join(root, "..", "shared"))
    path = os.path.join(shared, "data", "nb201", "nb201_test_acc_200ep.csv")
    if not os.path.isfile(path):
        return None
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["ArchitectureString"] == LARGEST:
                return float(row["CIFAR10TestAccuracy200Epochs"])
    return None


def table_runs(name):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    return read_runs(os.path.join(root, "meta_db", "heldout", f"{name}.csv"))


def resampled_means(runs_by_table, draws=2000):
    """Per table, the cells' index and their mean accuracies on `draws` bootstrap draws
    ([draws, cells]), every cell's runs resampled with replacement. Drawn once: every row's
    interval is read off the same draws."""
    rng = np.random.default_rng(0)
    resampled = {}
    for name, runs in runs_by_table.items():
        archs, matrix = run_matrix(runs)
        k = matrix.shape[1]
        means = np.stack([np.take_along_axis(matrix, rng.integers(0, k, size=matrix.shape), 1).mean(1)
                          for _ in range(draws)])
        resampled[name] = ({a: i for i, a in enumerate(archs)}, means)
    return resampled


def regret_differences(first, other, resampled):
    """Bootstrap draws of (other's mean regret - first's) over the tables: each summary's picks
    (one per seed) scored on every draw of resampled_means."""
    differences = 0.0
    for name, (index, means) in resampled.items():
        first_rows = [index[a] for a in first["tables"][name]["picks"]]
        other_rows = [index[a] for a in other["tables"][name]["picks"]]
        differences = differences + (means[:, first_rows].mean(1) - means[:, other_rows].mean(1))
    return differences / len(resampled)


def resolution(runs_by_table):
    """One standard deviation of the mean over tables of the regret difference of two rankings
    whose picks differ: per table, two cells' means of k runs with the table's pooled seed sd."""
    variances = []
    for runs in runs_by_table.values():
        k = min(len(v) for v in runs.values())
        seed_var = float(np.mean([np.var(v[:k], ddof=1) for v in runs.values()])) if k > 1 else float("nan")
        variances.append(2 * seed_var / k)
    return float(np.sqrt(np.sum(variances))) / len(variances)


def main():
    if len(sys.argv) < 2 or any("=" not in a or "," not in a for a in sys.argv[1:]):
        die("give LABEL=HELDOUT.json,SUGGEST.json for every row (see the docstring)")
    rows = []
    for arg in sys.argv[1:]:
        label, paths = arg.split("=", 1)
        heldout_path, suggest_path = paths.split(",", 1)
        rows.append((label, load(heldout_path), load(suggest_path)))
    with_tables = [h for _, h, _ in rows if h]
    if not with_tables:
        die("no held-out summary found (run tools/eval_heldout.sh)")
    tables = list(with_tables[0]["tables"])
    names = " / ".join(tables)
    runs_by_table = {name: table_runs(name) for name in tables}
    resampled = resampled_means(runs_by_table)
    reference = with_tables[0]
    has_picks = lambda h: all("picks" in h["tables"].get(n, {}) for n in tables)
    print(f"| ranking | regret {names} | mean regret (minus the first row's, 90 % interval) "
          f"| top-5 mean {names} | Spearman {names} | mean Spearman | CIFAR-10 top-1 (5 seeds) / Spearman |")
    print("|---|---|---|---|---|---|---|")
    for label, h, s in rows:
        cells = ["-"] * 5
        if h:
            t = [h["tables"].get(name) for name in tables]
            if all(t):
                mean_regret = f"{h['mean_regret']:.2f}"
                if h is not reference and has_picks(h) and has_picks(reference):
                    d = regret_differences(reference, h, resampled)
                    mean_regret += (f" ({h['mean_regret'] - reference['mean_regret']:+.2f}, "
                                    f"{np.percentile(d, 5):+.2f} to {np.percentile(d, 95):+.2f})")
                cells = [joined([e["regret"]["mean"] for e in t], "{:.2f}"), mean_regret,
                         joined([e["top5_mean"] for e in t], "{:.1f}"),
                         joined([e["spearman"] for e in t], "{:.3f}"), f"{h['mean_spearman']:.3f}"]
        cifar = "-"
        if s:
            blended = "blend-naswot" in s.get("extra_flags", "")
            rho = "-" if blended else f"{s['correlation']['d2a (all cells)']['spearman']:.3f}"
            cifar = f"{s['suggest']['top1']['mean']:.2f} / {rho}"
        print(f"| {label} | " + " | ".join(cells) + f" | {cifar} |")
    first = with_tables[0]["tables"]
    largest = largest_cell_cifar10()
    flops = [first[n].get("flops_spearman") for n in tables]
    flops_cells = ("| | |" if None in flops else
                   f"| {joined(flops, '{:.3f}')} | {sum(flops) / len(flops):.3f} |")
    largest_regret = sum(first[n]['largest_cell_regret'] for n in tables) / len(tables)
    largest_difference = ""
    if has_picks(reference) and all("largest_cell" in first[n] for n in tables):
        d = regret_differences(reference, {"tables": {n: {"picks": [first[n]["largest_cell"]]} for n in tables}},
                               resampled)
        largest_difference = (f" ({largest_regret - reference['mean_regret']:+.2f}, "
                              f"{np.percentile(d, 5):+.2f} to {np.percentile(d, 95):+.2f})")
    print(f"| largest cell / chance; Spearman: FLOPs | "
          f"{joined([first[n]['largest_cell_regret'] for n in tables], '{:.2f}')}"
          f" / chance {joined([first[n]['chance_regret'] for n in tables], '{:.2f}')} | "
          f"{largest_regret:.2f}{largest_difference} / "
          f"{sum(first[n]['chance_regret'] for n in tables) / len(tables):.2f} | {flops_cells} "
          f"{'-' if largest is None else f'{largest:.2f}'} / - |")
    for name in tables:
        n = first[name].get("table_noise")
        if n:
            print(f"\n{name}: {n['runs_per_cell']} runs per cell, runs agree at Spearman "
                  f"{n['two_run_spearman']:.3f}; the mean's reliability {n['reliability']:.3f}, "
                  f"ceiling for any ranking ~{n['ceiling']:.3f}", end="")
            if "split_half_oracle_regret" in n:
                print(f"; picking by {n['runs_per_cell'] // 2} run(s) of every cell scores regret "
                      f"{n['split_half_oracle_regret']:.2f} on the others", end="")
    print(f"\n\nResolution: two rankings whose first picks differ have mean regrets that differ by "
          f"+- {resolution(runs_by_table):.2f} points (one standard deviation of the tables' seed "
          f"noise); 30 % of the first row's mean regret is {0.3 * reference['mean_regret']:.2f} points.")


if __name__ == "__main__":
    main()
