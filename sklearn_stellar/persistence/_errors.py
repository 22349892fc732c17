"""The error raised for a model file that cannot be read safely."""

from __future__ import annotations

import os

__all__ = ["ModelFileError"]


class ModelFileError(ValueError):
    """A model file that is refused: damaged, unknown content, or too new.

    The message names the file and the problem (and the archive entry or the
    place in the model when there is one). Subclass of :class:`ValueError`.

    Parameters
    ----------
    path : str or path-like
        The model file.
    problem : str
        What is wrong, in words.
    entry : str, optional
        Archive entry or place in the model where the problem is.

    Attributes
    ----------
    path : str
    problem : str
    entry : str or None

    Examples
    --------
    >>> from sklearn_stellar.persistence import ModelFileError
    >>> err = ModelFileError("model.zip", "checksum mismatch", entry="manifest.json")
    >>> str(err)
    "model file 'model.zip', entry 'manifest.json': checksum mismatch"
    """

    def __init__(self, path, problem: str, entry: str | None = None):
        self.path = os.fspath(path)
        self.problem = problem
        self.entry = entry
        where = f", entry {entry!r}" if entry is not None else ""
        super().__init__(f"model file {self.path!r}{where}: {problem}")

    def __reduce__(self):
        return (type(self), (self.path, self.problem, self.entry))
