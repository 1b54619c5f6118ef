"""The model file's container: a zip archive of ``manifest.json`` and numeric ``.npy`` arrays.

Writing stores the entries uncompressed with a fixed timestamp, so that the same
model gives the same bytes, and records each array's shape, dtype and sha256 in
the manifest. Reading checks the manifest's header and every array against it
(an allowed dtype, its shape, its size before it is read, its sha256) and
raises :class:`InvalidModelFileError` for anything else. What the manifest's
other sections mean is ``_codec.py``'s and ``serialization.py``'s.
"""

import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from ._files import atomic_write

MAGIC = "ensembleprune-model"
FORMAT_VERSION = 1
SUFFIX = ".epz"
MANIFEST = "manifest.json"
# Numeric dtypes only: an object dtype would need pickle.
ALLOWED_DTYPES = frozenset(
    np.dtype(t).str for t in (np.float32, np.float64, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                              np.uint64, np.bool_)
)
_MAX_MANIFEST_BYTES = 64 * 2**20
# A .npy header is 128 bytes for these dtypes and shapes; allow generous slack.
_MAX_NPY_HEADER_BYTES = 4096
_ARRAY_NAME = re.compile(r"[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*")


class InvalidModelFileError(ValueError):
    """A file is not a valid ensembleprune model file: truncated, corrupted, crafted or of another format."""


# ---------------------------------------------------------------- writing


def _write_archive(path, manifest, arrays):
    """Write ``manifest``, with the ``arrays`` section that describes ``arrays`` added, and ``arrays`` to ``path``."""
    manifest["arrays"] = {
        name: {"shape": list(array.shape), "dtype": array.dtype.str, "sha256": _sha256(array)}
        for name, array in arrays.items()
    }
    manifest_bytes = json.dumps(manifest, indent=1).encode()
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: folder {path.parent} does not exist")

    def write(file):
        # mkstemp creates the file readable by its owner only; a model file is meant to be shared.
        os.fchmod(file.fileno(), 0o644)
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
            _write_entry(archive, MANIFEST, manifest_bytes)
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, array, allow_pickle=False)
                _write_entry(archive, f"arrays/{name}.npy", buffer.getvalue())

    atomic_write(path, write)


def _write_entry(archive, name, data):
    # A fixed timestamp makes the same model give the same bytes.
    archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)


def _sha256(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


# ---------------------------------------------------------------- reading


def _read_archive(file, kinds):
    """The manifest and the arrays of the model file open in ``file``, whose kind must be one of ``kinds``."""
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise InvalidModelFileError("it is not a zip archive, or it is truncated") from None
    with archive:
        manifest = _read_manifest(archive, kinds)
        return manifest, _read_arrays(archive, manifest["arrays"])


def _expect(mapping, key, kind):
    if not isinstance(mapping, dict) or not isinstance(mapping.get(key), kind):
        raise InvalidModelFileError(f"{key!r} is missing or not a {kind.__name__}")
    return mapping[key]


def _read_manifest(archive, kinds):
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise InvalidModelFileError(f"it has no {MANIFEST}") from None
    if info.file_size > _MAX_MANIFEST_BYTES:
        raise InvalidModelFileError(f"its manifest is {info.file_size} bytes, more than any model needs")
    manifest = json.loads(archive.read(info))
    if _expect(manifest, "magic", str) != MAGIC:
        raise InvalidModelFileError(f"its magic is {manifest['magic']!r}, not {MAGIC!r}")
    version = _expect(manifest, "format_version", int)
    if version != FORMAT_VERSION:
        raise InvalidModelFileError(
            f"it has format version {version}; this ensembleprune reads version {FORMAT_VERSION}"
            + (": upgrade ensembleprune to load it" if version > FORMAT_VERSION else "")
        )
    _expect(manifest, "package_version", str)
    _expect(manifest, "arrays", dict)
    if _expect(manifest, "kind", str) not in kinds:
        raise InvalidModelFileError(f"unknown kind {manifest['kind']!r}")
    return manifest


def _read_arrays(archive, declared):
    expected_entries = {MANIFEST} | {f"arrays/{name}.npy" for name in declared}
    unexpected = sorted(set(archive.namelist()) - expected_entries)
    if unexpected:
        raise InvalidModelFileError(f"it holds entries that its manifest does not declare: {unexpected[:5]}")
    arrays = {}
    for name, spec in declared.items():
        if not _ARRAY_NAME.fullmatch(name):
            raise InvalidModelFileError(f"array name {name!r} is not allowed")
        dtype, shape, digest = _expect(spec, "dtype", str), _expect(spec, "shape", list), _expect(spec, "sha256", str)
        if dtype not in ALLOWED_DTYPES:
            raise InvalidModelFileError(f"array {name!r} has dtype {dtype!r}; only numeric dtypes are allowed")
        if not all(isinstance(size, int) and size >= 0 for size in shape):
            raise InvalidModelFileError(f"array {name!r} has an invalid shape {shape}")
        try:
            info = archive.getinfo(f"arrays/{name}.npy")
        except KeyError:
            raise InvalidModelFileError(f"array {name!r} is declared but missing") from None
        # Checked before reading, so that a crafted entry cannot make load() allocate without bound.
        if info.compress_type != zipfile.ZIP_STORED or info.file_size > (
            np.dtype(dtype).itemsize * int(np.prod(shape, dtype=object)) + _MAX_NPY_HEADER_BYTES
        ):
            raise InvalidModelFileError(f"array {name!r} is compressed or larger than its declared shape")
        array = np.lib.format.read_array(io.BytesIO(archive.read(info)), allow_pickle=False)
        if array.dtype.str != dtype or list(array.shape) != shape:
            raise InvalidModelFileError(
                f"array {name!r} is {array.dtype.str} {list(array.shape)}, the manifest says {dtype} {shape}"
            )
        if _sha256(array) != digest:
            raise InvalidModelFileError(f"array {name!r} does not match its sha256: the file is corrupted")
        arrays[name] = array
    return arrays
