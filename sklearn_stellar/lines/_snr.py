"""DER_SNR: signal-to-noise ratio estimated from the spectrum itself."""

from __future__ import annotations

import warnings

import numpy as np

from ..utils._validation import check_named_array

__all__ = ["der_snr"]

# 1.482602 / sqrt(6): the median absolute deviation of the second difference
# 2 f_i - f_{i-2} - f_{i+2} scaled to a Gaussian sigma (Stoehr et al. 2008).
_DER_SNR_SCALE = 0.6052697


def der_snr(X) -> np.ndarray:
    """Signal-to-noise ratio of each spectrum by DER_SNR (Stoehr et al. 2008).

    ``signal = median(F)`` and
    ``noise = 1.482602 / sqrt(6) * median(|2 F_i - F_{i-2} - F_{i+2}|)``
    over the pixels of each row, as in the reference implementation. Pixels
    that are NaN or exactly 0 (LAMOST's fill value) are left out; unlike the
    reference, which first removes them and then differences pixels two
    *positions* apart, a difference touching a missing pixel is dropped, so
    only true neighbours two pixels apart are compared.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_pixels)
        Flux.

    Returns
    -------
    snr : ndarray of shape (n_spectra,)
        NaN (with a ``RuntimeWarning``) for a spectrum with fewer than 5
        usable pixels or zero noise.

    References
    ----------
    Stoehr, F. et al. 2008, ASP Conf. Ser. 394, 505, "DER_SNR: A Simple &
    General Spectroscopic Signal-to-Noise Measurement Algorithm".

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.lines import der_snr
    >>> flux = 100.0 + np.random.default_rng(0).normal(0.0, 2.0, size=(1, 4000))
    >>> bool(45 < der_snr(flux)[0] < 55)
    True
    """
    X = check_named_array(X, name="X", dtype=np.float64, ensure_all_finite="allow-nan")
    flux = np.where(X == 0.0, np.nan, X)
    second = np.abs(2.0 * flux[:, 2:-2] - flux[:, :-4] - flux[:, 4:])
    usable = np.isfinite(second).sum(axis=1) >= 1
    usable &= np.isfinite(flux).sum(axis=1) >= 5
    snr = np.full(X.shape[0], np.nan)
    if usable.any():
        signal = np.nanmedian(flux[usable], axis=1)
        noise = _DER_SNR_SCALE * np.nanmedian(second[usable], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            snr[usable] = np.where(noise > 0, signal / noise, np.nan)
    bad = ~np.isfinite(snr)
    if bad.any():
        warnings.warn(
            f"DER_SNR is undefined for {int(bad.sum())} of {X.shape[0]} spectra "
            "(fewer than 5 usable pixels or zero noise); their S/N is NaN.",
            RuntimeWarning,
            stacklevel=2,
        )
    return snr
