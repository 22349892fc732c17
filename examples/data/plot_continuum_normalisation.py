"""
Continuum normalisation of a real LAMOST spectrum
=================================================

A LAMOST low-resolution spectrum is not flux calibrated in any useful sense:
its shape is the star's spectrum times the instrument's response. Both papers
divide each spectrum by a smooth *pseudo-continuum* before a network
sees it:

* the binary-star paper (Jing et al. 2024) smooths the flux with a wide
  Gaussian (sigma = 35 nm), as in Ho et al. (2017);
* the Be-star paper (Wang et al. 2022) fits a cubic spline with asymmetric
  sigma clipping, so that lines do not pull the continuum.

Both are :class:`~sklearn_stellar.preprocessing.ContinuumNormalizer` with a
different ``method``. Everything in this example is real data: one LAMOST DR7
spectrum of a G3 star read from the data home; nothing is modelled.
"""

# %%
# Read one spectrum
# -----------------
# :func:`~sklearn_stellar.io.read_lamost` returns specutils spectra plus a
# table with one row per file; :func:`~sklearn_stellar.io.spectra_to_array`
# turns them into ``X`` of shape ``(n_spectra, n_pixels)`` on a log-linear
# vacuum grid, with masked pixels as NaN and their inverse variance 0. The
# data are read where they live (the data home), never copied.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_stellar.datasets import get_data_home
from sklearn_stellar.io import read_lamost, spectra_to_array
from sklearn_stellar.preprocessing import ContinuumNormalizer, vacuum_to_air

path = (
    get_data_home() / "lamost" / "lrs" / "spec-58397-EG014118N254444M01_sp03-031.fits"
)
spectra = read_lamost(path)
meta = spectra[0].meta
print(
    f"{meta['designation']}: class {meta['class']} {meta['subclass']}, "
    f"S/N(g) = {meta['snr']['g']:.0f}, wavelengths in {meta['medium']}"
)

X, wavelength, ivar = spectra_to_array(spectra, return_ivar=True)
print(
    f"X: {X.shape}, {wavelength[0]:.1f}-{wavelength[-1]:.1f} A, "
    f"{np.isnan(X).sum()} masked pixels"
)

# %%
# Two continua
# ------------
# ``fit`` only prepares the grid (kernel operators, spline basis): the
# normaliser has no learned state, so it can be fitted on the very spectra it
# transforms. ``continuum(X)`` returns the continuum itself, ``transform(X)``
# the flux divided by it. Passing ``ivar`` weights every pixel by its inverse
# variance, as TheCannon does; masked pixels get no weight.
gaussian = ContinuumNormalizer(wavelength=wavelength, method="gaussian", sigma=350.0)
spline = ContinuumNormalizer(wavelength=wavelength, method="spline", knot_spacing=100.0)
gaussian.fit(X)
spline.fit(X)
cont_gauss = gaussian.continuum(X, ivar=ivar)[0]
cont_spline = spline.continuum(X, ivar=ivar)[0]
norm_gauss = gaussian.transform(X, ivar=ivar)[0]
norm_spline = spline.transform(X, ivar=ivar)[0]

# %%
# Why the two differ
# ------------------
# A Gaussian with sigma = 350 A averages the flux *over* the lines and
# cannot bend faster than its width, so it rounds off the peak of the
# spectrum near 4500-5000 A and the turn-over at the blue end. The clipped
# spline ignores the lines and bends with the envelope. Where the continuum
# is smooth (the red half) the two agree. The numbers below are computed on
# this spectrum: the largest relative difference of the two continua in each
# half.
ratio = cont_gauss / cont_spline
for name, part in (
    ("< 6000 A", wavelength < 6000.0),
    (">= 6000 A", wavelength >= 6000.0),
):
    print(
        f"{name}: Gaussian / spline continuum between {np.nanmin(ratio[part]):.3f}"
        f" and {np.nanmax(ratio[part]):.3f}"
    )

# %%
# Figure
# ------
# LAMOST wavelengths are in vacuum: H-alpha sits at 6564.6 A, not at the air
# value of 6562.8 A used by most line lists (see
# :func:`~sklearn_stellar.preprocessing.vacuum_to_air`).
fig, (ax_raw, ax_norm) = plt.subplots(2, 1, figsize=(8.0, 6.0), sharex=True)
ax_raw.plot(wavelength, X[0], color="0.5", lw=0.5, label="LAMOST flux")
ax_raw.plot(wavelength, cont_gauss, "C0", label="Gaussian, sigma = 350 A")
ax_raw.plot(wavelength, cont_spline, "C3", label="clipped spline, knots 100 A")
ax_raw.set_ylabel("flux (relative)")
ax_raw.legend(frameon=False, fontsize="small")
ax_norm.plot(wavelength, norm_gauss, "C0", lw=0.5, label="/ Gaussian")
ax_norm.plot(wavelength, norm_spline + 0.6, "C3", lw=0.5, label="/ spline (+0.6)")
ax_norm.axvline(6564.6, color="k", ls=":", lw=0.8)
ax_norm.text(
    6564.6,
    0.2,
    f" H-alpha (vacuum 6564.6 A,\n air {vacuum_to_air(6564.6):.1f} A)",
    fontsize="small",
)
ax_norm.set_ylim(0.0, 2.0)
ax_norm.set_xlabel("vacuum wavelength (A)")
ax_norm.set_ylabel("normalised flux")
ax_norm.legend(frameon=False, fontsize="small", loc="lower right")
fig.tight_layout()
plt.show()
