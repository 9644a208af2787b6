#!/usr/bin/env bash
# Does the linear scaling rule keep accuracy when 2 data-parallel processes double the batch?
# `d2a train` at C8 N1 16x16 (cpu-fast), all-conv3x3 cell, Fashion-MNIST 200 images per class,
# 5 epochs, evaluated on all 10,000 test images, for seeds 1..SEEDS:
#   1 process, the budget's batch 64 and lr 0.05, against
#   2 processes on loopback (Gloo, one thread each), batch 128 (64 per rank) and lr 0.1.
# Prints each seed's test accuracies, then the mean and sample standard deviation of both.
#
#   tools/bench/ddp_lr_scaling.sh [SEEDS]     (default 8; about 15 s a seed on 2 cores)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
d2a="$root/build/d2a"
seeds="${1:-8}"
cell='|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|'
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
port=$((25000 + RANDOM % 5000))
run=(train --data fashion-mnist --arch "$cell" --budget cpu-fast --train-per-class 200 --epochs 5
     --test-per-class 0 --threads 1 --json)
accuracy() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['test_accuracy'])" "$1"; }
: > "$work/one"; : > "$work/two"
for seed in $(seq "$seeds"); do
  "$d2a" "${run[@]}" --seed "$seed" > "$work/single.json" 2> "$work/single.err"
  port=$((port + 1))
  for r in 0 1; do
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$d2a" "${run[@]}" --seed "$seed" --batch-size 128 --lr 0.1 > "$work/r$r.json" 2> "$work/r$r.err" &
  done
  wait
  a=$(accuracy "$work/single.json"); b=$(accuracy "$work/r0.json")
  echo "$a" >> "$work/one"; echo "$b" >> "$work/two"
  echo "seed $seed: 1 process $a %, 2 processes (batch 128, lr 0.1) $b %"
done
stats() { awk '{s += $1; q += $1 * $1} END {m = s / NR; printf "%.2f +- %.2f", m, sqrt((q - NR * m * m) / (NR - 1))}' "$1"; }
echo "mean +- sd over $seeds seeds: 1 process $(stats "$work/one") %, 2 processes $(stats "$work/two") %"
