#!/usr/bin/python3
"""Writes a held-out table (a one-task meta-database built by tools/build_heldout.sh) as CSV:
one row per record, cell string, training seed, test accuracy (%) and training seconds, after
'#' lines that name the source, its classes, the split sizes and the budget.

  tools/heldout_table.py TABLE.h5 OUT.csv
"""
import csv
import json
import sys

import h5py


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, out = sys.argv[1:]
    with h5py.File(path) as f:
        cells = f["archs/cell"].asstr()[:]
        task_ids = list(f["tasks"])
        if len(task_ids) != 1:
            sys.exit(f"heldout_table: {path} holds {len(task_ids)} tasks, expected 1")
        task = f["tasks"][task_ids[0]]
        attrs = dict(task.attrs)
        budgets = {int(i): json.loads(r) for i, r in zip(f["budgets/id"][:], f["budgets/recipe"].asstr()[:])}
        r = f["records"]
        rows = sorted(zip(r["arch"][:], r["seed"][:], r["accuracy"][:], r["train_seconds"][:],
                          r["budget"][:]), key=lambda x: (x[0], x[1]))
        splits = {s: task[s].attrs["per_class"] for s in task}
    budget_names = sorted({budgets[int(b)]["name"] for *_, b in rows})
    with open(out, "w", newline="") as f:
        f.write(f"# held-out table: source {attrs['source']}, task {task_ids[0]} (seed {attrs['seed']})\n")
        f.write(f"# classes: {' '.join(str(c) for c in attrs['classes'])}\n")
        f.write(f"# images per class: {int(splits['train'])} train, {int(splits['test'])} test "
                f"(from the source's test split)\n")
        f.write(f"# budget: {', '.join(budget_names)}; rows: {len(rows)}\n")
        w = csv.writer(f)
        w.writerow(["arch", "seed", "accuracy", "train_seconds"])
        for a, seed, acc, secs, _ in rows:
            w.writerow([cells[a], int(seed), f"{acc:.4f}", f"{secs:.2f}"])
    print(f"heldout_table: {len(rows)} rows -> {out}")


if __name__ == "__main__":
    main()
