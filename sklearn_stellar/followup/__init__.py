"""Follow-up science after the classifiers: cross-matches, spectral-type cut,
radial-velocity validation and kinematics (seeds 000 and 004)."""

from ._crossmatch import crossmatch_id, crossmatch_sky
from ._radial_velocity import redshift_to_rv, rv_agreement, rv_variability
from ._spectral_type import spectral_type_cut

__all__ = [
    "crossmatch_id",
    "crossmatch_sky",
    "redshift_to_rv",
    "rv_agreement",
    "rv_variability",
    "spectral_type_cut",
]
