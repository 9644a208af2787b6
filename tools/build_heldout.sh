#!/usr/bin/env bash
# Builds the held-out ground-truth tables of meta_db/heldout: the same 150 cells
# (meta_db/heldout/cells.txt, tools/heldout_cells.py) trained from scratch under cpu-user on one
# 10-class task of each held-out source, test images from the source's own test split (unseen
# icon themes, clip-art pictures, typefaces). Evaluation data only: no database record, feature
# extractor or meta-model ever trains on these sources.
#   tools/build_heldout.sh [SOURCE...]      (default: icons clipart arabic)
# Environment: JOBS (parallel processes, one thread each; default the number of cores);
# REPEATS (training runs per cell, each with its own seed, default 1: the tables as first
# shipped; REPEATS=2 on an existing table adds a second run of every cell, which
# tools/eval_heldout.py averages and uses to measure the table's own agreement).
# Re-running resumes unfinished tables; each writes meta_db/heldout/<source>.h5 and .csv.
set -euo pipefail
cd "$(dirname "$0")/.."
d2a=build/d2a
source tools/heldout_sources.sh
sources=("$@")
((${#sources[@]})) || sources=(icons clipart arabic)
for name in "${sources[@]}"; do
  [[ -n ${heldout_spec[$name]:-} ]] || { echo "build_heldout: unknown source '$name' (icons, clipart, arabic)" >&2; exit 2; }
done
source tools/packages.sh
ensure_packages python3-h5py python3-numpy
[[ -x $d2a ]] || tools/setup.sh
[[ -f build/data/glyphs/manifest.json ]] || tools/make_glyphs.sh build/data/glyphs --seed 0
[[ -f build/data/pictures/manifest.json ]] || tools/make_pictures.sh build/data/pictures --seed 0
jobs="${JOBS:-$(nproc)}"
out=meta_db/heldout

build() {
  local name=$1 resume=()
  [[ -f $out/$name.h5 ]] && resume=(--resume)
  heldout_db_build "$name" "$out/$name.h5" --archs-file "$out/cells.txt" \
    --repeats "${REPEATS:-1}" "${resume[@]}" > "build/heldout-$name.json"
  /usr/bin/python3 tools/heldout_table.py "$out/$name.h5" "$out/$name.csv"
}
running=0
pids=()
for name in "${sources[@]}"; do
  if ((running >= jobs)); then wait -n; running=$((running - 1)); fi
  build "$name" &
  pids+=($!)
  running=$((running + 1))
done
for pid in "${pids[@]}"; do wait "$pid"; done  # a failed build fails the script
