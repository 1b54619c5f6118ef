"""Conformal prediction intervals of PrunedEnsembleRegressor (issue 15): coverage, widths, errors, files."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ensembleprune import PrunedEnsembleRegressor, load, save
from ensembleprune.conformal import (
    calibration_split,
    conformal_quantile,
    coverage_and_width,
    half_widths,
    spread_offset,
)

SMALL = dict(n_members=2, sparsities=(0.5, 0.8), hidden_layer_sizes=(16,), epochs=4, random_state=0)


def heteroscedastic(n, seed, n_outputs=1):
    """Noise that grows with |x_3|: a fixed-width interval over-covers the quiet rows, under-covers the loud ones."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 5))
    noise = (0.1 + np.abs(X[:, [3]])) * rng.normal(size=(n, n_outputs))
    y = np.sin(2 * X[:, [0]]) + X[:, [1]] * X[:, [2]] + np.arange(1, n_outputs + 1) * noise
    return X, y[:, 0] if n_outputs == 1 else y


@pytest.fixture(scope="module")
def data():
    X, y = heteroscedastic(4000, seed=1)
    return X[:2000], y[:2000], X[2000:], y[2000:]


@pytest.fixture(scope="module")
def split_model(data):
    X, y, _, _ = data
    return PrunedEnsembleRegressor(conformal="split", **SMALL).fit(X, y)


# ---------------------------------------------------------------- the conformal module


def test_quantile_is_the_finite_sample_rank():
    scores = np.arange(1.0, 20.0)[:, None]  # 19 scores: rank ceil(20 * 0.9) = 18, not 18.000000000000004 -> 19
    assert conformal_quantile(scores, 0.9)[0] == 18.0
    assert conformal_quantile(np.arange(1.0, 10.0)[:, None], 0.9)[0] == 9.0  # 9 rows: the largest


def test_too_few_calibration_rows_give_an_infinite_interval_with_a_warning():
    with pytest.warns(UserWarning, match="too few"):
        width = conformal_quantile(np.ones((8, 2)), 0.9)
    assert np.all(np.isinf(width))


def test_spread_offset_falls_back_when_the_members_agree():
    spreads = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 3.0]]).T
    np.testing.assert_allclose(spread_offset(spreads), [1.0, 0.2, 0.1])  # none, a tenth of the median, of the mean
    absolute = half_widths(np.arange(1.0, 21.0)[:, None], np.zeros((20, 1)), np.zeros((5, 1)), 0.9)
    normalized = half_widths(np.arange(1.0, 21.0)[:, None], np.zeros((20, 1)), np.zeros((5, 1)), 0.9, "normalized")
    np.testing.assert_array_equal(absolute, normalized)


def test_calibration_split_partitions_the_rows():
    train, calibration = calibration_split(100, 0.1, 0)
    assert len(calibration) == 10 and np.array_equal(np.sort(np.concatenate([train, calibration])), np.arange(100))
    with pytest.raises(ValueError, match="validation_fraction"):
        calibration_split(4, 0.1, 0)


# ---------------------------------------------------------------- the estimator


def test_split_intervals_cover_near_the_nominal_level(data, split_model):
    _, _, X_test, y_test = data
    assert split_model.calibration_residuals_.shape == (200, 1)  # validation_fraction of 2000 rows
    for confidence, low, high in ((0.9, 0.84, 0.96), (0.5, 0.42, 0.58)):
        lower, upper = split_model.predict_interval(X_test, confidence=confidence)
        # 200 calibration and 2000 test rows: the coverage's standard deviation is about 0.02.
        assert low <= coverage_and_width(y_test, lower, upper)["coverage"] <= high


