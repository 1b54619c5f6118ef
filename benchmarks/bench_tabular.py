"""Tabular accuracy: PrunedEnsembleRegressor against the usual scikit-learn regressors.

Runs a panel of regression data sets through the same models and prints JSON
with, per data set and model, the test R², the fit seconds and the predict
seconds (for an ensemble also each member's seed, sparsity, weight and test
R²), each ensemble's R² minus every other model's with the standard error of
that paired difference on the test rows ("paired": the test rows' own noise),
plus a summary (mean R² per model, best model per data set). A markdown table
for the README goes to stderr.

Data sets (regression; "features" counts the columns before preprocessing):

- ``wide_friedman``: ``make_friedman1(n_samples=5000, n_features=500, noise=1,
  random_state=1)``; 500 numeric features, 5 of them informative (nonlinear).
- ``wide_linear``: ``make_regression(n_samples=4000, n_features=500,
  n_informative=250, noise=3, random_state=1)``; 500 numeric features.
- ``diabetes``: ``sklearn.datasets.load_diabetes()``; 442 patients, 10 numeric
  features, target: disease progression after one year.
- ``small_friedman``: ``make_friedman1(n_samples=400, n_features=30, noise=0.5,
  random_state=0)``, split 75/25.
- ``randhie`` (statsmodels): RAND Health Insurance Experiment, via Cameron and
  Trivedi (2005); 20,190 people, 9 numeric features (coinsurance, deductible
  plan, chronic diseases, self-rated health, ...), target ``mdvis``: number of
  outpatient visits to a doctor (a count, mostly unexplained by the features).
- ``fair`` (statsmodels): Fair (1978), extramarital affairs survey; 6,366 women,
  8 features of which ``occupation`` and ``occupation_husb`` (codes 1-6) are
  categorical, target ``affairs``: time spent in affairs (zero for most rows).
- ``star98`` (statsmodels): California STAR test results for 1998 by school
  district, from Gill's *Generalized Linear Models*; 303 districts, 20 numeric
  features (12 district characteristics and 8 interaction terms as shipped),
  target: share of 9th graders above the national median in mathematics,
  ``NABOVE / (NABOVE + NBELOW)``.
- ``grunfeld`` (statsmodels): Grunfeld (1950) investment data; 220 rows (11
  firms over 20 years), features ``value``, ``capital``, ``year`` and ``firm``
  (categorical), target ``invest``: gross investment.

The statsmodels data sets are read from the files statsmodels installs (``pip
install ensembleprune[bench]``); nothing is downloaded.

Methodology: each data set is split once (80/20 with ``train_test_split(...,
random_state=42)``, 75/25 for ``small_friedman``); every model is a Pipeline of
the preprocessing a user would write (``StandardScaler`` on the numeric
columns, ``OneHotEncoder(handle_unknown="ignore")`` on the categorical ones,
through a dense ``ColumnTransformer`` because PrunedEnsembleRegressor, like
HistGradientBoostingRegressor, takes dense input) and the model, fitted on the
training rows and scored by R² on the test rows. Fit seconds include the
preprocessing; TensorFlow is imported before the first timing, so no fit pays
for it. Models run one after another in this one process; a model that raises
is recorded as an error and the run goes on. Models: ``RidgeCV(alphas=
np.logspace(-3, 3, 13))``, ``HistGradientBoostingRegressor(random_state=0)``,
``RandomForestRegressor(n_estimators=200, n_jobs=2, random_state=0)``,
``MLPRegressor(early_stopping=True, random_state=0, max_iter=500)`` and
``PrunedEnsembleRegressor(random_state=0)`` with every other parameter at its
default ("ensemble"), plus any ``--variant NAME=JSON`` (an ensemble with those
parameters; ``--models`` does not filter variants).

``--quick`` (development only): at most 2,000 training rows per data set (a
random subset; the test rows are kept), and the ensembles get the smaller
settings of ``QUICK_ENSEMBLE_PARAMS`` unless a variant sets them itself. The
JSON records ``quick`` with both, every model's parameters, and the table says so.

    python benchmarks/bench_tabular.py [--quick] [--datasets a,b] [--models ridge,ensemble]
        [--variant stack='{"combine": "stack"}'] [--out results.json]

The classification panel (PrunedEnsembleClassifier) is ``bench_classification.py``,
which reuses this module's split, preprocessing, table and output helpers.
"""

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, make_friedman1, make_regression
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import ensembleprune
from ensembleprune import PrunedEnsembleRegressor
from ensembleprune.combiners import paired_difference, squared_errors

