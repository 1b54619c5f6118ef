"""The data-size benchmark's design: nested training rows, one set of test rows, the forest only where it fits."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import bench_data_size  # noqa: E402


def test_every_size_is_scored_on_the_same_test_rows_that_no_size_trains_on(monkeypatch):
    monkeypatch.setattr(bench_data_size, "TEST_ROWS", 50)
    _, generate, _ = bench_data_size.PROBLEMS["classification"]
    X, y = generate(300 + 50)
    X_small, y_small, X_test_small, y_test_small = bench_data_size.rows(X, y, 100)
    X_large, y_large, X_test, y_test = bench_data_size.rows(X, y, 300)
    assert np.array_equal(X_test_small, X_test) and np.array_equal(y_test_small, y_test) and len(y_test) == 50
    assert np.array_equal(X_small, X_large[:100]) and np.array_equal(y_small, y_large[:100])  # nested
    assert not np.isin(X_test[:, 0], X_large[:, 0]).any()
    with pytest.raises(ValueError, match="301 training rows and 50 test rows need 351 rows, not 350"):
        bench_data_size.rows(X, y, 301)


def test_the_forest_runs_only_up_to_its_size():
    assert "rf" in bench_data_size.models_for("classification", 1000, forest_rows=1000)
    assert "rf" not in bench_data_size.models_for("classification", 1001, forest_rows=1000)
    assert {"ensemble", "hgb", "mlp"} <= set(bench_data_size.models_for("regression", 10, forest_rows=0))
