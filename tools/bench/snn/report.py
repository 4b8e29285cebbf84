#!/usr/bin/env python3
"""Merges the lines of snn_bench and snn_bench_torch.py,
`<tag> <neuron> <mode> median_s=<s> images_per_s=<x> peak_rss_mb=<m> ...`, several rounds per tag;
keeps each (tag, neuron, mode)'s best median and its largest peak RSS, and prints images/s, peak
RSS and the speed ratios torch time / staa time (above 1: staa is faster). The last two lines are
the geometric means vs PyTorch with stock malloc, then `ratio pytorch: <vs PyTorch + jemalloc>`.
Usage: report.py <results.txt> [batch=32]"""
import math
import sys

TAGS = ("staa", "torch_stock", "torch_jemalloc")


def read(path):
    best = {}
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or fields[0] not in TAGS:
                continue
            kv = dict(x.split("=") for x in fields[3:])
            key = (fields[0], fields[1], fields[2])
            t, rss = float(kv["median_s"]), float(kv["peak_rss_mb"])
            old = best.get(key)
            best[key] = (min(t, old[0]), max(rss, old[1])) if old else (t, rss)
    return best


def main():
    best = read(sys.argv[1])
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    configs = sorted({(k[1], k[2]) for k in best}, key=lambda c: (c[1] != "train", c[0]))
    print("| step | staa img/s | torch stock img/s | torch jemalloc img/s | ratio stock | "
          "ratio jemalloc | peak RSS MB staa / stock / jemalloc |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    ratios = {"torch_stock": [], "torch_jemalloc": []}
    for neuron, mode in configs:
        row = {tag: best.get((tag, neuron, mode)) for tag in TAGS}
        if not all(row.values()):
            continue
        ours = row["staa"][0]
        r = {tag: row[tag][0] / ours for tag in ratios}
        for tag in ratios:
            ratios[tag].append(r[tag])
        ips = {tag: batch / row[tag][0] for tag in TAGS}
        print(f"| {neuron} {mode} | {ips['staa']:.2f} | {ips['torch_stock']:.2f} | "
              f"{ips['torch_jemalloc']:.2f} | {r['torch_stock']:.3f} | {r['torch_jemalloc']:.3f} | "
              f"{row['staa'][1]:.0f} / {row['torch_stock'][1]:.0f} / {row['torch_jemalloc'][1]:.0f} |")
    geo = {t: math.exp(sum(map(math.log, v)) / len(v)) for t, v in ratios.items() if v}
    print(f"ratio pytorch stock malloc: {geo.get('torch_stock', float('nan')):.3f}")
    print(f"ratio pytorch: {geo.get('torch_jemalloc', float('nan')):.3f}")


if __name__ == "__main__":
    main()
