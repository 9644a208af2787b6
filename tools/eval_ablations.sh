#!/usr/bin/env bash
# The dataset term's ablations in one table: every ranking below on the held-out tables of
# meta_db/heldout (tools/eval_heldout.sh) and on CIFAR-10 (tools/eval_suggest.sh), 5 seeds each,
# then tools/ablation_table.py prints them side by side (a Markdown table). Nothing here trains
# on a held-out source or on CIFAR-10; the one model it may train is the database-only MetaD2A.
#   prior-w0      the shipped ranking: the dataset-blind prior (--residual-weight 0)
#   w025/w05/w1   prior + W x the dataset term (--residual-weight W)
#   db-only       pure MetaD2A: a model meta-trained on the database alone, no benchmark columns
#   naswot        the prior blended 50/50 with NASWOT on the user's images
#   tools/eval_ablations.sh [--skip-heldout] [--skip-cifar] [--db-only DIR]
# --db-only: the database-only model (default build/models/v3-db-only, trained here when missing
# with the command in models/README.md minus the benchmark columns: ~10 min on one core).
# Summaries go to build/eval/heldout-<row>.json and build/eval/suggest-<row>.json; a skipped half
# is read from an earlier run where one exists.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${D2A_BUILD_DIR:-$root/build}"
heldout=1
cifar=1
db_only="$build/models/v3-db-only"
while (($#)); do
  case "$1" in
    --skip-heldout) heldout=0; shift ;;
    --skip-cifar) cifar=0; shift ;;
    --db-only) db_only="${2:?--db-only needs a model folder}"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "eval_ablations: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -x $build/d2a ]] || { echo "eval_ablations: $build/d2a is missing: run tools/setup.sh" >&2; exit 2; }
if [[ ! -f $db_only/model.json ]]; then
  echo "eval_ablations: training the database-only model into $db_only" >&2
  "$build/d2a" meta-train --db "$root/meta_db/d2a-cpu-v2.h5" --out "$db_only" \
    --features "$root/models/features" --epochs 30 --lr 0.001 --batch-size 32 \
    --images-per-class 20 --val-fraction 0.15 --top-k 5 --hidden 512 --seed 0 \
    --standardise task --threads 1 >&2
fi

# label | --model (or empty) | suggest flags on the held-out tables | suggest flags on CIFAR-10
rows=(
  "prior-w0||--residual-weight 0|--residual-weight 0"
  "w025||--residual-weight 0.25|--residual-weight 0.25"
  "w05||--residual-weight 0.5|--residual-weight 0.5"
  "w1||--residual-weight 1|--residual-weight 1"
  "db-only|$db_only||"
  "naswot||--residual-weight 0 --blend-naswot 0.5 --naswot-top 150|--residual-weight 0 --blend-naswot 0.5"
)
summaries=()
for row in "${rows[@]}"; do
  IFS='|' read -r label model heldout_flags cifar_flags <<< "$row"
  model_args=()
  [[ -n $model ]] && model_args=(--model "$model")
  read -ra hf <<< "$heldout_flags"
  read -ra cf <<< "$cifar_flags"
  if ((heldout)); then
    "$root/tools/eval_heldout.sh" --label "$label" "${model_args[@]}" -- "${hf[@]}" >&2
  fi
  if ((cifar)); then
    "$root/tools/eval_suggest.sh" --label "$label" "${model_args[@]}" -- "${cf[@]}" >&2
  fi
  summaries+=("$label=$build/eval/heldout-$label.json,$build/eval/suggest-$label.json")
done
/usr/bin/python3 "$root/tools/ablation_table.py" "${summaries[@]}"
