"""Where sklearn-stellar finds the real spectra it builds data sets from."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["get_data_home"]

ENV_VAR = "SKLEARN_STELLAR_DATA"


def get_data_home(data_home=None):
    """Return the folder holding the LAMOST files and stellar libraries.

    The folder has the layout ``lamost/lrs``, ``lamost/mrs``,
    ``libraries/miles``, ``libraries/mastarhc_v2``. It is looked up, in order:

    1. the ``data_home`` argument;
    2. the ``SKLEARN_STELLAR_DATA`` environment variable;
    3. ``../shared/data`` next to a source checkout of this package (the
       development layout);
    4. ``~/sklearn_stellar_data``.

    Nothing is downloaded: for users elsewhere, docs/data.rst says where each
    library comes from.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Explicit folder.

    Returns
    -------
    pathlib.Path
        The first candidate folder that exists.

    Raises
    ------
    FileNotFoundError
        If none of the candidates exists; the message lists what was tried.

    Examples
    --------
    >>> from sklearn_stellar.datasets import get_data_home
    >>> (get_data_home() / "lamost").is_dir()
    True
    """
    candidates = []
    if data_home is not None:
        try:
            candidates.append(Path(data_home))
        except TypeError:
            raise TypeError(
                f"`data_home` must be a str or path-like folder, got {data_home!r}."
            ) from None
    elif os.environ.get(ENV_VAR):
        candidates.append(Path(os.environ[ENV_VAR]))
    else:
        checkout = Path(__file__).resolve().parents[2]
        candidates += [
            checkout.parent / "shared" / "data",
            Path.home() / "sklearn_stellar_data",
        ]
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    tried = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(
        f"No sklearn-stellar data home found (tried: {tried}). Set {ENV_VAR} or pass "
        "data_home= to a folder with lamost/ and libraries/ (see docs/data.rst)."
    )
