"""input_encoding: the piecewise-linear columns the network members read beside the features."""

import dataclasses

import numpy as np
import pytest
from sklearn.base import clone

from ensembleprune import PrunedEnsembleRegressor
from ensembleprune._auto_members import auto_sparsities
from ensembleprune.encoding import (MAX_BINS, MAX_COLUMNS, bins_per_feature, check_encoding, encode, encoded_width,
                                    fit_encoding)

TINY = dict(n_members=2, sparsities=(0.5, 0.8), hidden_layer_sizes=(8,), epochs=3, random_state=0)


def test_bins_per_feature_keeps_the_added_columns_within_the_budget():
    assert bins_per_feature(1) == bins_per_feature(MAX_COLUMNS // MAX_BINS) == MAX_BINS
    assert bins_per_feature(100) == MAX_COLUMNS // 100
    assert bins_per_feature(MAX_COLUMNS // 2) == 2 and bins_per_feature(MAX_COLUMNS // 2 + 1) == 0
    for n_features in (1, 10, 64, 65, 200, 256, 257, 1000):
        assert n_features * bins_per_feature(n_features) <= MAX_COLUMNS


def test_each_bin_is_zero_below_one_above_and_linear_within():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(0, 8, 1000), rng.integers(0, 2, 1000), np.full(1000, 3.0)])
    encoding = fit_encoding(X)
    # The binary and the constant columns add nothing; the first gets MAX_BINS bins at its quantiles.
    assert encoding["features"].tolist() == [0] * MAX_BINS
    lows = -encoding["offset"] / encoding["scale"]
    widths = 1 / encoding["scale"]
    edges = np.quantile(X[:, 0], np.linspace(0, 1, MAX_BINS + 1), method="inverted_cdf")  # values of the column
    np.testing.assert_allclose(lows, edges[:-1], rtol=1e-5, atol=1e-5)
    rows = np.array([[-5.0, 0, 3], [lows[3] + widths[3] / 4, 1, 3], [50.0, 0, 3]])
    encoded = encode(rows, encoding)
    assert encoded.shape == (3, encoded_width(3, encoding)) == (3, 3 + MAX_BINS)
    np.testing.assert_array_equal(encoded[:, :3], rows)
    np.testing.assert_array_equal(encoded[0, 3:], 0)  # below every bin
    np.testing.assert_array_equal(encoded[2, 3:], 1)  # past every bin: clipped, not extrapolated
    np.testing.assert_allclose(encoded[1, 3:], [1, 1, 1, 0.25] + [0] * (MAX_BINS - 4), atol=1e-5)


def test_no_encoding_past_the_budget_or_without_a_column_of_three_values():
    assert fit_encoding(np.random.default_rng(0).normal(size=(50, MAX_COLUMNS // 2 + 1))) is None
    assert fit_encoding(np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 1.0]])) is None
    X = np.ones((5, 2))
    assert encode(X, None) is X and encoded_width(2, None) == 2


@pytest.mark.parametrize("encoding, message", [
    ({"features": np.array([0])}, "dict of"),
    ({"features": np.array([0, 1]), "scale": np.ones(1, np.float32), "offset": np.ones(1, np.float32)}, "one length"),
    ({"features": np.array([3]), "scale": np.ones(1, np.float32), "offset": np.ones(1, np.float32)}, r"\[0, 3\)"),
    ({"features": np.array([-1]), "scale": np.ones(1, np.float32), "offset": np.ones(1, np.float32)}, "indices"),
    ({"features": np.array([0]), "scale": np.ones(1), "offset": np.ones(1, np.float32)}, "float32"),
    ({"features": np.array([0]), "scale": np.array([np.inf], np.float32), "offset": np.ones(1, np.float32)}, "finite"),
])
def test_check_encoding_refuses_what_fit_encoding_does_not_write(encoding, message):
    with pytest.raises(ValueError, match=message):
        check_encoding(encoding, 3)


