"""The training domains of the two recipes (``domain=True``)."""

from __future__ import annotations

from ..domain import DomainGuard, SpectralNoveltyDetector

__all__ = ["be_domain", "binary_domain"]

#: Seed 000 section 2.1: 3800 < Teff < 6500 K dwarfs (about F5-K7, log g > 4),
#: S/N(g) > 20 (header); LAMOST g band about 4000-5500 A, where DER_SNR of
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
#: Seed 004: S/N > 10 per pixel in both MRS arms; hosts O, B, A
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
    """The seed 000 domain guard on ``wavelength`` (see ``BINARY_DOMAIN``)."""
    return DomainGuard(
        wavelength=wavelength,
        medium="vacuum",
        normalizer=normalizer,
        novelty=SpectralNoveltyDetector(),
        **BINARY_DOMAIN,
    )


def be_domain(wavelength, medium, normalizer) -> DomainGuard:
    """The seed 004 domain guard on ``wavelength`` (see ``BE_DOMAIN``)."""
    return DomainGuard(
        wavelength=wavelength,
        medium=medium,
        normalizer=normalizer,
        novelty=SpectralNoveltyDetector(residual="noise"),
        **BE_DOMAIN,
    )
