"""Which paths are read (regular files only, never blocking) and the `.files` rows."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from astropy.table import Table

__all__ = ["LamostReadError", "STATUSES", "read_regular_file"]

#: Values of ``LamostSpectra.files["status"]``.
STATUSES = {
    "read": "read; its spectra are in the list",
    "empty": "read, but every spectrum has no usable pixel (flux NaN or masked "
    "everywhere); left out of the list",
    "failed": "not read; ``reason`` says why",
}

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def read_regular_file(path, error):
    """Return the bytes of ``path``, refusing anything but a regular file.

    The file is opened with ``O_NONBLOCK`` and checked with ``fstat`` on the
    open descriptor (no race between the check and the read), so a named pipe
    or a device is refused at once instead of blocking the reader forever.
    ``error(path, problem)`` builds the exception raised.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if os.path.islink(path):
            target = os.readlink(path)
            raise error(
                path, f"broken symbolic link (its target {target!r} does not exist)"
            ) from None
        raise error(path, "no such file") from None
    except IsADirectoryError:
        raise error(path, "is a directory, not a FITS file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(path, "symbolic link loop") from None
        # e.g. ENXIO: a socket, or a FIFO on a system that refuses O_NONBLOCK.
        raise error(path, f"cannot be opened ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise error(path, "is a directory, not a FITS file")
        raise error(
            path,
            f"is {_kind(mode)}, not a regular file; not read (reading it could block)",
        )
    with os.fdopen(fd, "rb") as handle:
        try:
            return handle.read()
        except OSError as exc:
            raise error(path, f"cannot be read ({exc.strerror or exc})") from None


class LamostReadError(ValueError, OSError):
    """A file could not be read as a LAMOST spectrum.

    The message starts with the file's path and says what is wrong. It is both
    a :class:`ValueError` (bad content) and an :class:`OSError` (an I/O
    failure, the usual class for an unreadable file), so either ``except``
    catches it.

    Parameters
    ----------
    path : str or path-like
        The file that could not be read (kept as ``path``).
    problem : str
        What is wrong with it (kept as ``problem``).

    Examples
    --------
    >>> from sklearn_stellar.io import LamostReadError, read_lamost_file
    >>> try:
    ...     read_lamost_file("missing.fits")
    ... except OSError as error:
    ...     print(type(error).__name__, "|", error.problem)
    LamostReadError | no such file
    """

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = str(problem)
        super().__init__(f"{self.path}: {self.problem}")

    def __str__(self):
        return f"{self.path}: {self.problem}"

    def __reduce__(self):
        return (type(self), (self.path, self.problem))


def _files_table(rows):
    return Table(
        rows=rows if rows else None,
        names=("path", "status", "format", "n_spectra", "reason"),
        dtype=(str, str, str, int, str),
    )


def _label(spectrum):
    meta = spectrum.meta
    if meta["exposure"] != "COADD":
        return meta["exposure"]
    return f"COADD_{meta['arm']}" if meta["arm"] else "COADD"


def _empty(spectrum):
    """True when no pixel is usable: flux NaN/inf, ivar <= 0 or masked."""
    return bool(np.all(spectrum.mask))


def _account(path, found):
    """Usable spectra of one file, its ``.files`` row and how many were empty."""
    kept = [s for s in found if not _empty(s)]
    fmt, dropped = found[0].meta["format"], len(found) - len(kept)
    if not kept:
        where = f" in all {len(found)} spectra" if len(found) > 1 else ""
        reason = f"flux is NaN or masked at every pixel{where}"
        return kept, (str(path), "empty", fmt, 0, reason), dropped
    reason = ""
    if dropped:
        names = ", ".join(_label(s) for s in found if _empty(s))
        reason = (
            f"{dropped} of {len(found)} spectra left out, flux NaN or masked at "
            f"every pixel: {names}"
        )
    return kept, (str(path), "read", fmt, len(kept), reason), dropped


def _collect_paths(source, recursive):
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            # Every entry so named, whatever it is (a broken link, a folder, a
            # pipe): each gets a row in ``.files``, failed with its reason. A
            # recursive scan reads a folder's files, so it lists their paths.
            found = sorted(
                p
                for p in path.glob(pattern)
                if p.name.lower().endswith((".fits", ".fits.gz"))
                and not (recursive and p.is_dir())
            )
            if not found:
                raise LamostReadError(
                    path,
                    "folder holds no *.fits or *.fits.gz files"
                    + (
                        ""
                        if recursive
                        else " (pass recursive=True to search subfolders)"
                    ),
                )
            return found
        return [path]
    if isinstance(source, Iterable) and not isinstance(source, (bytes, dict)):
        paths = list(source)
        bad = [p for p in paths if not isinstance(p, (str, os.PathLike))]
        if bad:
            raise TypeError(
                "`source` list must hold file paths (str or path-like), got "
                f"{type(bad[0]).__name__}: {bad[0]!r}."
            )
        if not paths:
            raise ValueError("`source` is an empty list: pass at least one file.")
        return [Path(p) for p in paths]
    raise TypeError(
        "`source` must be a file path, a folder or a list of file paths, got "
        f"{type(source).__name__}."
    )
