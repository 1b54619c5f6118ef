"""The defaults on only the columns the marginal screen passes: a two-stage fit, measured on wide and short tables.

Session 28 made members that prune whole input features keep first the
features ``_screening.screened_features`` passes. This asks how far that is
from the other way to use the screen: screen the training rows, then fit the
defaults (which on a few columns means the narrow recipe: single-weight
pruning, the piecewise-linear encoding, eight members) on the passing columns
only. For each table of ``bench_small_tables.py`` named (80/20 split,
``random_state=0``, stratified for classes; ``StandardScaler`` fitted on the
training rows before the screen), prints one JSON object: the number of
columns the screen passes and the two-stage fit's test score (R², or
log-loss), beside the defaults' score on every column as fitted here.

    python benchmarks/diagnose_screened_columns.py [--datasets a,b]
"""

import argparse
import json

import numpy as np
from sklearn.metrics import log_loss, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import bench_small_tables
from bench_tabular import git_state
from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor
from ensembleprune._screening import screened_features

DATASETS = ("friedman1_300x1000", "linear_300x1000", "redundant_400x1000")


def score(kind, X_train, y_train, X_test, y_test):
    estimator = (PrunedEnsembleRegressor if kind == "regression" else PrunedEnsembleClassifier)(random_state=0)
    pipeline = make_pipeline(StandardScaler(), estimator).fit(X_train, y_train)
    if kind == "regression":
        return r2_score(y_test, pipeline.predict(X_test))
    return log_loss(y_test, pipeline.predict_proba(X_test))


def run(name):
    kind = "regression" if name in bench_small_tables.REGRESSION else "classification"
    X, y = (bench_small_tables.REGRESSION if kind == "regression" else bench_small_tables.CLASSIFICATION)[name]()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=None if kind == "regression" else y)
    columns = screened_features(StandardScaler().fit_transform(X_train),
                                np.asarray(y_train, dtype=float).reshape(len(y_train), -1))
    return {"kind": kind, "metric": "r2" if kind == "regression" else "log_loss", "screened_columns": len(columns),
            "defaults_on_screened_columns": score(kind, X_train[:, columns], y_train, X_test[:, columns], y_test),
            "defaults_on_every_column": score(kind, X_train, y_train, X_test, y_test)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    report = {"git": git_state(),
              "datasets": {name: run(name) for name in args.datasets.split(",")}}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
