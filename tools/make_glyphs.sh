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
          fonts-crosextra-caladea fonts-linuxlibertine fonts-ebgaramond fonts-cantarell)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
rm -rf "$out"
mkdir -p "$out"
/usr/bin/python3 tools/make_glyphs.py --out "$out" "$@"
