"""The `ensembleprune` command line: inspect, predict (with --interval), sweep and demo, and how it reports errors."""

import csv
import json
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ensembleprune import (
    CompactMLP,
    PrunedEnsembleClassifier,
    PrunedEnsembleRegressor,
    _cli_model_files,
    load,
    make_article_regression,
    save,
)
from ensembleprune._selection import MIN_ROWS
from ensembleprune.encoding import encoded_width
from ensembleprune.cli import main
from ensembleprune.serialization import InvalidModelFileError, UnsafeToSaveError


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


@pytest.fixture(scope="module")
def data():
    """A small regression for the sweep command."""
    split = make_article_regression(n_samples=250, n_features=12, n_informative=6, random_state=0)
    return split.X_train, split.y_train


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


# How errors are reported.


def _describe_raising(error):
    """A stand-in for ``describe_model_file``, patched where the inspect command looks it up."""

    def describe(path):
        raise error

    return describe


@pytest.mark.parametrize("error", [TypeError("a bug"), AttributeError("a bug"), KeyError("a bug")])
def test_a_bug_propagates_with_its_traceback(monkeypatch, error):
    monkeypatch.setattr(_cli_model_files, "describe_model_file", _describe_raising(error))
    with pytest.raises(type(error), match="a bug"):
        main(["inspect", "model.epz"])


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        InvalidModelFileError("bad file"),
        UnsafeToSaveError("cannot store"),
        PermissionError(13, "Permission denied", "model.epz"),
        OSError(28, "No space left on device", "out.csv"),
    ],
)
def test_bad_input_is_reported_in_one_line(monkeypatch, capsys, error):
    monkeypatch.setattr(_cli_model_files, "describe_model_file", _describe_raising(error))
    assert main(["inspect", "model.epz"]) == 2
    err = capsys.readouterr().err
    assert err == f"ensembleprune inspect: error: {error}\n"


