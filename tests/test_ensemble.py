import dataclasses
import inspect
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ensembleprune import CompactMLP, PrunedEnsembleRegressor, PrunedMLPFactory
from ensembleprune import _base as base_module
from ensembleprune._auto_members import auto_sparsities
from ensembleprune._selection import OUT_OF_FOLD_STANDARD_ERRORS, SELECTION_FOLDS
from ensembleprune.combiners import effective_rows, ridge_member
from ensembleprune.options import TrainingOptions, estimator_defaults, option_names

TINY = dict(combine="mean", early_stopping=False, sparsity_allocation="uniform", n_members=3, sparsities=(0.5, 0.8),
            hidden_layer_sizes=(32,), epochs=25, batch_size=32, learning_rate=5e-3, random_state=0)


@pytest.fixture(scope="module")
def fitted(tiny_regression):
    X, y = tiny_regression
    return PrunedEnsembleRegressor(**TINY).fit(X, y)


def test_fitted_attributes(fitted, tiny_regression):
    X, _ = tiny_regression
    assert len(fitted.members_) == 3
    assert all(isinstance(member, CompactMLP) for member in fitted.members_)
    np.testing.assert_array_equal(fitted.member_sparsities_, [0.5, 0.8, 0.5])
    assert len(set(fitted.member_seeds_)) == 3
    assert fitted.n_features_in_ == X.shape[1]
    assert [len(h["loss"]) for h in fitted.history_] == [25, 25, 25]
    for layers, target in zip(fitted.member_layer_sparsity_, fitted.member_sparsities_):
        assert np.all(np.abs(np.array(layers) - target) <= 0.02)


def test_predict_learns_and_returns_member_spread(fitted, tiny_regression):
    X, y = tiny_regression
    assert fitted.score(X, y) > 0.6
    y_pred, y_std = fitted.predict(X, return_std=True)
    members = fitted.predict_members(X)
    assert members.shape == (3, len(X))
    np.testing.assert_allclose(y_pred, members.mean(axis=0))
    np.testing.assert_allclose(y_std, members.std(axis=0))
    assert np.all(y_std > 0)


def test_median_and_stack(tiny_regression):
    X, y = tiny_regression
    median = PrunedEnsembleRegressor(**dict(TINY, combine="median")).fit(X, y)
    np.testing.assert_allclose(median.predict(X), np.median(median.predict_members(X), axis=0))
    stacked = PrunedEnsembleRegressor(**dict(TINY, combine="stack", cv=2)).fit(X, y)
    (meta,) = stacked.final_estimators_
    # The default meta-learner's weights are convex: the stack is a weighted mean of the members.
    assert isinstance(meta, LinearRegression) and not meta.fit_intercept
    assert np.all(meta.coef_ >= 0) and meta.coef_.sum() == pytest.approx(1.0)
    assert stacked.score(X, y) > 0.6
    # One short member is enough to see the custom meta-learner and splitter taken.
    custom = PrunedEnsembleRegressor(**dict(TINY, combine="stack", cv=KFold(2), final_estimator=Ridge(), n_members=1,
                                            epochs=3)).fit(X, y)
    assert isinstance(custom.final_estimators_[0], Ridge)


def test_stacking_weighs_the_linear_member_by_its_out_of_fold_predictions(tiny_regression):
    X, _ = tiny_regression
    y = X @ np.linspace(-1, 1, X.shape[1]) + 0.01 * np.random.default_rng(0).normal(size=len(X))
    model = PrunedEnsembleRegressor(**dict(TINY, combine="stack", cv=2)).fit(X, y)
    (meta,) = model.final_estimators_
    assert model.member_seeds_[-1] == base_module.LINEAR_MEMBER_SEED and len(model.members_) == TINY["n_members"] + 1
    # On a linear target the ridge member's out-of-fold predictions win the convex weights.
    assert meta.coef_.size == len(model.members_) and meta.coef_[-1] > 0.5
    assert model.score(X, y) > 0.99
    without = clone(model).set_params(linear_member=False, n_members=1, epochs=3).fit(X, y)
    assert len(without.members_) == 1
    assert base_module.LINEAR_MEMBER_SEED not in without.member_seeds_


