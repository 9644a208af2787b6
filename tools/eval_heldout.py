#!/usr/bin/python3
"""Summarises tools/eval_heldout.sh: per held-out table and seed, the model's ranking of the
table's cells against the table's accuracies. Prints a table and writes a JSON summary.

  tools/eval_heldout.py --label L --model M --out FILE.json TABLE=RUN.json...
"""
import argparse
import csv
import itertools
import json
import os
import sys

import numpy as np


def ranks(values):
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    result = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        result[order[start:end + 1]] = (start + end) / 2.0
        start = end + 1
    return result


def spearman(x, y):
    rx, ry = ranks(x), ranks(y)
    return float(np.corrcoef(rx, ry)[0, 1])


def read_runs(path):
    """arch -> the accuracies of the table's runs of it (in seed order)."""
    runs = {}
    with open(path, newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for row in rows:
            runs.setdefault(row["arch"], []).append(float(row["accuracy"]))
    return runs


def mean_accuracies(runs):
    """arch -> mean accuracy over the table's runs of it."""
    return {a: float(np.mean(v)) for a, v in runs.items()}


def table_noise(runs):
    """How well a table agrees with itself, when every cell was trained at least twice: the
    Spearman of two runs of every cell (the mean over every pair of runs when there are more),
    the Spearman-Brown reliability of the mean of k runs, and its square root, the most any
    ranking can correlate with the table (None with one run)."""
    k = min(len(v) for v in runs.values())
    if k < 2:
        return None
    archs = sorted(runs)
    r = float(np.mean([spearman([runs[a][i] for a in archs], [runs[a][j] for a in archs])
                       for i in range(k) for j in range(i + 1, k)]))
    reliability = k * r / (1 + (k - 1) * r) if r > 0 else r
    return {"runs_per_cell": k, "two_run_spearman": r, "reliability": reliability,
            "ceiling": float(np.sqrt(reliability)) if reliability > 0 else 0.0,
            "split_half_oracle_regret": split_half_oracle_regret(runs)}


def run_matrix(runs):
    """The table's cells (sorted) and their accuracies as a [cells, k] array: the first k runs
    of each, k the fewest runs any cell has."""
    archs = sorted(runs)
    k = min(len(v) for v in runs.values())
    return archs, np.array([runs[a][:k] for a in archs])


def split_half_oracle_regret(runs):
    """The top-1 regret of a ranker that knew the mean of half of every cell's runs (k // 2 of
    them), judged against the mean of the other runs: the best cell by one half minus the other
    half's best, averaged over every split. When it is near chance the table's best cell is a
    winner of seed noise, and a top-1 regret on the table says little about a ranking."""
    matrix = run_matrix(runs)[1]
    k = matrix.shape[1]
    regrets = []
    for half in itertools.combinations(range(k), k // 2):
        rest = [i for i in range(k) if i not in half]
        known, other = matrix[:, list(half)].mean(1), matrix[:, rest].mean(1)
        regrets.append(float(other.max() - other[known.argmax()]))
    return float(np.mean(regrets))


def main():
    try:
        summarise()
    except (OSError, ValueError, KeyError) as e:  # a missing or malformed table or run file
        print(f"eval_heldout: {e}", file=sys.stderr)
        sys.exit(2)


def summarise():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--label", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--extra", default="")
    p.add_argument("--out", required=True)
    p.add_argument("runs", nargs="+", help="TABLE=RUN.json")
    a = p.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    per_table = {}
    for item in a.runs:
        table, path = item.split("=", 1)
        per_table.setdefault(table, []).append(path)
    summary = {"label": a.label, "model": a.model, "extra": a.extra, "tables": {}}
    print(f"d2a suggest on the held-out tables, model {a.model}{' (' + a.extra + ')' if a.extra else ''}")
    print(f"  {'table':10s} {'best':>6s} {'regret':>14s} {'top-5 mean':>11s} {'Spearman':>9s} "
          f"{'W':>6s}   {'largest-cell regret':>19s} {'chance regret':>13s} {'FLOPs Spearman':>14s}")
    for table, paths in per_table.items():
        table_runs = read_runs(os.path.join(root, "meta_db", "heldout", f"{table}.csv"))
        truth = mean_accuracies(table_runs)
        best = max(truth.values())
        regrets, picks, top5, rhos, weights, distances = [], [], [], [], [], []
        largest = None
        for path in paths:
            try:
                with open(path) as f:
                    run = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}: not the JSON of `d2a suggest --json` ({e})") from e
            s = run["suggestions"]
            missing = [x["arch"] for x in s if x["arch"] not in truth]
            if missing or len(s) != len(truth):
                raise SystemExit(f"eval_heldout: {path} ranks {len(s)} cells, the table has "
                                 f"{len(truth)} ({len(missing)} not in it)")
            key = "blended" if s[0].get("blended") is not None else "score"
            regrets.append(best - truth[s[0]["arch"]])
            picks.append(s[0]["arch"])
            top5.append(float(np.mean([truth[x["arch"]] for x in s[:5]])))
            rhos.append(spearman([x[key] for x in s], [truth[x["arch"]] for x in s]))
            weights.append(run["ranking"].get("residual_weight", 0.0))
            if run["ranking"].get("gate_distance") is not None:
                distances.append(run["ranking"]["gate_distance"])
            largest = max(s, key=lambda x: (x["mflops"], x["arch"]))["arch"]
            flops_rho = spearman([x["mflops"] for x in s], [truth[x["arch"]] for x in s])
        entry = {
            "best": best,
            "regret": {"mean": float(np.mean(regrets)), "std": float(np.std(regrets)), "values": regrets},
            "picks": picks,
            "top5_mean": float(np.mean(top5)),
            "spearman": float(np.mean(rhos)),
            "residual_weight": float(np.mean(weights)),
            "gate_distance": float(np.mean(distances)) if distances else None,
            "largest_cell": largest,
            "largest_cell_regret": best - truth[largest],
            "flops_spearman": flops_rho,
            "chance_regret": best - float(np.mean(list(truth.values()))),
            "table_noise": table_noise(table_runs),
        }
        summary["tables"][table] = entry
        print(f"  {table:10s} {best:6.2f} {entry['regret']['mean']:6.2f} +- {entry['regret']['std']:4.2f} "
              f"{entry['top5_mean']:11.2f} {entry['spearman']:9.3f} {entry['residual_weight']:6.2f}   "
              f"{entry['largest_cell_regret']:19.2f} {entry['chance_regret']:13.2f} "
              f"{entry['flops_spearman']:14.3f}")
    for table, entry in summary["tables"].items():
        n = entry["table_noise"]
        if n:
            print(f"  {table}: {n['runs_per_cell']} runs per cell; two runs agree at Spearman "
                  f"{'(the mean over every pair) ' if n['runs_per_cell'] > 2 else ''}"
                  f"{n['two_run_spearman']:.3f}, so their mean has reliability {n['reliability']:.3f} "
                  f"and no ranking can reach a Spearman above ~{n['ceiling']:.3f} against it; a ranker "
                  f"that knew {n['runs_per_cell'] // 2} run(s) of every cell would pick with regret "
                  f"{n['split_half_oracle_regret']:.2f} against the others")
    t = summary["tables"].values()
    summary["mean_regret"] = float(np.mean([e["regret"]["mean"] for e in t]))
    summary["mean_spearman"] = float(np.mean([e["spearman"] for e in t]))
    summary["min_spearman"] = float(np.min([e["spearman"] for e in t]))
    print(f"  mean over tables: regret {summary['mean_regret']:.2f}, Spearman {summary['mean_spearman']:.3f} "
          f"(lowest {summary['min_spearman']:.3f})")
    with open(a.out, "w") as f:
        json.dump(summary, f, indent=1)
    print(f"  summary: {a.out}")


if __name__ == "__main__":
    main()
