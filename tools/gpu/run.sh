#!/usr/bin/env bash
# The GPU kit's one call: on the GPU machine (PyTorch 2.x with CUDA, nvcc, cmake, ninja; nothing
# to download), unpack the Debian packages tools/gpu/prepare.sh packed, configure d2a against the
# python3 PyTorch's LibTorch (torch.utils.cmake_prefix_path) with CUDA, build d2a, its tests and
# the benchmark on every core, run the tests, then the GPU benchmarks, and write one JSON of
# figures (figures.json) and the logs to $OUT.
#
#   tools/gpu/run.sh [--dry-run [--sanitize]] [--stages build,test,bench] [--jobs N] [--tests FILTER]
#                    [--deadline SECONDS]
#
# From the device tool, in the repository root, after tools/gpu/prepare.sh here:
#   run  command: "tools/gpu/run.sh --deadline 470"   carry: [".gpu-kit/carry"]   timeout_s: 590
# The logs and figures are written to build/gpu-out; where $OUT is set (the device tool), four
# files are copied there after every stage (the tool brings back 8 files at most): facts.jsonl,
# run.log, figures.json and logs.tar.gz (everything else), so a call cut short still returns
# what it measured. --deadline skips the benchmark runs that would start after that many
# seconds (each is recorded as skipped), so the call ends inside the tool's limit.
# The build stays on the machine while it is warm (30 s after a call): a second call with
# --stages bench reuses it.
#
# --dry-run does it on this CPU machine at tiny sizes (the system's LibTorch 1.13, CPU) so the
# kit cannot rot between GPU sessions; CI runs `--dry-run --stages build,bench` (ctest
# gpu_kit_dry_run): the kit unpacked, d2a, the benchmark and the kit's GoogleTest configured and
# built from it (at -O0: 442 s instead of 614 at -O3 on 2 cores), every benchmark run. The unit
# tests are not built there a second time (ctest's d2a_tests runs them against the same
# LibTorch). --sanitize (dry run only) builds everything under ASan + UBSan
# (-DD2A_SANITIZE_ALL=ON) in build/gpu-dry-sanitize and, with the test stage, runs the whole
# unit-test suite sanitized, LibTorch code included: a by-hand check (40 min on 2 cores).
# Every stage's outcome is recorded; the script exits 1 if any stage failed.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dry=0
sanitize=0
stages=build,test,bench
jobs=$(nproc)
test_filter='*'
deadline=0
while (($#)); do
  case $1 in
    --dry-run) dry=1 ;;
    --sanitize) sanitize=1 ;;
    --stages) stages=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --tests) test_filter=$2; shift ;;
    --deadline) deadline=$2; shift ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
((sanitize && !dry)) && { echo "run.sh: --sanitize is for --dry-run only" >&2; exit 2; }
[[ $deadline =~ ^[0-9]+$ ]] || { echo "run.sh: --deadline takes whole seconds (got '$deadline')" >&2; exit 2; }
dest="${OUT:-}"
out="$root/build/gpu-out"
rm -rf "$out"
mkdir -p "$out"
kit="$root/.gpu-kit/carry/kit.tar.xz"
prefix="$root/build/gpu-prefix"
if ((dry)); then
  mode=dry
  build="$root/build/gpu-dry"
  ((sanitize)) && build="$root/build/gpu-dry-sanitize"
  py=/usr/bin/python3
  device=cpu
else
  mode=gpu
  build="$root/build/gpu"
  py=python3
  device=cuda
