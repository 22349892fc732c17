"""Follow-up science after the classifiers: cross-matches, spectral-type cut,
radial-velocity validation and kinematics (Jing et al. 2024; Wang et al. 2022)."""

from ._crossmatch import crossmatch_id, crossmatch_sky
from ._kinematics import (
    R0,
    SOLAR_MOTION,
    VC,
    Z_SUN,
    astrometry_ok,
    find_runaways,
    height_above_plane,
    peculiar_tangential_velocity,
)
from ._maxwellian import fit_maxwellian, maxwellian, runaway_threshold
from ._radial_velocity import redshift_to_rv, rv_agreement, rv_variability
from ._spectral_type import spectral_type_cut

__all__ = [
    "R0",
    "SOLAR_MOTION",
    "VC",
    "Z_SUN",
    "astrometry_ok",
    "crossmatch_id",
    "crossmatch_sky",
    "find_runaways",
    "fit_maxwellian",
    "height_above_plane",
    "maxwellian",
    "peculiar_tangential_velocity",
    "redshift_to_rv",
    "runaway_threshold",
    "rv_agreement",
    "rv_variability",
    "spectral_type_cut",
]
