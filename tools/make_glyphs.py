#!/usr/bin/env python3
"""Renders glyph datasets (notMNIST / Omniglot style) from Debian's font packages.

Each writing system becomes one image-folder dataset, OUT/<script>/{train,test}/<class>/*.png,
32x32 grey, white glyph on black. A class is one character; its images are that character in
many typefaces, each drawn a few times with a small seeded jitter (rotation, scale, shift,
stroke). Typefaces are split between train and test (no typeface is in both), so a test image
is always a font the training images never showed.

Deterministic: the same fonts, seed and arguments give byte-identical PNGs.
Run through tools/make_glyphs.sh, which installs the Debian packages this needs.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import unicodedata

from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageDraw, ImageFont

SCRIPTS = {
    "latin": [chr(c) for c in range(ord("A"), ord("Z") + 1)],
    "latin-lower": [chr(c) for c in range(ord("a"), ord("z") + 1)],
    "numerals": [chr(c) for c in range(ord("0"), ord("9") + 1)],
    "greek": [chr(c) for c in range(0x391, 0x3AA) if c != 0x3A2],
    "cyrillic": [chr(c) for c in range(0x410, 0x430)],
    "armenian": [chr(c) for c in range(0x531, 0x557)],
    "georgian": [chr(c) for c in range(0x10D0, 0x10F1)],
    "hebrew": [chr(c) for c in range(0x5D0, 0x5EB) if c not in (0x5DA, 0x5DD, 0x5DF, 0x5E3, 0x5E5)],
    "devanagari": [chr(c) for c in range(0x915, 0x93A)],
    "thai": [chr(c) for c in range(0xE01, 0xE2F)],
    # The 28 letters in their isolated forms, plus teh marbuta and alef maksura.
    "arabic": [chr(c) for c in range(0x627, 0x63B)] + [chr(c) for c in range(0x641, 0x64B)],
    "ethiopic": [chr(c) for c in range(0x1200, 0x1248, 8)],
    "cherokee": [chr(c) for c in range(0x13A0, 0x13C8)],
    "math": list("+-×÷=≠<>≤≥∑∏∫√∞∂∇∈∉∩∪⊂⊃∀∃¬∧∨⊕⊗"),
}
# Debian font folders scanned (fonts-noto-core, -dejavu, -liberation2, -freefont, -urw-base35,
# -texgyre, -croscore, -crosextra-*, -linuxlibertine, -ebgaramond, -cantarell, and the Arabic
# families of -kacst, -kacst-one, -arabeyes, -farsiweb, -hosny-amiri, -hosny-thabit,
# -sil-scheherazade, -sil-lateef, -sil-harmattan).
FONT_DIRS = ["/usr/share/fonts/truetype", "/usr/share/fonts/opentype"]
SIZE = 32
# Fonts that map letters to pictures or to another alphabet (URW's Symbol and Dingbats clones),
# and the colour emoji font (a bitmap font of one size, whose digits are emoji).
EXCLUDED_FAMILIES = ("Standard Symbols", "D050000L", "Dingbats", "Symbol", "Color Emoji")


def font_files():
    files = []
    for root in FONT_DIRS:
        for dirpath, _, names in os.walk(root):
            for name in names:
                if name.lower().endswith((".ttf", ".otf")):
                    files.append(os.path.join(dirpath, name))
    return sorted(files)


def coverage(path):
    try:
        font = TTFont(path, lazy=True)
        cmap = font.getBestCmap() or {}
        family = font["name"].getDebugName(1) or os.path.basename(path)
        style = font["name"].getDebugName(2) or ""
        return set(cmap.keys()), f"{family} {style}".strip()
    except Exception:
        return set(), None


def render(font_path, ch, rng):
    """One jittered 32x32 rendering, or None if the font draws nothing for ch."""
    scale = rng.uniform(0.70, 0.95)
    font = ImageFont.truetype(font_path, size=int(SIZE * 2 * scale))
    canvas = Image.new("L", (SIZE * 3, SIZE * 3), 0)
    draw = ImageDraw.Draw(canvas)
    stroke = 1 if rng.random() < 0.25 else 0
    draw.text((SIZE * 1.5, SIZE * 1.5), ch, fill=255, font=font, anchor="mm", stroke_width=stroke,
              stroke_fill=255)
    box = canvas.getbbox()
    if box is None:
        return None
    glyph = canvas.crop(box)
    glyph = glyph.rotate(rng.uniform(-12, 12), resample=Image.BILINEAR, expand=True)
    w, h = glyph.size
    target = int(SIZE * rng.uniform(0.62, 0.86))
    factor = target / max(w, h)
    glyph = glyph.resize((max(1, round(w * factor)), max(1, round(h * factor))), Image.BILINEAR)
    out = Image.new("L", (SIZE, SIZE), 0)
    dx = (SIZE - glyph.size[0]) // 2 + rng.randint(-2, 2)
    dy = (SIZE - glyph.size[1]) // 2 + rng.randint(-2, 2)
    out.paste(glyph, (dx, dy))
    return out


def class_name(ch):
    try:
        name = unicodedata.name(ch)
    except ValueError:
        name = "CHAR"
    return f"U{ord(ch):04X}_" + "".join(c if c.isalnum() else "-" for c in name.lower())


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output folder (one sub-folder per script)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", type=int, default=4, help="jittered drawings per font")
    parser.add_argument("--test-fraction", type=float, default=0.3,
                        help="share of typefaces kept for the test split")
    parser.add_argument("--min-fonts", type=int, default=6,
                        help="skip a script that fewer typefaces cover completely")
    parser.add_argument("--scripts", default=",".join(SCRIPTS), help="comma-separated subset")
    args = parser.parse_args()

    fonts = []
    seen_names = set()
    for path in font_files():
        cmap, name = coverage(path)
        if name and any(x in name for x in EXCLUDED_FAMILIES):
            continue
        if name and name not in seen_names:  # one file per family+style
            seen_names.add(name)
            fonts.append((path, name, cmap))
    manifest = {"seed": args.seed, "variants": args.variants, "size": SIZE, "scripts": {}}
    for script in args.scripts.split(","):
        chars = SCRIPTS[script]
        covering = [(p, n) for p, n, cmap in fonts if all(ord(c) in cmap for c in chars)]
        if len(covering) < args.min_fonts:
            print(f"make_glyphs: skip {script}: only {len(covering)} typefaces cover it",
                  file=sys.stderr)
            continue
        order = random.Random(f"{args.seed}/{script}/split")
        covering.sort(key=lambda f: f[1])
        order.shuffle(covering)
        n_test = max(2, round(len(covering) * args.test_fraction))
        splits = {"test": covering[:n_test], "train": covering[n_test:]}
        written = 0
        for split, split_fonts in splits.items():
            for ch in chars:
                folder = os.path.join(args.out, script, split, class_name(ch))
                os.makedirs(folder, exist_ok=True)
                for path, name in split_fonts:
                    tag = hashlib.sha1(name.encode()).hexdigest()[:10]
                    for v in range(args.variants):
                        rng = random.Random(f"{args.seed}/{script}/{name}/{ord(ch)}/{v}")
                        image = render(path, ch, rng)
                        if image is None:
                            continue
                        image.save(os.path.join(folder, f"{tag}_{v}.png"), optimize=False)
                        written += 1
        manifest["scripts"][script] = {
            "classes": len(chars),
            "train_fonts": [n for _, n in splits["train"]],
            "test_fonts": [n for _, n in splits["test"]],
            "images": written,
        }
        print(f"make_glyphs: {script}: {len(chars)} classes, {len(splits['train'])} train / "
              f"{len(splits['test'])} test typefaces, {written} images", file=sys.stderr)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
