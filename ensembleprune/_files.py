"""File helpers shared by serialization, checkpoints, experiments and the CLI.

- :func:`atomic_write`: a file is written to a temporary name beside its path and
  renamed over it once complete, so a process killed at any moment leaves the
  previous file or the whole new one, never a part.
- :func:`fingerprint` and :func:`claim_folder`: a folder that collects the work
  of a long run (checkpointed members, sweep pairs) carries ``fingerprint.json``,
  a digest of the data and settings of that run; a run with other data or
  settings is refused the folder instead of mixing its results in.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

FINGERPRINT_FILE = "fingerprint.json"


def fingerprint(arrays, settings):
    """Digest of ``arrays`` (their dtype, shape and bytes) and of JSON-able ``settings``."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``.

    An OSError with an error number (a folder that does not exist or cannot be
    written, a full disk, ``path`` a folder) is raised again naming ``path``,
    not the temporary file that the user never asked for.
    """
    path = Path(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise _naming(error, path) from error
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError) and error.errno is not None:
            raise _naming(error, path) from error
        raise


def _naming(error, path):
    """``error`` again, about ``path``."""
    return type(error)(error.errno, error.strerror, str(path))


def claim_folder(directory, digest, parameter, holds_other, record=None):
    """Create ``directory`` for the work of fingerprint ``digest``, or check that it is its folder.

    ``parameter`` names the argument that gave the folder and ``holds_other`` says
    what a foreign folder holds, for the error message. ``record`` is written
    beside the fingerprint, for people to read.

    Raises
    ------
    ValueError
        If the folder was made for another fingerprint, or its fingerprint file is damaged.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / FINGERPRINT_FILE
    if not marker.exists():
        content = json.dumps(dict(record or {}, fingerprint=digest), indent=2, default=str).encode()
        atomic_write(marker, lambda f: f.write(content))
        return
    try:
        found = json.loads(marker.read_text())["fingerprint"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{marker} is not a valid fingerprint file ({error}); use another {parameter}") from None
    if found != digest:
        raise ValueError(
            f"{parameter} {str(directory)!r} holds {holds_other}; continuing there would mix two runs. "
            f"Use an empty folder, or delete this one (see {marker})."
        )
