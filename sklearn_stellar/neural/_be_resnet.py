"""BeResNet18: the ResNet-18 image classifier of Be-star H-alpha plots."""

from __future__ import annotations

import math
import os
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ._augment import augment_images
from ._base import BaseSpectrumClassifier
from ._device import to_device
from ._resnet import ResNet18, load_imagenet_resnet18

__all__ = ["BeResNet18"]

# ImageNet channel statistics, averaged over R, G, B for grey images.
_IMAGENET_MEAN = float(np.mean([0.485, 0.456, 0.406]))
_IMAGENET_STD = float(np.mean([0.229, 0.224, 0.225]))


class _ImageNet(nn.Module):
    """Normalise a (batch, 1, H, W) image batch in [0, 1], then ResNet-18."""

    def __init__(self, resnet, mean, std, channels_last):
        super().__init__()
        self.resnet = resnet
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.channels_last = channels_last

    def forward(self, x):
        x = (x - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.resnet(x)


class BeResNet18(BaseSpectrumClassifier):
    """ResNet-18 classifier of H-alpha line-plot images (Be vs non-Be stars).

    The network of Wang et al. (2022), section 4.1: an 18-layer ResNet (optionally
    starting from ImageNet weights) trained with cross-entropy and Adam from a
    learning rate of 1e-3 for 10 epochs on 256 x 256 images of the H-alpha
    region, with random rotation (+-10 deg), zoom (1.0-1.5), perspective warp
    and left-right flips of the training images.

    Input contract: each row of X is one grey-scale image flattened row-major,
    as produced by :class:`~sklearn_stellar.preprocessing.HalphaRasterizer`
    (pixel values 0 to ``pixel_max``). With ``image_size="auto"`` a row of
    length s*s is an s x s image and any other length L is read as a 1 x L
    image, so the estimator stays a valid scikit-learn classifier on any
    numeric X (the network's global pooling accepts any image size).

    Parameters
    ----------
    pretrained : str, path-like or None, default=None
        Local file with torchvision's ImageNet ``resnet18`` state_dict; loaded
        with ``torch.load(weights_only=True)`` and a strict key check, the
        first convolution's RGB kernels summed for one channel, a new
        ``fc`` head, and ImageNet normalisation of the input. None: random
        initialisation and the input normalised to mean 0.5, std 0.5.
    width : int, default=64
        Channels of the first stage (64 is ResNet-18; smaller for quick tests;
        must be 64 with ``pretrained``).
    image_size : "auto" or (int, int), default="auto"
        Height and width of the images in the rows of X.
    pixel_max : float, default=255.0
        Pixel value of full ink (255 for HalphaRasterizer's uint8 output, 1.0
        for its float32 output); X is divided by it.
    augment : bool, default=True
        Apply the random geometric augmentation to training batches.
    max_rotation : float, default=10.0
        Largest augmentation rotation in degrees.
    zoom : (float, float), default=(1.0, 1.5)
        Range of the augmentation zoom factor.
    warp : float, default=0.2
        Largest corner displacement of the perspective warp (fraction of half
        the image size).
    channels_last : bool, default=True
        Run convolutions in channels-last memory format (faster on CPU). Safe
        at every width: shortcut convolutions with fewer than 8 input
        channels avoid a oneDNN fault on AVX2 CPUs (see the robustness page
        of the docs).
    max_epochs : int, default=10
        Training epochs (the paper's 10).
    batch_size : int, default=32
        Mini-batch size for training and inference.
    lr : float, default=1e-3
        Initial Adam learning rate, decayed to 0 over ``max_epochs`` by a
        cosine schedule (the paper's "dynamic learning rate scheduler").
    validation_fraction : float or None, default=None
        Stratified fraction held out for early stopping; None trains all rows
        for ``max_epochs`` epochs as the paper does.
    patience : int, default=3
        Early-stopping patience in epochs (with ``validation_fraction``).
    device : str, default="auto"
        Torch device; "auto" picks CUDA when available.
    precision : {"float32", "bf16"}, default="float32"
        Precision of the forward pass; "bf16" uses :func:`torch.autocast`
        with bfloat16 (for GPUs; weights and probabilities stay float32).
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and augmentation.
    verbose : int, default=0
        Print skorch's per-epoch log when > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    image_shape_ : tuple of int
        (height, width) of the images read from X.
    module_ : torch.nn.Module
        The trained network (``module_.resnet`` is the :class:`ResNet18`).
    history_ : list of dict
        skorch's per-epoch log.

    See Also
    --------
    sklearn_stellar.preprocessing.HalphaRasterizer : Makes the images.
    sklearn_stellar.neural.ResNet18 : The torch module.

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars), section 4.1.
    He, K. et al. 2016, CVPR, "Deep residual learning for image recognition".

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.neural import BeResNet18
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 60, (40, 64))
    >>> X[20:, 24:40] += 180.0  # a bright band: the second class
    >>> y = np.r_[[0] * 20, [1] * 20]
    >>> clf = BeResNet18(width=4, max_epochs=3, batch_size=10,
    ...                  random_state=0).fit(X, y)
    >>> clf.image_shape_, clf.predict_proba(X).shape
    ((8, 8), (40, 2))
    """

    _parameter_constraints: dict = {
        **BaseSpectrumClassifier._parameter_constraints,
        "pretrained": [str, os.PathLike, None],
        "width": [Interval(Integral, 1, None, closed="left")],
        "image_size": [StrOptions({"auto"}), tuple, list],
        "pixel_max": [Interval(Real, 0, None, closed="neither")],
        "augment": ["boolean"],
        "max_rotation": [Interval(Real, 0, 180, closed="both")],
        "zoom": [tuple, list],
        "warp": [Interval(Real, 0, 1, closed="both")],
        "channels_last": ["boolean"],
    }

    # HalphaRasterizer's uint8 images stay uint8 until _prepare_X scales each
    # batch (float64 validation would take 8x their memory).
    _input_dtypes = (np.float64, np.float32, np.uint8)
    # 1,024 images of 256 x 256 px: ~6 GB of activations at width 64 in float32.
    _device_predict_batch = 1024

    def __init__(
        self,
        *,
        pretrained=None,
        width=64,
        image_size="auto",
        pixel_max=255.0,
        augment=True,
        max_rotation=10.0,
        zoom=(1.0, 1.5),
        warp=0.2,
        channels_last=True,
        max_epochs=10,
        batch_size=32,
        lr=1e-3,
        validation_fraction=None,
        patience=3,
        device="auto",
        precision="float32",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            validation_fraction=validation_fraction,
            patience=patience,
            device=device,
            precision=precision,
            random_state=random_state,
            verbose=verbose,
        )
        self.pretrained = pretrained
        self.width = width
        self.image_size = image_size
        self.pixel_max = pixel_max
        self.augment = augment
        self.max_rotation = max_rotation
        self.zoom = zoom
        self.warp = warp
        self.channels_last = channels_last

    def _image_shape(self, n_features):
        if isinstance(self.image_size, str):
            side = math.isqrt(n_features)
            return (side, side) if side * side == n_features else (1, n_features)
        try:
            h, w = (int(v) for v in self.image_size)
        except (TypeError, ValueError):
            raise ValueError(
                f"`image_size` must be 'auto' or (height, width), got "
                f"{self.image_size!r}."
            ) from None
        if h < 1 or w < 1 or h * w != n_features:
            raise ValueError(
                f"`image_size` {self.image_size!r} holds {h * w} pixels but X has "
                f"{n_features} columns; they must match."
            )
        return (h, w)

    def _build_module(self, n_features, n_classes):
        zoom = tuple(float(z) for z in self.zoom)
        if len(zoom) != 2 or not 0 < zoom[0] <= zoom[1]:
            raise ValueError(f"`zoom` must be (lo, hi) with 0 < lo <= hi, got {zoom}.")
        self.image_shape_ = self._image_shape(n_features)
        if self.pretrained is not None:
            if self.width != 64:
                raise ValueError(
                    f"`pretrained` weights need width=64, got width={self.width}."
                )
            resnet = load_imagenet_resnet18(
                self.pretrained, num_classes=n_classes, in_channels=1
            )
            mean, std = _IMAGENET_MEAN, _IMAGENET_STD
        else:
            resnet = ResNet18(num_classes=n_classes, in_channels=1, width=self.width)
            mean, std = 0.5, 0.5
        if self.channels_last:
            resnet = resnet.to(memory_format=torch.channels_last)
        return _ImageNet(resnet, mean, std, bool(self.channels_last))

    def _prepare_X(self, X):
        h, w = self._image_shape(X.shape[1])
        out = np.empty((X.shape[0], 1, h, w), dtype=np.float32)
        np.multiply(X.reshape(-1, 1, h, w), 1.0 / float(self.pixel_max), out=out)
        return out

    def _prepare_on_device(self, X, device):
        # uint8 images cross the bus as they are (4x fewer bytes than float32)
        # and are scaled on the device.
        h, w = self._image_shape(X.shape[1])
        xb = to_device(X, device).reshape(-1, 1, h, w)
        return xb.to(torch.float32) * (1.0 / float(self.pixel_max))

    def _augment(self, X, generator):
        if not self.augment:
            return X
        return augment_images(
            X,
            generator,
            max_rotation=float(self.max_rotation),
            zoom=tuple(float(z) for z in self.zoom),
            warp=float(self.warp),
            flip=True,
        )

    def _extra_callbacks(self):
        """skorch callbacks this estimator adds to training: the LR schedule.

        Cosine annealing of the learning rate from ``lr`` towards 0 over
        ``max_epochs`` epochs (a dynamic scheduler, as in the paper).
        """
        from skorch.callbacks import LRScheduler

        return [
            (
                "lr_scheduler",
                LRScheduler(
                    policy=torch.optim.lr_scheduler.CosineAnnealingLR,
                    T_max=int(self.max_epochs),
                ),
            )
        ]
