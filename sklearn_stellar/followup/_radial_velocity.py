"""Radial-velocity variability of repeatedly observed stars (Jing et al. 2024, §3.2).

Jing et al. (2024) checks its classifier on LAMOST stars observed more than once: a
star with at least two epochs and a maximum radial-velocity difference above
25 km/s is a potential binary, one with at least four epochs and a maximum
difference below 5 km/s a likely single star. At ``p_th = 0.5`` the network
agreed with 92.8 % of the former and 68.8 % of the latter.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from astropy.table import Table

from ..utils import C_KMS
from ..utils._validation import check_real_array
from ._input import check_same_length, get_column, get_labels

__all__ = ["redshift_to_rv", "rv_variability", "rv_agreement"]

BINARY = "binary"
SINGLE = "single"
UNDETERMINED = "undetermined"


def redshift_to_rv(z, z_err=None):
    """Radial velocity ``rv = c z`` (km/s) and its error ``c z_err``.

    The LAMOST pipelines publish ``z`` (and ``z_err``) as the fitted
    radial velocity divided by c, so the inverse is the linear ``c z``, not
    the relativistic Doppler formula.

    Parameters
    ----------
    z : array-like or Quantity
        Redshift (dimensionless).
    z_err : array-like, default=None
        Its uncertainty.

    Returns
    -------
    rv : ndarray
        Radial velocity in km/s.
    rv_err : ndarray or None
        Its uncertainty in km/s; None when ``z_err`` is None.

    Raises
    ------
    ValueError
        A negative ``z_err``, or arrays of different lengths.

    Examples
    --------
    >>> from sklearn_stellar.followup import redshift_to_rv
    >>> rv, err = redshift_to_rv([1e-4, -5e-5], [1e-5, 1e-5])
    >>> rv.round(3).tolist(), err.round(3).tolist()
    ([29.979, -14.99], [2.998, 2.998])
    """
    z = get_column(None, z, name="z", unit="")
    rv = C_KMS * z
    if z_err is None:
        return rv, None
    z_err = get_column(None, z_err, name="z_err", unit="")
    check_same_length(z=z, z_err=z_err)
    if np.any(z_err < 0):
        raise ValueError("`z_err` must be >= 0, got negative values.")
    return rv, C_KMS * z_err


def rv_variability(
    data=None,
    *,
    star="star_id",
    rv="rv",
    p_b=None,
    binary_delta: float = 25.0,
    binary_min_epochs: int = 2,
    single_delta: float = 5.0,
    single_min_epochs: int = 4,
) -> Table:
    """Label stars binary / single / undetermined from repeated RVs.

    ``delta_rv_max`` is the largest difference between two of a star's
    radial velocities (max - min). A star is ``"binary"`` when it has at
    least ``binary_min_epochs`` epochs and ``delta_rv_max > binary_delta``;
    ``"single"`` with at least ``single_min_epochs`` epochs and
    ``delta_rv_max < single_delta``; ``"undetermined"`` otherwise. An epoch
    with a NaN velocity does not count. The paper's criterion uses the
    velocities alone, not their errors.

    Parameters
    ----------
    data : Table, mapping or DataFrame, default=None
        One row per observation (spectrum). None when the inputs below are
        arrays.
    star : str or array-like, default="star_id"
        Star identifier of each observation (Gaia ``source_id``, a LAMOST
        designation).
    rv : str or array-like or Quantity, default="rv"
        Radial velocity in km/s (see :func:`redshift_to_rv`).
    p_b : str or array-like, default=None
        The classifier's binary probability per spectrum. A star gets the
        highest of its values, as Jing et al. (2024) does for its catalog (section
        3.3; section 3.2 does not say).
    binary_delta : float, default=25.0
        Threshold on ``delta_rv_max`` (km/s) above which a star is an RV binary.
    binary_min_epochs : int, default=2
        Fewest epochs for a star to be called an RV binary.
    single_delta : float, default=5.0
        Threshold on ``delta_rv_max`` (km/s) below which a star is RV single.
    single_min_epochs : int, default=4
        Fewest epochs for a star to be called RV single.

    Returns
    -------
    Table
        One row per star (sorted by identifier): ``star_id``, ``n_epochs``,
        ``delta_rv_max`` (km/s, NaN with fewer than 2 epochs), ``rv_label``
        and, with ``p_b``, ``p_b`` (the maximum).

    Raises
    ------
    ValueError
        Missing columns, inputs of different lengths, a missing star id,
        non-positive thresholds or ``single_delta > binary_delta``.

    References
    ----------
    Jing, Y., Mao, T.-X., Wang, J., et al. 2024, section 3.2.

    Examples
    --------
    >>> from sklearn_stellar.followup import rv_variability
    >>> out = rv_variability(star=[1, 1, 2, 2, 2, 2, 3],
    ...                      rv=[10.0, 40.0, 3.0, 4.0, 2.5, 5.0, 7.0])
    >>> out["rv_label"].tolist(), out["delta_rv_max"].tolist()[:2]
    (['binary', 'single', 'undetermined'], [30.0, 2.5])
    """
    _check_thresholds(binary_delta, single_delta, binary_min_epochs, single_min_epochs)
    ids, missing = get_labels(data, star, name="star")
    if np.any(missing):
        raise ValueError(
            f"`star` is missing for {int(missing.sum())} observation(s); every "
            "observation needs a star identifier."
        )
    velocity = get_column(data, rv, name="rv", unit="km/s")
    arrays = {"star": ids, "rv": velocity}
    if p_b is not None:
        arrays["p_b"] = get_column(data, p_b, name="p_b")
    check_same_length(**arrays)
    stars, group = np.unique(ids, return_inverse=True)
    n_stars = len(stars)
    valid = np.isfinite(velocity)
    n_epochs = np.bincount(group[valid], minlength=n_stars)
    high = np.full(n_stars, -np.inf)
    low = np.full(n_stars, np.inf)
    np.maximum.at(high, group[valid], velocity[valid])
    np.minimum.at(low, group[valid], velocity[valid])
    delta = np.where(n_epochs >= 2, high - low, np.nan)
    label = np.full(n_stars, UNDETERMINED, dtype=object)
    with np.errstate(invalid="ignore"):
        label[(n_epochs >= binary_min_epochs) & (delta > binary_delta)] = BINARY
        label[(n_epochs >= single_min_epochs) & (delta < single_delta)] = SINGLE
    out = Table({"star_id": stars, "n_epochs": n_epochs})
    out["delta_rv_max"] = delta
    out["delta_rv_max"].unit = "km/s"
    out["rv_label"] = label.astype(str)
    if p_b is not None:
        best = np.full(n_stars, -np.inf)
        scores = arrays["p_b"]
        finite = np.isfinite(scores)
        np.maximum.at(best, group[finite], scores[finite])
        out["p_b"] = np.where(np.isfinite(best), best, np.nan)
    return out


def _check_thresholds(binary_delta, single_delta, binary_min, single_min):
    for name, value in (("binary_delta", binary_delta), ("single_delta", single_delta)):
        if not (isinstance(value, Real) and np.isfinite(value) and value > 0):
            raise ValueError(
                f"`{name}` must be a positive number (km/s), got {value!r}."
            )
    if single_delta > binary_delta:
        raise ValueError(
            f"`single_delta` ({single_delta}) must not exceed `binary_delta` "
            f"({binary_delta})."
        )
    for name, value in (
        ("binary_min_epochs", binary_min),
        ("single_min_epochs", single_min),
    ):
        if not (isinstance(value, (int, np.integer)) and value >= 2):
            raise ValueError(f"`{name}` must be an integer >= 2, got {value!r}.")


def rv_agreement(
    data=None, *, label="rv_label", p_b="p_b", threshold: float = 0.5
) -> Table:
    """How often the classifier agrees with the radial-velocity labels.

    A ``"binary"`` star agrees when ``p_b > threshold`` (the detection rate
    of :func:`sklearn_stellar.metrics.detection_rate`), a ``"single"`` star
    when ``p_b <= threshold``. ``"undetermined"`` stars are left out.

    Parameters
    ----------
    data : Table, mapping or DataFrame, default=None
        Usually the output of :func:`rv_variability` called with ``p_b``.
    label : str or array-like, default="rv_label"
        ``"binary"``, ``"single"`` or ``"undetermined"`` per star.
    p_b : str or array-like, default="p_b"
        Binary probability per star, in [0, 1].
    threshold : float, default=0.5
        ``p_th``.

    Returns
    -------
    Table
        Rows ``"binary"`` and ``"single"`` with ``n_stars``, ``n_agree`` and
        ``agreement`` (fraction; NaN for a class with no stars).

    Raises
    ------
    ValueError
        Missing columns, different lengths, labels other than the three,
        ``p_b`` outside [0, 1] or NaN for a labelled star.

    References
    ----------
    Jing, Y., Mao, T.-X., Wang, J., et al. 2024, section 3.2: 92.8 % of binaries and
    68.8 % of single stars at ``p_th = 0.5``.

    Examples
    --------
    >>> from sklearn_stellar.followup import rv_agreement
    >>> out = rv_agreement(label=["binary", "binary", "single", "single"],
    ...                    p_b=[0.9, 0.3, 0.1, 0.5])
    >>> out["agreement"].tolist()
    [0.5, 1.0]
    """
    threshold = check_real_array(threshold, name="threshold", lower=0.0, upper=1.0)
    if threshold.ndim:
        raise ValueError(f"`threshold` must be one number, got {threshold!r}.")
    labels, missing = get_labels(data, label, name="label")
    scores = get_column(data, p_b, name="p_b")
    check_same_length(label=labels, p_b=scores)
    labels = np.where(missing, UNDETERMINED, labels.astype(str))
    unknown = sorted(set(labels.tolist()) - {BINARY, SINGLE, UNDETERMINED})
    if unknown:
        raise ValueError(
            f"`label` must hold 'binary', 'single' or 'undetermined', got {unknown}."
        )
    used = labels != UNDETERMINED
    bad = used & ~((scores >= 0) & (scores <= 1))
    if np.any(bad):
        raise ValueError(
            f"`p_b` must be in [0, 1] for every labelled star; "
            f"{int(bad.sum())} are not (e.g. {scores[bad][:3].tolist()})."
        )
    rows = []
    for name in (BINARY, SINGLE):
        these = scores[labels == name]
        n = len(these)
        if n == 0:
            rows.append((name, 0, 0, np.nan))
            continue
        above = int(np.count_nonzero(these > threshold))
        agree = above if name == BINARY else n - above
        rows.append((name, n, agree, agree / n))
    return Table(rows=rows, names=("rv_label", "n_stars", "n_agree", "agreement"))
