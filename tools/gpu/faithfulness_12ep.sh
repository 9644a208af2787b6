#!/usr/bin/env bash
# Faithfulness of d2a's network and trainer to NAS-Bench-201 at full size (needs a GPU):
# trains 5 cells spread over the accuracy range on CIFAR-10 (the JPEG folder of ../shared) with
# the benchmark's 12-epoch recipe at C=16 N=5 (budget nb201-12ep), and compares each with the
# cifar10-test column of nb201_acc_12ep.csv (trained on the full train split, tested on the test
# split, as `d2a train` does). Goal: each within 2 points, Spearman over the 5 >= 0.9.
#   tools/gpu/faithfulness_12ep.sh [D2A_BINARY] [DEVICE]
# CIFAR-10 is used here for evaluation only, as the data rule allows.
set -euo pipefail
cd "$(dirname "$0")/../.."
d2a="${1:-build/d2a}"
device="${2:-cuda}"
shared="${D2A_SHARED_DIR:-../shared}"
tools/unpack_cifar10.sh build "$shared" train test
data=build/data/cifar10
table="$shared/data/nb201/nb201_acc_12ep.csv"
# Five cells at the 10th, 30th, 50th, 70th and 95th percentile of the 12-epoch cifar10-test column.
mapfile -t picks < <(/usr/bin/python3 - "$table" <<'PY'
import csv, sys
rows = sorted(csv.DictReader(open(sys.argv[1])), key=lambda r: float(r["cifar10-test"]))
for q in (0.10, 0.30, 0.50, 0.70, 0.95):
    r = rows[int(q * (len(rows) - 1))]
    print(r["arch"], r["cellstr"], r["cifar10-test"], sep="\t")
PY
)
out=build/faithfulness_12ep.jsonl
: > "$out"
for line in "${picks[@]}"; do
  IFS=$'\t' read -r index cell expected <<<"$line"
  "$d2a" train --data "$data" --arch "$cell" --budget nb201-12ep --device "$device" --seed 0 \
    --json | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin); r['index']=$index; r['table_cifar10_test']=$expected; print(json.dumps(r))" >> "$out"
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def ranks(v): return [sorted(v).index(x) for x in v]
ours = [r["test_accuracy"] for r in rows]; table = [float(r["table_cifar10_test"]) for r in rows]
ro, rt = ranks(ours), ranks(table)
n = len(rows); spearman = 1 - 6 * sum((a - b) ** 2 for a, b in zip(ro, rt)) / (n * (n * n - 1))
print(f"{'index':>6} {'table':>7} {'d2a':>7} {'diff':>6} {'s/epoch':>8}")
for r, o, t in zip(rows, ours, table):
    print(f"{r['index']:>6} {t:>7.2f} {o:>7.2f} {o - t:>+6.2f} {r['train_seconds'] / 12:>8.1f}")
print(f"max |diff| {max(abs(o - t) for o, t in zip(ours, table)):.2f} (goal <= 2), Spearman {spearman:.3f} (goal >= 0.9)")
PY
