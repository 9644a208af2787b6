#!/usr/bin/env bash
# CPU cost of one search step of every method on the NAS-Bench-201 supernet (C=16, N=5, 32x32
# images, 10 classes), through `d2a search` as a user runs it: seconds per step (architecture +
# weight step) and the process's peak memory (/usr/bin/time -v), and PC-DARTS' memory relative
# to DARTS, by both the process's peak RSS and the peak of the tensors alone (the CPU analogue of
# CUDA's max_memory_allocated; `d2a search --json` reports it per epoch). Each method runs one epoch of STEPS steps on Fashion-MNIST (resized to 32x32) with
# its warm-up switched off so that every step updates the architecture; StacNAS runs its two
# stages (one epoch each) and reports the mean over both. "memory over base" subtracts the peak
# of the same run at batch 2 (LibTorch, the data and the supernet's weights), leaving what the
# batch costs.
#   [METHODS="darts pc-darts"] tools/bench/search_step.sh [BATCH=64] [STEPS=3] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
batch="${1:-64}"
steps="${2:-3}"
threads="${3:-2}"
[[ -x build/d2a ]] || { echo "search_step: build/d2a missing (tools/setup.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo '{"pc_darts": {"warmup_epochs": 0}, "ms_darts": {"warmup_epochs": 0}}' > "$work/config.json"
run() {  # method batch epochs per_class -> "seconds_per_step peak_kb peak_tensor_mb"
  local method=$1 b=$2 epochs=$3 per_class=$4 out="$work/$1-$2"
  /usr/bin/time -v -o "$out.time" build/d2a search --method "$method" --data fashion-mnist \
    --per-class "$per_class" --epochs "$epochs" --batch "$b" --image-size 32 --channels 16 \
    --cells 5 --threads "$threads" --seed 0 --no-plot --config "$work/config.json" \
    --out "$out" --json > "$out.json"
  /usr/bin/python3 - "$out.json" "$out.time" "$b" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
half = r["images"] // 2
steps_per_epoch = half // int(sys.argv[3])
seconds = sum(e["seconds"] for e in r["history"])
peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(sys.argv[2]).read()).group(1))
tensors = max(e.get("peak_tensor_mb", -1) for e in r["history"])
print(seconds / (steps_per_epoch * len(r["history"])), peak, round(tensors))
PY
}
per_class=$(( (2 * batch * steps + 9) / 10 ))  # 10 classes; each half holds `steps` batches
printf "%-9s %9s %9s %18s %12s %18s\n" method "s/step" "peak MB" "RSS over base" "tensors MB" "tensors over base"
declare -A over tover
for method in ${METHODS:-darts darts2 pc-darts ms-darts gdas stacnas}; do
  epochs=1; [[ $method == stacnas ]] && epochs=2
  read -r sec peak tensors < <(run "$method" "$batch" "$epochs" "$per_class")
  read -r _ base tbase < <(run "$method" 2 "$epochs" 2)
  over[$method]=$(( (peak - base) / 1024 ))
  tover[$method]=$(( tensors - tbase ))
  printf "%-9s %9.2f %9d %15d MB %12d %15d MB\n" "$method" "$sec" $((peak / 1024)) "${over[$method]}" \
    "$tensors" "${tover[$method]}"
done
ratio() { /usr/bin/python3 -c "print(round($1 / max(1, $2), 3))"; }
if [[ -n "${over[darts]:-}" && -n "${over[pc-darts]:-}" ]]; then
  echo "batch $batch, $threads threads; PC-DARTS / DARTS over base:" \
    "RSS $(ratio "${over[pc-darts]}" "${over[darts]}"), tensors $(ratio "${tover[pc-darts]}" "${tover[darts]}")"
fi
