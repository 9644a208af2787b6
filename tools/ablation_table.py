#!/usr/bin/python3
"""Prints the ablations of tools/eval_ablations.sh as one Markdown table: per ranking, its top-1
regret, top-5 mean and Spearman on every held-out table (tools/eval_heldout.sh summaries) and its
CIFAR-10 top-1 and Spearman (tools/eval_suggest.sh summaries), then the trivial picks (the
largest cell, chance, and ranking by FLOPs) and each table's own noise. A missing summary prints as '-'.

  tools/ablation_table.py LABEL=HELDOUT.json,SUGGEST.json ...
"""
import csv
import json
import os
import sys

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
    print(f"| ranking | regret {names} | mean regret | top-5 mean {names} | Spearman {names} "
          f"| mean Spearman | CIFAR-10 top-1 (5 seeds) / Spearman |")
    print("|---|---|---|---|---|---|---|")
    for label, h, s in rows:
        cells = ["-"] * 5
        if h:
            t = [h["tables"].get(name) for name in tables]
            if all(t):
                cells = [joined([e["regret"]["mean"] for e in t], "{:.2f}"), f"{h['mean_regret']:.2f}",
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
    print(f"| largest cell / chance; Spearman: FLOPs | "
          f"{joined([first[n]['largest_cell_regret'] for n in tables], '{:.2f}')}"
          f" / chance {joined([first[n]['chance_regret'] for n in tables], '{:.2f}')} | "
          f"{sum(first[n]['largest_cell_regret'] for n in tables) / len(tables):.2f} / "
          f"{sum(first[n]['chance_regret'] for n in tables) / len(tables):.2f} | {flops_cells} "
          f"{'-' if largest is None else f'{largest:.2f}'} / - |")
    for name in tables:
        n = first[name].get("table_noise")
        if n:
            print(f"\n{name}: {n['runs_per_cell']} runs per cell, runs agree at Spearman "
                  f"{n['two_run_spearman']:.3f}; the mean's reliability {n['reliability']:.3f}, "
                  f"ceiling for any ranking ~{n['ceiling']:.3f}", end="")
    print()


if __name__ == "__main__":
    main()
