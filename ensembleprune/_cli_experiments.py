"""The commands that train and compare models: ``demo``, ``sweep`` and ``robustness``.

Each handler takes the parsed arguments of its command (see ``cli.build_parser``)
and prints what it found; the files it writes go to ``--out``.
"""

import json
import time
from pathlib import Path

import numpy as np

from .presets import ARTICLE, ARTICLE_TRAINING, MEMBER_SPARSITIES, PRESETS, QUICK

# The article's members: final sparsities 0.8, 0.9, 0.95 and 0.98.
DEMO_SPARSITIES = MEMBER_SPARSITIES


def _demo_size(preset):
    """The data and model sizes of ``run_demo`` (as written to its results.json) from a preset."""
    return dict(n_samples=preset.n_samples, n_features=preset.n_features, n_informative=preset.n_informative,
                hidden=preset.hidden_layer_sizes, epochs=preset.epochs)


DEMO_SIZES = {
    # Finishes within 5 minutes on 2 cores and still overfits when dense.
    "default": _demo_size(QUICK),
    # The article's exact data set and model.
    "full": _demo_size(ARTICLE),
}

# --task auto: a target column of --data holding whole numbers, at most this many distinct ones, is class labels.
CSV_MAX_CLASSES = 20


def run_demo(out_dir, size=DEMO_SIZES["default"], n_members=4, epochs=None, random_state=0, verbose=1):
    """Train a dense MLP, pruned members, their ensembles, the estimator at its defaults and a RidgeCV baseline.

    ``size`` holds the data and model sizes (see ``DEMO_SIZES``). Returns the list
    of result rows; writes ``results.json`` and the fitted mean ensemble to ``out_dir``.
    """
    from sklearn.metrics import mean_squared_error

    from .datasets import make_article_regression
    from .ensemble import PrunedEnsembleRegressor
    from .experiments.robustness import fit_dense_mlp, fit_linear_baseline
    from .serialization import SUFFIX, save

    if n_members < 1:  # checked before minutes of training, not after
        raise ValueError(f"n_members (--members) must be at least 1, got {n_members}")
    epochs = epochs or size["epochs"]
    data = make_article_regression(
        n_samples=size["n_samples"], n_features=size["n_features"], n_informative=size["n_informative"],
        random_state=random_state,
    )
    common = dict(ARTICLE_TRAINING, hidden_layer_sizes=size["hidden"], epochs=epochs, random_state=random_state,
                  verbose=verbose)
    rows = []

    def add_row(name, y_pred, n_params, nnz, seconds):
        rows.append(dict(model=name, val_mse=float(mean_squared_error(data.y_val, y_pred)),
                         params=int(n_params), nonzeros=int(nnz), fit_seconds=round(seconds, 1)))

    start = time.perf_counter()
    dense = fit_dense_mlp(data.X_train, data.y_train, **common)
    member = dense.members_[0]
    add_row("dense MLP", dense.predict(data.X_val), member.n_params, member.nnz, time.perf_counter() - start)

    start = time.perf_counter()
    ensemble = PrunedEnsembleRegressor(n_members=n_members, sparsities=DEMO_SPARSITIES, combine="mean", **common)
    ensemble.fit(data.X_train, data.y_train)
    seconds = time.perf_counter() - start
    for k, (member, y_pred) in enumerate(zip(ensemble.members_, ensemble.predict_members(data.X_val))):
        name = f"member {k} (sparsity {ensemble.member_sparsities_[k]:.2f}, seed {ensemble.member_seeds_[k]})"
        add_row(name, y_pred, member.n_params, member.nnz, seconds / n_members)
    n_params = sum(m.n_params for m in ensemble.members_)
    nnz = sum(m.nnz for m in ensemble.members_)
    add_row(f"mean of {n_members} pruned members", ensemble.predict(data.X_val), n_params, nnz, seconds)

    start = time.perf_counter()
    stacked = PrunedEnsembleRegressor(n_members=n_members, sparsities=DEMO_SPARSITIES, combine="stack", cv=3, **common)
    stacked.fit(data.X_train, data.y_train)
    add_row(f"stack of {n_members} pruned members (cv=3)", stacked.predict(data.X_val),
            n_params + n_members + 1, nnz + n_members + 1, time.perf_counter() - start)

    # What a user who keeps every default gets: the library's own recipe, not the article's.
    start = time.perf_counter()
    defaults = PrunedEnsembleRegressor(hidden_layer_sizes=size["hidden"], random_state=random_state, verbose=verbose)
    defaults.fit(data.X_train, data.y_train)
    add_row("ensemble, library defaults", defaults.predict(data.X_val), sum(m.n_params for m in defaults.members_),
            sum(m.nnz for m in defaults.members_), time.perf_counter() - start)

    start = time.perf_counter()
    ridge = fit_linear_baseline(data.X_train, data.y_train)
    add_row("RidgeCV (linear baseline)", ridge.predict(data.X_val), ridge.coef_.size + 1,
            np.count_nonzero(ridge.coef_) + 1, time.perf_counter() - start)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = dict(size, epochs=epochs, n_members=n_members, sparsities=DEMO_SPARSITIES, random_state=random_state)
    (out_dir / "results.json").write_text(json.dumps({"config": config, "results": rows}, indent=2, default=list))
    save(ensemble, out_dir / f"ensemble{SUFFIX}")
    return rows


