#!/usr/bin/env bash
# Compiles every d2a translation unit that includes LibTorch against the headers of a LibTorch
# 2.x (Debian 13 "trixie"'s libtorch-dev, 2.6) with -fsyntax-only, on this Debian 12 machine,
# so that the one source tree keeps building with the CUDA LibTorch 2.x a GPU user installs.
#
#   tools/compat/check_libtorch2.sh [JOBS]        (default: the number of cores)
#
# The trixie package is fetched with apt-get download through an apt state of its own under
# build/compat (its own sources list, lists and cache): the system's sources are not touched and
# nothing is ever installed from trixie. It is unpacked with dpkg -x under build/compat/root.
# Linking is not the point (trixie's libraries need a newer glibc). Each unit is checked to have
# read no header of the system's LibTorch 1.13 (/usr/include/{torch,ATen,c10,caffe2}).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
jobs="${1:-$(nproc)}"
work="$root/build/compat"
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/debs" "$work/logs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
  > "$work/apt/sources.list"
apt_opts=(-o Dir::Etc::SourceList="$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$work/apt/lists" -o Dir::Cache="$work/apt/cache"
          -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
if ! ls "$work"/debs/libtorch-dev_2*.deb > /dev/null 2>&1; then
  apt-get "${apt_opts[@]}" update > "$work/logs/apt-update.log" 2>&1 \
    || { echo "check_libtorch2: apt-get update (trixie) failed: see $work/logs/apt-update.log" >&2; exit 1; }
  (cd "$work/debs" && apt-get "${apt_opts[@]}" download libtorch-dev > "$work/logs/apt-download.log" 2>&1) \
    || { echo "check_libtorch2: apt-get download libtorch-dev failed: see $work/logs/apt-download.log" >&2; exit 1; }
fi
deb=$(ls "$work"/debs/libtorch-dev_2*.deb | head -1)
version=$(dpkg-deb -f "$deb" Version)
if [[ ! -f $work/root/.version || $(cat "$work/root/.version") != "$version" ]]; then
  rm -rf "$work/root"
  mkdir -p "$work/root"
  dpkg -x "$deb" "$work/root"
  echo "$version" > "$work/root/.version"
fi
lt="$work/root/usr/include"

# The units: every .cpp of src/, tests/ and tools/ that reads LibTorch: one that includes
# <torch/...>, <c10/...> or <ATen/...> itself, or through a header of the project's that does
# (followed until no new header turns up). Units that include only <c10/...> (the allocator's)
# or a test header with torch in it were once missed, and the first GPU build stopped on one.
# How a unit names header $1 in its #include "...": include/ and tests/ headers by their path
# below that folder, src/ and tools/ headers by their name (included from their own folder).
include_token() {
  case $1 in
    include/*) echo "${1#include/}" ;;
    tests/*) echo "${1#tests/}" ;;
    *) basename "$1" ;;
  esac
}
torch_units() {
  local pattern='#include <(torch|c10|ATen)/' headers=() more tokens h
  mapfile -t headers < <(grep -rlE --include=*.h "$pattern" include src tests tools | sort)
  while :; do
    tokens=()
    for h in "${headers[@]}"; do
      tokens+=(-e "#include \"$(include_token "$h")\"" -e "#include \"$(basename "$h")\"")
    done
    mapfile -t more < <( (printf '%s\n' "${headers[@]}"; grep -rlF --include=*.h "${tokens[@]}" include src tests tools) | sort -u)
    ((${#more[@]} == ${#headers[@]})) && break
    headers=("${more[@]}")
  done
  tokens=()
  for h in "${headers[@]}"; do tokens+=(-e "#include \"$(include_token "$h")\""); done
  { grep -rlE --include=*.cpp "$pattern" src tests tools; grep -rlF --include=*.cpp "${tokens[@]}" src tests tools; } | sort -u
}
mapfile -t units < <(cd "$root" && torch_units | grep -E "${UNITS_FILTER:-.}")
# The generated version header the units include (as CMake writes it).
mkdir -p "$work/generated/d2a"
sed "s/@PROJECT_VERSION@/$(sed -n 's/^project(d2a VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")/g" \
  "$root/cmake/version.h.in" > "$work/generated/d2a/version.h"
flags=(-std=c++17 -fsyntax-only -H -w
       -I"$lt" -I"$lt/torch/csrc/api/include"
       -I"$root/include" -I"$work/generated" -I"$root/tests" -I/usr/include/hdf5/serial
       -DD2A_SOURCE_DIR=\""$root"\" -DD2A_BINARY_DIR=\""$root/build"\" -DD2A_EXECUTABLE=\""$root/build/d2a"\"
       -DD2A_MODELS_DIR=\""$root/models"\" -DD2A_SHARED_DIR=\""$root/../shared"\")
# torch/torch.h is parsed once, into a precompiled header every unit then reads first (as the
# build's own torch_pch.h does): parsing it is most of a unit's time. The header's own read is
# checked for 1.13 headers like a unit's; a unit the header cannot serve (GCC then falls back to
# parsing torch_pch.h itself) is still checked, only slower, and counted below.
# old_header LOG: the first header of the system's LibTorch 1.13 that a -H log shows read, if any.
old_header() {
  grep -Em1 '^\.+ /usr/include/(torch|ATen|c10|caffe2)/' "$1" | sed 's/^\.* //' || true
}
start=$(date +%s)
pch="$work/pch/torch_pch.h"
mkdir -p "$work/pch"
cp "$root/src/torch_pch.h" "$pch"
pch_log="$work/logs/torch_pch.log"
pch_flags=()
for f in "${flags[@]}"; do [[ $f == -fsyntax-only ]] || pch_flags+=("$f"); done
g++ "${pch_flags[@]}" -x c++-header "$pch" -o "$pch.gch" > "$pch_log" 2>&1 \
  || { echo "check_libtorch2: the precompiled torch/torch.h failed:" >&2; grep -m3 ': error:' "$pch_log" >&2; exit 1; }
old=$(old_header "$pch_log")
[[ -z $old ]] || { echo "check_libtorch2: torch/torch.h read a LibTorch 1.13 header: $old" >&2; exit 1; }
flags+=(-include "$pch")
check() {
  local unit=$1 log="$work/logs/$(echo "$1" | tr / _).log"
  if ! g++ "${flags[@]}" "$root/$unit" > "$log" 2>&1; then
    echo "FAIL $unit"; grep -m3 ': error:' "$log" | sed 's/^/     /'; return 0
  fi
  local old
  old=$(old_header "$log")
  if [[ -n $old ]]; then echo "FAIL $unit (read a LibTorch 1.13 header: $old)"; return 0; fi
  if grep -q '^! .*torch_pch\.h\.gch$' "$log"; then echo "ok   $unit"; else echo "ok   $unit (without the precompiled header)"; fi
}
export work root
results=$(printf '%s\n' "${units[@]}" | xargs -P "$jobs" -I{} bash -c "$(declare -p flags); $(declare -f old_header check); check {}")
failed=$(grep -c '^FAIL' <<< "$results" || true)
grep '^FAIL' -A3 <<< "$results" || true
unserved=$(grep -c 'without the precompiled header' <<< "$results" || true)
echo "check_libtorch2: ${#units[@]} units against LibTorch $version headers: $(( ${#units[@]} - failed )) ok, $failed failed, $unserved without the precompiled header ($(( $(date +%s) - start )) s)"
((failed == 0))
