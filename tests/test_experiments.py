"""sparsity_sweep, robustness_report and their commands, at tiny size."""

import json
import os
import signal
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from matplotlib.image import imread

from ensembleprune import make_article_regression, sparsity_sweep
from ensembleprune._tf import filter_native_logs, native_logs_filtered, training_settings
from ensembleprune.compact import CompactMLP
from ensembleprune.cli import main
from ensembleprune.experiments import (
    SweepPair,
    SweepResult,
    ambiguity_decomposition,
    disagreement,
    kept_input_features,
    load_csv,
    resolve_task,
    robustness_report,
)

# Tiny networks trained briefly with a large learning rate: about a second per pair.
TINY = dict(hidden_layer_sizes=(16,), epochs=6, batch_size=32, learning_rate=1e-2, verbose=0)
SPARSITIES = (0.0, 0.5, 0.9)


@pytest.fixture(scope="module")
def data():
    split = make_article_regression(n_samples=250, n_features=12, n_informative=6, random_state=0)
    return split.X_train, split.y_train


@pytest.fixture(scope="module")
def swept(data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    return folder, sparsity_sweep(*data, SPARSITIES, seeds=[0, 1], output_dir=folder, n_jobs=1, **TINY)


def _pair(sparsity, seed, train, val):
    return SweepPair(sparsity, seed, train, val, train, val, (sparsity,), 1.0)


def test_rows_are_mean_and_sample_std_over_seeds():
    pairs = [_pair(0.0, 0, 1.0, 8.0), _pair(0.0, 1, 3.0, 12.0), _pair(0.9, 0, 5.0, 2.0), _pair(0.9, 1, 5.0, 4.0)]
    result = SweepResult.from_pairs(pairs[::-1], trained=[], settings={})
    dense, pruned = result.rows
    assert (dense.final_sparsity, dense.n_seeds) == (0.0, 2)
    assert dense.train_loss_mean == 2.0 and dense.train_loss_std == pytest.approx(np.sqrt(2.0))
    assert dense.val_loss_mean == 10.0 and pruned.val_loss_std == pytest.approx(np.sqrt(2.0))
    assert [pair.key for pair in result.pairs] == [(0.0, 0), (0.0, 1), (0.9, 0), (0.9, 1)]
    checks = result.shape_checks()
    assert checks["dense_over_min_val_loss"] == pytest.approx(10.0 / 3.0)
    assert checks["dense_overfits"] and checks["best_sparsity"] == 0.9 and checks["minimum_in_0.85_0.98"]
    assert checks["train_loss_rises"]
    # A dense model whose training loss is above its validation loss does not overfit, however high both are.
    underfit = SweepResult.from_pairs([_pair(0.0, 0, 1.61, 1.40), _pair(0.9, 0, 1.5, 0.5)], trained=[], settings={})
    assert underfit.shape_checks()["dense_overfits"] is False
    single = SweepResult.from_pairs([_pair(0.5, 0, 1.0, 2.0)], trained=[], settings={}).rows[0]
    assert single.train_loss_std == 0.0


def test_sweep_table_and_csv(swept):
    folder, result = swept
    assert [pair.key for pair in result.pairs] == [(s, seed) for s in SPARSITIES for seed in (0, 1)]
    assert result.trained == [pair.key for pair in result.pairs]
    for pair in result.pairs:
        # Magnitude pruning reaches the target in the first kernel (16 x 12 weights).
        assert pair.layer_sparsity[0] == pytest.approx(pair.final_sparsity, abs=0.01)
        # Evaluated after training, as Keras' last validation pass did.
        assert pair.val_loss == pytest.approx(pair.last_epoch_val_loss, rel=1e-4)
        assert len(pair.history["loss"]) == TINY["epochs"] and pair.train_loss > 0
    lines = (folder / "sweep_summary.csv").read_text().splitlines()
    assert lines[0].split(",") == ["final_sparsity", "n_seeds", "train_loss_mean", "train_loss_std",
                                   "val_loss_mean", "val_loss_std"]
    written = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    expected = [[r.final_sparsity, r.n_seeds, r.train_loss_mean, r.train_loss_std, r.val_loss_mean, r.val_loss_std]
                for r in result.rows]
    np.testing.assert_allclose(written, expected, rtol=1e-6)
    assert len((folder / "sweep_pairs.csv").read_text().splitlines()) == 1 + len(result.pairs)


def test_plots_are_written(swept):
    folder, _ = swept
    for name in ("sweep_loss.png", "sweep_loss_zoom.png"):
        image = imread(folder / name)
        assert image.shape[0] > 300 and image.shape[1] > 500
        assert image.std() > 0.05  # not a blank canvas


def test_growing_a_sweep_trains_only_the_new_pairs(data, swept, tmp_path):
    folder, first = swept
    # A copy: the module's sweep folder stays as the other tests read it, whatever order they run in.
    folder = shutil.copytree(folder, tmp_path / "grown")
    grown = sparsity_sweep(*data, SPARSITIES, seeds=[0, 1, 2], output_dir=folder, n_jobs=1, plot=False, **TINY)
    assert grown.trained == [(s, 2) for s in SPARSITIES]
    old = {pair.key: pair for pair in first.pairs}
    assert all(pair == old[pair.key] for pair in grown.pairs if pair.key in old)
    assert all(row.n_seeds == 3 for row in grown.rows)


def test_folder_of_other_data_or_settings_is_refused(data, swept):
    folder, _ = swept
    X, y = data
    files = sorted(p.name for p in (folder / "pairs").iterdir())
    for changed in (dict(TINY, epochs=7), dict(TINY, hidden_layer_sizes=(8,))):
        with pytest.raises(ValueError, match="other data or other settings"):
            sparsity_sweep(X, y, SPARSITIES, [0], output_dir=folder, **changed)
    with pytest.raises(ValueError, match="other data or other settings"):
        sparsity_sweep(X, y + 1e-3, SPARSITIES, [0], output_dir=folder, **TINY)
    assert sorted(p.name for p in (folder / "pairs").iterdir()) == files


KILLABLE_SWEEP = """
import sys
import numpy as np
from ensembleprune import sparsity_sweep
data = np.load(sys.argv[1])
sparsity_sweep(data["X"], data["y"], {sparsities}, seeds=[0, 1], output_dir=sys.argv[2], n_jobs=1, **{tiny})
"""


@pytest.mark.slow
def test_sweep_killed_half_way_resumes_with_only_the_missing_pairs(data, tmp_path):
    sparsities = (0.0, 0.5, 0.9)
    np.savez(tmp_path / "data.npz", X=data[0], y=data[1])
    script = tmp_path / "sweep.py"
    script.write_text(textwrap.dedent(KILLABLE_SWEEP.format(sparsities=sparsities, tiny=TINY)))
    folder = tmp_path / "out"
    process = subprocess.Popen([sys.executable, str(script), str(tmp_path / "data.npz"), str(folder)])
    deadline = time.monotonic() + 90
    while not list(folder.glob("pairs/*.json")):
        assert process.poll() is None, "the sweep ended before writing a pair file"
        assert time.monotonic() < deadline, "no pair file after 90 s"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()

    saved = {path.name: (path.stat().st_mtime_ns, path.read_bytes()) for path in folder.glob("pairs/*.json")}
    assert 1 <= len(saved) < 6, "the kill must leave the sweep unfinished"
    assert not (folder / "sweep_summary.csv").exists()
    result = sparsity_sweep(*data, sparsities, seeds=[0, 1], output_dir=folder, n_jobs=1, plot=False, **TINY)
    all_pairs = {(s, seed) for s in sparsities for seed in (0, 1)}
    finished_before = {pair.key for pair in result.pairs if pair.key not in result.trained}
    assert len(finished_before) == len(saved)
    assert set(result.trained) == all_pairs - finished_before
    assert len(result.pairs) == 6
    for name, (mtime, content) in saved.items():  # the finished pairs were read, not trained again
        path = folder / "pairs" / name
        assert path.stat().st_mtime_ns == mtime and path.read_bytes() == content


def test_ambiguity_decomposition_is_an_identity():
    two = ambiguity_decomposition([[1.0], [3.0]], [0.0])
    assert (two["ensemble_mse"], two["mean_member_mse"], two["mean_ambiguity"]) == (4.0, 5.0, 1.0)
    rng = np.random.default_rng(0)
    members, y = rng.normal(size=(5, 200)) * 1e3, rng.normal(size=200)
    result = ambiguity_decomposition(members, y)
    assert result["relative_error"] < 1e-12
    assert result["ensemble_mse"] < result["mean_member_mse"]


def test_kept_input_features_counts_nonzero_rows():
    kernel = np.zeros((6, 4), np.float32)
    kernel[0, :] = 1  # informative, dense row
    kernel[1, 2] = -1  # informative, one weight left
    kernel[4, 0] = 2  # noise feature still read
    member = CompactMLP.from_weights([kernel, np.ones((4, 1))], [np.zeros(4), np.zeros(1)], ["relu", "linear"])
    informative = np.array([True, True, True, False, False, False])
    counts = kept_input_features(member, informative)
    assert counts == {"informative_kept": 2, "informative_total": 3, "noise_kept": 1, "noise_total": 3,
                      "informative_row_density": pytest.approx(5 / 12), "noise_row_density": pytest.approx(1 / 12)}
    with pytest.raises(ValueError, match="informative has 5 entries"):
        kept_input_features(member, informative[:5])


@pytest.mark.slow
def test_robustness_report(tmp_path):
    split = make_article_regression(n_samples=300, n_features=16, n_informative=8, random_state=1)
    report = robustness_report(
        split.X_train, split.y_train, split.X_val, split.y_val, coef=split.coef, sparsities=(0.5, 0.9), seeds=2,
        hidden_layer_sizes=(16,), epochs=8, batch_size=32, learning_rate=1e-2, cv=2,
        noise_levels=(0.0, 1.0), dropout_fractions=(0.0, 0.5), n_repeats=2, output_dir=tmp_path,
    )
    assert json.loads((tmp_path / "robustness.json").read_text()) == report
    assert imread(tmp_path / "robustness.png").std() > 0.05
    for model in report["models"]:
        clean = report["clean"][model]
        assert len(clean["values"]) == 2
        assert report["noise"]["mse"][model][0]["mean"] == pytest.approx(clean["mean"])  # noise level 0
        assert report["dropout"]["mse"][model][0]["mean"] == pytest.approx(clean["mean"])
    ridge = report["clean"]["RidgeCV (linear)"]["mean"]
    assert report["noise"]["mse"]["RidgeCV (linear)"][1]["mean"] > 2 * ridge
    assert report["dropout"]["mse"]["RidgeCV (linear)"][1]["mean"] > 2 * ridge
    best = report["clean"]["best pruned member"]["values"]
    for seed_index, decomposition in enumerate(report["ambiguity"]):
        assert decomposition["relative_error"] <= 1e-10
        assert decomposition["estimator_mse"] == pytest.approx(decomposition["ensemble_mse"], rel=1e-12)
        assert decomposition["mean_member_mse"] >= best[seed_index]  # the best member beats the average one
    kept = report["kept_features"]
    assert len(kept) == 2 * 2
    for counts in kept:
        assert counts["informative_total"] == 8 and counts["noise_total"] == 8
        assert 0 <= counts["informative_kept"] <= 8 and 0 <= counts["noise_kept"] <= 8
        # As many informative as noise rows: their mean density is that of the weights
        # into live units, at most what pruning left.
        density = (counts["informative_row_density"] + counts["noise_row_density"]) / 2
        assert 0 < density <= 1 - counts["final_sparsity"] + 0.02


def test_robustness_report_refuses_several_outputs_and_says_what_to_do():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    with pytest.raises(ValueError, match=r"y_train has shape \(40, 2\).*once per column"):
        robustness_report(X, Y, X, Y[:, 0])
    with pytest.raises(ValueError, match=r"y_test has shape \(40, 2\).*once per column"):
        robustness_report(X, Y[:, 0], X, Y)
    with pytest.raises(ValueError, match=r"coef has shape \(3, 2\); expected \(3,\)"):
        robustness_report(X, Y[:, 0], X, Y[:, 1], coef=np.ones((3, 2)))


# Classification: the same tiny networks on class labels.


@pytest.fixture(scope="module")
def labelled():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=240, n_features=10, n_informative=5, n_classes=3, random_state=0)
    return X.astype(np.float32), y


