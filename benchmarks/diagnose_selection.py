"""How optimistic the held-out rows are about each member: the classifier's selection, diagnosed.

For each data set of ``bench_classification.py`` named on the command line, fits
``PrunedEnsembleClassifier(random_state=0, combine="mean", member_calibration=None)``
(the members do not depend on the combiner, and the selection weighs them as
trained, before any temperature), rebuilds the default's linear member, and prints one
JSON line per data set: every member's log-loss on the held-out rows (which
early stopping and the selection share; docs/performance.md has the trial of
giving the selection rows of its own) and on the test rows, the weights
greedy selection gives them there, the one-standard-error rule's figures
(``linear_member="prefer"``: the logistic member's held-out log-loss in excess
of the selection's, and its standard error), and the test log-loss of the
selection and of the mean.

    python benchmarks/diagnose_selection.py digits breast_cancer wine anes96
"""

import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_classification import DATASETS  # noqa: E402
from bench_tabular import preprocessor, split  # noqa: E402

from ensembleprune import PrunedEnsembleClassifier  # noqa: E402
from ensembleprune._selection import SELECTION_BAGS  # noqa: E402
from ensembleprune.classifier import (  # noqa: E402
    indicator_targets,
    log_loss_of_average,
    log_losses,
    logistic_member,
    member_proba,
)
from ensembleprune.combiners import greedy_selection, paired_difference  # noqa: E402
from ensembleprune.encoding import encode  # noqa: E402
from ensembleprune.compact import predict_all  # noqa: E402
from ensembleprune.factory import PrunedMLPFactory  # noqa: E402
from ensembleprune.options import options_of  # noqa: E402


def diagnose(name):
    dataset = DATASETS[name]()
    X_train, X_test, y_train, y_test, _ = split(dataset, False)
    scaler = preprocessor(dataset).fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    model = PrunedEnsembleClassifier(random_state=0, combine="mean", member_calibration=None).fit(X_train, y_train)
    labels = range(len(model.classes_))
    Y = indicator_targets(np.searchsorted(model.classes_, y_train), len(model.classes_))
    codes_test = np.searchsorted(model.classes_, y_test)
    held_out = PrunedMLPFactory(**options_of(model)).validation_rows(len(X_train), list(model.member_seeds_))
    linear, _ = logistic_member(X_train, Y, np.setdiff1d(np.arange(len(X_train)), held_out))
    # The members' inputs: the features and their encoded columns, of which the linear member reads the first.
    inputs_train, inputs_test = (encode(X, model.input_encoding_) for X in (X_train, X_test))
    members = list(model.members_) + [linear.reading_first_columns_of(inputs_train.shape[1])]
    outputs = predict_all(members, inputs_train[held_out]).astype(float)
    test = member_proba(predict_all(members, inputs_test).astype(float))
    weights = greedy_selection(outputs, Y[held_out], loss=log_loss_of_average, n_bags=SELECTION_BAGS,
                               random_state=int(model.member_seeds_[0]))
    excess, standard_error = paired_difference(
        log_losses(outputs[-1], Y[held_out]), log_losses(np.tensordot(weights, outputs, axes=1), Y[held_out])
    )
    return {
        "dataset": name,
        "member_sparsities": model.member_sparsities_.tolist() + [0.0],
        "n_held_out": len(held_out),
        "held_out_log_loss": [log_loss_of_average(output, Y[held_out]) for output in outputs],
        "test_log_loss": [log_loss(codes_test, proba, labels=labels) for proba in test],
        "selection_weights": weights.tolist(),
        "linear_member_excess_loss": excess,
        "standard_error": standard_error,
        "select_test_log_loss": log_loss(codes_test, np.tensordot(weights, test, axes=1), labels=labels),
        "mean_test_log_loss": log_loss(codes_test, test[:-1].mean(axis=0), labels=labels),
    }


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(json.dumps(diagnose(name)), flush=True)
