#!/usr/bin/env bash
# Evaluates `d2a suggest` on the held-out ground-truth tables of meta_db/heldout (sources no
# database record, extractor or meta-model ever trained on; nothing here trains anything):
# for each table, the model ranks the table's 150 cells for the table's own training images, and
# the tool reports, over seeds (the seed draws the images the model reads):
#   top-1 regret  best accuracy in the table minus the accuracy of the model's first pick
#   top-5 mean    mean table accuracy of the model's five first picks
#   Spearman      between the model's ranking score and the table's accuracies
# beside the same figures for the trivial picks (largest cell by FLOPs) and for chance.
#   tools/eval_heldout.sh [--model DIR] [--seeds "0 1 2 3 4"] [--label NAME] [--out FILE.json]
#                         [--tables "icons clipart arabic"] [-- EXTRA SUGGEST FLAGS...]
# e.g. tools/eval_heldout.sh --label prior-only -- --residual-weight 0
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${D2A_BUILD_DIR:-$root/build}"
d2a="$build/d2a"
model=""
seeds="0 1 2 3 4"
label=""
out=""
tables="icons clipart arabic"
extra=()
while (($#)); do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --tables) tables="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "eval_heldout: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
source "$root/tools/packages.sh"
ensure_packages python3-h5py python3-numpy python3-pil
[[ -x $d2a ]] || { echo "eval_heldout: $d2a not built (run tools/setup.sh)" >&2; exit 1; }
model_args=()
[[ -n $model ]] && model_args=(--model "$model")
[[ -z $label ]] && label="$(basename "${model:-default}")"
[[ -z $out ]] && out="$build/eval/heldout-$label.json"
work="$build/eval/heldout-$label"
mkdir -p "$work" "$(dirname "$out")"

runs=()
for table in $tables; do
  h5="$root/meta_db/heldout/$table.h5"
  [[ -f $h5 ]] || { echo "eval_heldout: missing $h5 (tools/build_heldout.sh $table)" >&2; exit 1; }
  # The table's own training images as an image folder (the images a user would give suggest).
  images="$build/eval/heldout-images/$table"
  if [[ ! -f $images/.done || $images/.done -ot $h5 ]]; then
    rm -rf "$images"
    /usr/bin/python3 "$root/tools/heldout_images.py" "$h5" "$images"
    touch "$images/.done"
  fi
  for seed in $seeds; do
    f="$work/$table-seed$seed.json"
    "$d2a" suggest --data "$images" --cells "$root/meta_db/heldout/cells.txt" --top 150 \
      --seed "$seed" --threads 2 --json "${model_args[@]}" "${extra[@]}" > "$f"
    runs+=("$table=$f")
  done
done
/usr/bin/python3 "$root/tools/eval_heldout.py" --label "$label" --model "${model:-default}" \
  --extra "${extra[*]:-}" --out "$out" "${runs[@]}"
