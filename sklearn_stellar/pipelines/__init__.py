"""The two papers' workflows as ready, unfitted estimators (one recipe each).

Jing et al. (2024) for binary stars, Wang et al. (2022) for Be stars.

The command line, the benchmarks, the docs and users build the workflows here,
so that the best measured defaults live in one place.
"""

from ._be import make_be_pipeline
from ._binary import make_binary_pipeline

__all__ = ["make_be_pipeline", "make_binary_pipeline"]
