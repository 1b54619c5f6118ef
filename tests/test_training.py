"""Training behaviour: pruning masks, input pipeline, bootstrap, early stopping, processes, threads, progress, tracing."""

import numpy as np
import pytest
from joblib import Parallel, delayed, parallel_config

from ensembleprune import MemberSpec, PrunedEnsembleRegressor, PrunedMLPFactory, PruningSchedule
from ensembleprune._tf import import_tf
from ensembleprune.member import OUTPUT_LOSSES
from ensembleprune.training_rows import bootstrap_counts

# Layers of 12x64, 64x128 and 128x1 weights: 1 point of sparsity is representable in each.
HIDDEN = (64, 128)


def _specs(targets, hidden=HIDDEN, **schedule):
    return [MemberSpec(seed, PruningSchedule(target, **schedule), hidden) for seed, target in enumerate(targets)]


def _masks_and_kernels(model):
    """(mask, kernel) of every pruned layer of ``model``."""
    return [(layer.pruning_vars[0][1].numpy(), layer.layer.kernel.numpy())
            for layer in model.layers if hasattr(layer, "pruning_vars")]


@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 0.999])
def test_mask_update_matches_tfmot_exactly(sparsity):
    tf, _, tfmot = import_tf()
    from tensorflow_model_optimization.python.core.sparsity.keras import pruning_impl

    from ensembleprune._training import MagnitudePruning

    rng = np.random.default_rng(0)
    # Rounded weights hold many ties at the threshold, and exact zeros.
    weights = tf.constant(np.round(rng.normal(size=(300, 70)), 2).astype(np.float32))
    arguments = dict(training_step_fn=lambda: tf.constant(1, tf.int64), pruning_vars=[],
                     pruning_schedule=tfmot.ConstantSparsity(sparsity, 0), block_size=(1, 1), block_pooling_type="AVG")
    ours = MagnitudePruning(**arguments)._update_mask(weights)
    theirs = pruning_impl.Pruning(**arguments)._update_mask(weights)
    assert float(ours[0]) == float(theirs[0])
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


def test_feature_mask_keeps_the_input_rows_of_largest_mean_magnitude():
    tf, _, tfmot = import_tf()
    from ensembleprune._training import MagnitudePruning

    rng = np.random.default_rng(0)
    weights = rng.normal(size=(40, 16)).astype(np.float32)
    pruning = MagnitudePruning(training_step_fn=lambda: tf.constant(1, tf.int64), pruning_vars=[],
                               pruning_schedule=tfmot.ConstantSparsity(0.75, 0), block_size=(1, 16),
                               block_pooling_type="AVG")
    _, mask = pruning._maybe_update_block_mask(tf.constant(weights))
    kept_rows = np.flatnonzero(mask.numpy().all(axis=1))
    np.testing.assert_array_equal(np.sort(kept_rows), np.sort(np.argsort(-np.abs(weights).mean(axis=1))[:10]))
    assert mask.numpy().sum() == 10 * 16


def test_feature_mask_with_an_initial_kernel_keeps_the_live_rows_that_moved_most():
    tf, _, tfmot = import_tf()
    from ensembleprune._training import MagnitudePruning

    rng = np.random.default_rng(0)
    initial = rng.normal(size=(40, 16)).astype(np.float32)
    moved = initial + rng.normal(scale=0.1, size=(1, 16)).astype(np.float32) * rng.uniform(0, 3, size=(40, 1))
    live = np.ones((40, 16), np.float32)
    live[:6] = 0  # rows pruned at an earlier update: zero weights, "moved" by their whole initial magnitude
    moved = (moved * live).astype(np.float32)
    kernel, mask = tf.Variable(moved), tf.Variable(live)
    pruning = MagnitudePruning(training_step_fn=lambda: tf.constant(1, tf.int64),
                               pruning_vars=[(kernel, mask, tf.Variable(0.0))],
                               pruning_schedule=tfmot.ConstantSparsity(0.75, 0), block_size=(1, 16),
                               block_pooling_type="AVG", initial_kernel=tf.constant(initial))
    _, new_mask = pruning._maybe_update_block_mask(kernel)
    kept_rows = np.flatnonzero(new_mask.numpy().all(axis=1))
    distance = np.abs(moved - initial).mean(axis=1) * live[:, 0]
    np.testing.assert_array_equal(np.sort(kept_rows), np.sort(np.argsort(-distance)[:10]))
    assert not set(kept_rows) & set(range(6))
    # Magnitude alone would have kept other rows: the initial weights' spread dominates.
    assert set(kept_rows) != set(np.argsort(-np.abs(moved).mean(axis=1))[:10])


