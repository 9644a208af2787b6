#!/usr/bin/python3
"""Issue 13: could other allowed benchmark columns close the 0.5-point gap under latency bounds,
and could that be known without CIFAR-10? An analysis of the tables alone (no model).

d2a's prior is fitted to the mean z-score of the 200-epoch CIFAR-100 and ImageNet16-120 columns.
The 12-epoch table has the same two datasets at a low fidelity, also allowed for training. For
each HW-NAS-Bench device and its 25/50/75 % latency bounds (the 18 bounds of
tools/eval_latency.py), this prints:

1. Selection without CIFAR-10: the ranking of one allowed dataset's columns (200-epoch, with and
   without its 12-epoch column, or the 12-epoch alone) used to pick a cell for the *other*
   allowed dataset's 200-epoch column, the same transfer suggest makes to a new dataset: mean and
   worst gap to the best cell under each bound. This is what may choose the prior's columns.
2. Evaluation only (CIFAR-10, the held-out target): the same gaps against CIFAR-10's 200-epoch
   column and how many of the 18 bounds each ranking meets within 0.5 points. Choosing a column
   here would be tuning on the target.

  tools/latency_column_study.py [--nb201 ../shared/data/nb201]
"""
import argparse
import csv
import os
import sys

import numpy as np

DEVICES = ["edgegpu", "raspi4", "edgetpu", "pixel3", "eyeriss", "fpga"]


def column(path, name):
    with open(path, newline="") as f:
        return np.array([float(r[name]) for r in csv.DictReader(f)])


def z(v):
    return (v - v.mean()) / v.std()


def gaps(target, score, latencies):
    """The target's best under each bound minus the target of the score's first pick there."""
    out = []
    for lat in latencies:
        valid = lat > 0  # edgetpu's -1: not measured, never claimed to meet a bound
        for q in (25, 50, 75):
            ok = valid & (lat <= np.percentile(lat[valid], q))
            idx = np.flatnonzero(ok)
            out.append(target[ok].max() - target[idx[np.argmax(score[ok])]])
    return np.array(out)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nb201", default=os.path.join(root, "..", "shared", "data", "nb201"))
    a = p.parse_args()
    acc200 = os.path.join(a.nb201, "nb201_test_acc_200ep.csv")
    acc12 = os.path.join(a.nb201, "nb201_acc_12ep.csv")
    hw = os.path.join(a.nb201, "nb201_hw_latency_cifar10.csv")
    for path in (acc200, acc12, hw):
        if not os.path.isfile(path):
            print(f"latency_column_study: no such file {path}", file=sys.stderr)
            sys.exit(2)
    c100, i16 = column(acc200, "CIFAR100TestAccuracy200Epochs"), column(acc200, "ImageNetTestAccuracy200Epochs")
    c100_12, i16_12 = column(acc12, "cifar100-test"), column(acc12, "imagenet-test")
    latencies = [column(hw, f"{d}_latency") for d in DEVICES]  # all three files are in index order

    print("1. Selection without CIFAR-10: one allowed dataset's ranking picks for the other (18 bounds)")
    for target_name, target, source, src200, src12 in [
            ("ImageNet16-120 200ep", i16, "CIFAR-100", c100, c100_12),
            ("CIFAR-100 200ep", c100, "ImageNet16-120", i16, i16_12)]:
        for name, score in [("200-epoch", z(src200)), ("200 + 12-epoch", z(src200) + z(src12)),
                            ("12-epoch", z(src12))]:
            g = gaps(target, score, latencies)
            print(f"   {target_name:21s} from {source:15s} {name:15s} mean gap {g.mean():.2f}, worst {g.max():.2f}")

    c10 = column(acc200, "CIFAR10TestAccuracy200Epochs")
    print("2. Evaluation only, CIFAR-10 200ep (never used to choose): bounds within 0.5, mean gap")
    for name, score in [("prior's columns: C100 + IN16 200ep", z(c100) + z(i16)),
                        ("C100 200ep", c100), ("IN16 200ep", i16),
                        ("all four columns (200 + 12ep)", z(c100) + z(i16) + z(c100_12) + z(i16_12)),
                        ("C100 12ep", c100_12)]:
        g = gaps(c10, score, latencies)
        print(f"   {name:36s} {int((g <= 0.5).sum()):2d}/18, mean gap {g.mean():.2f}")


if __name__ == "__main__":
    main()
