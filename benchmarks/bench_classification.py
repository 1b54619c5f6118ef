"""Tabular classification: PrunedEnsembleClassifier against the usual scikit-learn classifiers.

The classification panel of the tabular benchmark (``bench_tabular.py`` is the
regression panel; this script reuses its split, preprocessing, table and output
helpers). Prints JSON with, per data set and model, the test accuracy,
log-loss, expected calibration error (ECE), fit and predict seconds, and for
every PrunedEnsembleClassifier the same scores of each of its members and its
log-loss minus every other model's, with the standard error of that paired
difference on the test rows ("paired"); then a summary (best model per data set
and metric, and the goals of issue 13). The markdown tables for the README go
to stderr.

Data sets (classification; "features" counts the columns before preprocessing):

- ``wide_classification``: ``make_classification(n_samples=5000,
  n_features=1000, n_informative=10, random_state=1)``; two classes, 1,000
  numeric features of which 10 informative and 2 redundant (linear
  combinations of the informative ones), 1% of the labels flipped; the
  classes are clusters around the vertices of a hypercube, so the boundary
  is nonlinear.
- ``breast_cancer``: ``sklearn.datasets.load_breast_cancer()``; 569 tumours,
  30 numeric features of cell nuclei, two classes (malignant, benign).
- ``wine``: ``sklearn.datasets.load_wine()``; 178 wines, 13 chemical
  measurements, three classes (cultivars).
- ``digits``: ``sklearn.datasets.load_digits()``; 1,797 8×8 images of
  handwritten digits, 64 pixel intensities, ten classes.
- ``fair`` (statsmodels): Fair (1978), extramarital affairs survey; 6,366
  women, 8 features of which ``occupation`` and ``occupation_husb`` (codes
  1-6) are categorical; two classes: ``affairs > 0`` (32% of the rows).
- ``anes96`` (statsmodels): 1996 American National Election Study; 944
  respondents, 9 numeric features (population of their area, TV news days,
  self-placement and placement of Clinton and Dole on a 7-point left-right
  scale, age, education, income, vote), ``logpopul`` left out (the log of
  ``popul``); seven classes: ``PID``, party identification from strong
  Democrat (0) to strong Republican (6), 37 to 200 respondents each.

The statsmodels data sets are read from the files statsmodels installs (``pip
install ensembleprune[bench]``), the others from scikit-learn's; nothing is
downloaded.

Methodology: as the regression panel's (see ``bench_tabular.py``), with a
stratified 80/20 split (``train_test_split(..., stratify=y,
random_state=42)``). Models: ``LogisticRegression(max_iter=1000,
random_state=0)``, ``HistGradientBoostingClassifier(random_state=0)``,
``RandomForestClassifier(n_estimators=200, n_jobs=2, random_state=0)``,
``MLPClassifier(early_stopping=True, random_state=0, max_iter=500)`` (the
regression panel's MLP: scikit-learn's defaults but early stopping on 10% of
the rows, and room to reach it), ``PrunedEnsembleClassifier(random_state=0)``
with every other parameter at its default ("ensemble") and with
``combine="mean"`` ("ensemble_mean"), plus any ``--variant NAME=JSON``.

Metrics, on the test rows, from ``predict_proba``: accuracy of the most
probable class; log-loss (``sklearn.metrics.log_loss``, which clips
probabilities to [eps, 1 - eps] of float64, so a confident mistake of the
random forest, whose probabilities can be 0, costs about 36); ECE (see
``expected_calibration_error``). Every ensemble also gets its members' scores
(``predict_members_proba``), with their sparsity, seed and selection weight
(``combine="select"``, which keeps only the chosen members), and its best
member, the one of lowest test log-loss: an oracle choice, the hardest single
member to beat.

``--quick`` (development only): at most 2,000 training rows per data set (a
random subset; the test rows are kept), and the ensembles get the much smaller
settings of ``QUICK_ENSEMBLE_PARAMS`` unless a variant sets them itself. It took
about 15 minutes on 2 busy cores, half of it HistGradientBoosting's (its OpenMP
threads wait on each other when other jobs hold the cores).

    python benchmarks/bench_classification.py [--quick] [--datasets a,b] [--models logreg,ensemble]
        [--variant stack='{"combine": "stack"}'] [--out results.json]
"""

