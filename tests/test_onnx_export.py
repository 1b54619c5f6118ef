"""ONNX export: ONNX Runtime predicts what the compact models predict, for every combiner, and the CLI's export."""

import copy
import sys

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor, save, save_onnx, to_onnx  # noqa: E402
from ensembleprune.cli import main  # noqa: E402
from ensembleprune.onnx_export import linear_form, logistic_form  # noqa: E402

TINY = dict(n_members=2, sparsities=(0.5, 0.8), hidden_layer_sizes=(16,), epochs=5, cv=2, random_state=0)
# Float32 members summed in another order than scipy's: about 1e-7 relative; the float32 output adds 6e-8.
RTOL = 1e-5


def run_onnx(model_or_proto, X):
    """The outputs of ONNX Runtime on ``X`` (as float32) for a model or an ONNX ModelProto."""
    proto = model_or_proto if hasattr(model_or_proto, "graph") else to_onnx(model_or_proto)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: np.asarray(X, dtype=np.float32)})


def assert_regression_parity(got, model, X):
    expected = model.predict(X).reshape(len(X), -1)
    assert got.shape == expected.shape
    # Predictions near zero get an absolute floor relative to the target's scale.
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL * 0.1 * np.max(model.y_scale_))


def assert_classification_parity(outputs, model, X):
    label, proba = outputs
    expected = model.predict_proba(X)
    # Probabilities near 0 get an absolute floor: a float32 member output 1 ulp away moves 1 - p by 6e-8.
    np.testing.assert_allclose(proba, expected, rtol=RTOL, atol=1e-6)
    np.testing.assert_array_equal(label, model.predict(X))


def wider_random_rows(X, n=200, seed=1):
    """Random rows spread three times as wide as ``X``'s columns, beyond the training range."""
    rng = np.random.default_rng(seed)
    return X.mean(axis=0) + 3 * X.std(axis=0) * rng.standard_normal((n, X.shape[1]))


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module", params=["mean", "median", "select", pytest.param("stack", marks=pytest.mark.slow)])
def regressor(request, diabetes):
    return PrunedEnsembleRegressor(combine=request.param, **TINY).fit(*diabetes)


def test_regressor_parity(regressor, diabetes):
    X, _ = diabetes
    for rows in (X, wider_random_rows(X)):
        assert_regression_parity(run_onnx(regressor, rows)[0], regressor, rows)


def test_parity_on_features_in_their_own_units():
    # Raw diabetes (ages in years, blood pressure in mm Hg, serum measurements): the standardization the
    # members learnt under lives in their first layers, and the graph computes it as the compact runtime does.
    X, y = load_diabetes(return_X_y=True, scaled=False)
    model = PrunedEnsembleRegressor(combine="select", **TINY).fit(X, y)
    for rows in (X, wider_random_rows(X)):
        assert_regression_parity(run_onnx(model, rows)[0], model, rows)


def test_regressor_output_is_named_like_skl2onnx_regressors(regressor):
    proto = to_onnx(regressor)
    assert [node.name for node in proto.graph.input] == ["X"]
    assert [node.name for node in proto.graph.output] == ["variable"]


@pytest.mark.slow
def test_stack_with_ridge_meta_learner_parity(diabetes):
    X, y = diabetes
    model = PrunedEnsembleRegressor(combine="stack", final_estimator=Ridge(alpha=3.0), **TINY).fit(X, y)
    # Ridge has an intercept, which the default convex meta-learner lacks.
    assert model.final_estimators_[0].intercept_ != 0
    assert_regression_parity(run_onnx(model, X)[0], model, X)


@pytest.mark.parametrize("combine", ["median", pytest.param("stack", marks=pytest.mark.slow)])
def test_multi_output_regressor_parity(tiny_regression, combine):
    X, y = tiny_regression
    Y = np.column_stack([y, 100 * X[:, 4] - 3 * y + 1000])
    model = PrunedEnsembleRegressor(combine=combine, **TINY).fit(X, Y)
    got = run_onnx(model, X)[0]
    assert got.shape == (len(X), 2)
    assert_regression_parity(got, model, X)


# Stacking trains the members of every fold too: over 10 s for each data set.
@pytest.fixture(scope="module", params=["mean", "select", pytest.param("stack", marks=pytest.mark.slow)])
def combine(request):
    return request.param


@pytest.fixture(scope="module")
def wine_classifier(combine):
    """Three classes with string labels."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    labels = np.array(["barolo", "grignolino", "barbera"])[y]
    return PrunedEnsembleClassifier(combine=combine, **TINY).fit(X, labels), X


@pytest.fixture(scope="module")
def cancer_classifier(combine):
    """Two classes with integer labels."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return PrunedEnsembleClassifier(combine=combine, **TINY).fit(X, y), X


def test_multiclass_parity(wine_classifier):
    model, X = wine_classifier
    for rows in (X, wider_random_rows(X)):
        outputs = run_onnx(model, rows)
        assert outputs[0].dtype.kind in "OU"  # string labels stay strings
        assert_classification_parity(outputs, model, rows)