fi
facts="$out/facts.jsonl"
: > "$facts"
failed=0
fact() {  # fact KEY JSON_VALUE
  printf '{"%s": %s}\n' "$1" "$2" >> "$facts"
}
say() { echo "gpu-kit: $*" | tee -a "$out/run.log" >&2; }
fail() {
  say "FAILED: $*"
  failed=1
}
stage() { [[ ",$stages," == *",$1,"* ]]; }
now() { date +%s.%N; }
started_at=$(date +%s)
# Copies what was measured so far to $OUT (the device tool's folder): four files.
publish() {
  [[ -n $dest ]] || return 0
  cp "$facts" "$out/run.log" "$dest/" 2> /dev/null
  [[ -f $out/figures.json ]] && cp "$out/figures.json" "$dest/"
  tar -czf "$dest/logs.tar.gz" -C "$out" --exclude=facts.jsonl --exclude=run.log --exclude=figures.json . 2> /dev/null
  return 0
}
# False (and recorded) when a benchmark run named $1 would start past --deadline.
in_time() {
  ((deadline == 0 || $(date +%s) - started_at < deadline)) && return 0
  say "skipped $1: past the deadline of $deadline s"
  fact "skipped_$1" '"past the deadline"'
  return 1
}
elapsed() { "$py" -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$1" "$(now)"; }
fact mode "\"$mode\""
fact host "\"$(hostname)\""
fact cores "$(nproc)"

# --- the prefix: Debian 12's packages, unpacked; a library the machine lacks is found there ---
unpack() {
  [[ -f $kit ]] || { fail "$kit missing: run tools/gpu/prepare.sh on the CPU machine and carry .gpu-kit/carry"; return 1; }
  local stamp
  stamp=$(stat -c '%s-%Y' "$kit")
  if [[ ! -f $prefix/.stamp || $(cat "$prefix/.stamp") != "$stamp" ]]; then
    rm -rf "$prefix"
    mkdir -p "$prefix"
    tar -C "$prefix" -xJf "$kit" || { fail "cannot unpack $kit"; return 1; }
    # Absolute links (libfoo.so -> /usr/lib/...) point into the prefix instead.
    find "$prefix" -type l | while read -r link; do
      target=$(readlink "$link")
      [[ $target == /* ]] && ln -sfn "$prefix$target" "$link"
    done
    echo "$stamp" > "$prefix/.stamp"
  fi
  # Runtime libraries this machine does not have (by soname) go on the loader's and the
  # linker's path; those it has are its own.
  rm -rf "$prefix/fallback"
  mkdir -p "$prefix/fallback"
  local have lib soname added=()
  have=$(ldconfig -p 2>/dev/null | awk '{print $1}' | sort -u)
  while read -r lib; do
    if command -v readelf > /dev/null; then
      soname=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    else  # no binutils: the name up to the first number after .so
      soname=$(basename "$lib" | sed 's/\(\.so\.[0-9]*\).*/\1/')
    fi
    [[ -n $soname ]] || continue
    grep -qxF "$soname" <<< "$have" && continue
    [[ -e $prefix/fallback/$soname ]] && continue
    ln -s "$lib" "$prefix/fallback/$soname"
    added+=("$soname")
  done < <(find "$prefix/lib" "$prefix/usr/lib" -maxdepth 2 -type f -name 'lib*.so*' 2>/dev/null | sort)
  say "prefix $prefix: ${#added[@]} libraries from the kit (${added[*]:-none}), the rest the machine's own"
  fact kit_libraries_used "$("$py" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "${added[@]}")"
  export LD_LIBRARY_PATH="$prefix/fallback${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

# --- The tests' sklearn digits at Debian's path (the GPU machine's scikit-learn is in a venv) ---
digits_where_debian_has_them() {
  local debian=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz from
  [[ -f $debian ]] && return 0
  from=$("$py" -c 'import os, sklearn.datasets as d; print(os.path.join(os.path.dirname(d.__file__), "data", "digits.csv.gz"))' 2> /dev/null)
  if [[ -f $from ]] && mkdir -p "$(dirname "$debian")" 2> /dev/null && cp "$from" "$debian" 2> /dev/null; then
    say "digits: $from copied to $debian for the tests"
  else
    say "digits: none at $debian and none to copy: the tests that train on them skip"
  fi
}

# --- LibTorch: the python3 PyTorch's (GPU) or the system's (dry run) ---
find_torch() {
  if ((dry)); then
    torch_dir=$(dirname "$(dpkg -L libtorch-dev 2>/dev/null | grep '/TorchConfig.cmake$' | head -1)")
    torch_prefix=$(dirname "$(dirname "$torch_dir")")
    if ((sanitize)); then
      extra=(-DD2A_SANITIZE_ALL=ON)
    else
      # Nothing here is timed for real, and unoptimized code builds in ~70 % of the time.
      extra=(-DD2A_SANITIZE_ALL=OFF "-DCMAKE_CXX_FLAGS_RELEASE=-O0 -DNDEBUG")
    fi
  else
    torch_prefix=$("$py" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)') \
      || { fail "python3 has no torch"; return 1; }
    torch_dir="$torch_prefix/Torch"
    local nccl
    nccl=$("$py" -c 'import os, nvidia.nccl as n; print(os.path.join(list(n.__path__)[0], "include"))' 2>/dev/null || true)
    extra=(-DD2A_NCCL_INCLUDE_DIR="$nccl" -DCMAKE_CUDA_ARCHITECTURES=90)
    export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
    if command -v nvcc > /dev/null; then
      extra+=(-DCMAKE_CUDA_COMPILER="$(command -v nvcc)" -DCUDAToolkit_ROOT="$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")")
    fi
    fact torch_python "$("$py" -c 'import json, torch; print(json.dumps({"version": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(), "cxx11_abi": torch._C._GLIBCXX_USE_CXX11_ABI, "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}))')"
  fi
  [[ -f $torch_dir/TorchConfig.cmake ]] || { fail "no TorchConfig.cmake in $torch_dir"; return 1; }
  say "LibTorch: $torch_dir"
}

configure_and_build() {
  local t0 log="$out/configure.log"
  t0=$(now)
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix/usr;$torch_prefix" -DTorch_DIR="$torch_dir" -DHDF5_ROOT="$prefix/usr/lib/x86_64-linux-gnu/hdf5/serial" \
    -DD2A_GTEST_SOURCE_DIR="$prefix/usr/src/googletest" -DD2A_SANITIZE=OFF -DD2A_GPU_KIT_TEST=OFF \
    -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$prefix/fallback -Wl,-rpath-link,$prefix/usr/lib/x86_64-linux-gnu" \
    "${extra[@]}" > "$log" 2>&1 || { tail -40 "$log" >&2; fail "configure (see configure.log)"; return 1; }
  fact configure_seconds "$(elapsed "$t0")"
  # Every dependency but LibTorch must come from the kit, or the kit is not what was tested.
  local var value wrong=()
  for var in HDF5_C_INCLUDE_DIR HDF5_hdf5_LIBRARY_RELEASE CLI11_DIR nlohmann_json_DIR boost_headers_DIR \
             STB_LIBRARY STB_INCLUDE_DIR GLOO_INCLUDE_DIR ZLIB_INCLUDE_DIR JPEG_INCLUDE_DIR \
             JPEG_LIBRARY_RELEASE WEBP_INCLUDE_DIR WEBP_LIBRARY; do
    value=$(sed -n "s|^$var:[A-Z]*=||p" "$build/CMakeCache.txt" | head -1)
    say "  $var = $value"
    # LibTorch's own include folder may hold its Gloo (PyTorch's wheel; Debian's /usr/include).
    if [[ $var == GLOO_INCLUDE_DIR && -d $value/torch/csrc/distributed ]]; then continue; fi
    if [[ $var == ZLIB_INCLUDE_DIR && $mode == gpu && -n $value ]]; then continue; fi
    [[ $value == "$prefix"* ]] || wrong+=("$var=$value")
  done
  ((${#wrong[@]} == 0)) || { fail "found outside the kit: ${wrong[*]}"; return 1; }
  t0=$(now)
  # The unit tests only when they will run; otherwise the kit's GoogleTest alone, so that its
  # sources are still known to build.
  local targets=(d2a d2a_bench_train)
  if stage test; then targets+=(d2a_tests); else targets+=(gtest_main); fi
  fact sanitized "$sanitize"
  # -k 0: every unit that fails is in the log, not only the first.
  ninja -C "$build" -k 0 -j "$jobs" "${targets[@]}" > "$out/build.log" 2>&1 \
    || { grep -m20 -B2 -A8 'error' "$out/build.log" >&2; fail "build (see build.log)"; return 1; }
  fact build_seconds "$(elapsed "$t0")"
  fact torch_cmake "\"$(grep -m1 'd2a: LibTorch' "$log" | sed 's/.*d2a: //')\""
  say "built in $(elapsed "$t0") s"
}

run_tests() {
  local t0 rc=0 suite filter i=0 crashed=()
  t0=$(now)
  export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
  export LSAN_OPTIONS="suppressions=$root/tests/asan/lsan.supp"
  export UBSAN_OPTIONS="print_stacktrace=1"
  export D2A_SHARED_DIR="${D2A_SHARED_DIR:-$root/../shared}"
  # One process per test suite: a crash (the first GPU run lost the whole suite to one
  # segmentation fault) costs that suite only, and its test is run again under a debugger for
  # a backtrace (cuda-gdb on the GPU machine, gdb here) into crashes.log.
  local -A tests_of=()
  local order=() line current=""
  while IFS= read -r line; do
    if [[ $line != " "* ]]; then
      [[ $line == *. || $line == *".  #"* ]] || continue  # not a suite ("Running main() ...")
      current=${line%%.*}; current=${current%% *}; order+=("$current")
    else
      line=${line#  }; line=${line%%  #*}
      tests_of[$current]+="${tests_of[$current]:+:}$current.$line"
    fi
  done < <(cd "$build" && ./d2a_tests --gtest_filter="$test_filter" --gtest_list_tests | sed -n '/^[^ ]/p; /^  /p')
  : > "$out/tests.log"
  rm -f "$out"/tests-*.json
  for suite in "${order[@]}"; do
    filter=${tests_of[$suite]:-}
    [[ -n $filter ]] || continue
    i=$((i + 1))
    (cd "$build" && ./d2a_tests --gtest_filter="$filter" --gtest_output=json:"$out/tests-$i.json") \
      >> "$out/tests.log" 2>&1
    local status=$?
    if ((status >= 128)); then
      local last
      last=$(grep '^\[ RUN      \]' "$out/tests.log" | tail -1 | sed 's/^\[ RUN      \] //')
      crashed+=("$last (signal $((status - 128)))")
      say "CRASHED: $last (signal $((status - 128))); backtrace in crashes.log"
      local debugger
      debugger=$(command -v cuda-gdb || command -v gdb || true)
      if [[ -n $debugger ]]; then
        (cd "$build" && timeout 300 "$debugger" -batch -ex run -ex bt -ex 'info threads' \
          --args ./d2a_tests --gtest_filter="$last") >> "$out/crashes.log" 2>&1
      fi
      rc=1
    elif ((status != 0)); then
      rc=1
    fi
  done
  fact test_seconds "$(elapsed "$t0")"
  "$py" - "$out" "$facts" "${crashed[@]}" <<'PY'
import glob, json, os, sys
suites = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "tests-*.json"))):
    try:
        suites += json.load(open(path)).get("testsuites", [])
    except Exception:
        pass
tests = [(s["name"], t) for s in suites for t in s.get("testsuite", [])]
skipped = [f"{n}.{t['name']}" for n, t in tests if t.get("result") == "SKIPPED"]
failed = [f"{n}.{t['name']}" for n, t in tests if "failures" in t]
cuda = [f"{n}.{t['name']}" for n, t in tests if n.split("/")[-1].startswith("Cuda")]
nccl = {f"{n}.{t['name']}": ("failed" if "failures" in t else t.get("result", "?").lower())
        for n, t in tests if "Nccl" in t["name"]}
summary = {"run": len(tests), "failed": failed, "crashed": sys.argv[3:], "skipped": len(skipped),
           "cuda_tests": len(cuda), "cuda_skipped": sum(1 for c in cuda if c in skipped),
           "nccl": nccl}
open(sys.argv[2], "a").write(json.dumps({"tests": summary}) + "\n")
print(f"gpu-kit: tests: {summary['run']} run, {len(failed)} failed, {len(sys.argv[3:])} crashed, "
      f"{summary['skipped']} skipped ({summary['cuda_tests']} CUDA tests, "
      f"{summary['cuda_skipped']} of them skipped)")
PY
  ((rc == 0)) || { grep -m30 '^\[  FAILED\|ERROR: AddressSanitizer\|runtime error' "$out/tests.log" >&2; fail "tests (see tests.log)"; }
}

run_benchmarks() {
  local sizes steps cells train test per_method epochs batch
  if ((dry)); then
    sizes=(--channels 8 --cells 1 --size 16 --batch 32); steps=(--steps 3)
    train=256; test=64; epochs=1; batch=16; net=(--channels 4 --cells 1 --image-size 16)
  else
    sizes=(--channels 16 --cells 5 --size 32 --batch 256); steps=(--steps 30)
    train=50000; test=10000; epochs=1; batch=64; net=(--channels 16 --cells 5 --image-size 32)
  fi
  cells=(--cell '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|'
         --cell '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|')
  # 1. The training step: d2a against the same network in PyTorch's Python API, same device.
  #    In fp32, then in bf16 autocast (--precision; both sides autocast the forward pass only);
  #    d2a in NCHW (what its trainer uses on CUDA) and channels-last (whether to switch it on).
  local precision layout
  : > "$out/bench_train_cpp.jsonl"
  for precision in fp32 bf16; do
    for layout in nchw channels-last; do
      in_time "bench_train_${precision}_$layout" || continue
      "$build/d2a_bench_train" "${cells[@]}" "${sizes[@]}" "${steps[@]}" --device "$device" --threads "$jobs" \
        --precision "$precision" --layout "$layout" >> "$out/bench_train_cpp.jsonl" 2>> "$out/bench.log" \
        || fail "d2a_bench_train"
    done
  done
  if "$py" -c 'import torch' 2> /dev/null; then
    : > "$out/bench_train_python.jsonl"
    for precision in fp32 bf16; do
      in_time "bench_train_python_$precision" || continue
      "$py" "$root/tools/bench/train_throughput.py" "${cells[@]}" "${sizes[@]}" "${steps[@]}" --device "$device" \
        --threads "$jobs" --precision "$precision" >> "$out/bench_train_python.jsonl" 2>> "$out/bench.log" \
        || fail "train_throughput.py"
    done
  else
    say "no python3 torch here: the Python twin is not run"
  fi
  # 2. One search epoch of every method on a CIFAR-10-sized folder of random pixels (the time of
  #    an epoch depends on the number of images, not on what they show): 25k/25k halves at the
  #    published batch 64, first order; the peak tensor memory of each method from its JSON.
  local data="$build/synthetic-cifar"
  [[ -f $data/test_batch.bin ]] || "$py" "$root/tools/gpu/synthetic_cifar.py" "$data" "$train" "$test" >> "$out/bench.log"
  echo '{"pc_darts": {"warmup_epochs": 0}, "ms_darts": {"warmup_epochs": 0}}' > "$build/search-config.json"
  local method
  # 3. The whole training loop (images resident on the device as uint8, picked, decoded and
  #    augmented there each step) for one epoch of the 50k images, C16 N5 batch 256, fp32 and
  #    bf16: its images/s beside the bare step's of 1. says what the data path costs.
  local tnet=(--channels 16 --cells 5 --image-size 32) tepochs=1
  ((dry)) && tnet=(--channels 4 --cells 1 --image-size 16)
  for precision in fp32 bf16; do
    in_time "train_loop_$precision" || continue
    publish
    t0=$(now)
    if "$build/d2a" train --data "$data" --arch "${cells[1]}" --budget nb201-12ep "${tnet[@]}" \
        --epochs "$tepochs" --precision "$precision" --device "$device" --threads "$jobs" --seed 0 --json \
        > "$out/train-$precision.json" 2>> "$out/bench.log"; then
      fact "train_loop_$precision" "$("$py" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(json.dumps({k: r[k] for k in ("images_per_second", "train_images", "test_accuracy", "budget")}))' "$out/train-$precision.json")"
    else
      fail "train $precision (see bench.log)"
    fi
  done
  #    Then DARTS and PC-DARTS again in bf16 autocast (--precision bf16).
  local run method t0
  for run in darts pc-darts gdas ms-darts stacnas darts2 darts:bf16 pc-darts:bf16; do
    method=${run%%:*}
    local e=$epochs tag=${run/:/-} precision=fp32
    [[ $run == *:bf16 ]] && precision=bf16
    rm -rf "$build/search-$tag"
    [[ $method == stacnas ]] && e=$((epochs * 2))  # its two stages, one epoch each
    in_time "search_$tag" || continue
    publish
    t0=$(now)
    if "$build/d2a" search --method "$method" --data "$data" --epochs "$e" --batch "$batch" "${net[@]}" \
        --device "$device" --threads "$jobs" --seed 0 --no-plot --config "$build/search-config.json" \
        --precision "$precision" --out "$build/search-$tag" --json > "$out/search-$tag.json" 2>> "$out/bench.log"; then
      fact "search_$tag" "$("$py" -c 'import json, sys; r = json.load(open(sys.argv[1])); r["wall_seconds"] = float(sys.argv[2]); r["epochs_run"] = int(sys.argv[3]); print(json.dumps(r))' "$out/search-$tag.json" "$(elapsed "$t0")" "$e")"
    else
      fail "search $tag (see bench.log)"
    fi
  done
}

overall=$(now)
((dry)) || digits_where_debian_has_them
if stage build; then
  unpack && find_torch && configure_and_build
  publish
elif [[ -d $prefix/fallback ]]; then
  export LD_LIBRARY_PATH="$prefix/fallback${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if ((failed == 0)) && stage test; then run_tests; publish; fi
if [[ -x $build/d2a ]] && stage bench; then run_benchmarks; fi
fact total_seconds "$(elapsed "$overall")"
fact failed "$failed"
"$py" - "$facts" "$out" <<'PY'
import json, os, sys
figures = {}
for line in open(sys.argv[1]):
    figures.update(json.loads(line))
for name in ("bench_train_cpp", "bench_train_python"):
    path = os.path.join(sys.argv[2], name + ".jsonl")
    if os.path.exists(path):
        figures[name] = [json.loads(l) for l in open(path) if l.strip()]
if "bench_train_cpp" in figures and "bench_train_python" in figures:
    # Like for like: the same cell, precision and layout (NCHW, PyTorch's default) on both sides.
    figures["train_step_ratio_cpp_over_python"] = [
        {"cell": p["cell"], "precision": p["precision"], "layout": p["layout"],
         "ratio": round(c["images_per_second"] / p["images_per_second"], 3)}
        for p in figures["bench_train_python"] for c in figures["bench_train_cpp"]
        if (c["cell"], c["precision"], c["layout"]) == (p["cell"], p["precision"], p["layout"])]
json.dump(figures, open(os.path.join(sys.argv[2], "figures.json"), "w"), indent=1)
print(json.dumps({k: figures[k] for k in figures if not k.startswith(("bench_", "search_"))}, indent=1))
PY
say "figures in $out/figures.json (failed: $failed)"
publish
exit "$failed"
