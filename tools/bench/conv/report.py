#!/usr/bin/env python3
"""Merges the timing lines of conv_bench (`ours ...`) and conv_bench_torch.py (`torch_stock ...`,
`torch_jemalloc ...`), each `<tag> <name> <fwd_seconds> <fwdbwd_seconds>`, possibly several rounds
per tag; keeps each tag's best (smallest) median per shape, and prints per shape GFLOP/s and the
ratios torch time / our time (above 1: staa is faster). The last two lines are the geometric means
of the forward+backward ratios, vs stock malloc then `ratio pytorch: <vs jemalloc>`.
Usage: report.py <shapes.txt> <results.txt> [batch]"""
import math
import sys

TAGS = ("ours", "torch_stock", "torch_jemalloc")


def read_shapes(path):
    shapes = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, *nums = line.split()
                shapes.append((name, *map(int, nums)))
    return shapes


def read_results(path):
    best = {}
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) != 4 or fields[0] not in TAGS:
                continue
            key = (fields[0], fields[1])
            fwd, fwdbwd = float(fields[2]), float(fields[3])
            old = best.get(key, (math.inf, math.inf))
            best[key] = (min(old[0], fwd), min(old[1], fwdbwd))
    return best


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    shapes = read_shapes(sys.argv[1])
    best = read_results(sys.argv[2])
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    print("GFLOP/s (fwd = one conv; fwd+bwd = forward, grad x, grad w: 3x the flops); "
          "ratio = torch time / our time")
    print(f"{'shape':24} {'pass':7} {'ours':>7} {'stock':>7} {'jemal':>7} "
          f"{'r_stock':>8} {'r_jemal':>8}")
    ratios = {"stock": [], "jemalloc": []}
    for name, c_in, c_out, size, kernel, stride, pad in shapes:
        out = (size + 2 * pad - kernel) // stride + 1
        flops = 2.0 * batch * c_out * out * out * c_in * kernel * kernel
        for i, label in enumerate(("fwd", "fwd+bwd")):
            work = flops * (1 if i == 0 else 3)
            t = [best[(tag, name)][i] for tag in TAGS]
            r_stock, r_jemal = t[1] / t[0], t[2] / t[0]
            gf = [work / s / 1e9 for s in t]
            print(f"{name:24} {label:7} {gf[0]:7.1f} {gf[1]:7.1f} {gf[2]:7.1f} "
                  f"{r_stock:8.3f} {r_jemal:8.3f}")
            if i == 1:
                ratios["stock"].append(r_stock)
                ratios["jemalloc"].append(r_jemal)
    print(f"ratio pytorch stock malloc: {geomean(ratios['stock']):.3f}")
    print(f"ratio pytorch: {geomean(ratios['jemalloc']):.3f}")


if __name__ == "__main__":
    main()
