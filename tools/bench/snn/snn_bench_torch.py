"""The PyTorch peer of snn_bench.cpp: the same spiking ResNet-20 (wide CIFAR variant, spec §3) with
LIF or STAA-LIF (GC, PE, SA, TSRD as spec §2), written the way PyTorch SNN code usually is
(a Python loop over T, a surrogate autograd.Function), and the same training step / inference.

usage: snn_bench_torch.py <label> <lif|staa> <train|infer> [reps=5] [batch=32] [T=4] [threads=2]
                          [device=cpu]
prints: <label> <neuron> <mode> median_s=<s> images_per_s=<x> peak_rss_mb=<m>
        [peak_device_mb=<m> reserved_device_mb=<m>] params=<n>
On CUDA: cudnn.benchmark on (how people run it), TF32 off (as staa's default, so both compute in
f32), each timed step ends with torch.cuda.synchronize().
"""
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Spike(torch.autograd.Function):
    """Heaviside forward, rectangular surrogate (a = 1) backward (paper Eq. 5)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x.abs() < 0.5).to(grad.dtype)


class Lif(nn.Module):
    """Multi-step LIF, tau = 2, v_th = 1, hard reset to 0, on merged [T*B, C, H, W]."""

    def __init__(self, T):
        super().__init__()
        self.T = T

    def forward(self, x):
        xs = x.view(self.T, -1, *x.shape[1:])
        h = torch.zeros_like(xs[0])
        out = []
        for t in range(self.T):
            v = 0.5 * h + 0.5 * xs[t]
            s = Spike.apply(v - 1.0)
            h = v * (1.0 - s)
            out.append(s)
        return torch.stack(out).flatten(0, 1)


class GcBlock(nn.Module):
    def __init__(self, c, r=4):
        super().__init__()
        h = max(1, c // r)
        self.conv_k = nn.Conv2d(c, 1, 1)
        self.conv_q = nn.Conv2d(c, h, 1)
        self.ln = nn.LayerNorm(h)
        self.conv_v = nn.Conv2d(h, c, 1)
        nn.init.zeros_(self.conv_v.weight)
        nn.init.zeros_(self.conv_v.bias)

    def forward(self, y):
        b, c, hh, ww = y.shape
        w = torch.sigmoid(self.conv_k(y)).view(b, 1, hh * ww)          # [B, 1, HW]
        ctx = torch.bmm(y.view(b, c, hh * ww), w.transpose(1, 2))       # [B, C, 1]
        q = self.conv_q(ctx.view(b, c, 1, 1)).view(b, -1)
        v = self.conv_v(F.relu(self.ln(q)).view(b, -1, 1, 1))
        return y + v


class SaBlock(nn.Module):
    def __init__(self, c, r=16, alpha=2.0):
        super().__init__()
        h = max(1, c // r)
        self.alpha = alpha
        self.conv1 = nn.Conv2d(c, h, 1)
        self.conv2 = nn.Conv2d(h, c, 1)

    def forward(self, u):
        p = F.adaptive_avg_pool2d(u, 1) * self.alpha
        return u * torch.sigmoid(self.conv2(F.relu(self.conv1(p))))


class StaaLif(nn.Module):
    """STAA-LIF: PE, GC1 + GC2, SA, TSRD (beta = 0.1, batch granularity, never at t = 0)."""

    def __init__(self, c, T, beta=0.1):
        super().__init__()
        self.T, self.beta = T, beta
        self.pos = nn.Parameter(torch.zeros(T, c))
        self.M = nn.Parameter(torch.tensor([0.5]))
        self.N = nn.Parameter(torch.tensor([0.5]))
        self.gc1, self.gc2, self.sa = GcBlock(c), GcBlock(c), SaBlock(c)

    def forward(self, x):
        xs = x.view(self.T, -1, *x.shape[1:])
        h = torch.zeros_like(xs[0])
        out = []
        for t in range(self.T):
            xt = xs[t] + self.pos[t].view(1, -1, 1, 1)
            if self.training and t > 0 and torch.rand(()) < self.beta:
                v = self.M * h + self.N * xt
            else:
                v = self.sa(self.gc1(xt) + self.gc2(h))
            s = Spike.apply(v - 1.0)
            h = v * (1.0 - s)
            out.append(s)
        return torch.stack(out).flatten(0, 1)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, neuron):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.sn1 = neuron(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(
                nn.AvgPool2d(stride, ceil_mode=True, count_include_pad=False),
                nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.sn2 = neuron(cout)

    def forward(self, x):
        y = self.bn2(self.conv2(self.sn1(self.bn1(self.conv1(x)))))
        return self.sn2(y + (self.down(x) if self.down is not None else x))


class ResNet20(nn.Module):
    def __init__(self, T, neuron, classes=10):
        super().__init__()
        self.T = T
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64))
        layers = [neuron(64)]
        for _ in range(2):
            layers += [nn.Conv2d(64, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), neuron(64)]
        layers.append(nn.AvgPool2d(2))
        widths = [64, 128, 256, 512]
        for i, w in enumerate(widths):
            cin = 64 if i == 0 else widths[i - 1]
            layers += [BasicBlock(cin, w, 1 if i == 0 else 2, neuron), BasicBlock(w, w, 1, neuron)]
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):  # static image, stem once, repeated over T
        s = self.stem(x)
        s = s.unsqueeze(0).expand(self.T, *s.shape).flatten(0, 1)
        y = F.adaptive_avg_pool2d(self.body(s), 1).flatten(1)
        return self.fc(y).view(self.T, x.shape[0], -1).mean(0)


def main():
    label, neuron, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 32
    T = int(sys.argv[6]) if len(sys.argv) > 6 else 4
    torch.set_num_threads(int(sys.argv[7]) if len(sys.argv) > 7 else 2)
    device = torch.device(sys.argv[8] if len(sys.argv) > 8 else "cpu")
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(1)
    make = (lambda c: StaaLif(c, T)) if neuron == "staa" else (lambda c: Lif(T))
    model = ResNet20(T, make).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() > 1 and not n.endswith("pos")]
    rest = [p for n, p in model.named_parameters() if not (p.dim() > 1 and not n.endswith("pos"))]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 1e-4},
                           {"params": rest, "weight_decay": 0.0}], lr=0.1, momentum=0.9)
    x = (torch.rand(batch, 3, 32, 32) * 2 - 1).to(device)
    y = (torch.arange(batch) % 10).to(device)
    if mode == "infer":
        model.eval()
    times = []
    warmup = 3 if cuda else 1
    for r in range(reps + warmup):  # the first runs warm up (cudnn.benchmark picks algorithms)
        start = time.perf_counter()
        if mode == "train":
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        else:
            with torch.no_grad():
                model(x)
        if cuda:
            torch.cuda.synchronize()
        if r >= warmup:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dev = ""
    if cuda:
        dev = (f" peak_device_mb={torch.cuda.max_memory_allocated() / 2**20:.0f}"
               f" reserved_device_mb={torch.cuda.max_memory_reserved() / 2**20:.0f}")
    print(f"{label} {neuron} {mode} median_s={median:.4f} images_per_s={batch / median:.2f} "
          f"peak_rss_mb={rss:.0f}{dev} params={sum(p.numel() for p in model.parameters())}")


if __name__ == "__main__":
    main()
