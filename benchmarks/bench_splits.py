"""The defaults on several train/test splits of the same tables, beside the linear model and the MLP.

A panel's one split can flatter or wrong a rule that decides on a few dozen
held-out rows: which rows are held out, and which are tested, is luck. This
script fits the estimator at its defaults (``random_state=0``) and the
panels' linear model and MLP on ``--splits`` 80/20 splits of each data set
(``random_state`` 0, 1, ...; stratified for classification; the panels'
preprocessing) and records, per split, the test score of each (R² for
regression, log-loss for classification), the ensemble's fit seconds, the
members it kept (seed -1: the linear member) and ``linear_member_evidence_``.
The summary counts, per data set, the splits where the ensemble is at least
as good as each peer, and its worst margin. ``--with-mean`` also fits
``combine="mean"`` (the plain mean of the networks) as a peer: the
selection's goal is not to fall below it by more than noise.

With ``--package DIR`` the ensemble comes from the package in ``DIR`` (a
checkout of another commit, e.g. made by ``git worktree add``), to compare
two versions' rules on the same splits. Prints one JSON object.

    python benchmarks/bench_splits.py [--datasets breast_cancer,diabetes] [--splits 4] [--with-mean] [--package DIR]
"""

import argparse
import json
import sys
import time

from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline

# Regression data sets from the regression panel, classification ones from the classification panel.
REGRESSION = ("diabetes", "star98", "grunfeld", "small_friedman", "fair", "randhie")
CLASSIFICATION = ("breast_cancer", "wine", "anes96")
PEERS = {"regression": ("ridge", "mlp"), "classification": ("logreg", "mlp")}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="breast_cancer,diabetes",
                        help=f"comma-separated, from {', '.join(REGRESSION + CLASSIFICATION)}")
    parser.add_argument("--splits", type=int, default=4, help="how many splits (random_state 0, 1, ...)")
    parser.add_argument("--with-mean", action="store_true", help='also fit combine="mean" as a peer')
    parser.add_argument("--package", help="import ensembleprune from this checkout instead")
    parser.add_argument("--out", help="also write the JSON to this file")
    args = parser.parse_args(argv)
    args.datasets = args.datasets.split(",")
    unknown = set(args.datasets) - set(REGRESSION + CLASSIFICATION)
    if unknown:
        parser.error(f"unknown data sets {sorted(unknown)}; choose from {', '.join(REGRESSION + CLASSIFICATION)}")
    if args.splits < 1:
        parser.error("--splits must be at least 1")
    return args


def fit_and_score(kind, make_model, dataset, random_state):
    """Every model on one split: ``{model: {"score", "fit_s"[, evidence, kept]}}``."""
    import bench_classification  # after --package is on the path: the panels import ensembleprune
    import bench_tabular

    X_train, X_test, y_train, y_test, _ = bench_tabular.split(dataset, quick=False, random_state=random_state)
    results = {}
    for name, model in make_model().items():
        pipeline = make_pipeline(bench_tabular.preprocessor(dataset), model)
        start = time.perf_counter()
        pipeline.fit(X_train, y_train)
        entry = {"fit_s": time.perf_counter() - start}
        if kind == "regression":
            entry["score"] = float(r2_score(y_test, pipeline.predict(X_test)))
        else:
            proba = pipeline.predict_proba(X_test)
            entry["score"] = bench_classification.scores(y_test, proba, pipeline.classes_)["log_loss"]
        if name == "ensemble":
            entry["kept"] = pipeline[-1].member_seeds_.tolist()
            entry.update(bench_tabular.linear_member_evidence(pipeline[-1]))
        results[name] = entry
    return results


def summarize(kind, splits):
    """Per peer: splits where the ensemble is at least as good, and its worst margin (positive: ahead)."""
    sign = 1.0 if kind == "regression" else -1.0  # R²: higher is better; log-loss: lower
    summary = {}
    for peer in [name for name in splits[0] if name not in ("random_state", "ensemble")]:
        margins = [sign * (split["ensemble"]["score"] - split[peer]["score"]) for split in splits]
        summary[peer] = {"at_least_as_good": int(sum(margin >= 0 for margin in margins)), "of": len(margins),
                         "worst_margin": min(margins)}
    return summary


def main(argv=None):
    args = parse_args(argv)
    if args.package:
        sys.path.insert(0, args.package)
    import bench_classification
    import bench_tabular
    import ensembleprune
    from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor

    report = {"benchmark": "splits", "package": ensembleprune.__file__, "git": bench_tabular.git_state(),
              "splits": args.splits, "environment": bench_tabular.environment(), "datasets": {}}
    for name in args.datasets:
        kind = "regression" if name in REGRESSION else "classification"
        panel, ensemble = ((bench_tabular, PrunedEnsembleRegressor) if kind == "regression"
                           else (bench_classification, PrunedEnsembleClassifier))
        dataset = panel.DATASETS[name]()

        def make_model():
            peers = {peer: panel.BASE_MODELS[peer][1]() for peer in PEERS[kind]}
            if args.with_mean:
                peers["ensemble_mean"] = ensemble(random_state=0, combine="mean")
            return {**peers, "ensemble": ensemble(random_state=0)}

        splits = []
        for random_state in range(args.splits):
            splits.append({"random_state": random_state, **fit_and_score(kind, make_model, dataset, random_state)})
            print(f"[{name}] {json.dumps(splits[-1])}", file=sys.stderr, flush=True)
        report["datasets"][name] = {"kind": kind, "metric": "r2" if kind == "regression" else "log_loss",
                                    "results": splits, "summary": summarize(kind, splits)}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as file:
            file.write(text + "\n")


if __name__ == "__main__":
    main()
