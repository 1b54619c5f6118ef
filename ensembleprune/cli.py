"""The ``ensembleprune`` command: its options, the dispatch to each command's handler, and how errors are reported.

The handlers live by concept: ``_cli_experiments`` (``demo``, ``sweep``,
``robustness``) and ``_cli_model_files`` (``inspect``, ``export``, ``predict``).
"""

import argparse
import sys

from . import _cli_experiments as experiments
from . import _cli_model_files as model_files
from ._cli_experiments import (  # noqa: F401 - the names tests, examples and older code import from here
    CSV_MAX_CLASSES,
    DEMO_SIZES,
    DEMO_SPARSITIES,
    format_table,
    run_demo,
)
from ._cli_model_files import describe_model_file  # noqa: F401 - likewise
from .presets import ARTICLE, PRESETS, QUICK

TASK_HELP = ("what the target column of --data holds: class labels or a number; auto reads whole numbers with at "
             f"most {CSV_MAX_CLASSES} distinct values as class labels (default: auto)")


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
    demo.set_defaults(handler=experiments.demo_command)

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
    sweep.set_defaults(handler=experiments.sweep_command)

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
    robustness.set_defaults(handler=experiments.robustness_command)

    inspect = commands.add_parser("inspect", help="a model file's members: layers, densities, nonzeros, bytes")
    inspect.add_argument("path", help="a file written by ensembleprune.save (.epz)")
    inspect.set_defaults(handler=model_files.inspect_command)

    export = commands.add_parser("export", help="a model file as an ONNX file, for ONNX Runtime (needs the onnx "
                                 "extra: pip install ensembleprune[onnx])")
    export.add_argument("path", help="a file written by ensembleprune.save (.epz): an ensemble, or a pipeline of "
                        "numeric steps ending in one")
    export.add_argument("output", help="the ONNX file to write (.onnx)")
    export.set_defaults(handler=model_files.export_command)

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
    predict.add_argument("--interval", type=float, metavar="CONFIDENCE", help="a regressor fitted with "
                         "conformal='split' or 'cv+': also write the bounds of its conformal prediction interval of "
                         "this confidence, e.g. 0.9 (columns lower and upper; lower_0, upper_0, ... for several "
                         "outputs)")
    predict.set_defaults(handler=model_files.predict_command)
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