def test_a_feature_pruned_layer_keeps_its_kernel_as_built_and_the_others_keep_nothing():
    spec = MemberSpec(0, PruningSchedule(0.9), (16,), input_pruning="features")
    factory = PrunedMLPFactory(epochs=3, batch_size=32)
    model = factory.build(spec, 40, 1, 100)
    first, second = [layer for layer in model.layers if hasattr(layer, "pruning_vars")]
    np.testing.assert_array_equal(first.initial_kernel.numpy(), first.layer.kernel.numpy())
    assert second.initial_kernel is None
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 40))
    trained = factory.fit_one(X, X[:, :1], spec).model
    first = next(layer for layer in trained.layers if hasattr(layer, "pruning_vars"))
    np.testing.assert_array_equal(first.initial_kernel.numpy(), model.layers[1].initial_kernel.numpy())
    assert not np.allclose(first.initial_kernel.numpy(), first.layer.kernel.numpy())


def test_a_child_counts_its_features_movement_from_its_parents_kernel():
    from ensembleprune._training import inherit
    from ensembleprune.trained import _pruned_layers

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 40))
    factory = PrunedMLPFactory(epochs=3, batch_size=32)
    parent = factory.fit_one(X, X[:, :1], MemberSpec(0, PruningSchedule(0.5), (16,), input_pruning="features"))
    child = factory.build(MemberSpec(1, PruningSchedule(0.9), (16,), input_pruning="features"), 40, 1, 100)
    inherit(_pruned_layers(parent.model), _pruned_layers(child), parent.layer_sparsity)
    first = _pruned_layers(child)[0]
    np.testing.assert_array_equal(first.initial_kernel.numpy(), first.layer.kernel.numpy())
    parent_first = _pruned_layers(parent.model)[0]
    np.testing.assert_array_equal(first.initial_kernel.numpy(),
                                  parent_first.layer.kernel.numpy() * parent_first.pruning_vars[0][1].numpy())


@pytest.mark.parametrize("target", ["linear", "friedman_like"])
def test_feature_pruning_keeps_the_informative_inputs_among_few(target):
    # 4 of 12 inputs carry the target. He initialization gives each input's row a
    # random magnitude that training barely changes here, so ranking by magnitude
    # kept 2 of the 4 on both targets; the distance moved keeps all 4.
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 12))
    y = (2 * X[:, 0] - 2 * X[:, 1] + 2 * X[:, 2] + 2 * X[:, 3] if target == "linear"
         else 10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * X[:, 2] ** 2 + 10 * X[:, 3])
    spec = MemberSpec(0, PruningSchedule(1 - 4 / 12), (64, 64), sparsity_allocation="uniform",
                      input_pruning="features")
    member = PrunedMLPFactory(epochs=30, batch_size=32, learning_rate=3e-3).fit_one(X, y.reshape(-1, 1), spec)
    (first_mask, _), *_ = _masks_and_kernels(member.model)
    assert set(np.flatnonzero(first_mask.any(axis=1))) == {0, 1, 2, 3}


def test_feature_pruning_drops_whole_inputs_and_keeps_informative_ones():
    # Wide inputs, where learning moves the input weights well past their small
    # initial scale: 4 of 200 inputs carry the target, and 4 inputs are kept.
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 200))
    y = np.sin(2 * X[:, 0]) + np.sin(2 * X[:, 1]) + X[:, 2] + X[:, 3]
    spec = MemberSpec(0, PruningSchedule(0.98), (64, 64), sparsity_allocation="uniform", input_pruning="features")
    member = PrunedMLPFactory(epochs=30, batch_size=32, learning_rate=3e-3).fit_one(X, y.reshape(-1, 1), spec)
    (first_mask, _), (second_mask, _), _ = _masks_and_kernels(member.model)
    live_rows = np.flatnonzero(first_mask.any(axis=1))
    assert np.all(first_mask[live_rows] == 1) and live_rows.size == 4
    assert len(set(live_rows) & {0, 1, 2, 3}) >= 3, live_rows
    # The next layer still loses single weights: each of its rows keeps a few.
    assert 0 < second_mask.mean() < 0.1 and second_mask.any(axis=1).mean() > 0.5


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


