"""Validation helpers shared by every estimator that works on a wavelength grid."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..exceptions import EmptySpectrumWarning

__all__ = ["check_ivar", "check_wavelength", "check_window", "check_medium"]

MEDIA = ("vacuum", "air")


def check_wavelength(wavelength, n_features=None, *, name="wavelength"):
    """Validate a wavelength grid and return it as a float64 1-D array.

    Parameters
    ----------
    wavelength : array-like of shape (n_pixels,)
        Wavelengths in Angstrom, strictly increasing and finite.
    n_features : int, default=None
        When given, the grid must have exactly this many pixels (the number of
        columns of X).
    name : str, default="wavelength"
        Name of the argument, used in error messages.

    Returns
    -------
    wavelength : ndarray of shape (n_pixels,)
        The grid as a float64 array.

    Raises
    ------
    ValueError
        If the grid is missing, not 1-D, not finite, not strictly increasing
        (duplicated or unsorted values) or does not match ``n_features``.

    Examples
    --------
    >>> from sklearn_stellar.utils import check_wavelength
    >>> check_wavelength([4000.0, 4001.0, 4002.0], n_features=3)
    array([4000., 4001., 4002.])
    """
    if wavelength is None:
        raise ValueError(f"`{name}` is required: pass the wavelength grid in Angstrom.")
    try:
        if np.iscomplexobj(wavelength):  # numpy would drop the imaginary part
            raise TypeError
        grid = np.asarray(wavelength, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be numeric (wavelengths in Angstrom), got {wavelength!r}."
        ) from None
    if grid.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, got an array of shape {grid.shape}.")
    if grid.size < 2:
        raise ValueError(f"`{name}` needs at least 2 pixels, got {grid.size}.")
    if not np.all(np.isfinite(grid)):
        raise ValueError(f"`{name}` contains NaN or inf values.")
    steps = np.diff(grid)
    if np.any(steps == 0):
        first = int(np.flatnonzero(steps == 0)[0])
        raise ValueError(
            f"`{name}` has duplicated values (e.g. {grid[first]!r} at index {first}); "
            "it must be strictly increasing."
        )
    if np.any(steps < 0):
        first = int(np.flatnonzero(steps < 0)[0])
        raise ValueError(
            f"`{name}` is not monotonically increasing (drops from {grid[first]!r} to "
            f"{grid[first + 1]!r} at index {first + 1}); sort it and X's columns."
        )
    if n_features is not None and grid.size != n_features:
        raise ValueError(
            f"`{name}` has {grid.size} pixels but X has {n_features} columns; "
            "they must match."
        )
    return grid


def grid_or_pixel_index(wavelength, n_features, *, needs_angstrom=None):
    """The estimators' one meaning of ``wavelength=None``: the pixel index.

    ``None`` means that no physical grid was given, so X's columns are known
    only by their index ``0, 1, ..., n_features - 1`` (and lengths such as a
    smoothing width are in pixels). An estimator whose parameters are
    wavelengths in Angstrom (line windows) cannot place them on a pixel index:
    it names them in ``needs_angstrom`` and gets a ValueError saying so.
    Otherwise the grid is checked with :func:`check_wavelength`.
    """
    if wavelength is not None:
        return check_wavelength(wavelength, n_features=n_features)
    if needs_angstrom is not None:
        raise ValueError(
            f"`wavelength` is None, which means the pixel index 0..{n_features - 1} "
            f"(no wavelength grid), but {needs_angstrom} is in Angstrom: pass the "
            "wavelength grid of X's columns in Angstrom."
        )
    return np.arange(n_features, dtype=np.float64)


def check_window(window, *, name="window"):
    """Validate a wavelength interval ``(lo, hi)`` in Angstrom with ``lo < hi``.

    Parameters
    ----------
    window : pair of float
        ``(lo, hi)`` in Angstrom; both finite.
    name : str, default="window"
        Argument name used in the error message.

    Returns
    -------
    tuple of float
        ``(lo, hi)`` as Python floats.

    Raises
    ------
    ValueError
        If ``window`` is not a pair of finite numbers with ``lo < hi``.

    Examples
    --------
    >>> from sklearn_stellar.utils import check_window
    >>> check_window((6548, 6578))
    (6548.0, 6578.0)
    """
    try:
        lo, hi = (float(v) for v in window)
    except (TypeError, ValueError):
        raise ValueError(
            f"`{name}` must be a pair (lo, hi) of wavelengths in Angstrom, "
            f"got {window!r}."
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"`{name}` must be finite, got {window!r}.")
    if lo >= hi:
        raise ValueError(f"`{name}` is reversed or empty: lo={lo} must be < hi={hi}.")
    return lo, hi


def check_medium(medium, *, name="medium"):
    """Validate a wavelength medium: ``"vacuum"`` or ``"air"``.

    Parameters
    ----------
    medium : str
        The medium to check.
    name : str, default="medium"
        Argument name used in the error message.

    Returns
    -------
    str
        ``medium``, unchanged.

    Raises
    ------
    ValueError
        If ``medium`` is not ``"vacuum"`` or ``"air"``; the message names
        ``name``, the accepted values and the value received.

    Examples
    --------
    >>> from sklearn_stellar.utils import check_medium
    >>> check_medium("air")
    'air'
    >>> check_medium("vaccum", name="source")
    Traceback (most recent call last):
    ...
    ValueError: `source` must be one of ('vacuum', 'air'), got 'vaccum'.
    """
    if not isinstance(medium, str) or medium not in MEDIA:
        raise ValueError(f"`{name}` must be one of {MEDIA}, got {medium!r}.")
    return medium


def check_positive(value, *, name):
    """Validate a strictly positive finite real number.

    Parameters
    ----------
    value : float
        The number to check (a bool is refused).
    name : str
        Argument name used in the error message.

    Returns
    -------
    float
        ``value`` as a Python float.

    Raises
    ------
    ValueError
        If ``value`` is not a real number, is not finite or is <= 0.

    Examples
    --------
    >>> from sklearn_stellar.utils import check_positive
    >>> check_positive(350, name="sigma")
    350.0
    >>> check_positive(0.0, name="sigma")
    Traceback (most recent call last):
    ...
    ValueError: `sigma` must be a positive finite number, got 0.0.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"`{name}` must be a positive finite number, got {value!r}.")
    return float(value)


