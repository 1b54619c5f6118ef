"""A member whose training diverges is named in an error, or left out with a warning."""

import numpy as np
import pytest

from ensembleprune import PrunedEnsembleRegressor
from ensembleprune.ensemble import MemberDivergedError, MemberDivergedWarning

FAST = dict(combine="mean", early_stopping=False, n_members=2, sparsities=(0.5, 0.8), hidden_layer_sizes=(8,), epochs=3, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    return X, X @ np.arange(1.0, 5.0)


def test_diverging_member_is_named(data):
    X, y = data
    model = PrunedEnsembleRegressor(**dict(FAST, learning_rate=1e30))
    with pytest.raises(MemberDivergedError, match=r"member 0 \(seed \d+, final sparsity 0.5, learning_rate 1e\+30\)"):
        model.fit(X, y)
    assert not hasattr(model, "members_")


@pytest.mark.parametrize("combine", ["mean", "stack"])
def test_skip_warns_per_member_and_fails_when_none_is_left(data, combine):
    X, y = data
    model = PrunedEnsembleRegressor(**dict(FAST, learning_rate=1e30, on_member_failure="skip", combine=combine, cv=2))
    with pytest.warns(MemberDivergedWarning, match="left out of the ensemble") as record:
        with pytest.raises(MemberDivergedError, match="every member diverged"):
            model.fit(X, y)
    assert len(record) == 2


class _Diverged:
    """Stands in for the Keras model of a member whose weights became NaN."""

    def get_weights(self):
        return [np.array([np.nan, 1.0])]


def test_skip_keeps_the_members_that_trained(data):
    X, y = data
    model = PrunedEnsembleRegressor(**dict(FAST, n_members=3, on_member_failure="skip")).fit(X, y)
    healthy = model._factory().train(X, (y - y.mean()) / y.std(), model._member_specs("linear", X.shape[1]))
    healthy[1].model = _Diverged()
    with pytest.warns(MemberDivergedWarning, match="member 1"):
        assert model._drop_diverged(healthy)[0] == [0, 2]


def test_non_finite_predictions_are_never_returned_silently(data):
    X, y = data
    # Without the encoding, whose columns clip such rows to 1 and may leave a member finite there.
    model = PrunedEnsembleRegressor(**FAST, input_encoding=None).fit(X, y)
    with pytest.raises(ValueError, match="not finite"):
        model.predict(np.full((2, 4), 3e38))


@pytest.mark.parametrize("policy", ["raise", "skip"])
def test_a_member_pruned_to_a_constant_is_treated_like_a_diverged_one(policy):
    # 5 inputs x 4 units at sparsity 0.99, pruned uniformly: no input weight is left.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.normal(size=200)
    params = dict(FAST, n_members=2, sparsities=(0.99, 0.0), hidden_layer_sizes=(4,), sparsity_allocation="uniform",
                  input_pruning="weights", input_encoding=None, combine="mean", on_member_failure=policy)
    if policy == "raise":
        with pytest.raises(MemberDivergedError, match="member 0 .* ended constant"):
            PrunedEnsembleRegressor(**params).fit(X, y)
    else:
        with pytest.warns(MemberDivergedWarning, match="ended constant"):
            model = PrunedEnsembleRegressor(**params).fit(X, y)
        assert len(model.members_) == 1 and model.member_sparsities_.tolist() == [0.0]


def test_string_targets_name_y_and_the_classifier():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="y holds strings.*PrunedEnsembleClassifier"):
        PrunedEnsembleRegressor(**FAST).fit(X, ["a", "b", "a", "b"])
