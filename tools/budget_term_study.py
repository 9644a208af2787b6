#!/usr/bin/python3
"""Would a dataset-blind *budget* term help where the dataset term does not? (issue 12, an
experiment, not a shipped ranking.)

The meta-database's records (the cheap `cpu-db` budget, 96 tasks) are standardised within each
task and fitted by ridge regression on the cell alone (one-hot op per edge, op counts): what a
CPU budget rewards in any dataset. That term, z-scored, is added with weight w to the z-scored
ranking score of `d2a suggest` runs on the held-out tables (tools/eval_heldout.sh's outputs), and
each table's top-1 regret, top-5 mean and Spearman are printed per w. With --scores (a
`suggest --all --scores-out` CSV of CIFAR-10) the same blend is scored against the NAS-Bench-201
200-epoch CIFAR-10 column, for evaluation only: nothing here is fitted to CIFAR-10 or to the
held-out tables.

  tools/budget_term_study.py [--db meta_db/d2a-cpu-v2.h5] [--runs build/eval/heldout-LABEL]
                             [--scores FILE.csv --bench nb201_test_acc_200ep.csv]
"""
import argparse
import csv
import glob
import json
import os

import sys


def fail(message):
    """One line on stderr and exit status 2, as for any bad input to d2a."""
    print(f"budget_term_study: {message}", file=sys.stderr)
    sys.exit(2)


try:
    import h5py
    import numpy as np
except ImportError as e:  # tools/eval_heldout.sh, which this reads the outputs of, installs both
    fail(f"{e.name} missing: apt-get install python3-h5py python3-numpy")

from eval_heldout import mean_accuracies, read_runs, spearman

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def cell_ops(cell):
    """The six ops of a cell string, in the string's edge order (the database's `archs/ops`)."""
    return [OPS.index(tok.split("~")[0]) for tok in cell.strip("|").replace("+", "").split("|") if tok]


def features(ops):
    onehot = np.zeros(30)
    for edge, op in enumerate(ops):
        onehot[edge * 5 + op] = 1.0
    counts = np.bincount(ops, minlength=5).astype(float)
    return np.concatenate([onehot, counts, [counts[2] + counts[3], 1.0]])


def fit_budget_term(db_path, ridge):
    with h5py.File(db_path, "r") as f:
        acc = f["records/accuracy"][:].astype(float)
        arch = f["records/arch"][:]
        task = f["records/task"][:]
        ops = f["archs/ops"][:]
    z = np.zeros_like(acc)
    for t in np.unique(task):
        m = task == t
        z[m] = (acc[m] - acc[m].mean()) / (acc[m].std() + 1e-9)
    x = np.array([features(list(ops[a])) for a in arch])
    w = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ z)
    fit = spearman(x @ w, z)
    return (lambda cell: float(features(cell_ops(cell)) @ w)), len(acc), len(np.unique(task)), fit


def zscore(v):
    v = np.asarray(v, dtype=float)
    return (v - v.mean()) / (v.std() + 1e-12)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", default=os.path.join(root, "meta_db", "d2a-cpu-v2.h5"))
    p.add_argument("--runs", default=os.path.join(root, "build", "eval", "heldout-prior-w0"))
    p.add_argument("--tables", default="icons clipart arabic")
    p.add_argument("--weights", default="0 0.25 0.5 1 2")
    p.add_argument("--ridge", type=float, default=10.0)
    p.add_argument("--scores", help="suggest --all --scores-out CSV on CIFAR-10 (evaluation only)")
    p.add_argument("--bench", default=os.path.join(root, "..", "shared", "data", "nb201", "nb201_test_acc_200ep.csv"))
    a = p.parse_args()
    tables = a.tables.split()
    runs_of = {}
    for table in tables:
        paths = sorted(glob.glob(os.path.join(a.runs, f"{table}-seed*.json")))
        if not paths:
            fail(f"no {table}-seed*.json in {a.runs} (tools/eval_heldout.sh writes them)")
        runs_of[table] = [json.load(open(path))["suggestions"] for path in paths]
    for path in [a.db] + ([a.scores, a.bench] if a.scores else []):
        if not os.path.isfile(path):
            fail(f"no such file {path}")
    term, records, tasks, fit = fit_budget_term(a.db, a.ridge)
    weights = [float(w) for w in a.weights.split()]
    print(f"budget term: ridge {a.ridge} on {records} records of {tasks} tasks (task-standardised); "
          f"its Spearman with what it was fitted to: {fit:.3f}")
    print(f"  {'w':>5s}  " + "  ".join(f"{t:>26s}" for t in tables) + "   mean regret  mean Spearman")
    rows = {w: [] for w in weights}
    for table in tables:
        truth = mean_accuracies(read_runs(os.path.join(root, "meta_db", "heldout", f"{table}.csv")))
        best = max(truth.values())
        for w in weights:
            regrets, top5, rhos = [], [], []
            for s in runs_of[table]:
                cells = [x["arch"] for x in s]
                blend = zscore([x["score"] for x in s]) + w * zscore([term(c) for c in cells])
                order = np.argsort(-blend, kind="stable")
                y = np.array([truth[c] for c in cells])
                regrets.append(best - y[order[0]])
                top5.append(y[order[:5]].mean())
                rhos.append(spearman(blend, y))
            rows[w].append((np.mean(regrets), np.mean(top5), np.mean(rhos)))
    for w in weights:
        cells = "  ".join(f"r {r:5.2f} t5 {t:5.1f} rho {s:5.3f}" for r, t, s in rows[w])
        print(f"  {w:5.2f}  {cells}   {np.mean([r for r, _, _ in rows[w]]):11.2f}  "
              f"{np.mean([s for _, _, s in rows[w]]):13.3f}")
    if a.scores:
        with open(a.bench, newline="") as f:
            c10 = {r["ArchitectureString"]: float(r["CIFAR10TestAccuracy200Epochs"]) for r in csv.DictReader(f)}
        with open(a.scores, newline="") as f:
            sc = list(csv.DictReader(f))
        if not sc or not {"arch", "score"} <= set(sc[0]):
            fail(f"{a.scores}: not a `suggest --scores-out` CSV (needs arch and score columns)")
        cells = [r["arch"] for r in sc]
        y = np.array([c10[c] for c in cells])
        base = zscore([float(r["score"]) for r in sc])
        bt = zscore([term(c) for c in cells])
        print("CIFAR-10, all cells (evaluation only): w, top-1 200-epoch accuracy, Spearman")
        for w in weights:
            blend = base + w * bt
            print(f"  {w:5.2f}  {y[int(np.argmax(blend))]:6.2f}  {spearman(blend, y):.3f}")


if __name__ == "__main__":
    main()
