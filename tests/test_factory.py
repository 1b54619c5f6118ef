"""Building members with the factory: specs, architecture, sparsity allocation, auto budgets, option checks."""

import numpy as np
import pytest

from ensembleprune import MemberSpec, PrunedEnsembleRegressor, PrunedMLPFactory, PruningSchedule
from ensembleprune.factory import AUTO_MAX_EPOCHS, AUTO_MIN_EPOCHS

# Layers of 12x64, 64x128 and 128x1 weights: 1 point of sparsity is representable in each.
HIDDEN = (64, 128)


def _specs(targets, hidden=HIDDEN, **schedule):
    return [MemberSpec(seed, PruningSchedule(target, **schedule), hidden) for seed, target in enumerate(targets)]


def test_default_architecture_is_the_articles():
    spec = MemberSpec(seed=0, schedule=PruningSchedule(0.9))
    model = PrunedMLPFactory(epochs=200).build(spec, n_features=1000, n_outputs=1, n_samples=8000)
    kernels = [w.shape for w in model.weights if "kernel" in w.name and "mask" not in w.name]
    assert kernels == [(1000, 1024), (1024, 1024), (1024, 1)]


def test_member_spec_validation():
    with pytest.raises(TypeError, match="schedule must be a PruningSchedule"):
        MemberSpec(0, 0.9)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be positive"):
        MemberSpec(0, PruningSchedule(0.9), (16, 0))
    with pytest.raises(ValueError, match="activation must be one of"):
        MemberSpec(0, PruningSchedule(0.9), (16,), activation="swish")
    with pytest.raises(ValueError, match="input_pruning must be one of"):
        MemberSpec(0, PruningSchedule(0.9), (16,), input_pruning="columns")
    spec = MemberSpec(5, PruningSchedule(0.9), (16, 8), "tanh", input_pruning="features")
    assert MemberSpec.from_config(spec.get_config()) == spec
    # A spec saved before input_pruning existed prunes single weights, as it did then.
    older = {key: value for key, value in spec.get_config().items() if key != "input_pruning"}
    assert MemberSpec.from_config(older).input_pruning == "weights"


@pytest.mark.parametrize("allocation", ["uniform", "dense_output", "erk"])
def test_layer_sparsities_keep_the_member_sparsity_overall(allocation):
    from ensembleprune.member import layer_sparsities

    shapes = [(500, 256), (256, 256), (256, 1)]
    sparsities = layer_sparsities(0.95, shapes, allocation)
    sizes = np.array([a * b for a, b in shapes])
    kept = np.sum(sizes * (1 - np.array(sparsities)))
    if allocation == "uniform":
        assert sparsities == [0.95, 0.95, 0.95]
    else:
        assert sparsities[-1] == 0.0  # the output layer stays dense
    if allocation == "erk":
        assert sparsities[0] > sparsities[1]  # the wide input layer is pruned hardest
        assert kept == pytest.approx(0.05 * sizes.sum(), rel=1e-3)


def test_auto_batch_size_and_epochs_give_a_budget_of_steps_within_20_to_200_passes():
    factory = PrunedMLPFactory(epochs="auto", batch_size="auto")
    assert factory.batch_size_for(8000) == 256
    assert factory.batch_size_for(300) == 32
    assert factory.batch_size_for(10**6) == 1024
    assert factory.batch_size_for(20) == 20
    # A budget in steps: from about 1,000 rows to 100,000, the same number of steps whatever the size.
    steps = {n: factory.steps_per_epoch(n) * factory.epochs_for(n) for n in (1000, 4000, 100_000)}
    assert min(steps.values()) >= 0.8 * max(steps.values())
    # Below, batches stop shrinking: the passes over the rows are bounded instead, so fewer steps.
    assert factory.epochs_for(300) == AUTO_MAX_EPOCHS
    assert factory.steps_per_epoch(300) * factory.epochs_for(300) < 0.5 * steps[4000]
    # Above, at least AUTO_MIN_EPOCHS passes: a million rows train for more steps than the budget.
    assert factory.epochs_for(10**6) == AUTO_MIN_EPOCHS
    assert factory.steps_per_epoch(10**6) * factory.epochs_for(10**6) > 2 * steps[100_000]


def test_impossible_schedule_fails_before_training(tiny_regression):
    X, y = tiny_regression
    spec = MemberSpec(0, PruningSchedule(0.9, begin=0, end=500, unit="step"), (8,))
    with pytest.raises(ValueError, match="cannot reach final_sparsity=0.9"):
        PrunedMLPFactory(epochs=2, batch_size=32).train(X, y, [spec])


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(validation_fraction=1.0), r"validation_fraction must be in \(0, 1\)"),
        (dict(n_iter_no_change=0), "n_iter_no_change must be an integer >= 1"),
        (dict(tol=-1.0), "tol must be >= 0"),
    ],
)
def test_factory_rejects_bad_early_stopping_settings(arguments, message):
    with pytest.raises(ValueError, match=message):
        PrunedMLPFactory(**arguments)


def test_early_stopping_needs_rows_to_hold_out():
    X, y = np.zeros((3, 2)), np.zeros(3)
    factory = PrunedMLPFactory(epochs=2, early_stopping=True, validation_fraction=0.1)
    with pytest.raises(ValueError, match="cannot hold out validation_fraction=0.1 of 3 rows"):
        factory.train(X, y, _specs([0.5], hidden=(4,)))


def test_sample_weight_must_hold_one_row_per_member(tiny_regression):
    X, y = tiny_regression
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(n_members, n_samples\) = \(2, 300\)"):
        PrunedMLPFactory(epochs=2).train(X, y, _specs([0.5, 0.8], hidden=(4,)), sample_weight=np.ones(300))


def test_estimator_passes_training_options_to_the_factory(tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(n_members=2, sparsities=(0.5,), hidden_layer_sizes=(8,), epochs=12,
                                    batch_size=64, pruning_start=0.0, pruning_end=0.25, early_stopping=True,
                                    validation_fraction=0.25, n_iter_no_change=1, tol=1e9, bootstrap=True,
                                    combine="mean", random_state=0)
    factory = model._factory()
    assert (factory.bootstrap, factory.early_stopping, factory.validation_fraction, factory.n_iter_no_change,
            factory.tol) == (True, True, 0.25, 1, 1e9)
    model.fit(X, y)
    # 225 training rows, 4 steps per epoch, pruning ends at step 12: after epoch 3.
    assert [len(history["val_loss"]) for history in model.history_] == [4, 4]


def test_layer_sparsities_keep_a_floor_of_live_weights_except_under_uniform():
    from ensembleprune.member import layer_sparsities

    # 10 inputs, 16 units, 1 output at 0.995: ERK alone would keep no input weight.
    shapes = [(10, 16), (16, 1)]
    assert layer_sparsities(0.995, shapes, "erk") == [0.9, 0.0]
    assert layer_sparsities(0.995, shapes, "dense_output") == [0.9, 0.0]
    assert layer_sparsities(0.995, shapes, "uniform") == [0.995, 0.995]
    # Wide inputs: the floor is below what ERK keeps in the first two layers.
    wide = layer_sparsities(0.98, [(500, 256), (256, 256), (256, 1)], "erk")
    assert wide[0] < 0.998 and wide[1] < 1 - 1 / 256
