"""The intervals benchmark's calibration on the rows the ensemble held out (its private-API path)."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import bench_intervals  # noqa: E402

from ensembleprune import PrunedEnsembleRegressor  # noqa: E402
from ensembleprune.conformal import half_widths  # noqa: E402


def test_validation_row_intervals_calibrates_on_the_rows_the_fit_held_out():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    y = X[:, 0] + 0.1 * rng.normal(size=240)
    # n_members="auto" with the encoding read by turns: eight members, whose seeds all draw the held-out rows.
    ensemble = PrunedEnsembleRegressor(hidden_layer_sizes=(8,), epochs=3, combine="mean",
                                       random_state=0).fit(X[:200], y[:200])
    specs = ensemble._member_specs("linear", 4, ensemble._reads_by_turns())
    assert [spec.seed for spec in specs] == list(ensemble.member_seeds_) and len(specs) == 8  # the fit's members
    rows = ensemble._validation_rows(200, specs, None)
    residuals = np.abs(y[:200][rows] - ensemble.predict(X[:200][rows]))[:, None]
    width = half_widths(residuals, np.zeros_like(residuals), np.zeros((1, 1)), bench_intervals.CONFIDENCE)[0, 0]
    y_pred = ensemble.predict(X[200:])
    scores = bench_intervals.validation_row_intervals(ensemble, X[:200], y[:200], y_pred, y[200:])
    np.testing.assert_allclose(scores["mean_width"], 2 * width, rtol=1e-9)
    assert scores["coverage"] == np.mean(np.abs(y[200:] - y_pred) <= width)
