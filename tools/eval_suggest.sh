#!/usr/bin/env bash
# Evaluates `d2a suggest` on CIFAR-10, the held-out target (its test images; nothing here trains
# anything), for any meta-model directory:
#   (1) NAS-Bench-201 200-epoch CIFAR-10 test accuracy of the first suggested cell, the mean of
#       the top 5 and the best of the top 30 (the paper's oracle pick), mean +- std over seeds;
#   (2) Spearman and Kendall tau between the predictor's score of every cell (given CIFAR-10
#       images) and its true accuracy, over all 15,625 cells and over the 9,445 cells of the
#       zero-cost proxies table, beside NASWOT (nwot), synflow, FLOPs and params there;
#   (3) wall time and peak memory of `d2a suggest` on CIFAR-10 as a new process (/usr/bin/time).
# Prints a table and writes a JSON summary.
#
#   tools/eval_suggest.sh [--model DIR] [--out FILE.json] [--seeds "0 1 2 3 4"] [--threads N]
#                         [--label NAME] [--no-all] [-- EXTRA SUGGEST FLAGS...]
# e.g. tools/eval_suggest.sh --model models/d2a-meta-v3 --out build/eval/v1.json
#      tools/eval_suggest.sh --model build/ablation-x --label ablation-x -- --blend-naswot 0.3
# The extra flags go to every run, the --all scoring run included (its correlation uses the
# predictor's score column, which a NASWOT blend does not change; --residual-weight does).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${D2A_BUILD_DIR:-$root/build}"
d2a="$build/d2a"
shared="${D2A_SHARED_DIR:-$root/../shared}"
model=""
out=""
seeds="0 1 2 3 4"
threads=2
label=""
do_all=1
extra=()
while (($#)); do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    --no-all) do_all=0; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "eval_suggest: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
model_args=()
[[ -n $model ]] && model_args=(--model "$model")
[[ -z $label ]] && label="$(basename "${model:-d2a-meta-v3}")"
[[ -z $out ]] && out="$build/eval/suggest-$label.json"
work="$build/eval/suggest-$label"
mkdir -p "$work" "$(dirname "$out")"

[[ -x $d2a ]] || { echo "eval_suggest: $d2a not built (run tools/setup.sh)" >&2; exit 1; }
# The tool's own Debian packages: GNU time for peak memory, numpy for the statistics.
source "$root/tools/packages.sh"
ensure_packages time python3-numpy
bench="$shared/data/nb201/nb201_test_acc_200ep.csv"
proxies="$shared/data/nb201/nb201_zero_cost_proxies_cifar10.csv"
tarball="$shared/data/images/cifar10-jpeg.tar.gz"
for f in "$bench" "$proxies" "$tarball"; do
  [[ -f $f ]] || { echo "eval_suggest: missing shared data $f" >&2; exit 1; }
done

# CIFAR-10 test images, unpacked into the build tree once (never the source tree). The marker
# is the one the data tests use, so either unpacks for both.
"$(dirname "$0")/unpack_cifar10.sh" "$build" "$shared" test
data="$build/data/cifar10"
common=(--data "$data" --split test "${model_args[@]}" --threads "$threads")

# (1) ranked runs, one per seed.
runs=()
for seed in $seeds; do
  f="$work/top30-seed$seed.json"
  "$d2a" suggest "${common[@]}" --top 30 --seed "$seed" --json "${extra[@]}" > "$f"
  runs+=("$f")
done

# (2) every cell scored by the predictor.
scores_args=()
if ((do_all)); then
  "$d2a" suggest "${common[@]}" --all --top 1 --seed 0 --json --scores-out "$work/scores.csv" \
    "${extra[@]}" > "$work/all.json"
  scores_args=(--scores "$work/scores.csv")
fi

# (3) a fresh process with the default settings (and the extra flags), timed three times.
timings=()
timed=()
for i in 1 2 3; do
  t="$work/time-$i.txt"
  /usr/bin/time -v -o "$t" "$d2a" suggest "${common[@]}" --seed 0 --json "${extra[@]}" \
    > "$work/timed-$i.json"
  timings+=("$t")
  timed+=("$work/timed-$i.json")
done

/usr/bin/python3 "$root/tools/eval_suggest.py" --label "$label" --model "${model:-default}" \
  --bench "$bench" --proxies "$proxies" --runs "${runs[@]}" "${scores_args[@]}" \
  --timings "${timings[@]}" --timed-json "${timed[@]}" --extra "${extra[*]:-}" --out "$out"
