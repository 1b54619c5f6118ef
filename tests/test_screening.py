"""The marginal screen of input features, and the features it reserves in members that prune whole features."""

import numpy as np
import pytest

from ensembleprune import MemberSpec, PrunedMLPFactory, PruningSchedule
from ensembleprune._screening import screened_features


def _even_effect(n_rows=300, n_features=300, seed=0):
    # Feature 7's effect is a U centred on its mean: it correlates with nothing.
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_rows, n_features))
    y = 3 * X[:, 7] ** 2 + X[:, 3] + 0.3 * rng.normal(size=n_rows)
    return X, y.reshape(-1, 1)


def test_the_screen_finds_an_effect_that_correlation_misses():
    X, y = _even_effect()
    correlation = np.abs(np.corrcoef(X.T, y[:, 0])[-1, :-1])
    assert (correlation > correlation[7]).sum() > 10
    screened = screened_features(X, y)
    assert set(screened[:2]) == {3, 7}
    assert len(screened) <= 4


def test_the_screen_keeps_nothing_on_noise_and_ignores_constant_columns():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 100))
    X[:, 5] = 2.0
    assert screened_features(X, rng.normal(size=(200, 1))).size == 0
    X[:, 6] = (X[:, 6] > 0).astype(float)  # two distinct values: two groups, still tested
    assert list(screened_features(X, X[:, [6]] + 0.1 * rng.normal(size=(200, 1)))) == [6]


def test_the_screen_reads_only_the_given_rows_and_tests_every_output():
    X, y = _even_effect(seed=2)
    rows = np.arange(0, 300, 2)
    np.testing.assert_array_equal(screened_features(X, y[rows], rows), screened_features(X[rows], y[rows]))
    noise = np.random.default_rng(3).normal(size=y.shape)
    both = screened_features(X, np.hstack([noise, y]))
    assert {3, 7} <= set(both)
    with pytest.raises(IndexError):
        screened_features(X, y, rows=np.array([300]))


def test_reserved_features_are_at_most_half_of_those_kept():
    from ensembleprune._training import reserve_features
    from ensembleprune.trained import _pruned_layers

    spec = MemberSpec(0, PruningSchedule(0.9), (16,), input_pruning="features")
    model = PrunedMLPFactory(epochs=3, batch_size=32).build(spec, 40, 1, 100)
    first, second = _pruned_layers(model)
    reserve_features(first, np.array([39, 2, 17, 5, 8, 40]), 0.9)  # 4 kept at the end: 2 reserved
    np.testing.assert_array_equal(np.flatnonzero(first.reserved_rows.numpy()), [2, 39])
    assert second.reserved_rows is None
    reserve_features(second, np.array([1]), 0.9)  # single weights: nothing to reserve
    assert second.reserved_rows is None


@pytest.mark.parametrize("screen", [True, False])
def test_a_feature_pruning_member_keeps_the_even_effect_only_with_the_screen(monkeypatch, screen):
    from ensembleprune import _screening

    if not screen:
        monkeypatch.setattr(_screening, "screened_features", lambda X, y, rows=None: np.array([], dtype=np.int64))
    X, y = _even_effect()
    spec = MemberSpec(0, PruningSchedule(1 - 4 / 300), (64, 64), sparsity_allocation="uniform",
                      input_pruning="features")
    member = PrunedMLPFactory(epochs=30, batch_size=32, learning_rate=3e-3).fit_one(X, y, spec)
    first = next(layer for layer in member.model.layers if hasattr(layer, "pruning_vars"))
    kept = set(np.flatnonzero(first.pruning_vars[0][1].numpy().any(axis=1)))
    assert len(kept) == 4 and 3 in kept
    assert (7 in kept) == screen


def test_the_screen_sees_the_training_rows_not_the_held_out_ones(monkeypatch):
    from ensembleprune import _screening

    seen = []

    def recording(X, y, rows=None):
        seen.append((len(y), np.asarray(rows)))
        return np.array([], dtype=np.int64)

    monkeypatch.setattr(_screening, "screened_features", recording)
    X, y = _even_effect(n_rows=100, n_features=30)
    factory = PrunedMLPFactory(epochs=2, batch_size=32, early_stopping=True, validation_fraction=0.2)
    spec = MemberSpec(0, PruningSchedule(0.5), (8,), input_pruning="features")
    factory.train(X, y, [spec, MemberSpec(1, PruningSchedule(0.5), (8,))])
    (n_rows, rows), = seen  # one screen, for the one member that prunes features
    held_out = factory.validation_rows(100, [0, 1])
    assert n_rows == 80 and len(rows) == 80 and not set(rows) & set(held_out)


