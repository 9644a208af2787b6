#!/usr/bin/python3
"""Compares two chrome traces of the same training steps (train_throughput --profile) by op.

Prints, per op name, the summed wall time (ms) and call count in each trace, largest gap first.
Nested ops (aten::conv2d > aten::convolution > ...) each keep their inclusive time, so a gap
shows at every level it passes through; read the deepest one.
  compare_profiles.py CPP_TRACE PY_TRACE [--top N]

Caution: LibTorch 1.13's legacy profiler distorts the C++ side at full size. With --profile the
C++ benchmark's resident memory grew to 8.7 GB over 11 steps at C=16 N=5 32x32 (1.35 GB
without), its page faults 7x and its system time 25x, and every kernel looked 2-8x slower than
Python's; unprofiled, the same run was faster than Python's. Compare op counts and small
configurations (C=8 N=1 16x16) only, and take speed from runs without --profile.
"""
import argparse
import collections
import json


def load(path):
    with open(path) as f:
        text = f.read().strip()
    data = json.loads(text if text.endswith("]") or text.endswith("}") else text.rstrip(",") + "]")
    events = data["traceEvents"] if isinstance(data, dict) else data
    total = collections.defaultdict(float)
    calls = collections.Counter()
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            total[e["name"]] += float(e["dur"]) / 1000.0
            calls[e["name"]] += 1
    return total, calls


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("cpp")
    p.add_argument("py")
    p.add_argument("--top", type=int, default=25)
    a = p.parse_args()
    ct, cc = load(a.cpp)
    pt, pc = load(a.py)
    names = sorted(set(ct) | set(pt), key=lambda n: -abs(ct.get(n, 0) - pt.get(n, 0)))
    print(f"{'op':<48} {'c++ ms':>9} {'calls':>6} {'py ms':>9} {'calls':>6} {'gap ms':>8}")
    for n in names[: a.top]:
        print(f"{n[:48]:<48} {ct.get(n, 0):>9.1f} {cc.get(n, 0):>6} {pt.get(n, 0):>9.1f} "
              f"{pc.get(n, 0):>6} {ct.get(n, 0) - pt.get(n, 0):>8.1f}")


if __name__ == "__main__":
    main()
