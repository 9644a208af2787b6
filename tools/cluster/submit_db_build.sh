#!/usr/bin/env bash
# Builds a meta-database on a Slurm cluster: an array of SHARDS `d2a db build` tasks, then a
# merge job that starts when all of them succeeded (--dependency=afterok).
#
#   tools/cluster/submit_db_build.sh [--wait] OUT.h5 SHARDS [d2a db build arguments...]
#   e.g. tools/cluster/submit_db_build.sh meta_db/mine.h5 8 --data fashion-mnist digits \
#          --tasks 96 --archs-per-task 17 --budget cpu-db --seed 2026
#
# D2A (default: build/d2a of this checkout) must be reachable from the compute nodes, and so
# must the data and OUT's folder (a shared filesystem). Shards go to OUT's folder, in
# <OUT>.shards/. With --wait, returns when the merge has finished (sbatch --wait), with its
# exit status. Extra sbatch options: SBATCH_PARTITION, SBATCH_ACCOUNT, ... (sbatch reads them).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
wait_flag=()
if [[ ${1:-} == --wait ]]; then wait_flag=(--wait); shift; fi
(($# >= 2)) || { sed -n '2,13p' "$0" >&2; exit 2; }
out="$(realpath -m "$1")"
shards="$2"
shift 2
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit_db_build: SHARDS must be a positive integer, not '$shards'" >&2; exit 2; }
export D2A="${D2A:-$root/build/d2a}"
export SHARD_DIR="$out.shards"
export OUT="$out"
mkdir -p "$SHARD_DIR"
cd "$SHARD_DIR"  # the jobs' logs land beside their shards
array=$(sbatch --parsable --export=ALL --array=0-$((shards - 1)) "$root/tools/cluster/db_build.sbatch" "$@")
array=${array%%;*}
echo "submitted shard array $array ($shards tasks), logs in $SHARD_DIR" >&2
sbatch "${wait_flag[@]}" --parsable --export=ALL --dependency=afterok:"$array" \
  "$root/tools/cluster/db_merge.sbatch"
