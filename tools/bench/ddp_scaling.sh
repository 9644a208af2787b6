#!/usr/bin/env bash
# Data-parallel `d2a train` on this machine: 1 process vs 2 processes on loopback (Gloo), one
# thread each, and the communication share of a step at the benchmark size.
#
#   tools/bench/ddp_scaling.sh [RUNS]     (default 3; prints medians)
#
# 1) C8 N1 16x16 (cpu-fast), all-conv3x3 cell, Fashion-MNIST 200 images per class, 5 epochs:
#    training images/s of 1 and of 2 processes, their ratio, and both test accuracies (on 100
#    test images per class); with the batch of a step kept at 64 (32 per rank: the same recipe)
#    and with 64 per rank (batch 128 in all, as PyTorch DDP users usually scale: the recipe's
#    batch doubles), at the budget's lr 0.05 and at 0.1 (the linear scaling rule).
#    The ceiling of any data parallelism at the same recipe here: two independent processes of
#    32 images a step at once, each on its own CPU, with no communication at all.
#    With 4 KB gradient buckets started during backward (--bucket-mb 0.004) instead of one.
#    With --balance speed: each rank's share of the batch in proportion to its measured speed
#    (this machine's two CPUs differ by 8-40 %), the batch and recipe unchanged.
# 2) C16 N5 32x32 (the benchmark network), 2 processes, 1 epoch over 13 images per class:
#    seconds in all-reduce / training seconds.
# 3) Part 1's recipe with CPU 1 shared with another job (a busy loop bound to it, as a
#    neighbour on a shared node): 2 processes with equal shares, with --balance speed, and one
#    process alone on the free CPU 0.
# The ranks run with d2a's default --cpu-bind auto (one CPU each on this 2-core machine).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
d2a="$root/build/d2a"
runs="${1:-3}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "ddp_scaling.sh: RUNS must be a positive whole number (got '$runs')" >&2; exit 2; }
[ -x "$d2a" ] || { echo "ddp_scaling.sh: no $d2a; build first (tools/setup.sh)" >&2; exit 2; }
cell='|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|'
work="$(mktemp -d)"
hog=""
trap 'rm -rf "$work"; [ -z "$hog" ] || kill "$hog" 2> /dev/null' EXIT
port=$((25000 + RANDOM % 5000))

field() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
rank0_share() {  # the share of the batch rank 0 ended with in the last two_ranks run
  /usr/bin/python3 -c "import json,sys; print('%.2f' % json.load(open(sys.argv[1]))['distributed']['shares'][0])" \
    "$work/r0.json"
}
two_ranks() {  # args...: runs 2 ranks, rank 0's JSON in $work/r0.json
  port=$((port + 1))
  local pids=()
  for r in 0 1; do
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$d2a" "$@" --threads 1 --json > "$work/r$r.json" 2> "$work/r$r.err" &
    pids+=($!)
  done
  wait "${pids[@]}"  # not the busy loop of part 3
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

small=(train --data fashion-mnist --arch "$cell" --budget cpu-fast --train-per-class 200 --epochs 5
       --test-per-class 100 --seed 1)
: > "$work/one"; : > "$work/two"; : > "$work/two128"; : > "$work/apart"; : > "$work/buckets"
: > "$work/speed"; : > "$work/accspeed"; : > "$work/shares"
: > "$work/acc1"; : > "$work/acc2"; : > "$work/acc128"; : > "$work/lr128"; : > "$work/acclr128"
for i in $(seq "$runs"); do
  for c in 0 1; do
    taskset -c "$c" "$d2a" "${small[@]}" --batch-size 32 --threads 1 --json > "$work/apart$c.json" &
  done
  wait
  awk -v a="$(field "$work/apart0.json" images_per_second)" \
      -v b="$(field "$work/apart1.json" images_per_second)" 'BEGIN {print a + b}' >> "$work/apart"
  two_ranks "${small[@]}" --bucket-mb 0.004
  field "$work/r0.json" images_per_second >> "$work/buckets"
  "$d2a" "${small[@]}" --threads 1 --json > "$work/single.json"
  field "$work/single.json" images_per_second >> "$work/one"
  field "$work/single.json" test_accuracy >> "$work/acc1"
  two_ranks "${small[@]}"
  field "$work/r0.json" images_per_second >> "$work/two"
  field "$work/r0.json" test_accuracy >> "$work/acc2"
  two_ranks "${small[@]}" --balance speed
  field "$work/r0.json" images_per_second >> "$work/speed"
  field "$work/r0.json" test_accuracy >> "$work/accspeed"
  rank0_share >> "$work/shares"
  two_ranks "${small[@]}" --batch-size 128
  field "$work/r0.json" images_per_second >> "$work/two128"
  field "$work/r0.json" test_accuracy >> "$work/acc128"
  two_ranks "${small[@]}" --batch-size 128 --lr 0.1
  field "$work/r0.json" images_per_second >> "$work/lr128"
  field "$work/r0.json" test_accuracy >> "$work/acclr128"
done
one=$(median < "$work/one"); two=$(median < "$work/two"); two128=$(median < "$work/two128")
apart=$(median < "$work/apart"); buckets=$(median < "$work/buckets")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "C8 N1 16x16, all-conv3x3, $runs runs, medians:"
echo "  1 process, batch 64:                 $one images/s, test accuracy $(median < "$work/acc1") %"
echo "  2 processes, batch 64 (32 per rank):  $two images/s, test accuracy $(median < "$work/acc2") %  ratio $(ratio "$two" "$one")"
echo "  2 processes, batch 128 (64 per rank): $two128 images/s, test accuracy $(median < "$work/acc128") %  ratio $(ratio "$two128" "$one")"
speed=$(median < "$work/speed")
echo "  2 processes, batch 64, --balance speed: $speed images/s, test accuracy $(median < "$work/accspeed") %  ratio $(ratio "$speed" "$one")  (rank 0's final share: $(tr '\n' ' ' < "$work/shares"))"
lr128=$(median < "$work/lr128")
echo "  the same with --lr 0.1 (linear scaling): $lr128 images/s, test accuracy $(median < "$work/acclr128") %  ratio $(ratio "$lr128" "$one")"
echo "  ceiling: 2 independent processes of batch 32, no communication: $apart images/s in all  ratio $(ratio "$apart" "$one")"
echo "  2 processes, batch 64, 4 KB buckets started during backward: $buckets images/s  ratio $(ratio "$buckets" "$one")"

big=(train --data fashion-mnist --arch "$cell" --budget cpu-fast --channels 16 --cells 5 --image-size 32
     --train-per-class 13 --epochs 1 --seed 1)
two_ranks "${big[@]}"
comm=$(field "$work/r0.json" communication_seconds); total=$(field "$work/r0.json" train_seconds)
echo "C16 N5 32x32, 2 processes, 3 steps: $comm s of $total s in all-reduce ($(awk -v a="$comm" -v b="$total" 'BEGIN {printf "%.1f", 100 * a / b}') %)"

: > "$work/hog_equal"; : > "$work/hog_speed"; : > "$work/hog_one"; : > "$work/hog_shares"
taskset -c 1 sh -c 'while :; do :; done' &
hog=$!
for i in $(seq "$runs"); do
  two_ranks "${small[@]}"
  field "$work/r0.json" images_per_second >> "$work/hog_equal"
  two_ranks "${small[@]}" --balance speed
  field "$work/r0.json" images_per_second >> "$work/hog_speed"
  rank0_share >> "$work/hog_shares"
  taskset -c 0 "$d2a" "${small[@]}" --threads 1 --json > "$work/single.json"
  field "$work/single.json" images_per_second >> "$work/hog_one"
done
kill "$hog"
hog=""
hog_one=$(median < "$work/hog_one")
echo "C8 N1 16x16 as in part 1, CPU 1 shared with a busy loop, $runs runs, medians:"
echo "  1 process on CPU 0:                  $hog_one images/s"
echo "  2 processes, equal shares:           $(median < "$work/hog_equal") images/s  ratio $(ratio "$(median < "$work/hog_equal")" "$hog_one")"
echo "  2 processes, --balance speed:        $(median < "$work/hog_speed") images/s  ratio $(ratio "$(median < "$work/hog_speed")" "$hog_one")  (rank 0's final share: $(tr '\n' ' ' < "$work/hog_shares"))"
