#!/usr/bin/env python3
"""Renders colour picture datasets from Debian packages into image folders.

Three sources, each OUT/<source>/{train,test}/<class>/*.png, 32x32 RGB:

  icons    freedesktop icon names (computer, folder, printer, ...) drawn by 20-odd Debian icon
           themes; a class is one icon name, its images that icon in every theme (each size a
           theme draws separately, from SVG or PNG). Themes are split between train and test, so
           a test image is always a theme the training images never showed.
  clipart  Debian's openclipart-png, one class per topic folder (birds, fruit, vehicles, ...);
           pictures (not jittered copies) are split between train and test.
  emoji    Noto Color Emoji, one class per Unicode emoji subgroup (animal-mammal, food-fruit,
           transport-ground, ...); emoji are split between train and test. Skin-tone variants
           are left out (they would put near copies on both sides).

Each picture is composited on a plain background (a seeded choice of four greys
from white to dark; not black, on which black line icons vanish) and drawn a few times with a small seeded jitter (rotation, scale, shift). Never
flipped: a mirrored arrow or letter is another picture.

Deterministic: the same packages, seed and arguments give byte-identical PNGs.
Run through tools/make_pictures.sh, which installs the Debian packages this needs.
"""
import argparse
import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys

from PIL import Image, ImageFont, ImageDraw

Image.MAX_IMAGE_PIXELS = 40_000_000  # a few clip-art PNGs are 600-megapixel posters

SIZE = 32
ICON_ROOT = "/usr/share/icons"
# Base themes with their own drawings (their colour variants, e.g. Papirus-Dark, are left out).
ICON_THEMES = ["Adwaita", "Faba", "Faenza", "Moka", "Numix", "Nuovo", "Obsidian", "Paper",
               "Papirus", "Tango", "breeze", "elementary", "elementary-xfce", "gartoon", "gnome",
               "mate", "nuoveXT2", "oxygen", "suru", "yasis", "Suede", "bloom", "sugar"]
ICON_NAMES = ["computer", "folder", "user-trash", "printer", "drive-harddisk", "media-optical",
              "user-home", "dialog-warning", "dialog-error", "dialog-information", "system-search",
              "edit-copy", "edit-cut", "edit-delete", "document-save", "go-next", "view-refresh",
              "list-add", "media-playback-start", "audio-volume-high", "input-keyboard",
              "camera-photo", "system-shutdown", "utilities-terminal", "web-browser",
              "mail-message-new", "edit-undo", "zoom-in"]
CLIPART_ROOT = "/usr/share/openclipart/png"
CLIPART_CLASSES = {
    "birds": "animals/birds", "bugs": "animals/bugs", "mammals": "animals/mammals",
    "fruit": "food/fruit", "desserts": "food/desserts", "beverages": "food/beverages",
    "flowers": "plants/flowers", "music": "recreation/music", "sports": "recreation/sports",
    "holiday": "recreation/holiday", "homes": "buildings/homes",
    "vehicles": "transportation/vehicles", "boats": "transportation/boating",
    "roadsigns": "transportation/roadsigns", "weapons": "tools/weapons",
    "smilies": "people/smilies", "stickmen": "people/stickmen", "clothing": "people/clothing",
    "hardware": "computer/hardware", "electronics": "electronics",
}
EMOJI_TEST = "/usr/share/unicode/emoji/emoji-test.txt"
EMOJI_FONT = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
BACKGROUNDS = [(255, 255, 255), (224, 224, 224), (160, 160, 160), (96, 96, 96)]


def rasterise_svg(path, size=96):
    png = subprocess.run(["rsvg-convert", "-w", str(size), "-h", str(size), path],
                         capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(png)).convert("RGBA")


def load_picture(path):
    """The picture as RGBA at most 256 pixels wide, or None for one too large to decode."""
    if path.endswith(".svg"):
        return rasterise_svg(path)
    try:
        image = Image.open(path)
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    image = image.convert("RGBA")
    image.thumbnail((256, 256), Image.LANCZOS)
    return image


def jittered(picture, rng):
    """One 32x32 RGB drawing of an RGBA picture: seeded rotation, scale, shift, background."""
    box = picture.getchannel("A").getbbox()
    if box is None:
        return None
    picture = picture.crop(box)
    picture = picture.rotate(rng.uniform(-10, 10), resample=Image.BILINEAR, expand=True)
    w, h = picture.size
    target = SIZE * rng.uniform(0.72, 0.94)
    factor = target / max(w, h)
    picture = picture.resize((max(1, round(w * factor)), max(1, round(h * factor))), Image.LANCZOS)
    out = Image.new("RGB", (SIZE, SIZE), BACKGROUNDS[rng.randrange(len(BACKGROUNDS))])
    dx = (SIZE - picture.size[0]) // 2 + rng.randint(-2, 2)
    dy = (SIZE - picture.size[1]) // 2 + rng.randint(-2, 2)
    out.paste(picture, (dx, dy), picture)
    return out


def icon_sources(theme, name):
    """The distinct drawings of `name` in `theme`: one file per size folder, largest first."""
    found = {}
    for dirpath, _, names in os.walk(os.path.join(ICON_ROOT, theme), followlinks=True):
        for ext in (".svg", ".png"):
            if name + ext in names:
                path = os.path.join(dirpath, name + ext)
                real = os.path.realpath(path)
                if os.path.exists(real):
                    found.setdefault(real, path)
    # Symbolic (monochrome) icons are another, flat style of the same name: leave them out.
    files = sorted(r for r in found if "symbolic" not in r)

    def size_of(path):
        for part in path.split("/"):
            head = part.split("x")[0].split("@")[0]
            if head.isdigit():
                return int(head)
        return 1000  # scalable
    return sorted(files, key=lambda p: (-size_of(p), p))


