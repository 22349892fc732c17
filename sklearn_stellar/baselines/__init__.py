"""Classical baselines the networks are judged against."""

from ._template_fit import two_template_test

__all__ = ["two_template_test"]