QUICK_MAX_TRAIN_ROWS = 2000
# Narrower members only: fewer epochs would leave the small data sets, one batch per epoch, undertrained.
QUICK_ENSEMBLE_PARAMS = {"hidden_layer_sizes": [256, 256]}
# In the markdown table, a model's column shows fit seconds when one of its fits took this long.
SLOW_FIT_SECONDS = 5.0
# A result's per-row test losses, kept until the paired differences are computed, then dropped from the JSON.
ROW_LOSSES = "_row_losses"


@dataclass
class Dataset:
    X: object  # ndarray or DataFrame
    y: np.ndarray
    source: str
    categorical: list = field(default_factory=list)
    test_size: float = 0.2
    stratify: bool = False  # classification: every class in both parts, in its proportion


STATSMODELS_DATASETS = ("randhie", "fair", "star98", "grunfeld")


def _statsmodels_data(name):
    """The data set's DataFrame, read from the files statsmodels installs."""
    return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data


def load_randhie():
    data = _statsmodels_data("randhie")
    return Dataset(data.drop(columns="mdvis"), data["mdvis"].to_numpy(float), "statsmodels randhie, target mdvis")


def load_fair():
    data = _statsmodels_data("fair")
    categorical = ["occupation", "occupation_husb"]
    X = data.drop(columns="affairs").astype({name: "int64" for name in categorical})
    return Dataset(X, data["affairs"].to_numpy(float), "statsmodels fair, target affairs", categorical)


def load_star98():
    data = _statsmodels_data("star98")
    y = (data["NABOVE"] / (data["NABOVE"] + data["NBELOW"])).to_numpy(float)
    X = data.drop(columns=["NABOVE", "NBELOW"])
    return Dataset(X, y, "statsmodels star98, target NABOVE / (NABOVE + NBELOW)")


def load_grunfeld():
    data = _statsmodels_data("grunfeld")
    X = data.drop(columns="invest").astype({"firm": object})
    return Dataset(X, data["invest"].to_numpy(float), "statsmodels grunfeld, target invest", ["firm"])


DATASETS = {
    "wide_friedman": lambda: Dataset(
        *make_friedman1(n_samples=5000, n_features=500, noise=1, random_state=1),
        "make_friedman1(n_samples=5000, n_features=500, noise=1, random_state=1)",
    ),
    "wide_linear": lambda: Dataset(
        *make_regression(n_samples=4000, n_features=500, n_informative=250, noise=3, random_state=1),
        "make_regression(n_samples=4000, n_features=500, n_informative=250, noise=3, random_state=1)",
    ),
    "diabetes": lambda: Dataset(*load_diabetes(return_X_y=True), "sklearn load_diabetes"),
    "small_friedman": lambda: Dataset(
        *make_friedman1(n_samples=400, n_features=30, noise=0.5, random_state=0),
        "make_friedman1(n_samples=400, n_features=30, noise=0.5, random_state=0)",
        test_size=0.25,
    ),
    "randhie": load_randhie,
    "fair": load_fair,
    "star98": load_star98,
    "grunfeld": load_grunfeld,
}

# name: (the estimator as written in the JSON, how to make it)
BASE_MODELS = {
    "ridge": ("RidgeCV(alphas=np.logspace(-3, 3, 13))", lambda: RidgeCV(alphas=np.logspace(-3, 3, 13))),
    "hgb": ("HistGradientBoostingRegressor(random_state=0)", lambda: HistGradientBoostingRegressor(random_state=0)),
    "rf": (
        "RandomForestRegressor(n_estimators=200, n_jobs=2, random_state=0)",
        lambda: RandomForestRegressor(n_estimators=200, n_jobs=2, random_state=0),
    ),
    "mlp": (
        "MLPRegressor(early_stopping=True, random_state=0, max_iter=500)",
        lambda: MLPRegressor(early_stopping=True, random_state=0, max_iter=500),
    ),
    "ensemble": ("PrunedEnsembleRegressor", None),  # made with its parameters: see model_params
}