import argparse
import functools
import sys
import traceback

import numpy as np
from bench_tabular import (
    ROW_LOSSES,
    Dataset,
    _statsmodels_data,
    check_statsmodels,
    check_variants,
    describe,
    emit,
    linear_member_evidence,
    metric_rows,
    paired_differences,
    parse_variant,
    preprocessor,
    quick_note,
    run_benchmark,
    selection,
    slow_models,
    split,
    timed_fit_predict,
    training_cost,
)
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline

from ensembleprune import PrunedEnsembleClassifier

# Two members on a short budget: the default 6,000 optimizer steps of 4 members cost 1-4 minutes
# a fit here, and a quick run fits two ensembles per data set. Full width: narrower members at
# the sparsest default (0.995) can be left with no path from the inputs to the output.
QUICK_ENSEMBLE_PARAMS = {"n_members": 2, "epochs": 40}
# Equal-width bins of the top-class confidence, as in Guo et al. (2017), "On calibration of modern neural networks".
ECE_BINS = 15
METRICS = {"accuracy": max, "log_loss": min, "ece": min}  # metric: how its best is chosen
WIDE = "wide_classification"


def load_fair():
    data = _statsmodels_data("fair")
    categorical = ["occupation", "occupation_husb"]
    X = data.drop(columns="affairs").astype({name: "int64" for name in categorical})
    y = (data["affairs"] > 0).to_numpy(int)
    return Dataset(X, y, "statsmodels fair, target affairs > 0", categorical, stratify=True)


def load_anes96():
    data = _statsmodels_data("anes96")
    X = data.drop(columns=["PID", "logpopul"])
    return Dataset(X, data["PID"].to_numpy(int), "statsmodels anes96, target PID (7 classes)", stratify=True)


def _sklearn_dataset(loader, source):
    return lambda: Dataset(*loader(return_X_y=True), source, stratify=True)


DATASETS = {
    WIDE: lambda: Dataset(
        *make_classification(n_samples=5000, n_features=1000, n_informative=10, random_state=1),
        "make_classification(n_samples=5000, n_features=1000, n_informative=10, random_state=1)",
        stratify=True,
    ),
    "breast_cancer": _sklearn_dataset(load_breast_cancer, "sklearn load_breast_cancer"),
    "wine": _sklearn_dataset(load_wine, "sklearn load_wine"),
    "digits": _sklearn_dataset(load_digits, "sklearn load_digits"),
    "fair": load_fair,
    "anes96": load_anes96,
}
STATSMODELS_DATASETS = ("fair", "anes96")

# name: (the estimator as written in the JSON, how to make it)
BASE_MODELS = {
    "logreg": (
        # random_state only matters to other solvers than lbfgs; set for the rule "every seed fixed".
        "LogisticRegression(max_iter=1000, random_state=0)",
        lambda: LogisticRegression(max_iter=1000, random_state=0),
    ),
    "hgb": ("HistGradientBoostingClassifier(random_state=0)", lambda: HistGradientBoostingClassifier(random_state=0)),
    "rf": (
        "RandomForestClassifier(n_estimators=200, n_jobs=2, random_state=0)",
        lambda: RandomForestClassifier(n_estimators=200, n_jobs=2, random_state=0),
    ),
    "mlp": (
        "MLPClassifier(early_stopping=True, random_state=0, max_iter=500)",
        lambda: MLPClassifier(early_stopping=True, random_state=0, max_iter=500),
    ),
    # The ensembles are made with their parameters: see model_params.
    "ensemble": ("PrunedEnsembleClassifier", None),
    "ensemble_mean": ("PrunedEnsembleClassifier", None),
}
ENSEMBLE_MODELS = {"ensemble": {}, "ensemble_mean": {"combine": "mean"}}


