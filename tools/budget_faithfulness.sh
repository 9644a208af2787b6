#!/usr/bin/env bash
# How faithfully the cheap database budget ranks cells: trains the same 30 cells on one task
# under cpu-fast and under cpu-fast-4x (twice the images, twice the epochs: 4x the work) and
# prints the Spearman correlation of the two accuracy lists.
#   tools/budget_faithfulness.sh [SOURCE] [SEED]      (default: fashion-mnist, 2026)
set -euo pipefail
cd "$(dirname "$0")/.."
source_spec="${1:-fashion-mnist}"
seed="${2:-2026}"
dir=build/budget_faithfulness
rm -rf "$dir" && mkdir -p "$dir"
# The two budgets in parallel, one thread each (two torch threads per process on 2 shared cores
# oversubscribe and slow down several-fold).
for budget in cpu-fast cpu-fast-4x; do
  /usr/bin/time -f "$budget: %e s wall" build/d2a db build --data "$source_spec" \
    --out "$dir/$budget.h5" --tasks 1 --archs-per-task 30 --budget "$budget" \
    --min-classes 10 --max-classes 10 --seed "$seed" --threads 1 --json > "$dir/$budget.json" &
done
wait
source tools/packages.sh
ensure_packages python3-h5py python3-numpy
/usr/bin/python3 - "$dir/cpu-fast.h5" "$dir/cpu-fast-4x.h5" <<'PY'
import sys, h5py, numpy as np
def load(path):
    with h5py.File(path) as f:
        cells = f["archs/cell"].asstr()[:]
        classes = list(f["tasks"][list(f["tasks"])[0]].attrs["classes"])
        acc = {cells[a]: float(x) for a, x in zip(f["records/arch"][:], f["records/accuracy"][:])}
    return acc, classes
cheap, c1 = load(sys.argv[1]); full, c2 = load(sys.argv[2])
assert c1 == c2, f"the two builds drew different classes: {c1} vs {c2}"
cells = sorted(cheap)
assert sorted(full) == cells and len(cells) == 30
a = np.array([cheap[c] for c in cells]); b = np.array([full[c] for c in cells])
rank = lambda v: np.argsort(np.argsort(v))
print(f"task classes: {', '.join(map(str, c1))}")
print(f"cpu-fast    accuracy: mean {a.mean():.1f}, range {a.min():.1f}..{a.max():.1f}")
print(f"cpu-fast-4x accuracy: mean {b.mean():.1f}, range {b.min():.1f}..{b.max():.1f}")
print(f"Spearman(cpu-fast, cpu-fast-4x) over {len(cells)} cells: {np.corrcoef(rank(a), rank(b))[0, 1]:.3f}")
PY
