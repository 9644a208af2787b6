#!/usr/bin/env bash
# Builds the meta-database that ships in meta_db/ from real data nobody on this project wrote:
# Fashion-MNIST (Debian), the 8x8 digits (Debian python3-sklearn), ten glyph datasets rendered
# from Debian font packages by tools/make_glyphs.sh, and the emoji pictures of
# tools/make_pictures.sh (Noto Color Emoji). Never CIFAR-10, and never a held-out source of
# meta_db/heldout (icons, clip art, Arabic glyphs).
#   tools/build_meta_db.sh [OUT.h5] [SHARDS]
# Runs SHARDS processes of `d2a db build --shard I/N` (one thread each), then `d2a db merge`.
# Re-running resumes the shards where they stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-meta_db/d2a-cpu-v2.h5}"
shards="${2:-$(nproc)}"
seed=2026
tasks=96
archs=17
d2a=build/d2a
glyphs=build/data/glyphs
pictures=build/data/pictures

[[ -x $d2a ]] || tools/setup.sh
[[ -f $glyphs/manifest.json ]] || tools/make_glyphs.sh "$glyphs" --seed 0
[[ -f $pictures/manifest.json ]] || tools/make_pictures.sh "$pictures" --seed 0

# Sources whose every class has at least 50 training images and 20 test images (devanagari,
# thai and cherokee have too few typefaces).
data=(fashion-mnist digits)
for script in latin latin-lower numerals greek cyrillic armenian georgian hebrew math; do
  data+=("$glyphs/$script")
done
data+=("$pictures/emoji")

dir=build/meta_db_shards/$(basename "$out" .h5)
mkdir -p "$dir"
start=$(date +%s)
pids=()
for ((i = 0; i < shards; i++)); do
  shard=$dir/shard-$i-of-$shards.h5
  resume=()
  [[ -f $shard ]] && resume=(--resume)
  "$d2a" db build --data "${data[@]}" --out "$shard" --tasks $tasks --archs-per-task $archs \
    --budget cpu-db --test-split test --min-classes 5 --max-classes 10 --seed $seed \
    --shard "$i/$shards" --threads 1 --json "${resume[@]}" > "$dir/shard-$i.json" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
echo "build_meta_db: shards done in $(( $(date +%s) - start )) s wall" >&2
rm -f "$out"
"$d2a" db merge --out "$out" "$dir"/shard-*-of-$shards.h5
"$d2a" db info "$out"
echo "build_meta_db: total $(( $(date +%s) - start )) s wall" >&2
