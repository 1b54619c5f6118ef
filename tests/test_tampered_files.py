"""Tampered model files, in one list of cases, and fuzzed ones: loading a damaged or crafted
file raises a clear error, never crashes, never executes code, and never returns a model that
predicts differently."""

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ensembleprune import PrunedEnsembleRegressor
from ensembleprune.serialization import InvalidModelFileError, load, save

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def saved(tmp_path_factory, tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(early_stopping=False, n_members=2, sparsities=(0.6, 0.9), hidden_layer_sizes=(16, 8), epochs=3,
                                    batch_size=32, combine="stack", cv=2, random_state=0).fit(X, y)
    path = tmp_path_factory.mktemp("model") / "model.epz"
    save(model, path)
    return path.read_bytes(), X[:50], model.predict(X[:50])


def load_bytes(data, tmp_path, X, expected):
    """Either a clear error, or a model that predicts exactly as the original."""
    path = tmp_path / "tampered.epz"
    path.write_bytes(data)
    try:
        model = load(path)
    except InvalidModelFileError as error:
        assert str(tmp_path) in str(error)
        return False
    np.testing.assert_array_equal(model.predict(X), expected)
    return True


@FUZZ
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=4))
def test_byte_flips(saved, tmp_path, flips):
    data, X, expected = saved
    damaged = bytearray(data)
    for where, mask in flips:
        damaged[int(where * len(damaged))] ^= mask
    load_bytes(bytes(damaged), tmp_path, X, expected)


@FUZZ
@given(keep=st.floats(0, 1, exclude_max=True))
def test_truncations(saved, tmp_path, keep):
    data, X, expected = saved
    assert not load_bytes(data[: int(keep * len(data))], tmp_path, X, expected)


def rewrite_manifest(data, change):
    """A copy of the model file whose manifest ``change(manifest)`` has edited."""
    source = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(source.read("manifest.json"))
    change(manifest)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("manifest.json", json.dumps(manifest))
        for name in source.namelist():
            if name != "manifest.json":
                target.writestr(name, source.read(name))
    return out.getvalue()


def _set(path, value):
    def change(manifest):
        node = manifest
        for key in path[:-1]:
            node = node[key] if not isinstance(node, list) else node[int(key)]
        node[path[-1]] = value

    return change


def _first_array(manifest):
    return sorted(manifest["arrays"])[0]


def _truncated(keep):
    return lambda data: data[: int(len(data) * keep)]


def _flip_array_byte(data):
    data = bytearray(data)
    start = data.index(b"\x93NUMPY", data.index(b"members/0/layers/0/data.npy"))
    data[start + 140] ^= 0xFF  # inside the array's values, past its 128-byte .npy header
    return bytes(data)


def _manifest(change):
    return lambda data: rewrite_manifest(data, change)


def _set_spec(name, key, value):
    def change(manifest):
        manifest["arrays"][name][key] = value

    return change


def _replace_class(manifest):
    text = json.dumps(manifest).replace('"LinearRegression"', '"subprocess.Popen"')
    manifest.clear()
    manifest.update(json.loads(text))


def _set_param(name, value):
    return lambda manifest: manifest["estimator"]["params"].update({name: value})