def test_two_dimensional_targets(tiny_regression):
    X, y = tiny_regression
    Y = np.column_stack([y, 100 * X[:, 0] + 50])
    model = PrunedEnsembleRegressor(**dict(TINY, combine="stack", cv=2)).fit(X, Y)
    y_pred, y_std = model.predict(X, return_std=True)
    assert y_pred.shape == y_std.shape == (len(X), 2)
    assert model.predict_members(X).shape == (3 + 1, len(X), 2)  # and the linear member
    # The target is standardized per output, so the large-scale column is learned as well.
    assert model.score(X, Y) > 0.6
    column = PrunedEnsembleRegressor(**dict(TINY, n_members=1, epochs=3)).fit(X, y.reshape(-1, 1))
    assert column.predict(X).shape == (len(X), 1)


def test_same_random_state_same_predictions(fitted, tiny_regression):
    X, y = tiny_regression
    again = PrunedEnsembleRegressor(**TINY).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))
    other = PrunedEnsembleRegressor(**dict(TINY, random_state=1)).fit(X, y)
    assert not np.array_equal(other.predict(X), fitted.predict(X))


def test_pipeline_grid_search_and_clone(tiny_regression):
    X, y = tiny_regression
    pipeline = make_pipeline(StandardScaler(), PrunedEnsembleRegressor(**dict(TINY, n_members=2, epochs=10)))
    search = GridSearchCV(pipeline, {"prunedensembleregressor__sparsities": [(0.5,), (0.9,)]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["prunedensembleregressor__sparsities"] in [(0.5,), (0.9,)]
    assert np.isfinite(search.best_score_)
    fresh = clone(search.best_estimator_)
    assert not hasattr(fresh[-1], "members_")
    assert fresh.get_params()["prunedensembleregressor__epochs"] == 10


@pytest.mark.slow
def test_cross_val_score_in_parallel_processes(tiny_regression):
    X, y = tiny_regression
    scores = cross_val_score(PrunedEnsembleRegressor(**dict(TINY, n_members=2, epochs=10)), X, y, cv=2, n_jobs=2)
    assert scores.shape == (2,) and np.all(np.isfinite(scores))


def test_pickled_ensemble_predicts_identically_without_tensorflow(fitted, tiny_regression, tmp_path):
    X, _ = tiny_regression
    path = tmp_path / "ensemble.joblib"
    joblib.dump(fitted, path)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", fitted.predict(X))
    script = (
        "import sys, joblib, numpy as np\n"
        f"model = joblib.load({str(path)!r})\n"
        f"X = np.load({str(tmp_path / 'X.npy')!r})\n"
        f"np.testing.assert_array_equal(model.predict(X), np.load({str(tmp_path / 'expected.npy')!r}))\n"
        "assert 'tensorflow' not in sys.modules, 'predicting imported TensorFlow'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(sparsities=(0.5, 1.0)), r"sparsities must be a non-empty sequence of floats in \[0, 1\)"),
        (dict(sparsities=()), "sparsities must be a non-empty"),
        (dict(pruning_start=0.7, pruning_end=0.6), "pruning_start must be < pruning_end"),
        (dict(hidden_layer_sizes=(16, 0)), "hidden_layer_sizes must be positive integers"),
        (dict(input_pruning=("features", "rows")), "input_pruning must be one of"),
        (dict(input_pruning="rows"), "'input_pruning' parameter"),
        (dict(combine="vote"), "'combine' parameter"),
        (dict(n_members=0), "'n_members' parameter"),
        (dict(epochs=1, batch_size=10, pruning_frequency=1000), "cannot reach final_sparsity"),
    ],
)
def test_bad_parameters_are_refused_clearly(tiny_regression, params, message):
    X, y = tiny_regression
    with pytest.raises(ValueError, match=message):
        PrunedEnsembleRegressor(**dict(TINY, **params)).fit(X, y)


def test_auto_input_pruning_prunes_features_and_weights_by_turns_only_on_wide_inputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 40))
    y = X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=200)
    params = dict(TINY, n_members=2, sparsities=(0.5,), hidden_layer_sizes=(16,), epochs=4, input_encoding=None)
    # 40 inputs feed 16 units: the first member reads half of the features, the second single weights of all.
    wide = PrunedEnsembleRegressor(**params).fit(X, y)
    used = [member.used_features_.size for member in wide.members_]
    assert used[0] == 20 and used[1] > 30, used
    # 40 inputs and 64 units: single weights in every member; an explicit sequence is cycled.
    narrow = PrunedEnsembleRegressor(**dict(params, n_members=3, hidden_layer_sizes=(64,)))
    assert [spec.input_pruning for spec in narrow._member_specs("linear", X.shape[1])] == ["weights"] * 3
    explicit = narrow.set_params(input_pruning=["weights", "features"], hidden_layer_sizes=(16,))
    assert [spec.input_pruning for spec in explicit._member_specs("linear", 10)] == ["weights", "features", "weights"]
    # n_members="auto" on wide inputs: one more member reads only the screened features, at the third sparsity.
    auto = PrunedEnsembleRegressor(**dict(params, n_members="auto", sparsities="auto")).set_params(input_pruning="auto")
    specs = auto._member_specs("linear", 40)
    assert [spec.input_pruning for spec in specs] == ["features", "weights", "features", "weights", "screened"]
    assert [spec.final_sparsity for spec in specs] == [*auto_sparsities(4), auto_sparsities(4)[2]]
    assert len(auto.set_params(hidden_layer_sizes=(64,))._member_specs("linear", 40)) == 4
    assert len(auto.set_params(hidden_layer_sizes=(16,), strategy="snapshots")._member_specs("linear", 40)) == 4
    # The one-parent strategies start with weights: every child inherits the least sparse member's input mask
    # (the parent's, the first snapshot's), whatever the order of the sparsities.
    for strategy in ("prune_and_tune", "snapshots"):
        one_parent = PrunedEnsembleRegressor(**dict(params, n_members=3, strategy=strategy))
        assert [spec.input_pruning for spec in one_parent._member_specs("linear", 40)] == ["weights", "features",
                                                                                            "weights"]
        falling = one_parent.set_params(n_members=4, sparsities=(0.9, 0.8, 0.7, 0.5))._member_specs("linear", 40)
        assert [spec.input_pruning for spec in falling] == ["features", "weights", "features", "weights"]