def test_resolve_task_reads_labels_the_scikit_learn_way():
    assert resolve_task("auto", np.array(["cat", "dog", "cat"])) == "classification"
    assert resolve_task("auto", [0, 1, 1, 0]) == "classification"
    assert resolve_task("auto", np.array([True, False])) == "classification"
    assert resolve_task("auto", [0, 1, 2, 5]) == "classification"
    # Floats are a quantity, even whole ones; an explicit task overrides either reading.
    assert resolve_task("auto", [0.0, 1.0, 1.0]) == "regression"
    assert resolve_task("auto", [0.5, 1.7, 2.2]) == "regression"
    assert resolve_task("classification", [0.0, 1.0]) == "classification"
    assert resolve_task("regression", [0, 1, 2]) == "regression"
    with pytest.raises(ValueError, match="task must be one of"):
        resolve_task("clustering", [0, 1])


def test_disagreement_counts_votes():
    # Three members, two rows, two classes; member votes: row 0 -> 1, 1, 0; row 1 -> 0, 0, 0.
    probas = np.array([[[0.2, 0.8], [0.9, 0.1]], [[0.4, 0.6], [0.7, 0.3]], [[0.6, 0.4], [0.8, 0.2]]])
    found = disagreement(probas)
    assert found["with_ensemble"] == pytest.approx(1 / 6)  # one member of three differs on one row of two
    assert found["pairwise"] == pytest.approx(1 / 3)  # two pairs of three differ on row 0, none on row 1
    assert disagreement(probas[:1]) == {"with_ensemble": 0.0, "pairwise": 0.0}


