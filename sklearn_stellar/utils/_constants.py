"""Physical constants used across sklearn-stellar (one definition each)."""

from __future__ import annotations

from astropy import constants as _const

__all__ = ["C_KMS"]

#: Speed of light in vacuum, km/s (exactly 299792.458, from astropy).
C_KMS: float = float(_const.c.to_value("km/s"))