# Every tampering case: how the file is damaged, and what the error says (None: any clear error).
TAMPERED = {
    "empty": (_truncated(0), "not a zip archive"),
    "truncated start": (_truncated(0.1), "not a zip archive"),
    "truncated end": (_truncated(0.999), "not a zip archive"),
    "flipped array byte": (_flip_array_byte, "CRC|sha256"),
    "wrong magic": (_manifest(_set(["magic"], "zip-bomb")), None),
    "other magic": (_manifest(lambda m: m.update(magic="other")), "magic"),
    "future version": (_manifest(_set(["format_version"], 99)), None),
    "newer version": (_manifest(lambda m: m.update(format_version=2)), "upgrade"),
    "version as text": (_manifest(_set(["format_version"], "1")), None),
    "unknown kind": (_manifest(_set(["kind"], "os.system")), None),
    "object dtype": (_manifest(lambda m: m["arrays"][_first_array(m)].update(dtype="|O")), None),
    "object dtype of an attribute": (_manifest(_set_spec("attributes/y_mean_", "dtype", "|O")), "numeric"),
    "wrong shape": (_manifest(lambda m: m["arrays"][_first_array(m)].update(shape=[3, 3])), None),
    "wrong shape of an attribute": (_manifest(_set_spec("attributes/y_mean_", "shape", [2])), "manifest says"),
    "negative shape": (_manifest(lambda m: m["arrays"][_first_array(m)].update(shape=[-1])), None),
    "wrong checksum": (_manifest(lambda m: m["arrays"][_first_array(m)].update(sha256="0" * 64)), None),
    "wrong checksum of an attribute": (_manifest(_set_spec("attributes/y_mean_", "sha256", "0" * 64)), "sha256"),
    "path in array name": (
        _manifest(lambda m: m["arrays"].update({"../../etc/passwd": m["arrays"][_first_array(m)]})), None),
    "no members": (_manifest(_set(["members"], [])), None),
    "members not a list": (_manifest(_set(["members"], {"__class__": "subprocess.Popen"})), None),
    "meta-learner class outside the list": (
        _manifest(lambda m: json.dumps(m).count("LinearRegression") and _replace_class(m)), None),
    "foreign meta-learner class": (_manifest(lambda m: m["combiner"]["meta_learners"][0].update(
        **{"class": "DecisionTreeRegressor"})), "not one of the linear"),
    "unknown type": (_manifest(_set_param("n_jobs", {"__type__": "function", "name": "os.system"})), "unknown"),
    "foreign splitter": (
        _manifest(_set_param("cv", {"__type__": "splitter", "class": "GroupKFold", "params": {}})), "not one of"),
    "splitter object parameter": (_manifest(_set_param("cv", {"__type__": "splitter", "class": "KFold", "params": {
        "n_splits": {"__type__": "tuple", "items": []}}})), "plain"),
    "splitter bad parameter": (
        _manifest(_set_param("cv", {"__type__": "splitter", "class": "KFold", "params": {"n_splits": 1}})), "invalid"),
    "shadowing attribute": (_manifest(lambda m: m["estimator"]["attributes"].update(predict=1)), "not allowed"),
    "calibration without spreads": (_manifest(lambda m: m["estimator"]["attributes"].update(
        calibration_residuals_={"__type__": "array", "name": "attributes/y_mean_"})), "conformal calibration"),
    "calibration of the wrong shape": (_manifest(lambda m: m["estimator"]["attributes"].update(
        calibration_residuals_={"__type__": "array", "name": "attributes/y_mean_"},
        calibration_spreads_={"__type__": "array", "name": "attributes/y_mean_"})), "conformal calibration"),
    "mismatched parts": (
        _manifest(lambda m: m["estimator"]["attributes"].update(input_encoding_=None)), "different numbers of features"),
    "encoding of the wrong dtype": (_manifest(lambda m: m["estimator"]["attributes"]["input_encoding_"].update(
        features={"__type__": "array", "name": "attributes/input_encoding_/scale"})), "input encoding is malformed"),
}


@pytest.mark.parametrize("case", list(TAMPERED), ids=list(TAMPERED))
def test_tampered_files_are_refused_with_a_clear_error(saved, tmp_path, case):
    tamper, message = TAMPERED[case]
    data, X, expected = saved
    path = tmp_path / "tampered.epz"
    path.write_bytes(tamper(data))
    with pytest.raises(InvalidModelFileError, match=message) as error:
        load(path)
    assert str(tmp_path) in str(error.value)


def test_extra_entry_is_refused(saved, tmp_path):
    data, X, expected = saved
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("payload.pkl", b"cos\nsystem\n(S'echo pwned'\ntR.")
    assert not load_bytes(out.getvalue(), tmp_path, X, expected)


def test_load_never_unpickles(saved, tmp_path):
    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    data, _, _ = saved
    marker = tmp_path / "unpickled"
    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload()], dtype=object), allow_pickle=True)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            payload = buffer.getvalue() if name == "arrays/members/0/layers/0/data.npy" else source.read(name)
            target.writestr(name, payload)
    path = tmp_path / "pickle.epz"
    path.write_bytes(out.getvalue())
    with pytest.raises(InvalidModelFileError, match="allow_pickle"):
        load(path)
    assert not marker.exists()


def test_the_untampered_file_loads(saved, tmp_path):
    data, X, expected = saved
    assert load_bytes(data, tmp_path, X, expected)


# Pipeline files: the tree of preprocessing around the ensemble.


@pytest.fixture(scope="module")
def saved_pipeline(tmp_path_factory, tiny_regression):
    X, y = tiny_regression
    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"]).assign(color=np.array(["red", "blue"])[np.arange(300) % 2])
    frame.loc[::5, "a"] = np.nan
    numbers = make_pipeline(SimpleImputer(), StandardScaler())
    prep = ColumnTransformer([("numbers", numbers, ["a", "b", "c"]), ("color", OneHotEncoder(sparse_output=False),
                                                                       ["color"])])
    model = Pipeline([("prep", prep), ("model", PrunedEnsembleRegressor(
        n_members=2, sparsities=(0.5, 0.7), hidden_layer_sizes=(8,), epochs=3, combine="mean", early_stopping=False,
        random_state=0))]).fit(frame, y)
    path = tmp_path_factory.mktemp("pipeline") / "pipeline.epz"
    save(model, path)
    return path.read_bytes(), frame[:20], model.predict(frame[:20])


