"""Readers for every LAMOST LRS and MRS FITS layout, returning specutils spectra."""

from __future__ import annotations

import gzip
import io
import logging
import re
import warnings
import zlib
from typing import Literal

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.nddata import InverseVariance
from specutils import Spectrum, SpectrumList

from ..exceptions import EmptySpectrumWarning
from ._files import (
    LamostReadError,
    _account,
    _collect_paths,
    _empty,
    _files_table,
    _label,
    read_regular_file,
)

__all__ = ["LamostReadError", "LamostSpectra", "read_lamost", "read_lamost_file"]

logger = logging.getLogger(__name__)

#: Layout names recorded in ``meta["format"]``.
FORMATS = {
    "lrs-dr1": "LRS DR1 pilot image: rows flux, ivar, normalised continuum, "
    "andmask, ormask; wavelength from COEFF0/COEFF1",
    "lrs-image": "LRS DR2-DR8 image: rows flux, ivar, wavelength, andmask, ormask",
    "lrs-coadd": "LRS DR9+ one-row binary table in extension COADD",
    "mrs-v0": "MRS DR6-DR9 v0: one table row per pixel (FLUX, IVAR, LOGLAM, ...)",
    "mrs-v1": "MRS DR9 v1+: one table row of array columns (WAVELENGTH, FLUX, ...)",
}

_MRS_EXTENSION = re.compile(r"^(COADD_[BR]|[BR]-\d+)$")
_WAVE_RANGE = (3000.0, 11000.0)  # Angstrom: anything outside is not LAMOST
_FLUX_UNIT = u.dimensionless_unscaled  # LAMOST flux is relative, uncalibrated


class LamostSpectra(SpectrumList):
    """Spectra read by :func:`read_lamost`, plus an account of every input file.

    A :class:`specutils.SpectrumList` holding one :class:`specutils.Spectrum`
    per spectrum (LRS: one per file; MRS: one per arm per exposure, coadds
    included), in file order then extension order.

    Parameters
    ----------
    spectra : iterable of specutils.Spectrum, default=()
        The spectra read.
    files : astropy.table.Table or None, default=None
        The account of the input files (see ``files`` above); None gives an
        empty table.

    Attributes
    ----------
    files : astropy.table.Table
        One row per input file (every path given, and every entry of a folder
        named ``*.fits`` or ``*.fits.gz``, links, folders and pipes included)
        with columns ``path``, ``status``, ``format``, ``n_spectra`` (spectra
        in the list) and ``reason``. ``status`` is ``"read"``, ``"empty"``
        (read, but every spectrum has no usable pixel: left out) or
        ``"failed"`` (``reason`` says why: missing, broken link, folder, named
        pipe or device, empty, truncated, corrupt, not LAMOST). A ``"read"``
        file whose reason is not empty had some spectra left out as empty.

    Examples
    --------
    >>> from sklearn_stellar.datasets import get_data_home
    >>> from sklearn_stellar.io import read_lamost
    >>> path = sorted((get_data_home() / "lamost" / "lrs").glob("*.fits.gz"))[0]
    >>> spectra = read_lamost([path, path.with_name("missing.fits")], errors="report")
    >>> len(spectra), spectra.files["status"].tolist()
    (1, ['read', 'failed'])
    """

    def __init__(self, spectra=(), files=None):
        super().__init__(spectra)
        self.files = files if files is not None else _files_table([])


