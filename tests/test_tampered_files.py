"""Fuzzed model files: loading a damaged or crafted file raises a clear error, never
crashes, never executes code, and never returns a model that predicts differently."""

import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


CRAFTED = {
    "wrong magic": _set(["magic"], "zip-bomb"),
    "future version": _set(["format_version"], 99),
    "version as text": _set(["format_version"], "1"),
    "unknown kind": _set(["kind"], "os.system"),
    "object dtype": lambda m: m["arrays"][_first_array(m)].update(dtype="|O"),
    "wrong shape": lambda m: m["arrays"][_first_array(m)].update(shape=[3, 3]),
    "negative shape": lambda m: m["arrays"][_first_array(m)].update(shape=[-1]),
    "wrong checksum": lambda m: m["arrays"][_first_array(m)].update(sha256="0" * 64),
    "path in array name": lambda m: m["arrays"].update({"../../etc/passwd": m["arrays"][_first_array(m)]}),
    "no members": _set(["members"], []),
    "members not a list": _set(["members"], {"__class__": "subprocess.Popen"}),
    "meta-learner class outside the list": lambda m: json.dumps(m).count("LinearRegression") and _replace_class(m),
}


def _replace_class(manifest):
    text = json.dumps(manifest).replace('"LinearRegression"', '"subprocess.Popen"')
    manifest.clear()
    manifest.update(json.loads(text))


@pytest.mark.parametrize("change", list(CRAFTED.values()), ids=list(CRAFTED))
def test_crafted_manifests_are_refused(saved, tmp_path, change):
    data, X, expected = saved
    assert not load_bytes(rewrite_manifest(data, change), tmp_path, X, expected)


def test_extra_entry_is_refused(saved, tmp_path):
    data, X, expected = saved
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("payload.pkl", b"cos\nsystem\n(S'echo pwned'\ntR.")
    assert not load_bytes(out.getvalue(), tmp_path, X, expected)


def test_the_untampered_file_loads(saved, tmp_path):
    data, X, expected = saved
    assert load_bytes(data, tmp_path, X, expected)
