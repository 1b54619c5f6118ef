"""Conformal prediction intervals: coverage and width on the tabular benchmark's data sets.

For each data set and seed it fits ``PrunedEnsembleRegressor(conformal="split",
random_state=seed)`` (every other parameter at its default) in the tabular
benchmark's pipeline (``bench_tabular.py``: same loaders, split, preprocessing),
and prints JSON with the empirical coverage and mean width of the 90% intervals
on the clean test rows, for

- ``split``: absolute conformity scores, calibrated on the ``validation_fraction``
  (10%) of the training rows that the ensemble holds out for it;
- ``split_normalized``: the same fit and calibration rows, scores normalized by
  the members' spread (:mod:`ensembleprune.conformal`);
- ``validation_rows``: the same fit, absolute scores calibrated instead on the
  rows the ensemble held out for early stopping and selection, to measure how
  much reusing them would bias the coverage (they are not exchangeable with the
  test rows: the members stopped, and the selection weighed them, on those rows;
  the linear member, once chosen, is refitted on them);
- ``hgb_split``: split conformal around ``HistGradientBoostingRegressor(random_state=0)``
  in the same preprocessing, trained on the same training rows and calibrated
  on the same calibration rows (absolute scores);
- ``cv_plus`` (data sets in ``--cv-plus`` only; costly: ``cv`` + 1 ensembles per fit):
  ``combine="stack", conformal="cv+"``, calibrated on the out-of-fold predictions.

Coverage and width are averaged over seeds (mean, std and the values per seed);
the seed changes the calibration rows and the members, not the train/test split.
Each data set's entry is written to ``--out`` as soon as it is complete, so an
interrupted run keeps what it finished. A summary table goes to stderr.

    python benchmarks/bench_intervals.py [--quick] [--datasets a,b] [--seeds 3]
        [--cv-plus a,b] [--out results.json]

``--quick`` (development only): at most 2,000 training rows per data set, one
seed unless given, and members of ``QUICK_PARAMS``.
"""

import argparse
import json
import sys
import time

import numpy as np
from bench_tabular import (DATASETS, STATSMODELS_DATASETS, check_statsmodels, environment, git_state, preprocessor,
                          selection, split)
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import make_pipeline

from ensembleprune import PrunedEnsembleRegressor
from ensembleprune.conformal import calibration_split, coverage_and_width, half_widths

CONFIDENCE = 0.9
# Without the two largest fits (randhie, wide_linear): three seeds of the other six take about half an hour.
DEFAULT_DATASETS = ("wide_friedman", "star98", "grunfeld", "diabetes", "small_friedman", "fair")
QUICK_PARAMS = {"hidden_layer_sizes": [64], "n_members": 2}


def interval_scores(y_true, y_pred, width):
    """Coverage and mean width of ``y_pred ± width``."""
    return coverage_and_width(y_true, y_pred - width, y_pred + width)


def ensemble_intervals(ensemble, Xt_test, y_test):
    """``split`` and ``split_normalized`` scores of a fitted ``conformal="split"`` ensemble."""
    y_pred, y_std = ensemble.predict(Xt_test, return_std=True)
    results = {}
    for name, scores in (("split", "absolute"), ("split_normalized", "normalized")):
        width = half_widths(ensemble.calibration_residuals_, ensemble.calibration_spreads_, y_std[:, None],
                            CONFIDENCE, scores)[:, 0]
        results[name] = interval_scores(y_test, y_pred, width)
    return results, y_pred, y_std


def validation_row_intervals(ensemble, Xt_fit, y_fit, y_pred, y_test):
    """Absolute scores calibrated on the rows the ensemble held out for early stopping and selection.

    ``Xt_fit, y_fit`` are the rows the ensemble trained on (the calibration
    rows removed); its validation rows are drawn again from its members' seeds.
    """
    specs = ensemble._member_specs("linear", ensemble.n_features_in_, ensemble._reads_by_turns())
    rows = ensemble._validation_rows(len(y_fit), specs, None)
    residuals = np.abs(y_fit[rows] - ensemble.predict(Xt_fit[rows]))[:, None]
    width = half_widths(residuals, np.zeros_like(residuals), np.zeros((len(y_test), 1)), CONFIDENCE)[:, 0]
    return interval_scores(y_test, y_pred, width)


def hgb_intervals(dataset, X_train, y_train, X_test, y_test, train, calibration):
    """Split conformal around HistGradientBoostingRegressor: the ensemble's training and calibration rows."""
    pipeline = make_pipeline(preprocessor(dataset), HistGradientBoostingRegressor(random_state=0))
    pipeline.fit(_rows(X_train, train), y_train[train])
    residuals = np.abs(y_train[calibration] - pipeline.predict(_rows(X_train, calibration)))[:, None]
    width = half_widths(residuals, np.zeros_like(residuals), np.zeros((len(y_test), 1)), CONFIDENCE)[:, 0]
    return interval_scores(y_test, pipeline.predict(X_test), width)


def cv_plus_intervals(dataset, params, seed, X_train, y_train, X_test, y_test):
    """The stacked ensemble's cv+ intervals (absolute and normalized scores) and its fit seconds."""
    model = PrunedEnsembleRegressor(random_state=seed, combine="stack", conformal="cv+", **params)
    pipeline = make_pipeline(preprocessor(dataset), model)
    start = time.perf_counter()
    pipeline.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    y_pred, y_std = pipeline.predict(X_test, return_std=True)
    results = {}
    for name, scores in (("cv_plus", "absolute"), ("cv_plus_normalized", "normalized")):
        width = half_widths(model.calibration_residuals_, model.calibration_spreads_, y_std[:, None], CONFIDENCE,
                            scores)[:, 0]
        results[name] = interval_scores(y_test, y_pred, width)
    return results, seconds


