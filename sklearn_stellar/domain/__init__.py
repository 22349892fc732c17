"""Domain of applicability: which spectra a fitted model may score."""

from ._guard import DomainGuard
from ._metadata import (
    MIN_COVERAGE,
    find_domain_guard,
    lamost_subclass,
    metadata_problem,
    spectrum_domain_problem,
)
from ._novelty import SpectralNoveltyDetector

__all__ = [
    "MIN_COVERAGE",
    "DomainGuard",
    "SpectralNoveltyDetector",
    "find_domain_guard",
    "lamost_subclass",
    "metadata_problem",
    "spectrum_domain_problem",
]
