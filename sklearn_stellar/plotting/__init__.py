"""Figures of Jing et al. (2024) and Wang et al. (2022) as scikit-learn Displays.

matplotlib is the optional ``plotting`` extra
(``pip install sklearn-stellar[plotting]``); it is imported when a figure is
drawn, so importing this subpackage works without it.
"""

from ._gallery import HalphaGalleryDisplay
from ._probability import BinaryProbabilityDisplay
from ._roc import RocDisplay
from ._threshold import ThresholdCountDisplay

__all__ = [
    "BinaryProbabilityDisplay",
    "HalphaGalleryDisplay",
    "RocDisplay",
    "ThresholdCountDisplay",
]
