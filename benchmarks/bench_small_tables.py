"""The defaults on tables that neither panel uses, beside what users pick instead.

An independent check of "at least as good as RidgeCV / LogisticRegression and
MLP at any size": the regression and classification data sets that ship with
statsmodels and scikit-learn and that ``bench_tabular.py`` and
``bench_classification.py`` do not use, most of them of 12 to 200 training
rows, plus generated ones: five small, and nine of 800 to 2,400 training rows
in shapes the panels lack (few features with a nonlinear target, a target
linear in a few of them, imbalanced classes, classes that no linear model
separates, 200 features of which few inform). Thirteen more, added in session 26
and chosen before any of them was run: four real series and tables turned into
regressions (sunspots and CO2 from their previous values, fertility in 2010 from
the decade before, cancer deaths from population), and generated shapes that no
table above has (correlated features, heavy-tailed noise, a step-function
target, a rolled-up manifold; label noise, circles, XOR, four imbalanced
classes, overlapping blobs). Then five noisy ones of 2,500 to 3,000 rows, added
later in session 26 (chosen before any was run) to judge the one-standard-error
rule on held-out rows, where a network's small edge and noise look alike. Nine
real tables more, added in session 27 and chosen before any was run, from the
files that ``vega_datasets`` and ``plotly`` install (``packaged_tables.py``:
cars, gapminder, tips, barley and Seattle's weather, five regressions and four
classifications), and four generated ones with more features than training
rows (1,000 features, 240 to 480 training rows). Three more wide and short ones,
added in session 28 and chosen before any was run, to check its marginal
screen of features away from the table that called for it: correlated
features (a linear target on a low-rank design), an additive target of even
and odd effects, and classes carried by 5 informative and 40 redundant
features. Every model is a
``StandardScaler`` pipeline,
fitted on an 80/20 split (``random_state=0``, another split than the panels';
stratified for classification) and scored on the test rows: R² for
regression; log-loss, accuracy and ECE for classification; "paired": the
ensemble's score minus each peer's, with the standard error of that paired
difference on the test rows. Peers: the panels'
(``bench_tabular.BASE_MODELS``, ``bench_classification.BASE_MODELS``) but the
random forest: ``RidgeCV`` / ``LogisticRegression``, ``HistGradientBoosting*``
and ``MLP*`` with early stopping; the ensemble is ``PrunedEnsemble*(random_state=0)``
with every other parameter at its default. Prints one JSON object; a model
that raises is recorded as an error.

    python benchmarks/bench_small_tables.py [--kind regression|classification] [--datasets a,b]
"""

import argparse
import json
import time
import sys
import traceback

