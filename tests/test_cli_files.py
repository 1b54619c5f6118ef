"""`ensembleprune inspect` and `ensembleprune predict` on model files."""

import csv

import numpy as np
import pandas as pd
import pytest

from ensembleprune import CompactMLP, PrunedEnsembleRegressor, save
from ensembleprune.cli import main


@pytest.fixture(scope="module")
def ensemble(tiny_regression):
    X, y = tiny_regression
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return PrunedEnsembleRegressor(combine="mean", early_stopping=False, n_members=2, sparsities=(0.5, 0.9),
                                   hidden_layer_sizes=(16,), epochs=3,
                                   batch_size=64, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def model_file(ensemble, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "ensemble.epz"
    save(ensemble, path)
    return path


def write_csv(path, header, rows):
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path):
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    return rows[0], np.array(rows[1:], dtype=float)


def test_inspect_prints_each_members_layers(model_file, ensemble, capsys):
    assert main(["inspect", str(model_file)]) == 0
    out = capsys.readouterr().out
    assert "PrunedEnsembleRegressor" in out and "combine: mean" in out
    for k, member in enumerate(ensemble.members_):
        assert f"member {k}: 12 -> 16 -> 1" in out
        assert f"used features {member.used_features_.size} of 12" in out
        assert f"{member.nbytes:,} bytes" in out
    assert out.count("  layer 0:") == 2 and "density" in out and "nonzeros" in out


def test_predict_writes_the_ensembles_predictions_matching_columns_by_name(model_file, ensemble, tiny_regression,
                                                                          tmp_path):
    X, y = tiny_regression
    names = [f"x{i}" for i in range(X.shape[1])]
    # Columns shuffled, and the target column present: columns are picked by name.
    order = np.random.default_rng(0).permutation(X.shape[1])
    data = write_csv(tmp_path / "data.csv", ["y"] + [names[i] for i in order],
                     [[repr(float(t))] + [repr(float(v)) for v in row[order]] for t, row in zip(y[:20], X[:20])])
    out = tmp_path / "out.csv"
    assert main(["predict", str(model_file), str(data), "--output", str(out), "--std"]) == 0
    header, values = read_csv(out)
    assert header == ["prediction", "std"]
    y_pred, y_std = ensemble.predict(pd.DataFrame(X[:20], columns=names), return_std=True)
    np.testing.assert_array_equal(values[:, 0], y_pred)
    np.testing.assert_array_equal(values[:, 1], y_std)


def test_predict_with_a_member_file_writes_to_stdout(tmp_path, capsys):
    member = CompactMLP.from_weights([np.eye(3, 2), np.ones((2, 2))], [np.zeros(2), np.array([0.5, -1.0])],
                                     ["relu", "linear"])
    save(member, tmp_path / "member.epz")
    data = write_csv(tmp_path / "data.csv", ["a", "b", "c"], [[1, 2, 3], [-1, 0, 5]])
    assert main(["predict", str(tmp_path / "member.epz"), str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["prediction_0,prediction_1", "3.5,2.0", "0.5,-1.0"]


def test_predict_reports_bad_files_and_missing_columns(model_file, tmp_path, capsys):
    data = write_csv(tmp_path / "data.csv", ["x0", "x1"], [[1, 2]])
    assert main(["predict", str(model_file), str(data)]) == 2
    assert "lacks the feature columns ['x2'" in capsys.readouterr().err
    broken = tmp_path / "broken.epz"
    broken.write_bytes(model_file.read_bytes()[:100])
    assert main(["predict", str(broken), str(data)]) == 2
    assert "not a valid ensembleprune model file" in capsys.readouterr().err
    assert main(["inspect", str(broken)]) == 2
