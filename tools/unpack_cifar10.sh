#!/usr/bin/env bash
# Unpacks splits of the shared CIFAR-10 JPEG tarball into BUILD/data/cifar10/SPLIT, once each
# (a marker per split, the one the data tests use for test), never into the source tree.
#
#   tools/unpack_cifar10.sh BUILD SHARED SPLIT...     (SPLIT: train, test)
set -euo pipefail
build=$1 shared=$2
shift 2
tarball="$shared/data/images/cifar10-jpeg.tar.gz"
[[ -f $tarball ]] || { echo "unpack_cifar10: missing shared data $tarball" >&2; exit 1; }
mkdir -p "$build/data"
for split in "$@"; do
  marker="$build/data/.cifar10-jpeg-$split.unpacked"
  [[ -f $marker ]] && continue
  rm -rf "$build/data/cifar10/$split"
  tar -xzf "$tarball" -C "$build/data" "cifar10/$split"
  echo "unpacked from $tarball" > "$marker"
done
