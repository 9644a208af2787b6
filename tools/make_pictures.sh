#!/usr/bin/env bash
# Installs the Debian packages that tools/make_pictures.py needs (icon themes, Open Clip Art,
# Noto Color Emoji, librsvg, PIL), then renders the colour picture datasets into OUT
# (default build/data/pictures). Deterministic for a seed.
#   tools/make_pictures.sh [OUT] [extra make_pictures.py arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/data/pictures}"
shift || true
packages=(python3-pil librsvg2-bin openclipart-png fonts-noto-color-emoji unicode-data
          adwaita-icon-theme breeze-icon-theme elementary-icon-theme elementary-xfce-icon-theme
          faba-icon-theme faenza-icon-theme gnome-icon-theme deepin-icon-theme
          lxde-icon-theme mate-icon-theme moka-icon-theme numix-icon-theme obsidian-icon-theme
          oxygen-icon-theme paper-icon-theme papirus-icon-theme tango-icon-theme
          gnome-icon-theme-gartoon gnome-icon-theme-nuovo gnome-icon-theme-yasis
          gnome-icon-theme-suede sugar-icon-theme suru-icon-theme)
source tools/packages.sh
ensure_packages "${packages[@]}"
rm -rf "$out"
mkdir -p "$out"
/usr/bin/python3 tools/make_pictures.py --out "$out" "$@"
