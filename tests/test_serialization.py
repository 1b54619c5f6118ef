"""save() / load(): round trips, the manifest, atomic writes, and refusing to save what cannot be stored safely.

Tampered files that load() refuses are in test_tampered_files.py."""

import copy
import hashlib
import io
import json
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, ShuffleSplit
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)
from sklearn.tree import DecisionTreeRegressor

from ensembleprune import (
    CompactMLP,
    PrunedEnsembleClassifier,
    PrunedEnsembleRegressor,
    UnsafeToSaveError,
    __version__,
    load,
    save,
)
from ensembleprune.encoding import encoded_width


@pytest.fixture(scope="module")
def stacked(tiny_regression):
    X, y = tiny_regression
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return PrunedEnsembleRegressor(early_stopping=False, n_members=2, sparsities=(0.5, 0.9), hidden_layer_sizes=(32, 16), epochs=3,
                                   batch_size=64, combine="stack", final_estimator=Ridge(alpha=0.5), cv=2,
                                   random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def saved(stacked, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "ensemble.epz"
    save(stacked, path)
    return path


def read_entries(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_ensemble_round_trip_keeps_params_attributes_and_exact_predictions(stacked, saved, tiny_regression):
    X, _ = tiny_regression
    X = pd.DataFrame(X, columns=stacked.feature_names_in_)
    loaded = load(saved)
    assert type(loaded) is PrunedEnsembleRegressor
    params = loaded.get_params(deep=False)
    assert params.keys() == stacked.get_params(deep=False).keys()
    for name, value in stacked.get_params(deep=False).items():
        if name == "final_estimator":
            assert type(params[name]) is Ridge and params[name].get_params() == value.get_params()
        else:
            assert params[name] == value and type(params[name]) is type(value), name
    for name in ("member_sparsities_", "member_seeds_", "y_mean_", "y_scale_", "feature_names_in_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(stacked, name))
        assert getattr(loaded, name).dtype == getattr(stacked, name).dtype
    assert loaded.member_layer_sparsity_ == stacked.member_layer_sparsity_
    assert loaded.history_ == stacked.history_
    assert loaded.n_features_in_ == stacked.n_features_in_
    for key, array in stacked.input_encoding_.items():
        np.testing.assert_array_equal(loaded.input_encoding_[key], array)
        assert loaded.input_encoding_[key].dtype == array.dtype
    for got, want in zip(loaded.members_, stacked.members_):
        assert got.architecture == want.architecture
        np.testing.assert_array_equal(got.used_features_, want.used_features_)
    np.testing.assert_array_equal(loaded.final_estimators_[0].coef_, stacked.final_estimators_[0].coef_)
    for got, want in zip(loaded.predict(X, return_std=True), stacked.predict(X, return_std=True)):
        np.testing.assert_array_equal(got, want)


def test_manifest_declares_versions_architecture_combiner_and_every_array(stacked, saved):
    entries = read_entries(saved)
    manifest = json.loads(entries["manifest.json"])
    assert (manifest["magic"], manifest["format_version"], manifest["package_version"]) == (
        "ensembleprune-model", 1, __version__)
    # The first network reads the 12 features and their encoded columns; the second network (by turns) and the
    # linear member the features alone: each architecture is that of the weights it trained.
    n_inputs = encoded_width(12, stacked.input_encoding_)
    assert n_inputs > 12 and {"attributes/input_encoding_/features", "attributes/input_encoding_/scale"} <= set(
        manifest["arrays"])
    architectures = [member["architecture"] for member in manifest["members"]]
    assert architectures == [[n_inputs, 32, 16, 1], [12, 32, 16, 1], [12, 1]]
    assert manifest["combiner"]["method"] == "stack"
    assert manifest["combiner"]["meta_learners"][0]["class"] == "Ridge"
    assert set(entries) == {"manifest.json"} | {f"arrays/{name}.npy" for name in manifest["arrays"]}
    for name, spec in manifest["arrays"].items():
        array = np.load(io.BytesIO(entries[f"arrays/{name}.npy"]), allow_pickle=False)
        assert [list(array.shape), array.dtype.str] == [spec["shape"], spec["dtype"]]
        assert hashlib.sha256(array.tobytes()).hexdigest() == spec["sha256"]
    # Column indices in the smallest type that holds them: 16 bits for the encoded member's inputs, 8 for 12.
    assert manifest["arrays"]["members/0/layers/0/indices"]["dtype"] == np.min_scalar_type(n_inputs - 1).str
    assert manifest["arrays"]["members/1/layers/0/indices"]["dtype"] == "|u1"
    # Arrays are stored as .npy, bit for bit, not as JSON numbers.
    assert manifest["estimator"]["attributes"]["y_mean_"] == {"__type__": "array", "name": "attributes/y_mean_"}


def test_saving_twice_gives_the_same_bytes(stacked, saved, tmp_path):
    save(stacked, tmp_path / "again.epz")
    assert (tmp_path / "again.epz").read_bytes() == saved.read_bytes()


def test_compact_member_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    kernels = [rng.normal(size=(8, 6)) * (rng.random((8, 6)) < 0.4), rng.normal(size=(6, 2))]
    member = CompactMLP.from_weights(kernels, [rng.normal(size=6), rng.normal(size=2)], ["tanh", "linear"])
    save(member, tmp_path / "member.epz")
    loaded = load(tmp_path / "member.epz")
    assert type(loaded) is CompactMLP and loaded.architecture == member.architecture
    X = rng.normal(size=(20, 8))
    np.testing.assert_array_equal(loaded.predict(X), member.predict(X))


def test_a_meta_learner_that_needs_pickle_is_refused_and_nothing_is_written(stacked, saved, tmp_path):
    tree = copy.copy(stacked)
    tree.final_estimators_ = [DecisionTreeRegressor().fit(np.zeros((4, 2)), np.arange(4))]
    path = tmp_path / "tree.epz"
    with pytest.raises(UnsafeToSaveError, match="DecisionTreeRegressor meta-learner cannot be stored"):
        save(tree, path)
    seeded = copy.copy(stacked).set_params(random_state=np.random.RandomState(0))
    with pytest.raises(UnsafeToSaveError, match="random_state"):
        save(seeded, path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cv", [KFold(3, shuffle=True, random_state=7), ShuffleSplit(4, test_size=0.25)])
def test_a_splitter_as_cv_is_stored_by_class_and_parameters(stacked, tmp_path, cv):
    path = tmp_path / "splitter.epz"
    save(copy.copy(stacked).set_params(cv=cv), path)
    loaded = load(path).cv
    assert type(loaded) is type(cv) and loaded is not cv
    assert repr(loaded) == repr(cv)


def test_a_splitter_with_a_random_state_object_is_refused(stacked, tmp_path):
    seeded = copy.copy(stacked).set_params(cv=KFold(3, shuffle=True, random_state=np.random.RandomState(0)))
    with pytest.raises(UnsafeToSaveError, match="integer random_state"):
        save(seeded, tmp_path / "splitter.epz")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_previous_file_whole(stacked, saved, tmp_path, monkeypatch):
    path = tmp_path / "ensemble.epz"
    path.write_bytes(saved.read_bytes())

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", fail)
    with pytest.raises(OSError, match="disk full"):
        save(stacked, path)
    assert [p.name for p in tmp_path.iterdir()] == ["ensemble.epz"]
    assert path.read_bytes() == saved.read_bytes()


# Pipelines: preprocessing saved with the ensemble, from an allow-list, refused before writing otherwise.

TINY = dict(n_members=2, sparsities=(0.5, 0.7), hidden_layer_sizes=(8,), epochs=3, combine="mean",
            early_stopping=False, random_state=0)


@pytest.fixture(scope="module")
def raw(tiny_regression):
    """A table as users have them: numbers with gaps, a category with gaps, an integer column."""
    X, y = tiny_regression
    frame = pd.DataFrame({"size": X[:, 0], "age": X[:, 1], "rooms": np.round(3 + 2 * X[:, 2]).astype(int),
                          "color": np.array(["red", "green", "blue"])[np.arange(len(y)) % 3]})
    frame.loc[::6, "size"] = np.nan
    frame.loc[::7, "color"] = np.nan
    return frame, y + (frame["color"] == "red")


def preprocessing():
    numbers = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    colors = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(sparse_output=False))
    return ColumnTransformer([("numbers", numbers, ["size", "age"]), ("one hot", colors, ["color"]),
                              ("rooms", MinMaxScaler(), [2])], remainder="drop")


@pytest.fixture(scope="module")
def pipelines(raw):
    """Each kind of pipeline that a model file stores, fitted on ``raw``."""
    X, y = raw
    labels = np.where(y > np.median(y), "high", "low")
    return {
        "regressor pipeline": Pipeline([("prep", preprocessing()),
                                        ("model", PrunedEnsembleRegressor(**TINY))]).fit(X, y),
        "classifier pipeline": make_pipeline(preprocessing(), PrunedEnsembleClassifier(**TINY)).fit(X, labels),
        "target scaler around a pipeline": TransformedTargetRegressor(
            make_pipeline(preprocessing(), PrunedEnsembleRegressor(**TINY)),
            transformer=RobustScaler()).fit(X, 100 * y),
        "pipeline ending in a target scaler": make_pipeline(preprocessing(), TransformedTargetRegressor(
            PrunedEnsembleRegressor(**TINY), transformer=MaxAbsScaler())).fit(X, y),
    }


@pytest.mark.parametrize("kind", ["regressor pipeline", "classifier pipeline", "target scaler around a pipeline",
                                  "pipeline ending in a target scaler"])
def test_a_pipeline_round_trips_with_its_preprocessing_and_exact_predictions(pipelines, raw, tmp_path, kind):
    pipeline, (X, _) = pipelines[kind], raw
    save(pipeline, tmp_path / "pipeline.epz")
    loaded = load(tmp_path / "pipeline.epz")
    assert type(loaded) is type(pipeline) and repr(loaded) == repr(pipeline)
    # Columns reordered, and one the pipeline does not know: picked by name, as in Python.
    shuffled = X.assign(id=[f"row {i}" for i in range(len(X))])[["id", "color", "rooms", "age", "size"]]
    np.testing.assert_array_equal(loaded.predict(shuffled), pipeline.predict(X))
    if hasattr(pipeline, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    prep = (loaded.regressor_ if kind.startswith("target") else loaded)[0]
    categories = prep.named_transformers_["one hot"][-1].categories_
    assert categories[0].dtype == object and categories[0].tolist() == ["blue", "green", "red"]
    save(loaded, tmp_path / "again.epz")  # the loaded pipeline saves to the same bytes
    assert (tmp_path / "again.epz").read_bytes() == (tmp_path / "pipeline.epz").read_bytes()


def test_a_pipeline_file_lists_each_class_and_a_probe_row(pipelines, tmp_path):
    save(pipelines["regressor pipeline"], tmp_path / "pipeline.epz")
    manifest = json.loads(read_entries(tmp_path / "pipeline.epz")["manifest.json"])
    assert (manifest["kind"], manifest["ensemble_kind"]) == ("Pipeline", "PrunedEnsembleRegressor")
    text = json.dumps(manifest["pipeline"])
    for name in ("ColumnTransformer", "SimpleImputer", "StandardScaler", "OneHotEncoder", "MinMaxScaler"):
        assert f'"class": "{name}"' in text
    assert text.count('{"__type__": "ensemble"}') == 1  # the ensemble is stored once, beside the tree
    assert manifest["probe"]["columns"] == ["size", "age", "rooms", "color"]
    assert manifest["probe"]["row"][3] in ("blue", "green", "red")


def _with_first_step(pipeline, name, step):
    return Pipeline([(name, step), *pipeline.steps])


@pytest.mark.parametrize("change, message", [
    (lambda p: _with_first_step(p, "log", FunctionTransformer(np.log1p)), "step 'log', is a FunctionTransformer with"),
    (lambda p: _with_first_step(p, "squares", PolynomialFeatures()), "step 'squares', is a PolynomialFeatures, which"),
    (lambda p: Pipeline([("prep", ColumnTransformer([("all", StandardScaler(), make_column_selector())])),
                         p.steps[-1]]), "transformer 'all', selects its columns with a function"),
    (lambda p: TransformedTargetRegressor(p, func=np.log1p, inverse_func=np.expm1), "with func=<ufunc 'log1p'>"),
    (lambda p: Pipeline([*p.steps[:-1], ("model", Ridge())]), "step 'model', is a Ridge"),
])
def test_a_pipeline_part_outside_the_allow_list_is_refused_before_writing(pipelines, tmp_path, change, message):
    path = tmp_path / "pipeline.epz"
    with pytest.raises(UnsafeToSaveError, match=re.escape(message)):
        save(change(pipelines["regressor pipeline"]), path)
    assert list(tmp_path.iterdir()) == []