def test_predict_returns_the_same_interval(data, split_model):
    _, _, X_test, _ = data
    lower, upper = split_model.predict_interval(X_test[:20], confidence=0.8)
    y_pred, lower2, upper2 = split_model.predict(X_test[:20], return_interval=0.8)
    y_pred3, y_std, lower3, upper3 = split_model.predict(X_test[:20], return_std=True, return_interval=0.8)
    np.testing.assert_array_equal(y_pred, split_model.predict(X_test[:20]))
    for bounds in ((lower2, upper2), (lower3, upper3)):
        np.testing.assert_array_equal(bounds[0], lower)
        np.testing.assert_array_equal(bounds[1], upper)
    assert y_std.shape == lower.shape == (20,) and np.all(lower < y_pred) and np.all(y_pred < upper)
    assert np.allclose(upper - y_pred, y_pred - lower)


def test_absolute_intervals_have_one_width_and_normalized_ones_follow_the_spread(data, split_model):
    _, _, X_test, _ = data
    lower, upper = split_model.predict_interval(X_test)
    assert np.ptp(upper - lower) < 1e-9
    split_model.set_params(conformal_scores="normalized")  # read at predict time: the same calibration serves
    try:
        lower, upper = split_model.predict_interval(X_test)
        _, y_std = split_model.predict(X_test, return_std=True)
    finally:
        split_model.set_params(conformal_scores="absolute")
    width = upper - lower
    order = np.argsort(y_std)
    assert np.all(np.diff(width[order]) >= -1e-12)  # wider exactly where the members disagree more
    assert width[order[-100:]].mean() > 1.5 * width[order[:100]].mean()


@pytest.mark.slow
def test_cv_plus_calibrates_on_the_out_of_fold_rows(data):
    X, y, X_test, y_test = data
    model = PrunedEnsembleRegressor(combine="stack", cv=3, conformal="cv+", **SMALL).fit(X[:1000], y[:1000])
    assert model.calibration_residuals_.shape == model.calibration_spreads_.shape == (1000, 1)
    lower, upper = model.predict_interval(X_test)
    assert 0.84 <= coverage_and_width(y_test, lower, upper)["coverage"] <= 0.97
    # The mean copy of the robustness report shares the stacked calibration: it must not reuse it.
    with pytest.raises(ValueError, match="calibrated for combine='stack'"):
        copy.copy(model).set_params(combine="mean").predict_interval(X_test)


def test_cv_plus_needs_stacking_and_leaves_nothing_behind(data, split_model):
    X, y, _, _ = data
    model = PrunedEnsembleRegressor(**split_model.get_params()).fit(X[:200], y[:200])
    model.set_params(conformal="cv+")
    with pytest.raises(ValueError, match="combine='stack'"):
        model.fit(X[:200], y[:200])
    assert not [name for name in vars(model) if name.endswith("_")]


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, True, "0.9", None])
def test_bad_confidence_is_refused(split_model, data, confidence):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        split_model.predict_interval(data[2][:3], confidence=confidence)
    if confidence is not None:
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            split_model.predict(data[2][:3], return_interval=confidence)


def test_no_interval_without_calibration_and_refit_forgets_it(data):
    X, y, X_test, _ = data
    model = PrunedEnsembleRegressor(conformal="split", **SMALL).fit(X[:300], y[:300])
    assert model.predict_interval(X_test[:3])[0].shape == (3,)
    model.set_params(conformal=None).fit(X[:300], y[:300])
    assert not hasattr(model, "calibration_residuals_") and not hasattr(model, "calibration_spreads_")
    for ask in (lambda: model.predict_interval(X_test[:3]), lambda: model.predict(X_test[:3], return_interval=0.9)):
        with pytest.raises(ValueError, match="fitted without calibration.*conformal='split'"):
            ask()


def test_multi_output_intervals_one_per_output():
    X, Y = heteroscedastic(1200, seed=2, n_outputs=2)
    model = PrunedEnsembleRegressor(conformal="split", conformal_scores="normalized", **SMALL).fit(X[:800], Y[:800])
    lower, upper = model.predict_interval(X[800:])
    assert lower.shape == upper.shape == (400, 2) and np.all(lower < upper)
    # The second output is twice as noisy: its intervals are wider.
    assert np.mean(upper[:, 1] - lower[:, 1]) > 1.3 * np.mean(upper[:, 0] - lower[:, 0])
    covered = np.mean((lower <= Y[800:]) & (Y[800:] <= upper), axis=0)
    assert np.all((0.78 <= covered) & (covered <= 0.99))