def test_binary_parity(cancer_classifier):
    model, X = cancer_classifier
    for rows in (X, wider_random_rows(X)):
        outputs = run_onnx(model, rows)
        assert outputs[0].dtype == np.int64
        assert_classification_parity(outputs, model, rows)


def test_zipmap_outputs_a_dictionary_per_row(cancer_classifier):
    model, X = cancer_classifier
    _, rows = run_onnx(to_onnx(model, zipmap=True), X[:3])
    expected = model.predict_proba(X[:3])
    assert [sorted(row) for row in rows] == [[0, 1]] * 3
    np.testing.assert_allclose([[row[0], row[1]] for row in rows], expected, rtol=RTOL, atol=1e-6)


def test_pipeline_converts_with_skl2onnx():
    X, y = load_diabetes(return_X_y=True)
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("model", PrunedEnsembleRegressor(combine="select", **TINY))]).fit(X, y)
    to_onnx(pipeline)  # registers the converters
    proto = skl2onnx.to_onnx(pipeline, X[:1].astype(np.float32))
    got = run_onnx(proto, X)[0]
    # skl2onnx scales in float32 where scikit-learn scales in float64: the members see inputs 1e-7 apart.
    np.testing.assert_allclose(got.ravel(), pipeline.predict(X), rtol=RTOL)
    assert subgraph_ops(proto) >= {"Scaler", "Gemm", "MatMul"}


def test_classifier_pipeline_converts_with_skl2onnx():
    X, y = load_wine(return_X_y=True)
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("model", PrunedEnsembleClassifier(combine="mean", **TINY))]).fit(X, y)
    to_onnx(pipeline)  # registers the converters
    proto = skl2onnx.to_onnx(pipeline, X[:1].astype(np.float32), options={PrunedEnsembleClassifier: {"zipmap": False}})
    label, proba = run_onnx(proto, X)
    np.testing.assert_allclose(proba, pipeline.predict_proba(X), rtol=RTOL, atol=1e-6)
    np.testing.assert_array_equal(label, pipeline.predict(X))


def test_gather_reads_only_used_features(diabetes):
    X, y = diabetes
    # Very sparse members leave features without weights.
    model = PrunedEnsembleRegressor(combine="mean", **dict(TINY, sparsities=(0.97,))).fit(X, y)
    assert any(member.used_features_.size < member.n_features_in_ for member in model.members_)
    # A sparse first layer's nonzeros index the input's columns; a dense one reads the used features by Gather.
    for sparse_one_row in (True, False):
        proto = to_onnx(model, sparse_one_row=sparse_one_row)
        for rows in (X[:1], X):
            assert_regression_parity(run_onnx(proto, rows)[0], model, rows)


def test_the_input_encoding_is_computed_in_the_graph_as_in_python(diabetes):
    X, y = diabetes
    model = PrunedEnsembleRegressor(combine="mean", **TINY).fit(X, y)
    plain = PrunedEnsembleRegressor(combine="mean", input_encoding=None, **TINY).fit(X, y)
    assert model.input_encoding_ is not None and plain.input_encoding_ is None
    assert "Clip" in subgraph_ops(to_onnx(model)) and "Clip" not in subgraph_ops(to_onnx(plain))
    # Rows past the training range, where the encoded columns clip, as well as inside it.
    rows = np.vstack([X[:20], 3 * X[:20]])
    for sparse_one_row in (True, False):
        proto = to_onnx(model, sparse_one_row=sparse_one_row)
        for batch in (rows[:1], rows[-1:], rows):
            assert_regression_parity(run_onnx(proto, batch)[0], model, batch)


@pytest.fixture(scope="module")
def sparse_regressor(diabetes):
    """Members sparse enough that their layers are stored as padded nonzeros."""
    X, y = diabetes
    return PrunedEnsembleRegressor(combine="mean", **dict(TINY, hidden_layer_sizes=(64, 64), sparsities=(0.9,))).fit(X, y)


def subgraph_ops(proto):
    """The op types of the main graph and of every If branch."""
    ops = set()
    for node in proto.graph.node:
        ops.add(node.op_type)
        for attribute in node.attribute:
            if attribute.g.node:
                ops |= {inner.op_type for inner in attribute.g.node}
    return ops


def test_one_row_runs_through_the_nonzeros_and_batches_through_gemm(sparse_regressor, diabetes):
    X, _ = diabetes
    proto = to_onnx(sparse_regressor)
    assert {"If", "GatherElements", "ScatterElements", "Gemm"} <= subgraph_ops(proto)
    for k in range(5):  # one row at a time: the gathers
        assert_regression_parity(run_onnx(proto, X[k : k + 1])[0], sparse_regressor, X[k : k + 1])
    assert_regression_parity(run_onnx(proto, X)[0], sparse_regressor, X)
    # The file stores the sparse layers' nonzeros, not their dense kernels.
    dense_bytes = sum(layer.shape[0] * layer.shape[1] * 4 for m in sparse_regressor.members_ for layer in m.layers)
    assert len(proto.SerializeToString()) < dense_bytes


