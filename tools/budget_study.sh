#!/usr/bin/env bash
# Which cheap budget ranks cells like the budget a user trains with? Trains the same cells on the
# same tasks under the reference budget (cpu-user: C8 N2 32x32, 20 epochs) and under candidate
# cheap budgets, then prints, per candidate, the Spearman correlation with the reference on each
# task, its mean, and the training seconds per record. Tasks come from meta-database sources
# (never a held-out source, never CIFAR-10); test images from each source's own test split.
#   tools/budget_study.sh [OUT_DIR] [CELLS_PER_TASK]     (default build/budget_study, 40)
# Environment: SOURCES (default: fashion-mnist and the latin upper- and lower-case glyphs, whose
# test splits hold at least TEST_PER_CLASS images per class), TEST_PER_CLASS (150),, SEED (2026),
# REF_REPEATS (training runs of each cell under the reference, default 2: the reference is their
# mean, and the agreement of two runs is the noise ceiling no candidate can beat),
# JOBS (parallel processes, one thread each; default the number of cores), ONLY (the names of
# the budgets to run, e.g. "reference C-C8N3-16px-10ep"; default all), SUMMARY_ONLY=1
# (print the summary of the builds in OUT_DIR as they are, train nothing).
# A candidate trained more than once per cell (the -x3 ones: db build --repeats 3) is compared
# by the mean of its runs, as a database built with --repeats would record it.
# Re-running resumes every unfinished build.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build/budget_study}"
cells="${2:-40}"
seed="${SEED:-2026}"
test_per_class="${TEST_PER_CLASS:-150}"
ref_repeats="${REF_REPEATS:-2}"
jobs="${JOBS:-$(nproc)}"
d2a=build/d2a

