"""Be-star disks: rotation, Keplerian disk emission, shells, the peak floor.

The steps of :func:`~sklearn_stellar.datasets.make_be_spectra` that turn
MILES photospheres into Be spectra (see its Notes for the recipe).
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.ndimage import gaussian_filter1d
from sklearn.utils import Bunch

from ..lines._common import window_in_medium
from ..lines._halpha import (
    HALPHA_PEAK_WINDOW,
    _extrema_and_prominence,
    _smooth_window,
    bartlett_width,
)
from ..utils import C_KMS

logger = logging.getLogger(__name__)

HALPHA_VAC = 6564.614  # Angstrom, vacuum
MRS_RESOLUTION = 7500.0

#: A weak emission counts as a Be feature only if its peak stands this many
#: smoothed-noise sigmas above the valleys beside it.
MIN_PEAK_SIGMA = 5.0
#: Be morphologies defined by an emission peak (shell_on_absorption is defined
#: by its shell core instead, and its emission may be invisible).
EMISSION_PEAK_MORPHOLOGIES = (
    "single_peak",
    "double_peak_symmetric",
    "double_peak_asymmetric",
    "weak_emission_in_absorption",
    "shell_on_emission",
)
_MAX_DRAWS = 50
#: Per-spectrum disk parameters drawn by _draw_disk_params (0 for non-Be).
_DISK_PARAMS = ("sin_i", "asym", "phase", "r_disk", "m_index", "v_crit",
                "height", "shell", "centre")  # fmt: skip
# Disk inclination (sin i) and V/R asymmetry ranges per morphology, and the
# emission peak height: log-uniform in (lo, hi) continuum units or, when the
# flag is set, uniform in (lo, hi) times the photospheric absorption depth
# (weak emission, 15-80 % of it, stays below the continuum: positive EW).
_SIN_I = {
    "single_peak": (0.02, 0.2),
    "double_peak_symmetric": (0.4, 0.85),
    "double_peak_asymmetric": (0.4, 0.85),
    "weak_emission_in_absorption": (0.1, 0.85),
    "shell_on_emission": (0.86, 1.0),
    "shell_on_absorption": (0.86, 1.0),
}
_ASYMMETRY = {
    "double_peak_asymmetric": (0.2, 0.6),
    "shell_on_emission": (0.0, 0.4),
    "shell_on_absorption": (0.0, 0.4),
}
_HEIGHT = {
    "single_peak": (0.3, 4.0, False),
    "double_peak_symmetric": (0.3, 4.0, False),
    "double_peak_asymmetric": (0.3, 4.0, False),
    "weak_emission_in_absorption": (0.15, 0.8, True),
    "shell_on_emission": (0.3, 2.5, False),
    "shell_on_absorption": (0.1, 1.2, True),
}


def _rotate(flux, step_kms, vsini, rng_eps=0.6):
    """Rotational broadening (Gray's kernel, linear limb darkening 0.6).

    Vectorised over rows: each row's kernel is sampled on a common pixel
    offset range and the shifted copies are summed.
    """
    n, npix = flux.shape
    half = int(np.ceil(vsini.max() / step_kms)) + 1
    offsets = np.arange(-half, half + 1)
    x = offsets[None, :] * step_kms / np.maximum(vsini[:, None], 1e-6)
    inside = np.abs(x) < 1
    root = np.sqrt(np.clip(1 - x**2, 0, None))
    kern = np.where(
        inside, 2 * (1 - rng_eps) * root + 0.5 * np.pi * rng_eps * (1 - x**2), 0.0
    )
    kern[vsini < step_kms, :] = offsets == 0
    kern /= kern.sum(axis=1, keepdims=True)
    padded = np.pad(flux, ((0, 0), (half, half)), mode="edge")
    out = np.zeros_like(flux)
    for j, off in enumerate(offsets):  # loop over kernel taps, not spectra
        out += kern[:, j : j + 1] * padded[:, half + off : half + off + npix]
    return out


def _disk_profiles(velocity, sin_i, r_disk, m_index, v_crit, asym, phase, sigma):
    """Emission profiles of Keplerian disks, peak-normalised, on ``velocity``.

    Quadrature over the disk: 40 log-spaced radii from the stellar surface to
    ``r_disk`` (stellar radii) and 72 azimuths; each element emits in
    proportion to its area times r**-m_index times (1 + asym * cos(phi -
    phase)) (a one-armed density wave gives the V/R asymmetry) at the projected
    velocity v_crit * r**-0.5 * sin_i * cos(phi); the histogram is smoothed by
    a Gaussian of ``sigma`` km/s (local broadening and the instrument).
    """
    n = len(sin_i)
    nr, nphi = 40, 72
    t = (np.arange(nr) + 0.5) / nr
    r = np.exp(t[None, :] * np.log(r_disk)[:, None])  # (n, nr)
    phi = (np.arange(nphi) + 0.5) / nphi * 2 * np.pi
    weight = r ** (2.0 - m_index[:, None])  # area r dr = r^2 dlnr
    vk = v_crit[:, None] * r**-0.5 * sin_i[:, None]
    v = vk[:, :, None] * np.cos(phi)[None, None, :]
    w = weight[:, :, None] * (
        1 + asym[:, None, None] * np.cos(phi[None, None, :] - phase[:, None, None])
    )
    dv = velocity[1] - velocity[0]
    nb = len(velocity)
    idx = np.clip(np.rint((v - velocity[0]) / dv).astype(np.int64), 0, nb - 1)
    idx += (np.arange(n) * nb)[:, None, None]
    prof = np.bincount(idx.ravel(), weights=w.ravel(), minlength=n * nb).reshape(n, nb)
    prof = gaussian_filter1d(prof, sigma / dv, axis=1, mode="constant")
    return prof / prof.max(axis=1, keepdims=True)


def _peak_significance(norm_flux, grid, snr, where=None):
    """How clearly the library's H-alpha peak search sees a peak, in sigmas.

    ``norm_flux`` (n, n_pixels) are noiseless continuum-normalised profiles on the
    vacuum MRS ``grid``, ``snr`` their continuum S/N per pixel. Each profile is smoothed
    as :func:`~sklearn_stellar.lines.find_halpha_peaks` smooths it (the Bartlett window
    of its S/N in Wang et al.'s (2022) Table 1, the search window 6551-6579 A in air)
    and the prominence of its most prominent local maximum is measured: the peak's
    height above the higher of the lowest points on its left and on its right (0 for a
    profile without a local maximum, e.g. a plain absorption line). The prominence is
    divided by the noise of the smoothed profile, ``sqrt(sum k**2) / snr`` for the
    unit-sum kernel ``k`` (the continuum is 1 here, where ``find_halpha_peaks``
    estimates it by the window's median). With ``where`` (n, n_pixels) boolean, only
    peaks at pixels where it is True count (e.g. where the disk emission is).
    """
    lo, hi = window_in_medium(HALPHA_PEAK_WINDOW, "vacuum")
    smooth, inside, noise_factor = _smooth_window(
        norm_flux, grid, lo, hi, bartlett_width(snr)
    )
    peaks, _, prominence = _extrema_and_prominence(smooth)
    if where is not None:
        peaks &= where[:, inside]
    prominence = np.where(peaks, prominence, 0.0).max(axis=1)
    return prominence / (noise_factor / snr)


def _draw_disk_params(p, rows, morphology, depth, rng):
    """Draw disk geometry and emission strength of ``rows`` into ``p``."""
    for name, (s_lo, s_hi) in _SIN_I.items():  # six morphologies
        sel = rows[morphology[rows] == name]
        p.sin_i[sel] = rng.uniform(s_lo, s_hi, sel.size)
        p.asym[sel] = rng.uniform(*_ASYMMETRY.get(name, (0.0, 0.0)), sel.size)
        lo_h, hi_h, relative = _HEIGHT[name]
        if relative:
            p.height[sel] = rng.uniform(lo_h, hi_h, sel.size) * depth[sel]
        else:
            p.height[sel] = np.exp(rng.uniform(np.log(lo_h), np.log(hi_h), sel.size))
        if name.startswith("shell"):
            p.shell[sel] = rng.uniform(0.2, 0.8, sel.size)
            p.centre[sel] = rng.normal(0.0, 15.0, sel.size)
            p.width[sel] = rng.uniform(15.0, 50.0, sel.size)
    p.phase[rows] = rng.uniform(0, 2 * np.pi, rows.size)
    p.r_disk[rows] = rng.uniform(3.0, 20.0, rows.size)
    p.m_index[rows] = rng.uniform(2.0, 3.5, rows.size)
    p.v_crit[rows] = rng.uniform(400.0, 550.0, rows.size)


class _DiskRenderer:
    """Disk emission and shell core of drawn parameters, on the MRS grid."""

    def __init__(self, grid):
        self.velocity = (grid / HALPHA_VAC - 1.0) * C_KMS
        self.sigma = np.hypot(10.0, C_KMS / MRS_RESOLUTION / 2.3548)
        dv = self.velocity[1] - self.velocity[0]
        self.vgrid = np.arange(-1500.0, 1500.0 + dv, dv)
        pos = np.clip(
            (self.velocity - self.vgrid[0]) / dv, 0.0, len(self.vgrid) - 1.000001
        )
        self.i0 = pos.astype(np.int64)
        self.frac = pos - self.i0

    def __call__(self, p, rows):
        """Emission ``em`` (continuum units) and shell absorption ``core``."""
        prof = _disk_profiles(
            self.vgrid,
            p.sin_i[rows],
            p.r_disk[rows],
            p.m_index[rows],
            p.v_crit[rows],
            p.asym[rows],
            p.phase[rows],
            self.sigma,
        )
        i0, frac = self.i0, self.frac
        em = (prof[:, i0] * (1.0 - frac) + prof[:, i0 + 1] * frac) * p.height[
            rows, None
        ]
        core = p.shell[rows, None] * np.exp(
            -0.5
            * ((self.velocity[None, :] - p.centre[rows, None]) / p.width[rows, None])
            ** 2
        )
        return em, core


def _add_disks(norm, grid, morphology, is_be, snr, snr_hi, rng):
    """Add disk emission (and shells) to the Be rows of ``norm``.

    Rejection sampling (a loop over attempts, each vectorised over the rows
    still to draw): an emission Be spectrum is kept only when the library's
    peak search would see its emission peak at the spectrum's S/N. ``snr`` is
    raised in place for rows still invisible after 10 draws. Returns a Bunch
    of ``flux``, ``emission``, ``peak_sigma``, ``snr_redrawn`` and the drawn
    parameters (``sin_i``, ``height``, ``shell`` ...).
    """
    n = len(norm)
    p = Bunch(**{k: np.zeros(n) for k in _DISK_PARAMS}, width=np.ones(n))
    render = _DiskRenderer(grid)
    depth = 1.0 - norm[:, np.abs(render.velocity) < 60].min(axis=1)
    p.flux = norm.copy()
    p.emission = np.zeros_like(norm)
    p.peak_sigma = np.full(n, np.nan)
    rows = np.flatnonzero(is_be)
    _draw_disk_params(p, rows, morphology, depth, rng)
    needs_peak = np.isin(morphology, EMISSION_PEAK_MORPHOLOGIES)
    p.snr_redrawn = np.zeros(n, dtype=bool)
    for attempt in range(_MAX_DRAWS):
        if not rows.size:
            break
        if attempt >= 10:
            # Still invisible after 10 draws: a host with a shallow absorption
            # at a low S/N, where no weak emission can be seen; such a star
            # enters a visually selected sample only at a higher S/N.
            snr[rows] = np.exp(rng.uniform(np.log(snr[rows]), np.log(snr_hi)))
            p.snr_redrawn[rows] = True
        em, core = render(p, rows)
        p.emission[rows] = em
        p.flux[rows] = (norm[rows] + em) * (1.0 - core)
        p.peak_sigma[rows] = _peak_significance(
            p.flux[rows], grid, snr[rows], where=em >= 0.25 * em.max(axis=1)[:, None]
        )
        rows = rows[needs_peak[rows] & (p.peak_sigma[rows] < MIN_PEAK_SIGMA)]
        _draw_disk_params(p, rows, morphology, depth, rng)
    if rows.size:
        raise RuntimeError(
            f"{rows.size} Be spectra got no detectable emission peak in "
            f"{_MAX_DRAWS} draws; widen `snr_range` upwards or raise `min_teff`."
        )
    if p.snr_redrawn.any():
        logger.info(
            "%d Be spectra had their S/N redrawn upwards to make the emission "
            "peak detectable.",
            int(p.snr_redrawn.sum()),
        )
    return p
