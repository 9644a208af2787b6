#!/usr/bin/env bash
# What `suggest --target cpu` adds to a suggestion: the seconds d2a spends timing the 30
# best-ranked candidates on this machine (the JSON's target.measured.seconds), with the cache
# off, at batch 1 alone and at batch 1 plus a second batch, alternately, REPEATS times each, for
# each --latency-tolerance in TOLERANCES (alternately too, so a slow spell hits them alike).
# Prints min / median / max of the seconds, the median count of timed forwards, and how far a
# cell's median latency moves between runs (max / min - 1 over the runs, the median of that over
# the 30 cells): the noise the early stop's error (at most half the tolerance) should stay under.
# Run it on an otherwise idle machine: it is a timing.
#   tools/bench/suggest_latency.sh [REPEATS] [DATA] [SECOND_BATCH] [TOLERANCES]
#   (defaults: 5, build/data/cifar10 (`tools/unpack_cifar10.sh build ../shared test` makes it),
#   16, "0.05" (the default); "0 0.05" compares timing every forward with the early stop)
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats="${1:-5}"
data="${2:-build/data/cifar10}"
batch="${3:-16}"
read -r -a tolerances <<< "${4:-0.05}"
[[ -x build/d2a ]] || { echo "suggest_latency: build/d2a not built (run tools/setup.sh)" >&2; exit 1; }
[[ -e $data ]] || { echo "suggest_latency: no images at $data" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 0; r < repeats; r++)); do
  for t in "${tolerances[@]}"; do
    build/d2a suggest --data "$data" --target cpu --latency-cache none --latency-tolerance "$t" \
      --top 30 --json --threads 2 > "$out/t$t-b1-$r.json"
    build/d2a suggest --data "$data" --target cpu --latency-cache none --latency-tolerance "$t" \
      --latency-batch "$batch" --top 30 --json --threads 2 > "$out/t$t-b$batch-$r.json"
  done
done
/usr/bin/python3 - "$out" "$batch" "${tolerances[@]}" <<'PY'
import glob, json, statistics, sys
out, batch, tolerances = sys.argv[1], sys.argv[2], sys.argv[3:]
for t in tolerances:
    for label, pattern in (("batch 1", f"t{t}-b1-*.json"), (f"batch 1 + {batch}", f"t{t}-b{batch}-*.json")):
        results = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/{pattern}"))]
        runs = [r["target"]["measured"] for r in results]
        s = sorted(m["seconds"] for m in runs)
        spreads = []
        for key in ("latency_ms", "latency_batch_ms") if "+" in label else ("latency_ms",):
            cells = {}
            for r in results:
                for c in r["suggestions"]:
                    if c.get(key) is not None:
                        cells.setdefault(c["arch"], []).append(c[key])
            moved = [max(v) / min(v) - 1 for v in cells.values() if len(v) == len(results)]
            spreads.append(f"{100 * statistics.median(moved):.1f} %" if len(results) > 1 else "-")
        forwards = statistics.median(m["forwards"] for m in runs)
        print(f"suggest --target cpu --latency-tolerance {t}, {runs[0]['cells']} candidates timed, "
              f"{label}, {runs[0]['threads']} threads, {len(s)} runs: +{s[0]:.2f} / "
              f"{statistics.median(s):.2f} / {s[-1]:.2f} s (min / median / max), "
              f"{forwards:g} forwards timed (median), a cell's median moves {' / '.join(spreads)} "
              f"between runs; {runs[0]['machine']}")
PY
