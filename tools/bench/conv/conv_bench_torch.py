#!/usr/bin/env python3
"""PyTorch's side of the conv benchmark (see NOTES.md here): torch.nn.functional.conv2d (f32,
CPU, oneDNN) on the shapes of shapes.txt at batch 128, forward alone (no grad) and forward +
backward (x and weight require grad, no bias, a fixed random cotangent), as conv_bench times ours.
Prints `<tag> <name> <fwd_seconds> <fwdbwd_seconds>` per shape (medians after warm-up).
Usage: conv_bench_torch.py <shapes.txt> <tag> [reps] [batch] [threads]"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def read_shapes(path):
    shapes = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, *nums = line.split()
            shapes.append((name, *map(int, nums)))
    return shapes


def time_median(reps, run):
    run()
    run()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    path, tag = sys.argv[1], sys.argv[2]
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 128
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    torch.set_num_threads(threads)
    print(f"# torch {torch.__version__} conv2d f32, {torch.get_num_threads()} threads, "
          f"mkldnn {torch.backends.mkldnn.is_available()}, batch {batch}, median of {reps}, {tag}")
    gen = torch.Generator().manual_seed(7)
    for name, c_in, c_out, size, kernel, stride, pad in read_shapes(path):
        x = (torch.rand(batch, c_in, size, size, generator=gen) * 2 - 1).requires_grad_(True)
        w = ((torch.rand(c_out, c_in, kernel, kernel, generator=gen) * 2 - 1) * 0.1)
        w.requires_grad_(True)
        with torch.no_grad():
            cot = torch.randn(F.conv2d(x, w, None, stride, pad).shape, generator=gen)

        def forward():
            with torch.no_grad():
                F.conv2d(x, w, None, stride, pad)

        def forward_backward():
            x.grad = None
            w.grad = None
            F.conv2d(x, w, None, stride, pad).backward(cot)

        fwd = time_median(reps, forward)
        fwdbwd = time_median(reps, forward_backward)
        print(f"{tag} {name} {fwd:.6f} {fwdbwd:.6f}", flush=True)


if __name__ == "__main__":
    main()
