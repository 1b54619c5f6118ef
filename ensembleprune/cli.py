"""The ``ensembleprune`` command: ``ensembleprune demo`` and friends."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

# The article's members: the sparsities of DESIGN.md's measured run.
DEMO_SPARSITIES = (0.8, 0.9, 0.95, 0.98)
DEMO_SIZES = {
    # Finishes within 5 minutes on 2 cores and still overfits when dense.
    "default": dict(n_samples=4000, n_features=500, n_informative=250, hidden=(256, 256), epochs=60),
    # The article's exact data set and model.
    "full": dict(n_samples=10000, n_features=1000, n_informative=500, hidden=(1024, 1024), epochs=200),
}


def run_demo(out_dir, size=DEMO_SIZES["default"], n_members=4, epochs=None, random_state=0, verbose=1):
    """Train a dense MLP, pruned members, their ensembles and a RidgeCV baseline.

    ``size`` holds the data and model sizes (see ``DEMO_SIZES``). Returns the list
    of result rows; writes ``results.json`` and the fitted mean ensemble to ``out_dir``.
    """
    import joblib
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import mean_squared_error

    from .datasets import make_article_regression
    from .ensemble import PrunedEnsembleRegressor

    epochs = epochs or size["epochs"]
    data = make_article_regression(
        n_samples=size["n_samples"], n_features=size["n_features"], n_informative=size["n_informative"],
        random_state=random_state,
    )
    common = dict(hidden_layer_sizes=size["hidden"], epochs=epochs, batch_size=1024, learning_rate=1e-3,
                  random_state=random_state, verbose=verbose)
    rows = []

    def add_row(name, y_pred, n_params, nnz, seconds):
        rows.append(dict(model=name, val_mse=float(mean_squared_error(data.y_val, y_pred)),
                         params=int(n_params), nonzeros=int(nnz), fit_seconds=round(seconds, 1)))

    start = time.perf_counter()
    dense = PrunedEnsembleRegressor(n_members=1, sparsities=[0.0], **common).fit(data.X_train, data.y_train)
    member = dense.members_[0]
    add_row("dense MLP", dense.predict(data.X_val), member.n_params, member.nnz, time.perf_counter() - start)

    start = time.perf_counter()
    ensemble = PrunedEnsembleRegressor(n_members=n_members, sparsities=DEMO_SPARSITIES, **common)
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

    start = time.perf_counter()
    ridge = RidgeCV(alphas=np.logspace(-6, 3, 10)).fit(data.X_train, data.y_train)
    add_row("RidgeCV (linear baseline)", ridge.predict(data.X_val), ridge.coef_.size + 1,
            np.count_nonzero(ridge.coef_) + 1, time.perf_counter() - start)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = dict(size, epochs=epochs, n_members=n_members, sparsities=DEMO_SPARSITIES, random_state=random_state)
    (out_dir / "results.json").write_text(json.dumps({"config": config, "results": rows}, indent=2, default=list))
    joblib.dump(ensemble, out_dir / "ensemble.joblib")
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


def build_parser():
    parser = argparse.ArgumentParser(prog="ensembleprune", description="Ensembles of pruned MLPs.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="the article's experiment: dense vs pruned members vs ensembles")
    demo.add_argument("--out", default="demo_output", help="output folder (default: demo_output)")
    demo.add_argument("--full", action="store_true", help="the article's exact sizes and 200 epochs")
    demo.add_argument("--members", type=int, default=4, help="number of pruned members (default: 4)")
    demo.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    demo.add_argument("--seed", type=int, default=0, help="random state (default: 0)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except (ValueError, TypeError, OSError) as error:
        print(f"ensembleprune {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