def test_sparse_one_row_false_runs_every_batch_through_gemm(sparse_regressor, diabetes):
    X, _ = diabetes
    proto = to_onnx(sparse_regressor, sparse_one_row=False)
    assert "If" not in subgraph_ops(proto) and "GatherElements" not in subgraph_ops(proto)
    assert_regression_parity(run_onnx(proto, X[:1])[0], sparse_regressor, X[:1])


def test_an_opset_below_16_is_refused(sparse_regressor):
    with pytest.raises(ValueError, match="target_opset must be at least 16"):
        to_onnx(sparse_regressor, target_opset=15)


# Meta-learners as weights.


def test_linear_form_reads_a_linear_regressor():
    rng = np.random.default_rng(0)
    P, target = rng.normal(size=(50, 3)), rng.normal(size=50)
    ridge = Ridge().fit(P, target)
    coef, intercept = linear_form(ridge, 3)
    np.testing.assert_allclose(coef, ridge.coef_, rtol=1e-9)
    np.testing.assert_allclose(intercept, ridge.intercept_, rtol=1e-9)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_form_reads_logistic_regression(n_classes):
    rng = np.random.default_rng(0)
    P = rng.uniform(size=(60, 4))
    learner = LogisticRegression().fit(P, np.arange(60) % n_classes)
    coef, intercept = logistic_form(learner, 4, n_classes)
    assert coef.shape == (4, 1 if n_classes == 2 else n_classes)
    np.testing.assert_allclose(P @ coef + intercept, learner.decision_function(P).reshape(60, -1), rtol=1e-9)


def test_a_non_linear_meta_learner_is_refused(model_file, tmp_path):
    # A fitted model made to stack its members with a tree, without fitting the folds' members.
    model = copy.deepcopy(model_file[1])
    model.combine = "stack"
    predictions = np.random.default_rng(0).normal(size=(40, len(model.members_)))
    model.final_estimators_ = [DecisionTreeRegressor(max_depth=3).fit(predictions, np.arange(40.0))]
    path = tmp_path / "model.onnx"
    with pytest.raises(ValueError, match="not linear in the member predictions"):
        save_onnx(model, path)
    assert list(tmp_path.iterdir()) == []  # no part of a file


@pytest.mark.parametrize("n_members", [1, 3])
def test_a_tree_constant_over_the_unit_cube_is_not_taken_for_linear(n_members):
    # Member predictions in the target's units (about 100 ± 50): every split of the tree lies outside
    # [0, 1], where it is constant, so only probe rows beyond the cube show it is not linear.
    predictions = np.random.default_rng(0).normal(100, 50, size=(40, n_members))
    tree = DecisionTreeRegressor(max_depth=3).fit(predictions, np.arange(40.0))
    with pytest.raises(ValueError, match="not linear in the member predictions"):
        linear_form(tree, n_members)


def test_a_pipeline_step_without_converter_is_named():
    from sklearn.preprocessing import SplineTransformer

    X = np.random.default_rng(0).normal(size=(60, 3))
    pipeline = Pipeline([("splines", SplineTransformer(n_knots=3, degree=1)),
                         ("model", PrunedEnsembleRegressor(combine="mean", **dict(TINY, epochs=1)))]).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="skl2onnx cannot convert a part of this model.*SplineTransformer"):
        to_onnx(pipeline)


def test_an_unfitted_model_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        to_onnx(PrunedEnsembleRegressor())


# The command line.


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, diabetes):
    X, y = diabetes
    # A quarter of the rows held out: 110, enough to judge the members on them (not out of fold). The ridge
    # member offered only (not "prefer"), so that networks are kept beside it and the file has several members.
    model = PrunedEnsembleRegressor(combine="select", validation_fraction=0.25, linear_member=True, **TINY).fit(X, y)
    path = tmp_path_factory.mktemp("model") / "model.epz"
    save(model, path)
    return path, model


def test_cli_export(model_file, tmp_path, diabetes, capsys):
    path, model = model_file
    X, _ = diabetes
    output = tmp_path / "model.onnx"
    assert main(["export", str(path), str(output)]) == 0
    assert "model.onnx: ONNX model" in capsys.readouterr().out
    import onnx

    assert_regression_parity(run_onnx(onnx.load(output), X)[0], model, X)


def test_cli_export_refuses_a_bad_model_file(tmp_path, capsys):
    bad = tmp_path / "notes.epz"
    bad.write_text("not a model file")
    output = tmp_path / "model.onnx"
    assert main(["export", str(bad), str(output)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("ensembleprune export: error:") and "notes.epz" in error
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.epz"]


def test_cli_export_names_the_extra_when_it_is_missing(model_file, tmp_path, monkeypatch, capsys):
    path, _ = model_file
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import skl2onnx now raises ImportError
    output = tmp_path / "model.onnx"
    assert main(["export", str(path), str(output)]) == 2
    assert "pip install ensembleprune[onnx]" in capsys.readouterr().err
    assert not output.exists()
