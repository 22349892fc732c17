"""Header-level domain rules: survey, arm, wavelength coverage, CLASS/SUBCLASS, S/N."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..utils import check_wavelength, parse_spectral_type
from ..utils._validation import check_real

__all__ = [
    "MIN_COVERAGE",
    "find_domain_guard",
    "lamost_subclass",
    "metadata_problem",
    "spectrum_domain_problem",
]

#: Least fraction of a model's grid that a spectrum's wavelength range must
#: span. Edges may be missing (LRS files start near 3700.8 A, the binary grid
#: at 3700 A; some MRS red arms at 6308 A): NaN fills them.
MIN_COVERAGE = 0.95

# LAMOST SUBCLASS prefixes: "dM0" (dwarf), "gM" (giant), "sdM1" (subdwarf).
_PREFIXES = (("sd", "VI"), ("d", "V"), ("g", "III"))


def lamost_subclass(text):
    """MK code range and luminosity class of a LAMOST SUBCLASS, or None.

    Parameters
    ----------
    text : str
        Header SUBCLASS, e.g. ``"G3"``, ``"dM0"``, ``"gM"``, ``"Non"``.

    Returns
    -------
    (code_range, luminosity) or None
        ``code_range`` on the scale of
        :func:`~sklearn_stellar.utils.spectral_type_code` (A0 = 20); the
        luminosity class from the prefix (``"V"``, ``"III"``, ``"VI"``) or
        ``""``. None when the text is not an MK type (galaxies' ``"Non"``).

    Examples
    --------
    >>> from sklearn_stellar.domain import lamost_subclass
    >>> lamost_subclass("dM2"), lamost_subclass("gM"), lamost_subclass("Non")
    (((62.0, 62.0), 'V'), ((60.0, 69.5), 'III'), None)
    """
    if not isinstance(text, str):
        return None
    text, lum = text.strip(), ""
    for prefix, cls in _PREFIXES:
        if text.startswith(prefix) and text[len(prefix) : len(prefix) + 1] in "OBAFGKM":
            text, lum = text[len(prefix) :], cls
            break
    parsed = parse_spectral_type(text) if text else None
    if parsed is None:
        return None
    if not lum and parsed.luminosity_classes:
        lum = sorted(parsed.luminosity_classes)[0]
    return parsed.code_range, lum


def _code(text, name):
    parsed = parse_spectral_type(text)
    if parsed is None:
        raise ValueError(f"`{name}` must be an MK type such as 'F5', got {text!r}.")
    return parsed.code_range


def _check_rules(meta, classes, subclass_range, min_snr, snr_bands):
    """TypeError/ValueError naming the argument for rules DomainGuard would refuse."""
    if not isinstance(meta, Mapping):
        raise TypeError(
            f"`meta` must be a dict of reader metadata, got {type(meta).__name__} "
            f"{meta!r}."
        )
    for name, value in (
        ("classes", () if classes is None else classes),
        ("snr_bands", snr_bands),
    ):
        if not (
            isinstance(value, tuple | list) and all(isinstance(v, str) for v in value)
        ):
            raise TypeError(f"`{name}` must be a tuple of str, got {value!r}.")
    if subclass_range is not None and not (
        isinstance(subclass_range, tuple | list)
        and len(subclass_range) == 2
        and all(isinstance(t, str) for t in subclass_range)
    ):
        raise TypeError(
            "`subclass_range` must be a pair of MK types such as ('F5', 'K7'), got "
            f"{subclass_range!r}."
        )
    if min_snr is not None:
        check_real(min_snr, name="min_snr", lower=0)


def metadata_problem(
    meta,
    *,
    survey=None,
    arm=None,
    classes=None,
    subclass_range=None,
    dwarfs_only=False,
    min_snr=None,
    snr_bands=(),
) -> str:
    """Why reader metadata puts a spectrum outside a domain ("" if it does not).

    The rules of :meth:`DomainGuard.check_metadata`, checked in this order;
    keys absent from ``meta`` (or None) are not checked, and neither are
    rules whose argument is None or empty.

    Parameters
    ----------
    meta : mapping
        Reader metadata: ``survey``, ``arm``, ``class``, ``subclass`` (str)
        and ``snr`` (dict band -> S/N per pixel).
    survey : str or None, default=None
        ``"LRS"`` or ``"MRS"``: the survey the model reads.
    arm : str or None, default=None
        MRS arm (``"B"``, ``"R"``) the model reads.
    classes : tuple of str or None, default=None
        LAMOST CLASS values in the domain (e.g. ``("STAR",)``).
    subclass_range : tuple of 2 str or None, default=None
        Earliest and latest MK type in the domain (``("F5", "K7")``).
    dwarfs_only : bool, default=False
        Header subclasses of giants are out of domain.
    min_snr : float or None, default=None
        Floor of the header S/N per pixel in each of ``snr_bands``.
    snr_bands : tuple of str, default=()
        Keys of ``meta["snr"]`` compared with ``min_snr``.

    Returns
    -------
    reason : str
        The first rule broken, in words; the empty string when none is.

    Raises
    ------
    TypeError
        If ``meta`` is not a mapping, ``classes`` or ``snr_bands`` is not a
        tuple of str, or ``subclass_range`` is not a pair of str.
    ValueError
        If ``min_snr`` is not a finite number >= 0, or ``subclass_range``
        holds a text that is not an MK type.

    See Also
    --------
    DomainGuard.check_metadata : The same rules with a guard's settings.

    Examples
    --------
    >>> from sklearn_stellar.domain import metadata_problem
    >>> metadata_problem({"class": "STAR", "subclass": "dM0"},
    ...                  classes=("STAR",), subclass_range=("F5", "K7"))
    'header SUBCLASS dM0 is later than K7, outside the trained F5-K7'
    """
    _check_rules(meta, classes, subclass_range, min_snr, snr_bands)
    got = meta.get("survey")
    if survey and got and got != survey:
        return f"model reads {survey} spectra, this is {got}"
    got = meta.get("arm")
    if arm and got and got != arm:
        return f"model reads the MRS {arm} arm, this is the {got} arm"
    got = meta.get("class")
    if classes and got and got not in classes:
        return f"header CLASS {got}, the model was trained on {'/'.join(classes)}"
    got = meta.get("subclass")
    if subclass_range and got:
        problem = _subclass_problem(got, subclass_range, dwarfs_only)
        if problem:
            return problem
    if min_snr is not None:
        snr = meta.get("snr") or {}
        for band in snr_bands:
            value = snr.get(band)
            if value is not None and not float(value) >= min_snr:
                return (
                    f"header S/N({band}) = {float(value):.3g}, below the floor "
                    f"{min_snr:g}"
                )
    return ""


def _subclass_problem(text, subclass_range, dwarfs_only):
    early, late = (_code(t, "subclass_range")[0] for t in subclass_range)
    parsed = lamost_subclass(text)
    trained = f"{subclass_range[0]}-{subclass_range[1]}"
    if parsed is None:
        return f"header SUBCLASS {text!r} is not a stellar type (trained {trained})"
    (lo, hi), lum = parsed
    if hi < early:
        side = f"earlier than {subclass_range[0]}"
    elif lo > late:
        side = f"later than {subclass_range[1]}"
    else:
        side = ""
    if side:
        return f"header SUBCLASS {text} is {side}, outside the trained {trained}"
    if dwarfs_only and lum in ("III", "II", "I"):
        return f"header SUBCLASS {text} is a giant, the model was trained on dwarfs"
    return ""


def spectrum_domain_problem(
    spectrum,
    *,
    wavelength,
    survey=None,
    arm=None,
    min_coverage=MIN_COVERAGE,
    guard=None,
) -> str:
    """Why a model cannot read a specutils spectrum ("" when it can).

    Checks the survey and arm, that the spectrum's wavelength range spans
    ``min_coverage`` of the model's grid, and, with a fitted
    :class:`DomainGuard`, its :meth:`DomainGuard.check_metadata` rules.

    Parameters
    ----------
    spectrum : specutils.Spectrum
        From :func:`sklearn_stellar.io.read_lamost` (``meta`` as it fills).
    wavelength : array-like of shape (n_pixels,)
        The model's grid in Angstrom.
    survey, arm : str or None, default=None
        The model's survey (``"LRS"``/``"MRS"``) and MRS arm.
    min_coverage : float, default=0.95
        Least fraction (0-1) of the model's grid that the spectrum's
        wavelength range must span (:data:`MIN_COVERAGE`).
    guard : DomainGuard or None, default=None
        A fitted guard whose :meth:`DomainGuard.check_metadata` rules are
        applied last; None skips them.

    Returns
    -------
    reason : str
        The first problem found, in words; the empty string when the model
        can read the spectrum.

    Raises
    ------
    TypeError
        If ``spectrum`` is not a specutils spectrum (``meta`` and
        ``spectral_axis``) or ``wavelength`` is not numeric.
    ValueError
        If ``wavelength`` is not a 1-D increasing finite grid or
        ``min_coverage`` is not in [0, 1].

    See Also
    --------
    metadata_problem : The header rules alone.

    Examples
    --------
    >>> import astropy.units as u
    >>> import numpy as np
    >>> from specutils import Spectrum
    >>> from sklearn_stellar.domain import spectrum_domain_problem
    >>> wave = np.linspace(6300.0, 6800.0, 100)
    >>> spec = Spectrum(
    ...     flux=np.ones(100) * u.dimensionless_unscaled,
    ...     spectral_axis=wave * u.AA,
    ...     meta={"survey": "MRS", "arm": "R"},
    ... )
    >>> spectrum_domain_problem(spec, wavelength=wave, survey="MRS", arm="R")
    ''
    >>> spectrum_domain_problem(spec, wavelength=wave, survey="LRS")
    'model reads LRS spectra, this is MRS'
    >>> wide = np.linspace(6000.0, 6800.0, 100)
    >>> spectrum_domain_problem(spec, wavelength=wide)[:46]
    'wavelength coverage 6300-6800 A holds 62% of t'
    """
    if not (hasattr(spectrum, "meta") and hasattr(spectrum, "spectral_axis")):
        raise TypeError(
            "`spectrum` must be a specutils Spectrum (with `meta` and "
            f"`spectral_axis`), got {type(spectrum).__name__}."
        )
    grid = check_wavelength(wavelength)
    min_coverage = check_real(min_coverage, name="min_coverage", lower=0, upper=1)
    problem = metadata_problem(spectrum.meta, survey=survey, arm=arm)
    if problem:
        return problem
    wave = spectrum.spectral_axis.to_value("Angstrom")
    covered = float(np.mean((grid >= wave.min()) & (grid <= wave.max())))
    if covered < min_coverage:
        return (
            f"wavelength coverage {wave.min():.0f}-{wave.max():.0f} A holds "
            f"{covered:.0%} of the model's {grid[0]:.0f}-{grid[-1]:.0f} A grid "
            f"(needs {min_coverage:.0%})"
        )
    return guard.check_metadata(spectrum.meta) if guard is not None else ""


def find_domain_guard(model):
    """The fitted :class:`DomainGuard` among a model's filters, or None.

    Parameters
    ----------
    model : estimator
        A fitted ``FilteredClassifier`` (or anything else: None).

    Returns
    -------
    guard : DomainGuard or None
        The first :class:`DomainGuard` in ``model.filters_``; None when the
        model has none (or no ``filters_``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_stellar.domain import DomainGuard, find_domain_guard
    >>> from sklearn_stellar.filters import FilteredClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = 1.0 + 0.01 * rng.normal(size=(40, 30))
    >>> y = np.arange(40) % 2
    >>> model = FilteredClassifier(
    ...     [("domain", DomainGuard())], LogisticRegression()
    ... ).fit(X, y)
    >>> type(find_domain_guard(model)).__name__
    'DomainGuard'
    >>> find_domain_guard(LogisticRegression()) is None
    True
    """
    from ._guard import DomainGuard

    for _, flt in getattr(model, "filters_", ()):
        if isinstance(flt, DomainGuard):
            return flt
    return None
