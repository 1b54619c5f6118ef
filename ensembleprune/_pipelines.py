"""Pipelines in model files: scikit-learn's common preprocessing around one ensemble, stored without pickle.

:func:`~ensembleprune.save` stores a ``Pipeline`` whose last step is a fitted
``PrunedEnsembleRegressor`` or ``PrunedEnsembleClassifier``, a
``TransformedTargetRegressor`` around one (or around such a pipeline), and such
a regressor as a pipeline's last step. Its other parts must be of the classes
below (the allow-list, after skops' audit of "trusted types"): each is stored as
its class name, its ``get_params(deep=False)`` and the rest of its ``__dict__``
(the fitted attributes), all as the plain values, numeric arrays and string
arrays of ``_codec._encode``, nested objects likewise. The ensemble is
stored once, as a file of the ensemble alone stores it, and the tree holds a
marker where it goes. A class outside the list, a function (a
``FunctionTransformer`` with ``func``, ``TransformedTargetRegressor(func=...)``,
a ``make_column_selector``) or any other object is refused before a byte is
written.

Loading rebuilds each object from the list by its name, sets its parameters
(only its own, checked by ``_validate_params``), sets fitted attributes whose
names are those of fitted (``x_``) or private (``_x``) state and shadow nothing
of the class, checks the structure as saving did, and predicts a probe row
(built and checked by ``_pipeline_inputs.py``).
"""

import re
import warnings

import numpy as np
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)

from . import _codec as _file  # the model file's encoding of values, which encode_value and decode_value extend
from ._archive import InvalidModelFileError
from ._codec import UnsafeToSaveError

SCALERS = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)
ENCODERS = (OneHotEncoder, OrdinalEncoder)
# FunctionTransformer only without functions: the identity that ColumnTransformer uses for "passthrough".
TRANSFORMERS = {cls.__name__: cls for cls in (*SCALERS, *ENCODERS, SimpleImputer, MissingIndicator,
                                               FunctionTransformer)}
COMPOSITES = {cls.__name__: cls for cls in (Pipeline, ColumnTransformer, TransformedTargetRegressor)}
# The value types of _codec._encode's manifest that this module writes and reads.
VALUE_KINDS = ("object", "ensemble", "dtype", "type", "slice", "dict", "object_array")
_BUILTIN_TYPES = {cls.__name__: cls for cls in (float, int, bool, str)}
_STRINGS = ("drop", "passthrough")


def _allowed_dtype(text):
    """Numeric dtypes, and the object and string dtypes that preprocessing records (never read as arrays)."""
    return isinstance(text, str) and (text in _file.ALLOWED_DTYPES or text == "|O" or re.fullmatch(r"[<>]U\d+", text))


def _ensemble_classes():
    from .classifier import PrunedEnsembleClassifier
    from .ensemble import PrunedEnsembleRegressor

    return {cls.__name__: cls for cls in (PrunedEnsembleRegressor, PrunedEnsembleClassifier)}


def _allowed_class(name):
    return TRANSFORMERS.get(name) or COMPOSITES.get(name) or _ensemble_classes().get(name)


def is_pipeline(model):
    return type(model) in COMPOSITES.values()


# ---------------------------------------------------------------- the structure, checked on save and on load


def check_structure(model, error):
    """The fitted ensemble at the end of ``model``; ``error(message)`` for anything outside the allow-list."""
    return _check_predictor(model, "the model", error)


def _check_predictor(estimator, where, error, template=False):
    if type(estimator) in _ensemble_classes().values():
        return estimator
    if type(estimator) is Pipeline and isinstance(estimator.steps, list) and estimator.steps:
        for name, step in estimator.steps[:-1]:
            _check_transformer(step, f"{where}, step {name!r},", error)
        name, last = estimator.steps[-1]
        return _check_predictor(last, f"{where}, step {name!r},", error, template)
    if type(estimator) is TransformedTargetRegressor:
        if estimator.func is not None or estimator.inverse_func is not None:
            raise error(f"{where} is a TransformedTargetRegressor with func={estimator.func!r}: a model file stores "
                        "no functions; scale the target with transformer=StandardScaler() (or another scaler)")
        for name in ("transformer",) + ("transformer_",) * (not template):
            transformer = getattr(estimator, name, None)
            if type(transformer) not in SCALERS:
                raise error(f"{where} has {name}={transformer!r}; a model file stores a TransformedTargetRegressor "
                            f"whose transformer is one of {', '.join(cls.__name__ for cls in SCALERS)}")
        _check_predictor(estimator.regressor, f"{where} (its regressor)", error, template=True)
        if template:
            return None
        return _check_predictor(getattr(estimator, "regressor_", None), f"{where} (its fitted regressor)", error)
    raise error(f"{where} is a {type(estimator).__name__}: a saved pipeline ends in a PrunedEnsembleRegressor or "
                "PrunedEnsembleClassifier, or a TransformedTargetRegressor around one")


