"""Model parts as manifest sections: values, members, linear meta-learners, splitters and ensembles.

:func:`_encode` turns a value into JSON, moving its numeric arrays to the
``arrays`` that ``_archive.py`` writes, and refuses with
:class:`UnsafeToSaveError` what would need pickle; :func:`_decode` is its
inverse and refuses with :class:`InvalidModelFileError` anything it does not
write. Classes are rebuilt from fixed lists only, and a decoded ensemble must
predict. ``_pipelines.py`` extends both with its allow-listed preprocessing.
"""

import inspect
import warnings

import numpy as np
from sklearn.linear_model import (
    BayesianRidge,
    ElasticNet,
    ElasticNetCV,
    HuberRegressor,
    Lasso,
    LassoCV,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeCV,
)
from sklearn.model_selection import KFold, ShuffleSplit

from ._archive import _ARRAY_NAME, ALLOWED_DTYPES, InvalidModelFileError, _expect
from .compact import CompactLayer, CompactMLP, smallest_unsigned_dtype
from .encoding import check_encoding, encoded_width

# Meta-learners whose predict is ``X @ coef_ + intercept_`` (LogisticRegression's
# predict_proba, a sigmoid or softmax of it): stored as class name, parameters
# and fitted arrays, and rebuilt from this list only.
LINEAR_META_LEARNERS = {
    cls.__name__: cls
    for cls in (LinearRegression, Ridge, RidgeCV, Lasso, LassoCV, ElasticNet, ElasticNetCV, BayesianRidge,
                HuberRegressor, LogisticRegression)
}
# Cross-validation splitters a stacking ``cv`` may hold: stored as class name and
# constructor parameters, and rebuilt from this list only.
CV_SPLITTERS = {cls.__name__: cls for cls in (KFold, ShuffleSplit)}


class UnsafeToSaveError(TypeError):
    """An object holds a part that the model file format cannot store without pickle."""


# ---------------------------------------------------------------- encoding


def _encode_ensemble(estimator, arrays):
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    params = estimator.get_params(deep=False)
    attributes = {name: value for name, value in vars(estimator).items() if name not in params}
    members = attributes.pop("members_")
    meta_learners = attributes.pop("final_estimators_", None)
    combiner = {"method": params["combine"]}
    if meta_learners is not None:
        combiner["meta_learners"] = [
            _encode_meta_learner(learner, f"combiner/{j}", arrays) for j, learner in enumerate(meta_learners)
        ]
    return {
        "members": [_encode_member(member, f"members/{k}", arrays) for k, member in enumerate(members)],
        "combiner": combiner,
        "estimator": {
            "params": _encode(params, "params", arrays),
            "attributes": _encode(attributes, "attributes", arrays),
        },
    }


def _encode_member(member, name, arrays):
    if not isinstance(member, CompactMLP):
        raise UnsafeToSaveError(f"{name} is a {type(member).__name__}, not a CompactMLP")
    layers = []
    for index, layer in enumerate(member.layers):
        layer_arrays = {}
        for key, array in layer.arrays().items():
            arrays[f"{name}/layers/{index}/{key}"] = array
            layer_arrays[key] = f"{name}/layers/{index}/{key}"
        layers.append({"shape": list(layer.shape), "activation": layer.activation, "arrays": layer_arrays})
    arrays[f"{name}/used_features"] = member.used_features_.astype(smallest_unsigned_dtype(member.n_features_in_))
    return {
        "architecture": list(member.architecture),
        "n_features_in": member.n_features_in_,
        "used_features": f"{name}/used_features",
        "layers": layers,
    }


def _encode_meta_learner(learner, name, arrays):
    cls = LINEAR_META_LEARNERS.get(type(learner).__name__)
    if cls is not type(learner):
        raise UnsafeToSaveError(
            f"{name.replace('/', ' ')}: a {type(learner).__name__} meta-learner cannot be stored without pickle. "
            f"Model files store linear meta-learners as their coefficients: use one of "
            f"{', '.join(sorted(LINEAR_META_LEARNERS))} as final_estimator, or keep this model with joblib "
            "and load it only from a source you trust."
        )
    fitted = {key: value for key, value in vars(learner).items() if key.endswith("_") and not key.startswith("_")}
    return {
        "class": cls.__name__,
        "params": _encode(learner.get_params(deep=False), f"{name}/params", arrays),
        "attributes": _encode(fitted, f"{name}/attributes", arrays),
    }


def _is_plain(value):
    return value is None or isinstance(value, (bool, int, float, str))


