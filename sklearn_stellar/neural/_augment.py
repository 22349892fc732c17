"""Train-time geometric augmentation of image batches, in torch ops.

The transformations of Wang et al. (2022), section 4.1.3: a small random
rotation, a zoom, a perspective warp and a flip along the vertical axis
(left-right mirror), drawn independently for every image of a batch and
applied in one :func:`torch.nn.functional.grid_sample` call through a per-image
3x3 homography.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["random_homographies", "augment_images"]


def _corner_homography(dst):
    """Homographies mapping the unit-square corners to ``dst`` (batch, 4, 2).

    Solves the standard 8x8 direct linear system for every image at once.
    """
    src = torch.tensor(
        [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]], dtype=dst.dtype
    ).expand(dst.shape[0], 4, 2)
    x, y = src[..., 0], src[..., 1]
    u, v = dst[..., 0], dst[..., 1]
    zeros, ones = torch.zeros_like(x), torch.ones_like(x)
    rows_u = torch.stack([x, y, ones, zeros, zeros, zeros, -u * x, -u * y], dim=-1)
    rows_v = torch.stack([zeros, zeros, zeros, x, y, ones, -v * x, -v * y], dim=-1)
    A = torch.cat([rows_u, rows_v], dim=1)  # (batch, 8, 8)
    b = torch.cat([u, v], dim=1)  # (batch, 8)
    h = torch.linalg.solve(A, b)
    return torch.cat([h, torch.ones_like(h[:, :1])], dim=1).view(-1, 3, 3)


def random_homographies(
    n: int,
    generator: torch.Generator,
    *,
    max_rotation: float = 10.0,
    zoom: tuple[float, float] = (1.0, 1.5),
    warp: float = 0.2,
    flip: bool = True,
) -> torch.Tensor:
    """Draw ``n`` random output-to-input homographies in normalised coordinates.

    Each maps an output pixel's position (x, y in [-1, 1], as used by
    :func:`torch.nn.functional.affine_grid`) to where it samples the input:
    a left-right flip with probability 1/2, a rotation uniform in
    +-``max_rotation`` degrees, a zoom factor uniform in ``zoom`` (> 1 magnifies)
    and a perspective warp that moves each corner of the image by up to
    ``warp`` (in units of half the image size) along each axis.

    Parameters
    ----------
    n : int
        Number of homographies.
    generator : torch.Generator
        Source of randomness (CPU), for reproducibility.
    max_rotation : float, default=10.0
        Largest rotation in degrees.
    zoom : (float, float), default=(1.0, 1.5)
        Range of the zoom factor.
    warp : float, default=0.2
        Largest corner displacement of the perspective warp.
    flip : bool, default=True
        Whether to mirror left-right half of the images.

    Returns
    -------
    torch.Tensor of shape (n, 3, 3), float32

    Examples
    --------
    >>> import torch
    >>> from sklearn_stellar.neural._augment import random_homographies
    >>> g = torch.Generator().manual_seed(0)
    >>> H = random_homographies(4, g, max_rotation=0, zoom=(1, 1), warp=0,
    ...                         flip=False)
    >>> torch.allclose(H, torch.eye(3).expand(4, 3, 3), atol=1e-6)
    True
    """

    def uniform(lo, hi, *shape):
        return lo + (hi - lo) * torch.rand(*shape, generator=generator)

    angle = uniform(-max_rotation, max_rotation, n) * (math.pi / 180.0)
    scale = 1.0 / uniform(zoom[0], zoom[1], n)  # sample a smaller input area
    sign = torch.ones(n)
    if flip:
        sign = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    affine = torch.zeros(n, 3, 3)
    affine[:, 0, 0] = cos * sign
    affine[:, 0, 1] = -sin
    affine[:, 1, 0] = sin * sign
    affine[:, 1, 1] = cos
    affine[:, 2, 2] = 1.0
    corners = torch.tensor([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    moved = corners + uniform(-warp, warp, n, 4, 2)
    perspective = _corner_homography(moved)
    return affine @ perspective


def augment_images(
    images: torch.Tensor,
    generator: torch.Generator,
    *,
    max_rotation: float = 10.0,
    zoom: tuple[float, float] = (1.0, 1.5),
    warp: float = 0.2,
    flip: bool = True,
) -> torch.Tensor:
    """Randomly rotate, zoom, perspective-warp and mirror a batch of images.

    Bilinear resampling; pixels that map outside the input get 0 (no ink).
    The homographies are drawn on the CPU from ``generator`` and the sampling
    runs on the images' device, so results are reproducible for a seed.

    Parameters
    ----------
    images : torch.Tensor of shape (batch, channels, height, width)
        Float images.
    generator : torch.Generator
        CPU generator.
    max_rotation, zoom, warp, flip
        See :func:`random_homographies`.

    Returns
    -------
    torch.Tensor of the same shape

    Examples
    --------
    >>> import torch
    >>> from sklearn_stellar.neural._augment import augment_images
    >>> x = torch.rand(3, 1, 16, 16)
    >>> augment_images(x, torch.Generator().manual_seed(0)).shape
    torch.Size([3, 1, 16, 16])
    """
    n, _, h, w = images.shape
    H = random_homographies(
        n, generator, max_rotation=max_rotation, zoom=zoom, warp=warp, flip=flip
    ).to(images.device, images.dtype)
    ys = torch.linspace(-1.0, 1.0, h, device=images.device, dtype=images.dtype)
    xs = torch.linspace(-1.0, 1.0, w, device=images.device, dtype=images.dtype)
    if h == 1:
        ys = torch.zeros(1, device=images.device, dtype=images.dtype)
    if w == 1:
        xs = torch.zeros(1, device=images.device, dtype=images.dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([gx, gy, torch.ones_like(gx)], dim=-1).view(1, h * w, 3)
    mapped = points @ H.transpose(1, 2)  # (n, h*w, 3)
    denom = mapped[..., 2:].clamp_min(1e-6)
    grid = (mapped[..., :2] / denom).view(n, h, w, 2)
    return F.grid_sample(
        images, grid, mode="bilinear", padding_mode="zeros", align_corners=True
    )
