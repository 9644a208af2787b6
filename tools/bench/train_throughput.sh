#!/usr/bin/env bash
# Training images/s of the NAS-Bench-201 cell network: d2a's C++ trainer step against the same
# network and step in PyTorch's Python API (Debian's python3-torch: the same LibTorch 1.13).
# Runs C++ and Python alternately, REPEATS times each, on an otherwise idle machine, and prints
# for three cells the median images/s of each and the median (and range) of the ratio of each
# C++ run to the Python run right after it.
#   tools/bench/train_throughput.sh [REPEATS] [extra flags for both, e.g. --channels 16 --size 32]
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats="${1:-3}"
shift || true
source tools/packages.sh
ensure_packages python3-torch
ninja -C build d2a_bench_train >&2
cells=(
  '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|'
  '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'
  '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|'
)
args=()
for c in "${cells[@]}"; do args+=(--cell "$c"); done
out=$(mktemp)
for ((r = 0; r < repeats; r++)); do
  build/d2a_bench_train "${args[@]}" "$@" >> "$out"
  /usr/bin/python3 tools/bench/train_throughput.py "${args[@]}" "$@" >> "$out"
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cfg = rows[0]
repeats = len(rows) // (2 * len(dict.fromkeys(r["cell"] for r in rows)))
print(f"C={cfg['channels']} N={cfg['cells']} {cfg['size']}x{cfg['size']} batch {cfg['batch']}, "
      f"{cfg['threads']} threads, {repeats} alternating runs: medians, and the median and range "
      f"of the ratios of runs made back to back (the machine's speed drifts between runs)")
print(f"{'cell':<100} {'c++ img/s':>10} {'python':>10} {'ratio':>6} {'range':>11}")
for cell in dict.fromkeys(r["cell"] for r in rows):
    cpp = [r["images_per_second"] for r in rows if r["cell"] == cell and r["impl"] == "c++"]
    py = [r["images_per_second"] for r in rows if r["cell"] == cell and r["impl"] == "python"]
    ratios = [c / p for c, p in zip(cpp, py)]
    print(f"{cell:<100} {statistics.median(cpp):>10.0f} {statistics.median(py):>10.0f} "
          f"{statistics.median(ratios):>6.2f} {min(ratios):>5.2f}-{max(ratios):<5.2f}")
PY
rm -f "$out"
