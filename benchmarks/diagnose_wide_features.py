"""Where the wide classification data's accuracy goes: noise features, and the members' ranking of them.

Generates ``make_classification(5000, n_features=1000, n_informative=10,
random_state=1, shuffle=False)`` (the panel's wide data set with its columns in
generation order, so that the 12 useful ones, 10 informative and 2 redundant,
come first), splits it 80/20 (stratified, ``random_state=42``), and prints one
JSON object:

- HistGradientBoosting on all 1,000 features and on the 12 useful ones;
- ``PrunedEnsembleClassifier(random_state=0, combine="mean", linear_member=False)``
  on all features: its test scores, each member's count of used input features,
  the rank of each useful feature when the features are ordered by the
  members' input-weight magnitude (each member's per-feature sum of absolute
  first-layer weights, normalized to sum to one, summed over members), and the
  share of that magnitude that falls on the useful features;
- the default ``PrunedEnsembleClassifier(random_state=0)`` trained again on only
  the ``--keep`` features the members rank highest (a two-stage fit, ranked on
  the training rows only);
- with ``--full``, also the default on all features, the default with
  ``sparsities=(0.995, 0.997, 0.998, 0.999)`` on all features, and the default
  trained on the 12 useful features (an oracle).

    python benchmarks/diagnose_wide_features.py [--keep 32] [--full]
"""

import argparse
import json
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ensembleprune import PrunedEnsembleClassifier

N_USEFUL = 12  # n_informative=10 and make_classification's default n_redundant=2


def scores(model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    proba = model.fit(X_train, y_train).predict_proba(X_test)
    return {"accuracy": accuracy_score(y_test, proba.argmax(axis=1)), "log_loss": log_loss(y_test, proba),
            "fit_s": time.perf_counter() - start}


def input_magnitude(members, n_features):
    """Each feature's share of every member's first-layer weight magnitude, summed over members."""
    total = np.zeros(n_features)
    for member in members:
        kernel = np.abs(np.asarray(member.layers[0].dense_kernel()))
        if kernel.shape[0] != len(member.used_features_):
            kernel = kernel.T
        magnitude = np.zeros(n_features)
        magnitude[member.used_features_] = kernel.sum(axis=1)
        total += magnitude / magnitude.sum()
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=int, default=32, help="features the second stage trains on")
    parser.add_argument("--full", action="store_true", help="also the one-stage defaults, sparser members, an oracle")
    args = parser.parse_args(argv)
    X, y = make_classification(n_samples=5000, n_features=1000, n_informative=10, random_state=1, shuffle=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=42)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    useful = np.arange(N_USEFUL)
    report = {
        "hgb_all_features": scores(HistGradientBoostingClassifier(random_state=0), X_train, y_train, X_test, y_test),
        "hgb_useful_features": scores(HistGradientBoostingClassifier(random_state=0), X_train[:, useful], y_train,
                                      X_test[:, useful], y_test),
    }
    first = PrunedEnsembleClassifier(random_state=0, combine="mean", linear_member=False)
    report["ensemble_mean_all_features"] = scores(first, X_train, y_train, X_test, y_test)
    magnitude = input_magnitude(first.members_, X.shape[1])
    order = np.argsort(-magnitude)
    ranks = np.empty(len(order), dtype=int)
    ranks[order] = np.arange(len(order))
    report["members"] = [
        {"sparsity": float(sparsity), "used_features": int(len(member.used_features_))}
        for member, sparsity in zip(first.members_, first.member_sparsities_)
    ]
    report["useful_feature_ranks"] = sorted(int(rank) for rank in ranks[useful])
    report["useful_magnitude_share"] = float(magnitude[useful].sum() / magnitude.sum())
    keep = order[: args.keep]
    report[f"default_on_top_{args.keep}"] = scores(PrunedEnsembleClassifier(random_state=0), X_train[:, keep], y_train,
                                                  X_test[:, keep], y_test)
    report[f"useful_among_top_{args.keep}"] = int(np.isin(useful, keep).sum())
    if args.full:
        report["default_all_features"] = scores(PrunedEnsembleClassifier(random_state=0), X_train, y_train, X_test,
                                                y_test)
        sparser = PrunedEnsembleClassifier(random_state=0, sparsities=(0.995, 0.997, 0.998, 0.999))
        report["sparser_all_features"] = scores(sparser, X_train, y_train, X_test, y_test)
        report["sparser_used_features"] = [int(len(member.used_features_)) for member in sparser.members_]
        report["default_on_useful_features"] = scores(PrunedEnsembleClassifier(random_state=0), X_train[:, useful],
                                                      y_train, X_test[:, useful], y_test)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