def preprocessor(dataset):
    """StandardScaler on the numeric columns, OneHotEncoder on the categorical ones; dense output."""
    if not dataset.categorical:
        return StandardScaler()
    numeric = [name for name in dataset.X.columns if name not in dataset.categorical]
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), dataset.categorical),
        ],
        sparse_threshold=0,
    )


def split(dataset, quick, random_state=42):
    """The train/test split of a data set (the panels': ``random_state=42``); a quick run keeps a random subset
    of the training rows."""
    X_train, X_test, y_train, y_test = train_test_split(
        dataset.X,
        dataset.y,
        test_size=dataset.test_size,
        random_state=random_state,
        stratify=dataset.y if dataset.stratify else None,
    )
    n_train_full = len(y_train)
    if quick and n_train_full > QUICK_MAX_TRAIN_ROWS:
        keep = np.sort(np.random.default_rng(0).choice(n_train_full, QUICK_MAX_TRAIN_ROWS, replace=False))
        X_train = X_train.iloc[keep] if isinstance(X_train, pd.DataFrame) else X_train[keep]
        y_train = y_train[keep]
    return X_train, X_test, y_train, y_test, n_train_full


def model_params(models, variants, quick):
    """Parameters of every ensemble model: ``{name: params}`` (quick settings first, a variant's win)."""
    base = dict(QUICK_ENSEMBLE_PARAMS) if quick else {}
    params = {"ensemble": base} if "ensemble" in models else {}
    for name, extra in variants.items():
        params[name] = {**base, **extra}
    return params


def make_model(name, ensemble_params):
    if name in ensemble_params:
        return PrunedEnsembleRegressor(random_state=0, **ensemble_params[name])
    return BASE_MODELS[name][1]()


def timed_fit_predict(pipeline, X_train, y_train, X_test, method="predict"):
    """``(output of pipeline.method(X_test), fit seconds, predict seconds)`` after fitting on the training rows."""
    start = time.perf_counter()
    pipeline.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    output = getattr(pipeline, method)(X_test)
    return output, fit_seconds, time.perf_counter() - start


def run_model(name, ensemble_params, dataset, X_train, X_test, y_train, y_test):
    """Fit and score one model; an exception is returned as an error entry."""
    try:
        pipeline = make_pipeline(preprocessor(dataset), make_model(name, ensemble_params))
        y_pred, fit_seconds, predict_seconds = timed_fit_predict(pipeline, X_train, y_train, X_test)
        result = {**regression_scores(y_test, y_pred), "fit_s": fit_seconds, "predict_s": predict_seconds}
        return {**result, **training_cost(pipeline[-1]), **linear_member_evidence(pipeline[-1]),
                **member_results(pipeline, X_test, y_test)}
    except Exception as error:  # noqa: BLE001 - recorded, and the run goes on
        traceback.print_exc(file=sys.stderr)
        return {"error": f"{type(error).__name__}: {error}"}


def training_cost(model):
    """An ensemble's ledger totals (optimizer steps, multiply-adds), so that accuracy reads against cost."""
    cost = getattr(model, "training_cost_", None)
    if cost is None:
        return {}
    return {"optimizer_steps": int(sum(cost["optimizer_steps"])), "multiply_adds": int(sum(cost["multiply_adds"]))}


def linear_member_evidence(model):
    """The selection's evidence for or against the linear member (``linear_member_evidence_``), where it has one."""
    evidence = getattr(model, "linear_member_evidence_", None)
    return {} if evidence is None else {"linear_member_evidence": evidence}


def member_results(pipeline, X_test, y_test):
    """An ensemble's members: seed (-1: the linear member), final sparsity, weight (selection only) and test R²."""
    model = pipeline[-1]
    if not hasattr(model, "predict_members"):
        return {}
    members = model.predict_members(pipeline[:-1].transform(X_test))
    weights = getattr(model, "member_weights_", [None] * len(members))
    return {"members": [
        {"seed": int(seed), "sparsity": float(sparsity), "weight": None if weight is None else float(weight),
         "r2": float(r2_score(y_test, prediction))}
        for seed, sparsity, weight, prediction in zip(model.member_seeds_, model.member_sparsities_, weights, members)
    ]}


