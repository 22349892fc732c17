"""BinarySpectrumCNN: the 1-D residual CNN that flags binary stars (Jing et al.)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from torch import nn

from ._base import BaseSpectrumClassifier
from ._device import to_device

__all__ = ["BinarySpectrumCNN", "ResidualBlock1d"]


class ResidualBlock1d(nn.Module):
    """Basic residual block of He et al. (2015), Fig. 2, in one dimension.

    ``conv(k) - BN - ReLU - conv(k) - BN``, added to the shortcut, then ReLU.
    The shortcut is the identity when input and output shapes agree, else a
    projection (1x1 convolution with the block's stride, then BN).

    Parameters
    ----------
    in_channels, out_channels : int
        Channels in and out.
    kernel_size : int
        Odd kernel size of both convolutions ("same" padding).
    stride : int, default=1
        Stride of the first convolution.

    Examples
    --------
    >>> import torch
    >>> from sklearn_stellar.neural import ResidualBlock1d
    >>> block = ResidualBlock1d(4, 8, 3, stride=2)
    >>> block(torch.zeros(2, 4, 10)).shape
    torch.Size([2, 8, 5])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1):
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(
            in_channels, out_channels, kernel_size, stride, pad, bias=False
        )
        self.bn1 = nn.BatchNorm1d(out_channels)
        self.conv2 = nn.Conv1d(
            out_channels, out_channels, kernel_size, 1, pad, bias=False
        )
        self.bn2 = nn.BatchNorm1d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv1d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm1d(out_channels),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        """Apply the block to a batch of 1-D feature maps.

        Parameters
        ----------
        x : torch.Tensor of shape (n_spectra, in_channels, n_pixels)
            The input feature maps.

        Returns
        -------
        torch.Tensor of shape (n_spectra, out_channels, n_out)
            ``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``.
        """
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class _BinaryNet(nn.Module):
    """Stem conv + pool, one residual block, two dense layers with dropout."""

    def __init__(
        self,
        n_pixels,
        n_classes,
        *,
        in_channels,
        n_filters,
        kernel_size,
        stem_stride,
        pool_size,
        hidden_units,
        dropout,
    ):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(
                in_channels,
                n_filters,
                kernel_size,
                stem_stride,
                kernel_size // 2,
                bias=False,
            ),
            nn.BatchNorm1d(n_filters),
            nn.ReLU(inplace=True),
            nn.MaxPool1d(pool_size, pool_size, ceil_mode=True),
        )
        self.block = ResidualBlock1d(n_filters, n_filters, kernel_size)
        with torch.no_grad():
            n_flat = self.block(self.stem(torch.zeros(2, in_channels, n_pixels)))
        n_flat = n_flat[0].numel()
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(n_flat, hidden_units),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden_units, n_classes),
        )

    def forward(self, x):
        return self.head(self.block(self.stem(x)))


def conv_flops_per_spectrum(module: nn.Module, n_pixels: int, in_channels: int) -> int:
    """Multiply-add count x2 of the conv and linear layers for one spectrum.

    Examples
    --------
    >>> from sklearn_stellar.neural._binary_cnn import _BinaryNet
    >>> from sklearn_stellar.neural._binary_cnn import conv_flops_per_spectrum
    >>> net = _BinaryNet(100, 2, in_channels=1, n_filters=4, kernel_size=3,
    ...                  stem_stride=1, pool_size=1, hidden_units=8, dropout=0.5)
    >>> conv_flops_per_spectrum(net, 100, 1) > 0
    True
    """
    total = 0
    hooks = []

    def count(mod, inp, out):
        nonlocal total
        if isinstance(mod, nn.Conv1d):
            k = mod.kernel_size[0] * mod.in_channels // mod.groups
            total += 2 * k * out.shape[1] * out.shape[2]
        elif isinstance(mod, nn.Linear):
            total += 2 * mod.in_features * mod.out_features

    for sub in module.modules():
        if isinstance(sub, (nn.Conv1d, nn.Linear)):
            hooks.append(sub.register_forward_hook(count))
    was_training = module.training
    module.eval()
    with torch.inference_mode():
        module(torch.zeros(1, in_channels, n_pixels))
    module.train(was_training)
    for hook in hooks:
        hook.remove()
    return int(total)