def _encode(value, name, arrays):
    """``value`` as JSON, its arrays moved to ``arrays``; refuse what needs pickle."""
    if _is_plain(value):
        return value
    if isinstance(value, np.generic) and value.dtype.str in ALLOWED_DTYPES:
        return {"__type__": "scalar", "dtype": value.dtype.str, "value": value.item()}
    if isinstance(value, np.ndarray):
        if value.dtype.str in ALLOWED_DTYPES:
            arrays[name] = value
            return {"__type__": "array", "name": name}
        if value.dtype == object and all(isinstance(item, str) for item in value.ravel()):
            return {"__type__": "str_array", "values": value.tolist()}
        if value.dtype.kind == "U" and value.ndim == 1:  # a classifier's string labels
            return {"__type__": "str_array", "values": value.tolist(), "dtype": "str"}
    if isinstance(value, (list, tuple)):
        items = [_encode(item, f"{name}/{index}", arrays) for index, item in enumerate(value)]
        return items if isinstance(value, list) else {"__type__": "tuple", "items": items}
    # Keys become parts of array names; "__" is kept for the tags of _decode.
    if isinstance(value, dict) and all(
        isinstance(key, str) and _ARRAY_NAME.fullmatch(key) and not key.startswith("__") for key in value
    ):
        return {key: _encode(item, f"{name}/{key}", arrays) for key, item in value.items()}
    if type(value).__name__ in LINEAR_META_LEARNERS:
        return {"__type__": "estimator", **_encode_meta_learner(value, name, arrays)}
    if type(value) in CV_SPLITTERS.values():
        # Splitters keep their constructor arguments as attributes of the same names.
        params = {key: getattr(value, key) for key in inspect.signature(type(value)).parameters}
        if not all(_is_plain(item) for item in params.values()):
            raise UnsafeToSaveError(
                f"{name.replace('/', ' ')} is {value!r}: a model file stores a splitter only with plain parameters "
                "(numbers, strings, None). Give it an integer random_state, for example, before saving."
            )
        return {"__type__": "splitter", "class": type(value).__name__, "params": params}
    from ._pipelines import encode_value

    encoded = encode_value(value, name, arrays)
    if encoded is not None:
        return encoded
    raise UnsafeToSaveError(
        f"{name.replace('/', ' ')} is {value!r} (a {type(value).__name__}), which a model file cannot store "
        "without pickle. Set it to a number, string, list, one of the linear meta-learners or a "
        f"{' or '.join(sorted(CV_SPLITTERS))} splitter before saving."
    )


# ---------------------------------------------------------------- decoding


def _array(arrays, name):
    if not isinstance(name, str) or name not in arrays:
        raise InvalidModelFileError(f"reference to an undeclared array {name!r}")
    return arrays[name]


def _decode_member(member, arrays):
    layers = []
    for layer in _expect(member, "layers", list):
        layer_arrays = {key: _array(arrays, name) for key, name in _expect(layer, "arrays", dict).items()}
        layers.append(CompactLayer.from_arrays(_expect(layer, "shape", list), _expect(layer, "activation", str),
                                               layer_arrays))
    return CompactMLP(layers, _array(arrays, member.get("used_features")), _expect(member, "n_features_in", int),
                      _expect(member, "architecture", list))


def _decode(value, arrays):
    """Inverse of :func:`_encode`, refusing anything it does not write."""
    if _is_plain(value):
        return value
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    if not isinstance(value, dict):
        raise InvalidModelFileError(f"unexpected JSON value {value!r}")
    kind = value.get("__type__")
    if kind is None:
        return {key: _decode(item, arrays) for key, item in value.items()}
    if kind == "array":
        return _array(arrays, value.get("name"))
    if kind == "tuple":
        return tuple(_decode(_expect(value, "items", list), arrays))
    if kind == "scalar" and value.get("dtype") in ALLOWED_DTYPES and isinstance(value.get("value"), (bool, int, float)):
        return np.dtype(value["dtype"]).type(value["value"])
    if kind == "str_array" and all(isinstance(item, str) for item in _expect(value, "values", list)):
        return np.array(value["values"], dtype=str if value.get("dtype") == "str" else object)
    if kind == "estimator":
        return _decode_meta_learner(value, arrays)
    if kind == "splitter":
        return _decode_splitter(value)
    from ._pipelines import VALUE_KINDS, decode_value

    if kind in VALUE_KINDS:
        return decode_value(value, arrays)
    raise InvalidModelFileError(f"unknown or malformed value of type {kind!r}")


def _decode_splitter(spec):
    cls = CV_SPLITTERS.get(_expect(spec, "class", str))
    if cls is None:
        raise InvalidModelFileError(f"splitter class {spec['class']!r} is not one of {sorted(CV_SPLITTERS)}")
    params = _expect(spec, "params", dict)
    if not all(_is_plain(value) for value in params.values()):
        raise InvalidModelFileError(f"{cls.__name__} parameters must be plain numbers, strings or null, got {params!r}")
    try:
        return cls(**params)
    except (TypeError, ValueError) as error:
        raise InvalidModelFileError(f"{cls.__name__} parameters {params!r} are invalid: {error}") from None