def expected_calibration_error(y_true, proba, classes, n_bins=ECE_BINS):
    """Expected calibration error of the top-class confidence, in ``n_bins`` equal-width bins.

    Each row's confidence is its largest probability and it counts as correct
    when that class (the first of equal ones) is its label. Bin ``m`` (from 1)
    holds the confidences in ``((m - 1) / n_bins, m / n_bins]``; the ECE is
    the mean over bins of ``|accuracy - mean confidence|`` weighted by the
    share of rows in the bin, which equals ``sum over bins |correct - sum of
    confidences| / n_rows``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    proba : ndarray of shape (n_samples, n_classes), columns in the order of ``classes``
    classes : ndarray of shape (n_classes,)
    n_bins : int, default=15

    Returns
    -------
    float in [0, 1]; 0 for a perfectly calibrated model
    """
    proba = np.asarray(proba, dtype=float)
    confidence = proba.max(axis=1)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y_true)
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    n_correct = np.bincount(bins, weights=correct, minlength=n_bins)
    gaps = n_correct - np.bincount(bins, weights=confidence, minlength=n_bins)
    return float(np.abs(gaps).sum() / len(confidence))


def scores(y_true, proba, classes):
    """Accuracy (of the most probable class), log-loss and ECE of probabilities ``proba``."""
    predicted = np.asarray(classes)[np.argmax(proba, axis=1)]
    return {
        "accuracy": float(np.mean(predicted == y_true)),
        "log_loss": float(log_loss(y_true, proba, labels=classes)),
        "ece": expected_calibration_error(y_true, proba, classes),
    }


def row_log_losses(y_true, proba, classes):
    """Each row's log-loss, ``-log p(its class)``, clipped as :func:`~sklearn.metrics.log_loss` clips; their mean is it."""
    proba = np.asarray(proba, dtype=np.float64)
    eps = np.finfo(proba.dtype).eps
    columns = np.searchsorted(classes, y_true)
    return -np.log(np.clip(proba[np.arange(len(proba)), columns], eps, 1 - eps))


def member_scores(pipeline, X_test, y_test, combined):
    """Every member's scores, the best member (lowest test log-loss) and how the combination compares.

    ``combined`` holds the ensemble's own scores.
    """
    model = pipeline[-1]
    members = model.predict_members_proba(pipeline[:-1].transform(X_test))
    # Members compute in float32: their rows sum to 1 within about 1e-7, which log_loss warns
    # about; normalized as predict_proba normalizes the combination.
    members = members / members.sum(axis=2, keepdims=True)
    # combine="select" keeps only the chosen members, each with its weight; the others have none.
    weights = getattr(model, "member_weights_", [None] * len(members))
    temperatures = getattr(model, "member_temperatures_", [None] * len(members))
    per_member = [
        {
            "seed": int(seed),
            "sparsity": float(sparsity),
            "weight": None if weight is None else float(weight),
            "temperature": None if temperature is None else float(temperature),
            **scores(y_test, proba, model.classes_),
        }
        for seed, sparsity, weight, temperature, proba in zip(
            model.member_seeds_, model.member_sparsities_, weights, temperatures, members
        )
    ]
    best = min(range(len(per_member)), key=lambda k: per_member[k]["log_loss"])
    return {
        "members": per_member,
        "best_member": best,
        "ece_below_best_member": combined["ece"] < per_member[best]["ece"],
        "log_loss_below_best_member": combined["log_loss"] < per_member[best]["log_loss"],
    }


def make_model(name, ensemble_params):
    if name in ensemble_params:
        return PrunedEnsembleClassifier(random_state=0, **ensemble_params[name])
    return BASE_MODELS[name][1]()


def run_model(name, ensemble_params, dataset, X_train, X_test, y_train, y_test):
    """Fit and score one model (and an ensemble's members); an exception is returned as an error entry."""
    try:
        pipeline = make_pipeline(preprocessor(dataset), make_model(name, ensemble_params))
        proba, fit_seconds, predict_seconds = timed_fit_predict(pipeline, X_train, y_train, X_test, "predict_proba")
        result = {**scores(y_test, proba, pipeline.classes_), "fit_s": fit_seconds, "predict_s": predict_seconds,
                  **training_cost(pipeline[-1]), **linear_member_evidence(pipeline[-1]),
                  ROW_LOSSES: row_log_losses(y_test, proba, pipeline.classes_)}
        if name in ensemble_params:
            result.update(member_scores(pipeline, X_test, y_test, result))
        return result
    except Exception as error:  # noqa: BLE001 - recorded, and the run goes on
        traceback.print_exc(file=sys.stderr)
        return {"error": f"{type(error).__name__}: {error}"}


