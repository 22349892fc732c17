"""Validation and discovery helpers shared across sklearn-stellar."""

from ._estimators import all_estimators
from ._validation import (
    check_ivar,
    check_medium,
    check_positive,
    check_wavelength,
    check_window,
)

__all__ = [
    "all_estimators",
    "check_ivar",
    "check_medium",
    "check_positive",
    "check_wavelength",
    "check_window",
]
