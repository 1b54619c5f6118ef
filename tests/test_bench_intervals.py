"""The intervals benchmark's calibration on the rows the ensemble held out (its private-API path)."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import bench_intervals  # noqa: E402

from ensembleprune import PrunedEnsembleRegressor  # noqa: E402


def test_validation_row_intervals_calibrates_on_the_rows_the_fit_held_out():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    y = X[:, 0] + 0.1 * rng.normal(size=240)
    ensemble = PrunedEnsembleRegressor(n_members=2, hidden_layer_sizes=(8,), epochs=3, combine="mean",
                                       random_state=0).fit(X[:200], y[:200])
    y_pred = ensemble.predict(X[200:])
    scores = bench_intervals.validation_row_intervals(ensemble, X[:200], y[:200], y_pred, y[200:])
    # The same rows as the estimator draws for its early stopping: their largest residual bounds the width.
    rows = ensemble._validation_rows(200, ensemble._member_specs("linear", 4), None)
    residuals = np.abs(y[:200][rows] - ensemble.predict(X[:200][rows]))
    assert 0 <= scores["coverage"] <= 1
    assert np.quantile(residuals, 0.5) <= scores["mean_width"] / 2 <= residuals.max() + 1e-9
