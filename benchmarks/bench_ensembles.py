"""Training strategies side by side: independent members, prune-and-tune, sparsity snapshots.

On two data sets, fits in one run, each in a ``StandardScaler`` pipeline:

- ``one member``: ``PrunedEnsembleRegressor(n_members=1, sparsities=[s])`` with
  ``s`` the lowest of the four members' sparsities: one member's fit, the unit of
  the wall-time goals;
- ``dense``: the same with ``sparsities=[0.0]``, a single dense fit;
- ``independent``, ``prune_and_tune``, ``prune_and_tune_random`` (random
  masks) and ``snapshots``: four members each, ``strategy`` set accordingly.

Every ensemble keeps the estimator's defaults except ``linear_member=False``,
so that the networks are compared (on the article's linear target the ridge
member would otherwise be chosen by every strategy alike). Per model the JSON
holds the test R² and MSE, the fit seconds, the training-cost ledger's totals
(optimizer steps, examples, multiply-adds), the members' diversity (mean
pairwise correlation of their test errors, over the members the selection
kept) and, for the ensembles, fit seconds ÷ one member's and MSE ÷ the
independent members' MSE.

Data sets: ``wide_friedman`` of ``bench_tabular.py`` (its split), and the
article's regression (``make_article_regression``) at the size of the quick
preset (4,000 rows, 500 features; ``--article-size full`` for 10,000 rows and
1,000 features), with (256, 256) members.

    python benchmarks/bench_ensembles.py [--quick] [--datasets wide_friedman article] [--out FILE]
    python benchmarks/bench_ensembles.py --table docs/benchmarks/bench_ensembles.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tabular import DATASETS, environment, git_state, split  # noqa: E402

from ensembleprune import PrunedEnsembleRegressor, make_article_regression  # noqa: E402
from ensembleprune._auto_members import auto_sparsities  # noqa: E402
from ensembleprune.presets import ARTICLE, QUICK  # noqa: E402

N_MEMBERS = 4
STRATEGY_MODELS = {
    "independent": dict(strategy="independent"),
    "prune_and_tune": dict(strategy="prune_and_tune"),
    "prune_and_tune_random": dict(strategy="prune_and_tune", strategy_params={"masks": "random"}),
    "snapshots": dict(strategy="snapshots"),
}
COMMON = dict(linear_member=False, random_state=0)
QUICK_ROWS = 1500


def models():
    lowest = float(auto_sparsities(N_MEMBERS).min())
    return {
        "one_member": dict(n_members=1, sparsities=[lowest], **COMMON),
        "dense": dict(n_members=1, sparsities=[0.0], **COMMON),
        **{name: dict(n_members=N_MEMBERS, **params, **COMMON) for name, params in STRATEGY_MODELS.items()},
    }


def load(name, quick, article_size):
    """``(X_train, X_test, y_train, y_test, source)`` of a data set."""
    if name == "wide_friedman":
        dataset = DATASETS[name]()
        X_train, X_test, y_train, y_test, _ = split(dataset, quick=False)
        source = dataset.source
    else:
        preset = ARTICLE if article_size == "full" else QUICK
        data = make_article_regression(preset.n_samples, preset.n_features, preset.n_informative)
        X_train, X_test, y_train, y_test = data.X_train, data.X_val, data.y_train, data.y_val
        source = f"make_article_regression({preset.n_samples}, {preset.n_features}, {preset.n_informative})"
    if quick:
        X_train, y_train = X_train[:QUICK_ROWS], y_train[:QUICK_ROWS]
    return np.asarray(X_train), np.asarray(X_test), np.asarray(y_train), np.asarray(y_test), source


def error_correlation(members, y_test):
    """Mean pairwise correlation of the members' test errors (nan for one member)."""
    if len(members) < 2:
        return float("nan")
    correlation = np.corrcoef(members - y_test)
    return float(correlation[np.triu_indices(len(members), k=1)].mean())


def run_model(params, X_train, X_test, y_train, y_test, quick):
    extra = {"hidden_layer_sizes": (64, 64)} if quick else {}
    pipeline = make_pipeline(StandardScaler(), PrunedEnsembleRegressor(**params, **extra))
    start = time.perf_counter()
    pipeline.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    y_pred = pipeline.predict(X_test)
    model = pipeline[-1]
    members = model.predict_members(pipeline[0].transform(X_test))
    cost = model.training_cost_
    return {
        "r2": float(r2_score(y_test, y_pred)),
        "mse": float(mean_squared_error(y_test, y_pred)),
        "fit_s": fit_seconds,
        "optimizer_steps": int(sum(cost["optimizer_steps"])),
        "examples": int(sum(cost["examples"])),
        "multiply_adds": int(sum(cost["multiply_adds"])),
        "ledger": cost,
        "members_kept": len(model.members_),
        "member_sparsities": model.member_sparsities_.tolist(),
        "error_correlation": error_correlation(members, y_test),
    }


def add_ratios(results):
    one, independent = results["one_member"], results["independent"]
    for name in STRATEGY_MODELS:
        result = results[name]
        result["fit_s_over_one_member"] = result["fit_s"] / one["fit_s"]
        result["multiply_adds_over_one_member"] = result["multiply_adds"] / one["multiply_adds"]
        result["mse_over_independent"] = result["mse"] / independent["mse"]


def markdown_table(report):
    """The README's table: one row per data set and model."""
    lines = [
        "| data | model | test R² | MSE ÷ independent | fit s | fit ÷ one member | multiply-adds ÷ one member "
        "| members kept | error correlation |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, dataset in report["datasets"].items():
        for model, result in dataset["results"].items():
            ratio = lambda key: f"{result[key]:.2f}" if key in result else "–"  # noqa: E731
            correlation = result["error_correlation"]
            lines.append(
                f"| {name} | {model} | {result['r2']:.4f} | {ratio('mse_over_independent')} | {result['fit_s']:.0f} "
                f"| {ratio('fit_s_over_one_member')} | {ratio('multiply_adds_over_one_member')} "
                f"| {result['members_kept']} | {'–' if correlation != correlation else f'{correlation:.2f}'} |"
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} training rows and (64, 64) members")
    parser.add_argument("--datasets", nargs="+", default=["wide_friedman", "article"],
                        choices=["wide_friedman", "article"])
    parser.add_argument("--article-size", choices=["quick", "full"], default="quick")
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument("--table", metavar="JSON", help="print the markdown table of a saved report, and exit")
    args = parser.parse_args(argv)
    if args.table:
        print(markdown_table(json.loads(Path(args.table).read_text())))
        return
    from ensembleprune._tf import import_tf

    import_tf()  # before any timing
    report = {"benchmark": "bench_ensembles", "quick": args.quick, "models": models(), "datasets": {}}
    for name in args.datasets:
        X_train, X_test, y_train, y_test, source = load(name, args.quick, args.article_size)
        results = {}
        for model, params in models().items():
            results[model] = run_model(params, X_train, X_test, y_train, y_test, args.quick)
            print(f"{name} {model}: R2 {results[model]['r2']:.4f}, {results[model]['fit_s']:.0f} s", file=sys.stderr)
        add_ratios(results)
        report["datasets"][name] = {"source": source, "n_train": len(y_train), "n_test": len(y_test),
                                    "n_features": X_train.shape[1], "results": results}
    report["environment"] = environment()
    report["git"] = git_state()
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print("\n" + markdown_table(report), file=sys.stderr)


if __name__ == "__main__":
    main()
