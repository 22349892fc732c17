"""Binary-star catalogs from per-spectrum probabilities (Jing et al. 2024, §3.3).

A classifier gives ``p_b`` for every spectrum; a star observed several times
gets the highest ``p_b`` of its spectra (the paper's Fig. 6 and Table 1). The
tables keep the LAMOST identifiers, position and S/N of the input metadata so
they can be written as ECSV or FITS.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table
from sklearn.utils.validation import check_is_fitted

from ..followup._crossmatch import _check_radius
from ..io import metadata_table
from ..utils._validation import check_named_array, check_real, check_real_array
from ._grouping import (
    DEFAULT_STAR_RADIUS,
    _assign_stars,
    _best_per_star,
    _merged_designations,
)

__all__ = ["binary_probability", "spectrum_table", "binary_catalog", "count_above"]

#: The reader's metadata columns a spectrum table keeps (plus snr_u ... snr_z).
_SPECTRUM_COLUMNS = ("obsid", "designation", "ra", "dec")


def binary_probability(estimator, X, *, pos_label=None) -> np.ndarray:
    """Probability ``p_b`` that each spectrum is a binary.

    Parameters
    ----------
    estimator : fitted classifier or pipeline with ``predict_proba``
        For example a pipeline ending in
        :class:`~sklearn_stellar.neural.BinarySpectrumCNN`.
    X : array-like of shape (n_spectra, n_pixels)
        Spectra.
    pos_label : label, default=None
        The binary class; None means the last of ``classes_`` (1 for 0/1
        targets, "single" would be last for strings, so pass it then).

    Returns
    -------
    p_b : ndarray of shape (n_spectra,)
        Probability of the ``pos_label`` class for each row of ``X``, in
        [0, 1] (dimensionless).

    Raises
    ------
    TypeError
        If ``X`` is not numeric (text, complex, objects).
    ValueError
        If ``X`` is not 2-D or has no rows, or ``pos_label`` is not a class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_stellar.catalog import binary_probability
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> clf = LogisticRegression().fit(X, ["single", "single", "binary", "binary"])
    >>> p_b = binary_probability(clf, X, pos_label="binary")
    >>> bool(p_b[3] > p_b[0])
    True
    """
    check_is_fitted(estimator)
    # The estimator validates X again; checking it here first gives an error
    # that names X (the wrapped estimator's messages do not). NaN is left to
    # the estimator (a FilteredClassifier, for one, accepts it). The validated
    # copy is not passed on: a DataFrame keeps its feature names.
    check_named_array(
        X, name="X", accept_sparse=True, dtype="numeric", ensure_all_finite=False
    )
    classes = np.asarray(estimator.classes_)
    if pos_label is None:
        column = len(classes) - 1
    else:
        hits = np.flatnonzero(classes == pos_label)
        if len(hits) != 1:
            raise ValueError(
                f"`pos_label`={pos_label!r} is not one of the estimator's classes "
                f"{classes.tolist()}."
            )
        column = int(hits[0])
    return np.asarray(estimator.predict_proba(X))[:, column]


def _check_p_b(p_b, n=None):
    try:
        p = np.asarray(p_b, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"`p_b` must be probabilities (numbers in [0, 1]), got {p_b!r}."
        ) from None
    if p.ndim != 1:
        raise ValueError(f"`p_b` must be 1-D (one value per spectrum), got {p.shape}.")
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if np.any(bad):
        raise ValueError(
            f"`p_b` must be probabilities in [0, 1]; rows {np.flatnonzero(bad)[:10]} "
            f"hold {p[bad][:10].tolist()}."
        )
    if n is not None and len(p) != n:
        raise ValueError(
            f"`p_b` has {len(p)} values but `metadata` describes {n} spectra; every "
            "spectrum needs both."
        )
    return p


def spectrum_table(p_b, metadata) -> Table:
    """One row per spectrum: identifiers, position, S/N and ``p_b``.

    Parameters
    ----------
    p_b : array-like of shape (n_spectra,)
        Binary probabilities, e.g. from :func:`binary_probability`.
    metadata : list of dict or astropy.table.Table
        One entry per spectrum, in the order of ``p_b``. Dicts use the keys of
        :func:`sklearn_stellar.io.read_lamost` (``obsid``, ``designation``,
        ``ra``, ``dec`` in degrees, ``snr`` a dict per band); a Table uses the
        columns ``obsid``, ``designation``, ``ra``, ``dec``, ``snr_u`` ...
        ``snr_z``. Missing values become -1 (obsid), "" or NaN.

    Returns
    -------
    astropy.table.Table
        Columns ``obsid, designation, ra, dec, snr_u, snr_g, snr_r, snr_i,
        snr_z, p_b``.

    Examples
    --------
    >>> from sklearn_stellar.catalog import spectrum_table
    >>> meta = [{"obsid": 1, "designation": "J1", "ra": 10.0, "dec": 5.0,
    ...          "snr": {"g": 30.2}}]
    >>> spectrum_table([0.9], meta)["snr_g", "p_b"].pformat()[2]
    ' 30.2 0.9'
    """
    table = metadata_table(metadata, columns=_SPECTRUM_COLUMNS, snr_bands=True)
    table["p_b"] = _check_p_b(p_b, len(table))
    return table


def binary_catalog(
    p_b, metadata, *, star_key="position", threshold=0.5, radius=DEFAULT_STAR_RADIUS
) -> Table:
    """One row per star: highest ``p_b`` over its spectra, and how many there are.

    As in Jing et al. (2024) §3.3, a star observed several times gets the
    maximum ``p_b`` of its spectra; the row keeps the identifiers, position
    and S/N of that spectrum. By default spectra are grouped into stars by
    position (:func:`group_by_position`): a LAMOST designation is built from
    each epoch's measured position, so one star can carry several.

    Parameters
    ----------
    p_b : array-like of shape (n_spectra,)
        Binary probability of every spectrum.
    metadata : list of dict or astropy.table.Table
        As in :func:`spectrum_table`.
    star_key : str, default="position"
        ``"position"``: friends-of-friends within ``radius`` on the sky; a
        spectrum without RA/Dec is a star of its own (``grouped_by`` says
        so). Any other value is a metadata field identifying a star
        (``"designation"``; a Table may carry another column, e.g. a Gaia
        source_id), which every spectrum must have.
    threshold : float, default=0.5
        ``is_binary = p_b > threshold`` (the paper's catalog cut).
    radius : Quantity or float, default=3 arcsec
        Linking length of ``star_key="position"`` (a float is in arcsec).

    Returns
    -------
    astropy.table.Table
        Columns ``star, n_spectra, p_b, is_binary, designations,
        n_designations, grouped_by, obsid, designation, ra, dec, snr_u ...
        snr_z`` in order of each star's first spectrum. ``star`` is an index
        (position) or the key's value; ``designations`` joins the star's
        distinct designations with "|"; ``grouped_by`` is ``"position"``,
        ``"no position: own star"`` or ``star_key``. ``meta`` records
        ``P_TH`` (threshold), ``N_SPEC``, ``N_STARS``, ``N_BINARY``,
        ``AGGREG`` (the aggregation rule) and ``STAR_KEY``. Writable with
        ``table.write("cat.ecsv")`` or ``.fits``.

    Raises
    ------
    ValueError
        Bad ``p_b``, ``threshold`` or ``radius``; a ``star_key`` that is not
        in ``metadata`` or missing for some rows.

    Examples
    --------
    >>> from sklearn_stellar.catalog import binary_catalog
    >>> meta = [{"obsid": 1, "designation": "A", "ra": 1.0, "dec": 0.0},
    ...         {"obsid": 2, "designation": "A2", "ra": 1.0001, "dec": 0.0},
    ...         {"obsid": 3, "designation": "B", "ra": 2.0, "dec": 0.0}]
    >>> cat = binary_catalog([0.2, 0.7, 0.4], meta)
    >>> cat["star", "n_spectra", "p_b", "obsid", "designations"].pprint()
    star n_spectra p_b obsid designations
    ---- --------- --- ----- ------------
       0         2 0.7     2         A|A2
       1         1 0.4     3            B
    """
    spectra = spectrum_table(p_b, metadata)
    threshold = check_real(threshold, name="threshold", lower=0.0, upper=1.0)
    radius = _check_radius(radius)
    keys = None if star_key == "position" else _star_keys(spectra, metadata, star_key)
    ra, dec = (np.asarray(spectra[c], dtype=float) for c in ("ra", "dec"))
    stars, index, reason = _assign_stars(star_key, keys, ra, dec, radius)
    p = np.asarray(spectra["p_b"])
    best, n_spectra = _best_per_star(index, p)
    names, n_names = _merged_designations(
        np.asarray(spectra["designation"]), index, len(stars)
    )
    catalog = Table(
        {
            "star": stars,
            "n_spectra": n_spectra,
            "p_b": p[best],
            "is_binary": p[best] > threshold,
            "designations": names,
            "n_designations": n_names,
            "grouped_by": reason[best],
        }
    )
    for name in spectra.colnames[:-1]:
        catalog[name] = spectra[name][best]
    catalog.meta.update(
        {
            # Keys of <= 8 characters: FITS header cards without HIERARCH.
            "P_TH": float(threshold),
            "N_SPEC": len(p),
            "N_STARS": len(catalog),
            "N_BINARY": int(catalog["is_binary"].sum()),
            "AGGREG": "max p_b over a star's spectra (Jing et al. 2024 3.3)",
            "STAR_KEY": str(star_key),
        }
    )
    return catalog


def _star_keys(spectra, metadata, star_key):
    if not isinstance(star_key, str):
        raise TypeError(
            f"`star_key` must be 'position' or a metadata field name, got {star_key!r}."
        )
    if star_key in spectra.colnames:
        keys = np.asarray(spectra[star_key])
    elif isinstance(metadata, Table) and star_key in metadata.colnames:
        keys = np.asarray(metadata[star_key])
    elif not isinstance(metadata, Table):
        keys = np.array([row.get(star_key) for row in metadata], dtype=object)
    else:
        raise ValueError(
            f"`star_key`={star_key!r} is not a column of `metadata` "
            f"({metadata.colnames})."
        )
    missing = np.array([k is None or str(k) == "" for k in keys], dtype=bool)
    if np.any(missing):
        raise ValueError(
            f"`metadata` rows {np.flatnonzero(missing)[:10].tolist()} have no "
            f"{star_key!r}: cannot assign those spectra to a star."
        )
    return keys.astype(str)


def count_above(p_b, thresholds) -> np.ndarray:
    """Number of entries with ``p_b > threshold`` for each threshold.

    The dashed curves of Jing et al. (2024) Fig. 6; pass per-spectrum values
    or a catalog's per-star ``p_b``.

    Parameters
    ----------
    p_b : array-like of shape (n,)
        Binary probabilities in [0, 1] (dimensionless), one per spectrum or
        per star.
    thresholds : float or array-like of shape (n_thresholds,)
        Probability cuts in [0, 1]; an entry counts when ``p_b > threshold``
        (strictly).

    Returns
    -------
    counts : ndarray of shape (n_thresholds,) or scalar
        Number of ``p_b`` values above each threshold (a scalar for a scalar
        ``thresholds``).

    Raises
    ------
    TypeError
        If ``p_b`` or ``thresholds`` is not numeric.
    ValueError
        If ``p_b`` is not 1-D or holds values outside [0, 1] or NaN, or
        ``thresholds`` is outside [0, 1] or has more than one dimension.

    See Also
    --------
    sklearn_stellar.metrics.precision_at_prior : Precision a threshold gives
        at the survey's binary fraction.

    References
    ----------
    .. [1] Jing, Y., Mao, T.-X., Wang, J., Liu, C., & Chen, X. (2024). Half a
       million binary stars identified from the low resolution spectra of
       LAMOST.

    Examples
    --------
    >>> from sklearn_stellar.catalog import count_above
    >>> count_above([0.1, 0.6, 0.9], [0.5, 0.8]).tolist()
    [2, 1]
    """
    p = np.sort(_check_p_b(p_b))
    th = check_real_array(thresholds, name="thresholds", lower=0.0, upper=1.0)
    if th.ndim > 1:
        raise ValueError(
            f"`thresholds` must be a number or a 1-D array, got shape {th.shape}."
        )
    return len(p) - np.searchsorted(p, th, side="right")
