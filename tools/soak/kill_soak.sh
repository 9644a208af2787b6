#!/usr/bin/env bash
# Kill soak: SIGKILLs `d2a db build` and `d2a search` (every method) at random moments, KILLS
# times each (default 20), resuming after every kill, and checks that
#   - after every kill the output is readable (db info loads the database; the search resumes
#     from its checkpoint),
#   - the finished database has exactly the records of an uninterrupted build with the same seed,
#   - the finished search has the same genotype and the same alphas (alphas.csv) as an
#     uninterrupted search.
#
#   tools/soak/kill_soak.sh [KILLS] [METHODS...]     (default: 20, all six methods)
#
# Prints one line per target: kills survived, unreadable files seen, and whether the result
# matched; exits 1 if any did not. Seeds the kill moments from $SOAK_SEED (default 1).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
d2a="$root/build/d2a"
kills="${1:-20}"
shift || true
methods=("$@")
((${#methods[@]})) || methods=(darts darts2 pc-darts ms-darts stacnas gdas)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
RANDOM=${SOAK_SEED:-1}
failed=0

# Runs "$@" in the background and SIGKILLs it after a random 0.2-MAX_MS ms; returns 0 when it
# finished on its own first.
run_or_kill() {
  local max_ms=$1; shift
  "$@" > /dev/null 2>> "$work/stderr" &
  local pid=$! delay=$(( 200 + RANDOM % (max_ms - 200) ))
  local waited=0
  while ((waited < delay)); do
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; return $?; fi
    sleep 0.05; waited=$((waited + 50))
  done
  if kill -9 "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; return 137; fi
  wait "$pid"
}

soak() {  # name, max_ms, check_readable, command... (the command must accept --resume)
  local name=$1 max_ms=$2 check=$3; shift 3
  local survived=0 unreadable=0 status first=1
  while true; do
    local cmd=("$@")
    ((first)) || cmd+=(--resume)
    if ((survived >= kills)); then
      "${cmd[@]}" > /dev/null 2>> "$work/stderr" && status=0 || status=$?
    else
      run_or_kill "$max_ms" "${cmd[@]}" && status=0 || status=$?
    fi
    first=0
    if ((status == 0)); then break; fi
    if ((status != 137)); then echo "$name: exit $status (see below)"; tail -3 "$work/stderr"; return 1; fi
    survived=$((survived + 1))
    $check || unreadable=$((unreadable + 1))
  done
  echo "$survived $unreadable"
}

# --- db build ---------------------------------------------------------------------------------
db_args=(db build --data digits --tasks 16 --archs-per-task 4 --budget cpu-fast --epochs 3 --threads 1 --seed 5 --json)
db_readable() { [[ ! -f $work/soak.h5 ]] || "$d2a" db info "$work/soak.h5" > /dev/null 2>&1; }
read -r survived unreadable < <(soak "db build" 1500 db_readable "$d2a" "${db_args[@]}" --out "$work/soak.h5")
"$d2a" "${db_args[@]}" --out "$work/straight.h5" > /dev/null
same=$(/usr/bin/python3 - "$work/soak.h5" "$work/straight.h5" <<'PY' 2>/dev/null || echo "no (h5py missing?)"
import sys, h5py
def records(path):
    with h5py.File(path) as f:
        cells = f["archs/cell"].asstr()[:]
        tasks = {g.attrs["index"]: name for name, g in f["tasks"].items()}
        r = f["records"]
        return sorted((tasks[t], cells[a], float(x), int(s)) for t, a, x, s in
                      zip(r["task"][:], r["arch"][:], r["accuracy"][:], r["seed"][:]))
a, b = records(sys.argv[1]), records(sys.argv[2])
print(f"yes ({len(a)} records)" if a == b else f"NO ({len(a)} vs {len(b)} records)")
PY
)
echo "db build: $survived kills survived, $unreadable unreadable files after a kill; same records as an uninterrupted build: $same"
[[ $same == yes* && $unreadable == 0 ]] || failed=1

# --- search -----------------------------------------------------------------------------------
# Epochs per method, so that a run outlasts its kills (an epoch of stacnas or gdas takes a tenth
# of darts2's).
declare -A epochs=([darts]=100 [darts2]=40 [pc-darts]=120 [ms-darts]=40 [stacnas]=300 [gdas]=300)
for method in "${methods[@]}"; do
  s_args=(search --method "$method" --data digits --per-class 24 --channels 4 --cells 1 --image-size 8
          --batch 16 --epochs "${epochs[$method]:-100}" --threads 1 --seed 3 --no-plot --json)
  rm -rf "$work/s-$method" "$work/t-$method"
  search_readable() { true; }  # a damaged checkpoint would fail the next --resume (exit != 137)
  read -r survived unreadable < <(soak "search $method" 1200 search_readable "$d2a" "${s_args[@]}" --out "$work/s-$method")
  "$d2a" "${s_args[@]}" --out "$work/t-$method" > /dev/null 2>> "$work/stderr"
  g1=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['genotype'])" "$work/s-$method/result.json")
  g2=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['genotype'])" "$work/t-$method/result.json")
  if [[ $g1 == "$g2" ]] && cmp -s "$work/s-$method/alphas.csv" "$work/t-$method/alphas.csv"; then
    same="yes"
  else
    same="NO"
    failed=1
  fi
  echo "search $method: $survived kills survived; same genotype and alphas as an uninterrupted search: $same"
done
exit $failed