class BinarySpectrumCNN(BaseSpectrumClassifier):
    """1-D residual CNN giving the probability p_b that a spectrum is a binary.

    The network of Jing et al. (2024) §2.3: a convolutional stem, one basic
    residual block as in He et al. (2015) Fig. 2 (conv-BN-ReLU-conv-BN plus the
    identity shortcut, then ReLU), then two fully connected layers with dropout
    (0.5 in the paper), trained with cross-entropy and Adam (lr 1e-4 in the
    paper) with early stopping on a stratified validation split.

    The paper does not give the layer widths; the defaults (16 filters,
    kernel 7, stem stride 4 + max-pool 2, 64 hidden units) keep the network at
    ~5 MFLOP per 3,909-pixel spectrum (the full LAMOST LRS grid) so that CPU
    inference runs at thousands of spectra per second (see
    benchmarks/results_binary.md). The stem kernel (7) is wider than its
    stride (4), so every pixel reaches the network.

    Input is a continuum-normalised flux (for example the output of
    ``ContinuumNormalizer``), one row per spectrum on a common wavelength grid.

    NaN pixel rule: NaN fluxes (masked or missing pixels) are replaced by 1.0,
    the continuum level of a normalised spectrum, and the network gets a second
    input channel equal to 1 where the pixel was NaN and 0 elsewhere, so it can
    tell filled pixels from real continuum. inf is rejected with a ValueError.

    Parameters
    ----------
    n_filters : int, default=16
        Channels of the stem and of the residual block.
    kernel_size : int, default=7
        Odd kernel size of every convolution, in pixels (1e-4 dex each on the
        LAMOST grid, i.e. ~69 km/s).
    stem_stride : int, default=4
        Stride of the stem convolution.
    pool_size : int, default=2
        Max-pool size and stride after the stem.
    hidden_units : int, default=64
        Width of the first fully connected layer.
    dropout : float, default=0.5
        Dropout rate before each fully connected layer.
    augment_noise : float, default=0.0
        Train-time augmentation (not in the paper, off by default): every
        training batch gets fresh Gaussian noise of standard deviation drawn
        uniformly in ``[0, augment_noise]`` per spectrum (flux units of the
        normalised spectrum), so oversampled copies of a minority spectrum are
        no longer identical. Never applied in validation or prediction.
    augment_shift : int, default=0
        Train-time augmentation: every training spectrum is shifted by a
        random whole number of pixels in ``[-augment_shift, augment_shift]``
        (1 pixel = 1e-4 dex = 69 km/s on the LAMOST grid; circular shift).
    max_epochs : int, default=100
        Maximum number of training epochs.
    batch_size : int, default=64
        Training mini-batch size and inference batch size.
    lr : float, default=1e-4
        Adam learning rate.
    validation_fraction : float or None, default=0.1
        Stratified early-stopping split taken from the training rows; None
        trains for ``max_epochs`` without early stopping.
    patience : int, default=10
        Epochs without a lower validation loss before stopping.
    device : str, default="auto"
        "auto" uses CUDA when available, else CPU.
    precision : {"float32", "bf16"}, default="float32"
        Precision of the forward pass; "bf16" uses :func:`torch.autocast`
        with bfloat16 (for GPUs; weights and probabilities stay float32).
    random_state : int, RandomState instance or None, default=None
        Seed; with an int, two fits on CPU give identical probabilities.
    verbose : int, default=0
        Print skorch's per-epoch log when > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels seen in fit.
    n_features_in_ : int
        Number of pixels.
    module_ : torch.nn.Module
        Trained network.
    history_ : list of dict
        Per-epoch losses.
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int
        Epoch whose weights are kept.
    device_ : str
        Training device.

    See Also
    --------
    sklearn_stellar.catalog.binary_catalog : Per-star p_b catalog.

    References
    ----------
    Jing, Y., Mao, T.-X., Wang, J., Liu, C., Chen, X. (2024), "Half a Million
    Binary Stars identified from the low resolution spectra of LAMOST".
    He, K., Zhang, X., Ren, S., Sun, J. (2015), arXiv:1512.03385.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.neural import BinarySpectrumCNN
    >>> rng = np.random.default_rng(0)
    >>> X = 1 + 0.01 * rng.standard_normal((40, 64))
    >>> y = np.array(["single", "binary"] * 20)
    >>> X[y == "binary", 30:34] -= 0.3
    >>> clf = BinarySpectrumCNN(n_filters=4, hidden_units=8, lr=1e-2, max_epochs=15,
    ...                         validation_fraction=None, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (40, 2)
    >>> float((clf.predict(X) == y).mean()) > 0.9
    True
    """

    _allow_nan = True

    _parameter_constraints: dict = {
        **BaseSpectrumClassifier._parameter_constraints,
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "stem_stride": [Interval(Integral, 1, None, closed="left")],
        "pool_size": [Interval(Integral, 1, None, closed="left")],
        "hidden_units": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "augment_noise": [Interval(Real, 0, None, closed="left")],
        "augment_shift": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        n_filters=16,
        kernel_size=7,
        stem_stride=4,
        pool_size=2,
        hidden_units=64,
        dropout=0.5,
        augment_noise=0.0,
        augment_shift=0,
        max_epochs=100,
        batch_size=64,
        lr=1e-4,
        validation_fraction=0.1,
        patience=10,
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
        self.n_filters = n_filters
        self.kernel_size = kernel_size
        self.stem_stride = stem_stride
        self.pool_size = pool_size
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.augment_noise = augment_noise
        self.augment_shift = augment_shift

    def _build_module(self, n_features, n_classes):
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f"`kernel_size` must be odd (same padding), got {self.kernel_size}."
            )
        return _BinaryNet(
            n_features,
            n_classes,
            in_channels=2,
            n_filters=self.n_filters,
            kernel_size=self.kernel_size,
            stem_stride=self.stem_stride,
            pool_size=self.pool_size,
            hidden_units=self.hidden_units,
            dropout=self.dropout,
        )

    def _augment(self, X, generator):
        if self.augment_noise == 0 and self.augment_shift == 0:
            return X
        n = X.shape[0]
        flux, mask = X[:, :1], X[:, 1:]
        if self.augment_noise > 0:
            level = torch.rand(n, 1, 1, generator=generator) * self.augment_noise
            noise = torch.randn(flux.shape, generator=generator)
            flux = flux + (level * noise).to(flux.device) * (1 - mask)
        if self.augment_shift > 0:
            shifts = torch.randint(
                -self.augment_shift, self.augment_shift + 1, (n,), generator=generator
            )
            # Per-row circular shift as one gather (no Python loop over rows).
            idx = (torch.arange(X.shape[-1])[None, :] - shifts[:, None]) % X.shape[-1]
            idx = idx.to(flux.device)[:, None, :]
            flux = torch.gather(flux, 2, idx)
            mask = torch.gather(mask, 2, idx)
        return torch.cat([flux, mask], dim=1)

    def _prepare_on_device(self, X, device):
        # The same two channels as _prepare_X, built on the device from the
        # flux alone (half the bytes across the bus, no CPU pass over the mask).
        xb = to_device(np.asarray(X, dtype=np.float32), device)
        mask = torch.isnan(xb)
        flux = torch.where(mask, torch.ones_like(xb), xb)
        return torch.stack((flux, mask.to(torch.float32)), dim=1)

    def _prepare_X(self, X):
        # Channel 0: flux with NaN -> 1.0 (continuum); channel 1: NaN mask.
        out = np.empty((X.shape[0], 2, X.shape[1]), dtype=np.float32)
        mask = np.isnan(X)
        out[:, 0] = X
        out[:, 0][mask] = 1.0
        out[:, 1] = mask
        return out
