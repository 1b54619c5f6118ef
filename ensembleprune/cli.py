"""The ``ensembleprune`` command: ``ensembleprune demo`` and friends."""

import argparse
import json
import sys
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


def _demo(args):
    rows = run_demo(args.out, DEMO_SIZES["full" if args.full else "default"], n_members=args.members, epochs=args.epochs,
                    random_state=args.seed, verbose=0 if args.quiet else 1)
    print(format_table(rows))
    print(f"\nresults and fitted ensemble written to {args.out}/")


def _batch_size(text):
    """An argparse type for ``--batch-size``: a positive integer or ``auto``."""
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or auto, got {text!r}")
    return int(text)


def _comma_separated(convert):
    """An argparse type for lists such as ``0,0.5,0.9``."""

    def parse(text):
        try:
            return tuple(convert(item) for item in text.split(",") if item.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated {convert.__name__}s, got {text!r}") from None

    return parse


def _joined(values):
    """``values`` as the comma-separated text that ``_comma_separated`` reads."""
    return ",".join(f"{value:g}" for value in values)


# --task auto: a target column of --data holding whole numbers, at most this many distinct ones, is class labels.
CSV_MAX_CLASSES = 20
TASK_HELP = ("what the target column of --data holds: class labels or a number; auto reads whole numbers with at "
             f"most {CSV_MAX_CLASSES} distinct values as class labels (default: auto)")


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


def _sweep(args):
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


def _robustness(args):
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


def describe_model_file(path):
    """What ``ensembleprune inspect`` prints: the pipeline's steps, each member's layers, densities, nonzeros, bytes."""
    from ._pipelines import describe, final_ensemble, is_pipeline
    from .compact import CompactMLP
    from .serialization import load

    saved = load(path)
    model = final_ensemble(saved)
    members = [model] if isinstance(model, CompactMLP) else model.members_
    lines = [f"{path}: {type(saved).__name__}, {Path(path).stat().st_size:,} bytes, "
             f"{len(members)} member{'s' * (len(members) != 1)}"]
    if is_pipeline(saved):
        lines.append(f"steps: {describe(saved)}")
    if hasattr(model, "classes_"):
        lines.append(f"classifier of {len(model.classes_)} classes: {', '.join(map(str, model.classes_))}")
    if not isinstance(model, CompactMLP):
        lines.append(f"combine: {model.combine}")
        for j, learner in enumerate(getattr(model, "final_estimators_", [])):
            coef = np.array2string(np.ravel(learner.coef_), precision=4, separator=", ")
            lines.append(f"  meta-learner {j}: {type(learner).__name__}, coef_ {coef}, intercept_ "
                         f"{float(np.ravel(learner.intercept_)[0]):.4g}")
    for k, member in enumerate(members):
        title = f"member {k}: {' -> '.join(map(str, member.architecture))}"
        if not isinstance(model, CompactMLP):
            title += f" (final sparsity {model.member_sparsities_[k]:.2f}, seed {model.member_seeds_[k]})"
        lines.append(title)
        if member.used_features_.size == 0:
            lines.append("  CONSTANT: pruning left no path from the inputs; it predicts one value for every row")
        lines.append(f"  used features {member.used_features_.size} of {member.n_features_in_}; "
                     f"nonzeros {member.nnz:,} of {member.n_params:,} parameters; {member.nbytes:,} bytes")
        for index, layer in enumerate(member.layers):
            n_inputs, n_units = layer.shape
            stored = "CSR" if "indices" in layer.arrays() else "dense"
            lines.append(f"  layer {index}: {f'{n_inputs} -> {n_units}':<14} {layer.activation:<7} {stored:<5} "
                         f"density {layer.nnz / max(n_inputs * n_units, 1):7.2%}  nonzeros {layer.nnz:>9,}  "
                         f"bytes {layer.nbytes:>10,}")
    return "\n".join(lines)


def _inspect(args):
    print(describe_model_file(args.path))


def _export(args):
    """``ensembleprune export``: a model file to an ONNX file, written whole or not at all."""
    try:
        from .onnx_export import require_onnx, save_onnx

        require_onnx()
    except ImportError as error:
        # Reported like bad input, in one line: the user fixes it by installing the extra.
        raise ValueError(str(error)) from None
    from .serialization import load

    proto = save_onnx(load(args.path), args.output)
    outputs = ", ".join(output.name for output in proto.graph.output)
    print(f"{args.output}: ONNX model, {Path(args.output).stat().st_size:,} bytes; input X (float32, one row per "
          f"sample), outputs {outputs}")


def _read_feature_csv(path, model):
    """The rows of a CSV file with a header, as the columns ``model`` was fitted on.

    With ``feature_names_in_`` the columns are picked by name (a DataFrame;
    others, such as the target or an ID, are ignored); without, the file must
    hold exactly the model's features (an array). Each cell is checked against
    what the model needs in its column (see ``datasets.read_feature_csv``).
    """
    from ._pipelines import column_needs
    from .datasets import read_feature_csv

    names = getattr(model, "feature_names_in_", None)
    return read_feature_csv(path, column_needs(model), None if names is None else [str(name) for name in names])


def _predict(args):
    import csv
    import io
    import warnings

    from ._files import atomic_write
    from ._pipelines import final_ensemble, is_pipeline, predict_std
    from .serialization import load

    model = load(args.path)
    is_classifier = hasattr(final_ensemble(model), "classes_")
    if args.proba and not is_classifier:
        raise ValueError(f"--proba needs a classifier; {args.path} holds a {type(model).__name__}")
    if args.std and is_classifier and not args.proba:
        raise ValueError("--std with a classifier needs --proba: the spread is that of the members' probabilities")
    X = _read_feature_csv(args.data, model)
    with warnings.catch_warnings():
        # A model without feature names gets an array, whose columns were checked by count.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        try:
            if args.std and is_pipeline(model) and not is_classifier:
                # A TransformedTargetRegressor cannot pass return_std on; the spread goes through its scaler here.
                columns, table, _ = _prediction_table(model, X, False, False)
                spread = np.reshape(predict_std(model, X), (len(X), -1))
            else:
                columns, table, spread = _prediction_table(model, X, args.proba, args.std)
        except ValueError as error:  # what the checks of the cells let through, refused by the model itself
            raise ValueError(f"{args.data}: the model cannot use these rows: {error}") from error
    if spread is not None:
        columns += [f"std_{name}" if is_classifier else name.replace("prediction", "std") for name in columns]
        table = np.hstack([table, spread])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    # repr() writes the shortest text that reads back as the same float.
    writer.writerows([repr(float(value)) if isinstance(value, float) else str(value) for value in row.tolist()]
                     for row in table)
    if args.output:
        atomic_write(args.output, lambda file: file.write(text.getvalue().encode()))
    else:
        sys.stdout.write(text.getvalue())


def _prediction_table(model, X, proba, std):
    """``(columns, table, spread)`` of ``model``'s predictions for ``X``; ``spread`` is None without ``std``."""
    from .compact import CompactMLP

    if proba:  # one column per class, headed by its label
        columns = [str(label) for label in model.classes_]
        table, spread = model.predict_proba(X, return_std=True) if std else (model.predict_proba(X), None)
        return columns, table, spread
    if hasattr(model, "classes_"):
        return ["prediction"], model.predict(X).reshape(-1, 1).astype(object), None
    if std and not isinstance(model, CompactMLP):  # one member has no spread
        y_pred, y_std = model.predict(X, return_std=True)
    else:
        y_pred, y_std = model.predict(X), None
    y_pred = y_pred.reshape(len(X), -1)
    columns = ["prediction"] if y_pred.shape[1] == 1 else [f"prediction_{j}" for j in range(y_pred.shape[1])]
    return columns, y_pred, None if y_std is None else y_std.reshape(len(X), -1)


def build_parser():
    parser = argparse.ArgumentParser(prog="ensembleprune", description="Ensembles of pruned MLPs.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="the article's experiment: dense vs pruned members vs ensembles")
    demo.add_argument("--out", default="demo_output", help="output folder (default: demo_output)")
    demo.add_argument("--full", action="store_true", help=f"the article's exact sizes and {ARTICLE.epochs} epochs")
    demo.add_argument("--members", type=int, default=4, help="number of pruned members (default: 4)")
    demo.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    demo.add_argument("--seed", type=int, default=0, help="random state (default: 0)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(handler=_demo)

    sweep = commands.add_parser("sweep", help="the article's figure: losses against final sparsity, over seeds")
    sweep.add_argument("--out", default="sweep_output", help="output folder; a killed sweep resumes from it "
                       "(default: sweep_output)")
    sweep.add_argument("--preset", choices=list(PRESETS), default=QUICK.name,
                       help="quick: reduced data and model, minutes on 2 cores; article: the article's data, "
                       f"model, {ARTICLE.epochs} epochs and {len(ARTICLE.sweep_seeds)} seeds (default: quick)")
    sweep.add_argument("--data", help="your own numeric CSV file (with a header) instead of the article's data")
    sweep.add_argument("--target", help="the target column of --data")
    sweep.add_argument("--task", choices=["auto", "regression", "classification"], default="auto", help=TASK_HELP)
    sweep.add_argument("--sparsities", type=_comma_separated(float), help="override the final sparsities, e.g. 0,0.5,0.9")
    sweep.add_argument("--seeds", type=int, help="override the number of seeds")
    sweep.add_argument("--epochs", type=int, help="override the number of epochs")
    sweep.add_argument("--batch-size", type=_batch_size, help="an integer, or auto (about 32 batches per epoch); "
                       "default: 1024 on the article's data, auto with --data")
    sweep.add_argument("--hidden", type=_comma_separated(int), help="override the hidden layer sizes, e.g. 256,256")
    sweep.add_argument("--n-jobs", type=int, default=-1, help="pairs trained at once (default: -1, all cores)")
    sweep.add_argument("--strategy", choices=["independent", "prune_and_tune", "snapshots"], default="independent",
                       help="independent: every pair from scratch, the article's experiment (default); prune_and_tune "
                       "or snapshots: one network per seed, pruned on to the other sparsities (about one fit per seed)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=_sweep)

    robustness = commands.add_parser("robustness", help="dense vs pruned vs ensembles vs linear under noisy inputs")
    robustness.add_argument("--out", default="robustness_output", help="output folder (default: robustness_output)")
    robustness.add_argument("--dataset", choices=["article", "friedman"], default="article",
                            help="generated data: the article's regression or wide Friedman #1 (default: article)")
    robustness.add_argument("--data", help="your own numeric CSV file (with a header) instead of --dataset")
    robustness.add_argument("--target", help="the target column of --data")
    robustness.add_argument("--task", choices=["auto", "regression", "classification"], default="auto",
                            help=TASK_HELP)
    # The quick preset's data and model.
    robustness.add_argument("--samples", type=int, default=QUICK.n_samples,
                            help=f"rows of --dataset (default: {QUICK.n_samples})")
    robustness.add_argument("--features", type=int, default=QUICK.n_features,
                            help=f"features of --dataset (default: {QUICK.n_features})")
    robustness.add_argument("--sparsities", type=_comma_separated(float), default=QUICK.member_sparsities,
                            help=f"final sparsities of the members (default: {_joined(QUICK.member_sparsities)})")
    robustness.add_argument("--seeds", type=int, default=QUICK.robustness_seeds,
                            help=f"repetitions with other seeds (default: {QUICK.robustness_seeds})")
    robustness.add_argument("--hidden", type=_comma_separated(int), default=QUICK.hidden_layer_sizes,
                            help=f"hidden layer sizes (default: {_joined(QUICK.hidden_layer_sizes)})")
    robustness.add_argument("--epochs", type=int, default=QUICK.epochs, help=f"epochs (default: {QUICK.epochs})")
    robustness.add_argument("--cv", type=int, default=QUICK.cv,
                            help=f"folds of the stacked ensemble (default: {QUICK.cv})")
    robustness.add_argument("--quiet", action="store_true", help="no progress bar")
    robustness.set_defaults(handler=_robustness)

    inspect = commands.add_parser("inspect", help="a model file's members: layers, densities, nonzeros, bytes")
    inspect.add_argument("path", help="a file written by ensembleprune.save (.epz)")
    inspect.set_defaults(handler=_inspect)

    export = commands.add_parser("export", help="a model file as an ONNX file, for ONNX Runtime (needs the onnx "
                                 "extra: pip install ensembleprune[onnx])")
    export.add_argument("path", help="a file written by ensembleprune.save (.epz): an ensemble, or a pipeline of "
                        "numeric steps ending in one")
    export.add_argument("output", help="the ONNX file to write (.onnx)")
    export.set_defaults(handler=_export)

    predict = commands.add_parser("predict", help="predict the rows of a CSV file with a model file")
    predict.add_argument("path", help="a file written by ensembleprune.save (.epz)")
    predict.add_argument("data", help="CSV file with a header row (delimiter , ; tab or |, read from the header; "
                         "UTF-8, with or without a byte-order mark); columns are matched by name when the model was "
                         "fitted with feature names (others, such as an ID, are ignored). A saved pipeline reads the "
                         "raw columns it was fitted on: strings, categories and, where it imputes, empty cells")
    predict.add_argument("--output", help="CSV file to write (default: standard output)")
    predict.add_argument("--std", action="store_true", help="also write the spread of the members' predictions")
    predict.add_argument("--proba", action="store_true", help="a classifier's probabilities: one column per class, "
                         "headed by the class label")
    predict.set_defaults(handler=_predict)
    return parser


# OSErrors that say a file given on the command line cannot be used: missing,
# unreadable, a folder, and so on.
FILE_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError)


def is_bad_input(error):
    """Whether ``error`` describes input that the user can fix, rather than a bug.

    The rule goes by the error's type, not by where it was raised. Every
    ValueError counts, even one that numpy or TensorFlow raise deep inside: the
    package checks its inputs first, so such an error almost always comes from
    the values given, and nothing tells the rare bug apart reliably. A TypeError
    is a bug (argparse has already converted what the user typed), except
    ``UnsafeToSaveError``: a model holds a part that its file format cannot
    store. An OSError counts when it is about a file: one of ``FILE_ERRORS``,
    or one that names its file (a full disk, a read-only folder).
    """
    from .serialization import UnsafeToSaveError

    if isinstance(error, (ValueError, UnsafeToSaveError) + FILE_ERRORS):
        return True
    return isinstance(error, OSError) and error.filename is not None


def main(argv=None):
    """Run the ``ensembleprune`` command; return its exit status.

    Bad input (see :func:`is_bad_input`) is reported in one line on standard
    error, with exit status 2, as argparse reports a bad option. Any other
    exception is a bug and propagates with its traceback.
    """
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except Exception as error:
        if not is_bad_input(error):
            raise
        print(f"ensembleprune {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
