"""Neural-network spectrum classifiers (skorch-trained, scikit-learn API)."""

from ._base import BaseSpectrumClassifier
from ._be_resnet import BeResNet18
from ._binary_cnn import BinarySpectrumCNN, ResidualBlock1d
from ._resnet import ResNet18

__all__ = [
    "BaseSpectrumClassifier",
    "BeResNet18",
    "BinarySpectrumCNN",
    "ResNet18",
    "ResidualBlock1d",
]
