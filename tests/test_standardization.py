"""The members read the features standardized, so that a table's units do not change what they learn."""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor
from ensembleprune._inputs import feature_standardization

UNITS = np.array([1.0, 1e3, 1e-2, 50.0, 1.0])
OFFSETS = np.array([0.0, 2e4, -3.0, 1e3, 0.0])
# No encoded columns: they are computed in float32 from X as given, whose rounding depends on the units.
SMALL = dict(n_members=2, sparsities=(0.5, 0.8), hidden_layer_sizes=(8,), epochs=4, input_encoding=None,
             random_state=0)


def table(n_rows=1000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 5))
    X[:, 4] = rng.random(n_rows) < 0.05  # a rare indicator, read as it is
    y = X[:, 0] ** 2 + 2 * X[:, 1] - X[:, 2] * X[:, 3] + 3 * X[:, 4] + 0.1 * rng.normal(size=n_rows)
    return X, y


def test_standardization_centers_and_scales_each_column_but_indicators_and_constants():
    X, _ = table()
    X = np.column_stack([X * UNITS + OFFSETS, np.full(len(X), 7.0)])
    center, scale = feature_standardization(X)
    np.testing.assert_allclose(center[:4], X[:, :4].mean(axis=0))
    np.testing.assert_allclose(scale[:4], X[:, :4].std(axis=0))
    assert (center[4], scale[4]) == (0.0, 1.0)  # the indicator
    assert (center[5], scale[5]) == (7.0, 1.0)  # the constant: centered, not divided by 0
    # After a StandardScaler (on the same rows) nothing moves: those fits are as they were.
    center, scale = feature_standardization(StandardScaler().fit_transform(X[:, :4]))
    np.testing.assert_allclose(center, 0, atol=1e-12)
    np.testing.assert_allclose(scale, 1, rtol=1e-12)


@pytest.mark.parametrize("combine", ["select", "mean"])
def test_the_regressor_predicts_the_same_whatever_the_units_of_the_features(combine):
    X, y = table(n_rows=1300)  # 1,100 rows hold out 110: the selection is judged on them, not out of fold
    as_is = PrunedEnsembleRegressor(combine=combine, **SMALL).fit(X[:1100], y[:1100])
    rescaled = PrunedEnsembleRegressor(combine=combine, **SMALL).fit(X[:1100] * UNITS + OFFSETS, y[:1100])
    expected = as_is.predict(X[1100:])
    np.testing.assert_allclose(rescaled.predict(X[1100:] * UNITS + OFFSETS), expected, atol=1e-3 * y.std())
    np.testing.assert_array_equal(rescaled.member_seeds_, as_is.member_seeds_)
    if combine == "select":
        np.testing.assert_allclose(rescaled.member_weights_, as_is.member_weights_, atol=1e-6)
    # Nothing of the standardization is left outside the members: they read X as given.
    assert not any("center" in name or "standard" in name for name in vars(rescaled))


def test_the_classifier_predicts_the_same_probabilities_whatever_the_units():
    X, y = table(seed=1)
    labels = np.where(y > np.median(y), "high", "low")
    as_is = PrunedEnsembleClassifier(combine="mean", **SMALL).fit(X[:800], labels[:800])
    rescaled = PrunedEnsembleClassifier(combine="mean", **SMALL).fit(X[:800] * UNITS + OFFSETS, labels[:800])
    np.testing.assert_allclose(rescaled.predict_proba(X[800:] * UNITS + OFFSETS), as_is.predict_proba(X[800:]),
                               atol=1e-3)


def test_weights_standardize_as_repeated_rows_would_and_zero_weights_as_removed_rows():
    X, _ = table(n_rows=60)
    X = X * UNITS + OFFSETS
    counts = np.arange(60) % 3  # a third of the rows weigh 0
    X[counts == 0, 4] = 5.0  # not an indicator on those rows only: it still is one where rows count
    repeated = feature_standardization(np.repeat(X, counts, axis=0))
    weighted = feature_standardization(X, counts.astype(float))
    for expected, got in zip(repeated, weighted):
        np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert (weighted[0][4], weighted[1][4]) == (0.0, 1.0)


def test_the_regressor_scales_the_target_as_repeated_rows_would():
    X, y = table(n_rows=200)
    y = 40 * y + 1e3
    counts = np.arange(200) % 3
    y[counts == 0] += 1e4  # rows of weight 0: their targets must not move the members' scale
    settings = dict(SMALL, epochs=1, combine="mean")
    weighted = PrunedEnsembleRegressor(**settings).fit(X, y, sample_weight=counts.astype(float))
    repeated = PrunedEnsembleRegressor(**settings).fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.y_mean_, repeated.y_mean_, rtol=1e-12)
    np.testing.assert_allclose(weighted.y_scale_, repeated.y_scale_, rtol=1e-12)
