"""The benchmarks' paired differences on the test rows (benchmarks/bench_tabular.py, bench_classification.py)."""

import os
import sys

import numpy as np
import pytest
from sklearn.metrics import log_loss, r2_score

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
from bench_classification import row_log_losses  # noqa: E402
from bench_tabular import ROW_LOSSES, paired_differences, r2_scale, regression_scores  # noqa: E402


def test_row_log_losses_average_to_log_loss_with_its_clipping():
    rng = np.random.default_rng(0)
    classes = np.array(["a", "b", "c"])
    proba = rng.dirichlet(np.ones(3), size=40)
    proba[0] = [1.0, 0.0, 0.0]  # its class gets probability 0: clipped, not infinite
    y = classes[rng.integers(0, 3, 40)]
    y[0] = "c"
    losses = row_log_losses(y, proba, classes)
    assert np.all(np.isfinite(losses))
    assert losses.mean() == pytest.approx(log_loss(y, proba, labels=classes), rel=1e-12)


def test_paired_r2_difference_is_the_difference_of_the_r2s():
    rng = np.random.default_rng(1)
    y = rng.normal(size=60)
    ours, theirs = y + rng.normal(scale=0.3, size=60), y + rng.normal(scale=0.6, size=60)
    results = {"ensemble": regression_scores(y, ours), "ridge": regression_scores(y, theirs), "hgb": {}}
    paired = paired_differences(results, {"ensemble": {}}, r2_scale(y))
    assert list(paired) == ["ensemble"] and list(paired["ensemble"]) == ["ridge"]  # hgb had no losses
    pair = paired["ensemble"]["ridge"]
    assert pair["difference"] == pytest.approx(r2_score(y, ours) - r2_score(y, theirs), rel=1e-12)
    assert 0 < pair["standard_error"] < abs(pair["difference"])
    assert all(ROW_LOSSES not in result for result in results.values())  # kept out of the JSON


def test_paired_standard_error_shrinks_when_the_rows_agree():
    # The same mean difference: spread evenly over the rows it is certain, carried by one row it is not.
    even = {"ensemble": {ROW_LOSSES: np.full(50, 1.0)}, "peer": {ROW_LOSSES: np.full(50, 1.1)}}
    one_row = {"ensemble": {ROW_LOSSES: np.full(50, 1.0)}, "peer": {ROW_LOSSES: np.r_[np.full(49, 1.0), 6.0]}}
    spread = [paired_differences(results, {"ensemble": {}})["ensemble"]["peer"] for results in (even, one_row)]
    assert spread[0]["difference"] == pytest.approx(spread[1]["difference"]) == pytest.approx(-0.1)
    assert spread[0]["standard_error"] == pytest.approx(0.0, abs=1e-12)
    assert spread[1]["standard_error"] == pytest.approx(np.std(np.r_[np.zeros(49), 5.0], ddof=1) / np.sqrt(50))
