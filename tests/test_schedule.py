import numpy as np
import pytest

from ensembleprune import PruningSchedule
from ensembleprune._tf import import_tf


@pytest.mark.parametrize(
    "schedule, steps_per_epoch, epochs",
    [
        (PruningSchedule(0.9), 8, 200),
        (PruningSchedule(0.95, initial_sparsity=0.2, begin=0.0, end=0.8, exponent=2), 7, 30),
        (PruningSchedule(0.8, begin=2, end=9.5, unit="epoch", frequency=5), 10, 12),
        (PruningSchedule(0.5, begin=3, end=40, unit="step", frequency=1), 5, 10),
        (PruningSchedule(0.7, begin=0.2, end=0.5, kind="constant", frequency=3), 9, 11),
    ],
)
def test_sparsity_matches_tfmot_at_every_step(schedule, steps_per_epoch, epochs):
    tf, _, _ = import_tf()
    theirs = schedule.to_tfmot(steps_per_epoch, epochs)
    for step in range(0, steps_per_epoch * epochs + 2):
        should_prune, sparsity = theirs(tf.constant(step, dtype=tf.int64))
        assert schedule.sparsity_at(step, steps_per_epoch, epochs) == pytest.approx(float(sparsity), abs=1e-7)
        assert schedule.is_update_step(step, steps_per_epoch, epochs) == bool(should_prune)


def test_last_update_reaches_final_sparsity_inside_training():
    schedule = PruningSchedule(0.9, begin=0.1, end=0.6, frequency=7)
    begin, end, frequency = schedule.steps(steps_per_epoch=8, epochs=50)
    assert (end - begin) % frequency == 0
    assert end <= 8 * 50
    assert schedule.sparsity_at(end, 8, 50) == pytest.approx(0.9)
    assert schedule.is_update_step(end, 8, 50)


def test_to_tfmot_gets_python_numbers():
    theirs = PruningSchedule(np.float64(0.9), begin=np.float32(0.1)).to_tfmot(8, 20)
    config = theirs.get_config()["config"]
    for key in ("initial_sparsity", "final_sparsity", "power"):
        assert type(config[key]) is float
    for key in ("begin_step", "end_step", "frequency"):
        assert type(config[key]) is int


def test_articles_schedule_is_refused_with_the_numbers():
    # The article: 8 steps per epoch, 200 epochs, end_step=5000.
    schedule = PruningSchedule(0.75, begin=0, end=5000, unit="step", frequency=100)
    with pytest.raises(ValueError, match=r"1600 steps .*200 epochs x 8 steps.*step 5000"):
        schedule.steps(steps_per_epoch=8, epochs=200)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(final_sparsity=1.2), r"final_sparsity must be in \[0, 1\), got 1.2"),
        (dict(final_sparsity=-0.1), "final_sparsity must be in"),
        (dict(final_sparsity=0.5, initial_sparsity=0.6), "initial_sparsity must be in"),
        (dict(final_sparsity=0.5, begin=0.6, end=0.6), "begin < end"),
        (dict(final_sparsity=0.5, end=1.5), "fraction of training"),
        (dict(final_sparsity=0.5, unit="minute"), "unit must be one of"),
        (dict(final_sparsity=0.5, kind="cubic"), "kind must be one of"),
        (dict(final_sparsity=0.5, frequency=0), "frequency must be"),
        (dict(final_sparsity=0.5, exponent=0), "exponent must be > 0"),
    ],
)
def test_invalid_schedules_say_what_to_fix(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PruningSchedule(**kwargs)


def test_non_numbers_are_type_errors():
    with pytest.raises(TypeError, match="final_sparsity must be a finite real number"):
        PruningSchedule("0.9")


def test_config_round_trip():
    schedule = PruningSchedule(0.9, initial_sparsity=0.1, begin=1, end=5, unit="epoch", frequency=10, exponent=2)
    assert PruningSchedule.from_config(schedule.get_config()) == schedule
    assert schedule.with_final_sparsity(0.05).initial_sparsity == 0.05
