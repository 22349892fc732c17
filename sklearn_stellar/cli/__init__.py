"""The ``sklearn-stellar`` command line."""

from ._main import main

__all__ = ["main"]
