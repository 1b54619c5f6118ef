"""Model files written by earlier versions still load and predict as they did."""

from pathlib import Path

import numpy as np

from ensembleprune import PrunedEnsembleRegressor, load

DATA = Path(__file__).resolve().parent / "data"


def test_a_stacked_ensemble_saved_by_version_0_1_0_predicts_as_it_did():
    # Written before the estimator gained its selection combiner, auto budgets and
    # new parameters: those take their defaults, and predictions are unchanged.
    model = load(DATA / "stacked_0.1.0.epz")
    expected = np.load(DATA / "stacked_0.1.0_expected.npz")
    assert isinstance(model, PrunedEnsembleRegressor) and model.combine == "stack"
    np.testing.assert_array_equal(model.predict(expected["X"]), expected["y_pred"])