def _set_attributes(obj, attributes, context):
    """Set fitted attributes read from a file, refusing names that would shadow the class's own."""
    for name, value in attributes.items():
        if not name.isidentifier() or name.startswith("__") or hasattr(type(obj), name):
            raise InvalidModelFileError(f"{context} attribute name {name!r} is not allowed")
        setattr(obj, name, value)


def _decode_meta_learner(spec, arrays):
    cls = LINEAR_META_LEARNERS.get(_expect(spec, "class", str))
    if cls is None:
        raise InvalidModelFileError(f"meta-learner class {spec['class']!r} is not one of the linear ones")
    learner = _set_params(cls(), spec, arrays)
    attributes = _decode(_expect(spec, "attributes", dict), arrays)
    if any(not name.endswith("_") for name in attributes):
        raise InvalidModelFileError(f"{cls.__name__} fitted attributes must end in '_', got {sorted(attributes)}")
    _set_attributes(learner, attributes, cls.__name__)
    return learner


def _set_params(estimator, section, arrays):
    """``estimator`` with the parameters stored in ``section``, which must all be its own."""
    params = _decode(_expect(section, "params", dict), arrays)
    unknown = set(params) - set(estimator.get_params(deep=False))
    if unknown:
        raise InvalidModelFileError(f"{type(estimator).__name__} has no parameters {sorted(unknown)}")
    return estimator.set_params(**params)


def _decode_ensemble(kind, manifest, members, arrays):
    from .classifier import PrunedEnsembleClassifier
    from .ensemble import PrunedEnsembleRegressor

    cls = PrunedEnsembleClassifier if kind == "PrunedEnsembleClassifier" else PrunedEnsembleRegressor
    section = _expect(manifest, "estimator", dict)
    estimator = _set_params(cls(), section, arrays)
    estimator._validate_params()
    attributes = _decode(_expect(section, "attributes", dict), arrays)
    if set(attributes) & {"members_", "final_estimators_"} or set(attributes) & set(estimator.get_params(deep=False)):
        raise InvalidModelFileError("estimator attributes repeat the members, the combiner or a parameter")
    if "input_encoding" not in _expect(section, "params", dict):  # written before input_encoding existed: none
        estimator.set_params(input_encoding=None)
        attributes.setdefault("input_encoding_", None)
    _set_attributes(estimator, attributes, "estimator")
    estimator.members_ = members
    combiner = _expect(manifest, "combiner", dict)
    if combiner.get("method") != estimator.combine:
        raise InvalidModelFileError(f"combiner {combiner.get('method')!r} disagrees with combine={estimator.combine!r}")
    if "meta_learners" in combiner:
        estimator.final_estimators_ = [_decode_meta_learner(spec, arrays) for spec in combiner["meta_learners"]]
    _check_predicts(estimator)
    return estimator


def _check_predicts(estimator):
    """A loaded ensemble must predict: catches parts that do not fit together."""
    encoding = getattr(estimator, "input_encoding_", None)
    try:
        check_encoding(encoding, estimator.n_features_in_)
    except ValueError as error:
        raise InvalidModelFileError(f"its input encoding is malformed: {error}") from None
    width = encoded_width(estimator.n_features_in_, encoding)
    if any(member.n_features_in_ != width for member in estimator.members_):
        raise InvalidModelFileError("its members and the estimator expect different numbers of features")
    try:
        with warnings.catch_warnings():
            # The probe has no feature names, which an estimator fitted with them warns about.
            warnings.simplefilter("ignore", UserWarning)
            estimator.predict(np.zeros((1, estimator.n_features_in_)))
    except Exception as error:
        raise InvalidModelFileError(f"its parts do not fit together ({type(error).__name__}: {error})") from None
    _check_calibration(estimator)


def _check_calibration(estimator):
    """Conformal calibration, if any: residuals and spreads alike, one column per output, finite, non-negative."""
    names = [name for name in ("calibration_residuals_", "calibration_spreads_") if hasattr(estimator, name)]
    if not names:
        return
    arrays = [getattr(estimator, name) for name in names]
    n_outputs = np.shape(getattr(estimator, "y_mean_", ()))
    if len(arrays) != 2 or not all(
        isinstance(a, np.ndarray) and a.dtype == np.float64 and a.ndim == 2 and a.shape == arrays[0].shape
        and a.shape[1:] == n_outputs and a.shape[0] > 0 and np.all(np.isfinite(a)) and np.all(a >= 0)
        for a in arrays
    ):
        raise InvalidModelFileError(
            "its conformal calibration is not a pair of finite, non-negative float64 arrays with one column per output"
        )
