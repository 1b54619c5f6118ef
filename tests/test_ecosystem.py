"""The tools around scikit-learn that the README says work with the estimator: MAPIE's conformal
intervals and skops' files (the test extra installs both)."""

import numpy as np
import pytest
import skops.io as skops_io
from mapie.regression import CrossConformalRegressor, SplitConformalRegressor
from skops.io.exceptions import UntrustedTypesFoundException

from ensembleprune import PrunedEnsembleRegressor

TINY = dict(n_members=2, sparsities=(0.5, 0.7), hidden_layer_sizes=(8,), epochs=3, combine="mean",
            early_stopping=False, random_state=0)


# skops trusts scikit-learn's and numpy's types; these four it reports as unknown: ours, and scipy's
# CSR matrix that sparse layers hold. Reviewed and listed by hand, as skops asks.
TRUSTED = [
    "ensembleprune.compact.CompactLayer",
    "ensembleprune.compact.CompactMLP",
    "ensembleprune.ensemble.PrunedEnsembleRegressor",
    "scipy.sparse._csr.csr_matrix",
]


@pytest.fixture(scope="module")
def rows():
    """900 rows of a smooth nonlinear regression: 300 to train, 300 to conformalize, 300 to test."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(900, 6))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=900)
    return X[:300], y[:300], X[300:600], y[300:600], X[600:], y[600:]


def test_mapie_split_conformal_intervals_cover_about_90_percent(rows):
    X_train, y_train, X_conformalize, y_conformalize, X_test, y_test = rows
    conformal = SplitConformalRegressor(PrunedEnsembleRegressor(**TINY), confidence_level=0.9, prefit=False)
    conformal.fit(X_train, y_train).conformalize(X_conformalize, y_conformalize)
    y_pred, intervals = conformal.predict_interval(X_test)
    assert y_pred.shape == (300,) and intervals.shape == (300, 2, 1)
    covered = np.mean((intervals[:, 0, 0] <= y_test) & (y_test <= intervals[:, 1, 0]))
    # 300 rows: a 90% interval covers within a few points of 0.9; the band leaves room for the seed.
    assert 0.75 <= covered <= 1.0


@pytest.mark.slow
def test_mapie_cv_plus_intervals_cover_about_90_percent(rows):
    X_train, y_train, _, _, X_test, y_test = rows
    conformal = CrossConformalRegressor(PrunedEnsembleRegressor(**TINY), confidence_level=0.9, method="plus", cv=3,
                                        random_state=0)
    y_pred, intervals = conformal.fit_conformalize(X_train, y_train).predict_interval(X_test)
    assert y_pred.shape == (300,) and intervals.shape == (300, 2, 1)
    assert np.all(intervals[:, 0, 0] <= intervals[:, 1, 0])
    covered = np.mean((intervals[:, 0, 0] <= y_test) & (y_test <= intervals[:, 1, 0]))
    assert 0.75 <= covered <= 1.0


def test_skops_round_trip_with_the_untrusted_types_listed(rows, tmp_path):
    X_train, y_train, _, _, X_test, _ = rows
    model = PrunedEnsembleRegressor(**TINY).fit(X_train, y_train)
    path = tmp_path / "model.skops"
    skops_io.dump(model, path)
    assert sorted(skops_io.get_untrusted_types(file=path)) == TRUSTED
    with pytest.raises(UntrustedTypesFoundException):
        skops_io.load(path)
    loaded = skops_io.load(path, trusted=TRUSTED)
    assert type(loaded) is PrunedEnsembleRegressor
    np.testing.assert_array_equal(loaded.predict(X_test, return_std=True), model.predict(X_test, return_std=True))
