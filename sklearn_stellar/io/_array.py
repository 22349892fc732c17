"""From specutils spectra to the ``(n_spectra, n_pixels)`` arrays estimators take."""

from __future__ import annotations

from typing import Literal

import astropy.units as u
import numpy as np
from astropy.nddata import InverseVariance
from specutils import Spectrum

from ..preprocessing import resample, to_medium
from ..utils import check_ivar, check_medium, check_wavelength
from ..utils._validation import check_real_array

__all__ = ["spectra_to_array", "default_grid"]


def _as_list(spectra):
    if isinstance(spectra, Spectrum):
        spectra = [spectra]
    try:
        items = list(spectra)
    except TypeError:
        raise TypeError(
            "`spectra` must be a specutils Spectrum or a list of them (e.g. the "
            f"result of read_lamost), got {type(spectra).__name__}."
        ) from None
    if not items:
        raise ValueError("`spectra` is empty: there is nothing to convert.")
    for i, item in enumerate(items):
        if not isinstance(item, Spectrum):
            raise TypeError(
                f"`spectra[{i}]` must be a specutils Spectrum, got "
                f"{type(item).__name__}."
            )
        if item.flux.ndim != 1:
            raise ValueError(
                f"`spectra[{i}]` has flux of shape {item.flux.shape}; only 1-D "
                "spectra are supported (split a multi-row Spectrum first)."
            )
    return items


def _inverse_variance(i, spectrum, unit, bad):
    """Inverse variance (in ``unit``^-2) of spectrum ``i``, 0 at ``bad`` pixels.

    Any uncertainty type is converted; its values must be >= 0 (a negative
    standard deviation or variance is as meaningless as a negative inverse
    variance), and at the pixels the flux keeps the inverse variance follows
    the one policy of :func:`~sklearn_stellar.utils.check_ivar`: finite and
    >= 0 (a zero standard deviation, an infinite weight, is refused).
    """
    name = f"spectra[{i}].uncertainty"
    uncertainty = spectrum.uncertainty
    raw = np.asarray(uncertainty.array, dtype=np.float64)
    negative = raw < 0
    if negative.any():
        j = int(np.flatnonzero(negative)[0])
        raise ValueError(
            f"`{name}` ({type(uncertainty).__name__}) must be >= 0; pixel {j} holds "
            f"{float(raw.flat[j])!r} ({int(negative.sum())} negative value(s))."
        )
    if not isinstance(uncertainty, InverseVariance):
        with np.errstate(divide="ignore", invalid="ignore"):
            uncertainty = uncertainty.represent_as(InverseVariance)
    scale = spectrum.flux.unit.to(unit)
    ivar = np.array(np.asarray(uncertainty.array) / scale**2, dtype=np.float64)
    ivar[bad] = 0.0
    kind = type(spectrum.uncertainty).__name__
    try:
        return check_ivar(
            ivar[None],
            (1, ivar.size),
            name=name,
            like=f"spectra[{i}].flux",
            warn=False,
            first_row=i,
        )[0]
    except ValueError as exc:
        if kind == "InverseVariance":
            raise
        raise ValueError(
            f"{str(exc).rstrip('.')}; its {kind} as inverse variance."
        ) from None


def _native(i, spectrum, medium, unit):
    """(wavelength in `medium`, flux with NaN at masked pixels, ivar) of one."""
    source = spectrum.meta.get("medium") if spectrum.meta else None
    if source is None:
        raise ValueError(
            f"`spectra[{i}]` has no meta['medium']: set it to 'vacuum' or 'air' "
            "(LAMOST is vacuum, most stellar libraries air) before converting."
        )
    check_medium(source, name=f"spectra[{i}].meta['medium']")
    wave = spectrum.spectral_axis.to_value(u.AA, equivalencies=u.spectral())
    try:
        flux = spectrum.flux.to_value(unit)
    except u.UnitConversionError:
        raise ValueError(
            f"`spectra[{i}]` has flux in {spectrum.flux.unit}, which does not "
            f"convert to the first spectrum's {unit}."
        ) from None
    flux = np.array(flux, dtype=np.float64)
    bad = ~np.isfinite(flux)
    if spectrum.mask is not None:
        bad |= np.asarray(spectrum.mask, dtype=bool)
    flux[bad] = np.nan
    ivar = None
    if spectrum.uncertainty is not None:
        ivar = _inverse_variance(i, spectrum, unit, bad)
    wave = to_medium(np.asarray(wave, dtype=np.float64), source, medium)
    if wave.size > 1 and np.any(np.diff(wave) < 0):
        order = np.argsort(wave, kind="stable")
        wave, flux = wave[order], flux[order]
        ivar = None if ivar is None else ivar[order]
    return wave, flux, ivar


