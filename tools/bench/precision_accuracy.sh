#!/usr/bin/env bash
# Does bf16 autocast keep accuracy? Trains the same cells with the same seeds in fp32 and in
# bf16 (d2a train --precision) on real CIFAR-10 images and prints, per cell and precision, the
# mean test accuracy over the seeds and the training throughput. CIFAR-10 is only trained and
# evaluated on here, as any user's data would be; nothing meta-learned sees it.
#
#   tools/bench/precision_accuracy.sh [--seeds "0 1"] [--epochs 10] [--per-class 500] [--threads 2]
#
# Defaults: C16 N1 at 32x32 (nb201-12ep with C, N, epochs and images overridden), 500 training
# images per class from CIFAR-10's train split, 100 per class from its test split; three cells
# from strong to weak. About 12 minutes on 2 cores with AMX. Writes build/bench/precision/*.json.
# The img/s column comes from those runs (resumed runs keep theirs); the last lines time the
# whole training loop afresh, 2 epochs of cell 0 in each precision: run it on an idle machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
shared=${SHARED:-$root/../shared}
seeds="0 1" epochs=10 per_class=500 threads=2
while [[ $# -gt 0 ]]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --per-class) per_class=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "precision_accuracy: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x $build/d2a ]] || { echo "precision_accuracy: build d2a first (ninja -C $build d2a)" >&2; exit 1; }
"$root/tools/unpack_cifar10.sh" "$build" "$shared" train test
data="$build/data/cifar10"
out="$build/bench/precision"
mkdir -p "$out"
cells=(
  '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|'
  '|nor_conv_1x1~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|skip_connect~1|nor_conv_3x3~2|'
  '|avg_pool_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|'
)
for c in "${!cells[@]}"; do
  for precision in fp32 bf16; do
    for seed in $seeds; do
      f="$out/cell$c-$precision-seed$seed.json"
      [[ -s $f ]] && continue  # a killed run resumes where it stopped
      "$build/d2a" train --data "$data/train" --test-data "$data/test" --arch "${cells[$c]}" \
        --budget nb201-12ep --channels 16 --cells 1 --epochs "$epochs" \
        --train-per-class "$per_class" --test-per-class 100 --precision "$precision" \
        --seed "$seed" --threads "$threads" --json > "$f.part" 2> "$out/cell$c-$precision-seed$seed.log"
      mv "$f.part" "$f"
    done
  done
done
/usr/bin/python3 - "$out" "$seeds" "${cells[@]}" <<'PY'
import json, statistics, sys
out, seeds, cells = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
print(f"{'cell':<4} {'precision':<9} {'test acc % (mean, per seed)':<34} {'img/s':>8}")
for c, cell in enumerate(cells):
    for p in ("fp32", "bf16"):
        runs = [json.load(open(f"{out}/cell{c}-{p}-seed{s}.json")) for s in seeds]
        accs = [r["test_accuracy"] for r in runs]
        ips = statistics.mean(r["images_per_second"] for r in runs)
        print(f"{c:<4} {p:<9} {statistics.mean(accs):6.2f} ({', '.join(f'{a:.1f}' for a in accs)}){'':<8} {ips:8.0f}")
    print(f"     {cell}")
PY
echo "whole training loop, cell 0, 2 epochs, this run:"
for precision in fp32 bf16; do
  "$build/d2a" train --data "$data/train" --test-data "$data/test" --arch "${cells[0]}" \
    --budget nb201-12ep --channels 16 --cells 1 --epochs 2 --train-per-class "$per_class" \
    --test-per-class 100 --precision "$precision" --seed 0 --threads "$threads" --json 2> /dev/null \
    | /usr/bin/python3 -c 'import json, sys; r = json.load(sys.stdin); print("  %s: %.0f images/s" % (sys.argv[1], r["images_per_second"]))' "$precision"
done