@pytest.mark.parametrize("labels, seeds", [("binary integers", [0, 1]), ("three strings", [0])])
def test_classification_sweep_tabulates_log_loss_and_accuracy(labelled, labels, seeds, tmp_path):
    X, y = labelled
    if labels == "binary integers":
        y = (y == 0).astype(int)
    else:
        y = np.array(["red", "green", "blue"])[y]
    result = sparsity_sweep(X, y, (0.0, 0.9), seeds=seeds, output_dir=tmp_path, n_jobs=1, **TINY)
    assert result.task == "classification" and result.settings["classes"] == np.unique(y).tolist()
    assert [row.n_seeds for row in result.rows] == [len(seeds)] * 2
    for pair in result.pairs:
        assert 0 <= pair.train_accuracy <= 1 and 0 <= pair.val_accuracy <= 1
        assert pair.train_loss > 0 and pair.val_loss > 0
        # The log-loss is the cross-entropy Keras trained on: its last validation pass agrees.
        assert pair.val_loss == pytest.approx(pair.last_epoch_val_loss, rel=1e-3)
        assert pair.layer_sparsity[0] == pytest.approx(pair.final_sparsity, abs=0.01)
    for row in result.rows:
        assert 0 <= row.val_accuracy_mean <= 1 and row.train_accuracy_std >= 0 and row.val_loss_mean > 0
    assert result.rows[0].train_accuracy_mean > 0.6  # the dense network learned something
    header = (tmp_path / "sweep_summary.csv").read_text().splitlines()[0].split(",")
    assert header[-4:] == ["train_accuracy_mean", "train_accuracy_std", "val_accuracy_mean", "val_accuracy_std"]
    assert "accuracy" in result.format_table() and "log-loss" in result.format_table()
    assert imread(tmp_path / "sweep_loss.png").std() > 0.05
    assert set(result.shape_checks()) >= {"best_sparsity", "train_loss_rises"}  # on the log-loss


