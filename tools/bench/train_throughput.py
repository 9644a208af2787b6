#!/usr/bin/env python3
"""Training throughput of the NAS-Bench-201 cell network in PyTorch's Python API.

The reference for d2a's C++ trainer (tools/bench/train_throughput.sh runs both): the same
network (stem, 3 stages of N cells, residual blocks, BN-ReLU-GAP-linear), the same step
(forward, cross-entropy, backward, SGD Nesterov 0.9 wd 5e-4), on fixed random tensors, so only
the framework differs. Prints one JSON line per cell.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in, c_out, k, stride):
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False),
                         nn.BatchNorm2d(c_out))


def make_op(name, c):
    if name == "nor_conv_1x1":
        return ReLUConvBN(c, c, 1, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c, c, 3, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    if name == "skip_connect":
        return nn.Identity()
    raise ValueError(name)


class Cell(nn.Module):
    def __init__(self, ops, c):
        super().__init__()
        self.edges = [(i, j, name) for (i, j), name in zip(EDGES, ops) if name != "none"]
        self.ops = nn.ModuleList(make_op(name, c) for _, _, name in self.edges)

    def forward(self, x):
        nodes = [x, None, None, None]
        for j in (1, 2, 3):
            total = None
            for (i, t, _), op in zip(self.edges, self.ops):
                if t == j and nodes[i] is not None:
                    y = op(nodes[i])
                    total = y if total is None else total + y
            nodes[j] = total
        return nodes[3] if nodes[3] is not None else torch.zeros_like(x)


class ResBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.a = ReLUConvBN(c_in, c_out, 3, 2)
        self.b = ReLUConvBN(c_out, c_out, 3, 1)
        self.down = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.b(self.a(x)) + self.down(x)


class Network(nn.Module):
    def __init__(self, ops, c, n, in_ch, classes):
        super().__init__()
        layers = [nn.Conv2d(in_ch, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c)]
        for stage in range(3):
            if stage:
                layers.append(ResBlock(c, 2 * c))
                c *= 2
            layers += [Cell(ops, c) for _ in range(n)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU())
        self.classifier = nn.Linear(c, classes)

    def forward(self, x):
        x = self.head(self.features(x))
        return self.classifier(x.mean((2, 3)))


def parse_cell(text):
    return [tok.split("~")[0] for tok in text.replace("+", "").split("|") if tok]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cell", action="append", required=True)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--cells", type=int, default=1)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--in-channels", type=int, default=3)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--profile", help="chrome-trace file of the timed steps")
    p.add_argument("--layout", choices=["nchw", "channels-last"], default="nchw",
                   help="memory layout (default: PyTorch's, NCHW)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="bf16: the forward pass under torch.autocast(dtype=torch.bfloat16)")
    args = p.parse_args()
    device = torch.device(args.device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.randn(args.batch, args.in_channels, args.size, args.size)
    channels_last = args.layout == "channels-last"
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, args.classes, (args.batch,))
    x, y = x.to(device), y.to(device)
    for cell in args.cell:
        net = Network(parse_cell(cell), args.channels, args.cells, args.in_channels, args.classes).to(device)
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                              weight_decay=5e-4)
        net.train()
        prof = None
        for step in range(args.warmup + args.steps):
            if step == args.warmup:
                if args.profile:
                    prof = torch.autograd.profiler.profile(use_kineto=False)
                    prof.__enter__()
                sync()
                start = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
                logits = net(x)
            loss = F.cross_entropy(logits.float(), y)
            loss.backward()
            opt.step()
        sync()
        seconds = time.perf_counter() - start
        if prof is not None:
            prof.__exit__(None, None, None)
            prof.export_chrome_trace(args.profile)
        print(json.dumps({"impl": "python", "cell": cell, "images_per_second":
                          args.batch * args.steps / seconds, "steps": args.steps,
                          "batch": args.batch, "channels": args.channels, "cells": args.cells,
                          "size": args.size, "threads": args.threads, "layout": args.layout,
                          "device": args.device, "precision": args.precision,
                          "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
