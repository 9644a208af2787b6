#!/usr/bin/env bash
# A folder of phone photos: what `d2a suggest` and `d2a train` cost in time and memory on
# 4032x3024 JPEGs (2 classes of 60, made once by tools/bench/make_photos.cpp in
# build/bench/photos), one run each, wall seconds and peak resident memory (GNU time).
# With `webp`, the same photos as lossy WebP (quality 80, written once by Pillow into
# build/bench/photos-webp).
#
#   tools/bench/photo_folder.sh [D2A] [jpeg|webp]   (default build/d2a, jpeg)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
d2a="${1:-$root/build/d2a}"
format="${2:-jpeg}"
[[ $format == jpeg || $format == webp ]] || { echo "photo_folder: format must be jpeg or webp" >&2; exit 2; }
photos="$root/build/bench/photos"
if [[ ! -f $photos/.complete ]]; then
  mkdir -p "$root/build/bench"
  g++ -O2 -std=c++17 -o "$root/build/bench/make_photos" "$root/tools/bench/make_photos.cpp" -lstb
  rm -rf "$photos"
  echo "photo_folder: writing 120 JPEGs of 4032x3024 into $photos (about 2 minutes)" >&2
  "$root/build/bench/make_photos" "$photos" 2 60
  touch "$photos/.complete"
fi
if [[ $format == webp ]]; then
  source "$root/tools/packages.sh"
  ensure_packages python3-pil
  webp="$root/build/bench/photos-webp"
  if [[ ! -f $webp/.complete ]]; then
    rm -rf "$webp"
    echo "photo_folder: writing the 120 photos as WebP into $webp (a few minutes)" >&2
    /usr/bin/python3 - "$photos" "$webp" <<'PY'
import os, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
for cls in sorted(os.listdir(src)):
    if not os.path.isdir(os.path.join(src, cls)):
        continue
    os.makedirs(os.path.join(dst, cls), exist_ok=True)
    for name in sorted(os.listdir(os.path.join(src, cls))):
        stem = os.path.splitext(name)[0]
        Image.open(os.path.join(src, cls, name)).save(os.path.join(dst, cls, stem + ".webp"), quality=80)
PY
    touch "$webp/.complete"
  fi
  photos="$webp"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cell='|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|'
measure() {  # NAME THREADS ARGS...
  local name="$1" threads="$2"
  shift 2
  /usr/bin/time -f "%e %M" -o "$work/time" "$d2a" "$@" --threads "$threads" --json > "$work/out" 2> "$work/err" \
    || { echo "$name: failed" >&2; tail -3 "$work/err" >&2; return 1; }
  read -r wall rss < "$work/time"
  printf '%-34s threads %d  %7.1f s  peak RSS %6.0f MB\n' "$name" "$threads" "$wall" "$((rss / 1024))"
}
echo "d2a: $d2a ($("$d2a" --version))"
for threads in 1 2; do
  measure "suggest (all 60 a class read)" "$threads" suggest --data "$photos"
done
measure "suggest --pool 20" 2 suggest --data "$photos" --pool 20
measure "train cpu-fast, 1 epoch" 2 train --data "$photos" --test-data "$photos" --arch "$cell" \
  --budget cpu-fast --epochs 1