def collect_icons(args):
    """class -> [(group, [files])], a group being one theme."""
    classes = {}
    for name in ICON_NAMES:
        groups = []
        for theme in ICON_THEMES:
            files = icon_sources(theme, name)[:args.sizes_per_theme]
            if files:
                groups.append((theme, files))
        classes[name] = groups
    return classes


def collect_clipart(_args):
    classes = {}
    for name, folder in CLIPART_CLASSES.items():
        files = []
        for dirpath, _, names in os.walk(os.path.join(CLIPART_ROOT, folder)):
            files += [os.path.join(dirpath, n) for n in names if n.endswith(".png")]
        classes[name] = [(os.path.relpath(f, CLIPART_ROOT), [f]) for f in sorted(files)]
    return classes


def emoji_subgroups(min_count):
    groups, subgroup = {}, None
    with open(EMOJI_TEST, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# subgroup:"):
                subgroup = line.split(":", 1)[1].strip()
            elif line and not line.startswith("#") and "; fully-qualified" in line:
                codes = [int(c, 16) for c in line.split(";")[0].split()]
                if any(0x1F3FB <= c <= 0x1F3FF for c in codes):
                    continue  # skin tones
                groups.setdefault(subgroup, []).append("".join(map(chr, codes)))
    return {g: e for g, e in groups.items() if len(e) >= min_count}


def render_emoji(text):
    font = ImageFont.truetype(EMOJI_FONT, 109)  # the only size the bitmap font has
    canvas = Image.new("RGBA", (300, 160), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((10, 10), text, font=font, embedded_color=True)
    return canvas


def collect_emoji(args):
    classes = {}
    for subgroup, emoji in emoji_subgroups(args.min_per_class).items():
        name = re.sub(r"[^a-z0-9]+", "-", subgroup.lower()).strip("-")
        classes[name] = [("U" + "-".join(f"{ord(c):04X}" for c in e), [e]) for e in emoji]
    return classes


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output folder (one sub-folder per source)")
    parser.add_argument("--sources", default="icons,clipart,emoji")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", type=int, default=0,
                        help="jittered drawings per picture (default: icons 4, clipart 4, emoji 3)")
    parser.add_argument("--sizes-per-theme", type=int, default=3,
                        help="icons: separately drawn sizes kept per theme")
    parser.add_argument("--test-fraction", type=float, default=0.3,
                        help="share of themes / pictures kept for the test split")
    parser.add_argument("--min-per-class", type=int, default=25,
                        help="emoji: smallest subgroup kept; all: skip a class with fewer groups")
    args = parser.parse_args()

    collectors = {"icons": collect_icons, "clipart": collect_clipart, "emoji": collect_emoji}
    default_variants = {"icons": 4, "clipart": 4, "emoji": 3}
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = {"seed": args.seed, "size": SIZE, "sources": {}}
    for source in args.sources.split(","):
        if source not in collectors:
            sys.exit(f"make_pictures: unknown source '{source}' (valid: {', '.join(collectors)})")
        variants = args.variants or default_variants[source]
        classes = collectors[source](args)
        min_groups = 6 if source == "icons" else args.min_per_class
        written, kept, test_groups = 0, [], {}
        # Icons split themes once for all classes; the others split the pictures of each class.
        if source == "icons":
            themes = sorted(ICON_THEMES)
            random.Random(f"{args.seed}/icons/split").shuffle(themes)
            test_themes = set(themes[:max(2, round(len(themes) * args.test_fraction))])
        for name in sorted(classes):
            groups = classes[name]
            if len(groups) < min_groups:
                print(f"make_pictures: {source}: skip '{name}': {len(groups)} pictures",
                      file=sys.stderr)
                continue
            kept.append(name)
            if source == "icons":
                test = {g for g, _ in groups if g in test_themes}
            else:
                order = [g for g, _ in groups]
                random.Random(f"{args.seed}/{source}/{name}/split").shuffle(order)
                test = set(order[:max(2, round(len(order) * args.test_fraction))])
            test_groups[name] = sorted(test)
            for group, items in groups:
                split = "test" if group in test else "train"
                folder = os.path.join(args.out, source, split, name)
                os.makedirs(folder, exist_ok=True)
                for item in items:
                    picture = render_emoji(item) if source == "emoji" else load_picture(item)
                    if picture is None:
                        print(f"make_pictures: skip {item}: too large", file=sys.stderr)
                        continue
                    tag = hashlib.sha1(f"{group}/{item}".encode()).hexdigest()[:10]
                    for v in range(variants):
                        rng = random.Random(f"{args.seed}/{source}/{group}/{item}/{v}")
                        image = jittered(picture, rng)
                        if image is None:
                            continue
                        image.save(os.path.join(folder, f"{tag}_{v}.png"), optimize=False)
                        written += 1
        manifest["sources"][source] = {"classes": kept, "variants": variants, "images": written,
                                       "test_groups": test_groups}
        print(f"make_pictures: {source}: {len(kept)} classes, {written} images", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
