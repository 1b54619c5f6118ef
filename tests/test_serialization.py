"""save() / load(): round trips, the manifest, atomic writes, and refusing to save what cannot be stored safely.

Tampered files that load() refuses are in test_tampered_files.py."""

import copy
import hashlib
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, ShuffleSplit
from sklearn.tree import DecisionTreeRegressor

import ensembleprune.serialization as serialization
from ensembleprune import (
    CompactMLP,
    PrunedEnsembleRegressor,
    UnsafeToSaveError,
    __version__,
    load,
    save,
)


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
    assert [member["architecture"] for member in manifest["members"]] == [[12, 32, 16, 1]] * 2
    assert manifest["combiner"]["method"] == "stack"
    assert manifest["combiner"]["meta_learners"][0]["class"] == "Ridge"
    assert set(entries) == {"manifest.json"} | {f"arrays/{name}.npy" for name in manifest["arrays"]}
    for name, spec in manifest["arrays"].items():
        array = np.load(io.BytesIO(entries[f"arrays/{name}.npy"]), allow_pickle=False)
        assert [list(array.shape), array.dtype.str] == [spec["shape"], spec["dtype"]]
        assert hashlib.sha256(array.tobytes()).hexdigest() == spec["sha256"]
    assert manifest["arrays"]["members/0/layers/0/indices"]["dtype"] == "|u1"  # 12 inputs fit in 8 bits
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

    monkeypatch.setattr(serialization.np.lib.format, "write_array", fail)
    with pytest.raises(OSError, match="disk full"):
        save(stacked, path)
    assert [p.name for p in tmp_path.iterdir()] == ["ensemble.epz"]
    assert path.read_bytes() == saved.read_bytes()
