"""How cross-validation's folds train: one fused model traced once and reset between folds, or folds in processes."""

import numpy as np
import pytest

from ensembleprune import MemberSpec, PrunedEnsembleRegressor, PrunedMLPFactory, PruningSchedule
from ensembleprune._fused_cache import FusedModelCache


def _specs():
    return [MemberSpec(seed, PruningSchedule(sparsity), (16, 8)) for seed, sparsity in [(3, 0.5), (4, 0.8)]]


def _factory(**options):
    return PrunedMLPFactory(epochs=6, batch_size=16, early_stopping=True, n_iter_no_change=2, **options)


def _folds(n_folds=2, n_rows=90, n_features=5):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows * n_folds, n_features)).astype(np.float32)
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=len(X))
    return [(X[k::n_folds], y[k::n_folds]) for k in range(n_folds)]


def _weights(members):
    return [[w.copy() for w in member.model.get_weights()] for member in members]


def test_members_trained_through_the_cache_equal_fresh_ones_and_the_train_step_is_traced_once():
    cache = FusedModelCache()
    fresh, cached, models = [], [], []
    for X, y in _folds():
        fresh.append(_weights(_factory().train(X, y, _specs())))
        factory = _factory()
        factory.fused_cache = cache
        members = factory.train(X, y, _specs())
        cached.append(_weights(members))
        models.append(members[0].model)
    for fold_fresh, fold_cached in zip(fresh, cached):
        for member_fresh, member_cached in zip(fold_fresh, fold_cached):
            for a, b in zip(member_fresh, member_cached, strict=True):
                np.testing.assert_array_equal(a, b)
    # The folds differ (else equality above would prove little), and share one model traced once.
    assert not np.array_equal(cached[0][0][0], cached[1][0][0])
    assert all(model is models[0] for model in models)
    fused = cache._fused.model
    assert fused.train_function.experimental_get_tracing_count() == 1
    assert cache._fused.validation_function.experimental_get_tracing_count() == 1


def test_a_fit_of_other_members_or_schedule_builds_a_new_model():
    cache = FusedModelCache()
    (X, y), (X2, y2) = _folds()
    first = _factory()
    first.fused_cache = cache
    model = first.train(X, y, _specs())[0].model
    longer = _factory()
    longer.epochs = 8  # other schedules in steps
    longer.fused_cache = cache
    assert longer.train(X2, y2, _specs())[0].model is not model
    other_specs = _factory()
    other_specs.fused_cache = cache
    assert other_specs.train(X2, y2, _specs()[:1])[0].model is not model


def test_the_folds_of_the_out_of_fold_selection_build_one_model(monkeypatch):
    """The selection judges networks on five folds of a small table; the five fold fits build one fused model."""
    built = []
    keep = FusedModelCache.keep
    monkeypatch.setattr(FusedModelCache, "keep", lambda cache, key, fused: built.append(key) or keep(cache, key, fused))
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 4))
    y = X[:, 0] + np.sin(2 * X[:, 1]) + 0.1 * rng.normal(size=len(X))
    model = PrunedEnsembleRegressor(n_members=2, hidden_layer_sizes=(16,), epochs=4, random_state=0).fit(X, y)
    assert sum(phase.startswith("select-fold") for phase in model.training_cost_["phase"]) == 5
    assert len(built) == 1


@pytest.mark.slow
def test_folds_train_in_worker_processes_with_n_jobs_and_give_the_same_model(monkeypatch):
    """Fused members leave n_jobs unused, so the folds take it; each fold's members are those of a fit in one process."""
    import joblib

    from ensembleprune import _stacking

    workers = []
    monkeypatch.setattr(_stacking, "Parallel", lambda n_jobs: workers.append(n_jobs) or joblib.Parallel(n_jobs=n_jobs))
    rng = np.random.default_rng(2)
    X = rng.normal(size=(150, 4))
    y = X[:, 0] + np.sin(2 * X[:, 1]) + 0.1 * rng.normal(size=len(X))
    params = dict(n_members=2, hidden_layer_sizes=(16,), epochs=4, combine="stack", cv=3, random_state=0)
    one = PrunedEnsembleRegressor(**params).fit(X, y)
    assert workers == []
    parallel = PrunedEnsembleRegressor(n_jobs=2, **params).fit(X, y)
    assert workers == [2]
    np.testing.assert_array_equal(parallel.predict(X), one.predict(X))
    for a, b in zip(parallel.final_estimators_, one.final_estimators_):
        np.testing.assert_array_equal(a.coef_, b.coef_)
    assert parallel.training_cost_["phase"] == one.training_cost_["phase"]
    assert parallel.training_cost_["optimizer_steps"] == one.training_cost_["optimizer_steps"]
