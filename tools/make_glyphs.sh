#!/usr/bin/env bash
# Installs the Debian font packages and Python libraries that tools/make_glyphs.py needs, then
# renders the glyph datasets into OUT (default build/data/glyphs). Deterministic for a seed.
#   tools/make_glyphs.sh [OUT] [extra make_glyphs.py arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/data/glyphs}"
shift || true
packages=(python3-pil python3-fonttools fonts-noto-core fonts-dejavu-core fonts-liberation2
          fonts-freefont-ttf fonts-urw-base35 fonts-texgyre fonts-croscore fonts-crosextra-carlito
          fonts-crosextra-caladea fonts-linuxlibertine fonts-ebgaramond fonts-cantarell
          fonts-kacst fonts-kacst-one fonts-arabeyes fonts-farsiweb fonts-hosny-amiri
          fonts-hosny-thabit fonts-sil-scheherazade fonts-sil-lateef fonts-sil-harmattan)
source tools/packages.sh
ensure_packages "${packages[@]}"
rm -rf "$out"
mkdir -p "$out"
/usr/bin/python3 tools/make_glyphs.py --out "$out" "$@"
