"""scikit-learn's own estimator checks, on a small configuration.

All checks run on the mean combiner. The stacking combiner shares every
validation path with it and differs only in ``fit``'s out-of-fold training and
in ``predict``; each of its fits costs ``cv + 1`` trainings, so it runs the checks
that exercise those two methods.
"""

from functools import partial

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor

# Each check fits small ensembles (a stacking fit trains cv + 1 times): minutes in all.
pytestmark = pytest.mark.slow

SMALL = dict(combine="mean", early_stopping=False, n_members=1, sparsities=(0.5,), hidden_layer_sizes=(16,), epochs=10, batch_size=32,
             learning_rate=1e-2, cv=2, random_state=0)
# Stacking's fit and predict: learning, several outputs, refitting. Its input validation, row
# invariances, edge shapes and pickling (plain attributes) are the mean combiner's code, checked
# there; a stacked model's file round trip is tests/test_serialization.py's.
STACKING_CHECKS = {
    "check_regressors_train",
    "check_regressor_multioutput",
    "check_fit_idempotent",
}


# The classifier's checks keep every library default but size (members, width, epochs). One
# network each: the checks are of the scikit-learn API; combining many members has its own tests.
CLASSIFIER_SMALL = dict(n_members=1, hidden_layer_sizes=(16,), epochs=10, random_state=0)


def _check_name(check):
    return (check.func if isinstance(check, partial) else check).__name__


def _expected_failures(estimator):
    # Minibatch training with sample weights is not the same as training on repeated rows: the
    # batches differ, so the fits differ, as for scikit-learn's own SGD-based estimators. (The
    # classifier passes: on the checks' few rows its defaults keep the logistic member alone.)
    if isinstance(estimator, PrunedEnsembleClassifier):
        return {}
    return {name: "stochastic minibatch training" for name in
            ("check_sample_weight_equivalence_on_dense_data", "check_sample_weight_equivalence_on_sparse_data")}


@parametrize_with_checks([PrunedEnsembleRegressor(**SMALL), PrunedEnsembleRegressor(**dict(SMALL, combine="stack"))],
                         expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    if estimator.combine == "stack" and (_check_name(check) not in STACKING_CHECKS or getattr(check, "keywords", None)):
        # Also the read-only memmap and float32 copies of check_regressors_train: input handling.
        pytest.skip("validation path shared with the mean combiner, checked there")
    check(estimator)


@pytest.mark.slow
@pytest.mark.parametrize("check_name, linear_member", [
    ("check_regressors_train", "prefer"),
    ("check_regressors_train", False),
    ("check_regressor_multioutput", "prefer"),
    ("check_fit2d_1sample", "prefer"),
])
def test_checks_pass_with_every_other_parameter_at_its_default(check_name, linear_member):
    # The library's defaults (auto batch and epochs, early stopping, selection with a linear
    # member) must learn sklearn's small check data sets, not only tuned settings. Those hold out
    # fewer than 100 rows, so the defaults judge the members out of fold there (six fits); without a
    # linear member the networks alone must learn them at the default training settings (their
    # several outputs are tests/test_ensemble.py's, at a smaller budget).
    from sklearn.utils import estimator_checks

    estimator = PrunedEnsembleRegressor(n_members=2, hidden_layer_sizes=(32,), linear_member=linear_member)
    getattr(estimator_checks, check_name)(type(estimator).__name__, estimator)


# With the logistic member, the defaults keep it alone where a check's data set has fewer than 30
# rows, and judge the networks out of fold where it holds out fewer than 100 (six fits: the slowest
# checks here). Without it, the networks alone go through the checks of what networks change:
# learning, labels, probabilities, refitting, pickling and row invariances (at the regressor's
# checks' learning rate: 10 epochs at the default one learn too little for the accuracy checks).
# Input validation runs before any member trains, the same code either way, checked above.
NETWORK_CHECKS = {
    "check_classifiers_train",
    "check_classifiers_classes",
    "check_class_weight_classifiers",
    "check_decision_proba_consistency",
    "check_supervised_y_2d",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_estimators_pickle",
    "check_methods_subset_invariance",
    "check_methods_sample_order_invariance",
}


# Fits on every scipy sparse format, judged out of fold at the defaults (over 40 s each): the regressor's
# checks run them on the same validation code.
SPARSE_FORMAT_CHECKS = {"check_estimator_sparse_array", "check_estimator_sparse_matrix"}


@parametrize_with_checks([PrunedEnsembleClassifier(**CLASSIFIER_SMALL),
                          PrunedEnsembleClassifier(**CLASSIFIER_SMALL, linear_member=False, learning_rate=1e-2)],
                         expected_failed_checks=_expected_failures)
def test_sklearn_classifier_checks(estimator, check):
    if not estimator.linear_member and _check_name(check) not in NETWORK_CHECKS:
        pytest.skip("input validation, the same code with or without networks: checked with the defaults")
    if _check_name(check) in SPARSE_FORMAT_CHECKS:
        pytest.skip("sparse X is made dense by the code the regressor shares: checked there (tests/test_sparse_input.py)")
    if estimator.linear_member and getattr(check, "keywords", None):
        # The read-only memmap and float32 copies of the training and pickling checks (six fits each
        # here): input handling, the same code with or without the logistic member: checked without it.
        pytest.skip("input handling of a repeated check: checked with the networks alone")
    check(estimator)