def describe(dataset, X_train, y_train, y_test, n_train_full):
    """A data set's entry in the JSON, before its results: source, rows and columns."""
    n_features = preprocessor(dataset).fit(X_train).transform(X_train[:1]).shape[1]
    return {
        "source": dataset.source,
        "n_train": len(y_train),
        "n_train_full": n_train_full,
        "n_test": len(y_test),
        "n_features_raw": dataset.X.shape[1],
        "n_features": int(n_features),
        "categorical": dataset.categorical,
        "results": {},
    }


def run_dataset(name, models, ensemble_params, quick):
    """Every selected model on one data set, one after another."""
    dataset = DATASETS[name]()
    X_train, X_test, y_train, y_test, n_train_full = split(dataset, quick)
    entry = describe(dataset, X_train, y_train, y_test, n_train_full)
    for model in models:
        print(f"[{name}] {model} ...", file=sys.stderr, flush=True)
        result = run_model(model, ensemble_params, dataset, X_train, X_test, y_train, y_test)
        entry["results"][model] = result
        shown = f"R2 {result['r2']:.4f}, fit {result['fit_s']:.1f} s" if "r2" in result else result["error"]
        print(f"[{name}] {model}: {shown}", file=sys.stderr, flush=True)
    entry["paired"] = paired_differences(entry["results"], ensemble_params, r2_scale(y_test))
    return entry


def regression_scores(y_test, y_pred):
    """Test R², with the per-row squared errors that :func:`paired_differences` takes."""
    y_test, y_pred = (np.reshape(np.asarray(values, dtype=np.float64), (-1, 1)) for values in (y_test, y_pred))
    return {"r2": float(r2_score(y_test, y_pred)), ROW_LOSSES: squared_errors(y_pred, y_test)}


def r2_scale(y_test):
    """R² is 1 - SSE / SST: a mean squared-error difference d over the n test rows moves it by -d * n / SST."""
    y_test = np.asarray(y_test, dtype=np.float64)
    return -len(y_test) / np.sum((y_test - y_test.mean()) ** 2)


def paired_differences(results, ensemble_params, scale=1.0):
    """Each ensemble's test score minus every other model's, with the standard error of that difference.

    Both models are scored on the same test rows, so the row-by-row loss
    differences cancel what the rows share (a hard row is hard for both), and
    their spread says how far the comparison could move on other test rows of
    the same kind (:func:`ensembleprune.combiners.paired_difference`). ``scale``
    turns a mean loss difference into the metric's units (1 for log-loss; R²:
    ``-n / SST``). Pops each result's per-row losses, which stay out of the
    JSON. Returns ``{ensemble: {model: {"difference": ..., "standard_error": ...}}}``.
    """
    row_losses = {model: result.pop(ROW_LOSSES) for model, result in results.items() if ROW_LOSSES in result}
    paired = {}
    for ours in [model for model in row_losses if model in ensemble_params]:
        paired[ours] = {}
        for peer in [model for model in row_losses if model != ours]:
            difference, standard_error = paired_difference(row_losses[ours], row_losses[peer])
            paired[ours][peer] = {"difference": difference * scale, "standard_error": standard_error * abs(scale)}
    return paired


def summarize(datasets, models):
    """Mean R² per model over the data sets where every model ran, and the best model per data set.

    Models that failed on every data set are left out of that panel (their mean is None).
    """
    # A model that failed everywhere gets no mean and does not shrink the others' panel.
    ran = [m for m in models if any("r2" in entry["results"][m] for entry in datasets.values())]
    complete = [name for name, entry in datasets.items() if all("r2" in entry["results"][m] for m in ran)]
    mean_r2 = {
        model: (
            float(np.mean([datasets[name]["results"][model]["r2"] for name in complete]))
            if model in ran and complete
            else None
        )
        for model in models
    }
    best = {}
    for name, entry in datasets.items():
        scored = {model: result["r2"] for model, result in entry["results"].items() if "r2" in result}
        best[name] = max(scored, key=scored.get) if scored else None
    errors = {
        name: [model for model, result in entry["results"].items() if "error" in result]
        for name, entry in datasets.items()
    }
    return {
        "mean_r2": mean_r2,
        "mean_over": complete,
        "best": best,
        "errors": {name: failed for name, failed in errors.items() if failed},
    }


