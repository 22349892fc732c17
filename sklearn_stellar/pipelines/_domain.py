"""The training domains of the two recipes (``domain=True``)."""

from __future__ import annotations

from ..domain import DomainGuard, SpectralNoveltyDetector

__all__ = ["be_domain", "binary_domain"]

#: Jing et al. (2024), section 2.1: 3800 < Teff < 6500 K dwarfs (about F5-K7,
#: log g > 4), S/N(g) > 20 (header); LAMOST g band about 4000-5500 A, where DER_SNR of
#: real K dwarfs reads 4-8 times lower than the header S/N, hence its floor 10.
BINARY_DOMAIN = {
    "survey": "LRS",
    "classes": ("STAR",),
    "subclass_range": ("F5", "K7"),
    "dwarfs_only": True,
    "min_snr": 20.0,
    "min_der_snr": 10.0,
    "snr_window": (4000.0, 5500.0),
    "snr_bands": ("g",),
}
#: Wang et al. (2022): S/N > 10 per pixel in both MRS arms; hosts O, B, A
#: (``make_be_spectra(min_teff=7500)``: about A8 and earlier).
BE_DOMAIN = {
    "survey": "MRS",
    "classes": ("STAR",),
    "subclass_range": ("O0", "A9"),
    "min_snr": 10.0,
    "min_der_snr": 10.0,
    "snr_bands": ("B", "R"),
}


def binary_domain(wavelength, normalizer) -> DomainGuard:
    """Jing et al. (2024)'s domain guard on ``wavelength`` (``BINARY_DOMAIN``)."""
    return DomainGuard(
        wavelength=wavelength,
        medium="vacuum",
        normalizer=normalizer,
        novelty=SpectralNoveltyDetector(),
        **BINARY_DOMAIN,
    )


def be_domain(wavelength, medium, normalizer) -> DomainGuard:
    """The domain guard of Wang et al. (2022) on ``wavelength`` (see ``BE_DOMAIN``)."""
    return DomainGuard(
        wavelength=wavelength,
        medium=medium,
        normalizer=normalizer,
        novelty=SpectralNoveltyDetector(residual="noise"),
        **BE_DOMAIN,
    )