import numpy as np
from sklearn.datasets import (
    load_iris,
    load_linnerud,
    make_blobs,
    make_circles,
    make_classification,
    make_friedman1,
    make_friedman2,
    make_friedman3,
    make_gaussian_quantiles,
    make_hastie_10_2,
    make_moons,
    make_regression,
    make_sparse_uncorrelated,
    make_swiss_roll,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import bench_classification
import bench_tabular
import packaged_tables
from bench_tabular import ROW_LOSSES, _statsmodels_data, environment, git_state
from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor


def _columns(name, target, drop=()):
    """``(X, y)`` of a statsmodels data set: every column but ``target`` (and ``drop``) against ``target``."""
    data = _statsmodels_data(name)
    return data.drop(columns=[target, *drop]).to_numpy(float), data[target].to_numpy()


def _lagged(series, n_lags):
    """``(X, y)``: each value of ``series`` against the ``n_lags`` values before it."""
    values = np.asarray(series, float)
    X = np.column_stack([values[lag:len(values) - n_lags + lag] for lag in range(n_lags)])
    return X, values[n_lags:]


def _co2_lagged():
    """Weekly CO2 at Mauna Loa against its previous 8 weeks (the 59 missing weeks filled from the week before)."""
    return _lagged(_statsmodels_data("co2")["co2"].ffill(), 8)


def _fertility_2010():
    """Each country's fertility rate in 2010 against its rates in 2000-2009 (countries with all eleven)."""
    years = _statsmodels_data("fertility")[[str(year) for year in range(2000, 2011)]].dropna()
    return years.drop(columns="2010").to_numpy(float), years["2010"].to_numpy(float)


def _steps(n_samples, n_features, random_state):
    """A step-function target: a weighted count of the features above their own thresholds, plus noise."""
    rng = np.random.default_rng(random_state)
    X = rng.standard_normal((n_samples, n_features))
    thresholds, weights = rng.uniform(-1, 1, n_features), rng.uniform(0.5, 2, n_features)
    return X, (X > thresholds) @ weights + 0.3 * rng.standard_normal(n_samples)


def _heavy_tailed_friedman(n_samples, random_state):
    """``make_friedman1`` without its noise, plus Student-t noise of 2 degrees of freedom (infinite variance)."""
    X, y = make_friedman1(n_samples, 10, noise=0.0, random_state=random_state)
    return X, y + np.random.default_rng(random_state).standard_t(2, n_samples)


def _noisier(X, y, noise, random_state):
    """``(X, y)`` with Gaussian noise of standard deviation ``noise`` added to the target."""
    return X, y + noise * np.random.default_rng(random_state).standard_normal(len(y))


def _even_and_odd(n_samples, n_features, random_state):
    """An additive target of two even effects (cos, |x|), two odd ones and noise, in the first four features."""
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-1, 1, (n_samples, n_features))
    y = 2 * np.cos(np.pi * X[:, 0]) + 2 * np.abs(X[:, 1]) + 2 * X[:, 2] + np.sin(np.pi * X[:, 3])
    return X, y + 0.3 * rng.standard_normal(n_samples)


def _xor(n_samples, n_features, random_state):
    """Class 1 where the first two features have the same sign; the others are noise."""
    X = np.random.default_rng(random_state).standard_normal((n_samples, n_features))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