def test_classification_sweep_refuses_labels_unseen_in_training(labelled):
    X, y = labelled
    with pytest.raises(ValueError, match=r"y_val holds labels that the training labels do not: \[7\]"):
        sparsity_sweep(X[:200], y[:200], [0.0], [0], X_val=X[200:], y_val=np.full(40, 7), **TINY)


def test_classification_robustness_report(labelled, tmp_path):
    X, y = labelled
    y = np.array(["red", "green", "blue"])[y]
    report = robustness_report(
        X[:180], y[:180], X[180:], y[180:], sparsities=(0.5, 0.9), seeds=1, hidden_layer_sizes=(16,), epochs=6,
        batch_size=32, learning_rate=1e-2, cv=2, noise_levels=(0.0, 2.0), dropout_fractions=(0.0, 0.5),
        n_repeats=2, output_dir=tmp_path,
    )
    assert json.loads((tmp_path / "robustness.json").read_text()) == report
    assert imread(tmp_path / "robustness.png").std() > 0.05
    assert report["config"]["task"] == "classification" and report["config"]["classes"] == ["blue", "green", "red"]
    assert report["models"][-1] == "LogisticRegression (linear)" and "ambiguity" not in report
    for kind, levels in (("noise", "levels"), ("dropout", "fractions")):
        assert len(report[kind][levels]) == 2
        for model in report["models"]:
            accuracy, loss = report[kind]["accuracy"][model], report[kind]["log_loss"][model]
            assert len(accuracy) == len(loss) == 2
            assert all(0 <= cell["mean"] <= 1 for cell in accuracy) and all(cell["mean"] > 0 for cell in loss)
            # Level 0 leaves the test rows as they are.
            assert accuracy[0]["mean"] == pytest.approx(report["clean"]["accuracy"][model]["mean"])
            assert loss[0]["mean"] == pytest.approx(report["clean"]["log_loss"][model]["mean"])
        for name in ("with_ensemble", "pairwise"):
            cells = report["disagreement"][kind][name]
            assert len(cells) == 2 and all(0 <= cell["mean"] <= 1 for cell in cells)
    linear = report["noise"]["log_loss"]["LogisticRegression (linear)"]
    assert linear[1]["mean"] > linear[0]["mean"]  # strong noise hurts
    # Two members: when they differ, the ensemble sides with one or neither, so with_ensemble >= pairwise / 2.
    noise = report["disagreement"]["noise"]
    assert noise["with_ensemble"][0]["mean"] >= noise["pairwise"][0]["mean"] / 2 - 1e-12


