#!/usr/bin/env bash
# Which cheap budget ranks cells like the budget a user trains with? Trains the same cells on the
# same tasks under the reference budget (cpu-user: C8 N2 32x32, 20 epochs) and under candidate
# cheap budgets, then prints, per candidate, the Spearman correlation with the reference on each
# task, its mean, and the training seconds per record. Tasks come from meta-database sources
# (never a held-out source, never CIFAR-10); test images from each source's own test split.
#   tools/budget_study.sh [OUT_DIR] [CELLS_PER_TASK]     (default build/budget_study, 40)
# Environment: SOURCES (default: fashion-mnist and the latin upper- and lower-case glyphs, whose
# test splits hold at least 150 images per class), SEED (2026),
# JOBS (parallel processes, one thread each; default the number of cores).
# Re-running resumes every unfinished build.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build/budget_study}"
cells="${2:-40}"
seed="${SEED:-2026}"
jobs="${JOBS:-$(nproc)}"
d2a=build/d2a
source tools/packages.sh
ensure_packages python3-h5py python3-numpy time
[[ -x $d2a ]] || tools/setup.sh
[[ -f build/data/glyphs/manifest.json ]] || tools/make_glyphs.sh build/data/glyphs --seed 0
[[ -f build/data/pictures/manifest.json ]] || tools/make_pictures.sh build/data/pictures --seed 0
read -r -a sources <<< "${SOURCES:-fashion-mnist build/data/glyphs/latin build/data/glyphs/latin-lower}"
mkdir -p "$dir"

# name | budget flags. Every run: the same tasks (10 classes, seeded), the same cells, the same
# 150 test images per class from the test split, no flips.
budgets=(
  "reference|--budget cpu-user"
  "A-C8N1-16px-10ep|--budget cpu-fast"
  "B-C8N2-16px-10ep|--budget cpu-fast --cells 2"
  "C-C8N3-16px-10ep|--budget cpu-fast --cells 3"
  "D-C8N2-16px-20ep|--budget cpu-fast --cells 2 --epochs 20"
  "E-C8N2-32px-5ep|--budget cpu-user --epochs 5"
  "F-C8N2-32px-10ep-25img|--budget cpu-user --epochs 10 --train-per-class 25"
)
run() {
  local name="${1%%|*}" flags="${1#*|}" resume=()
  [[ -f $dir/$name.h5 ]] && resume=(--resume)
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e" -o "$dir/$name.wall" "$d2a" db build --data "${sources[@]}" \
    --out "$dir/$name.h5" --tasks "${#sources[@]}" --archs-per-task "$cells" $flags \
    --min-classes 10 --max-classes 10 --test-split test --test-per-class 150 --no-flip \
    --seed "$seed" --threads 1 --json "${resume[@]}" > "$dir/$name.json"
}
# The reference is the longest run: start it first, then the candidates as slots free up.
running=0
for b in "${budgets[@]}"; do
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
    with h5py.File(path) as f:
        cells = f["archs/cell"].asstr()[:]
        tasks = sorted(f["tasks"])
        task_ids = {t: i for i, t in enumerate(f["tasks"])}
        r = f["records"]
        acc, secs = {}, []
        for t, a, x, s in zip(r["task"][:], r["arch"][:], r["accuracy"][:], r["train_seconds"][:]):
            acc[(int(t), cells[a])] = float(x)
            secs.append(float(s))
        sources = [f["tasks"][t].attrs["source"] for t in f["tasks"]]
    return acc, float(np.mean(secs)), sources

out_dir, names = sys.argv[1], sys.argv[2:]
ref, ref_secs, sources = load(f"{out_dir}/reference.h5")
tasks = sorted({t for t, _ in ref})
summary = {"reference": {"seconds_per_record": ref_secs, "sources": sources}, "candidates": {}}
print(f"{'budget':26s} {'s/record':>8s}  " + "  ".join(f"{s.split('/')[-1][:12]:>12s}" for s in sources) + "      mean")
print(f"{'reference (cpu-user)':26s} {ref_secs:8.2f}")
for name in names[1:]:
    acc, secs, _ = load(f"{out_dir}/{name}.h5")
    per_task = []
    for t in tasks:
        cells = sorted(c for tt, c in ref if tt == t)
        per_task.append(spearman([acc[(t, c)] for c in cells], [ref[(t, c)] for c in cells]))
    mean = float(np.mean(per_task))
    summary["candidates"][name] = {"seconds_per_record": secs, "spearman": per_task, "mean": mean}
    print(f"{name:26s} {secs:8.2f}  " + "  ".join(f"{s:12.3f}" for s in per_task) + f"  {mean:8.3f}")
mean_ref = {t: float(np.mean([v for (tt, _), v in ref.items() if tt == t])) for t in tasks}
print("reference accuracy per task: " + ", ".join(f"{mean_ref[t]:.1f}" for t in tasks))
json.dump(summary, open(f"{out_dir}/summary.json", "w"), indent=1)
PY