REGRESSION = {
    "engel": lambda: _columns("engel", "foodexp"),  # food expenditure against income, 235 households
    "ccard": lambda: _columns("ccard", "AVGEXP"),  # credit card expenditure, 72 people
    "statecrime": lambda: _columns("statecrime", "murder"),  # murder rate, 51 states
    "scotland": lambda: _columns("scotland", "YES"),  # 1997 devolution vote, 32 council areas
    "longley": lambda: _columns("longley", "TOTEMP"),  # employment, 16 years
    "stackloss": lambda: _columns("stackloss", "STACKLOSS"),  # 21 days of a plant
    "copper": lambda: _columns("copper", "WORLDCONSUMPTION"),  # 25 years
    "macrodata_realinv": lambda: _columns("macrodata", "realinv"),  # US investment, 203 quarters
    "linnerud_weight": lambda: (load_linnerud().data, load_linnerud().target[:, 0]),  # 20 men
    "friedman2_300": lambda: make_friedman2(300, noise=5, random_state=3),
    "linear_150x40": lambda: make_regression(150, 40, n_informative=10, noise=10, random_state=3),
    "friedman1_2500x10": lambda: make_friedman1(2500, 10, noise=1, random_state=5),
    "friedman3_1000": lambda: make_friedman3(1000, noise=0.1, random_state=5),
    "sparse_uncorrelated_1000x20": lambda: make_sparse_uncorrelated(1000, 20, random_state=5),  # linear in 4
    # Between the panels' narrow and wide tables: 200 features (encoded, 2 bins each), 5 informative.
    "friedman1_3000x200": lambda: make_friedman1(3000, 200, noise=1, random_state=11),
    # Session 26's tables, chosen before any was run.
    "sunspots_lags": lambda: _lagged(_statsmodels_data("sunspots")["SUNACTIVITY"], 10),  # 309 years
    "co2_lags": _co2_lagged,  # 2,284 weeks
    "fertility_2010": _fertility_2010,  # countries
    "cancer": lambda: _columns("cancer", "cancer"),  # deaths against population, 301 counties
    "low_rank_2000x30": lambda: make_regression(2000, 30, n_informative=10, effective_rank=5, noise=5,
                                                random_state=7),
    "friedman1_t_noise_2000": lambda: _heavy_tailed_friedman(2000, random_state=7),
    "steps_1500x10": lambda: _steps(1500, 10, random_state=7),
    "swiss_roll_1500": lambda: make_swiss_roll(1500, noise=0.5, random_state=7),  # the roll's position from 3-D
    # Session 26, for the one-standard-error rule: noisy targets, linear and not (chosen before any was run).
    "linear_noisy_3000x40": lambda: make_regression(3000, 40, n_informative=15, effective_rank=8, noise=30,
                                                    random_state=21),
    "sparse_uncorrelated_noisy_2500x30": lambda: _noisier(*make_sparse_uncorrelated(2500, 30, random_state=21),
                                                          noise=3, random_state=21),
    "friedman1_noisy_3000": lambda: make_friedman1(3000, 10, noise=8, random_state=21),
    "friedman2_noisy_3000": lambda: make_friedman2(3000, noise=400, random_state=21),
    "friedman3_noisy_3000": lambda: make_friedman3(3000, noise=0.5, random_state=21),
    **packaged_tables.REGRESSION,  # session 27's, chosen before any was run
    # Session 27's wide and short tables (more features than rows), chosen before any was run.
    "friedman1_300x1000": lambda: make_friedman1(300, 1000, noise=1, random_state=31),
    "linear_300x1000": lambda: make_regression(300, 1000, n_informative=20, noise=10, random_state=31),
    # Session 28's, chosen before any was run.
    "correlated_300x1000": lambda: make_regression(300, 1000, n_informative=10, effective_rank=30, noise=5,
                                                   random_state=41),
    "even_and_odd_400x600": lambda: _even_and_odd(400, 600, random_state=41),
}
CLASSIFICATION = {
    "iris": lambda: load_iris(return_X_y=True),
    "spector": lambda: _columns("spector", "GRADE"),  # grade improved after a teaching method, 32 students
    "modechoice": lambda: _columns("modechoice", "choice", drop=("individual", "mode")),  # travel mode, 840 rows
    "make_classification_300x20": lambda: make_classification(300, 20, n_informative=5, random_state=3),
    "make_classification_3class_2000x50": lambda: make_classification(2000, 50, n_informative=8, n_classes=3,
                                                                      random_state=3),
    "hastie_3000": lambda: tuple(part[:3000] for part in make_hastie_10_2(random_state=5)),
    "moons_1000": lambda: make_moons(1000, noise=0.3, random_state=5),
    "imbalanced_3000x20": lambda: make_classification(3000, 20, n_informative=6, weights=[0.95], flip_y=0.01,
                                                      random_state=5),  # 5% positives
    "gaussian_quantiles_1500x6": lambda: make_gaussian_quantiles(n_samples=1500, n_features=6, n_classes=3,
                                                                 random_state=5),
    "make_classification_3000x200": lambda: make_classification(3000, 200, n_informative=10, random_state=11),
    # Session 26's tables, chosen before any was run.
    "label_noise_2000x40": lambda: make_classification(2000, 40, n_informative=5, flip_y=0.15, random_state=7),
    "circles_1000": lambda: make_circles(1000, noise=0.2, factor=0.5, random_state=7),
    "xor_1500x6": lambda: _xor(1500, 6, random_state=7),
    "four_classes_imbalanced_3000x30": lambda: make_classification(
        3000, 30, n_informative=8, n_classes=4, weights=[0.6, 0.25, 0.1, 0.05], random_state=7),
    "blobs_overlapping_1500x8": lambda: make_blobs(1500, n_features=8, centers=5, cluster_std=3.0, random_state=7),
    **packaged_tables.CLASSIFICATION,  # session 27's, chosen before any was run
    "make_classification_400x1000": lambda: make_classification(400, 1000, n_informative=10, random_state=31),
    "xor_600x1000": lambda: _xor(600, 1000, random_state=31),
    "redundant_400x1000": lambda: make_classification(400, 1000, n_informative=5, n_redundant=40,
                                                      random_state=41),  # session 28's
}


def peers(kind):
    """``{name: estimator}``: the panels' peers but the random forest, and the ensemble at its defaults."""
    panel, ensemble = ((bench_tabular.BASE_MODELS, PrunedEnsembleRegressor) if kind == "regression"
                       else (bench_classification.BASE_MODELS, PrunedEnsembleClassifier))
    models = {name: make() for name, (_, make) in panel.items() if make is not None and name != "rf"}
    return {**models, "ensemble": ensemble(random_state=0)}


