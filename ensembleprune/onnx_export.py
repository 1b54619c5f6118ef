"""Export a fitted ensemble, or a scikit-learn pipeline ending in one, to ONNX.

One graph holds the whole prediction: each member after dead-unit removal (its
layers, sparse ones stored as their nonzeros; see ``_onnx_graph.py`` for how
ONNX Runtime runs them), the combiner (mean, median, selection weights or a linear meta-learner) and the
target's de-standardization or, for a classifier, the label and probabilities
that skl2onnx's classifiers output. The members run in float32, as
:class:`~ensembleprune.CompactMLP` runs them; everything after them (member
probabilities renormalized, combined, de-standardized) runs in float64, as
the estimators' ``predict`` does, and is cast to float32 at the end.

The converters are registered with skl2onnx (:func:`register_onnx_converters`),
so that ``skl2onnx.to_onnx`` also converts a ``Pipeline`` whose last step is an
ensemble. ONNX, ONNX Runtime and skl2onnx are an optional extra:
``pip install ensembleprune[onnx]``.
"""

import numpy as np

from ._files import atomic_write
from ._onnx_graph import GraphBuilder

# ScatterElements with reduction="add" (densifying a sparse layer for batches) needs opset 16.
MIN_OPSET = 16
INSTALL_HINT = "pip install ensembleprune[onnx]"


def require_onnx():
    """Import skl2onnx (which imports onnx), or say how to install the extra."""
    try:
        import onnx  # noqa: F401
        import skl2onnx
    except ImportError as error:
        raise ImportError(f"ONNX export needs onnx and skl2onnx ({error}); install them with: {INSTALL_HINT}") from None
    return skl2onnx


def register_onnx_converters():
    """Register the ensembles' shape calculators and converters with skl2onnx.

    After this call ``skl2onnx.to_onnx`` converts a ``PrunedEnsembleRegressor``,
    a ``PrunedEnsembleClassifier`` and pipelines that end in one; :func:`to_onnx`
    calls it. Calling it again does no harm.

    Raises
    ------
    ImportError
        If the ``onnx`` extra is not installed.
    """
    skl2onnx = require_onnx()
    from .classifier import PrunedEnsembleClassifier
    from .ensemble import PrunedEnsembleRegressor

    skl2onnx.update_registered_converter(
        PrunedEnsembleRegressor, "EnsemblePrunePrunedEnsembleRegressor", _regressor_shape, _convert_regressor,
        options={"sparse_one_row": [True, False]})
    # The options every skl2onnx classifier declares, so that its parser adds ZipMap or not as usual.
    skl2onnx.update_registered_converter(
        PrunedEnsembleClassifier, "EnsemblePrunePrunedEnsembleClassifier", _classifier_shape, _convert_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False], "sparse_one_row": [True, False]})


def to_onnx(model, target_opset=None, zipmap=False, sparse_one_row=True):
    """Convert a fitted ensemble, or a pipeline ending in one, to an ONNX model.

    Parameters
    ----------
    model : PrunedEnsembleRegressor, PrunedEnsembleClassifier or Pipeline
        Fitted. A pipeline's other steps need skl2onnx converters of their own
        (scikit-learn's scalers and encoders have them) and numeric input.
    target_opset : int, default=None
        The ONNX opset (at least 16); None means skl2onnx's latest tested one.
    zipmap : bool or "columns", default=False
        For a classifier: False outputs the probabilities as a float32 tensor
        of shape (n_samples, n_classes); True or "columns" add skl2onnx's
        ZipMap (a list of dictionaries, or a column per class).
    sparse_one_row : bool, default=True
        Run a batch of one row through the sparse layers' nonzero weights
        only (gathers), as the compact runtime does, and other batches through
        dense ``Gemm``; False runs every batch through ``Gemm``. Either way the
        file stores sparse layers as their nonzeros (see ``_onnx_graph.py``).

    Returns
    -------
    onnx.ModelProto
        One input ``X``: float32 of shape (n_samples, n_features_in_). A
        regressor outputs ``variable``, float32 of shape (n_samples,
        n_outputs); a classifier ``label`` (int64 or string, shape
        (n_samples,)) and ``probabilities``.

    Raises
    ------
    ImportError
        If the ``onnx`` extra is not installed.
    ValueError
        If ``model`` is not fitted, or has a part the graph cannot hold (a
        stacking meta-learner that is not linear).
    """
    skl2onnx = require_onnx()
    from skl2onnx.common.data_types import FloatTensorType
    from skl2onnx.common.exceptions import MissingConverter, MissingShapeCalculator
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    if target_opset is not None and target_opset < MIN_OPSET:
        raise ValueError(f"target_opset must be at least {MIN_OPSET}, got {target_opset}")
    register_onnx_converters()
    from .classifier import PrunedEnsembleClassifier
    from .ensemble import PrunedEnsembleRegressor

    # Keyed by class, so that they reach the ensemble inside a pipeline too.
    options = {PrunedEnsembleRegressor: {"sparse_one_row": sparse_one_row},
               PrunedEnsembleClassifier: {"zipmap": zipmap, "sparse_one_row": sparse_one_row}}
    initial_types = [("X", FloatTensorType([None, model.n_features_in_]))]
    try:
        return skl2onnx.to_onnx(model, initial_types=initial_types, target_opset=target_opset, options=options)
    except (MissingConverter, MissingShapeCalculator) as error:
        raise ValueError(f"skl2onnx cannot convert a part of this model ({type(error).__name__}: "
                         f"{str(error).splitlines()[0]}); export the ensemble alone, or a pipeline whose other "
                         "steps skl2onnx converts") from error