def test_a_missing_file_is_named_in_one_line(tmp_path, capsys):
    missing = tmp_path / "missing.epz"
    assert main(["inspect", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("ensembleprune inspect: error: ") and str(missing) in err


@pytest.mark.slow
def test_cli_reports_bad_arguments():
    result = subprocess.run(
        [sys.executable, "-m", "ensembleprune.cli", "demo", "--members", "0", "--out", "/nonexistent/x"],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "n_members" in result.stderr


# ensembleprune inspect and ensembleprune predict.


def test_inspect_prints_each_members_layers(model_file, ensemble, capsys):
    assert main(["inspect", str(model_file)]) == 0
    out = capsys.readouterr().out
    assert "PrunedEnsembleRegressor" in out and "combine: mean" in out
    n_inputs = encoded_width(12, ensemble.input_encoding_)
    assert n_inputs > 12 and f"input encoding: 12 features, then {n_inputs - 12} piecewise-linear columns" in out
    # By turns: the first network reads the encoded columns too, the second the 12 features alone.
    for k, (member, n_read) in enumerate(zip(ensemble.members_, [n_inputs, 12], strict=True)):
        assert f"member {k}: {n_read} -> 16 -> 1" in out
        assert f"used features {member.used_features_.size} of {n_inputs}" in out
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


# ensembleprune sweep.


def write_xy_csv(path, X, y):
    header = ",".join([f"x{i}" for i in range(X.shape[1])] + ["price"])
    rows = [",".join(f"{v:.6g}" for v in [*x, target]) for x, target in zip(X, y)]
    path.write_text("\n".join([header, *rows]) + "\n")


@pytest.mark.slow
def test_cli_sweep_on_a_csv_file(data, tmp_path, capsys):
    csv_file = tmp_path / "houses.csv"
    write_xy_csv(csv_file, *data)
    out = tmp_path / "out"
    code = main(["sweep", "--data", str(csv_file), "--target", "price", "--out", str(out), "--sparsities", "0,0.8",
                 "--seeds", "2", "--epochs", "3", "--hidden", "8", "--n-jobs", "2", "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "validation loss" in printed and "article's shape" in printed
    assert len(list(out.glob("pairs/*.json"))) == 4
    assert len((out / "sweep_summary.csv").read_text().splitlines()) == 3
    assert (out / "sweep_loss.png").exists() and (out / "sweep_loss_zoom.png").exists()
    settings = json.loads((out / "fingerprint.json").read_text())["settings"]
    assert settings["n_features"] == data[0].shape[1] and settings["hidden_layer_sizes"] == [8]

    assert main(["sweep", "--data", str(csv_file), "--target", "cost", "--out", str(tmp_path / "bad")]) == 2
    assert "target column 'cost' is not in" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_sweep_workers_print_no_tensorflow_start_up_lines(data, tmp_path):
    csv_file = tmp_path / "houses.csv"
    write_xy_csv(csv_file, *data)
    # As a user runs it: without the level that this process's own import of TensorFlow set.
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    command = [sys.executable, "-m", "ensembleprune.cli", "sweep", "--data", str(csv_file), "--target", "price",
               "--out", str(tmp_path / "out"), "--sparsities", "0,0.8", "--seeds", "1", "--epochs", "2",
               "--hidden", "4", "--n-jobs", "2", "--quiet"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "out").glob("pairs/*.json"))) == 2  # the two workers trained
    start_up_lines = [line for line in result.stderr.splitlines() if re.search("onednn|cuda|absl", line, re.I)]
    assert start_up_lines == []


# ensembleprune predict on raw files: a saved pipeline, delimiters, byte-order marks, and errors that say where.

@pytest.fixture(scope="module")
def houses():
    """Houses as a spreadsheet holds them: an ID, gaps in a number and in a category; and their prices."""
    rng = np.random.default_rng(1)
    n = 240
    district = rng.choice(["north", "south", "harbour"], n)
    table = pd.DataFrame({"id": [f"house-{i}" for i in range(n)], "area": rng.uniform(40, 160, n).round(1),
                          "year": rng.integers(1950, 2020, n), "district": district})
    price = 2.5 * table["area"] + np.where(district == "north", 60.0, 0.0) + rng.normal(0, 10, n)
    table.loc[rng.random(n) < 0.1, "area"] = np.nan
    table.loc[rng.random(n) < 0.1, "district"] = None
    return table, price


@pytest.fixture(scope="module")
def pipeline_file(houses, tmp_path_factory):
    table, price = houses
    prep = ColumnTransformer([
        ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), ["area", "year"]),
        ("district", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(sparse_output=False)),
         ["district"]),
    ])
    target = TransformedTargetRegressor(PrunedEnsembleRegressor(
        n_members=2, sparsities=(0.5, 0.7), hidden_layer_sizes=(8,), epochs=3, combine="mean", early_stopping=False,
        random_state=0), transformer=StandardScaler())
    pipeline = Pipeline([("prep", prep), ("model", target)]).fit(table.drop(columns="id"), price)
    path = tmp_path_factory.mktemp("pipeline") / "pipeline.epz"
    save(pipeline, path)
    return path, pipeline


FILE_COLUMNS = ["district", "id", "year", "area"]  # another order than the pipeline's, and an ID


def write_raw(path, table, sep=",", encoding="utf-8"):
    table[FILE_COLUMNS].to_csv(path, sep=sep, index=False, encoding=encoding)
    return path


def _spreadsheet_rows(data):
    """Windows line ends, a delimiter closing each row, a blank line at the end."""
    lines = data.read_text().splitlines()
    data.write_bytes("\r\n".join([lines[0]] + [line + "," for line in lines[1:]] + ["", ""]).encode())


@pytest.mark.parametrize("sep, encoding, edit", [(",", "utf-8", None), (";", "utf-8-sig", None),
                                                 ("\t", "utf-8-sig", None), (",", "utf-8", _spreadsheet_rows)],
                         ids=["comma", "semicolon with byte-order mark", "tab with byte-order mark",
                              "windows line ends and a delimiter closing each row"])
def test_predict_on_a_raw_csv_with_a_saved_pipeline_equals_python_bit_for_bit(pipeline_file, houses, tmp_path,
                                                                              sep, encoding, edit):
    path, pipeline = pipeline_file
    table, _ = houses
    data = write_raw(tmp_path / "raw.csv", table, sep, encoding)
    if edit:
        edit(data)
    out = tmp_path / "out.csv"
    assert main(["predict", str(path), str(data), "--output", str(out), "--std"]) == 0
    header, values = read_csv(out)
    assert header == ["prediction", "std"]
    np.testing.assert_array_equal(values[:, 0], pipeline.predict(table))
    assert np.all(values[:, 1] > 0)


