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

With --term conv the term is no fit at all but the cell's convolution cost (9 x conv 3x3 +
conv 1x1 edges: its share of the network's FLOPs), the plainest "bigger trains better on a CPU
budget" term. --per-source fits the database term to each of the database's sources alone and
prints each fit's Spearman against every held-out table (does some source's budget ranking
carry over to a new one, i.e. would a nearest-source dataset term help?).

  tools/budget_term_study.py [--db meta_db/d2a-cpu-v2.h5] [--runs build/eval/heldout-LABEL]
                             [--term db|conv] [--per-source]
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


def read_database(db_path):
    """Each record's cell features, its accuracy standardised within its task, and the source of
    its task (the folder's last name, or the dataset's name)."""
    with h5py.File(db_path, "r") as f:
        acc = f["records/accuracy"][:].astype(float)
        arch = f["records/arch"][:]
        task = f["records/task"][:]
        ops = f["archs/ops"][:]
        source_of = {int(g.attrs["index"]): str(g.attrs["source"]).rstrip("/").split("/")[-1]
                     for g in f["tasks"].values()}
    z = np.zeros_like(acc)
    for t in np.unique(task):
        m = task == t
        z[m] = (acc[m] - acc[m].mean()) / (acc[m].std() + 1e-9)
    x = np.array([features(list(ops[a])) for a in arch])
    return x, z, np.array([source_of[int(t)] for t in task]), len(np.unique(task))


def fit_term(x, z, ridge):
    """Ridge regression of z on the cell features: the term, and its Spearman with z."""
    w = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ z)
    return (lambda cell: float(features(cell_ops(cell)) @ w)), spearman(x @ w, z)


def conv_cost(cell):
    """The cell's convolution cost in 1x1-conv units: its share of the network's FLOPs."""
    ops = cell_ops(cell)
    return float(9 * ops.count(OPS.index("nor_conv_3x3")) + ops.count(OPS.index("nor_conv_1x1")))


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
    p.add_argument("--term", choices=["db", "conv"], default="db",
                   help="db: ridge fit to the database (default); conv: the cell's convolution cost")
    p.add_argument("--per-source", action="store_true",
                   help="also fit the db term to each source alone and rank the tables with it")
    p.add_argument("--scores", help="suggest --all --scores-out CSV on CIFAR-10 (evaluation only)")
    p.add_argument("--bench", default=os.path.join(root, "..", "shared", "data", "nb201", "nb201_test_acc_200ep.csv"))
    a = p.parse_args()
    if a.per_source and a.term != "db":
        fail("--per-source fits the database term: use it with --term db")
    tables = a.tables.split()
    runs_of = {}
    for table in tables:
        paths = sorted(glob.glob(os.path.join(a.runs, f"{table}-seed*.json")))
        if not paths:
            fail(f"no {table}-seed*.json in {a.runs} (tools/eval_heldout.sh writes them)")
        runs_of[table] = [json.load(open(path))["suggestions"] for path in paths]
    for path in ([a.db] if a.term == "db" else []) + ([a.scores, a.bench] if a.scores else []):
        if not os.path.isfile(path):
            fail(f"no such file {path}")
    truth_of = {t: mean_accuracies(read_runs(os.path.join(root, "meta_db", "heldout", f"{t}.csv")))
                for t in tables}
    if a.term == "conv":
        term = conv_cost
        print("term: the cell's convolution cost (9 x conv 3x3 + conv 1x1 edges), no fit")
    else:
        x, z, sources, tasks = read_database(a.db)
        term, fit = fit_term(x, z, a.ridge)
        print(f"budget term: ridge {a.ridge} on {len(z)} records of {tasks} tasks "
              f"(task-standardised); its Spearman with what it was fitted to: {fit:.3f}")
        if a.per_source:
            print("fitted to one source's records alone: Spearman with each held-out table")
            print(f"  {'source':16s} {'records':>7s}  " + "  ".join(f"{t:>8s}" for t in tables))
            for source in sorted(set(sources)) + ["(all)"]:
                m = np.ones(len(z), bool) if source == "(all)" else sources == source
                one, _ = fit_term(x[m], z[m], a.ridge)
                rhos = []
                for t in tables:
                    cells = list(truth_of[t])
                    rhos.append(spearman([one(c) for c in cells], [truth_of[t][c] for c in cells]))
                print(f"  {source:16s} {int(m.sum()):7d}  " + "  ".join(f"{r:8.3f}" for r in rhos))
    weights = [float(w) for w in a.weights.split()]
    print(f"  {'w':>5s}  " + "  ".join(f"{t:>26s}" for t in tables) + "   mean regret  mean Spearman")
    rows = {w: [] for w in weights}
    for table in tables:
        truth = truth_of[table]
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
