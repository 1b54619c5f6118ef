"""nondeterministic_ops() turns TensorFlow's op determinism off inside training, and only there."""

import numpy as np
import pytest

from ensembleprune import MemberSpec, PrunedMLPFactory, PruningSchedule
from ensembleprune._tf import _deterministic_training, nondeterministic_ops

tf_config = pytest.importorskip("tensorflow.python.framework.config")


@pytest.fixture
def seen_during_training(monkeypatch):
    """The op-determinism states that a Keras callback sees at the start and end of every fit."""
    import tf_keras

    seen = []

    class Observe(tf_keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(tf_config.is_op_determinism_enabled())

        def on_train_end(self, logs=None):
            seen.append(tf_config.is_op_determinism_enabled())

    # The factory takes no user callbacks, so the observer is added to the ones it builds.
    original = PrunedMLPFactory._callbacks
    monkeypatch.setattr(PrunedMLPFactory, "_callbacks", lambda self, *args: [*original(self, *args), Observe()])
    yield seen
    # Leave the process as TensorFlow starts it, whatever a failed test did.
    tf_config.disable_op_determinism()


def small_fit(training):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)), rng.normal(size=(64, 1))
    spec = MemberSpec(0, PruningSchedule(0.5), (4,))
    factory = PrunedMLPFactory(epochs=1, batch_size=32, training="fused")
    if training == "fit_one":
        factory.fit_one(X, y, spec)
    else:
        factory.train(X, y, [spec])


@pytest.mark.parametrize("training", ["fused", "fit_one"])
def test_training_is_deterministic_by_default_and_restores_the_callers_state(seen_during_training, training):
    assert not tf_config.is_op_determinism_enabled()
    small_fit(training)
    assert seen_during_training == [True, True]
    assert not tf_config.is_op_determinism_enabled()


@pytest.mark.parametrize("training", ["fused", "fit_one"])
def test_nondeterministic_ops_leaves_determinism_off_inside_training(seen_during_training, training):
    with nondeterministic_ops():
        small_fit(training)
    small_fit(training)  # after the block, fits are deterministic again
    assert seen_during_training == [False, False, True, True]
    assert not tf_config.is_op_determinism_enabled()


def test_nondeterministic_ops_overrides_and_restores_the_callers_determinism(seen_during_training):
    tf_config.enable_op_determinism()
    with nondeterministic_ops():
        small_fit("fused")
        assert tf_config.is_op_determinism_enabled()  # the caller's setting, outside the fit
    assert seen_during_training == [False, False]
    assert tf_config.is_op_determinism_enabled()


def test_the_switch_is_restored_when_the_block_raises():
    from ensembleprune import _tf

    with pytest.raises(RuntimeError), nondeterministic_ops():
        with nondeterministic_ops():
            pass
        assert _tf._deterministic_training is False  # the inner block restores the outer's state
        raise RuntimeError
    assert _tf._deterministic_training is _deterministic_training is True
