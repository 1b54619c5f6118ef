import numpy as np
import pytest

from ensembleprune import MemberSpec, PrunedMLPFactory, PruningSchedule


def test_default_architecture_is_the_articles():
    spec = MemberSpec(seed=0, schedule=PruningSchedule(0.9))
    model = PrunedMLPFactory(epochs=200).build(spec, n_features=1000, n_outputs=1, n_samples=8000)
    kernels = [w.shape for w in model.weights if "kernel" in w.name and "mask" not in w.name]
    assert kernels == [(1000, 1024), (1024, 1024), (1024, 1)]


@pytest.mark.parametrize("training", ["fused", "independent"])
def test_every_layer_of_every_member_ends_within_one_point_of_its_target(tiny_regression, training):
    X, y = tiny_regression
    targets = [0.5, 0.8, 0.95]
    # Layers of 12x64, 64x128 and 128x1 weights: 1 point of sparsity is representable in each.
    specs = [MemberSpec(seed, PruningSchedule(s), (64, 128)) for seed, s in enumerate(targets)]
    factory = PrunedMLPFactory(epochs=4, batch_size=32, training=training)
    members = factory.train(X, y, specs, validation_data=(X[:50], y[:50]))
    assert [m.spec for m in members] == specs
    for member, target in zip(members, targets):
        assert len(member.layer_sparsity) == 3
        assert np.all(np.abs(np.array(member.layer_sparsity) - target) <= 0.01), member.layer_sparsity
        assert len(member.history["loss"]) == 4
        assert len(member.history["val_loss"]) == 4
        assert all(np.isfinite(member.history["loss"]))


def test_training_reduces_the_loss(tiny_regression):
    X, y = tiny_regression
    member = PrunedMLPFactory(epochs=15, batch_size=32, learning_rate=3e-3).fit_one(
        X, y.reshape(-1, 1), MemberSpec(1, PruningSchedule(0.5), (32,))
    )
    assert member.history["loss"][-1] < 0.5 * member.history["loss"][0]


def test_same_seed_same_member(tiny_regression):
    X, y = tiny_regression
    spec = MemberSpec(3, PruningSchedule(0.8), (16,))
    factory = PrunedMLPFactory(epochs=3, batch_size=64)
    first, second = (factory.fit_one(X, y.reshape(-1, 1), spec) for _ in range(2))
    for a, b in zip(first.model.get_weights(), second.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_impossible_schedule_fails_before_training(tiny_regression):
    X, y = tiny_regression
    spec = MemberSpec(0, PruningSchedule(0.9, begin=0, end=500, unit="step"), (8,))
    with pytest.raises(ValueError, match="cannot reach final_sparsity=0.9"):
        PrunedMLPFactory(epochs=2, batch_size=32).train(X, y, [spec])


def test_member_spec_validation():
    with pytest.raises(TypeError, match="schedule must be a PruningSchedule"):
        MemberSpec(0, 0.9)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be positive"):
        MemberSpec(0, PruningSchedule(0.9), (16, 0))
    with pytest.raises(ValueError, match="activation must be one of"):
        MemberSpec(0, PruningSchedule(0.9), (16,), activation="swish")
    spec = MemberSpec(5, PruningSchedule(0.9), (16, 8), "tanh")
    assert MemberSpec.from_config(spec.get_config()) == spec


def test_training_reads_a_float32_X_in_place_and_copies_only_what_it_must():
    from ensembleprune.factory import TrainingRows

    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    assert TrainingRows(X).X is X  # batches are read from the caller's array, not a copy of it
    held_out = TrainingRows(X, rows=[0, 2, 5])
    assert held_out.X is X and held_out.shape == (3, 2)
    converted = TrainingRows(X.astype(np.float64))
    assert converted.X.dtype == np.float32 and converted.X.flags.c_contiguous
    np.testing.assert_array_equal(converted.X, X)


def test_every_row_is_seen_once_per_epoch_in_shuffled_batches():
    from ensembleprune.factory import TrainingRows

    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    rows = TrainingRows(X, rows=np.arange(1, 10))
    y = np.arange(9, dtype=np.float32).reshape(9, 1)
    epoch = [(x.numpy(), t.numpy()) for x, t in rows.dataset([y], batch_size=4, seed=0)]
    assert [len(x) for x, _ in epoch] == [4, 4, 1]
    seen = np.concatenate([x for x, _ in epoch])
    np.testing.assert_array_equal(np.sort(seen[:, 0]), X[1:, 0])
    for x, t in epoch:  # targets stay with their rows
        np.testing.assert_array_equal(x[:, 0], X[1:, 0][t[:, 0].astype(int)])


def test_auto_batch_size_and_epochs_give_small_data_as_many_steps_as_large():
    factory = PrunedMLPFactory(epochs="auto", batch_size="auto")
    assert factory.batch_size_for(8000) == 256
    assert factory.batch_size_for(300) == 32
    assert factory.batch_size_for(10**6) == 1024
    assert factory.batch_size_for(20) == 20
    # A budget in steps: small data gets more epochs, and about the same number of steps.
    steps = {n: factory.steps_per_epoch(n) * factory.epochs_for(n) for n in (300, 4000)}
    assert min(steps.values()) >= 0.8 * max(steps.values())


@pytest.mark.parametrize("allocation", ["uniform", "dense_output", "erk"])
def test_layer_sparsities_keep_the_member_sparsity_overall(allocation):
    from ensembleprune.factory import layer_sparsities

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