def test_the_networks_read_the_encoded_columns_and_the_linear_member_the_features_alone():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] > 0.5).astype(float) + X[:, 1]
    model = PrunedEnsembleRegressor(**TINY, combine="mean", linear_member=True).fit(X, y)
    width = encoded_width(5, model.input_encoding_)
    assert width == 5 + 5 * MAX_BINS
    assert all(member.n_features_in_ == width for member in model.members_)
    # By turns: the first member reads the encoded columns, the second the features alone.
    assert model.members_[0].used_features_.max() >= 5 and model.members_[1].used_features_.max() < 5
    # Each reports the network it trained: the second's first layer had 5 inputs, not `width` (no zero rows).
    assert [member.architecture for member in model.members_] == [(width, 8, 1), (5, 8, 1)]
    assert model.members_[1].n_params == 5 * 8 + 8 + 8 + 1
    np.testing.assert_allclose(model.predict_members(X[:3])[0].ravel(),
                               model.members_[0].predict(encode(X[:3], model.input_encoding_)).ravel()
                               * model.y_scale_ + model.y_mean_, rtol=1e-6)
    # The linear member, as the selection fits it: it reads the members' inputs but none of the encoded columns.
    linear, _ = model._linear_member(encode(X, model.input_encoding_), y.reshape(-1, 1), None, np.arange(len(X)))
    assert linear.n_features_in_ == width and linear.used_features_.max() < 5
    plain = PrunedEnsembleRegressor(**TINY, combine="mean", input_encoding=None).fit(X, y)
    assert plain.input_encoding_ is None and all(member.n_features_in_ == 5 for member in plain.members_)
    # A refit learns its own bins: nothing of the earlier fit stays.
    refit = model.fit(3 * X[:, :2], y)
    assert refit.input_encoding_["features"].max() == 1
    assert all(member.n_features_in_ == encoded_width(2, refit.input_encoding_) for member in refit.members_)


def test_members_read_the_encoded_columns_by_turns_and_size_their_first_layer_by_what_they_read():
    model = PrunedEnsembleRegressor(**dict(TINY, n_members=3))
    specs = model._member_specs("linear", 6, by_turns=True)
    assert [spec.input_columns for spec in specs] == [None, 6, None]
    assert all(spec.input_columns is None for spec in model._member_specs("linear", 6))
    from ensembleprune.factory import PrunedMLPFactory
    # The member that reads the 6 features alone has a 6-row first layer, whatever its inputs' width.
    assert PrunedMLPFactory.layer_finals(specs[1], 54, 1) == PrunedMLPFactory.layer_finals(
        dataclasses.replace(specs[1], input_columns=None), 6, 1)


def test_automatic_members_read_each_automatic_sparsity_both_ways_where_the_encoding_is_read_by_turns():
    model = PrunedEnsembleRegressor(random_state=0)  # n_members and sparsities "auto"
    by_turns = model._member_specs("linear", 6, by_turns=True)
    pairs = [(spec.schedule.final_sparsity, spec.input_columns) for spec in by_turns]
    assert pairs == [(s, columns) for s in auto_sparsities(4) for columns in (None, 6)]
    # Without the encoding read by turns, four members of four sparsities, as before.
    alone = model._member_specs("linear", 6)
    assert [spec.schedule.final_sparsity for spec in alone] == list(auto_sparsities(4))
    # Explicit members and sparsities keep their meaning: member i gets sparsities[i % len(sparsities)].
    model.set_params(n_members=4, sparsities=[0.5, 0.7, 0.9])
    assert [spec.schedule.final_sparsity for spec in model._member_specs("linear", 6, by_turns=True)] == [
        0.5, 0.7, 0.9, 0.5]
    model.set_params(n_members=3, sparsities="auto")
    assert [spec.schedule.final_sparsity for spec in model._member_specs("linear", 6, by_turns=True)] == [
        0.8, 0.8, 0.995]


def test_an_integer_input_encoding_sets_the_bins_per_feature_within_the_column_budget():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = np.sin(4 * X[:, 0]) + X[:, 1]
    model = PrunedEnsembleRegressor(**TINY, combine="mean", input_encoding=20).fit(X, y)
    assert np.bincount(model.input_encoding_["features"]).tolist() == [20, 20, 20]
    assert all(member.n_features_in_ == 3 + 60 for member in model.members_)
    # Many features: the column budget still caps the bins (512 // 200 = 2 per feature).
    wide = fit_encoding(rng.normal(size=(50, 200)), max_bins=20)
    assert len(wide["features"]) == 2 * 200
    # A grid search clones and sets it like any parameter.
    assert clone(model).set_params(input_encoding=4).get_params()["input_encoding"] == 4


@pytest.mark.parametrize("value", [1, 0, -3, 2.5, "8", True])
def test_input_encoding_refuses_what_is_not_auto_none_or_at_least_two_bins(value):
    X, y = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40.0)
    with pytest.raises(ValueError, match="input_encoding"):
        PrunedEnsembleRegressor(**TINY, input_encoding=value).fit(X, y)