def _rows(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def run_seed(dataset, params, seed, data, cv_plus):
    """Every interval of one seed on one data set: ``{method: {coverage, mean_width}}`` and fit seconds."""
    X_train, X_test, y_train, y_test = data
    ensemble = PrunedEnsembleRegressor(random_state=seed, conformal="split", **params)
    pipeline = make_pipeline(preprocessor(dataset), ensemble)
    start = time.perf_counter()
    pipeline.fit(X_train, y_train)
    seconds = {"ensemble_fit_s": time.perf_counter() - start}
    Xt_test = pipeline[:-1].transform(X_test)
    results, y_pred, _ = ensemble_intervals(ensemble, Xt_test, y_test)
    # The rows the ensemble trained on, as fit() drew them.
    train, calibration = calibration_split(len(y_train), ensemble.validation_fraction, seed)
    Xt_fit = pipeline[:-1].transform(_rows(X_train, train))
    results["validation_rows"] = validation_row_intervals(ensemble, Xt_fit, y_train[train], y_pred, y_test)
    results["hgb_split"] = hgb_intervals(dataset, X_train, y_train, X_test, y_test, train, calibration)
    if cv_plus:
        cv_results, seconds["cv_plus_fit_s"] = cv_plus_intervals(dataset, params, seed, X_train, y_train, X_test,
                                                                 y_test)
        results.update(cv_results)
    return results, seconds


def summarize(per_seed):
    """Mean, std and values over seeds of every method's coverage and mean width."""
    summary = {}
    for method in per_seed[0]:
        summary[method] = {}
        for metric in ("coverage", "mean_width"):
            values = np.array([seed[method][metric] for seed in per_seed])
            summary[method][metric] = {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if
                                       len(values) > 1 else 0.0, "values": values.tolist()}
    return summary


def run_dataset(name, params, seeds, quick, cv_plus):
    dataset = DATASETS[name]()
    X_train, X_test, y_train, y_test, n_train_full = split(dataset, quick)
    per_seed, seconds = [], []
    for seed in seeds:
        print(f"[{name}] seed {seed} ...", file=sys.stderr, flush=True)
        results, fit_seconds = run_seed(dataset, params, seed, (X_train, X_test, y_train, y_test), cv_plus)
        per_seed.append(results)
        seconds.append(fit_seconds)
        print(f"[{name}] seed {seed}: " + ", ".join(f"{m} {r['coverage']:.3f}/{r['mean_width']:.3g}"
                                                  for m, r in results.items()), file=sys.stderr, flush=True)
    return {"source": dataset.source, "n_train": len(y_train), "n_train_full": n_train_full, "n_test": len(y_test),
            "n_calibration": int(round(0.1 * len(y_train))), "seconds": seconds, "results": summarize(per_seed)}


def table(report):
    """Markdown: per data set and method, coverage (mean ± std over seeds) and mean width."""
    methods = [m for m in ("split", "split_normalized", "validation_rows", "cv_plus", "cv_plus_normalized",
                           "hgb_split") if any(m in entry["results"] for entry in report["datasets"].values())]
    lines = ["| data set (n_train) | " + " | ".join(methods) + " |", "|---|" + "---:|" * len(methods)]
    for name, entry in report["datasets"].items():
        cells = []
        for method in methods:
            result = entry["results"].get(method)
            cells.append("–" if result is None else f"{result['coverage']['mean']:.3f} ± "
                         f"{result['coverage']['std']:.3f} (w {result['mean_width']['mean']:.3g})")
        lines.append(f"| {name} ({entry['n_train']:,}) | " + " | ".join(cells) + " |")
    return "\n".join(lines + ["", f"Coverage of the {CONFIDENCE:.0%} intervals on the test rows (mean ± std over "
                              f"{len(report['seeds'])} seeds), mean width in parentheses."])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="development run: subsampled, small members, one seed")
    parser.add_argument("--datasets", help=f"comma-separated, from {', '.join(DATASETS)}; default "
                        f"{','.join(DEFAULT_DATASETS)}")
    parser.add_argument("--seeds", type=int, help="number of seeds (0, 1, ...); default 3, 1 with --quick")
    parser.add_argument("--cv-plus", help="comma-separated data sets that also get the stacked cv+ intervals")
    parser.add_argument("--out", help="also write the JSON to this file, after each data set")
    args = parser.parse_args(argv)
    args.datasets = selection(args.datasets or ",".join(DEFAULT_DATASETS), DATASETS, "data sets")
    args.cv_plus = selection(args.cv_plus or "", DATASETS, "data sets") if args.cv_plus else []
    check_statsmodels(parser, [name for name in args.datasets if name in STATSMODELS_DATASETS])
    args.seeds = list(range(args.seeds if args.seeds else (1 if args.quick else 3)))
    return args


def main(argv=None):
    args = parse_args(argv)
    params = dict(QUICK_PARAMS) if args.quick else {}
    report = {"benchmark": "bench_intervals", "confidence": CONFIDENCE, "quick": args.quick,
              "estimator": repr(clone(PrunedEnsembleRegressor(conformal="split", **params))), "seeds": args.seeds,
              "datasets": {}, "environment": environment(), "git": git_state()}
    for name in args.datasets:
        report["datasets"][name] = run_dataset(name, params, args.seeds, args.quick, name in args.cv_plus)
        if args.out:
            with open(args.out, "w") as file:
                file.write(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print("\n" + table(report), file=sys.stderr)


if __name__ == "__main__":
    main()
