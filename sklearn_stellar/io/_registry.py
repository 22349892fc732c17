"""Register the LAMOST readers with the specutils/astropy I/O registry.

After ``import sklearn_stellar.io``::

    Spectrum.read(path, format="lamost-lrs")       # one LRS spectrum
    SpectrumList.read(path, format="lamost-mrs")   # every MRS arm and exposure

and ``Spectrum.read(path)`` / ``SpectrumList.read(path)`` identify LAMOST files
from their primary header (``TELESCOP = 'LAMOST'``; ``FILENAME`` starting with
``spec-`` for LRS, ``med-`` for MRS).
"""

from __future__ import annotations

import os

from astropy.io import fits
from specutils import Spectrum, SpectrumList
from specutils.io.registers import data_loader

from ._lamost import LamostReadError, read_lamost_file

__all__ = []


def _survey(origin, path, fileobj, *args, **kwargs):
    """'LRS', 'MRS' or None from the primary header of ``path``."""
    if not isinstance(path, (str, os.PathLike)) or not os.path.isfile(path):
        return None
    header = fits.getheader(path, 0)
    if str(header.get("TELESCOP", "")).strip().upper() != "LAMOST":
        return None
    name = str(header.get("FILENAME", "")).strip()
    if name.startswith("spec-"):
        return "LRS"
    if name.startswith("med-"):
        return "MRS"
    return None


def _is_lrs(*args, **kwargs):
    return _survey(*args, **kwargs) == "LRS"


def _is_mrs(*args, **kwargs):
    return _survey(*args, **kwargs) == "MRS"


def _path(file_obj):
    if not isinstance(file_obj, (str, os.PathLike)) and not hasattr(file_obj, "read"):
        raise TypeError(
            "the LAMOST readers take a file path or a binary file object, got "
            f"{type(file_obj).__name__}."
        )
    return file_obj


@data_loader(
    "lamost-lrs",
    identifier=_is_lrs,
    dtype=Spectrum,
    extensions=["fits", "fits.gz"],
    priority=10,
    force=True,
)
def _lamost_lrs_loader(file_obj, **kwargs):
    """LAMOST LRS file (DR1 pilot, DR2-DR8 image, DR9+ COADD) as a Spectrum."""
    spectra = read_lamost_file(_path(file_obj))
    if spectra[0].meta["survey"] != "LRS":
        raise LamostReadError(
            spectra[0].meta["filename"],
            "is a LAMOST MRS file with several spectra; read it with "
            "SpectrumList.read(path, format='lamost-mrs') or read_lamost",
        )
    return spectra[0]


@data_loader(
    "lamost-mrs",
    identifier=_is_mrs,
    dtype=SpectrumList,
    extensions=["fits", "fits.gz"],
    priority=10,
    force=True,
    autogenerate_spectrumlist=False,
)
def _lamost_mrs_loader(file_obj, **kwargs):
    """LAMOST MRS file (v0 or v1): every arm and exposure, coadds first."""
    return SpectrumList(read_lamost_file(_path(file_obj)))
