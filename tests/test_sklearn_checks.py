"""scikit-learn's own estimator checks, on a small configuration."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from ensembleprune import PrunedEnsembleRegressor

SMALL = dict(n_members=2, sparsities=(0.5, 0.7), hidden_layer_sizes=(16,), epochs=20, batch_size=32,
             learning_rate=1e-2, cv=2, random_state=0)


def _expected_failed_checks(estimator):
    return {}


@parametrize_with_checks(
    [PrunedEnsembleRegressor(**SMALL), PrunedEnsembleRegressor(**dict(SMALL, combine="stack"))],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