def format_table(rows):
    """The demo's rows as an aligned text table."""
    header = f"{'model':<44} {'val MSE':>10} {'params':>10} {'nonzeros':>10} {'fit s':>7}"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['model']:<44} {row['val_mse']:>10.3e} {row['params']:>10,} {row['nonzeros']:>10,} "
            f"{row['fit_seconds']:>7.1f}"
        )
    return "\n".join(lines)


def demo_command(args):
    rows = run_demo(args.out, DEMO_SIZES["full" if args.full else "default"], n_members=args.members, epochs=args.epochs,
                    random_state=args.seed, verbose=0 if args.quiet else 1)
    print(format_table(rows))
    print(f"\nresults and fitted ensemble written to {args.out}/")


def _experiment_data(args, **generated):
    """The data of ``sweep`` or ``robustness`` (a RegressionSplit) and its task.

    ``generated`` are the keyword arguments of :func:`load_experiment_data` for
    the data it generates, a regression. Class labels of ``--data`` keep their
    values; its features are scaled and its rows split as for regression.
    """
    from .datasets import load_csv, load_experiment_data, max_abs_split

    if args.data is None or args.target is None:
        if args.task == "classification":
            raise ValueError("--task classification needs your own data: --data FILE --target COLUMN")
        return load_experiment_data(args.data, args.target, **generated), "regression"
    X, y, _ = load_csv(args.data, args.target)
    task = args.task
    if task == "auto":
        whole = np.all(y == np.round(y))
        task = "classification" if whole and len(np.unique(y)) <= CSV_MAX_CLASSES else "regression"
    if task == "regression":
        return max_abs_split(X, y), task
    classes, codes = np.unique(y, return_inverse=True)
    if np.all(classes == np.round(classes)):
        classes = classes.astype(np.int64)
    # One-hot columns have max-abs 1: max_abs_split leaves them as they are and splits them with the rows of X.
    data = max_abs_split(X, np.eye(len(classes))[codes])
    data.y_train, data.y_val = (classes[np.argmax(Y, axis=1)] for Y in (data.y_train, data.y_val))
    print(f"column {args.target!r} read as class labels ({len(classes)} classes); --task regression reads it as "
          "a number")
    return data, task


def sweep_command(args):
    from .experiments import sparsity_sweep

    preset = PRESETS[args.preset]
    data, task = _experiment_data(args, **preset.data_sizes())
    result = sparsity_sweep(
        data.X_train, data.y_train,
        sparsities=args.sparsities or preset.sweep_sparsities,
        seeds=args.seeds or preset.sweep_seeds,
        task=task, X_val=data.X_val, y_val=data.y_val,
        hidden_layer_sizes=args.hidden or preset.hidden_layer_sizes,
        epochs=args.epochs or preset.epochs,
        # The article's batch of 1024 on its data; on a user's table, as many steps as its size calls for.
        batch_size=args.batch_size or ("auto" if args.data else ARTICLE_TRAINING["batch_size"]),
        output_dir=args.out, n_jobs=args.n_jobs, strategy=args.strategy, verbose=0 if args.quiet else 1,
    )
    print(result.format_table())
    if task == "regression":
        print("\narticle's shape:", json.dumps(result.shape_checks()))
    else:
        lowest = min(result.rows, key=lambda row: row.val_loss_mean).final_sparsity
        highest = max(result.rows, key=lambda row: row.val_accuracy_mean).final_sparsity
        print(f"\nlowest validation log-loss at final sparsity {lowest:g}, highest validation accuracy at {highest:g}")
    print(f"tables, plots and one file per (sparsity, seed) pair written to {args.out}/")


def robustness_command(args):
    from .experiments import robustness_report

    data, task = _experiment_data(args, dataset=args.dataset, n_samples=args.samples, n_features=args.features)
    report = robustness_report(
        data.X_train, data.y_train, data.X_val, data.y_val, task=task, coef=data.coef,
        sparsities=args.sparsities, seeds=args.seeds, hidden_layer_sizes=args.hidden, epochs=args.epochs,
        cv=args.cv, output_dir=args.out, verbose=0 if args.quiet else 1,
    )
    if task == "regression":
        print(f"{'model':<20} {'clean test MSE':>24}")
        for model in report["models"]:
            cell = report["clean"][model]
            print(f"{model:<20} {cell['mean']:>12.3e} ± {cell['std']:<9.2e}")
    else:
        print(f"{'model':<28} {'clean test accuracy':>21} {'clean test log-loss':>24}")
        for model in report["models"]:
            accuracy, loss = report["clean"]["accuracy"][model], report["clean"]["log_loss"][model]
            print(f"{model:<28} {accuracy['mean']:>9.3f} ± {accuracy['std']:<9.3f} "
                  f"{loss['mean']:>12.3e} ± {loss['std']:<9.2e}")
    print(f"\nrobustness.json and robustness.png written to {args.out}/")