def test_training_reads_a_float32_X_in_place_and_copies_only_what_it_must():
    from ensembleprune.training_rows import TrainingRows

    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    assert TrainingRows(X).X is X  # batches are read from the caller's array, not a copy of it
    held_out = TrainingRows(X, rows=[0, 2, 5])
    assert held_out.X is X and held_out.shape == (3, 2)
    converted = TrainingRows(X.astype(np.float64))
    assert converted.X.dtype == np.float32 and converted.X.flags.c_contiguous
    np.testing.assert_array_equal(converted.X, X)


def test_every_row_is_seen_once_per_epoch_in_shuffled_batches():
    from ensembleprune.training_rows import TrainingRows

    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    rows = TrainingRows(X, rows=np.arange(1, 10))
    y = np.arange(9, dtype=np.float32).reshape(9, 1)
    epoch = [(x.numpy(), t.numpy()) for x, t in rows.dataset([y], batch_size=4, seed=0)]
    assert [len(x) for x, _ in epoch] == [4, 4, 1]
    seen = np.concatenate([x for x, _ in epoch])
    np.testing.assert_array_equal(np.sort(seen[:, 0]), X[1:, 0])
    for x, t in epoch:  # targets stay with their rows
        np.testing.assert_array_equal(x[:, 0], X[1:, 0][t[:, 0].astype(int)])


def test_bootstrap_counts_are_a_seeded_bootstrap_sample():
    counts = bootstrap_counts(3, 1000)
    assert counts.shape == (1000,) and counts.sum() == 1000
    assert np.all(counts == np.round(counts))
    # About 1/e of the rows are left out of a bootstrap sample.
    assert 0.3 < np.mean(counts == 0) < 0.44
    np.testing.assert_array_equal(counts, bootstrap_counts(3, 1000))
    assert not np.array_equal(counts, bootstrap_counts(4, 1000))


def test_bootstrap_trains_each_fused_member_on_its_own_counts(tiny_regression):
    X, y = tiny_regression
    specs = _specs([0.5, 0.8], hidden=(8,))
    factory = dict(epochs=2, batch_size=64)
    bootstrapped = PrunedMLPFactory(bootstrap=True, **factory).train(X, y, specs)
    counts = np.stack([bootstrap_counts(spec.seed, len(X)) for spec in specs])
    weighted = PrunedMLPFactory(**factory).train(X, y, specs, sample_weight=counts)
    unweighted = PrunedMLPFactory(**factory).train(X, y, specs)
    for member, same, other in zip(bootstrapped, weighted, unweighted):
        for a, b in zip(member.model.get_weights(), same.model.get_weights()):
            np.testing.assert_array_equal(a, b)
        assert not np.array_equal(member.model.get_weights()[0], other.model.get_weights()[0])


@pytest.mark.parametrize("training", ["fused", "independent"])
def test_early_stopping_waits_for_pruning_and_restores_the_best_masked_weights(tiny_regression, training):
    X, y = tiny_regression
    # Pruning ends after epoch 3 for the first member and after epoch 6 for the second
    # (of 10; 8 steps per epoch). With a huge tol no epoch after the first counted one
    # improves, so each member stops one epoch after its pruning has ended.
    specs = [MemberSpec(0, PruningSchedule(0.9, begin=0, end=3, unit="epoch"), HIDDEN),
             MemberSpec(1, PruningSchedule(0.6, begin=1, end=6, unit="epoch"), HIDDEN)]
    validation = (X[:60], y[:60])
    factory = PrunedMLPFactory(epochs=10, batch_size=30, learning_rate=1e-2, training=training,
                               early_stopping=True, n_iter_no_change=1, tol=1e9)
    members = factory.train(X[60:], y[60:], specs, validation_data=validation)
    for member, pruning_end_epoch in zip(members, [2, 5]):
        assert member.best_epoch == pruning_end_epoch
        assert len(member.history["loss"]) == len(member.history["val_loss"]) == pruning_end_epoch + 2
        assert np.all(np.abs(np.array(member.layer_sparsity) - member.spec.final_sparsity) <= 0.01)
        for mask, kernel in _masks_and_kernels(member.model):
            assert np.all(kernel[mask == 0] == 0)
        member.model.compile(loss="mse")  # a fused member's model shares the branch's layers, uncompiled
        restored_loss = member.model.evaluate(*validation, verbose=0)
        np.testing.assert_allclose(restored_loss, member.history["val_loss"][member.best_epoch], rtol=1e-4)