def test_the_screen_reads_evenly_spaced_rows_of_a_long_table(monkeypatch):
    from ensembleprune import _screening

    X, y = _even_effect(seed=4)
    monkeypatch.setattr(_screening, "SCREEN_ROWS", 100)
    every = np.linspace(0, 299, 100).astype(np.int64)
    monkeypatch.setattr(_screening, "_BLOCK_VALUES", 1000)  # ten columns at a time
    np.testing.assert_array_equal(screened_features(X, y), screened_features(X[every], y[every]))
    assert 7 in screened_features(X, y)


def test_a_child_of_a_trained_parent_reserves_the_screened_features_too():
    from ensembleprune.trained import _pruned_layers

    X, y = _even_effect()
    factory = PrunedMLPFactory(epochs=20, batch_size=32, learning_rate=3e-3)
    features = dict(sparsity_allocation="uniform", input_pruning="features")
    parent = factory.fit_one(X, y, MemberSpec(0, PruningSchedule(0.5), (64, 64), **features))
    child, = factory.train(X, y, [MemberSpec(1, PruningSchedule(1 - 4 / 300), (64, 64), **features)], parents=[parent])
    first = _pruned_layers(child.model)[0]
    assert set(np.flatnonzero(first.reserved_rows.numpy())) == {3, 7}
    assert {3, 7} <= set(np.flatnonzero(first.pruning_vars[0][1].numpy().any(axis=1)))


def test_a_screened_member_reads_the_screened_features_alone_from_the_first_step(monkeypatch):
    from ensembleprune import _screening
    from ensembleprune._training import reserve_features
    from ensembleprune.compact import strip
    from ensembleprune.trained import _pruned_layers

    X, y = _even_effect()
    screened = screened_features(X, y)
    factory = PrunedMLPFactory(epochs=6, batch_size=32, learning_rate=3e-3)
    # The schedule's first mask update comes at half of training; the screen masks the other features before it.
    spec = MemberSpec(0, PruningSchedule(0.5, begin=0.5), (32,), input_pruning="screened")
    first = _pruned_layers(factory.build(spec, X.shape[1], 1, len(X)))[0]
    reserve_features(first, screened, 0.5)
    start_mask = first.pruning_vars[0][1].numpy()
    assert set(np.flatnonzero(start_mask.any(axis=1))) == set(screened)
    assert not first.layer.kernel.numpy()[start_mask[:, 0] == 0].any()
    used = strip(factory.fit_one(X, y, spec).model).used_features_
    assert {3, 7} <= set(used) <= set(screened)
    # Where the screen finds nothing, the member prunes whole features as "features" does: half of them here.
    monkeypatch.setattr(_screening, "screened_features", lambda X, y, rows=None: np.array([], dtype=np.int64))
    assert strip(factory.fit_one(X, y, spec).model).used_features_.size == 150


def test_an_ensemble_with_a_screened_member_saves_loads_and_exports(tmp_path):
    from ensembleprune import PrunedEnsembleRegressor, load, save

    X, y = _even_effect(n_rows=240, n_features=60)
    model = PrunedEnsembleRegressor(n_members=2, input_pruning=["features", "screened"], hidden_layer_sizes=(16,),
                                    sparsities=(0.8,), epochs=30, learning_rate=3e-3, combine="mean",
                                    linear_member=False, input_encoding=None, random_state=0).fit(X, y[:, 0])
    # The screened member reads the few features the screen passes (3 and 7 among them); the other, those it keeps.
    screened, features = model.members_[1].used_features_, model.members_[0].used_features_
    assert {3, 7} <= set(screened) and screened.size < 10 and not np.array_equal(screened, features)
    save(model, tmp_path / "model.epz")
    np.testing.assert_allclose(load(tmp_path / "model.epz").predict(X), model.predict(X), rtol=1e-6)
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    from ensembleprune import to_onnx

    session = ort.InferenceSession(to_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: X.astype(np.float32)})[0]
    np.testing.assert_allclose(got.ravel(), model.predict(X), rtol=1e-4, atol=1e-4)
