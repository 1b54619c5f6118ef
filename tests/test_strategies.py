"""Training strategies: prune-and-tune children and sparsity snapshots, with every combiner and checkpoints."""

import math

import numpy as np
import pytest

from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor, load, save
from ensembleprune.factory import PrunedMLPFactory
from ensembleprune.member import MemberSpec
from ensembleprune.schedule import PruningSchedule
from ensembleprune.strategies import StrategyParams, child_spec, strategy_params
from ensembleprune.trained import _pruned_layers

TINY = dict(n_members=3, sparsities=[0.5, 0.8, 0.9], hidden_layer_sizes=(16,), epochs=30, batch_size=32,
            random_state=0, linear_member=False)


def masks(model):
    """The pruning mask of each layer of a pruned tf_keras model, as booleans."""
    return [np.asarray(v.numpy(), dtype=bool) for layer in _pruned_layers(model)
            for v in layer.weights if v.name.rsplit("/", 1)[-1].startswith("mask:")]


@pytest.fixture(scope="module")
def parent_and_data(tiny_regression):
    X, y = tiny_regression
    factory = PrunedMLPFactory(epochs=8, batch_size=32)
    spec = MemberSpec(1, PruningSchedule(0.5), (16,), sparsity_allocation="erk")
    return factory, factory.train(X, y, [spec])[0], X, y


@pytest.mark.parametrize("parent_masks", ["magnitude", "random"])
def test_children_keep_their_parents_pruned_weights_pruned_and_reach_their_own_sparsity(parent_and_data, parent_masks):
    factory, parent, X, y = parent_and_data
    params = StrategyParams(tune_fraction=0.5, masks=parent_masks)
    children = [child_spec(MemberSpec(seed, PruningSchedule(0.9), (16,), sparsity_allocation="erk"), params)
                for seed in (2, 3)]
    trained = factory.train(X, y, children, parents=[parent, parent], parent_masks=parent_masks)
    parent_masks_now = masks(parent.model)
    targets = factory.layer_finals(children[0], X.shape[1], 1)
    for child in trained:
        for parent_mask, child_mask, target in zip(parent_masks_now, masks(child.model), targets):
            assert not np.any(child_mask & ~parent_mask), "a weight the parent pruned came back to life"
            assert 1 - child_mask.mean() == pytest.approx(target, abs=0.02)
    first, second = (masks(child.model)[0] for child in trained)
    if parent_masks == "random":
        assert np.any(first != second), "two children drawn from different seeds share one random mask"


def test_children_start_from_their_parent_rather_than_from_scratch(parent_and_data):
    factory, parent, X, y = parent_and_data
    tuner = PrunedMLPFactory(epochs=2, batch_size=32, learning_rate=1e-9)  # too small a step to move the weights
    child = child_spec(MemberSpec(5, PruningSchedule(0.5), (16,), sparsity_allocation="erk"), StrategyParams(0.5))
    trained = tuner.train(X, y, [child], parents=[parent])[0]
    parent_kernel = _pruned_layers(parent.model)[0].layer.kernel.numpy()
    child_kernel = _pruned_layers(trained.model)[0].layer.kernel.numpy()
    np.testing.assert_allclose(child_kernel, parent_kernel, atol=1e-5)


