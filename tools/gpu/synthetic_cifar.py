"""Writes a CIFAR-10 binary folder (data_batch_1..5.bin, test_batch.bin) of random images.

The GPU machine cannot receive the real CIFAR-10 with the working tree (the device tool carries
64 MiB, most of it d2a's shipped models), and a search epoch's time does not depend on what the
pixels show, only on how many there are: the GPU kit times search epochs on this folder.
Accuracy figures never come from it.

    python3 tools/gpu/synthetic_cifar.py OUT_DIR [TRAIN_IMAGES=50000] [TEST_IMAGES=10000]
"""
import os
import random
import sys


def write_batch(path, count, rng):
    with open(path, "wb") as f:
        for _ in range(count):
            f.write(bytes([rng.randrange(10)]))
            f.write(rng.randbytes(3072))


def main():
    out = sys.argv[1]
    train = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    test = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    os.makedirs(out, exist_ok=True)
    rng = random.Random(0)
    per_batch = -(-train // 5)
    left = train
    for i in range(1, 6):
        n = min(per_batch, left)
        left -= n
        if n:
            write_batch(os.path.join(out, f"data_batch_{i}.bin"), n, rng)
    write_batch(os.path.join(out, "test_batch.bin"), test, rng)
    print(f"synthetic_cifar: {train} train and {test} test images of random pixels in {out}")


if __name__ == "__main__":
    main()