def test_fused_early_stopping_holds_out_rows_and_stops_the_fit_when_all_members_stopped(tiny_regression):
    X, y = tiny_regression
    factory = PrunedMLPFactory(epochs=30, batch_size=32, early_stopping=True, validation_fraction=0.2,
                               n_iter_no_change=2, tol=1e9, bootstrap=True)
    members = factory.train(X, y, _specs([0.5, 0.95], begin=0.0, end=0.1))
    for member in members:
        # 240 training rows, 8 steps per epoch; pruning ends at step 24, after epoch 3.
        assert member.best_epoch == 2
        assert len(member.history["val_loss"]) == 5
        assert np.all(np.abs(np.array(member.layer_sparsity) - member.spec.final_sparsity) <= 0.01)


@pytest.mark.slow
def test_independent_members_train_in_two_processes_as_in_one(tiny_regression):
    X, y = tiny_regression
    specs = _specs([0.5, 0.9], hidden=(16,))
    in_process = PrunedMLPFactory(epochs=3, batch_size=32, training="independent", n_jobs=1).train(X, y, specs)
    in_workers = PrunedMLPFactory(epochs=3, batch_size=32, training="independent", n_jobs=2).train(X, y, specs)
    assert [member.spec for member in in_workers] == specs
    for one, two in zip(in_process, in_workers):
        assert two.layer_sparsity == one.layer_sparsity
        for a, b in zip(one.model.get_weights(), two.model.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-5)


def _tensorflow_threads_after_a_fused_fit(X, y):
    PrunedEnsembleRegressor(n_members=2, hidden_layer_sizes=(8,), epochs=2, batch_size=64, combine="mean",
                            early_stopping=False).fit(X, y)
    tf, _, _ = import_tf()
    return tf.config.threading.get_intra_op_parallelism_threads()


@pytest.mark.slow
def test_a_fit_in_a_process_worker_gives_tensorflow_the_threads_joblib_gives_native_libraries(tiny_regression):
    # As in cross_val_score(n_jobs=2): joblib sets OMP_NUM_THREADS in its workers, and
    # TensorFlow follows it. 3 is neither joblib's default here nor TensorFlow's (0, all cores).
    with parallel_config(backend="loky", inner_max_num_threads=3):
        threads = Parallel(n_jobs=2)(delayed(_tensorflow_threads_after_a_fused_fit)(*tiny_regression) for _ in range(2))
    assert threads == [3, 3]


@pytest.mark.parametrize("training", ["fused", "independent"])
def test_verbose_zero_is_silent_and_verbose_one_shows_one_bar(tiny_regression, capfd, training):
    X, y = tiny_regression
    estimator = dict(n_members=2, sparsities=(0.5,), hidden_layer_sizes=(8,), epochs=3, batch_size=64,
                     training=training, combine="mean", random_state=0)  # one fit (the selection's: six here)
    import_tf()  # TensorFlow prints start-up notes on first import; they are not the estimator's.
    capfd.readouterr()
    PrunedEnsembleRegressor(verbose=0, **estimator).fit(X, y)
    assert capfd.readouterr() == ("", "")
    PrunedEnsembleRegressor(verbose=1, **estimator).fit(X, y)
    out, err = capfd.readouterr()
    description = "training 2 fused members" if training == "fused" else "training 2 members"
    assert err.count(description) >= 1 and "100%" in err
    assert "Epoch 1/3" not in out


def test_one_traced_remasking_gives_the_weights_of_tfmots_callback(tiny_regression, monkeypatch):
    # The end-of-epoch re-masking runs as one tf.function instead of tfmot's eager call per layer.
    from ensembleprune import _training

    X, y = tiny_regression
    specs = _specs([0.5, 0.9], hidden=(16,))
    factory = PrunedMLPFactory(epochs=3, batch_size=64)
    ours = factory.train(X, y, specs)
    monkeypatch.setattr(_training, "UpdatePruningStep", import_tf()[2].UpdatePruningStep)
    tfmots = factory.train(X, y, specs)
    for a, b in zip(ours, tfmots):
        for weights, expected in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
            np.testing.assert_array_equal(weights, expected)
    kernel, mask = ours[1].model.layers[1].weights[:3:2]  # kernel, bias, mask: masked at the last epoch's end
    assert "mask" in mask.name and np.all(kernel.numpy()[mask.numpy() == 0] == 0)


