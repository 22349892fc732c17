"""ResNet-18 in plain torch with torchvision's state_dict layout.

There is no CPU build of torchvision in this project's dependencies, so the
network is written out here. Module names follow ``torchvision.models.resnet18``
exactly (``conv1``, ``bn1``, ``layer1.0.conv1``, ..., ``layer2.0.downsample.0``,
``fc``) so that ImageNet weights saved from torchvision load with a strict key
check.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from ._checks import check_finite_state

__all__ = ["ResNet18", "load_imagenet_resnet18"]

# oneDNN 3.x (torch 2.x CPU builds) corrupts the heap in the AVX2 ``jit_1x1``
# backward-weights kernel of a strided 1 x 1 convolution in channels-last
# format with 2 to 7 input channels (seen with oneDNN 3.12, torch 2.13.0, on
# AMD EPYC: abort "corrupted size vs. prev_size" or SIGSEGV within a few
# steps; one thread; AVX-512 CPUs pick another kernel). Below this channel
# count the shortcut convolution runs in the default (NCHW) memory format.
_ONEDNN_SAFE_CHANNELS = 8


class _ShortcutConv(nn.Conv2d):
    """1 x 1 strided shortcut convolution that steers clear of a oneDNN fault.

    On the CPU with fewer than ``_ONEDNN_SAFE_CHANNELS`` input channels the
    layer is computed as what it is, a subsampling followed by a matrix
    product over channels (``einsum``), so that no oneDNN convolution runs in
    either direction. Making only the input NCHW is not enough: the gradient
    arriving from the channels-last residual sum selects the faulty kernel
    again. Parameter names and the state_dict are those of ``nn.Conv2d``.
    See ``docs/hardening.rst`` for the upstream reproducer.
    """

    def __init__(self, in_channels, out_channels, stride):
        super().__init__(in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x):
        if x.device.type == "cpu" and self.in_channels < _ONEDNN_SAFE_CHANNELS:
            sh, sw = self.stride
            return torch.einsum(
                "nchw,oc->nohw", x[:, :, ::sh, ::sw], self.weight[:, :, 0, 0]
            )
        return super().forward(x)


class _BasicBlock(nn.Module):
    """torchvision's ``BasicBlock``: two 3x3 convolutions and a shortcut."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(
                _ShortcutConv(in_planes, planes, stride),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    """ResNet-18 (He et al. 2016) with torchvision's parameter names.

    Parameters
    ----------
    num_classes : int, default=1000
        Outputs of the final linear layer ``fc``.
    in_channels : int, default=3
        Channels of the input images.
    width : int, default=64
        Channels of the first stage (64 in the published network; the four
        stages have ``width * (1, 2, 4, 8)`` channels). Smaller widths make
        tiny networks for tests; only ``width=64`` matches ImageNet weights.

    Examples
    --------
    >>> import torch
    >>> from sklearn_stellar.neural import ResNet18
    >>> net = ResNet18(num_classes=2, in_channels=1, width=8)
    >>> net(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 2])
    >>> list(ResNet18().state_dict())[:2]
    ['conv1.weight', 'bn1.weight']
    """

    def __init__(self, num_classes=1000, in_channels=3, width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        planes = [width, 2 * width, 4 * width, 8 * width]
        self.layer1 = self._stage(width, planes[0], 1)
        self.layer2 = self._stage(planes[0], planes[1], 2)
        self.layer3 = self._stage(planes[1], planes[2], 2)
        self.layer4 = self._stage(planes[2], planes[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(planes[3], num_classes)
        # torchvision's initialisation.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    @staticmethod
    def _stage(in_planes, planes, stride):
        return nn.Sequential(
            _BasicBlock(in_planes, planes, stride), _BasicBlock(planes, planes, 1)
        )

    def forward(self, x):
        """Class scores (logits) of a batch of images.

        Parameters
        ----------
        x : torch.Tensor of shape (n_images, in_channels, height, width)
            The images.

        Returns
        -------
        torch.Tensor of shape (n_images, num_classes)
            Logits of the final linear layer.
        """
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def load_imagenet_resnet18(
    path: str | os.PathLike, *, num_classes: int, in_channels: int = 1
) -> ResNet18:
    """ResNet-18 with ImageNet weights from a local torchvision state_dict file.

    The file is read with ``torch.load(..., weights_only=True)`` and must hold
    exactly torchvision's ``resnet18`` keys (strict check: a missing or extra
    key is a ValueError naming them). For ``in_channels=1`` the first
    convolution's RGB kernels are summed (a grey image seen as R = G = B gives
    the same response); the final ``fc`` layer is replaced by a freshly
    initialised one with ``num_classes`` outputs.

    Parameters
    ----------
    path : str or path-like
        File saved with ``torch.save(torchvision.models.resnet18(
        weights="IMAGENET1K_V1").state_dict(), path)``.
    num_classes : int
        Outputs of the new head.
    in_channels : {1, 3}, default=1
        Channels of the input images.

    Returns
    -------
    ResNet18

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a ResNet-18 state_dict (keys or shapes differ), or
        a tensor holds NaN or inf (naming the file and the key).
    """
    if in_channels not in (1, 3):
        raise ValueError(f"`in_channels` must be 1 or 3, got {in_channels!r}.")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"pretrained weights file not found: {path!s}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise ValueError(
            f"could not read {path!s} as a torch state_dict: {exc}"
        ) from None
    if not isinstance(state, dict):
        raise ValueError(
            f"{path!s} holds a {type(state).__name__}, expected a state_dict "
            "(a dict of tensors)."
        )
    reference = ResNet18(num_classes=1000, in_channels=3)
    expected = reference.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise ValueError(
            f"{path!s} is not a torchvision resnet18 state_dict: missing keys "
            f"{missing[:5]}{'...' if len(missing) > 5 else ''}, unexpected keys "
            f"{extra[:5]}{'...' if len(extra) > 5 else ''}."
        )
    bad = [k for k in expected if tuple(state[k].shape) != tuple(expected[k].shape)]
    if bad:
        raise ValueError(
            f"{path!s}: tensors of unexpected shape for {bad[:5]} (expected e.g. "
            f"{bad[0]} {tuple(expected[bad[0]].shape)}, got "
            f"{tuple(state[bad[0]].shape)})."
        )
    check_finite_state(state, source=str(path))
    reference.load_state_dict(state, strict=True)
    net = ResNet18(num_classes=num_classes, in_channels=in_channels)
    own = net.state_dict()
    for key, value in reference.state_dict().items():
        if key.startswith("fc."):
            continue
        if key == "conv1.weight" and in_channels == 1:
            value = value.sum(dim=1, keepdim=True)
        own[key] = value
    net.load_state_dict(own, strict=True)
    return net
