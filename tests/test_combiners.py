"""Greedy ensemble selection, the paired comparison of two models, and convex stacking weights."""

import numpy as np
import pytest
import scipy.stats
from sklearn.linear_model import Ridge

from ensembleprune.combiners import (
    convex_meta_learner,
    convex_weights,
    greedy_selection,
    paired_difference,
    ridge_member,
)


def test_greedy_selection_prefers_the_accurate_member_and_mixes_complementary_ones():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(200, 1))
    good, bad = y + 0.1 * rng.normal(size=y.shape), y + 2.0 * rng.normal(size=y.shape)
    weights = greedy_selection(np.stack([bad, good]), y)
    assert weights[1] > 0.9 and weights.sum() == pytest.approx(1.0)
    # Two members with opposite biases: their average beats either alone, so both are chosen.
    high, low = y + 1.0, y - 1.0
    weights = greedy_selection(np.stack([high, low, y + 3.0]), y)
    np.testing.assert_allclose(weights[:2], [0.52, 0.48], atol=0.05)
    assert weights[2] == 0


def test_convex_weights_are_non_negative_sum_to_one_and_fit_a_mixture():
    rng = np.random.default_rng(1)
    members = rng.normal(size=(500, 3))
    y = members @ np.array([0.7, 0.3, 0.0]) + 0.01 * rng.normal(size=500)
    weights = convex_weights(members, y)
    np.testing.assert_allclose(weights, [0.7, 0.3, 0.0], atol=0.01)
    # Shrunken members: an unconstrained fit would inflate the weights past 1.
    weights = convex_weights(0.1 * members, y)
    assert np.all(weights >= 0) and weights.sum() == pytest.approx(1.0)


def test_convex_meta_learner_predicts_the_weighted_mean():
    rng = np.random.default_rng(2)
    members = rng.normal(size=(100, 2))
    learner = convex_meta_learner(members, members[:, 0])
    np.testing.assert_allclose(learner.predict(members), members @ learner.coef_)
    assert learner.intercept_ == 0.0


def test_ridge_member_penalty_minimizes_the_exact_leave_one_out_error():
    # Seed 1: the grid's best point alone misses the minimum by more than 15%.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 6))
    Y = (X @ rng.normal(size=(6, 1)) + rng.normal(scale=2.0, size=(40, 1))) + 3.0

    def leave_one_out(alpha):
        return np.mean([
            (Ridge(alpha=alpha).fit(np.delete(X, i, 0), np.delete(Y, i, 0)).predict(X[i : i + 1]) - Y[i]) ** 2
            for i in range(len(X))
        ])

    model, alpha = ridge_member(X, Y, np.arange(len(X)))
    # The chosen penalty beats those 15% away, by the brute-force count: the minimum, not only a grid's best.
    assert leave_one_out(alpha) < min(leave_one_out(alpha / 1.15), leave_one_out(alpha * 1.15))
    np.testing.assert_allclose(model.predict(X), Ridge(alpha=alpha).fit(X, Y).predict(X).reshape(-1, 1), rtol=1e-5, atol=1e-5)
    # Refitting with a given penalty on other rows uses that penalty.
    refit, same = ridge_member(X, Y, np.arange(20), alpha=alpha)
    assert same == alpha
    np.testing.assert_allclose(refit.predict(X), Ridge(alpha=alpha).fit(X[:20], Y[:20]).predict(X).reshape(-1, 1), rtol=1e-5, atol=1e-5)


def test_ridge_member_with_sample_weight_is_sklearns_weighted_ridge():
    rng = np.random.default_rng(1)
    X, weights = rng.normal(size=(30, 4)), rng.uniform(0.1, 3.0, size=30)
    Y = X @ rng.normal(size=(4, 2)) + rng.normal(size=(30, 2))
    model, alpha = ridge_member(X, Y, np.arange(30), sample_weight=weights)
    reference = Ridge(alpha=alpha).fit(X, Y, sample_weight=weights)
    np.testing.assert_allclose(model.predict(X), reference.predict(X), rtol=1e-5, atol=1e-5)
    # Integer weights are repeated rows: the same fit as on the rows written out.
    counts = rng.integers(1, 3, size=30)
    repeated, _ = ridge_member(np.repeat(X, counts, 0), np.repeat(Y, counts, 0), np.arange(counts.sum()), alpha=alpha)
    weighted, _ = ridge_member(X, Y, np.arange(30), sample_weight=counts, alpha=alpha)
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-5, atol=1e-5)


def test_bagged_selection_averages_selections_on_resampled_rows():
    rng = np.random.default_rng(2)
    y = rng.normal(size=(30, 1))
    members = np.stack([y + 0.5 * rng.normal(size=y.shape) for _ in range(3)])
    bagged = greedy_selection(members, y, n_bags=10, random_state=1)
    assert bagged.sum() == pytest.approx(1.0) and np.all(bagged >= 0)
    again = greedy_selection(members, y, n_bags=10, random_state=1)
    np.testing.assert_array_equal(bagged, again)
    manual = np.random.default_rng(1)
    rows = [manual.integers(0, 30, 30) for _ in range(10)]
    np.testing.assert_allclose(bagged, np.mean([greedy_selection(members[:, r], y[r]) for r in rows], axis=0))


def test_paired_difference_is_the_mean_difference_and_its_standard_error():
    rng = np.random.default_rng(0)
    losses, reference = rng.exponential(size=50), rng.exponential(size=50)
    difference, standard_error = paired_difference(losses, reference)
    assert difference == pytest.approx(np.mean(losses - reference))
    assert standard_error == pytest.approx(scipy.stats.sem(losses - reference))
    # Equal weights change nothing; rows of weight 0 count as absent; one row cannot say how uncertain it is.
    assert paired_difference(losses, reference, np.full(50, 3.0)) == pytest.approx((difference, standard_error))
    weights = np.r_[np.ones(30), np.zeros(20)]
    assert paired_difference(losses, reference, weights) == pytest.approx(paired_difference(losses[:30], reference[:30]))
    assert paired_difference(losses[:1], reference[:1])[1] == np.inf