def default_grid(wavelengths) -> np.ndarray:
    """LAMOST-style log-linear grid over the range every spectrum covers.

    The step is the coarsest median log10 step among the spectra (1e-4 dex for
    LRS, 1e-5 dex for MRS) and the grid points are integer multiples of it in
    log10(lambda) (as LAMOST's own ``COEFF0`` is), lying inside the overlap
    ``[max(first), min(last)]`` of all spectra.

    Parameters
    ----------
    wavelengths : list of ndarray
        Each spectrum's sorted wavelengths (Angstrom).

    Returns
    -------
    grid : ndarray of shape (n_pixels,)
        Wavelengths in Angstrom, in the spectra's own medium, increasing.

    Raises
    ------
    TypeError
        If ``wavelengths`` is not a list or tuple of arrays.
    ValueError
        If the spectra do not overlap (e.g. MRS blue and red arms mixed).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.io import default_grid
    >>> wave = 10 ** (3.6 + 1e-4 * np.arange(11))
    >>> grid = default_grid([wave, wave[2:]])
    >>> grid.size, bool(np.isclose(grid[0], wave[2]))
    (9, True)
    """
    if isinstance(wavelengths, (str, bytes)) or not isinstance(
        wavelengths, (list, tuple)
    ):
        raise TypeError(
            "`wavelengths` must be a list of 1-D arrays (each spectrum's sorted "
            f"wavelengths), got {type(wavelengths).__name__}."
        )
    try:
        wavelengths = [
            check_real_array(w, name="wavelengths", lower=0.0) for w in wavelengths
        ]
    except TypeError:
        raise TypeError(
            "`wavelengths` must hold 1-D arrays of numbers (Angstrom)."
        ) from None
    if not wavelengths or any(w.ndim != 1 or w.size == 0 for w in wavelengths):
        raise ValueError(
            "`wavelengths` must hold at least one non-empty 1-D array per spectrum."
        )
    lo = max(float(w[0]) for w in wavelengths)
    hi = min(float(w[-1]) for w in wavelengths)
    if not lo < hi:
        raise ValueError(
            f"the spectra share no wavelength range (largest start {lo:.2f} A >= "
            f"smallest end {hi:.2f} A), e.g. MRS blue and red arms mixed: select "
            "one arm or pass `wavelength`."
        )
    steps = [np.median(np.diff(np.log10(w))) for w in wavelengths if w.size > 1]
    dlog = float(np.max(steps))
    # Round the step to 2 significant digits: LAMOST steps are 1e-4 / 1e-5 dex
    # but float32 wavelengths blur them in the 5th digit.
    dlog = float(f"{dlog:.1e}")
    first = int(np.ceil(np.log10(lo) / dlog - 1e-6))
    last = int(np.floor(np.log10(hi) / dlog + 1e-6))
    grid = 10.0 ** (dlog * np.arange(first, last + 1))
    return grid[(grid >= lo) & (grid <= hi)]