def _objects(node, name):
    """Every object of class ``name`` in a manifest's pipeline tree."""
    if isinstance(node, dict):
        if node.get("__type__") == "object" and node.get("class") == name:
            yield node
        for item in node.values():
            yield from _objects(item, name)
    elif isinstance(node, list):
        for item in node:
            yield from _objects(item, name)


def _in_every(name, change):
    """Tamper with every object of class ``name`` (the fitted one and its unfitted template)."""
    def tamper(manifest):
        for node in list(_objects(manifest["pipeline"], name)):
            change(node)

    return _manifest(tamper)


def _fitted(name, attribute, value):
    return _in_every(name, lambda node: node["attributes"] and node["attributes"].update({attribute: value}))


TAMPERED_PIPELINES = {
    "class outside the list": (_in_every("StandardScaler", lambda node: node.update({"class": "subprocess.Popen"})),
                               "not one that a model file may hold"),
    "class of another step": (_in_every("StandardScaler", lambda node: node.update({"class": "PolynomialFeatures"})),
                              "not one that a model file may hold"),
    "function given by name": (_in_every("StandardScaler", lambda node: node.update(
        {"class": "FunctionTransformer", "params": {"func": "os.system"}, "attributes": {}})), "invalid"),
    "unknown parameter": (_in_every("SimpleImputer", lambda node: node["params"].update(evil=1)), "no parameters"),
    "invalid parameter": (_in_every("SimpleImputer", lambda node: node["params"].update(strategy="evil")), "invalid"),
    "shadowing attribute": (_fitted("StandardScaler", "_validate_params", 1), "not allowed"),
    "attribute that is not fitted state": (_fitted("StandardScaler", "strategy", 1), "neither fitted nor private"),
    "attribute of an unknown type": (_fitted("StandardScaler", "mean_", {"__type__": "function", "name": "exec"}),
                                     "unknown or malformed"),
    "array of another shape": (_fitted("StandardScaler", "mean_", {"__type__": "array",
                                                                   "name": "members/0/layers/0/data"}),
                               "does not predict on its probe row"),
    "disallowed dtype": (_fitted("SimpleImputer", "_fit_dtype", {"__type__": "dtype", "str": "|V8"}), "malformed"),
    "object in an object array": (_fitted("OneHotEncoder", "categories_", [
        {"__type__": "object_array", "shape": [1], "values": [{"__class__": "os.system"}]}]), "malformed"),
    "category changed": (_fitted("OneHotEncoder", "categories_", [
        {"__type__": "object_array", "shape": [2], "values": ["green", "red"]}]), "probe row"),
    "ensemble in a transformer's place": (_in_every("StandardScaler", lambda node: node.clear() or node.update(
        {"__type__": "ensemble"})), "is a object"),
    "unfitted ensemble at the end": (_manifest(lambda m: m["pipeline"]["params"]["steps"][1]["items"].__setitem__(
        1, {"__type__": "object", "class": "PrunedEnsembleRegressor", "params": {}, "attributes": {}})),
        "does not end in its ensemble"),
    "kind of another tree": (_manifest(lambda m: m.update(kind="TransformedTargetRegressor")), "its kind says"),
    "unknown ensemble kind": (_manifest(lambda m: m.update(ensemble_kind="os.system")), "unknown ensemble kind"),
    "probe row changed": (_manifest(lambda m: m["probe"]["row"].__setitem__(3, "purple")), "probe row"),
}


@pytest.mark.parametrize("case", list(TAMPERED_PIPELINES), ids=list(TAMPERED_PIPELINES))
def test_tampered_pipeline_files_are_refused_with_a_clear_error(saved_pipeline, tmp_path, case):
    tamper, message = TAMPERED_PIPELINES[case]
    path = tmp_path / "tampered.epz"
    path.write_bytes(tamper(saved_pipeline[0]))
    with pytest.raises(InvalidModelFileError, match=message) as error:
        load(path)
    assert str(tmp_path) in str(error.value)


def test_the_untampered_pipeline_file_loads(saved_pipeline, tmp_path):
    data, X, expected = saved_pipeline
    path = tmp_path / "pipeline.epz"
    path.write_bytes(data)
    np.testing.assert_array_equal(load(path).predict(X), expected)
