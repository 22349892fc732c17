"""BeResNet18 speed: inference and training images/s, with the FLOP floor.

Counts the multiply-adds of ResNet-18 (1 channel in, 2 classes out) at the
given image size, measures the machine's sustained float32 GEMM rate with the
same number of torch threads, and reports inference images/s (eval mode,
``torch.inference_mode``, contiguous vs channels-last) and training images/s
(forward + backward + Adam step). The FLOP floor is the best possible
images/s = GEMM FLOP/s / FLOP per image. GPU figures are added when CUDA is
available.

Usage::

    python benchmarks/bench_be_resnet_speed.py [--size 256] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from sklearn_stellar.neural import ResNet18


def count_macs(net, size):
    macs = 0

    def conv_hook(m, inp, out):
        nonlocal macs
        k = m.kernel_size[0] * m.kernel_size[1]
        macs += out.numel() // out.shape[0] * (m.in_channels // m.groups) * k

    def fc_hook(m, inp, out):
        nonlocal macs
        macs += m.in_features * m.out_features

    hooks = [
        m.register_forward_hook(conv_hook if isinstance(m, nn.Conv2d) else fc_hook)
        for m in net.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    with torch.inference_mode():
        net.eval()(torch.zeros(1, 1, size, size))
    for h in hooks:
        h.remove()
    return macs


def gemm_flops(device, seconds=2.0):
    a = torch.randn(2048, 2048, device=device)
    b = torch.randn(2048, 2048, device=device)
    a @ b
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        n += 1
    if device == "cuda":
        torch.cuda.synchronize()
    return n * 2 * 2048**3 / (time.perf_counter() - t0)


def rate(fn, batch, seconds, device):
    fn()  # warm up (oneDNN primitive creation)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 2:
        fn()
        n += batch
    if device == "cuda":
        torch.cuda.synchronize()
    return n / (time.perf_counter() - t0)


def bench(device, size, batch, seconds):
    torch.manual_seed(0)
    results = {}
    x = torch.rand(batch, 1, size, size, device=device)
    for layout in ("contiguous", "channels_last"):
        net = ResNet18(num_classes=2, in_channels=1).to(device).eval()
        xb = x
        if layout == "channels_last":
            net = net.to(memory_format=torch.channels_last)
            xb = x.contiguous(memory_format=torch.channels_last)

        def infer(net=net, xb=xb):
            with torch.inference_mode():
                net(xb)

        results[f"inference {layout}"] = rate(infer, batch, seconds, device)
    net = ResNet18(num_classes=2, in_channels=1).to(device)
    net = net.to(memory_format=torch.channels_last).train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xb = x.contiguous(memory_format=torch.channels_last)
    y = torch.zeros(batch, dtype=torch.long, device=device)

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(net(xb), y).backward()
        opt.step()

    results["training channels_last"] = rate(step, batch, seconds, device)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    macs = count_macs(ResNet18(num_classes=2, in_channels=1), args.size)
    flop = 2 * macs
    print(
        f"ResNet-18, 1 x {args.size} x {args.size} input: {flop / 1e9:.2f} GFLOP "
        "per image forward (~3x that per training image)"
    )
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if "cuda" not in devices:
        print("no CUDA GPU available: CPU figures only")
    for device in devices:
        peak = gemm_flops(device)
        label = f"{device} ({args.threads} threads)" if device == "cpu" else device
        print(
            f"{label}: sustained float32 GEMM {peak / 1e9:.1f} GFLOP/s -> "
            f"FLOP floor {peak / flop:.1f} images/s inference, "
            f"{peak / (3 * flop):.1f} images/s training"
        )
        for name, value in bench(device, args.size, args.batch, args.seconds).items():
            print(f"  {name:24s} {value:8.1f} images/s")


if __name__ == "__main__":
    main()
