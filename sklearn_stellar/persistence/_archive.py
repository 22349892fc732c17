"""The model file on disk: a stored (uncompressed) zip archive with digests.

Layout: ``manifest.json`` (UTF-8 JSON; lists every other entry with its
SHA-256 and size) plus one ``.npy`` entry per array or tensor. The archive
comment holds ``sklearn-stellar-model sha256 <manifest digest> <file digest>``
where the file digest is the SHA-256 of every byte of the file before it, so
that a change of any single byte of the file is detected. Entries are written
in a fixed order with a fixed time stamp: the same model gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile

from ._errors import ModelFileError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MANIFEST", "read_archive", "write_archive"]

FORMAT_NAME = "sklearn-stellar-model"
#: Version of the model-file layout this library writes; newer files are refused.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_PREFIX = b"sklearn-stellar-model sha256 "
_COMMENT_LEN = len(_PREFIX) + 64 + 1 + 64
_TIME = (1980, 1, 1, 0, 0, 0)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_archive(path, manifest: dict, entries: dict[str, bytes]) -> None:
    """Write ``manifest`` (plus the entry digests) and ``entries`` to ``path``.

    The file is written under a temporary name in the same folder and renamed,
    so an interrupted save never leaves a half-written model at ``path``.
    """
    path = os.fspath(path)
    manifest = {
        **manifest,
        "entries": {
            name: {"sha256": _sha256(data), "size": len(data)}
            for name, data in sorted(entries.items())
        },
    }
    text = json.dumps(manifest, indent=1, allow_nan=False).encode("utf-8")
    folder, base = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.comment = _PREFIX + _sha256(text).encode() + b" " + b"0" * 64
            for name, data in [(MANIFEST, text), *sorted(entries.items())]:
                info = zipfile.ZipInfo(name, date_time=_TIME)
                info.compress_type = zipfile.ZIP_STORED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
        with open(tmp, "r+b") as fh:
            body = fh.read()[:-64]
            fh.seek(-64, os.SEEK_END)
            fh.write(_sha256(body).encode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read_entry(zf, info, path) -> bytes:
    try:
        return zf.read(info)
    except Exception as exc:  # zipfile raises many types on malformed bytes
        raise ModelFileError(
            path, f"entry is damaged ({exc})", entry=info.filename
        ) from None


def _check_version(manifest, path) -> None:
    """Refuse a file of another format, or of a newer format version."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise ModelFileError(
            path,
            f"not a sklearn-stellar model file (manifest format {found!r}, "
            f"expected {FORMAT_NAME!r})",
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(
            path, f"format_version must be a positive integer, got {version!r}"
        )
    if version > FORMAT_VERSION:
        from sklearn_stellar import __version__

        raise ModelFileError(
            path,
            f"format version {version} is newer than this sklearn-stellar "
            f"({__version__}) reads (up to {FORMAT_VERSION}); load it with the "
            "newer sklearn-stellar that wrote it",
        )


def _locate_damage(zf, manifest, manifest_bytes, path) -> None:
    """Name what is damaged once the file digest does not match."""
    comment = zf.comment
    if len(comment) != _COMMENT_LEN or not comment.startswith(_PREFIX):
        raise ModelFileError(
            path, "the archive comment holding the file digest is missing or damaged"
        )
    if _sha256(manifest_bytes).encode() != comment[len(_PREFIX) : len(_PREFIX) + 64]:
        raise ModelFileError(path, "SHA-256 checksum mismatch", entry=MANIFEST)
    records = manifest.get("entries")
    records = records if isinstance(records, dict) else {}
    for info in zf.infolist():
        if info.filename == MANIFEST:
            continue
        record = records.get(info.filename)
        entry = _read_entry(zf, info, path)
        if not isinstance(record, dict) or record.get("sha256") != _sha256(entry):
            raise ModelFileError(path, "SHA-256 checksum mismatch", entry=info.filename)
    raise ModelFileError(
        path,
        "SHA-256 digest of the file does not match: the zip headers or the "
        "digest itself are damaged",
    )


def _parse_manifest(manifest_bytes, path):
    def no_constants(name):
        raise ValueError(f"{name} is not allowed in a model manifest")

    try:
        return json.loads(manifest_bytes.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(
            path, f"manifest is not valid JSON ({exc})", entry=MANIFEST
        ) from None


def _intact(data: bytes) -> bool:
    """Whether the file digest at the end of ``data`` matches the bytes before."""
    return (
        len(data) > _COMMENT_LEN
        and data[-_COMMENT_LEN:].startswith(_PREFIX)
        and _sha256(data[:-64]).encode() == data[-64:]
    )


def _open(data: bytes, path, intact: bool):
    """The zip archive, its entries and the manifest bytes, from raw bytes."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception as exc:  # zipfile raises many types on malformed bytes
        ours = data[-_COMMENT_LEN:].startswith(_PREFIX)
        problem = (
            "damaged: the SHA-256 digest of the file does not match"
            if ours and not intact
            else "not a sklearn-stellar model file: not a zip archive"
        )
        raise ModelFileError(path, f"{problem} ({exc})") from None
    names = [info.filename for info in infos]
    if MANIFEST not in names:
        raise ModelFileError(
            path, f"not a sklearn-stellar model file: no {MANIFEST} in the archive"
        )
    info = next(info for info in infos if info.filename == MANIFEST)
    return zf, infos, names, _read_entry(zf, info, path)


def read_archive(path) -> tuple[dict, dict[str, bytes]]:
    """Read and verify a model file: (manifest, entry name -> bytes).

    Checks, in order: a zip archive holding ``manifest.json``; the format name
    and version (a newer version is refused before the digests, since its
    layout may differ); the SHA-256 of the whole file (any changed byte), then,
    to name what is damaged, of the manifest and of every entry; no entry
    missing, extra, duplicated or compressed.
    """
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(
            f"`path` must be a str or path-like naming a model file, got {path!r}."
        ) from None
    with open(path, "rb") as fh:
        data = fh.read()
    intact = _intact(data)
    zf, infos, names, manifest_bytes = _open(data, path, intact)
    try:
        manifest = _parse_manifest(manifest_bytes, path)
    except ModelFileError:
        if intact:
            raise
        manifest = {}
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if not intact and not (isinstance(version, int) and version > FORMAT_VERSION):
        damaged = manifest if isinstance(manifest, dict) else {}
        _locate_damage(zf, damaged, manifest_bytes, path)
    _check_version(manifest, path)
    if len(set(names)) != len(names):
        raise ModelFileError(path, "the archive holds duplicated entry names")
    records = manifest.get("entries")
    if not isinstance(records, dict):
        raise ModelFileError(path, "manifest lacks the 'entries' table", entry=MANIFEST)
    listed, present = set(records), set(names) - {MANIFEST}
    if listed != present:
        raise ModelFileError(
            path,
            f"entries missing from the archive {sorted(listed - present)[:5]}, "
            f"not listed in the manifest {sorted(present - listed)[:5]}",
        )
    entries = {}
    for info in infos:
        if info.filename == MANIFEST:
            continue
        if info.compress_type != zipfile.ZIP_STORED:
            raise ModelFileError(
                path,
                "compressed entry (model files store entries uncompressed)",
                entry=info.filename,
            )
        entry = _read_entry(zf, info, path)
        record = records[info.filename]
        if not isinstance(record, dict) or _sha256(entry) != record.get("sha256"):
            raise ModelFileError(path, "SHA-256 checksum mismatch", entry=info.filename)
        entries[info.filename] = entry
    return manifest, entries
