"""
Equivalent widths and the filters on real LAMOST spectra
========================================================

Wang et al. (2022) keep late-type stars away from their Be-star network with
two equivalent-width cuts (EW(H-alpha, 6548-6578 A) < 10 A and EW(Mg I b,
5160-5193 A) < 1.2 A, windows in air) and a 2MASS colour index ``Q``.
:class:`~sklearn_stellar.filters.EWFilter` and
:class:`~sklearn_stellar.filters.QColorFilter` implement them as
transformers that *measure* (``transform``) and *select* (``pass_mask``);
:class:`~sklearn_stellar.filters.FilteredClassifier` puts them in front of
any classifier and reports, row by row, what they did.

The spectra are real: 100 LAMOST DR7 low-resolution spectra from one
spectrograph (F/G/K/M stars and a few galaxies, with the LAMOST pipeline's
CLASS and SUBCLASS). LRS covers both windows, so both cuts run on one grid.
"""

# %%
# Read a folder and measure
# -------------------------
# The EWs are measured relative to a continuum: for raw survey flux the
# filter takes a ``normalizer`` that it fits and applies internally. The
# grid is in vacuum, the windows are stated in air and converted.
import matplotlib.pyplot as plt
import numpy as np
from astropy.table import Table
from sklearn.dummy import DummyClassifier

from sklearn_stellar.datasets import get_data_home
from sklearn_stellar.filters import EWFilter, FilteredClassifier, QColorFilter
from sklearn_stellar.io import read_lamost, spectra_to_array
from sklearn_stellar.preprocessing import ContinuumNormalizer

folder = get_data_home() / "lamost" / "lrs" / "dr7_plan_HD103621N361936B01"
spectra = read_lamost(folder, errors="report")
X, wavelength = spectra_to_array(spectra)
kind = np.array(
    [
        "galaxy/unknown"
        if s.meta["class"] != "STAR"
        else (s.meta["subclass"] or "?").lstrip("dg")[:1]
        for s in spectra
    ]
)
types, counts = np.unique(kind, return_counts=True)
print(
    f"{len(spectra)} spectra, {X.shape[1]} pixels; types: "
    + ", ".join(f"{t} {n}" for t, n in zip(types, counts, strict=True))
)

ew_filter = EWFilter(
    wavelength=wavelength,
    medium="vacuum",
    normalizer=ContinuumNormalizer(
        wavelength=wavelength, method="spline", knot_spacing=100.0
    ),
)
ew_filter.fit(X)
ew = ew_filter.transform(X)
names = ew_filter.get_feature_names_out()
passed = ew_filter.pass_mask(X)
print(f"measurements {list(names)}; {passed.sum()} of {len(X)} pass both cuts")

# %%
# Row status: ok, rejected, out of domain
# ---------------------------------------
# A rejected row comes out of ``predict_proba`` exactly like a confident
# negative, so :meth:`~sklearn_stellar.filters.FilteredClassifier.filter_report`
# says for each row whether it was ``"ok"``, ``"rejected"`` (with the cut and
# the value) or ``"out_of_domain"`` (not measurable, e.g. no valid pixel in a
# window). The classifier behind the filters does not matter for the report,
# so this one is a placeholder
# (:class:`~sklearn.dummy.DummyClassifier` fitted on "is a star" labels).
gate = FilteredClassifier(filters=[("ew", ew_filter)], estimator=DummyClassifier())
is_star = np.array([s.meta["class"] == "STAR" for s in spectra], dtype=int)
gate.fit(X, is_star)
report = Table(dict(gate.filter_report(X)))
report["type"] = kind
print(report["type", "status", "reason"][:8])
for status in ("ok", "rejected", "out_of_domain"):
    print(f"{status}: {np.sum(report['status'] == status)} rows")

# %%
# The Q colour index
# ------------------
# ``Q = (J - H) - 1.70 (H - Ks)`` does not change with interstellar
# reddening. These LAMOST files carry no 2MASS magnitudes, so the three rows
# below are *illustrative magnitudes typed in here*, not photometry of any
# star above: a colour near zero, a red one, and a star without photometry.
# ``missing`` says what an unmeasurable row becomes: ``"flag"`` lets it pass
# and adds a ``photometry_missing`` column, ``"drop"`` rejects it.
jhk = np.array([[10.00, 10.00, 10.00], [10.00, 9.40, 9.25], [np.nan] * 3])
for missing in ("flag", "drop"):
    q_filter = QColorFilter(threshold=0.2, missing=missing).fit(jhk)
    print(
        f"missing={missing!r}: Q = {np.round(q_filter.transform(jhk)[:, 0], 3)}, "
        f"passes {q_filter.pass_mask(jhk)}"
    )

# %%
# Figure: the two EWs by spectral type
# ------------------------------------
# The Mg b cut (right of the dotted line is rejected) removes the cool
# stars; H-alpha emission would show as a negative EW. The galaxy and
# unknown spectra are the noisiest measurements.
fig, ax = plt.subplots(figsize=(7.0, 5.0))
for label, marker in (
    ("F", "o"),
    ("G", "s"),
    ("K", "^"),
    ("M", "v"),
    ("A", "*"),
    ("galaxy/unknown", "x"),
):
    rows = kind == label
    if rows.any():
        ax.scatter(
            ew[rows, 1], ew[rows, 0], marker=marker, label=f"{label} ({rows.sum()})"
        )
ax.axvline(1.2, color="k", ls=":", label="EW(Mg b) = 1.2 A")
ax.axhline(10.0, color="k", ls="--", label="EW(H-alpha) = 10 A")
ax.set_xlim(-5.0, 20.0)
ax.set_ylim(-10.0, 12.0)
ax.set_xlabel("EW(Mg b 5160-5193 A) (A)")
ax.set_ylabel("EW(H-alpha 6548-6578 A) (A)")
ax.set_title("100 real LAMOST LRS spectra")
ax.legend(frameon=False, fontsize="small")
fig.tight_layout()
plt.show()
