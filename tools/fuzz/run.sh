#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan + UBSan) in build/fuzz and runs
# each for SECONDS (default 20) from a seed corpus made here (tests/fuzz/corpus/ plus small
# files d2a writes itself). Prints executions and findings per target; exits 1 on a finding
# (the crashing input is kept in build/fuzz/findings/).
#
#   tools/fuzz/run.sh [SECONDS] [TARGET...]       e.g. tools/fuzz/run.sh 300 fuzz_idx
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-20}"
shift || true
source "$root/tools/packages.sh"
ensure_packages clang libclang-rt-14-dev
build="$root/build/fuzz"
if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DD2A_FUZZ=ON -DD2A_BUILD_TESTS=OFF > "$build.configure.log" 2>&1 \
    || { cat "$build.configure.log" >&2; exit 1; }
fi
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in "$root"/tests/fuzz/fuzz_*.cpp "$root"/tests/fuzz/torch/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
cmake --build "$build" --target "${targets[@]}" > "$build/build.log" 2>&1 || { tail -30 "$build/build.log" >&2; exit 1; }

# Seed corpora: the committed text seeds, and binary ones written now by d2a's own writers.
corpus="$build/corpus"
mkdir -p "$corpus" "$build/findings"
for t in "${targets[@]}"; do
  mkdir -p "$corpus/$t"
  [[ -d $root/tests/fuzz/corpus/$t ]] && cp -n "$root"/tests/fuzz/corpus/"$t"/* "$corpus/$t/" 2>/dev/null || true
done
if [[ " ${targets[*]} " == *" fuzz_meta_database "* && ! -f $corpus/fuzz_meta_database/tiny.h5 && -x $root/build/d2a ]]; then
  "$root/build/d2a" db build --data digits --out "$corpus/fuzz_meta_database/tiny.h5" --tasks 1 \
    --archs-per-task 1 --budget cpu-fast --epochs 1 --train-per-class 2 --test-per-class 1 \
    --min-classes 2 --max-classes 2 --threads 1 --json > /dev/null 2>&1 || true
  rm -f "$corpus/fuzz_meta_database/tiny.h5.lock"
fi
if [[ " ${targets[*]} " == *" fuzz_model_weights "* && ! -f $corpus/fuzz_model_weights/probe.pt ]]; then
  D2A_FUZZ_WRITE_SEED="$corpus/fuzz_model_weights/probe.pt" "$build/fuzz_model_weights" > /dev/null 2>&1 || true
fi
if [[ " ${targets[*]} " == *" fuzz_model_config "* ]]; then
  # The shipped model's own JSON files (model.json and its parts' config.json), each after the
  # byte that picks the reader.
  for part in generator/config.json:0 predictor/config.json:1 extractor/config.json:2 model.json:3; do
    f="$root/models/d2a-meta-v3/${part%%:*}"
    [[ -f $f ]] && { printf "\\x0${part##*:}"; cat "$f"; } > "$corpus/fuzz_model_config/$(dirname "${part%%:*}")-$(basename "${part%%:*}")"
  done
fi
if [[ " ${targets[*]} " == *" fuzz_idx "* && ! -f $corpus/fuzz_idx/two-images ]]; then
  # A first byte that cuts after the images file (2 images of 2x2), then 2 labels.
  /usr/bin/python3 - "$corpus/fuzz_idx/two-images" <<'PY'
import struct, sys
images = struct.pack(">IIII", 0x803, 2, 2, 2) + bytes([0, 64, 128, 255, 1, 2, 3, 4])
labels = struct.pack(">II", 0x801, 2) + bytes([0, 1])
body = images + labels
cut = len(images)
# data[0] % (size + 1) == cut: the first byte is the cut itself (the images start with 0x00...)
data = bytes([cut]) + body[1:]
open(sys.argv[1], "wb").write(data)
PY
fi

# The targets write their inputs to files in $TMPDIR: a folder of this run's, removed at the end.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/d2a-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
status=0
total=0
for t in "${targets[@]}"; do
  log="$build/$t.log"
  # A corrupt HDF5 file can make libhdf5 ask malloc for terabytes; in d2a that malloc fails and
  # HDF5 reports an error, which d2a turns into its one line (tests/fuzz/regressions/). Let the
  # sanitized allocator fail the same way instead of calling it a crash.
  supp="$root/tests/asan/lsan.supp"
  # No RSS limit: libFuzzer watches it from a thread of its own, and a sanitized d2a reads
  # damaged files in a forked probe only while it runs no other thread (src/read_probe.cpp).
  # An allocation that cannot be met returns null as a real malloc would (allocator_may_return_null).
  asan=allocator_may_return_null=1
  if [[ -f $root/tests/fuzz/torch/$t.cpp ]]; then
    supp="$root/tests/fuzz/torch/lsan.supp"
    # A damaged weights.pt can make LibTorch's reader allocate gigabytes; d2a caps the probe
    # child's heap with RLIMIT_DATA, which AddressSanitizer's shadow memory rules out here, so
    # the sanitizer's own cap on one allocation stands in for it (the child then refuses the file
    # as d2a does). Many smaller ones can still take ~2 GB for a moment before LibTorch refuses.
    asan=allocator_may_return_null=1:max_allocation_size_mb=1024
  fi
  if TMPDIR="$scratch" D2A_PROBE_SECONDS=3 ASAN_OPTIONS="$asan" LSAN_OPTIONS=suppressions="$supp" "$build/$t" "$corpus/$t" "$root/tests/fuzz/regressions" \
       -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=0 \
       -malloc_limit_mb=1000000000 -artifact_prefix="$build/findings/$t-" > "$log" 2>&1; then
    result="no finding"
  else
    result="FINDING (see $log and build/fuzz/findings/)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  total=$((total + ${runs:-0}))
  printf '%-22s %10s executions in %s s: %s\n' "$t" "${runs:-?}" "$seconds" "$result"
done
echo "fuzz: $total executions in all"
exit $status