def test_fit_traces_its_train_step_once(tiny_regression):
    # A train step that created variables on its first call would be traced twice;
    # the partial last batch (240 training rows, batch 64) must not cause a retrace either.
    X, y = tiny_regression
    factory = PrunedMLPFactory(epochs=2, batch_size=64, early_stopping=True, validation_fraction=0.2)
    member = factory.fit_one(X, y, _specs([0.5], hidden=(8,))[0])
    assert member.model.train_function.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("output", ["linear", "softmax"])
@pytest.mark.parametrize("training", ["fused", "independent"])
def test_validation_losses_are_what_keras_evaluate_gives(tiny_regression, output, training, monkeypatch):
    # The held-out losses come from one compiled pass per block of rows, not from Keras' evaluate: the same
    # weighted losses, blocks of any size (a partial last one too) traced once.
    from ensembleprune import _training

    monkeypatch.setattr(_training.ValidationLosses, "BLOCK_ROWS", 16)
    created, init = [], _training.ValidationLosses.__init__
    monkeypatch.setattr(_training.ValidationLosses, "__init__",
                        lambda self, *args, **kwargs: (init(self, *args, **kwargs), created.append(self))[0])
    X, y = tiny_regression
    Y = y.reshape(-1, 1).astype(np.float32)
    if output == "softmax":
        Y = np.eye(3, dtype=np.float32)[np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))]
    rows = np.arange(0, len(X), 7)  # 43 held-out rows: two full blocks and a partial one
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=(2, len(X))).astype(np.float32)
    specs = [MemberSpec(seed, PruningSchedule(sparsity), (8,), output_activation=output)
             for seed, sparsity in enumerate([0.5, 0.7])]
    members = PrunedMLPFactory(epochs=2, batch_size=32, training=training).train(
        X, Y, specs, sample_weight=weights, validation_rows=rows)
    for k, member in enumerate(members):
        member.model.compile(loss=OUTPUT_LOSSES[output])  # a fused member's model is not compiled on its own
        expected = member.model.evaluate(X[rows].astype(np.float32), Y[rows], sample_weight=weights[k, rows],
                                         batch_size=10, verbose=0)
        np.testing.assert_allclose(member.history["val_loss"][-1], expected, rtol=1e-5)
    assert created and all(callback.function.experimental_get_tracing_count() == 1 for callback in created)


@pytest.mark.parametrize("training", ["fused", "independent"])
def test_validation_loss_weighs_the_held_out_rows_like_the_training_rows(tiny_regression, training):
    # Held-out rows of weight 0 cannot change what early stopping sees, however wrong their targets.
    X, y = tiny_regression
    Y = y.reshape(-1, 1).astype(np.float32)
    rows = np.arange(0, len(X), 10)
    weights = np.ones((2, len(X)), np.float32)
    weights[:, rows[::2]] = 0.0
    corrupted = Y.copy()
    corrupted[rows[::2]] = 1e3
    factory = PrunedMLPFactory(epochs=3, batch_size=32, training=training)
    histories = [
        [member.history["val_loss"] for member in
         factory.train(X, target, _specs([0.5, 0.7], hidden=(8,)), sample_weight=weights, validation_rows=rows)]
        for target in (Y, corrupted)
    ]
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)
    assert np.all(np.isfinite(histories[0])) and np.max(histories[0]) < 100


def test_an_epoch_of_the_repeated_batches_is_every_training_row_once(tiny_regression):
    # fit repeats the batches without end and counts steps_per_epoch of them as an epoch.
    from ensembleprune.training_rows import TrainingRows

    X, _ = tiny_regression
    rows = TrainingRows(X, np.arange(7, len(X)))  # 293 rows: the last batch of each epoch is partial
    factory = PrunedMLPFactory(batch_size=64)
    steps = factory.steps_per_epoch(len(rows))
    identity = np.arange(len(rows), dtype=np.float32)
    batches = list(rows.dataset([identity], factory.batch_size_for(len(rows)), seed=3).repeat().take(3 * steps))
    epochs = [np.concatenate([batch[1] for batch in batches[k * steps : (k + 1) * steps]]) for k in range(3)]
    for seen in epochs:
        np.testing.assert_array_equal(np.sort(seen), identity)
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled each epoch