def run_dataset(name, models, ensemble_params, quick):
    """Every selected model on one data set, one after another."""
    dataset = DATASETS[name]()
    X_train, X_test, y_train, y_test, n_train_full = split(dataset, quick)
    entry = describe(dataset, X_train, y_train, y_test, n_train_full)
    entry["n_classes"] = int(len(np.unique(dataset.y)))
    for model in models:
        print(f"[{name}] {model} ...", file=sys.stderr, flush=True)
        result = run_model(model, ensemble_params, dataset, X_train, X_test, y_train, y_test)
        entry["results"][model] = result
        shown = (
            f"accuracy {result['accuracy']:.4f}, log-loss {result['log_loss']:.4f}, ECE {result['ece']:.4f}, "
            f"fit {result['fit_s']:.1f} s"
            if "accuracy" in result
            else result["error"]
        )
        print(f"[{name}] {model}: {shown}", file=sys.stderr, flush=True)
    entry["paired"] = paired_differences(entry["results"], ensemble_params)
    return entry


def compare(datasets, model, peer, metric, names=None):
    """Goal "``model`` at least as good as ``peer`` on ``metric``", per data set where both ran.

    Returns ``{"per_dataset": {name: {model: value, peer: value, "met": bool}}, "met": k, "of": n}``.
    """
    better_or_equal = (lambda a, b: a >= b) if METRICS[metric] is max else (lambda a, b: a <= b)
    per_dataset = {}
    for name in names or datasets:
        results = datasets.get(name, {}).get("results", {})
        if metric in results.get(model, {}) and metric in results.get(peer, {}):
            ours, theirs = results[model][metric], results[peer][metric]
            per_dataset[name] = {model: ours, peer: theirs, "met": bool(better_or_equal(ours, theirs))}
    return {
        "per_dataset": per_dataset,
        "met": sum(item["met"] for item in per_dataset.values()),
        "of": len(per_dataset),
    }


def members_goal(datasets, model):
    """Goal "combined ECE below the best member's", per data set where ``model`` ran."""
    per_dataset = {}
    for name, entry in datasets.items():
        result = entry["results"].get(model, {})
        if "members" in result:
            best = result["members"][result["best_member"]]
            met = result["ece_below_best_member"]
            per_dataset[name] = {model: result["ece"], "best_member": best["ece"], "met": met}
    return {
        "per_dataset": per_dataset,
        "met": sum(item["met"] for item in per_dataset.values()),
        "of": len(per_dataset),
    }


def summarize(datasets, models):
    """Best model per data set and metric, the errors, and the goals of issue 13 where their models ran."""
    best = {metric: {} for metric in METRICS}
    for name, entry in datasets.items():
        for metric, choose in METRICS.items():
            scored = {model: result[metric] for model, result in entry["results"].items() if metric in result}
            best[metric][name] = choose(scored, key=scored.get) if scored else None
    goals = {}
    if "ensemble" in models:
        for peer in ("mlp", "logreg"):
            if peer in models:
                goals[f"log_loss_at_most_{peer}"] = compare(datasets, "ensemble", peer, "log_loss")
        if "hgb" in models and WIDE in datasets:
            goals["accuracy_at_least_hgb_on_wide"] = compare(datasets, "ensemble", "hgb", "accuracy", [WIDE])
    if "ensemble_mean" in models:
        goals["ensemble_mean_ece_below_best_member"] = members_goal(datasets, "ensemble_mean")
    errors = {
        name: [model for model, result in entry["results"].items() if "error" in result]
        for name, entry in datasets.items()
    }
    return {"best": best, "goals": goals, "errors": {name: failed for name, failed in errors.items() if failed}}


