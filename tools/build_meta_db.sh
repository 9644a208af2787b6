#!/usr/bin/env bash
# Builds the meta-database that ships in meta_db/ from real data nobody on this project wrote:
# Fashion-MNIST (Debian), the 8x8 digits (Debian python3-sklearn) and nine glyph datasets
# rendered from Debian font packages by tools/make_glyphs.sh. Never CIFAR-10.
#   tools/build_meta_db.sh [OUT.h5] [SHARDS]
# Runs SHARDS processes of `d2a db build --shard I/N` (one thread each), then `d2a db merge`.
# Re-running resumes the shards where they stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-meta_db/d2a-cpu-v1.h5}"
shards="${2:-$(nproc)}"
seed=2026
tasks=60
archs=17
d2a=build/d2a
glyphs=build/data/glyphs

[[ -x $d2a ]] || tools/setup.sh
[[ -f $glyphs/manifest.json ]] || tools/make_glyphs.sh "$glyphs" --seed 0

# Glyph scripts with at least 70 training images per class (cpu-fast draws 50 + 20).
data=(fashion-mnist digits)
for script in latin latin-lower numerals greek cyrillic armenian georgian hebrew math; do
  data+=("$glyphs/$script")
done

mkdir -p build/meta_db_shards
start=$(date +%s)
pids=()
for ((i = 0; i < shards; i++)); do
  shard=build/meta_db_shards/shard-$i-of-$shards.h5
  resume=()
  [[ -f $shard ]] && resume=(--resume)
  "$d2a" db build --data "${data[@]}" --out "$shard" --tasks $tasks --archs-per-task $archs \
    --budget cpu-fast --no-flip --min-classes 5 --max-classes 10 --seed $seed \
    --shard "$i/$shards" --threads 1 --json "${resume[@]}" > "build/meta_db_shards/shard-$i.json" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
echo "build_meta_db: shards done in $(( $(date +%s) - start )) s wall" >&2
rm -f "$out"
"$d2a" db merge --out "$out" build/meta_db_shards/shard-*-of-$shards.h5
"$d2a" db info "$out"
echo "build_meta_db: total $(( $(date +%s) - start )) s wall" >&2