def test_robustness_report_refuses_test_labels_unseen_in_training():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    with pytest.raises(ValueError, match="y_test holds labels that the training labels do not"):
        robustness_report(X, np.repeat(["a", "b"], 20), X, np.repeat(["a", "c"], 20))


@pytest.mark.slow
def test_cli_sweep_and_robustness_read_a_class_column(labelled, tmp_path, capsys):
    X, y = labelled
    csv_file = tmp_path / "iris_like.csv"
    rows = [",".join([f"{v:.6g}" for v in x] + [str(label + 1)]) for x, label in zip(X, y)]
    csv_file.write_text("\n".join([",".join([f"x{i}" for i in range(X.shape[1])] + ["species"]), *rows]) + "\n")
    tiny = ["--sparsities", "0,0.8", "--seeds", "1", "--epochs", "3", "--hidden", "8", "--quiet"]
    assert main(["sweep", "--data", str(csv_file), "--target", "species", "--out", str(tmp_path / "sweep"),
                 "--n-jobs", "1", *tiny]) == 0
    printed = capsys.readouterr().out
    assert "read as class labels (3 classes)" in printed and "validation accuracy" in printed
    settings = json.loads((tmp_path / "sweep" / "fingerprint.json").read_text())["settings"]
    assert settings["task"] == "classification" and settings["classes"] == [1, 2, 3]
    assert main(["robustness", "--data", str(csv_file), "--target", "species", "--out", str(tmp_path / "robust"),
                 "--cv", "2", *tiny]) == 0
    assert "clean test accuracy" in capsys.readouterr().out
    report = json.loads((tmp_path / "robust" / "robustness.json").read_text())
    assert report["config"]["classes"] == [1, 2, 3] and "disagreement" in report
    # Read as a number on request: the regression sweep of the same column.
    assert main(["sweep", "--data", str(csv_file), "--target", "species", "--task", "regression",
                 "--out", str(tmp_path / "numbers"), "--n-jobs", "1", *tiny]) == 0
    assert "article's shape" in capsys.readouterr().out
    assert main(["sweep", "--task", "classification", "--out", str(tmp_path / "none")]) == 2
    assert "--task classification needs your own data" in capsys.readouterr().err