def save_onnx(model, path, **kwargs):
    """Write ``model`` (see :func:`to_onnx`, which takes ``kwargs``) to the ONNX file ``path``.

    The file is written under a temporary name and renamed once complete, so
    that a failed export never leaves part of a file at ``path``.

    Returns
    -------
    onnx.ModelProto
    """
    proto = to_onnx(model, **kwargs)
    content = proto.SerializeToString()
    atomic_write(path, lambda file: file.write(content))
    return proto


# ---------------------------------------------------------------- shape calculators


def _regressor_shape(operator):
    from skl2onnx.common.data_types import FloatTensorType

    n_outputs = len(operator.raw_operator.y_mean_)
    operator.outputs[0].type = FloatTensorType([operator.inputs[0].get_first_dimension(), n_outputs])


def _classifier_shape(operator):
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType

    n_samples = operator.inputs[0].get_first_dimension()
    labels = _label_values(operator.raw_operator.classes_)
    label_type = StringTensorType if labels.dtype.kind == "U" else Int64TensorType
    operator.outputs[0].type = label_type([n_samples])
    operator.outputs[1].type = FloatTensorType([n_samples, len(labels)])


def _label_values(classes):
    """The class labels as an ONNX tensor holds them: strings, or int64 (booleans as 0 and 1)."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "USO":
        return classes.astype(str)
    as_integers = classes.astype(np.int64)
    if not np.array_equal(as_integers, classes):
        raise ValueError(f"class labels {classes.tolist()} are neither strings nor whole numbers; an ONNX "
                         "classifier outputs labels as strings or int64")
    return as_integers


# ---------------------------------------------------------------- converters


def _convert_regressor(scope, operator, container):
    """skl2onnx converter of PrunedEnsembleRegressor: members, combiner, de-standardization."""
    model = operator.raw_operator
    build = GraphBuilder(scope, container)
    outputs = build.members_float64(model, operator.inputs[0].full_name, _sparse_one_row(scope, model))
    n_members, n_outputs = len(outputs), len(model.y_mean_)
    scale, mean = np.asarray(model.y_scale_, np.float64), np.asarray(model.y_mean_, np.float64)
    if model.combine == "median":
        # The median commutes with the increasing map to the units of y.
        combined = build.node("Add", [build.node("Mul", [build.median(outputs, n_outputs), build.constant(scale)]),
                                      build.constant(mean)])
    else:
        features = build.node("Concat", outputs, axis=1)
        # One weight matrix for every output: member k's output j is column k * n_outputs + j of features.
        weights, offset = np.zeros((n_members * n_outputs, n_outputs)), np.zeros(n_outputs)
        for j in range(n_outputs):
            if model.combine == "stack":
                coef, offset[j] = linear_form(model.final_estimators_[j], n_members, f"final_estimators_[{j}]")
            else:
                coef = model.member_weights_ if model.combine == "select" else np.full(n_members, 1 / n_members)
            weights[j::n_outputs, j] = coef
        # De-standardization folded into the weights, in float64.
        combined = build.weighted_sum(features, weights * scale, offset * scale + mean)
    build.cast(combined, np.float32, operator.outputs[0].full_name)


def _convert_classifier(scope, operator, container):
    """skl2onnx converter of PrunedEnsembleClassifier: members, combiner, label and probabilities."""
    model = operator.raw_operator
    build = GraphBuilder(scope, container)
    outputs = build.members_float64(model, operator.inputs[0].full_name, _sparse_one_row(scope, model))
    n_members, n_classes = len(outputs), len(model.classes_)
    ones = np.ones((n_classes, 1))
    if n_classes > 2:  # each member's softmax renormalized in float64, as member_proba does
        outputs = [build.node("Div", [proba, build.weighted_sum(proba, ones)]) for proba in outputs]
    # Two classes: a member outputs the second class's probability, which is also what stacking reads.
    features = build.node("Concat", outputs, axis=1)
    if model.combine == "stack":
        n_features = n_members * (n_classes if n_classes > 2 else 1)
        coef, intercept = logistic_form(model.final_estimators_[0], n_features, n_classes)
        scores = build.weighted_sum(features, coef, intercept)
        proba = build.node("Softmax", [scores], axis=1) if n_classes > 2 else build.node("Sigmoid", [scores])
        total = 1.0
    else:
        weights = model.member_weights_ if model.combine == "select" else np.full(n_members, 1 / n_members)
        if n_classes > 2:
            proba = build.weighted_sum(features, np.kron(weights[:, np.newaxis], np.eye(n_classes)))
        else:
            proba = build.weighted_sum(features, weights[:, np.newaxis])
        total = float(np.sum(weights))
    if n_classes == 2:
        proba = build.node("Concat", [build.node("Sub", [build.constant(np.array(total)), proba]), proba], axis=1)
    # Renormalized in float64, as predict_proba does.
    proba = build.node("Div", [proba, build.weighted_sum(proba, ones)])
    index = build.node("ArgMax", [proba], axis=1, keepdims=0)
    build.node("Gather", [build.constant(_labels(scope, model)), index], operator.outputs[0].full_name, axis=0)
    build.cast(proba, np.float32, operator.outputs[1].full_name)


def _sparse_one_row(scope, model):
    return scope.get_options(model, dict(sparse_one_row=True))["sparse_one_row"]


def _labels(scope, model):
    """The labels the ``label`` output holds: the classes, or their indices with skl2onnx's option ``nocl``."""
    if scope.get_options(model, dict(nocl=False))["nocl"]:
        return np.arange(len(model.classes_), dtype=np.int64)
    return _label_values(model.classes_)


