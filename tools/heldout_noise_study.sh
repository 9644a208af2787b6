#!/usr/bin/env bash
# Does a larger user budget make a held-out table agree with itself? Trains every STEP-th cell of
# meta_db/heldout/cells.txt twice (two seeds) on the same task and test images as the shipped
# table of each source, under cpu-user with the overrides given after --, then prints how well
# the two runs agree (tools/heldout_noise.py) beside the shipped table's two runs of the same cells.
#   tools/heldout_noise_study.sh [--step K] [--out DIR] [SOURCE...] [-- DB-BUILD OVERRIDES]
# Default: --step 3 (50 cells), icons and clipart, overrides --train-per-class P --epochs 10 with
# P = 100 or the source's smallest class if fewer (icons 100, clip-art 96): about twice cpu-user's
# images for half its epochs, the same compute. Sources run in parallel, one thread each (JOBS, default the number of cores).
# Evaluation data only, like the tables: nothing trains on these sources.
set -euo pipefail
cd "$(dirname "$0")/.."
step=3
out=build/heldout_noise
sources=()
overrides=()
while (($#)); do
  case $1 in
    --step) step=${2:?--step needs a number}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --) shift; overrides=("$@"); break ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) sources+=("$1"); shift ;;
  esac
done
[[ $step =~ ^[1-9][0-9]*$ ]] || { echo "heldout_noise_study: --step must be a positive number (got '$step')" >&2; exit 2; }
((${#sources[@]})) || sources=(icons clipart)
source tools/heldout_sources.sh
for name in "${sources[@]}"; do
  [[ -n ${heldout_spec[$name]:-} ]] || { echo "heldout_noise_study: unknown source '$name' (icons, clipart, arabic)" >&2; exit 2; }
  [[ -f meta_db/heldout/$name.csv ]] || { echo "heldout_noise_study: no table meta_db/heldout/$name.csv" >&2; exit 2; }
done
[[ -x build/d2a ]] || { echo "heldout_noise_study: build/d2a is missing: run tools/setup.sh" >&2; exit 2; }
[[ -f build/data/glyphs/manifest.json ]] || tools/make_glyphs.sh build/data/glyphs --seed 0
[[ -f build/data/pictures/manifest.json ]] || tools/make_pictures.sh build/data/pictures --seed 0
mkdir -p "$out"
grep -v '^#' meta_db/heldout/cells.txt | awk -v k="$step" 'NR % k == 1 || k == 1' > "$out/cells.txt"

# P for the default overrides: 100, or the source's smallest class (db build needs P of each).
default_overrides() {
  local smallest=100 class n
  for class in "${heldout_spec[$1]}"/train/*/; do
    n=$(find "$class" -type f | wc -l)
    ((n < smallest)) && smallest=$n
  done
  echo --train-per-class "$smallest" --epochs 10
}

echo "heldout_noise_study: $(wc -l < "$out/cells.txt") cells x 2 runs on ${sources[*]}; overrides: ${overrides[*]:-$(for n in "${sources[@]}"; do echo -n "$n: $(default_overrides "$n"); "; done)}" >&2

build() {
  local name=$1 resume=() flags=("${overrides[@]}")
  ((${#flags[@]})) || read -ra flags < <(default_overrides "$name")
  [[ -f $out/$name.h5 ]] && resume=(--resume)
  # The table's own task (tools/heldout_sources.sh), so the test images match.
  heldout_db_build "$name" "$out/$name.h5" --archs-file "$out/cells.txt" --repeats 2 \
    "${flags[@]}" "${resume[@]}" > "$out/$name.json"
  /usr/bin/python3 tools/heldout_table.py "$out/$name.h5" "$out/$name.csv"
}
jobs="${JOBS:-$(nproc)}"
running=0
pids=()
for name in "${sources[@]}"; do
  if ((running >= jobs)); then wait -n; running=$((running - 1)); fi
  build "$name" &
  pids+=($!)
  running=$((running + 1))
done
for pid in "${pids[@]}"; do wait "$pid"; done
for name in "${sources[@]}"; do
  /usr/bin/python3 tools/heldout_noise.py --name "$name" --shipped "meta_db/heldout/$name.csv" \
    --study "$out/$name.csv"
done
