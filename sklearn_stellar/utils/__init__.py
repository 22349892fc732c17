"""Validation helpers, constants and parsers shared across sklearn-stellar."""

from ._constants import C_KMS
from ._estimators import all_estimators
from ._spectral_type import (
    CBE_EXCLUDED_LUMINOSITY_CLASSES,
    SpectralType,
    parse_spectral_type,
    spectral_type_code,
)
from ._validation import (
    check_ivar,
    check_medium,
    check_positive,
    check_wavelength,
    check_window,
)

__all__ = [
    "CBE_EXCLUDED_LUMINOSITY_CLASSES",
    "C_KMS",
    "SpectralType",
    "all_estimators",
    "check_ivar",
    "check_medium",
    "check_positive",
    "check_wavelength",
    "check_window",
    "parse_spectral_type",
    "spectral_type_code",
]