def check_ivar(ivar, shape, *, name="ivar", like="X", warn=True, first_row=0):
    """Validate inverse variances: one policy for every function taking ``ivar``.

    ``0`` marks a masked pixel; a negative, NaN or infinite value is an error
    (it has no meaning as an inverse variance, and silently treating it as
    masked hides a broken pipeline). A row without any positive value is
    allowed but warned about, once per call with the number of such rows: its
    results will be NaN.

    Parameters
    ----------
    ivar : array-like
        Inverse variances in (flux unit)^-2, one row per spectrum.
    shape : tuple of int
        Required shape (that of the flux array).
    name : str, default="ivar"
        Name of the argument, used in messages.
    like : str, default="X"
        How messages name the flux array whose shape ``ivar`` must have.
    warn : bool, default=True
        Warn about rows without a positive value. False for a caller that
        reports such rows itself (together with rows made empty by NaN flux),
        so that they are reported once.
    first_row : int, default=0
        Index of ``ivar``'s first row in the caller's array, for messages
        (a caller checking a large ``ivar`` block by block passes the block's
        start, so the message names the row of the whole array).

    Returns
    -------
    ivar : ndarray of float64
        The values as given (no copy when already a float64 array).

    Raises
    ------
    TypeError
        If ``ivar`` is not numeric.
    ValueError
        If the shape differs from ``shape``, or a value is negative or not
        finite (the message names the first offending row and pixel).

    Warns
    -----
    EmptySpectrumWarning
        When one or more rows have no positive value (unless ``warn=False``).

    Examples
    --------
    >>> from sklearn_stellar.utils import check_ivar
    >>> check_ivar([[1.0, 0.0], [4.0, 2.0]], (2, 2))
    array([[1., 0.],
           [4., 2.]])
    >>> check_ivar([[1.0, -1.0]], (1, 2))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `ivar` must be finite and >= 0 ...; row 0, pixel 1 holds -1.0 ...
    """
    try:
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(
            f"`shape` must be a tuple of integers, got {shape!r}."
        ) from None
    try:
        arr = np.asarray(ivar, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be a numeric array of shape {tuple(shape)}, "
            f"got {type(ivar).__name__}."
        ) from None
    if arr.shape != tuple(shape):
        raise ValueError(
            f"`{name}` must have the same shape as {like} {tuple(shape)}, got "
            f"{arr.shape}."
        )
    if arr.size == 0:
        return arr
    # Two reductions without temporaries; NaN makes the minimum NaN (fails >= 0).
    if not (arr.min() >= 0 and arr.max() < np.inf):
        bad = ~(np.isfinite(arr) & (arr >= 0))
        rows = bad.reshape(-1, arr.shape[-1]).any(axis=1) if arr.ndim else bad
        first = np.unravel_index(int(np.flatnonzero(bad)[0]), arr.shape)
        where = (
            f"row {first[0] + first_row}, pixel {first[1]}"
            if arr.ndim == 2
            else f"index {tuple(int(i) for i in first)}"
        )
        count, n_rows = int(bad.sum()), int(np.sum(rows))
        raise ValueError(
            f"`{name}` must be finite and >= 0 (0 marks a masked pixel); {where} "
            f"holds {float(arr[first])!r} ({count} such value{'s' * (count > 1)} in "
            f"{n_rows} row{'s' * (n_rows > 1)})."
        )
    if warn and arr.ndim:
        empty = arr.reshape(-1, arr.shape[-1]).max(axis=1) <= 0
        if empty.any():
            n_rows = int(empty.sum())
            first = int(np.flatnonzero(empty)[0]) + first_row
            warnings.warn(
                f"{n_rows} of {empty.size} rows of `{name}` have no positive value "
                f"(every pixel masked, e.g. row {first}); their results are NaN.",
                EmptySpectrumWarning,
                stacklevel=3,
            )
    return arr


