"""Metrics: precision at a population prior (Jing et al. 2024), detection rate."""

from ._precision import (
    detection_rate,
    make_precision_at_prior_scorer,
    precision_at_prior,
    precision_at_prior_curve,
)

__all__ = [
    "detection_rate",
    "make_precision_at_prior_scorer",
    "precision_at_prior",
    "precision_at_prior_curve",
]
