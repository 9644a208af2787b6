#!/usr/bin/env bash
# What `suggest --target cpu` adds to a suggestion: the seconds d2a spends timing the 30
# best-ranked candidates on this machine (the JSON's target.measured.seconds), with the cache
# off, at batch 1 alone and at batch 1 plus a second batch, alternately, REPEATS times each.
# Prints min / median / max of each. Run it on an otherwise idle machine: it is a timing.
#   tools/bench/suggest_latency.sh [REPEATS] [DATA] [SECOND_BATCH]
#   (defaults: 5, build/data/cifar10 (tools/unpack_cifar10.sh makes it), 16)
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats="${1:-5}"
data="${2:-build/data/cifar10}"
batch="${3:-16}"
[[ -x build/d2a ]] || { echo "suggest_latency: build/d2a not built (run tools/setup.sh)" >&2; exit 1; }
[[ -e $data ]] || { echo "suggest_latency: no images at $data" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 0; r < repeats; r++)); do
  build/d2a suggest --data "$data" --target cpu --latency-cache none --json --threads 2 \
    > "$out/b1-$r.json"
  build/d2a suggest --data "$data" --target cpu --latency-cache none --latency-batch "$batch" \
    --json --threads 2 > "$out/b$batch-$r.json"
done
/usr/bin/python3 - "$out" "$batch" <<'PY'
import glob, json, statistics, sys
out, batch = sys.argv[1], sys.argv[2]
for label, pattern in (("batch 1", "b1-*.json"), (f"batch 1 + {batch}", f"b{batch}-*.json")):
    runs = [json.load(open(f))["target"]["measured"] for f in sorted(glob.glob(f"{out}/{pattern}"))]
    s = sorted(m["seconds"] for m in runs)
    print(f"suggest --target cpu, {runs[0]['cells']} candidates timed, {label}, "
          f"{runs[0]['threads']} threads, {len(s)} runs: +{s[0]:.2f} / {statistics.median(s):.2f} / "
          f"{s[-1]:.2f} s (min / median / max); {runs[0]['machine']}")
PY