def slow_models(report):
    """The models of which one fit took at least SLOW_FIT_SECONDS: their cells show fit seconds."""
    return {
        model
        for entry in report["datasets"].values()
        for model, result in entry["results"].items()
        if result.get("fit_s", 0.0) >= SLOW_FIT_SECONDS
    }


def metric_rows(report, metric, best, slow):
    """Markdown header and rows, data sets × models: ``metric`` to 3 decimals, ``best[name]`` in bold.

    A model in ``slow`` also shows its fit seconds; a model that raised shows "error".
    """
    models = report["models_run"]
    lines = [
        "| data set (n_train × n_features) | " + " | ".join(models) + " |",
        "|---|" + "---:|" * len(models),
    ]
    for name, entry in report["datasets"].items():
        cells = []
        for model in models:
            result = entry["results"][model]
            if metric not in result:
                cells.append("error")
                continue
            cell = f"{result[metric]:.3f}"
            cell = f"**{cell}**" if best[name] == model else cell
            seconds = result["fit_s"]
            cells.append(cell + (f" ({seconds:.{0 if seconds >= 10 else 1}f} s)" if model in slow else ""))
        label = f"{name} ({entry['n_train']:,} × {entry['n_features']})"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def quick_note(report):
    """The table's warning that a quick run is not the benchmark, or None for a full run."""
    if not report["quick"]:
        return None
    models = report["models_run"]
    ensembles = [model for model in models if report["models"][model]["estimator"].startswith("PrunedEnsemble")]
    return f"Quick run (not the benchmark): at most {report['quick']['max_train_rows']:,} training rows" + (
        f"; {', '.join(ensembles)} with {json.dumps(report['quick']['ensemble_params'])}, not the defaults."
        if ensembles
        else "."
    )


def markdown_table(report):
    """Rows data sets, columns models: R² (fit seconds for the slow models), best in bold."""
    models = report["models_run"]
    slow = slow_models(report)
    lines = metric_rows(report, "r2", report["summary"]["best"], slow)
    mean = report["summary"]["mean_r2"]
    n_mean = len(report["summary"]["mean_over"])
    lines.append(
        f"| mean R² ({n_mean} data set{'' if n_mean == 1 else 's'}) | "
        + " | ".join("–" if mean[m] is None else f"{mean[m]:.3f}" for m in models)
        + " |"
    )
    notes = ["R² on the test rows, best in bold."]
    if slow:
        notes[0] += f" Fit seconds in parentheses for {', '.join(m for m in models if m in slow)}."
    notes.append(quick_note(report))
    return "\n".join(lines + [""] + [note for note in notes if note])


