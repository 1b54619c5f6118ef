"""Greedy ensemble selection and convex stacking weights."""

import numpy as np
import pytest

from ensembleprune.combiners import convex_meta_learner, convex_weights, greedy_selection


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
