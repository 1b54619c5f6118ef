"""The defaults as the table grows: one generated problem from 2,000 to a million training rows.

The panels' tables hold 142 to 16,152 training rows; "at least as good as what
users pick, at any data size" also means the large end, where the "auto" budget
of optimizer steps, not of epochs, decides how long a member trains. Each
problem draws one generated data set once, keeps its last 20,000 rows as the
test rows of every size, and fits every model on the first ``n`` rows, so the
training sets are nested and the test rows are the same at every size:

- ``regression``: ``make_friedman1(n + 20000, n_features=20, noise=1,
  random_state=7)``: 5 of 20 features informative (nonlinear); the noise caps
  test R² near 0.96. 2,000 to 1,000,000 training rows.
- ``classification``: ``make_hastie_10_2(n + 20000, random_state=7)``: two
  classes split by a sphere in 10 Gaussian features, which no linear model
  separates. 2,000 to 1,000,000 training rows.
- ``wide_regression``: ``make_friedman1(n + 20000, n_features=500, noise=1,
  random_state=7)``: the regression panel's wide Friedman shape (5 of 500
  features informative), 2,000 to 100,000 training rows (a million rows of 500
  float64 features would take 4 GB).

Models: the peers of ``bench_small_tables.py`` (the panels' ``RidgeCV`` /
``LogisticRegression``, ``HistGradientBoosting*``, ``MLP*`` with early
stopping) and the ensemble, ``PrunedEnsemble*(random_state=0)`` with every
other parameter at its default, each in a ``StandardScaler`` pipeline; the
panels' random forest (200 trees, ``n_jobs=2``) only up to ``--forest-rows``
training rows (20,000 unless told): at a million rows it would take about an
hour of this benchmark's 2 cores. Per size and model: test R² (log-loss,
accuracy and ECE for classification), fit seconds, the ensemble's optimizer
steps and epochs, and "paired": the ensemble's score minus each peer's with
the standard error of that difference on the test rows. Prints one JSON
object; a model that raises is recorded as an error.

    python benchmarks/bench_data_size.py [--problems regression,wide_regression] [--sizes 2000,20000]
        [--models hgb,ensemble]
"""

import argparse
import json
import sys

from sklearn.datasets import make_friedman1, make_hastie_10_2

import bench_classification
import bench_small_tables
import bench_tabular

TEST_ROWS = 20_000
SIZES = (2_000, 20_000, 200_000, 1_000_000)
# name: (task, generator of n rows, training sizes)
PROBLEMS = {
    "regression": ("regression", lambda n: make_friedman1(n, n_features=20, noise=1, random_state=7), SIZES),
    "classification": ("classification", lambda n: make_hastie_10_2(n, random_state=7), SIZES),
    "wide_regression": ("regression", lambda n: make_friedman1(n, n_features=500, noise=1, random_state=7),
                        (2_000, 20_000, 100_000)),
}
PANELS = {"regression": bench_tabular.BASE_MODELS, "classification": bench_classification.BASE_MODELS}


def models_for(kind, n_train, forest_rows):
    """``{name: estimator}`` for ``n_train`` training rows: the small tables' peers, the forest up to ``forest_rows``."""
    models = bench_small_tables.peers(kind)
    if n_train <= forest_rows:
        models = {"rf": PANELS[kind]["rf"][1](), **models}
    return models


def ensemble_cost(model):
    """Optimizer steps per member and epochs trained: how the budget in steps played out at this size."""
    cost = model.training_cost_
    members = max(int(sum(cost["members"])), 1)
    return {"optimizer_steps_per_member": int(sum(cost["optimizer_steps"])) // members,
            "epochs_trained": [len(history.get("loss", [])) for history in model.history_ if history]}


def rows(X, y, n_train):
    """``(X_train, y_train, X_test, y_test)``: the first ``n_train`` rows, and the last ``TEST_ROWS`` at every size."""
    if n_train > len(X) - TEST_ROWS:
        raise ValueError(f"{n_train} training rows and {TEST_ROWS} test rows need {n_train + TEST_ROWS} rows, "
                         f"not {len(X)}")
    return X[:n_train], y[:n_train], X[-TEST_ROWS:], y[-TEST_ROWS:]


def run_size(kind, X, y, n_train, forest_rows, chosen=None):
    """Every model (or those ``chosen``) fitted on the first ``n_train`` rows and scored on the last ``TEST_ROWS``."""
    X_train, y_train, X_test, y_test = rows(X, y, n_train)
    entry = {"n_train": n_train, "n_test": TEST_ROWS, "n_features": X.shape[1], "results": {}}
    for name, estimator in models_for(kind, n_train, forest_rows).items():
        if chosen is not None and name not in chosen:
            continue
        print(f"[{kind} {n_train} × {X.shape[1]}] {name} ...", file=sys.stderr, flush=True)
        pipeline, result = bench_small_tables.fit_and_score(kind, estimator, X_train, y_train, X_test, y_test)
        if name == "ensemble" and pipeline is not None:
            result.update(ensemble_cost(pipeline[-1]))
        entry["results"][name] = result
        shown = {key: value for key, value in result.items() if key != bench_tabular.ROW_LOSSES}
        print(f"[{kind} {n_train} × {X.shape[1]}] {name}: {json.dumps(shown)}", file=sys.stderr, flush=True)
    entry["paired"] = bench_small_tables.paired(kind, entry["results"], y_test)
    return entry


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default=",".join(PROBLEMS), help="comma-separated (default: all)")
    parser.add_argument("--sizes", help="training rows, comma-separated (default: each problem's)")
    parser.add_argument("--forest-rows", type=int, default=20_000, help="largest size the random forest runs at")
    parser.add_argument("--models", help="comma-separated, from rf, ridge, logreg, hgb, mlp, ensemble (default: all)")
    args = parser.parse_args(argv)
    chosen = None if args.models is None else set(args.models.split(","))
    unknown = (chosen or set()) - {"rf", "ridge", "logreg", "hgb", "mlp", "ensemble"}
    if unknown:
        parser.error(f"unknown models: {', '.join(sorted(unknown))}")
    problems = args.problems.split(",")
    if set(problems) - set(PROBLEMS):
        parser.error(f"unknown problems: {', '.join(sorted(set(problems) - set(PROBLEMS)))}")
    try:
        sizes = None if args.sizes is None else sorted(int(size) for size in args.sizes.split(","))
    except ValueError:
        parser.error(f"--sizes takes whole numbers of rows separated by commas, not {args.sizes!r}")
    if sizes and sizes[0] < 100:
        parser.error(f"--sizes must be at least 100 rows, not {sizes[0]}")
    from ensembleprune._tf import import_tf

    import_tf()  # before any timing: no fit pays for importing TensorFlow
    report = {"benchmark": "bench_data_size", "git": bench_tabular.git_state(), "test_rows": TEST_ROWS,
              "forest_rows": args.forest_rows, "environment": bench_tabular.environment()}
    for name in problems:
        task, generate, default_sizes = PROBLEMS[name]
        X, y = generate((sizes or default_sizes)[-1] + TEST_ROWS)
        report[name] = {str(n): run_size(task, X, y, n, args.forest_rows, chosen) for n in sizes or default_sizes}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