def _check_transformer(transformer, where, error):
    cls = type(transformer)
    if transformer is None or (isinstance(transformer, str) and transformer in _STRINGS):
        return
    if cls is Pipeline:
        for name, step in transformer.steps:
            _check_transformer(step, f"{where}, step {name!r},", error)
    elif cls is ColumnTransformer:
        for name, part, columns in [*transformer.transformers, *getattr(transformer, "transformers_", [])]:
            if callable(columns):
                raise error(f"{where}, transformer {name!r}, selects its columns with a function ({columns!r}), which "
                            "a model file cannot store: select them by name, index, mask or slice")
            _check_transformer(part, f"{where}, transformer {name!r},", error)
        _check_transformer(transformer.remainder, f"{where}, remainder,", error)
    elif cls is FunctionTransformer:
        functions = {name: getattr(transformer, name) for name in ("func", "inverse_func", "feature_names_out")}
        if functions["func"] is not None or functions["inverse_func"] is not None or callable(
                functions["feature_names_out"]):
            raise error(f"{where} is a FunctionTransformer with {functions}: a model file stores no functions. "
                        "Keep this model with joblib and load it only from a source you trust.")
    elif cls not in TRANSFORMERS.values():
        raise error(f"{where} is a {cls.__name__}, which a model file cannot store without pickle. Its preprocessing "
                    f"may be {', '.join(sorted(TRANSFORMERS))}, ColumnTransformer and Pipeline. Keep this model with "
                    "joblib and load it only from a source you trust.")


# ---------------------------------------------------------------- writing


def encode_pipeline(model, arrays):
    """The manifest sections of ``model``: its ensemble as ``_encode_ensemble`` writes it, the tree, the probe."""
    from sklearn.utils.validation import check_is_fitted

    from ._pipeline_inputs import make_probe, probe_output  # imported here: it reads the allow-list from this module

    ensemble = check_structure(model, UnsafeToSaveError)
    check_is_fitted(model)
    encoded = _file._encode(model, "pipeline", arrays)  # refuses what needs pickle before anything is written
    sections = {"ensemble_kind": type(ensemble).__name__, **_file._encode_ensemble(ensemble, arrays),
                "pipeline": encoded, "sklearn_version": sklearn.__version__}
    probe = make_probe(model)
    if probe is not None:
        sections["probe"] = {**probe, "expected": _file._encode(probe_output(model, probe), "probe", arrays)}
    return sections


def encode_value(value, name, arrays):
    """What ``_codec._encode`` cannot write itself: the allow-listed objects and the data they hold."""
    import pandas as pd

    cls = type(value)
    if cls in _ensemble_classes().values() and hasattr(value, "members_"):
        return {"__type__": "ensemble"}  # stored once, beside the tree
    if _allowed_class(cls.__name__) is cls:
        params = value.get_params(deep=False)
        # Parameters that the fit clones (templates) are stored unfitted.
        for key in ("regressor", "transformer") if cls is TransformedTargetRegressor else ():
            params[key] = None if params[key] is None else clone(params[key])
        if cls is ColumnTransformer:
            params["transformers"] = [(name, part if isinstance(part, str) else clone(part), columns)
                                      for name, part, columns in params["transformers"]]
        attributes = {key: item for key, item in vars(value).items() if key not in params}
        return {"__type__": "object", "class": cls.__name__, "params": _file._encode(params, f"{name}/params", arrays),
                "attributes": _file._encode(attributes, f"{name}/attributes", arrays)}
    if isinstance(value, np.dtype) and _allowed_dtype(value.str):
        return {"__type__": "dtype", "str": value.str}
    if isinstance(value, type) and value in _BUILTIN_TYPES.values():
        return {"__type__": "type", "name": value.__name__}
    if isinstance(value, type) and issubclass(value, np.generic) and np.dtype(value).str in _file.ALLOWED_DTYPES:
        return {"__type__": "type", "dtype": np.dtype(value).str}
    if isinstance(value, slice) and all(_file._is_plain(v) for v in (value.start, value.stop, value.step)):
        return {"__type__": "slice", "start": value.start, "stop": value.stop, "step": value.step}
    if isinstance(value, dict) and all(isinstance(key, (str, int)) for key in value):
        return {"__type__": "dict", "items": [[key, _file._encode(item, f"{name}/{index}", arrays)]
                                             for index, (key, item) in enumerate(value.items())]}
    if isinstance(value, np.ndarray) and value.dtype == object and all(_file._is_plain(v) for v in value.flat):
        return {"__type__": "object_array", "shape": list(value.shape), "values": value.ravel().tolist()}
    if isinstance(value, pd.Index) and all(isinstance(item, str) for item in value):
        return value.tolist()  # selects the same columns
    return None


