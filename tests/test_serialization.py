"""save() / load(): round trips, the manifest, atomic writes, and refusing bad or unsafe files."""

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
    InvalidModelFileError,
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


def write_entries(path, entries):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def with_manifest(path, target, edit):
    """Copy ``path`` to ``target`` with ``edit(manifest)`` applied to its manifest."""
    entries = read_entries(path)
    manifest = json.loads(entries["manifest.json"])
    edit(manifest)
    entries["manifest.json"] = json.dumps(manifest).encode()
    write_entries(target, entries)
    return target


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


def _truncate(saved, target, keep):
    data = saved.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def _flip_array_byte(saved, target):
    data = bytearray(saved.read_bytes())
    start = data.index(b"\x93NUMPY", data.index(b"members/0/layers/0/data.npy"))
    data[start + 140] ^= 0xFF  # inside the array's values, past its 128-byte .npy header
    target.write_bytes(bytes(data))
    return target


def _object_array(saved, target, marker):
    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    entries = read_entries(saved)
    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload()], dtype=object), allow_pickle=True)
    entries["arrays/members/0/layers/0/data.npy"] = buffer.getvalue()
    write_entries(target, entries)
    return target


def _set_spec(name, key, value):
    def edit(manifest):
        manifest["arrays"][name][key] = value

    return edit


CORRUPTIONS = {
    "empty": (lambda saved, target: _truncate(saved, target, 0), "not a zip archive"),
    "truncated_start": (lambda saved, target: _truncate(saved, target, 0.1), "not a zip archive"),
    "truncated_end": (lambda saved, target: _truncate(saved, target, 0.999), "not a zip archive"),
    "flipped_array_byte": (_flip_array_byte, "CRC|sha256"),
    "wrong_magic": (lambda s, t: with_manifest(s, t, lambda m: m.update(magic="other")), "magic"),
    "newer_version": (lambda s, t: with_manifest(s, t, lambda m: m.update(format_version=2)), "upgrade"),
    "wrong_shape": (lambda s, t: with_manifest(s, t, _set_spec("attributes/y_mean_", "shape", [2])), "manifest says"),
    "wrong_checksum": (lambda s, t: with_manifest(s, t, _set_spec("attributes/y_mean_", "sha256", "0" * 64)), "sha256"),
    "object_dtype": (lambda s, t: with_manifest(s, t, _set_spec("attributes/y_mean_", "dtype", "|O")), "numeric"),
    "unknown_type": (lambda s, t: with_manifest(s, t, lambda m: m["estimator"]["params"].update(
        n_jobs={"__type__": "function", "name": "os.system"})), "unknown"),
    "foreign_class": (lambda s, t: with_manifest(s, t, lambda m: m["combiner"]["meta_learners"][0].update(
        **{"class": "DecisionTreeRegressor"})), "not one of the linear"),
    "foreign_splitter": (lambda s, t: with_manifest(s, t, lambda m: m["estimator"]["params"].update(
        cv={"__type__": "splitter", "class": "GroupKFold", "params": {}})), "not one of"),
    "splitter_object_parameter": (lambda s, t: with_manifest(s, t, lambda m: m["estimator"]["params"].update(
        cv={"__type__": "splitter", "class": "KFold", "params": {"n_splits": {"__type__": "tuple", "items": []}}})),
        "plain"),
    "splitter_bad_parameter": (lambda s, t: with_manifest(s, t, lambda m: m["estimator"]["params"].update(
        cv={"__type__": "splitter", "class": "KFold", "params": {"n_splits": 1}})), "invalid"),
    "shadowing_attribute": (lambda s, t: with_manifest(s, t, lambda m: m["estimator"]["attributes"].update(
        predict=1)), "not allowed"),
    "mismatched_parts": (lambda s, t: with_manifest(s, t, lambda m: m["estimator"]["attributes"].update(
        n_features_in_=5)), "different numbers of features"),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_load_refuses_bad_files_with_a_clear_error(saved, tmp_path, corruption):
    corrupt, message = CORRUPTIONS[corruption]
    path = corrupt(saved, tmp_path / "bad.epz")
    with pytest.raises(InvalidModelFileError, match=message):
        load(path)


def test_load_never_unpickles(saved, tmp_path):
    marker = tmp_path / "unpickled"
    path = _object_array(saved, tmp_path / "pickle.epz", marker)
    with pytest.raises(InvalidModelFileError, match="allow_pickle"):
        load(path)
    assert not marker.exists()