def _read_bytes(path):
    """Return the file's FITS bytes, decompressing gzip in full.

    astropy silently stops at the end of a truncated gzip stream (dropping the
    HDUs beyond it), so gzip is decompressed here, where truncation raises.
    """
    if hasattr(path, "read"):
        try:
            raw = path.read()
        except OSError as exc:
            raise LamostReadError(
                getattr(path, "name", "<file object>"),
                f"cannot be read ({exc.strerror or exc})",
            ) from None
    else:
        raw = read_regular_file(path, LamostReadError)
    if not raw:
        raise LamostReadError(path, "empty file (0 bytes), not a FITS file")
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except EOFError:
            raise LamostReadError(
                path, "truncated gzip stream (compressed data ends early)"
            ) from None
        except (OSError, zlib.error) as exc:
            raise LamostReadError(path, f"corrupt gzip data ({exc})") from None
        if not raw:
            raise LamostReadError(path, "gzip stream decompresses to 0 bytes")
    if not raw.startswith(b"SIMPLE  ="):
        raise LamostReadError(
            path, "not a FITS file (it does not start with a SIMPLE card)"
        )
    return raw


def _open_fits(path, raw=None):
    """Open ``path`` fully in memory; truncation and corruption raise."""
    raw = _read_bytes(path) if raw is None else raw
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            hdul = fits.open(io.BytesIO(raw), lazy_load_hdus=False)
        except Exception as exc:  # astropy raises many types on damaged bytes
            raise LamostReadError(path, f"corrupt FITS structure ({exc})") from None
    for warning in caught:
        message = str(warning.message)
        if "truncated" in message:
            raise LamostReadError(path, f"truncated FITS file ({message.rstrip('.')})")
        logger.debug("%s: astropy warned while opening: %s", path, message)
    return hdul