def test_intervals_survive_save_and_load(split_model, data, tmp_path):
    _, _, X_test, _ = data
    save(split_model, tmp_path / "model.epz")
    loaded = load(tmp_path / "model.epz")
    for scores in ("absolute", "normalized"):
        for model in (split_model, loaded):
            model.set_params(conformal_scores=scores)
        np.testing.assert_array_equal(loaded.predict_interval(X_test), split_model.predict_interval(X_test))
    split_model.set_params(conformal_scores="absolute")
    np.testing.assert_array_equal(loaded.calibration_residuals_, split_model.calibration_residuals_)


def test_pipeline_passes_return_interval_to_the_ensemble(data):
    X, y, X_test, _ = data
    pipeline = make_pipeline(StandardScaler(), PrunedEnsembleRegressor(conformal="split", **SMALL)).fit(X[:300], y[:300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y_pred, lower, upper = pipeline.predict(X_test[:5], return_interval=0.9)
    np.testing.assert_array_equal((lower, upper), pipeline[-1].predict_interval(pipeline[0].transform(X_test[:5])))


@pytest.mark.slow
def test_robustness_report_gives_interval_coverage_and_width(tmp_path):
    from matplotlib.pyplot import imread

    from ensembleprune.datasets import make_article_regression
    from ensembleprune.experiments import robustness_report

    split = make_article_regression(n_samples=300, n_features=16, n_informative=8, random_state=1)
    report = robustness_report(
        split.X_train, split.y_train, split.X_val, split.y_val, sparsities=(0.5, 0.9), seeds=2,
        hidden_layer_sizes=(16,), epochs=8, batch_size=32, learning_rate=1e-2, cv=2,
        noise_levels=(0.0, 2.0), dropout_fractions=(0.0, 0.5), n_repeats=2, output_dir=tmp_path,
    )
    intervals = report["intervals"]
    assert intervals["confidence"] == 0.9 and imread(tmp_path / "robustness_intervals.png").std() > 0.05
    for scores in ("absolute", "normalized"):
        clean = intervals["clean"][scores]
        assert len(clean["coverage"]["values"]) == 2 and 0.5 <= clean["coverage"]["mean"] <= 1
        for kind in ("noise", "dropout"):  # level 0 is the clean rows
            assert intervals[kind][scores]["coverage"][0]["mean"] == pytest.approx(clean["coverage"]["mean"])
        # Calibrated on clean rows: heavy input noise breaks the guarantee.
        assert intervals["noise"][scores]["coverage"][1]["mean"] < clean["coverage"]["mean"]
    # Absolute scores give one width whatever the input; normalized ones follow the members' spread.
    absolute = intervals["noise"]["absolute"]["mean_width"]
    assert absolute[1]["mean"] == pytest.approx(absolute[0]["mean"])
    assert intervals["noise"]["normalized"]["mean_width"][1]["mean"] > intervals["noise"]["normalized"]["mean_width"][0]["mean"]


@pytest.mark.parametrize("combine", ["select", "stack"])
def test_calibration_on_a_dataframe_is_silent_and_keeps_the_models_own_residuals(data, combine):
    pd = pytest.importorskip("pandas")
    X, y, _, _ = data
    frame = pd.DataFrame(X[:300], columns=[f"x{j}" for j in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names" from predicting its own rows
        model = PrunedEnsembleRegressor(conformal="split", combine=combine, cv=2, **SMALL).fit(frame, y[:300])
    _, calibration = calibration_split(300, model.validation_fraction, model.random_state)
    y_pred, y_std = model.predict(frame.iloc[calibration], return_std=True)
    np.testing.assert_allclose(model.calibration_residuals_[:, 0], np.abs(y[:300][calibration] - y_pred), rtol=1e-6)
    np.testing.assert_allclose(model.calibration_spreads_[:, 0], y_std, rtol=1e-6)
