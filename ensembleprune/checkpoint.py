"""MemberCheckpoint: finished members on disk, so that a killed fit can resume.

A checkpoint folder holds ``fingerprint.json`` (a digest of the training data and
of every setting that changes what a member learns) and one ``.npz`` file per
finished member with its weights, history and best epoch. Files are
written to a temporary name and renamed, so a fit killed at any moment leaves
either a whole member file or none. Member files are read with
``allow_pickle=False``: loading one never executes code.
"""

import json
import zipfile
from pathlib import Path

import numpy as np

from ._files import FINGERPRINT_FILE, atomic_write, claim_folder, fingerprint  # noqa: F401 (re-exported)


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
