"""input_pruning="auto" against "weights" on wide data sets that did not choose it.

The "auto" rule was chosen on the two panels' wide data sets (wide Friedman and
the wide ``make_classification``; docs/performance.md, "Pruning whole input
features"). This script checks it on three other wide generated data sets,
with more informative features and other shapes of signal, at every other
parameter at its default, beside HistGradientBoosting (80/20 split,
``random_state=42``, ``StandardScaler``). Prints one JSON object.

    python benchmarks/bench_input_pruning.py [--datasets NAME,...]
"""

import argparse
import json
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor


def additive_sines(n_samples=4000, n_features=400, n_informative=30, random_state=0):
    """A sum of sines of 30 of 400 uniform features, plus noise."""
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-2, 2, size=(n_samples, n_features))
    y = np.sin(1.5 * X[:, :n_informative]).sum(axis=1) + 0.3 * rng.normal(size=n_samples)
    return X, y


def interactions(n_samples=4000, n_features=600, random_state=0):
    """Products of pairs among 12 of 600 normal features, plus noise."""
    rng = np.random.default_rng(random_state)
    X = rng.normal(size=(n_samples, n_features))
    y = sum(X[:, 2 * i] * X[:, 2 * i + 1] for i in range(6)) + 0.5 * rng.normal(size=n_samples)
    return X, y


DATASETS = {
    "sines_30_of_400": ("regression", additive_sines),
    "interactions_12_of_600": ("regression", interactions),
    "classification_100_of_1000": ("classification", lambda: make_classification(
        5000, n_features=1000, n_informative=100, n_redundant=20, random_state=2)),
}


def scores(kind, model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    if kind == "regression":
        return {"r2": r2_score(y_test, model.predict(X_test)), "fit_s": fit_s}
    proba = model.predict_proba(X_test)
    return {"accuracy": accuracy_score(y_test, model.classes_[proba.argmax(axis=1)]),
            "log_loss": log_loss(y_test, proba), "fit_s": fit_s}


def run(name):
    kind, make = DATASETS[name]
    X, y = make()
    stratify = y if kind == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42, stratify=stratify)
    ensemble = PrunedEnsembleRegressor if kind == "regression" else PrunedEnsembleClassifier
    boosting = HistGradientBoostingRegressor if kind == "regression" else HistGradientBoostingClassifier
    models = {
        "hgb": boosting(random_state=0),
        "ensemble_auto": ensemble(random_state=0),
        "ensemble_weights": ensemble(random_state=0, input_pruning="weights"),
    }
    results = {}
    for label, model in models.items():
        results[label] = scores(kind, make_pipeline(StandardScaler(), model), X_train, y_train, X_test, y_test)
        print(f"[{name}] {label}: {results[label]}", flush=True)
    return {"kind": kind, "shape": list(X.shape), "results": results}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    report = {name: run(name) for name in args.datasets.split(",")}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