def _data(path, hdu):
    """Access an HDU's data; a short data block raises with the file named."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data = hdu.data
        except Exception as exc:  # astropy raises many types on damaged bytes
            raise LamostReadError(
                path, f"extension {hdu.name!r} has unreadable data ({exc})"
            ) from None
    for warning in caught:
        logger.debug("%s[%s]: %s", path, hdu.name, warning.message)
    if data is None:
        raise LamostReadError(path, f"extension {hdu.name!r} holds no data")
    return data


def _get(header, key, kind=None):
    value = header.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind is not None:
        try:
            return kind(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            return None
    return value.strip() if isinstance(value, str) else value


def _medium(header):
    vacuum = header.get("VACUUM")
    # LAMOST writes VACUUM = T; absent means the pipeline default (vacuum).
    return "air" if vacuum is False else "vacuum"


def _base_meta(path, header, survey, fmt):
    return {
        "filename": str(path),
        "obsid": _get(header, "OBSID", int),
        "designation": _get(header, "DESIG", str),
        "ra": _get(header, "RA", float),
        "dec": _get(header, "DEC", float),
        "mjd": _get(header, "MJD", int),
        "lmjd": _get(header, "LMJD", int),
        "lmjm": None,
        "snr": {},
        "class": _get(header, "CLASS", str),
        "subclass": _get(header, "SUBCLASS", str),
        "z": _get(header, "Z", float),
        "medium": _medium(header),
        "survey": survey,
        "arm": None,
        "exposure": "COADD",
        "exptime": None,
        "format": fmt,
        "data_release": _get(header, "DATA_V", str),
        "header": header,
    }


def _spectrum(path, where, wave, flux, ivar, bad, meta):
    """Build one sorted, validated :class:`Spectrum`."""
    wave = np.asarray(wave, dtype=np.float64).ravel()
    flux = np.asarray(flux, dtype=np.float64).ravel()
    ivar = np.asarray(ivar, dtype=np.float64).ravel()
    bad = np.asarray(bad, dtype=bool).ravel()
    if not (wave.size == flux.size == ivar.size == bad.size) or wave.size < 2:
        raise LamostReadError(
            path,
            f"{where}: wavelength, flux and ivar lengths differ or are < 2 "
            f"({wave.size}, {flux.size}, {ivar.size})",
        )
    if not np.all(np.isfinite(wave)):
        raise LamostReadError(path, f"{where}: wavelength has NaN or inf values")
    order = np.argsort(wave, kind="stable")
    wave, flux, ivar, bad = wave[order], flux[order], ivar[order], bad[order]
    if not (_WAVE_RANGE[0] < wave[0] and wave[-1] < _WAVE_RANGE[1]):
        raise LamostReadError(
            path,
            f"{where}: wavelengths {wave[0]:.1f}-{wave[-1]:.1f} A are outside the "
            f"LAMOST range {_WAVE_RANGE[0]:.0f}-{_WAVE_RANGE[1]:.0f} A",
        )
    if np.any(np.diff(wave) <= 0):
        raise LamostReadError(path, f"{where}: duplicated wavelength values")
    # Exactly 0.0 is the pipeline's fill value for dead or unexposed pixels: real
    # DR7 MRS coadds and LRS red ends carry runs of it with ivar > 0 and a clean
    # and-mask, which would otherwise enter fits as fake absorption to zero.
    bad = bad | ~np.isfinite(flux) | ~np.isfinite(ivar) | (ivar <= 0) | (flux == 0)
    ivar = np.where(np.isfinite(ivar) & (ivar > 0), ivar, 0.0)
    return Spectrum(
        flux=flux * _FLUX_UNIT,
        spectral_axis=wave * u.AA,
        uncertainty=InverseVariance(ivar, unit=_FLUX_UNIT**-2),
        mask=bad,
        meta=meta,
    )


def _lrs_snr(header):
    return {
        band: float(header[f"SNR{band.upper()}"])
        for band in "ugriz"
        if isinstance(header.get(f"SNR{band.upper()}"), (int, float))
    }


def _is_wavelength_row(row):
    row = np.asarray(row, dtype=np.float64)
    return bool(
        np.all(np.isfinite(row))
        and np.all(np.diff(row) > 0)
        and _WAVE_RANGE[0] < row[0]
        and row[-1] < _WAVE_RANGE[1]
    )


def _read_lrs_image(path, hdul):
    header = hdul[0].header
    data = _data(path, hdul[0])
    if data.ndim != 2 or data.shape[0] < 4:
        raise LamostReadError(
            path,
            f"primary image has shape {data.shape}; a LAMOST LRS image has 5 rows "
            "(flux, ivar, wavelength, andmask, ormask)",
        )
    n_pix = data.shape[1]
    if _is_wavelength_row(data[2]):
        fmt, wave, continuum = "lrs-image", data[2], None
    elif "COEFF0" in header and "COEFF1" in header:
        # DR1 pilot: row 3 holds the normalised continuum; the grid is
        # log-linear from the header coefficients.
        fmt = "lrs-dr1"
        wave = 10.0 ** (
            float(header["COEFF0"]) + float(header["COEFF1"]) * np.arange(n_pix)
        )
        continuum = np.asarray(data[2], dtype=np.float64)
    else:
        raise LamostReadError(
            path,
            "primary image row 3 is not a wavelength array and the header has no "
            "COEFF0/COEFF1 to rebuild it",
        )
    meta = _base_meta(path, header, "LRS", fmt)
    meta["snr"] = _lrs_snr(header)
    if continuum is not None:
        meta["continuum"] = continuum
    bad = data[3] != 0
    return [_spectrum(path, "primary image", wave, data[0], data[1], bad, meta)]


def _column(path, hdu, table, names, row=None):
    for name in names:
        if name in table.columns.names:
            values = np.asarray(table[name] if row is None else table[name][row])
            return values.astype(np.float64)
    raise LamostReadError(
        path, f"extension {hdu.name!r} has no {' or '.join(names)} column"
    )


def _table_arrays(path, hdu):
    """(wave, flux, ivar, bad, layout) of a v0 per-pixel or v1 array-row table."""
    table = _data(path, hdu)
    if not hasattr(table, "columns"):
        raise LamostReadError(path, f"extension {hdu.name!r} is not a binary table")
    names = table.columns.names
    array_row = len(table) == 1 and np.ndim(table[names[0]][0]) == 1
    row = 0 if array_row else None
    if "WAVELENGTH" in names:
        wave = _column(path, hdu, table, ["WAVELENGTH"], row)
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # damaged -> checked
            wave = 10.0 ** _column(path, hdu, table, ["LOGLAM"], row)
    flux = _column(path, hdu, table, ["FLUX"], row)
    ivar = _column(path, hdu, table, ["IVAR"], row)
    mask_names = [m for m in ("ANDMASK", "PIXMASK") if m in names]
    bad = np.zeros(flux.shape, dtype=bool)
    if mask_names:
        bad = _column(path, hdu, table, mask_names[:1], row) != 0
    return wave, flux, ivar, bad, ("array" if array_row else "pixel")


def _read_lrs_coadd(path, hdul):
    header = hdul[0].header
    hdu = hdul["COADD"]
    wave, flux, ivar, bad, _ = _table_arrays(path, hdu)
    meta = _base_meta(path, header, "LRS", "lrs-coadd")
    meta["snr"] = _lrs_snr(header)
    return [_spectrum(path, "extension 'COADD'", wave, flux, ivar, bad, meta)]


def _read_mrs(path, hdul):
    header = hdul[0].header
    expected = header.get("N_EXTEN")
    if isinstance(expected, int) and len(hdul) < expected:
        raise LamostReadError(
            path,
            f"truncated: the header announces {expected} HDUs (N_EXTEN) but only "
            f"{len(hdul)} are present",
        )
    spectra = []
    for hdu in hdul[1:]:
        name = hdu.name.strip().upper()
        if not _MRS_EXTENSION.match(name):
            logger.debug("%s: skipping non-spectrum extension %r", path, hdu.name)
            continue
        wave, flux, ivar, bad, layout = _table_arrays(path, hdu)
        fmt = "mrs-v1" if layout == "array" else "mrs-v0"
        meta = _base_meta(path, header, "MRS", fmt)
        ext = hdu.header
        coadd = name.startswith("COADD")
        meta["arm"] = name[-1] if coadd else name[0]
        meta["exposure"] = "COADD" if coadd else name
        meta["lmjm"] = None if coadd else _get(ext, "LMJM", int)
        if coadd:  # the exposures combined, from LMJMLIS0, LMJMLIS1, ...
            keys = [k for k in ext if k.startswith("LMJMLIS") and k[7:].isdigit()]
            listed = "-".join(
                str(ext[k]) for k in sorted(keys, key=lambda k: int(k[7:]))
            )
            meta["lmjm_list"] = [int(v) for v in listed.split("-") if v.isdigit()]
        if meta["lmjm"] is None and not coadd:
            meta["lmjm"] = int(name[2:])
        meta["exptime"] = _get(ext, "EXPTIME", float)
        snr = _get(ext, "SNR", float)
        meta["snr"] = {} if snr is None else {meta["arm"]: snr}
        meta["extension_header"] = ext
        spectra.append(
            _spectrum(path, f"extension {hdu.name!r}", wave, flux, ivar, bad, meta)
        )
    return spectra


def _detect(path, hdul):
    names = [hdu.name.strip().upper() for hdu in hdul]
    header = hdul[0].header
    telescope = str(header.get("TELESCOP", "")).strip()
    if telescope and telescope.upper() != "LAMOST":
        raise LamostReadError(path, f"not a LAMOST spectrum (TELESCOP = {telescope!r})")
    if any(_MRS_EXTENSION.match(name) for name in names[1:]):
        return _read_mrs
    if "COADD" in names[1:]:
        return _read_lrs_coadd
    if header.get("NAXIS", 0) == 2:
        return _read_lrs_image
    if str(header.get("FILENAME", "")).startswith("med-"):
        raise LamostReadError(
            path, "LAMOST MRS file without any COADD_B/COADD_R/B-/R- extension"
        )
    raise LamostReadError(
        path,
        "not a LAMOST spectrum: no 2-D primary image (LRS DR1-DR8), no COADD table "
        f"(LRS DR9+) and no COADD_B/COADD_R/B-/R- extensions (MRS); HDUs: {names}",
    )


def read_lamost_file(path) -> list[Spectrum]:
    """Read every spectrum of one LAMOST FITS file (plain or gzipped).

    Parameters
    ----------
    path : str, path-like or binary file object
        The file (a file object is read to its end; its ``name`` is used in
        messages and ``meta["filename"]``).

    Returns
    -------
    list of specutils.Spectrum
        One per spectrum (see :func:`read_lamost`).

    Raises
    ------
    LamostReadError
        If the file is missing, empty, truncated, corrupt or not LAMOST, or is
        not a regular file (a folder, a broken link, a named pipe or a device:
        refused without blocking).

    Warns
    -----
    EmptySpectrumWarning
        When a spectrum has no usable pixel (flux NaN or masked everywhere);
        it is returned all the same, its ``mask`` all True.

    Examples
    --------
    >>> from sklearn_stellar.datasets import get_data_home
    >>> from sklearn_stellar.io import read_lamost_file
    >>> path = sorted((get_data_home() / "lamost" / "lrs").glob("*.fits.gz"))[0]
    >>> spectrum = read_lamost_file(path)[0]
    >>> spectrum.meta["survey"], spectrum.meta["medium"], spectrum.flux.shape
    ('LRS', 'vacuum', (3909,))
    """
    spectra = _read_file(path)
    empty = [_label(s) for s in spectra if _empty(s)]
    if empty:
        warnings.warn(
            f"{spectra[0].meta['filename']}: {len(empty)} of {len(spectra)} "
            f"spectra have no usable pixel (flux NaN or masked everywhere): "
            f"{', '.join(empty)}.",
            EmptySpectrumWarning,
            stacklevel=2,
        )
    return spectra


def _read_file(path):
    """:func:`read_lamost_file` without the warning (the caller accounts)."""
    if hasattr(path, "read"):
        raw = _read_bytes(path)
        path = getattr(path, "name", "<file object>")
        hdul = _open_fits(path, raw)
    else:
        hdul = _open_fits(path)
    with hdul:
        try:
            reader = _detect(path, hdul)
            spectra = reader(path, hdul)
        except LamostReadError:
            raise
        except Exception as exc:  # a damaged file can break astropy anywhere
            raise LamostReadError(
                path, f"unreadable content ({type(exc).__name__}: {exc})"
            ) from exc
    if not spectra:
        raise LamostReadError(path, "no spectrum found in the file")
    return spectra


def read_lamost(
    source,
    *,
    errors: Literal["raise", "report"] = "raise",
    recursive: bool = False,
) -> LamostSpectra:
    """Read LAMOST LRS and MRS spectra from a file, a folder or a list of files.

    Every LAMOST layout is recognised from the file's content (not its name),
    gzipped or not:

    * LRS DR1 pilot image (row 3 is a normalised continuum, the wavelength comes
      from ``COEFF0``/``COEFF1``; the continuum is kept in
      ``meta["continuum"]``);
    * LRS DR2-DR8 image (rows flux, inverse variance, wavelength, andmask,
      ormask);
    * LRS DR9+ ``COADD`` one-row binary table;
    * MRS v0 (DR6-DR9) one-row-per-pixel tables ``COADD_B``, ``COADD_R`` and
      single exposures ``B-<LMJM>``/``R-<LMJM>``;
    * MRS v1 (DR9+) one-row tables of array columns, same extension names.

    Parameters
    ----------
    source : str, path-like, or list of them
        A FITS file, a folder (its ``*.fits`` and ``*.fits.gz`` files, sorted by
        path) or a list of files.
    errors : {"raise", "report"}, default="raise"
        ``"raise"``: the first unreadable file raises :class:`LamostReadError`.
        ``"report"``: unreadable files are recorded in ``.files`` with their
        reason and reading continues. Either way, a spectrum without any
        usable pixel (flux NaN or masked everywhere) is left out of the list,
        recorded in ``.files`` and warned about.
    recursive : bool, default=False
        For a folder, also read the files in its subfolders.

    Returns
    -------
    LamostSpectra
        A :class:`specutils.SpectrumList` of :class:`specutils.Spectrum`: one
        per LRS file, one per arm and exposure (coadds included) per MRS file.
        Each has relative flux (dimensionless), an
        :class:`~astropy.nddata.InverseVariance` uncertainty, the spectral axis
        in Angstrom sorted ascending, and ``mask`` True where ``ivar == 0``,
        the and-mask (MRS exposures: ``PIXMASK``) is non-zero, or the flux is
        not finite or exactly 0.0 (the pipeline's fill value for dead pixels,
        found with ivar > 0 in real files; the or-mask is not used). ``meta``
        holds ``filename``,
        ``obsid``, ``designation``, ``ra``, ``dec`` (deg), ``mjd``, ``lmjd``,
        ``lmjm`` (MRS exposures, else None; MRS coadds list theirs in
        ``lmjm_list``), ``snr`` (dict: LRS bands
        ``u g r i z``; MRS ``{arm: S/N}`` of that extension), ``class``,
        ``subclass`` (None where absent), ``z``, ``medium`` (``"vacuum"`` for
        LAMOST; ``"air"`` only if ``VACUUM = F``), ``survey`` (``"LRS"`` /
        ``"MRS"``), ``arm`` (``"B"``/``"R"``, None for LRS), ``exposure``
        (``"COADD"`` or the extension name), ``exptime``, ``format`` (a key of
        ``FORMATS``), ``data_release`` and ``header`` (the primary
        :class:`~astropy.io.fits.Header`, shared by a file's spectra; MRS also
        ``extension_header``). ``.files`` accounts for every input file.

    Raises
    ------
    LamostReadError
        With ``errors="raise"``, for a missing, empty, truncated, corrupt or
        non-LAMOST file, or a path that is not a regular file (folder, broken
        link, named pipe, device; never opened for reading, so nothing
        blocks), naming the file and the problem; also for a folder without
        FITS files.

    Warns
    -----
    EmptySpectrumWarning
        Once per call, when spectra with no usable pixel were left out.
    TypeError, ValueError
        For a ``source`` that is not a path or list of paths, an empty list or
        a bad ``errors`` value.

    Examples
    --------
    >>> from sklearn_stellar.datasets import get_data_home
    >>> from sklearn_stellar.io import read_lamost
    >>> spectra = read_lamost(get_data_home() / "lamost" / "lrs")
    >>> len(spectra), spectra[0].meta["survey"], spectra[0].meta["medium"]
    (4, 'LRS', 'vacuum')
    >>> spectra.files["status"].tolist()
    ['read', 'read', 'read', 'read']
    """
    if errors not in ("raise", "report"):
        raise ValueError(f"`errors` must be 'raise' or 'report', got {errors!r}.")
    if not isinstance(recursive, bool):
        raise TypeError(f"`recursive` must be a bool, got {recursive!r}.")
    paths = _collect_paths(source, recursive)
    spectra, rows, n_empty = [], [], 0
    # One file at a time: each is a separate FITS with its own layout.
    for path in paths:
        try:
            found = _read_file(path)
        except LamostReadError as exc:
            if errors == "raise":
                raise
            logger.warning("skipping %s", exc)
            rows.append((str(path), "failed", "", 0, exc.problem))
            continue
        kept, row, dropped = _account(path, found)
        spectra.extend(kept)
        rows.append(row)
        n_empty += dropped
    if n_empty:
        n_files = sum(1 for row in rows if "NaN or masked" in row[4])
        warnings.warn(
            f"{n_empty} spectra in {n_files} files have no usable pixel (flux NaN "
            "or masked everywhere) and were left out; `.files` names them "
            "(status 'empty', or 'read' with a reason).",
            EmptySpectrumWarning,
            stacklevel=2,
        )
    return LamostSpectra(spectra, files=_files_table(rows))
