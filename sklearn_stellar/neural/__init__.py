"""Neural-network spectrum classifiers (skorch-trained, scikit-learn API)."""

from ._base import BaseSpectrumClassifier
from ._binary_cnn import BinarySpectrumCNN, ResidualBlock1d

__all__ = ["BaseSpectrumClassifier", "BinarySpectrumCNN", "ResidualBlock1d"]