# name | budget flags. Every run: the same tasks (10 classes, seeded), the same cells, the same
# test images from the test split, no flips.
budgets=(
  "reference|--budget cpu-user --repeats $ref_repeats"
  "A-C8N1-16px-10ep|--budget cpu-fast"
  "B-C8N2-16px-10ep|--budget cpu-fast --cells 2"
  "C-C8N3-16px-10ep|--budget cpu-fast --cells 3"
  "D-C8N2-16px-20ep|--budget cpu-fast --cells 2 --epochs 20"
  "E-C8N2-32px-5ep|--budget cpu-user --epochs 5"
  "F-C8N2-32px-10ep-25img|--budget cpu-user --epochs 10 --train-per-class 25"
  "A-x3|--budget cpu-fast --repeats 3"
  "C-x3|--budget cpu-fast --cells 3 --repeats 3"
)
if [[ -n ${ONLY:-} ]]; then
  chosen=()
  for b in "${budgets[@]}"; do
    [[ " $ONLY " == *" ${b%%|*} "* ]] && chosen+=("$b")
  done
  ((${#chosen[@]})) && [[ ${chosen[0]%%|*} == reference ]] \
    || { echo "budget_study: ONLY must name the reference and known budgets (got '$ONLY')" >&2; exit 2; }
  budgets=("${chosen[@]}")
fi
# Installs and data only once the arguments are known to be good.
source tools/packages.sh
ensure_packages python3-h5py python3-numpy time
[[ -x $d2a ]] || tools/setup.sh
[[ -f build/data/glyphs/manifest.json ]] || tools/make_glyphs.sh build/data/glyphs --seed 0
[[ -f build/data/pictures/manifest.json ]] || tools/make_pictures.sh build/data/pictures --seed 0
read -r -a sources <<< "${SOURCES:-fashion-mnist build/data/glyphs/latin build/data/glyphs/latin-lower}"
mkdir -p "$dir"
run() {
  local name="${1%%|*}" flags="${1#*|}" resume=()
  [[ -f $dir/$name.h5 ]] && resume=(--resume)
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e" -o "$dir/$name.wall" "$d2a" db build --data "${sources[@]}" \
    --out "$dir/$name.h5" --tasks "${#sources[@]}" --archs-per-task "$cells" $flags \
    --min-classes 10 --max-classes 10 --test-split test --test-per-class "$test_per_class" --no-flip \
    --seed "$seed" --threads 1 --json "${resume[@]}" > "$dir/$name.json"
}
# The reference is the longest run: start it first, then the candidates as slots free up.
running=0
[[ ${SUMMARY_ONLY:-0} == 1 ]] && budgets_to_run=() || budgets_to_run=("${budgets[@]}")
for b in "${budgets_to_run[@]}"; do
  if ((running >= jobs)); then wait -n; running=$((running - 1)); fi
  run "$b" &
  running=$((running + 1))
done
wait

names=()
for b in "${budgets[@]}"; do names+=("${b%%|*}"); done
/usr/bin/python3 - "$dir" "${names[@]}" <<'PY'
import json, sys
import h5py, numpy as np

def ranks(v):
    return np.argsort(np.argsort(v)).astype(float)

def spearman(a, b):
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])

def load(path):
    """{(task, cell): [accuracy per seed, in seed order]}, mean training seconds, task sources."""
    with h5py.File(path) as f:
        cells = f["archs/cell"].asstr()[:]
        r = f["records"]
        runs = {}
        for t, a, x, s in sorted(zip(r["task"][:], r["arch"][:], r["accuracy"][:], r["seed"][:]),
                                 key=lambda row: (row[0], row[1])):
            runs.setdefault((int(t), cells[a]), []).append(float(x))
        secs = float(np.mean(r["train_seconds"][:]))
        sources = [f["tasks"][t].attrs["source"] for t in f["tasks"]]
    return runs, secs, sources

out_dir, names = sys.argv[1], sys.argv[2:]
ref, ref_secs, sources = load(f"{out_dir}/reference.h5")
tasks = sorted({t for t, _ in ref})
cells_of = {t: sorted(c for tt, c in ref if tt == t) for t in tasks}
truth = {k: float(np.mean(v)) for k, v in ref.items()}
ceiling = []
for t in tasks:
    pairs = [ref[(t, c)] for c in cells_of[t]]
    ceiling.append(spearman([p[0] for p in pairs], [p[1] for p in pairs])
                   if all(len(p) >= 2 for p in pairs) else float("nan"))
summary = {"reference": {"seconds_per_record": ref_secs, "sources": sources,
                         "two_runs_spearman": ceiling}, "candidates": {}}
short = [s.split("/")[-1][:12] for s in sources]
print(f"{'budget':26s} {'s/record':>8s} {'runs':>4s}  " + "  ".join(f"{s:>12s}" for s in short) + "      mean")
print(f"{'reference: run 1 vs run 2':26s} {ref_secs:8.2f} {'':>4s}  " + "  ".join(f"{c:12.3f}" for c in ceiling)
      + f"  {np.nanmean(ceiling) if not all(np.isnan(ceiling)) else float('nan'):8.3f}")
for name in names[1:]:
    acc, secs, _ = load(f"{out_dir}/{name}.h5")
    runs = min(len(acc[(t, c)]) for t in tasks for c in cells_of[t])
    per_task = [spearman([np.mean(acc[(t, c)]) for c in cells_of[t]], [truth[(t, c)] for c in cells_of[t]])
                for t in tasks]
    mean = float(np.mean(per_task))
    summary["candidates"][name] = {"seconds_per_record": secs, "runs_per_cell": runs,
                                   "spearman": per_task, "mean": mean}
    print(f"{name:26s} {secs:8.2f} {runs:4d}  " + "  ".join(f"{s:12.3f}" for s in per_task) + f"  {mean:8.3f}")
print("reference accuracy per task (mean, min-max): " + ", ".join(
    f"{np.mean([truth[(t, c)] for c in cells_of[t]]):.1f} ({min(truth[(t, c)] for c in cells_of[t]):.1f}-"
    f"{max(truth[(t, c)] for c in cells_of[t]):.1f})" for t in tasks))
print("candidates are compared with the mean of the reference's runs; 'run 1 vs run 2' is the "
      "reference's own agreement between two seeds (nan: one run only)")
json.dump(summary, open(f"{out_dir}/summary.json", "w"), indent=1)
PY
