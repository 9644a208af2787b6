#!/usr/bin/python3
"""Writes the training images of a held-out table's task (a one-task meta-database) as an image
folder OUT/<class>/<i>.png: the images a user of that data would hand to `d2a suggest`.

  tools/heldout_images.py TABLE.h5 OUT
"""
import os
import sys

import h5py
import numpy as np
from PIL import Image


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, out = sys.argv[1:]
    with h5py.File(path) as f:
        tasks = list(f["tasks"])
        if len(tasks) != 1:
            sys.exit(f"heldout_images: {path} holds {len(tasks)} tasks, expected 1")
        task = f["tasks"][tasks[0]]
        classes = [str(c) for c in task.attrs["classes"]]
        images = task["train"]["images"][:]  # [classes, per_class, H, W, C]
    for k, name in enumerate(classes):
        folder = os.path.join(out, name.replace("/", "-"))  # e.g. "T-shirt/top"
        os.makedirs(folder, exist_ok=True)
        for i, pixels in enumerate(images[k]):
            array = pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
            Image.fromarray(np.ascontiguousarray(array)).save(os.path.join(folder, f"{i:03d}.png"))
    print(f"heldout_images: {images.shape[0]} classes x {images.shape[1]} images -> {out}")


if __name__ == "__main__":
    main()