def score(kind, pipeline, X_test, y_test):
    """The test scores, with the per-row losses that :func:`bench_tabular.paired_differences` takes."""
    if kind == "regression":
        return bench_tabular.regression_scores(y_test, pipeline.predict(X_test))
    proba = pipeline.predict_proba(X_test)
    return {**bench_classification.scores(y_test, proba, pipeline.classes_),
            ROW_LOSSES: bench_classification.row_log_losses(y_test, proba, pipeline.classes_)}


def fit_and_score(kind, estimator, X_train, y_train, X_test, y_test):
    """``(pipeline, result)``: ``estimator`` after a ``StandardScaler``, fitted, timed and scored on the test rows.

    An exception is recorded as the result's error (the pipeline is then None), and the run goes on.
    """
    return fit_and_score_as_given(kind, make_pipeline(StandardScaler(), estimator), X_train, y_train, X_test, y_test)


def fit_and_score_as_given(kind, model, X_train, y_train, X_test, y_test):
    """``(model, result)``: ``model`` fitted on the rows as they are, timed and scored; on an exception, ``None``."""
    try:
        start = time.perf_counter()
        model.fit(X_train, y_train)
        return model, {**score(kind, model, X_test, y_test), "fit_s": time.perf_counter() - start}
    except Exception as error:  # noqa: BLE001 - recorded, and the run goes on
        traceback.print_exc(file=sys.stderr)
        return None, {"error": f"{type(error).__name__}: {error}"}


def paired(kind, results, y_test):
    """The ensemble's score minus each peer's on the test rows, with its standard error (pops the row losses)."""
    scale = bench_tabular.r2_scale(y_test) if kind == "regression" else 1.0
    return bench_tabular.paired_differences(results, {"ensemble": {}}, scale)


def run_dataset(kind, name, load):
    X, y = load()
    X_train, X_test, y_train, y_test = train_test_split(
        np.asarray(X, float), y, test_size=0.2, random_state=0, stratify=y if kind == "classification" else None)
    entry = {"n_train": len(y_train), "n_test": len(y_test), "n_features": X.shape[1], "results": {}}
    for model, estimator in peers(kind).items():
        pipeline, result = fit_and_score(kind, estimator, X_train, y_train, X_test, y_test)
        if model == "ensemble" and pipeline is not None:
            result["linear_member_alone"] = bool(np.all(pipeline[-1].member_seeds_ == -1))
            result.update(bench_tabular.linear_member_evidence(pipeline[-1]))
        entry["results"][model] = result
    entry["paired"] = paired(kind, entry["results"], y_test)
    print(f"[{name}] {json.dumps(entry['results'])}", file=sys.stderr, flush=True)
    return entry


def add_table_arguments(parser):
    """``--kind`` and ``--datasets``, read by :func:`chosen_tables`."""
    parser.add_argument("--kind", choices=("regression", "classification"), default=None, help="default: both")
    parser.add_argument("--datasets", help="comma-separated names (default: all of the kind)")


def chosen_tables(parser, args, regression, classification):
    """``{kind: {name: load}}``: the tables of ``regression`` and ``classification`` that the arguments chose."""
    chosen = None if args.datasets is None else set(args.datasets.split(","))
    unknown = (chosen or set()) - set(regression) - set(classification)
    if unknown:
        parser.error(f"unknown data sets: {', '.join(sorted(unknown))}")
    kinds = {"regression": regression, "classification": classification}
    return {kind: {name: load for name, load in kinds[kind].items() if chosen is None or name in chosen}
            for kind in ([args.kind] if args.kind else kinds)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_table_arguments(parser)
    args = parser.parse_args(argv)
    tables = chosen_tables(parser, args, REGRESSION, CLASSIFICATION)
    report = {"benchmark": "bench_small_tables", "git": git_state(), "split": "80/20, random_state=0",
              "environment": environment()}
    for kind, table in tables.items():
        report[kind] = {name: run_dataset(kind, name, load) for name, load in table.items()}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