def parse_variant(text, estimator=PrunedEnsembleRegressor):
    """``NAME=JSON`` -> ``(name, params)``, checking the names against ``estimator``'s parameters."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--variant takes NAME=JSON_PARAMS, got {text!r}")
    try:
        params = json.loads(raw)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"--variant {name}: invalid JSON {raw!r} ({error})") from error
    if not isinstance(params, dict):
        raise argparse.ArgumentTypeError(f"--variant {name}: the JSON must be an object, got {raw!r}")
    allowed = set(estimator().get_params()) - {"random_state"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"--variant {name}: not a parameter to vary: {', '.join(unknown)} (random_state stays 0)"
        )
    return name, params


def selection(text, known, what):
    """The comma-separated items of ``text`` (all of ``known`` when None), checked against ``known``."""
    if text is None:
        return list(known)
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)}; choose from {', '.join(known)}")
    return chosen


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="development run: subsampled, smaller ensembles")
    parser.add_argument("--datasets", help=f"comma-separated, from {', '.join(DATASETS)}")
    parser.add_argument("--models", help=f"comma-separated, from {', '.join(BASE_MODELS)}")
    parser.add_argument("--variant", action="append", type=parse_variant, default=[], metavar="NAME=JSON")
    parser.add_argument("--out", help="also write the JSON to this file")
    args = parser.parse_args(argv)
    args.datasets = selection(args.datasets, DATASETS, "data sets")
    args.models = selection(args.models, BASE_MODELS, "models")
    check_statsmodels(parser, [name for name in args.datasets if name in STATSMODELS_DATASETS])
    args.variants = check_variants(parser, args.variant, BASE_MODELS)
    return args


def check_statsmodels(parser, needing):
    """Stop with a hint when data sets ``needing`` statsmodels are chosen and it is not installed."""
    if needing and importlib.util.find_spec("statsmodels") is None:
        parser.error(
            f"data sets {', '.join(needing)} need statsmodels: pip install 'ensembleprune[bench]', "
            "or leave them out with --datasets"
        )


def check_variants(parser, variants, models):
    """``{name: params}`` of the ``--variant`` pairs, whose names must be distinct and not name a model."""
    by_name = dict(variants)
    if set(by_name) & set(models) or len(by_name) < len(variants):
        parser.error(f"--variant names must be distinct and not one of {', '.join(models)}")
    return by_name


def environment():
    """Versions, CPU and oneDNN settings, recorded in the JSON.

    The same code and seeds fit other members on another CPU or TensorFlow
    build: oneDNN picks its kernels by the instruction set
    (README, "Reproducibility and reliability").
    """
    packages = {}
    for name in ("scipy", "tensorflow", "tf_keras", "tensorflow-model-optimization"):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "ensembleprune": ensembleprune.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        **packages,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu": cpu_model(),
        "onednn": {name: os.environ.get(name) for name in ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA")},
    }


def cpu_model():
    """The processor's name as Linux reports it (None elsewhere)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), None)
    except OSError:
        return platform.processor() or None


def git_state():
    """The checked-out commit, and whether the package's files differ from it (the run then measured those).

    Read when the run starts, once the package is imported: what was committed during a long run is not what it measured.
    """

    def git(*command):
        here = os.path.dirname(os.path.abspath(__file__))
        done = subprocess.run(["git", "-C", here, *command], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    changed = git("status", "--porcelain", "--", ":/ensembleprune")
    return {"commit": git("rev-parse", "HEAD"), "ensembleprune_modified": None if changed is None else bool(changed)}


def emit(report, table, out):
    """Print the JSON (also to the file ``out``, if given), then the markdown table to stderr."""
    text = json.dumps(report, indent=2)
    print(text)
    if out:
        with open(out, "w") as file:
            file.write(text + "\n")
    print("\n" + table, file=sys.stderr)


def run_benchmark(name, estimator, base_models, quick_params, args, ensemble_params, run_dataset):
    """Run every selected model on every selected data set; the report without its summary.

    Shared by this benchmark and bench_classification.py, which pass their own
    estimator name, peers, quick settings and ``run_dataset``.
    """
    models = args.models + list(args.variants)
    git = git_state()
    if ensemble_params:
        from ensembleprune._tf import import_tf

        import_tf()  # before any timing: no fit pays for importing TensorFlow
    return {
        "benchmark": name,
        "quick": {"max_train_rows": QUICK_MAX_TRAIN_ROWS, "ensemble_params": quick_params} if args.quick else False,
        "models": {
            model: (
                {"estimator": estimator, "params": {"random_state": 0, **ensemble_params[model]}}
                if model in ensemble_params
                else {"estimator": base_models[model][0]}
            )
            for model in models
        },
        "models_run": models,
        "datasets": {name: run_dataset(name, models, ensemble_params, args.quick) for name in args.datasets},
        "environment": {**environment(), "git": git},
    }


def main(argv=None):
    args = parse_args(argv)
    ensemble_params = model_params(args.models, args.variants, args.quick)
    report = run_benchmark("bench_tabular", "PrunedEnsembleRegressor", BASE_MODELS, QUICK_ENSEMBLE_PARAMS, args,
                           ensemble_params, run_dataset)
    report["summary"] = summarize(report["datasets"], report["models_run"])
    emit(report, markdown_table(report), args.out)


if __name__ == "__main__":
    main()