def _bounds_text(lower, upper):
    lo = "" if lower is None else f">= {lower}"
    hi = "" if upper is None else f"<= {upper}"
    return " and ".join(t for t in (lo, hi) if t)


def check_real(value, *, name, lower=None, upper=None):
    """Validate one finite real number, optionally within ``[lower, upper]``.

    Examples
    --------
    >>> from sklearn_stellar.utils._validation import check_real
    >>> check_real(0.5, name="threshold", lower=0, upper=1)
    0.5
    >>> check_real(float("nan"), name="threshold")
    Traceback (most recent call last):
    ...
    ValueError: `threshold` must be a finite number, got nan.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
    ):
        raise ValueError(f"`{name}` must be a finite number, got {value!r}.")
    if (lower is not None and value < lower) or (upper is not None and value > upper):
        raise ValueError(
            f"`{name}` must be {_bounds_text(lower, upper)}, got {value!r}."
        )
    return float(value)


def check_real_array(values, *, name, lower=None, upper=None, allow_nan=False):
    """Validate an array of real numbers; errors name the first bad index.

    Parameters
    ----------
    values : array-like
    name : str
        Argument name used in messages.
    lower, upper : float, default=None
        Inclusive bounds.
    allow_nan : bool, default=False
        Let NaN through (a documented "missing" value); inf never passes.

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> from sklearn_stellar.utils._validation import check_real_array
    >>> check_real_array([1.0, 2.0], name="teff", lower=0)
    array([1., 2.])
    >>> check_real_array([1.0, -2.0], name="teff", lower=0)
    Traceback (most recent call last):
    ...
    ValueError: `teff` must be >= 0; index 1 holds -2.0.
    """
    try:
        # np.asarray(None, float) is a silent NaN; of complex, a warning and
        # the real part.
        if values is None or np.iscomplexobj(values):
            raise TypeError
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be numeric (a number or an array of numbers), got "
            f"{values!r}."
        ) from None
    flat = arr.reshape(-1)
    nan = np.isnan(flat)
    bad = np.isinf(flat) | (nan & (not allow_nan))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = f"; index {i} holds {float(flat[i])!r}" if arr.ndim else ""
        raise ValueError(
            f"`{name}` must be finite{' (NaN allowed)' if allow_nan else ''}"
            f"{where if arr.ndim else f', got {float(flat[i])!r}'}."
        )
    with np.errstate(invalid="ignore"):
        out = np.zeros(flat.shape, dtype=bool)
        if lower is not None:
            out |= flat < lower
        if upper is not None:
            out |= flat > upper
    if out.any():
        i = int(np.flatnonzero(out)[0])
        where = f"index {i} holds" if arr.ndim else "got"
        raise ValueError(
            f"`{name}` must be {_bounds_text(lower, upper)}; {where} "
            f"{float(flat[i])!r}."
        )
    return arr


def check_named_array(value, *, name, **kwargs):
    """``sklearn.utils.check_array`` whose errors name the argument and value.

    scikit-learn's messages ("Complex data not supported", "Found array with
    0 sample(s)") and numpy's ("could not convert string to float") do not
    say which argument was wrong; this re-raises them prefixed with ``name``,
    as a TypeError for values that are not numbers and a ValueError otherwise.

    Parameters
    ----------
    value : array-like
    name : str
        Argument name used in messages.
    **kwargs
        Passed to :func:`sklearn.utils.check_array`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> from sklearn_stellar.utils._validation import check_named_array
    >>> check_named_array([[1, 2]], name="X", dtype=float)
    array([[1., 2.]])
    >>> check_named_array([["a"]], name="X", dtype=float)
    Traceback (most recent call last):
    ...
    TypeError: `X` must be a numeric array, got [['a']].
    """
    from sklearn.utils.validation import check_array

    kwargs.setdefault("input_name", name)
    try:
        return check_array(value, **kwargs)
    except (TypeError, ValueError) as exc:
        message = str(exc).split("\n")[0].rstrip(".:")
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        not_numbers = isinstance(exc, TypeError) or any(
            word in message
            for word in ("convert", "Complex", "strings", "bytes", "dtype='numeric'")
        )
        if not_numbers:
            raise TypeError(f"`{name}` must be a numeric array, got {shown}.") from None
        raise ValueError(f"`{name}` is invalid ({shown}): {message}.") from None


def _named_message(message, has_y):
    if "inconsistent numbers of samples" in message:
        return f"`X` and `y` have {message[message.index('inconsistent') :]}"
    about_y = has_y and (message.startswith("y ") or "label" in message.lower())
    return f"`{'y' if about_y else 'X'}` is invalid: {message}"


def validate_named_data(estimator, X="no_validation", y="no_validation", **kwargs):
    """``sklearn.utils.validation.validate_data`` whose errors name X or y.

    scikit-learn's messages ("Complex data not supported", "Found array with
    0 sample(s)", "Expected 2D array") do not say which argument was wrong;
    this re-raises them, same type, prefixed with `X` or `y`. Messages that
    already name their argument pass unchanged.

    Parameters
    ----------
    estimator : BaseEstimator
    X, y : array-like or "no_validation"
    **kwargs
        Passed to :func:`sklearn.utils.validation.validate_data`.

    Returns
    -------
    The validated X, y or (X, y), as ``validate_data`` returns them.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from sklearn_stellar.utils._validation import validate_named_data
    >>> validate_named_data(BaseEstimator(), [[1.0, 2.0]], reset=True)
    array([[1., 2.]])
    >>> validate_named_data(BaseEstimator(), [[1j]], reset=True)
    Traceback (most recent call last):
    ...
    ValueError: `X` is invalid: Complex data not supported...
    """
    import re

    from sklearn.utils.validation import validate_data

    try:
        return validate_data(estimator, X, y, **kwargs)
    except (TypeError, ValueError) as exc:
        message = str(exc).strip()
        if re.search(r"`\w+`|(?<!\w)[Xy](?!\w)", message.split("\n")[0]):
            raise
        has_y = not (isinstance(y, str) and y == "no_validation")
        if "convert" in message or "strings" in message:
            raise TypeError(
                f"`X` must be numeric (fluxes), got dtype "
                f"{getattr(X, 'dtype', type(X).__name__)}."
            ) from None
        raise type(exc)(_named_message(message, has_y)) from None


def check_named_targets(y):
    """``check_classification_targets`` whose error names ``y`` and its type.

    Parameters
    ----------
    y : array-like
        Class labels.

    Raises
    ------
    ValueError
        If ``y`` holds continuous values or a mix of strings and numbers.

    Examples
    --------
    >>> from sklearn_stellar.utils._validation import check_named_targets
    >>> check_named_targets([0, 1, 1])
    >>> check_named_targets([0.5, 1.5])
    Traceback (most recent call last):
    ...
    ValueError: `y` must hold class labels ... got [0.5, 1.5]: Unknown label type: ...
    """
    from sklearn.utils.multiclass import check_classification_targets

    try:
        check_classification_targets(y)
    except ValueError as exc:
        shown = repr(list(y[:5]) if hasattr(y, "__getitem__") else y)
        raise ValueError(
            "`y` must hold class labels (integers, strings or booleans of one "
            f"kind), got {shown}: {exc}"
        ) from None
