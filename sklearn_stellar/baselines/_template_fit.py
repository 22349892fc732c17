"""Single- versus two-template fits: the spectroscopic-binary search baseline."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from ..utils._validation import check_real_array

__all__ = ["two_template_test"]


def _check(X, templates, max_shift, n_primary, chunk):
    X = check_real_array(X, name="X")
    templates = check_real_array(templates, name="templates")
    if X.ndim != 2 or templates.ndim != 2 or X.shape[1] != templates.shape[1]:
        raise ValueError(
            "`X` and `templates` must be 2-D arrays with the same number of "
            f"pixels, got shapes {X.shape} and {templates.shape}."
        )
    if len(templates) < 2:
        raise ValueError(f"`templates` needs >= 2 rows, got {len(templates)}.")
    for name, value, least in (
        ("max_shift", max_shift, 0),
        ("n_primary", n_primary, 1),
        ("chunk", chunk, 1),
    ):
        if (
            not isinstance(value, (int, np.integer))
            or isinstance(value, bool)
            or not least <= value < 10**6
        ):
            raise ValueError(
                f"`{name}` must be an integer in [{least}, 1e6), got {value!r}."
            )
    if 2 * max_shift + 1 > X.shape[1]:
        raise ValueError(
            f"`max_shift` must be below half the pixels ({X.shape[1]}), got "
            f"{max_shift!r}."
        )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(templates))):
        raise ValueError("`X` and `templates` must be finite (no NaN or inf).")
    return X, templates


def two_template_test(
    X, templates, *, max_shift: int = 3, n_primary: int = 10, chunk: int = 128
) -> Bunch:
    """Test whether two library templates fit a spectrum better than one.

    For every row ``y`` of ``X``: the best single fit ``a t_i`` (least squares
    over the templates, free scale) and the best two-template fit
    ``a t_i + b s_j`` with ``a, b > 0``, where ``t_i`` is one of the
    ``n_primary`` best single templates and ``s_j`` any template shifted by
    -``max_shift``..``max_shift`` pixels (on a log-linear 1e-4 dex grid one
    pixel is 69 km/s: the secondary's velocity relative to the primary). The
    binarity score is the Bayesian-information-criterion improvement with the
    noise profiled out, ``n log(RSS1 / RSS2) - 2 log n`` (two extra
    parameters: the secondary's scale and its shift). Unweighted fits: give
    continuum-normalised spectra of similar noise across the band.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_pixels)
        Continuum-normalised spectra (finite).
    templates : array-like of shape (n_templates, n_pixels)
        Continuum-normalised library spectra on the same grid, n_templates >= 2.
    max_shift : int, default=3
        Largest relative shift of the secondary in pixels.
    n_primary : int, default=10
        Primaries tried in the two-template fit (the best single fits).
    chunk : int, default=128
        Spectra fitted at once (memory ~ chunk x n_primary x n_templates x
        (2 max_shift + 1) floats).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``delta_bic`` (n_spectra,), the score (> 0 favours two templates);
        ``rss1``, ``rss2``; ``primary`` and ``secondary`` (template indices),
        ``shift`` (pixels), ``light_fraction`` ``b |s_j| / (a |t_i| + b |s_j|)``
        (mean-flux share of the secondary, NaN when the single fit wins).

    Raises
    ------
    ValueError
        Shapes differ, fewer than two templates, non-finite values, or bad
        ``max_shift``/``n_primary`` (naming the argument).

    References
    ----------
    Bardalez Gagliuffi et al. 2014, ApJ 794, 143 (single vs binary template
    fits of spectral binaries); El-Badry et al. 2018, MNRAS 473, 5043
    (single- vs binary-star model fits, chi-square improvement).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.baselines import two_template_test
    >>> x = np.linspace(0, 20, 300)
    >>> t = np.array([1 - 0.5 * np.exp(-((x - c) ** 2)) for c in (5, 10, 15)])
    >>> noise = np.random.default_rng(0).normal(0, 0.01, (2, 300))
    >>> X = np.vstack([0.7 * t[0] + 0.3 * t[2], t[1]]) + noise
    >>> res = two_template_test(X, t, max_shift=0)
    >>> bool(res.delta_bic[0] > 0), bool(res.delta_bic[1] > 0)
    (True, False)
    """
    X, T = _check(X, templates, max_shift, n_primary, chunk)
    n_t, n_pix = T.shape
    n_primary = min(n_primary, n_t)
    shifts = np.arange(-max_shift, max_shift + 1)
    # S: every template at every shift (edge pixels held), (n_t * n_s, n_pix).
    idx = np.clip(np.arange(n_pix)[None, :] - shifts[:, None], 0, n_pix - 1)
    S = T[:, idx].reshape(-1, n_pix)
    tt = (T**2).sum(axis=1)
    ss = (S**2).sum(axis=1)
    gram = T @ S.T  # (n_t, n_t * n_s)
    out = {k: np.empty(len(X)) for k in ("rss1", "rss2", "light_fraction")}
    out.update(
        {k: np.empty(len(X), dtype=int) for k in ("primary", "secondary", "shift")}
    )
    for start in range(0, len(X), chunk):  # chunks bound memory
        _fit_chunk(X[start : start + chunk], T, S, tt, ss, gram, n_primary, out, start)
    ok = out["rss2"] < out["rss1"]
    out["light_fraction"][~ok] = np.nan
    out["secondary"][~ok] = -1
    out["shift"] = np.where(ok, shifts[out["shift"] % len(shifts)], 0)
    out["secondary"] = np.where(ok, out["secondary"], -1)
    # b = 0 reproduces the single fit: RSS2 is never above RSS1.
    out["rss2"] = np.minimum(out["rss2"], out["rss1"])
    rss1 = np.maximum(out["rss1"], 1e-300)
    rss2 = np.maximum(out["rss2"], 1e-300)
    out["delta_bic"] = n_pix * np.log(rss1 / rss2) - 2.0 * np.log(n_pix)
    return Bunch(**out)


def _fit_chunk(Y, T, S, tt, ss, gram, n_primary, out, start):
    """Single and two-template fits of the rows Y, written into ``out``."""
    rows = np.arange(len(Y))
    yy = (Y**2).sum(axis=1)
    yt = Y @ T.T  # (m, n_t)
    ys = Y @ S.T  # (m, n_t * n_s)
    rss1_all = yy[:, None] - np.where(yt > 0, yt**2 / tt, 0.0)
    best = np.argsort(rss1_all, axis=1)[:, :n_primary]  # (m, k)
    # 2x2 normal equations for (a, b) for every primary i and shifted s_j.
    g = gram[best]  # (m, k, n_ts)
    a11, b1 = tt[best][..., None], yt[rows[:, None], best][..., None]
    a22, b2 = ss[None, None, :], ys[:, None, :]
    det = a11 * a22 - g**2
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (a22 * b1 - g * b2) / det
        b = (a11 * b2 - g * b1) / det
        rss2 = yy[:, None, None] - (a * b1 + b * b2)
    bad = (det <= 1e-9 * a11 * a22) | (a <= 0) | (b <= 0) | ~np.isfinite(rss2)
    rss2 = np.where(bad, np.inf, rss2)
    flat = rss2.reshape(len(Y), -1).argmin(axis=1)
    k, j = np.unravel_index(flat, rss2.shape[1:])
    sl = slice(start, start + len(Y))
    out["rss1"][sl] = rss1_all[rows, best[:, 0]]
    out["rss2"][sl] = rss2[rows, k, j]
    out["primary"][sl] = best[rows, k]
    n_s = S.shape[0] // T.shape[0]
    out["secondary"][sl], out["shift"][sl] = np.divmod(j, n_s)
    fa = a[rows, k, j] * np.abs(T[best[rows, k]]).mean(axis=1)
    fb = b[rows, k, j] * np.abs(S[j]).mean(axis=1)
    out["light_fraction"][sl] = fb / (fa + fb)
