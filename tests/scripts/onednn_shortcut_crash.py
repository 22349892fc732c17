"""Minimal upstream reproducer: oneDNN heap corruption in a strided 1x1 conv.

Plain torch, no sklearn-stellar. Seen with torch 2.13.0 (CPU wheel, oneDNN
3.12.0, "CPU capability usage: AVX2") on AMD EPYC, one thread: the process
aborts with "corrupted size vs. prev_size" / "corrupted double-linked list" or
dies with SIGSEGV within a few iterations. ``ONEDNN_VERBOSE=1`` shows the
kernel: ``jit_1x1:avx2, backward_weights`` on an ``acdb`` (channels-last)
source. It needs all of: a 1 x 1 kernel, stride > 1, 2 to 7 input channels,
channels-last input or weight, and a weight gradient. One input channel, 8 or
more, stride 1, NCHW tensors, ``torch.backends.mkldnn.enabled = False`` or two
threads do not crash in our sweeps.

Run: ``OMP_NUM_THREADS=1 python tests/scripts/onednn_shortcut_crash.py``.
Exit 0 means this CPU/torch is unaffected.
"""

import torch


def main(in_channels=4, size=16, steps=50):
    torch.set_num_threads(1)
    conv = torch.nn.Conv2d(in_channels, 8, kernel_size=1, stride=2, bias=False)
    conv = conv.to(memory_format=torch.channels_last)
    x = torch.rand(6, in_channels, size, size)
    x = x.contiguous(memory_format=torch.channels_last)
    for _ in range(steps):
        conv(x).sum().backward()
    print("no crash with torch", torch.__version__)


if __name__ == "__main__":
    main()
