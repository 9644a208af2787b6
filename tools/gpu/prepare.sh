#!/usr/bin/env bash
# Prepares the GPU kit on this (CPU, Debian 12) machine: downloads the Debian packages d2a needs
# besides LibTorch (HDF5 with the libraries it loads, Boost, CLI11, GoogleTest's sources,
# nlohmann-json, stb, zlib, Gloo's headers, libjpeg-turbo and libwebp for photo folders) into
# .gpu-kit/debs, unpacks them, and packs the files a build needs into .gpu-kit/carry/kit.tar.xz,
# an ignored folder that the device tool carries (`carry: [".gpu-kit/carry"]`). The GPU machine
# has PyTorch 2.x with CUDA, nvcc, cmake and ninja but none of these, and cannot download
# anything; tools/gpu/run.sh unpacks the kit there.
# The device tool carries 64 MiB with the working tree (~50 MiB of it the shipped models and
# database), so the kit holds no documentation, no static library and only the Boost headers
# d2a's units read (with Boost's config and MPL's preprocessed gcc headers): about 10 MiB.
#
#   tools/gpu/prepare.sh            (idempotent; prints the kit's size)
#
# apt runs with a state of its own under .gpu-kit/apt (the system's sources, private lists and
# cache): nothing is installed and no root is needed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
kit="$root/.gpu-kit"
mkdir -p "$kit/apt/lists/partial" "$kit/apt/cache/archives/partial" "$kit/debs" "$kit/logs"

# Headers and build inputs (only these packages, not their -dev dependencies), then the shared
# libraries d2a links against, whose own runtime dependencies are added below.
dev_packages=(libhdf5-dev libboost1.74-dev libcli11-dev googletest nlohmann-json3-dev libstb-dev
              zlib1g-dev libgloo-dev libjpeg62-turbo-dev libwebp-dev)
runtime_roots=(libhdf5-103-1 libstb0 zlib1g libjpeg62-turbo libwebp7)
# What every Linux the kit meets already has (and must not be replaced by Debian 12's copies).
base='^(libc6|libgcc-s1|gcc-12-base|libstdc\+\+6|debconf|.*-base)$'

apt_opts=(-o Dir::State::Lists="$kit/apt/lists" -o Dir::Cache="$kit/apt/cache"
          -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
if [[ ! -f $kit/apt/updated ]]; then
  apt-get "${apt_opts[@]}" update > "$kit/logs/apt-update.log" 2>&1 \
    || { echo "prepare: apt-get update failed: see $kit/logs/apt-update.log" >&2; exit 1; }
  touch "$kit/apt/updated"
fi
mapfile -t runtime < <(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests \
  --no-conflicts --no-breaks --no-replaces --no-enhances "${runtime_roots[@]}" \
  | grep -v '^ ' | grep -v '^<' | grep -Ev "$base" | sort -u)
wanted=("${dev_packages[@]}" "${runtime[@]}")
missing=()
for p in "${wanted[@]}"; do
  ls "$kit/debs/${p}_"*.deb > /dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "prepare: downloading ${#missing[@]} packages: ${missing[*]}" >&2
  (cd "$kit/debs" && apt-get "${apt_opts[@]}" download "${missing[@]}" > "$kit/logs/apt-download.log" 2>&1) \
    || { echo "prepare: apt-get download failed: see $kit/logs/apt-download.log" >&2; exit 1; }
fi

# Unpack everything, then pick the files a build and its run need.
rm -rf "$kit/root"
mkdir -p "$kit/root" "$kit/carry"
for p in "${wanted[@]}"; do dpkg -x "$(ls "$kit/debs/${p}_"*.deb | head -1)" "$kit/root"; done
inc="$kit/root/usr/include"
# The Boost headers d2a's units read, resolved against the kit's own Boost.
mapfile -t boost_units < <(cd "$root" && grep -rl --include=*.cpp --include=*.h "#include <boost/" src include tests tools)
for u in "${boost_units[@]}"; do
  g++ -std=c++17 -M -I"$inc" -I"$root/include" -I"$root/build/generated" -I"$root/tests" "$root/$u" \
    | tr ' \\' '\n\n' | grep "^$inc/boost/" || true
done | sed "s|^$kit/root/||" | sort -u > "$kit/boost-headers.txt"
(cd "$kit/root" && find usr/include/boost/config usr/include/boost/mpl/aux_/preprocessed/gcc -type f) >> "$kit/boost-headers.txt"
(
  cd "$kit/root"
  find . \( -type f -o -type l \) ! -path './usr/share/doc/*' ! -path './usr/share/man/*' \
       ! -path './usr/share/lintian/*' ! -path './usr/include/boost/*' ! -name '*.a' \
       ! -path './usr/lib/x86_64-linux-gnu/cmake/boost_[!h]*' | sed 's|^\./||'
  sort -u "$kit/boost-headers.txt"
) > "$kit/files.txt"
# Packed again only when its contents change (run.sh unpacks a new kit, and CMake then
# rebuilds everything that includes it).
manifest=$( (cd "$kit/debs" && ls; cat "$kit/files.txt") | sha256sum | cut -d' ' -f1)
if [[ ! -f $kit/carry/kit.tar.xz || $(cat "$kit/carry/manifest" 2>/dev/null) != "$manifest" ]]; then
  tar -C "$kit/root" -cJf "$kit/carry/kit.tar.xz" -T "$kit/files.txt"
  printf '%s\n' "${runtime[@]}" > "$kit/carry/runtime-packages.txt"
  (cd "$kit/debs" && ls) > "$kit/carry/debs.txt"
  echo "$manifest" > "$kit/carry/manifest"
fi
size_kb=$(du -k "$kit/carry/kit.tar.xz" | cut -f1)
echo "prepare: .gpu-kit/carry/kit.tar.xz: $(wc -l < "$kit/files.txt") files from ${#wanted[@]} packages, $((size_kb / 1024)) MiB" >&2
tracked_mb=$(cd "$root" && git ls-files -z | xargs -0 du -bc 2>/dev/null | tail -1 | cut -f1)
tracked_mb=$((tracked_mb / 1048576))
echo "prepare: with the ${tracked_mb} MiB of tracked files, a device call carries $((tracked_mb + size_kb / 1024)) MiB of its 64" >&2
if ((tracked_mb + size_kb / 1024 > 62)); then
  echo "prepare: WARNING: that no longer fits the device tool's 64 MiB (the dry run does not need it to)" >&2
fi
