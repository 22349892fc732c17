"""Infrared colour test separating classical Be from Herbig Ae/Be stars."""

from __future__ import annotations

import numpy as np

from ..utils._validation import check_named_array, check_real, check_real_array

__all__ = ["IR_EXTINCTION", "deredden_ir", "classify_ir_colours"]

#: A_lambda / A_V for 2MASS J, H, Ks (Cardelli et al. 1989, Table 3) and WISE W1
#: (Yuan et al. 2013), as adopted by Wang et al. (2022), section 5.3.
IR_EXTINCTION = {"J": 0.282, "H": 0.190, "Ks": 0.114, "W1": 0.061}

CLASSICAL_BE = "classical Be"
HERBIG_AEBE = "Herbig Ae/Be"
AMBIGUOUS = "ambiguous"
NO_PHOTOMETRY = "no photometry"


def deredden_ir(photometry, ebv, *, r_v: float = 3.1) -> np.ndarray:
    """Correct J, H, Ks, W1 magnitudes for extinction.

    ``m_0 = m - (A_lambda / A_V) * R_V * E(B-V)`` with the ratios of
    :data:`IR_EXTINCTION`.

    Parameters
    ----------
    photometry : array-like of shape (n_stars, 4)
        J, H, Ks, W1 magnitudes (NaN where missing).
    ebv : float or array-like of shape (n_stars,)
        Reddening E(B-V) in magnitudes, finite and >= 0 (Wang et al. 2022 took it
        from the Green et al. 2019 3-D dust map).
    r_v : float, default=3.1
        Ratio of total to selective extinction (positive).

    Returns
    -------
    ndarray of shape (n_stars, 4)
        Dereddened J, H, Ks, W1 magnitudes.

    Examples
    --------
    >>> from sklearn_stellar.filters import deredden_ir
    >>> deredden_ir([[10.0, 10.0, 10.0, 10.0]], 1.0).round(4)
    array([[9.1258, 9.411 , 9.6466, 9.8109]])
    """
    phot = check_named_array(
        photometry,
        name="photometry",
        dtype=np.float64,
        ensure_all_finite="allow-nan",
    )
    if phot.shape[1] != 4:
        raise ValueError(
            f"`photometry` must have 4 columns (J, H, Ks, W1), got {phot.shape[1]}."
        )
    ebv = check_real_array(ebv, name="ebv", lower=0.0)
    if ebv.shape not in ((), (phot.shape[0],)):
        raise ValueError(
            "`ebv` must be a finite number or an array of shape (n_stars,) = "
            f"({phot.shape[0]},), got shape {ebv.shape}."
        )
    r_v = check_real(r_v, name="r_v")
    if not r_v > 0:
        raise ValueError(f"`r_v` must be positive, got {r_v!r}.")
    ratios = np.array([IR_EXTINCTION[b] for b in ("J", "H", "Ks", "W1")])
    return phot - np.multiply.outer(ebv * r_v, ratios).reshape(-1, 4)


def classify_ir_colours(photometry, ebv, *, r_v: float = 3.1) -> np.ndarray:
    """Classical Be / Herbig Ae/Be / ambiguous from dereddened IR colours.

    Following Wang et al. (2022) section 5.3 (criteria of Hou et al. 2016), after
    :func:`deredden_ir`:

    - ``"classical Be"``: ``H - Ks < 0.2`` and ``Ks - W1 < 0.5``;
    - ``"Herbig Ae/Be"``: ``H - Ks > 0.4`` and ``Ks - W1 > 0.8``;
    - ``"ambiguous"``: anything else;
    - ``"no photometry"``: a row with a missing (NaN) H, Ks or W1.

    Parameters
    ----------
    photometry : array-like of shape (n_stars, 4)
        J, H, Ks, W1 magnitudes.
    ebv : float or array-like of shape (n_stars,)
        E(B-V).
    r_v : float, default=3.1
        Ratio of total to selective extinction (positive).

    Returns
    -------
    labels : ndarray of shape (n_stars,), dtype=object
        One class label per star (see above).

    Examples
    --------
    >>> from sklearn_stellar.filters import classify_ir_colours
    >>> classify_ir_colours([[9.0, 8.9, 8.8, 8.5],
    ...                      [9.0, 8.5, 7.9, 6.8],
    ...                      [9.0, 8.8, 8.5, 8.2]], ebv=0.0).tolist()
    ['classical Be', 'Herbig Ae/Be', 'ambiguous']
    """
    dered = deredden_ir(photometry, ebv, r_v=r_v)
    h_k = dered[:, 1] - dered[:, 2]
    k_w1 = dered[:, 2] - dered[:, 3]
    labels = np.full(dered.shape[0], AMBIGUOUS, dtype=object)
    with np.errstate(invalid="ignore"):
        labels[(h_k < 0.2) & (k_w1 < 0.5)] = CLASSICAL_BE
        labels[(h_k > 0.4) & (k_w1 > 0.8)] = HERBIG_AEBE
    labels[~np.isfinite(h_k + k_w1)] = NO_PHOTOMETRY
    return labels
