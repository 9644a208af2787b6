# Sourced by tools/build_heldout.sh and tools/heldout_noise_study.sh: the held-out sources and the
# one task each table trains on, so a study of a table always draws the table's own task.
declare -A heldout_spec=([icons]=build/data/pictures/icons [clipart]=build/data/pictures/clipart
                         [arabic]=build/data/glyphs/arabic)

# heldout_db_build NAME OUT [DB-BUILD FLAGS...]: one 10-class task of source NAME (seed 2026, test
# images from the source's test split) under cpu-user, one thread, JSON on stdout.
heldout_db_build() {
  local name=$1 out=$2
  shift 2
  build/d2a db build --data "${heldout_spec[$name]}" --out "$out" --tasks 1 --archs-per-task 0 \
    --budget cpu-user --min-classes 10 --max-classes 10 --test-split test --seed 2026 \
    --threads 1 --json "$@"
}