def test_predict_with_a_plain_ensemble_reads_decimal_commas_and_ignores_a_string_column(
        model_file, ensemble, tiny_regression, tmp_path, capsys):
    X, _ = tiny_regression
    frame = pd.DataFrame(X[:5], columns=ensemble.feature_names_in_).assign(name=list("abcde"))
    # As a spreadsheet set to a language that writes 0,5 saves it.
    frame.to_csv(tmp_path / "data.csv", sep=";", decimal=",", index=False, encoding="utf-8-sig")
    assert main(["predict", str(model_file), str(tmp_path / "data.csv")]) == 0
    predicted = [float(line) for line in capsys.readouterr().out.splitlines()[1:]]
    np.testing.assert_array_equal(predicted, ensemble.predict(frame.drop(columns="name")))


def _replace_cell(line, column, value):
    """Edit one cell of the file that ``write_raw`` writes."""
    def edit(lines):
        cells = lines[line - 1].split(",")
        cells[FILE_COLUMNS.index(column)] = value
        lines[line - 1] = ",".join(cells)
        return lines

    return edit


@pytest.mark.parametrize("edit, message", [
    (_replace_cell(4, "year", "1987a"), "line 4, column 'year': '1987a' is not a number"),
    (_replace_cell(9, "area", "80,5"), "line 9 has 5 cells; the header has 4"),
    (_replace_cell(6, "district", "east"), "line 6, column 'district': 'east' is a category that the model never saw"),
    (_replace_cell(3, "area", "inf"), "line 3, column 'area': 'inf' is not a finite number"),
    (lambda lines: [lines[0].replace("year", "built")] + lines[1:], "lacks the feature columns ['year']"),
    (lambda lines: lines[1:], "the file seems to have no header row"),
    (lambda lines: [lines[0], 'north,"house\nwith a long name",1990,80'] + lines[1:3] + [lines[3] + "x"] + lines[4:],
     "line 6, column 'area'"),
    (lambda lines: lines + ['north,"house-x,1990,80'], 'line 242: a quote (") opens a cell that no quote closes'),
], ids=["bad number", "decimal comma in a comma file", "unknown category", "infinite", "missing column",
        "no header", "a quoted cell over two lines", "a quote never closed"])