def spectra_to_array(
    spectra,
    wavelength=None,
    *,
    method: Literal["linear", "flux_conserving"] = "linear",
    medium: Literal["vacuum", "air"] = "vacuum",
    return_ivar: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample spectra onto one wavelength grid as an array ``X``.

    Each spectrum's wavelengths are first converted from its
    ``meta["medium"]`` to ``medium``; masked pixels become NaN; each spectrum
    is then resampled with :func:`~sklearn_stellar.preprocessing.resample`.
    Spectra on an identical grid (the usual case for one survey) are resampled
    together in one sparse product.

    Parameters
    ----------
    spectra : specutils.Spectrum or list of them
        E.g. the output of :func:`read_lamost`. Every spectrum needs
        ``meta["medium"]`` (``"vacuum"``/``"air"``); fluxes are converted to the
        first spectrum's flux unit.
    wavelength : array-like of shape (n_pixels,), default=None
        Output grid in Angstrom, in ``medium``. None: :func:`default_grid`,
        a log-linear grid (1e-4 dex for LRS, 1e-5 dex for MRS) over the
        **overlap** of all spectra, so every spectrum covers every pixel and
        only masked pixels are NaN.
    method : {"linear", "flux_conserving"}, default="linear"
        See :func:`~sklearn_stellar.preprocessing.resample`.
    medium : {"vacuum", "air"}, default="vacuum"
        Medium of the output grid.
    return_ivar : bool, default=False
        Also return the propagated inverse variance (0 where ``X`` is NaN).

    Returns
    -------
    X : ndarray of shape (n_spectra, n_pixels)
        Fluxes (float64, in the first spectrum's flux unit); NaN at masked
        or uncovered pixels.
    wavelength : ndarray of shape (n_pixels,)
        The grid (Angstrom, in ``medium``).
    ivar : ndarray of shape (n_spectra, n_pixels)
        Only when ``return_ivar=True``.

    Raises
    ------
    ValueError
        For an empty input, a spectrum without ``meta["medium"]``, an
        incompatible flux unit, spectra without common range (default grid), a
        bad ``wavelength``, ``method`` or ``medium``, ``return_ivar=True``
        with a spectrum lacking an uncertainty, or an uncertainty with a
        negative value, or (as inverse variance) a NaN or infinite value at
        a pixel the mask keeps (a zero standard deviation); the message names
        ``spectra[i].uncertainty`` and the pixel.
    TypeError
        If ``spectra`` is not a Spectrum or a list of them.

    Examples
    --------
    >>> from sklearn_stellar.datasets import get_data_home
    >>> from sklearn_stellar.io import read_lamost, spectra_to_array
    >>> spectra = read_lamost(get_data_home() / "lamost" / "lrs")
    >>> X, wave = spectra_to_array(spectra)
    >>> X.shape[0], X.shape[1] > 3700, round(float(wave[0]), 1)
    (4, True, 3700.8)
    """
    # The arguments first, cheaply, before the per-spectrum work: a bad grid
    # is reported before anything about (possibly millions of) spectra.
    check_medium(medium, name="medium")
    if method not in ("linear", "flux_conserving"):
        raise ValueError(
            f"`method` must be one of ('linear', 'flux_conserving'), got {method!r}."
        )
    if wavelength is not None:
        wavelength = check_wavelength(wavelength, name="wavelength")
    items = _as_list(spectra)
    unit = items[0].flux.unit
    # Per-spectrum loop only to unpack units, masks and media (O(n_pixels) each);
    # the resampling itself runs once per distinct native grid below.
    natives = [_native(i, s, medium, unit) for i, s in enumerate(items)]
    if return_ivar:
        missing = [i for i, (_, _, iv) in enumerate(natives) if iv is None]
        if missing:
            raise ValueError(
                f"`return_ivar=True` but spectra{missing[:5]} have no uncertainty."
            )
    for i, (wave, _, _) in enumerate(natives):
        check_wavelength(wave, name=f"spectra[{i}] wavelength")
    if wavelength is None:
        grid = default_grid([w for w, _, _ in natives])
    else:
        grid = wavelength
    X = np.full((len(items), grid.size), np.nan)
    ivar_out = np.zeros((len(items), grid.size)) if return_ivar else None
    # Group spectra sharing an identical native grid: one resample call each.
    groups: dict[bytes, list[int]] = {}
    for i, (wave, _, _) in enumerate(natives):
        groups.setdefault(wave.tobytes(), []).append(i)
    for rows in groups.values():
        wave = natives[rows[0]][0]
        flux = np.stack([natives[i][1] for i in rows])
        if return_ivar:
            ivar = np.stack([natives[i][2] for i in rows])
            X[rows], ivar_out[rows] = resample(
                flux, wave, grid, method=method, ivar=ivar
            )
        else:
            X[rows] = resample(flux, wave, grid, method=method)
    if return_ivar:
        return X, grid, ivar_out
    return X, grid