def test_wrong_feature_count_at_predict(fitted, tiny_regression):
    X, _ = tiny_regression
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :5])


def test_stacking_refuses_a_splitter_that_does_not_partition_the_rows(tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(**dict(TINY, combine="stack", cv=ShuffleSplit(n_splits=2, test_size=0.2)))
    with pytest.raises(ValueError, match=r"cv=ShuffleSplit.*does not partition the rows.*in no test fold"):
        model.fit(X, y)
    assert not hasattr(model, "members_")


def test_a_refit_keeps_no_attribute_of_the_previous_fit(tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(**dict(TINY, n_members=2, epochs=3, combine="stack", cv=2)).fit(X, y)
    assert hasattr(model, "final_estimators_")
    model.set_params(combine="mean").fit(X, y)
    assert not hasattr(model, "final_estimators_")
    with pytest.raises(ValueError):
        model.fit(X[:, :0], y)  # a failed refit leaves an unfitted estimator, not the old one
    assert not hasattr(model, "members_") and not hasattr(model, "y_mean_")


def test_select_weighs_members_on_held_out_rows_and_saves(tiny_regression, tmp_path):
    from ensembleprune import load, save

    X, y = tiny_regression
    # 102 held-out rows: judged there, not out of fold (six fits)
    model = PrunedEnsembleRegressor(**dict(TINY, combine="select", validation_fraction=0.34)).fit(X, y)
    assert model.linear_member_evidence_["held_out_rows"] == 102 and "folds" not in model.linear_member_evidence_
    weights = model.member_weights_
    assert len(weights) == len(model.members_) and np.all(weights > 0) and weights.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(model.predict(X), np.tensordot(weights, model.predict_members(X), axes=1))
    save(model, tmp_path / "select.epz")
    np.testing.assert_array_equal(load(tmp_path / "select.epz").predict(X), model.predict(X))


def test_fold_members_train_for_as_many_steps_as_full_members(tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(**dict(TINY, combine="stack", cv=3))
    full = model._factory()
    fold = model._fold_factory(300, 200)
    full_steps = full.steps_per_epoch(300) * full.epochs_for(300)
    fold_steps = fold.steps_per_epoch(200) * fold.epochs_for(200)
    assert full_steps <= fold_steps < full_steps + fold.steps_per_epoch(200)


def test_estimator_signature_defaults_are_the_declared_training_options():
    # The estimator's __init__ is written out (scikit-learn needs explicit
    # arguments), so this keeps it in step with the options declared once.
    signature = inspect.signature(PrunedEnsembleRegressor)
    for name, default in estimator_defaults().items():
        assert name in signature.parameters, f"{name} is declared in TrainingOptions but not a parameter"
        assert signature.parameters[name].default == default, name
    assert PrunedMLPFactory()._params() == {field.name: field.default for field in dataclasses.fields(TrainingOptions)}


# A value other than the estimator's default for each declared option.
_NON_DEFAULT_OPTIONS = dict(
    epochs=7, batch_size=13, learning_rate=0.02, training="independent", n_jobs=2, verbose=1, bootstrap=True,
    early_stopping=False, validation_fraction=0.3, n_iter_no_change=4, tol=0.5, learning_rate_schedule="cosine",
)


def test_every_training_option_reaches_the_estimators_factory():
    assert set(_NON_DEFAULT_OPTIONS) == set(option_names()), "give the new option a non-default value here"
    defaults = estimator_defaults()
    assert all(value != defaults[name] for name, value in _NON_DEFAULT_OPTIONS.items())
    factory = PrunedEnsembleRegressor(**_NON_DEFAULT_OPTIONS)._factory()
    assert factory._params() == _NON_DEFAULT_OPTIONS


def test_checkpoint_fingerprint_leaves_out_only_what_does_not_change_learning(tiny_regression, tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr(base_module, "fingerprint", lambda data, settings: captured.update(settings) or "f")
    model = PrunedEnsembleRegressor(**dict(TINY, checkpoint_dir=str(tmp_path)))
    X, y = tiny_regression
    model._checkpoint(X, y.reshape(-1, 1), None)
    left_out = set(model.get_params(deep=False)) - set(captured)
    assert left_out == {"n_jobs", "verbose", "checkpoint_dir", "on_member_failure"}
    assert captured["epochs"] == "25" and captured["package_version"]


@pytest.mark.slow
def test_sample_weight_reaches_the_members_directly_and_through_pipelines(tiny_regression):
    import sklearn

    X, y = tiny_regression
    weights = np.where(np.arange(len(X)) % 2 == 0, 1.0, 0.0)
    params = dict(TINY, n_members=1, epochs=5)  # whether the weights arrive, not how well members learn
    direct = PrunedEnsembleRegressor(**params).fit(X, y, sample_weight=weights)
    unweighted = PrunedEnsembleRegressor(**params).fit(X, y)
    assert not np.allclose(direct.predict(X), unweighted.predict(X))
    piped = make_pipeline(StandardScaler(with_mean=False, with_std=False), PrunedEnsembleRegressor(**params))
    piped.fit(X, y, prunedensembleregressor__sample_weight=weights)
    np.testing.assert_allclose(piped.predict(X), direct.predict(X), rtol=1e-5)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = make_pipeline(StandardScaler(with_mean=False, with_std=False).set_fit_request(sample_weight=False),
                               PrunedEnsembleRegressor(**params).set_fit_request(sample_weight=True))
        routed.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(routed.predict(X), direct.predict(X), rtol=1e-5)


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_rows_held_out_are_drawn_among_rows_of_positive_weight(tiny_regression, kind):
    from ensembleprune import PrunedEnsembleClassifier

    X, y = tiny_regression
    params = {**TINY, "combine": "select", "n_members": 2, "epochs": 5}
    model = PrunedEnsembleRegressor(**params) if kind == "regressor" else PrunedEnsembleClassifier(**params)
    y = y if kind == "regressor" else y > np.median(y)
    specs = model._member_specs("linear", X.shape[1])
    # Zero weight on exactly the rows an unweighted fit holds out: their weighted losses would be 0 / 0.
    weights = np.ones(len(X))
    weights[model._validation_rows(len(X), specs, None)] = 0.0
    held_out = model._validation_rows(len(X), specs, weights)
    assert len(held_out) == model._factory().n_validation(int(np.sum(weights > 0))) and np.all(weights[held_out] > 0)
    model.fit(X, y, sample_weight=weights)
    assert np.isclose(model.member_weights_.sum(), 1.0)
    # Without zero weights the rows are those of an unweighted fit.
    np.testing.assert_array_equal(model._validation_rows(len(X), specs, np.full(len(X), 2.0)),
                                  model._validation_rows(len(X), specs, None))


def test_the_linear_member_is_kept_alone_unless_the_selection_beats_it_clearly(tiny_regression):
    X, nonlinear_y = tiny_regression
    linear_y = X @ np.linspace(-1, 1, X.shape[1]) + 0.5 * np.random.default_rng(1).normal(size=len(X))
    # A third of 300 rows held out: 100, enough to judge the members on them (fewer go out of fold).
    # linear_member is left at its default, "prefer": the one-standard-error rule.
    prefer = PrunedEnsembleRegressor(**dict(TINY, combine="select", validation_fraction=1 / 3))
    fits = {"linear": clone(prefer).fit(X, linear_y), "nonlinear": clone(prefer).fit(X, nonlinear_y)}
    linear_seed = base_module.LINEAR_MEMBER_SEED
    for model in fits.values():
        evidence = model.linear_member_evidence_
        networks_kept = evidence["excess_loss"] > evidence["standard_error"]
        assert np.any(model.member_seeds_ != linear_seed) == networks_kept
        if not networks_kept:
            np.testing.assert_array_equal(model.member_weights_, [1.0])
    assert fits["linear"].member_seeds_.tolist() == [linear_seed]
    assert np.any(fits["nonlinear"].member_seeds_ != linear_seed)
    assert fits["nonlinear"].linear_member_evidence_["held_out_rows"] == base_module.MIN_HELD_OUT_ROWS == 100


@pytest.mark.parametrize("linear_member", [True, "prefer"])
def test_fewer_than_thirty_rows_keep_the_linear_member_alone(tiny_regression, linear_member):
    # 25 rows: too few to show networks better, held out or out of fold, so none is trained.
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(**dict(TINY, combine="select", linear_member=linear_member, n_members=1,
                                           epochs=2)).fit(X[:25], y[:25])
    assert model.member_seeds_.tolist() == [base_module.LINEAR_MEMBER_SEED] and model.history_ == [{}]
    assert model.linear_member_evidence_ == {"held_out_rows": 2.0, "rows": 25.0}
    assert model.training_cost_["phase"] == []
    # The user gets the ridge member fitted on every row of the standardized features, its penalty chosen by
    # leave-one-out on them; the standardization folded into it (float32).
    Y = ((y[:25] - model.y_mean_) / model.y_scale_).reshape(-1, 1)
    center, scale = base_module.feature_standardization(X[:25])
    ridge, _ = ridge_member((X[:25] - center) / scale, Y, np.arange(25))
    expected = ridge.predict((X - center) / scale)[:, 0] * model.y_scale_ + model.y_mean_
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-5, atol=1e-5 * y.std())
    # Weighted rows count as Kish's effective number: 50 rows of weights 1 and 10 by turns count as 29.95.
    weights = np.where(np.arange(50) % 2 == 0, 1.0, 10.0)
    weighted = clone(model).fit(X[:50], y[:50], sample_weight=weights)
    assert weighted.history_ == [{}] and weighted.linear_member_evidence_["rows"] == pytest.approx(effective_rows(weights))
    assert clone(model).fit(X[:50], y[:50]).training_cost_["phase"] != []  # unweighted, these 50 rows train networks


@pytest.mark.parametrize("linear_member", [True, "prefer"])
def test_fewer_than_a_hundred_held_out_rows_judge_the_members_out_of_fold(tiny_regression, linear_member):
    # 200 rows hold out 20: the members are trained again on 5 folds and judged on their predictions of all 200.
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(**dict(TINY, combine="select", linear_member=linear_member, n_members=1,
                                           epochs=2)).fit(X[:200], y[:200])
    evidence = model.linear_member_evidence_
    assert evidence["held_out_rows"] == 200 and evidence["folds"] == SELECTION_FOLDS == 5
    # Judged first: the fold members' evidence keeps the ridge member alone, so no full-data network is trained.
    assert model.training_cost_["phase"] == [f"select-fold{k} members" for k in range(5)] + ["selection"]
    assert model.history_ == [{}] and model.member_weights_.tolist() == [1.0]
    assert np.isclose(model.member_weights_.sum(), 1.0)
    # Out of fold, networks replace the linear member only two standard errors ahead of it, whatever
    # linear_member says; trained 2 epochs, they are not, and the ridge member is the model.
    networks_kept = np.any(model.member_seeds_ != base_module.LINEAR_MEMBER_SEED)
    assert networks_kept == (evidence["excess_loss"] > OUT_OF_FOLD_STANDARD_ERRORS * evidence["standard_error"])
    assert model.member_seeds_.tolist() == [base_module.LINEAR_MEMBER_SEED]
    # A hundred held-out rows judge the members on those rows: half of 200.
    judged = clone(model).set_params(validation_fraction=0.5).fit(X[:200], y[:200])
    assert judged.linear_member_evidence_["held_out_rows"] == 100 and "folds" not in judged.linear_member_evidence_
