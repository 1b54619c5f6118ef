"""Temperature scaling of the classifier's members on the held-out rows or out of fold (member_calibration)."""

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.datasets import make_circles, make_classification

from ensembleprune import PrunedEnsembleClassifier, load, save
from ensembleprune import classifier as classifier_module
from ensembleprune.classifier import TEMPERATURE_RANGE, fit_temperature, log_loss_of_average
from ensembleprune.encoding import encode

SMALL = dict(n_members=2, sparsities=(0.5, 0.7), hidden_layer_sizes=(32,), epochs=30, batch_size=32, learning_rate=1e-2,
             random_state=0)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_fit_temperature_recovers_the_temperature_that_generated_the_labels(n_classes):
    rng = np.random.default_rng(0)
    width = 1 if n_classes == 2 else n_classes
    logits = rng.normal(scale=6.0, size=(20_000, width))
    true_temperature = 3.0
    if n_classes == 2:
        labels = (rng.uniform(size=len(logits)) < expit(logits[:, 0] / true_temperature)).astype(int)
        Y = labels.reshape(-1, 1).astype(float)
    else:
        proba = softmax(logits / true_temperature, axis=1)
        labels = np.array([rng.choice(n_classes, p=p) for p in proba])
        Y = np.eye(n_classes)[labels]
    assert fit_temperature(logits, Y) == pytest.approx(true_temperature, rel=0.1)


def test_fit_temperature_never_sharpens_stays_within_its_range_and_weighs_rows():
    logits = np.array([[2.0], [-2.0], [2.0], [-2.0]])
    always_right = np.array([[1.0], [0.0], [1.0], [0.0]])
    # Held-out rows that a member gets all right would call for sharpening it without bound: it is left as it is.
    assert fit_temperature(logits, always_right) == pytest.approx(1.0, abs=1e-3)
    assert fit_temperature(logits, 1 - always_right) == pytest.approx(TEMPERATURE_RANGE[1], rel=1e-3)
    # Weight only on the wrong rows: the same as those rows alone.
    weights = np.array([0.0, 0.0, 1.0, 1.0])
    half_wrong = np.array([[1.0], [0.0], [0.0], [1.0]])
    assert fit_temperature(logits, half_wrong, weights) == pytest.approx(TEMPERATURE_RANGE[1], rel=1e-3)
    assert fit_temperature(logits, half_wrong) > 1.5


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=300, n_features=10, n_informative=4, flip_y=0.1, random_state=2)
    return X, y


@pytest.fixture(scope="module")
def both_fits(binary):
    X, y = binary
    as_trained = PrunedEnsembleClassifier(**SMALL, combine="mean", member_calibration=None).fit(X, y)
    calibrated = PrunedEnsembleClassifier(**SMALL, combine="mean").fit(X, y)
    return as_trained, calibrated


def test_calibration_divides_each_members_logits_by_its_temperature(both_fits, binary):
    X, _ = binary
    as_trained, calibrated = both_fits
    np.testing.assert_array_equal(as_trained.member_temperatures_, [1.0, 1.0])
    assert calibrated.member_temperatures_.shape == (2,)
    assert not np.allclose(calibrated.member_temperatures_, 1.0)
    X = encode(X, calibrated.input_encoding_)  # what the members read
    for before, after, temperature in zip(as_trained.members_, calibrated.members_, calibrated.member_temperatures_):
        logits = before.with_output_layer(activation="linear").predict(X)
        np.testing.assert_allclose(after.predict(X), expit(logits / temperature), rtol=1e-4, atol=1e-6)


def test_calibrated_members_have_no_higher_held_out_log_loss(both_fits, binary):
    X, y = binary
    as_trained, calibrated = both_fits
    held_out = as_trained._factory().validation_rows(len(X), list(as_trained.member_seeds_))
    Y = y[held_out].reshape(-1, 1).astype(float)
    X = encode(X, calibrated.input_encoding_)
    for before, after in zip(as_trained.members_, calibrated.members_):
        loss_before = log_loss_of_average(before.predict(X[held_out]), Y)
        assert log_loss_of_average(after.predict(X[held_out]), Y) <= loss_before + 1e-6


def test_selection_weighs_the_members_as_trained_then_calibrates_the_chosen(binary, tmp_path):
    X, y = binary
    held_out = dict(SMALL, validation_fraction=0.34)  # 102 rows: judged there, not out of fold (six fits)
    model = PrunedEnsembleClassifier(**held_out).fit(X, y)
    as_trained = PrunedEnsembleClassifier(**held_out, member_calibration=None).fit(X, y)
    np.testing.assert_array_equal(model.member_weights_, as_trained.member_weights_)
    np.testing.assert_array_equal(model.member_seeds_, as_trained.member_seeds_)
    assert model.member_temperatures_.shape == model.member_weights_.shape == (len(model.members_),)
    assert np.all(model.member_temperatures_[model.member_seeds_ == -1] == 1.0)
    assert np.all((model.member_temperatures_ >= TEMPERATURE_RANGE[0]) & (model.member_temperatures_ <= TEMPERATURE_RANGE[1]))
    save(model, tmp_path / "model.epz")
    np.testing.assert_array_equal(load(tmp_path / "model.epz").member_temperatures_, model.member_temperatures_)


def test_no_held_out_rows_leave_members_uncalibrated(binary):
    # Stacking leaves them uncalibrated too: tests/test_classifier.py's stacking test checks it.
    X, y = binary
    unheld = PrunedEnsembleClassifier(**{**SMALL, "n_members": 1}, combine="mean", early_stopping=False).fit(X, y)
    np.testing.assert_array_equal(unheld.member_temperatures_, [1.0])


@pytest.mark.parametrize("validation_fraction, judged_out_of_fold", [(0.1, True), (0.4, False)])
def test_members_judged_out_of_fold_are_calibrated_on_every_rows_out_of_fold_logits(
    monkeypatch, validation_fraction, judged_out_of_fold
):
    # Circles: the networks beat the logistic member, so some are kept. 30 held-out rows (below 100) are not
    # trusted to judge the members, nor to calibrate them: the fold members' logits of all 300 rows are.
    X, y = make_circles(n_samples=300, noise=0.1, factor=0.5, random_state=0)
    calibrated_on = []
    original = classifier_module.fit_temperature

    def spy(logits, Y, sample_weight=None):
        calibrated_on.append(len(logits))
        return original(logits, Y, sample_weight)

    monkeypatch.setattr(classifier_module, "fit_temperature", spy)
    model = PrunedEnsembleClassifier(**SMALL, validation_fraction=validation_fraction).fit(X, y)
    n_networks = int(np.sum(model.member_seeds_ != -1))
    assert n_networks >= 1
    assert ("folds" in model.linear_member_evidence_) == judged_out_of_fold
    rows = len(X) if judged_out_of_fold else int(round(validation_fraction * len(X)))
    assert calibrated_on == [rows] * n_networks
    if judged_out_of_fold:  # judged first, then the networks trained on every row, as some are kept
        folds = [f"select-fold{k} members" for k in range(5)]
        assert model.training_cost_["phase"] == folds + ["full members", "selection"]