def test_prune_and_tune_trains_one_parent_and_short_fused_children(tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(strategy="prune_and_tune", combine="mean", early_stopping=False, **TINY).fit(X, y)
    cost = model.training_cost_
    assert cost["phase"] == ["full parent", "full children"]
    assert cost["members"] == [1, 3]
    steps_per_epoch = math.ceil(len(X) / 32)
    tune_epochs = max(2, math.ceil(0.2 * 30))
    assert cost["optimizer_steps"] == [30 * steps_per_epoch, 3 * tune_epochs * steps_per_epoch]
    np.testing.assert_array_equal(model.member_sparsities_, [0.5, 0.8, 0.9])
    assert model.score(X, y) > 0.3


def test_snapshots_prune_one_network_through_rising_sparsities(tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(strategy="snapshots", combine="mean", **{**TINY, "sparsities": [0.9, 0.5, 0.8]})
    model.fit(X, y)
    assert model.training_cost_["phase"] == ["full snapshot 1", "full snapshot 2", "full snapshot 3"]
    np.testing.assert_array_equal(model.member_sparsities_, [0.9, 0.5, 0.8])
    achieved = [sum(layers) for layers in model.member_layer_sparsity_]
    assert achieved[1] < achieved[2] < achieved[0]
    assert model.score(X, y) > 0.3


@pytest.mark.slow
@pytest.mark.parametrize("combine", ["select", "stack"])  # mean and median combine members alike
def test_every_combiner_takes_members_of_a_strategy(tiny_regression, combine):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(strategy="prune_and_tune", combine=combine, cv=2, **{**TINY, "n_members": 2})
    model.fit(X, y)
    phases = model.training_cost_["phase"]
    assert phases[:2] == ["full parent", "full children"]
    if combine == "stack":
        assert {"fold0 parent", "fold0 children", "fold1 parent", "fold1 children", "meta-learner"} <= set(phases)
    assert model.score(X, y) > 0.3


def test_a_resumed_fit_does_not_train_the_parent_again(tiny_regression, tmp_path):
    X, y = tiny_regression
    params = dict(strategy="prune_and_tune", combine="mean", checkpoint_dir=tmp_path, **TINY)
    first = PrunedEnsembleRegressor(**params).fit(X, y)
    (tmp_path / "member-full-member1.npz").unlink()
    resumed = PrunedEnsembleRegressor(**params).fit(X, y)
    assert resumed.training_cost_["phase"] == ["full children"]
    assert resumed.training_cost_["members"] == [1]
    np.testing.assert_allclose(resumed.predict_members(X)[0], first.predict_members(X)[0], rtol=1e-6)
    again = PrunedEnsembleRegressor(**params).fit(X, y)
    assert again.training_cost_["phase"] == []
    np.testing.assert_allclose(again.predict(X), resumed.predict(X), rtol=1e-6)


def test_strategy_and_ledger_survive_save_and_load(tiny_regression, tmp_path):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(strategy="snapshots", strategy_params={"tune_fraction": 0.3}, **TINY).fit(X, y)
    save(model, tmp_path / "model.epz")
    loaded = load(tmp_path / "model.epz")
    assert loaded.get_params()["strategy_params"] == {"tune_fraction": 0.3}
    assert loaded.training_cost_ == model.training_cost_
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-6)


def test_the_classifier_trains_snapshots(tiny_regression):
    X, y = tiny_regression
    labels = np.where(y > np.median(y), "high", "low")
    model = PrunedEnsembleClassifier(strategy="snapshots", combine="mean", **TINY).fit(X, labels)
    assert len(model.members_) == 3
    assert model.score(X, labels) > 0.7


@pytest.mark.parametrize(
    "strategy, params, message",
    [
        ("prune_and_tune", {"tune_fracton": 0.2}, "unknown keys"),
        ("snapshots", {"tune_fraction": 0}, "tune_fraction"),
        ("prune_and_tune", {"masks": "complementary"}, "masks"),
        ("independent", {"tune_fraction": 0.2}, "takes no strategy_params"),
    ],
)
def test_bad_strategy_params_are_refused_before_training_and_forget_the_last_fit(tiny_regression, strategy, params,
                                                                                 message):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(combine="mean", **{**TINY, "n_members": 1, "epochs": 2}).fit(X, y)
    model.set_params(strategy=strategy, strategy_params=params)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    assert not hasattr(model, "members_") and not hasattr(model, "training_cost_")


def test_strategy_params_fill_in_the_strategys_defaults():
    assert strategy_params("snapshots", None).tune_fraction == 0.1
    assert strategy_params("prune_and_tune", {"masks": "random"}) == StrategyParams(0.2, 0.5, "random")
    assert strategy_params("independent", None) is None


@pytest.mark.parametrize("strategy", ["prune_and_tune", "snapshots"])
def test_a_sweep_by_strategy_prunes_one_network_per_seed(strategy, tmp_path):
    from ensembleprune import make_article_regression
    from ensembleprune.experiments import sparsity_sweep

    split = make_article_regression(n_samples=250, n_features=12, n_informative=6, random_state=0)
    settings = dict(hidden_layer_sizes=(16,), epochs=10, batch_size=32, learning_rate=1e-2, verbose=0, n_jobs=1)
    result = sparsity_sweep(split.X_train, split.y_train, (0.0, 0.5, 0.9), seeds=[0], strategy=strategy,
                            output_dir=tmp_path, plot=False, **settings)
    epochs = {pair.final_sparsity: len(pair.history["loss"]) for pair in result.pairs}
    # Prune-and-tune's pairs are all children of a parent trained for the whole budget; the first snapshot
    # is that network itself. Children and later snapshots fine-tune for a fraction of the budget.
    assert epochs[0.0] == (2 if strategy == "prune_and_tune" else 10)
    assert epochs[0.5] == epochs[0.9] == 2
    assert result.settings["strategy"] == strategy
    assert all(np.isfinite(pair.val_loss) for pair in result.pairs)
    assert [pair.layer_sparsity[0] for pair in sorted(result.pairs, key=lambda p: p.final_sparsity)] == sorted(
        pair.layer_sparsity[0] for pair in result.pairs)
    with pytest.raises(ValueError, match="strategy must be one of"):
        sparsity_sweep(split.X_train, split.y_train, (0.5,), seeds=[0], strategy="bagging", **settings)