def members_table(report, model):
    """Rows data sets: ``model``'s ECE and log-loss beside its members' (best member by test log-loss)."""
    lines = [
        f"| data set | {model} ECE | best member ECE | members' ECE (min–max) | "
        f"{model} log-loss | best member log-loss | ECE below best member |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for name, entry in report["datasets"].items():
        result = entry["results"].get(model, {})
        if "members" not in result:
            continue
        members = result["members"]
        best = members[result["best_member"]]
        eces = [member["ece"] for member in members]
        below = "yes" if result["ece_below_best_member"] else "no"
        lines.append(
            f"| {name} | {result['ece']:.3f} | {best['ece']:.3f} | {min(eces):.3f}–{max(eces):.3f} | "
            f"{result['log_loss']:.3f} | {best['log_loss']:.3f} | {below} |"
        )
    return lines


def goal_lines(goals):
    """One line per goal: met on k of n data sets, and where it was missed."""
    lines = []
    for goal, outcome in goals.items():
        missed = [name for name, item in outcome["per_dataset"].items() if not item["met"]]
        where = f", missed on {', '.join(missed)}" if missed else ""
        lines.append(f"- {goal}: met on {outcome['met']} of {outcome['of']}{where}")
    return lines


def markdown_table(report):
    """One table per metric (data sets × models, best in bold, fit seconds for slow models), then the members'."""
    slow = slow_models(report)
    sections = []
    for metric, title in (
        ("log_loss", "Test log-loss (lower is better)"),
        ("accuracy", "Test accuracy"),
        ("ece", f"Test ECE ({ECE_BINS} bins, lower is better)"),
    ):
        rows = metric_rows(report, metric, report["summary"]["best"][metric], slow if metric == "log_loss" else set())
        sections.append("\n".join([title + ", best in bold:", ""] + rows))
    for model in report["models_run"]:
        if report["models"][model].get("params", {}).get("combine") == "mean":
            sections.append("\n".join([f"{model} against its members (test rows):", ""] + members_table(report, model)))
    notes = goal_lines(report["summary"]["goals"])
    if slow:
        shown = ", ".join(model for model in report["models_run"] if model in slow)
        notes.append(f"Fit seconds in parentheses (log-loss table) for {shown}.")
    notes.append(quick_note(report))
    return "\n\n".join(sections + ["\n".join(note for note in notes if note)])


def model_params(models, variants, quick):
    """Parameters of every ensemble model: ``{name: params}`` (quick settings first, then the model's own)."""
    base = dict(QUICK_ENSEMBLE_PARAMS) if quick else {}
    params = {name: {**base, **extra} for name, extra in ENSEMBLE_MODELS.items() if name in models}
    for name, extra in variants.items():
        params[name] = {**base, **extra}
    return params


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="development run: subsampled, smaller ensembles")
    parser.add_argument("--datasets", help=f"comma-separated, from {', '.join(DATASETS)}")
    parser.add_argument("--models", help=f"comma-separated, from {', '.join(BASE_MODELS)}")
    variant = functools.partial(parse_variant, estimator=PrunedEnsembleClassifier)
    variant.__name__ = "variant"  # argparse names the type in its error messages
    parser.add_argument("--variant", action="append", type=variant, default=[], metavar="NAME=JSON")
    parser.add_argument("--out", help="also write the JSON to this file")
    args = parser.parse_args(argv)
    args.datasets = selection(args.datasets, DATASETS, "data sets")
    args.models = selection(args.models, BASE_MODELS, "models")
    check_statsmodels(parser, [name for name in args.datasets if name in STATSMODELS_DATASETS])
    args.variants = check_variants(parser, args.variant, BASE_MODELS)
    return args


def main(argv=None):
    args = parse_args(argv)
    ensemble_params = model_params(args.models, args.variants, args.quick)
    report = run_benchmark("bench_classification", "PrunedEnsembleClassifier", BASE_MODELS, QUICK_ENSEMBLE_PARAMS,
                           args, ensemble_params, run_dataset)
    report["summary"] = summarize(report["datasets"], report["models_run"])
    emit(report, markdown_table(report), args.out)


if __name__ == "__main__":
    main()