def test_predict_errors_name_the_file_line_and_column(pipeline_file, houses, tmp_path, capsys, edit, message):
    path, _ = pipeline_file
    data = write_raw(tmp_path / "raw.csv", houses[0])
    data.write_text("\n".join(edit(data.read_text().splitlines())) + "\n")
    assert main(["predict", str(path), str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ensembleprune predict: error: {data}") and message in err, err


def test_predict_names_a_missing_cell_where_a_plain_ensemble_needs_a_number(model_file, ensemble, tmp_path, capsys):
    names = list(ensemble.feature_names_in_)
    data = write_csv(tmp_path / "data.csv", names, [[0.1] * len(names), [0.2] * 3 + [""] + [0.2] * (len(names) - 4)])
    assert main(["predict", str(model_file), str(data)]) == 2
    assert f"{data} line 3, column 'x3': missing value ('')" in capsys.readouterr().err


def test_predict_names_an_unwritable_output_as_given(model_file, ensemble, tmp_path, capsys):
    names = list(ensemble.feature_names_in_)
    data = write_csv(tmp_path / "data.csv", names, [[0.1] * len(names)])
    for output in (tmp_path / "no folder" / "out.csv", tmp_path):
        assert main(["predict", str(model_file), str(data), "--output", str(output)]) == 2
        err = capsys.readouterr().err
        assert f"'{output}'" in err and ".tmp" not in err, err


def test_inspect_a_pipeline_lists_its_steps(pipeline_file, capsys):
    assert main(["inspect", str(pipeline_file[0])]) == 0
    out = capsys.readouterr().out
    assert "Pipeline" in out and "steps: prep: ColumnTransformer(numbers simpleimputer: SimpleImputer" in out
    assert "TransformedTargetRegressor(target by StandardScaler, PrunedEnsembleRegressor)" in out
    assert out.count("  layer 0:") == 2


def test_sweep_batch_size_is_an_integer_or_auto(capsys):
    from ensembleprune.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["sweep", "--batch-size", "auto"]).batch_size == "auto"
    assert parser.parse_args(["sweep", "--batch-size", "64"]).batch_size == 64
    assert parser.parse_args(["sweep"]).batch_size is None  # 1024 on the article's data, auto with --data
    with pytest.raises(SystemExit):
        parser.parse_args(["sweep", "--batch-size", "0"])
    assert "positive integer or auto" in capsys.readouterr().err


# ensembleprune predict --interval: the bounds of a conformal regressor's prediction interval.

CONFORMAL = dict(n_members=2, hidden_layer_sizes=(16,), epochs=5, conformal="split", random_state=0)


@pytest.fixture(scope="module")
def conformal_rows(tiny_regression):
    X, y = tiny_regression
    return pd.DataFrame(X[:200], columns=[f"x{i}" for i in range(X.shape[1])]), y[:200]


@pytest.fixture(scope="module")
def conformal_file(conformal_rows, tmp_path_factory):
    X, y = conformal_rows
    model = PrunedEnsembleRegressor(**CONFORMAL).fit(X, y)
    path = tmp_path_factory.mktemp("conformal") / "conformal.epz"
    save(model, path)
    return path, model


def write_frame(path, frame):
    frame.to_csv(path, index=False)
    return path


def test_predict_interval_writes_the_bounds_of_predict_interval(conformal_file, conformal_rows, tmp_path):
    path, model = conformal_file
    X, _ = conformal_rows
    data = write_frame(tmp_path / "data.csv", X[:30])
    out = tmp_path / "out.csv"
    assert main(["predict", str(path), str(data), "--output", str(out), "--interval", "0.8", "--std"]) == 0
    header, values = read_csv(out)
    assert header == ["prediction", "std", "lower", "upper"]
    y_pred, y_std = model.predict(X[:30], return_std=True)
    lower, upper = model.predict_interval(X[:30], confidence=0.8)
    np.testing.assert_array_equal(values, np.column_stack([y_pred, y_std, lower, upper]))
    assert np.all(values[:, 2] <= values[:, 0]) and np.all(values[:, 0] <= values[:, 3])
    assert np.all(values[:, 2] < values[:, 3])


def test_predict_interval_through_a_pipeline_of_several_outputs(conformal_rows, tmp_path, capsys):
    X, y = conformal_rows
    Y = np.column_stack([y, -2 * y])
    pipeline = make_pipeline(StandardScaler(), PrunedEnsembleRegressor(**CONFORMAL)).fit(X, Y)
    save(pipeline, tmp_path / "pipeline.epz")
    data = write_frame(tmp_path / "data.csv", X[:20])
    assert main(["predict", str(tmp_path / "pipeline.epz"), str(data), "--interval", "0.9"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "prediction_0,prediction_1,lower_0,lower_1,upper_0,upper_1"
    values = np.array([line.split(",") for line in lines[1:]], dtype=float)
    y_pred, lower, upper = pipeline.predict(X[:20], return_interval=0.9)
    np.testing.assert_array_equal(values, np.hstack([y_pred, lower, upper]))
    assert np.all(lower <= y_pred) and np.all(y_pred <= upper)


def test_predict_interval_through_a_transformed_target(conformal_rows, tmp_path):
    X, y = conformal_rows
    target = TransformedTargetRegressor(PrunedEnsembleRegressor(**CONFORMAL), transformer=StandardScaler())
    pipeline = Pipeline([("scale", StandardScaler()), ("model", target)]).fit(X, 50 + 10 * y)
    save(pipeline, tmp_path / "pipeline.epz")
    data = write_frame(tmp_path / "data.csv", X[:20])
    out = tmp_path / "out.csv"
    assert main(["predict", str(tmp_path / "pipeline.epz"), str(data), "--output", str(out), "--interval",
                 "0.9"]) == 0
    header, values = read_csv(out)
    assert header == ["prediction", "lower", "upper"]
    np.testing.assert_array_equal(values[:, 0], pipeline.predict(X[:20]))
    # The regressor's interval in scaled units, mapped back by the target's scaler.
    fitted = pipeline.named_steps["model"]
    bounds = fitted.regressor_.predict_interval(pipeline[:-1].transform(X[:20]), confidence=0.9)
    expected = [fitted.transformer_.inverse_transform(bound.reshape(-1, 1)).ravel() for bound in bounds]
    np.testing.assert_allclose(values[:, 1:], np.column_stack(expected), rtol=1e-12)
    assert np.all(values[:, 1] <= values[:, 0]) and np.all(values[:, 0] <= values[:, 2])


@pytest.fixture(scope="module")
def classifier_file(conformal_rows, tmp_path_factory):
    X, y = conformal_rows
    # 100 held-out rows, so that networks are trained and judged on them.
    model = PrunedEnsembleClassifier(n_members=1, hidden_layer_sizes=(4,), epochs=1, validation_fraction=0.5,
                                     random_state=0).fit(X, y > 0)
    path = tmp_path_factory.mktemp("classifier") / "classifier.epz"
    save(model, path)
    return path


def _member_file(directory):
    member = CompactMLP.from_weights([np.ones((12, 1))], [np.zeros(1)], ["linear"])
    save(member, directory / "member.epz")
    return directory / "member.epz"


@pytest.mark.parametrize("case, message", [
    ("confidence 1.5", "--interval takes a confidence strictly between 0 and 1, such as 0.9 for a 90% interval; "
                       "got 1.5"),
    ("confidence 90", "--interval takes a confidence strictly between 0 and 1, such as 0.9 for a 90% interval; "
                      "got 90"),
    ("confidence 0", "--interval takes a confidence strictly between 0 and 1, such as 0.9 for a 90% interval; "
                     "got 0"),
    ("fitted without conformal", "--interval needs a regressor calibrated as it fits, but the PrunedEnsembleRegressor "
                                 "in {path} was fitted without conformal: fit a PrunedEnsembleRegressor with "
                                 "conformal='split' (or conformal='cv+' with combine='stack'), save it and predict "
                                 "with that file"),
    ("a classifier", "--interval is for regressors; {path} holds a classifier (PrunedEnsembleClassifier), whose "
                     "class probabilities --proba writes"),
    ("a member file", "--interval needs a regressor calibrated as it fits, but {path} holds a single member "
                      "(CompactMLP), not an ensemble"),
], ids=["confidence 1.5", "confidence 90", "confidence 0", "fitted without conformal", "a classifier",
        "a member file"])
def test_predict_interval_refuses_in_one_line_and_writes_nothing(
        case, message, conformal_file, model_file, classifier_file, conformal_rows, tmp_path, capsys):
    path = {"fitted without conformal": model_file, "a classifier": classifier_file,
            "a member file": _member_file(tmp_path)}.get(case, conformal_file[0])
    confidence = case.split()[1] if case.startswith("confidence") else "0.9"
    data = write_frame(tmp_path / "data.csv", conformal_rows[0][:5])
    out = tmp_path / "out" / "predictions.csv"
    out.parent.mkdir()
    code = main(["predict", str(path), str(data), "--output", str(out), "--interval", confidence])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("ensembleprune predict: error: ") and err.count("\n") == 1, err
    assert message.format(path=path) in err, err
    assert list(out.parent.iterdir()) == []  # not even a temporary file


def test_inspect_says_when_too_few_rows_left_the_linear_member_alone(tiny_regression, tmp_path, capsys):
    X, y = tiny_regression
    save(PrunedEnsembleRegressor(random_state=0).fit(X[:25], y[:25]), tmp_path / "small.epz")
    assert main(["inspect", str(tmp_path / "small.epz")]) == 0
    out = capsys.readouterr().out
    assert f"linear member alone: 25 rows, fewer than {MIN_ROWS} to judge networks by; none trained" in out
    assert "1 member\n" in out and "member 0: 12 -> 1 (final sparsity 0.00, seed -1, weight 1.000)" in out


def test_inspect_a_classifier_shows_its_classes_and_each_members_weight_and_temperature(classifier_file, capsys):
    model = load(classifier_file)
    assert main(["inspect", str(classifier_file)]) == 0
    out = capsys.readouterr().out
    assert "classifier of 2 classes: False, True" in out and "combine: select" in out
    evidence = model.linear_member_evidence_
    assert evidence["held_out_rows"] == 100
    verdict = "kept alone" if evidence["excess_loss"] <= evidence["standard_error"] else "the networks kept"
    assert f"standard error {evidence['standard_error']:.4g} on 100 held-out rows: {verdict}" in out
    for k, (weight, temperature) in enumerate(zip(model.member_weights_, model.member_temperatures_)):
        title = next(line for line in out.splitlines() if line.startswith(f"member {k}:"))
        assert f"weight {weight:.3f}" in title
        assert (f"temperature {temperature:.2f}" in title) == (temperature != 1)
