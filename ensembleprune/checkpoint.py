"""MemberCheckpoint: finished members on disk, so that a killed fit can resume.

A checkpoint folder holds ``fingerprint.json`` (a digest of the training data and
of every setting that changes what a member learns) and one ``.npz`` file per
finished member with its weights, history and best epoch. Files are
written to a temporary name and renamed, so a fit killed at any moment leaves
either a whole member file or none. Member files are read with
``allow_pickle=False``: loading one never executes code.
"""

import hashlib
import json
import os
import tempfile
import zipfile
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
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


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


class MemberCheckpoint:
    """Saves and finds the finished members of one fit in ``directory``.

    Parameters
    ----------
    directory : str or Path
        Created if missing. A folder written for another fingerprint is refused.
    fingerprint : str
        From :func:`fingerprint` of the training data and settings.

    Raises
    ------
    ValueError
        If ``directory`` holds a checkpoint of other data or other settings.
    """

    def __init__(self, directory, fingerprint):
        self.directory = Path(directory)
        self.fingerprint = fingerprint
        claim_folder(self.directory, fingerprint, "checkpoint_dir", "members trained on other data or with other parameters")

    def _path(self, key):
        return self.directory / f"member-{key}.npz"

    def save(self, key, weights, history, best_epoch, seed):
        """Write one finished member (its model's weights, history, best epoch and seed) atomically."""
        meta = json.dumps({"history": history, "best_epoch": best_epoch, "seed": int(seed), "n_weights": len(weights)})
        arrays = {f"weight_{i}": np.asarray(w) for i, w in enumerate(weights)}
        atomic_write(self._path(key), lambda f: np.savez(f, meta=np.array(meta), **arrays))

    def load(self, key):
        """Return ``(weights, history, best_epoch, seed)`` of a saved member, or None.

        ``seed`` is None in files written before members recorded their seed.
        """
        path = self._path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as saved:
                meta = json.loads(str(saved["meta"]))
                weights = [saved[f"weight_{i}"] for i in range(meta["n_weights"])]
        except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"checkpoint file {path} is unreadable ({error}); delete it to train that member again")
        seed = meta.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"checkpoint file {path} holds a seed that is not an integer ({seed!r}); delete it")
        return weights, meta["history"], meta["best_epoch"], seed
