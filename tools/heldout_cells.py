#!/usr/bin/python3
"""Chooses the cells of the held-out ground-truth tables (meta_db/heldout): one representative
per equivalence class, spread over the space by the rank of the dataset-blind prior, denser near
the top where a suggestion has to choose between good cells.

Input: the scores of `d2a suggest --all --scores-out CSV` from a model whose ranking is the prior
alone (residual weight 0: the score is the same for any images). Disconnected cells are left out
(suggest never proposes them). The connected classes are sorted by the prior, best first, and
cut into strata by rank share; each stratum gives a seeded uniform draw of its quota:

  top 5 %: 45 cells, 5-20 %: 40, 20-50 %: 35, 50-100 %: 30        (150 in all)

  tools/heldout_cells.py SCORES.csv OUT.txt [--seed 2026]
"""
import argparse
import csv
import random

STRATA = [(0.00, 0.05, 45), (0.05, 0.20, 40), (0.20, 0.50, 35), (0.50, 1.00, 30)]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scores")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    representative = {}  # class -> (dense index, cell, score): its lowest dense index
    with open(args.scores, newline="") as f:
        for row in csv.DictReader(f):
            if row["disconnected"] == "1":
                continue
            c, i = int(row["equivalence_class"]), int(row["dense_index"])
            if c not in representative or i < representative[c][0]:
                representative[c] = (i, row["arch"], float(row["score"]))
    ranked = sorted(representative.values(), key=lambda r: (-r[2], r[0]))
    rng = random.Random(args.seed)
    chosen = []
    lines = [f"# {sum(q for _, _, q in STRATA)} held-out cells, one per equivalence class, drawn "
             f"by tools/heldout_cells.py (seed {args.seed}) from {len(ranked)} connected classes",
             "# stratum (prior rank share): cells"]
    for lo, hi, quota in STRATA:
        members = ranked[round(lo * len(ranked)):round(hi * len(ranked))]
        picks = sorted(rng.sample(range(len(members)), quota))
        chosen += [members[p] for p in picks]
        lines.append(f"# {lo:.2f}-{hi:.2f}: {quota}")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
        for _, cell, _ in chosen:
            f.write(cell + "\n")
    print(f"heldout_cells: {len(chosen)} cells from {len(ranked)} connected classes -> {args.out}")


if __name__ == "__main__":
    main()