# ---------------------------------------------------------------- reading

_ENSEMBLE = object()  # where the tree's ensemble goes, until it is put there


def decode_pipeline(manifest, decode_ensemble, arrays):
    """The model of a pipeline file; ``decode_ensemble(kind)`` reads the ensemble section."""
    from ._pipeline_inputs import check_probe  # imported here: it reads the allow-list from this module

    kind = manifest.get("ensemble_kind")
    if kind not in _ensemble_classes():
        raise InvalidModelFileError(f"unknown ensemble kind {kind!r}")
    ensemble = decode_ensemble(kind)
    model = _place(_file._decode(_file._expect(manifest, "pipeline", dict), arrays), ensemble)
    if type(model).__name__ != manifest["kind"]:
        raise InvalidModelFileError(f"it holds a {type(model).__name__}, its kind says {manifest['kind']}")
    if check_structure(model, InvalidModelFileError) is not ensemble:
        raise InvalidModelFileError("its pipeline does not end in its ensemble")
    saved_with = manifest.get("sklearn_version")
    if saved_with != sklearn.__version__:
        warnings.warn(f"this model file was saved with scikit-learn {saved_with}, and is loaded with "
                      f"{sklearn.__version__}: its preprocessing's fitted state may mean other things; check its "
                      "predictions, or save it again", UserWarning, stacklevel=4)
    if "probe" in manifest:
        check_probe(model, _file._expect(manifest, "probe", dict), arrays)
    return model


def decode_value(value, arrays):
    """Inverse of :func:`encode_value`, refusing anything that it does not write."""
    kind = value["__type__"]
    if kind == "ensemble":
        return _ENSEMBLE
    if kind == "object":
        return _decode_object(value, arrays)
    if kind == "dtype" and _allowed_dtype(value.get("str")):
        return np.dtype(value["str"])
    if kind == "type":
        if value.get("name") in _BUILTIN_TYPES:
            return _BUILTIN_TYPES[value["name"]]
        if value.get("dtype") in _file.ALLOWED_DTYPES:
            return np.dtype(value["dtype"]).type
    if kind == "slice" and all(isinstance(value.get(k), (int, type(None))) for k in ("start", "stop", "step")):
        return slice(value["start"], value["stop"], value["step"])
    if kind == "dict" and all(isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                              for item in _file._expect(value, "items", list)):
        return {key: _file._decode(item, arrays) for key, item in value["items"]}
    if kind == "object_array" and all(_file._is_plain(item) for item in _file._expect(value, "values", list)):
        shape = _file._expect(value, "shape", list)
        array = np.empty(len(value["values"]), dtype=object)
        array[:] = value["values"]
        return array.reshape(shape)
    raise InvalidModelFileError(f"malformed value of type {kind!r}")


def _decode_object(spec, arrays):
    cls = _allowed_class(_file._expect(spec, "class", str))
    if cls is None:
        raise InvalidModelFileError(f"class {spec['class']!r} is not one that a model file may hold")
    params = _file._decode(_file._expect(spec, "params", dict), arrays)
    unknown = set(params) - set(cls._get_param_names())
    if unknown:
        raise InvalidModelFileError(f"{cls.__name__} has no parameters {sorted(unknown)}")
    try:
        estimator = cls(**params)
        estimator._validate_params()
    except (TypeError, ValueError) as error:
        raise InvalidModelFileError(f"{cls.__name__} parameters are invalid: {error}") from None
    attributes = _file._decode(_file._expect(spec, "attributes", dict), arrays)
    if attributes and cls in _ensemble_classes().values():
        raise InvalidModelFileError(f"an unfitted {cls.__name__} has fitted attributes {sorted(attributes)}")
    misnamed = [name for name in attributes if name in params or not (name.startswith("_") or name.endswith("_"))]
    if misnamed:
        raise InvalidModelFileError(f"{cls.__name__} attributes {misnamed} are neither fitted nor private")
    _file._set_attributes(estimator, attributes, cls.__name__)
    return estimator


def _place(model, ensemble):
    """``model`` with its ensemble where the marker of the last step (or fitted regressor) is."""
    if model is _ENSEMBLE:
        return ensemble
    if type(model) is Pipeline and isinstance(model.steps, list) and model.steps:
        name, last = model.steps[-1]
        model.steps[-1] = (name, _place(last, ensemble))
    elif type(model) is TransformedTargetRegressor and hasattr(model, "regressor_"):
        model.regressor_ = _place(model.regressor_, ensemble)
    return model
