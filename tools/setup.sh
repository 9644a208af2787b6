#!/usr/bin/env bash
# Sets up d2a on a bare Debian 12 machine: installs the Debian packages it needs (nothing is
# downloaded from anywhere else, at build or run time) and builds it into build/.
#   tools/setup.sh              install packages if missing, configure, build
#   D2A_BUILD_DIR=dir tools/setup.sh     build elsewhere
#   D2A_SKIP_APT=1 tools/setup.sh        never call apt-get (packages already present)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libopenblas0-serial   # LibTorch 1.13 (CPU) + a fast single-threaded BLAS
  libgloo-dev                        # headers of c10d's Gloo backend (data-parallel training)
  libhdf5-dev hdf5-tools             # the meta-database, and h5dump/h5ls to inspect it
  libboost-graph-dev libcli11-dev libgtest-dev libstb-dev nlohmann-json3-dev zlib1g-dev
  libjpeg-dev libwebp-dev            # large JPEGs decoded at 1/2..1/8 size; WebP images
  dataset-fashion-mnist python3-sklearn  # real image data: Fashion-MNIST, the 8x8 digits
  gnuplot-nox                        # d2a search and d2a report draw their plots with it
  chromium                           # the report test opens the page in a headless browser
  slurm-wlm munge python3-h5py       # the one-node Slurm test of the sharded db build (ctest)
  clang libclang-rt-14-dev           # libFuzzer targets of the readers (tools/fuzz/run.sh, ctest)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ "${D2A_SKIP_APT:-0}" == 1 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Debian's LibTorch calls whichever BLAS the system selects; the reference BLAS is ~5x slower.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *) echo "setup: warning: the system BLAS is $blas, not OpenBLAS; d2a will be slow" \
          "(update-alternatives --config libblas.so.3-x86_64-linux-gnu)" >&2 ;;
esac

build_dir="${D2A_BUILD_DIR:-build}"
jobs=$(nproc)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build_dir" -j "$jobs"
echo "setup: built $build_dir/d2a ($("$build_dir"/d2a --version))" >&2