NATIVE_LOG = [
    b"a line of the program\n",
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    b"I0000 00:00:1795972504.787506    3720 cudart_stub.cc:31] Could not find cuda drivers on your machine.\n",
    b"2025-09-17 14:44:05.176998: W external/local_xla/xla/service/a.cc:467] a warning\n",
    b"its second line\n",
    b"E0000 00:00:1758131045.203198 3722035 cuda_dnn.cc:8579] an error\n",
    b"F0000 00:00:1758131045.203198 3722035 main.cc:12] a fatal error\n",
]


@pytest.mark.parametrize("level, kept", [(0, range(7)), (1, [0, 3, 4, 5, 6]), (2, [0, 5, 6]), (3, [0, 6])])
def test_filter_native_logs_drops_log_lines_below_the_level_only(level, kept):
    assert filter_native_logs(b"".join(NATIVE_LOG), level) == b"".join(NATIVE_LOG[i] for i in kept)


@pytest.mark.parametrize("level, kept", [("3", [0, 6]), ("0", range(7)), ("", range(7))])
def test_native_logs_filtered_applies_the_users_level_to_file_descriptor_2(monkeypatch, capfd, level, kept):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", level)
    with native_logs_filtered():
        os.write(2, b"".join(NATIVE_LOG))  # as native code writes: not through sys.stderr
    assert capfd.readouterr().err.encode() == b"".join(NATIVE_LOG[i] for i in kept)


@pytest.mark.parametrize("quiet, kept", [(True, [0, 6]), (False, range(7))])
def test_quiet_training_holds_native_logs_to_the_level(monkeypatch, capfd, quiet, kept):
    # tf.data's C++ rewrites log while a verbose=0 fit runs; only the level's lines may show.
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    with training_settings(quiet=quiet):
        os.write(2, b"".join(NATIVE_LOG))
    assert capfd.readouterr().err.encode() == b"".join(NATIVE_LOG[i] for i in kept)


def test_load_csv_reads_numbers_and_names_bad_cells(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("a,y,b\n1,2,3\n4,5,6\n")
    X, y, names = load_csv(good, "y")
    np.testing.assert_array_equal(X, [[1, 3], [4, 6]])
    np.testing.assert_array_equal(y, [2, 5])
    assert names == ["a", "b"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,y\n1,2\nred,3\n")
    with pytest.raises(ValueError, match="line 3 holds 'red', not a number"):
        load_csv(bad, "y")


def test_sweep_takes_an_automatic_batch_size(data, tmp_path):
    X, y = data
    result = sparsity_sweep(X, y, [0.0, 0.9], seeds=[0], output_dir=tmp_path, n_jobs=1, **dict(TINY, batch_size="auto"))
    assert "auto" in json.dumps(result.settings)
    assert np.isfinite(result.rows[0].val_loss_mean)