# ---------------------------------------------------------------- meta-learners as weights


def _probe_rows(n_features):
    """Rows that a linear map's values on fix its coefficients (zero, unit vectors), then rows to check it on.

    The rows to check on span both signs and magnitudes from 1e-3 to 1e3 as well as the unit cube: a
    piecewise-constant model (a tree) can be constant over the cube alone, and member predictions are in
    the target's units, whatever they are.
    """
    corners = np.vstack([np.zeros(n_features), np.eye(n_features)])
    rng = np.random.default_rng(0)
    wide = rng.choice([-1.0, 1.0], size=(16, n_features)) * 10.0 ** rng.uniform(-3, 3, size=(16, n_features))
    return corners, np.vstack([rng.uniform(0, 1, size=(16, n_features)), wide])


def _not_linear(name, what):
    return ValueError(f"{name} ({what}) is not linear in the member predictions, so it has no ONNX form here; "
                      "export a model stacked with a linear meta-learner (the default, Ridge, LogisticRegression), "
                      "or one with combine='mean', 'median' or 'select'")


def _check_close(expected, got, name, what):
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-9):
        raise _not_linear(name, what)


def linear_form(estimator, n_features, name="final_estimator"):
    """``(coef, intercept)`` with ``estimator.predict(P) == P @ coef + intercept``, read from its predictions.

    Any regressor that is linear in its input qualifies (LinearRegression,
    Ridge, a pipeline of a scaler and Lasso); its coefficients are read from
    its predictions at zero and at the unit vectors, and checked on random rows.

    Raises
    ------
    ValueError
        If ``estimator``'s predictions are not linear.
    """
    corners, rows = _probe_rows(n_features)
    values = np.asarray(estimator.predict(corners), np.float64).reshape(-1)
    intercept, coef = values[0], values[1:] - values[0]
    _check_close(np.asarray(estimator.predict(rows), np.float64).reshape(-1), rows @ coef + intercept, name,
                 type(estimator).__name__)
    return coef, intercept


def logistic_form(estimator, n_features, n_classes, name="final_estimators_[0]"):
    """``(coef, intercept)`` of a logistic meta-learner, read from its ``decision_function`` and checked.

    ``predict_proba`` must be the sigmoid (two classes) or softmax (more) of
    ``P @ coef + intercept``, as for scikit-learn's ``LogisticRegression``.

    Returns
    -------
    coef : ndarray of shape (n_features, 1) for two classes, (n_features, n_classes) otherwise
    intercept : ndarray of shape (1,) or (n_classes,)

    Raises
    ------
    ValueError
        If ``estimator`` has no decision function or its probabilities are not of that form.
    """
    from scipy.special import expit, softmax

    kind = type(estimator).__name__
    if not hasattr(estimator, "decision_function"):
        raise _not_linear(name, f"{kind}, which has no decision_function")
    corners, rows = _probe_rows(n_features)
    values = np.asarray(estimator.decision_function(corners), np.float64).reshape(n_features + 1, -1)
    intercept, coef = values[0], values[1:] - values[0]
    scores = rows @ coef + intercept
    expected = softmax(scores, axis=1) if n_classes > 2 else np.hstack([1 - expit(scores), expit(scores)])
    _check_close(estimator.predict_proba(rows), expected, name, kind)
    return coef, intercept
