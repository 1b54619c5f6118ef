"""The defaults on tables in their own units, with no scaler before any model.

The panels put a ``StandardScaler`` before every model, as the estimator's
docs ask. A user who fits ``PrunedEnsemble*()`` on a table as it comes, the
way ``HistGradientBoosting*`` is fitted, gets what this script measures:
tables whose features are in units of very different sizes (raw diabetes:
ages in years, cholesterol in mg/dL; Friedman's functions 2 and 3, whose
inputs range over [0, 100] to [40π, 560π]; US macro series in billions; a
10-feature ``make_friedman1`` rescaled by 1 to 10⁴ and shifted; wine's and
breast cancer's raw measurements; modechoice's travel costs and times).
Every model is fitted on the rows as they are, 80/20 split (``random_state=0``,
stratified for classification): ``RidgeCV`` / ``LogisticRegression``,
``HistGradientBoosting*``, ``MLP*`` with early stopping (the panels' peers but
the random forest), the ensemble at its defaults, and, beside it,
``ensemble_scaled``: the same ensemble after a ``StandardScaler``, the panels'
way. Scores as in ``bench_small_tables.py`` (R²; log-loss, accuracy, ECE),
"paired": the ensemble's score minus each other model's, with the standard
error of that paired difference on the test rows. Prints one JSON object.

    python benchmarks/bench_feature_scale.py [--kind regression|classification] [--datasets a,b] [--models a,b]
"""

import argparse
import json
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine, make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import bench_small_tables
from bench_tabular import environment, git_state
from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor

# make_friedman1's ten inputs, uniform on [0, 1], as if measured in units of these sizes and from these origins.
UNITS = np.array([1.0, 10.0, 100.0, 1e3, 1e4, 1.0, 0.1, 0.01, 50.0, 2.0])
ORIGINS = np.array([0.0, 500.0, -40.0, 2e4, 1e5, 3.0, 0.0, 1.0, -800.0, 60.0])


def friedman1_units():
    X, y = make_friedman1(2500, 10, noise=1, random_state=5)
    return X * UNITS + ORIGINS, y


REGRESSION = {
    "diabetes_raw": lambda: load_diabetes(return_X_y=True, scaled=False),  # the panel's, in its units
    "friedman1_units": friedman1_units,
    "friedman2_300": bench_small_tables.REGRESSION["friedman2_300"],
    "friedman3_1000": bench_small_tables.REGRESSION["friedman3_1000"],
    "macrodata_realinv": bench_small_tables.REGRESSION["macrodata_realinv"],
}
CLASSIFICATION = {
    "wine_raw": lambda: load_wine(return_X_y=True),
    "breast_cancer_raw": lambda: load_breast_cancer(return_X_y=True),
    "modechoice": bench_small_tables.CLASSIFICATION["modechoice"],
}


def models(kind):
    """``{name: estimator}``: the peers and the ensemble on the raw rows, and the ensemble after a scaler."""
    ensemble = PrunedEnsembleRegressor if kind == "regression" else PrunedEnsembleClassifier
    scaled = make_pipeline(StandardScaler(), ensemble(random_state=0))
    return {**bench_small_tables.peers(kind), "ensemble_scaled": scaled}


def run_dataset(kind, name, load, chosen_models):
    X, y = load()
    X_train, X_test, y_train, y_test = train_test_split(
        np.asarray(X, float), y, test_size=0.2, random_state=0, stratify=y if kind == "classification" else None)
    entry = {"n_train": len(y_train), "n_test": len(y_test), "n_features": X.shape[1],
             "feature_std_range": [float(X_train.std(axis=0).min()), float(X_train.std(axis=0).max())],
             "results": {}}
    for model, estimator in models(kind).items():
        if chosen_models is None or model in chosen_models:
            _, entry["results"][model] = bench_small_tables.fit_and_score_as_given(
                kind, estimator, X_train, y_train, X_test, y_test)
    entry["paired"] = bench_small_tables.paired(kind, entry["results"], y_test)
    print(f"[{name}] {json.dumps(entry['results'])}", file=sys.stderr, flush=True)
    return entry


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench_small_tables.add_table_arguments(parser)
    parser.add_argument("--models", help="comma-separated names (default: all; 'ensemble' is the one on raw rows)")
    args = parser.parse_args(argv)
    tables = bench_small_tables.chosen_tables(parser, args, REGRESSION, CLASSIFICATION)
    chosen_models = None if args.models is None else set(args.models.split(","))
    report = {"benchmark": "bench_feature_scale", "git": git_state(), "split": "80/20, random_state=0",
              "scaler": "none but ensemble_scaled's StandardScaler", "environment": environment()}
    for kind, table in tables.items():
        report[kind] = {name: run_dataset(kind, name, load, chosen_models) for name, load in table.items()}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
