"""save() and load(): fitted ensembles and compact members in one file that is safe to load.

A model file (suffix ``.epz``) is an uncompressed zip archive of

- ``manifest.json``: the magic string, format and package versions, the kind of
  object, each member's architecture and layers, the combiner (the method, and
  for stacking each linear meta-learner's class, parameters and fitted
  coefficients), the estimator's parameters (a ``cv`` splitter as its class and
  parameters) and other fitted attributes, and
  for every array its shape, dtype and sha256;
- ``arrays/<name>.npy``: one numeric array each, written and read with
  ``allow_pickle=False``.

A pipeline around an ensemble adds a tree of allow-listed preprocessing (``_pipelines.py``).
The archive itself (entries, manifest header, arrays and their checks) is
``_archive.py``'s; the encoding of values, members, meta-learners, splitters and
ensembles is ``_codec.py``'s.

Loading trusts nothing in the file: every array is checked against the manifest
(dtype from a short numeric list, shape, sha256), every structure against what
save() writes, every class against a fixed list, and the loaded model must
predict. Anything else raises :class:`InvalidModelFileError`; nothing from the
file is unpickled, imported or executed. Writes go to a temporary file in the
same folder, renamed over ``path`` once complete.
"""

from ._archive import (
    ALLOWED_DTYPES,
    FORMAT_VERSION,
    MAGIC,
    MANIFEST,
    SUFFIX,
    InvalidModelFileError,
    _expect,
    _read_archive,
    _write_archive,
)
from ._codec import (
    CV_SPLITTERS,
    LINEAR_META_LEARNERS,
    UnsafeToSaveError,
    _decode_ensemble,
    _decode_member,
    _encode_ensemble,
    _encode_member,
)
from ._version import __version__
from .compact import CompactMLP

__all__ = [
    "save", "load", "InvalidModelFileError", "UnsafeToSaveError", "MAGIC", "FORMAT_VERSION", "SUFFIX", "MANIFEST",
    "ALLOWED_DTYPES", "LINEAR_META_LEARNERS", "CV_SPLITTERS", "ENSEMBLE_KINDS", "PIPELINE_KINDS",
]

ENSEMBLE_KINDS = ("PrunedEnsembleRegressor", "PrunedEnsembleClassifier")
PIPELINE_KINDS = ("Pipeline", "TransformedTargetRegressor")


def save(model, path):
    """Write a fitted ensemble or a compact member to ``path``, atomically.

    Parameters
    ----------
    model : PrunedEnsembleRegressor, PrunedEnsembleClassifier, CompactMLP, TrainedMember or a pipeline
        A fitted estimator; one member (a ``TrainedMember`` is stripped first and
        loads back as a ``CompactMLP``); or a fitted ``Pipeline`` or
        ``TransformedTargetRegressor`` around an ensemble (see ``_pipelines.py``).
    path : str or Path
        The file to write, conventionally with the suffix ``.epz``; replaced if
        it exists. Its folder must exist.

    Raises
    ------
    UnsafeToSaveError
        If the model holds something this format cannot store without pickle,
        such as a meta-learner that is not linear, a ``random_state`` or ``cv``
        that is not plain data (a ``KFold`` or ``ShuffleSplit`` with plain
        parameters is stored), or a pipeline step outside the allow-list or
        holding a function; nothing is written.
    """
    from ._base import _BasePrunedEnsemble
    from ._pipelines import encode_pipeline, is_pipeline
    from .factory import TrainedMember

    if isinstance(model, TrainedMember):
        from .compact import strip

        model = strip(model.model)
    arrays = {}
    manifest = {"magic": MAGIC, "format_version": FORMAT_VERSION, "package_version": __version__}
    if isinstance(model, CompactMLP):
        manifest.update(kind="CompactMLP", members=[_encode_member(model, "members/0", arrays)])
    elif isinstance(model, _BasePrunedEnsemble) and type(model).__name__ in ENSEMBLE_KINDS:
        manifest.update(kind=type(model).__name__, **_encode_ensemble(model, arrays))
    elif is_pipeline(model):
        manifest.update(kind=type(model).__name__, **encode_pipeline(model, arrays))
    else:
        raise TypeError(f"save() stores an ensemble, a CompactMLP, a TrainedMember, or a Pipeline or "
                        f"TransformedTargetRegressor around an ensemble, got {type(model).__name__}")
    _write_archive(path, manifest, arrays)


def load(path):
    """Read a model written by :func:`save`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    PrunedEnsembleRegressor, PrunedEnsembleClassifier, CompactMLP, Pipeline or TransformedTargetRegressor
        As saved: parameters, fitted attributes and bitwise-identical predictions.

    Raises
    ------
    InvalidModelFileError
        If the file is truncated, corrupted, of another format or version, or
        holds anything that this module does not write.
    """
    with open(path, "rb") as file:
        try:
            return _read(file)
        except InvalidModelFileError as error:
            raise InvalidModelFileError(f"{path} is not a valid ensembleprune model file: {error}") from None
        except Exception as error:  # The bytes are untrusted: any failure to parse them means a bad file.
            raise InvalidModelFileError(
                f"{path} is not a valid ensembleprune model file ({type(error).__name__}: {error}); "
                "it may be truncated or corrupted: save the model again"
            ) from error


# ---------------------------------------------------------------- reading


def _read(file):
    manifest, arrays = _read_archive(file, ("CompactMLP", *ENSEMBLE_KINDS, *PIPELINE_KINDS))
    members = [_decode_member(member, arrays) for member in _expect(manifest, "members", list)]
    if not members:
        raise InvalidModelFileError("it holds no member")
    if manifest["kind"] == "CompactMLP":
        if len(members) != 1:
            raise InvalidModelFileError(f"a CompactMLP file holds one member, not {len(members)}")
        return members[0]
    if manifest["kind"] in PIPELINE_KINDS:
        from ._pipelines import decode_pipeline

        return decode_pipeline(manifest, lambda kind: _decode_ensemble(kind, manifest, members, arrays), arrays)
    return _decode_ensemble(manifest["kind"], manifest, members, arrays)
