"""Fit time at the defaults on small and mid-size tables, against another checkout of the package.

On a few hundred rows an epoch is a handful of optimizer steps, and what Keras
does around each epoch can cost more than the steps. This script fits
``PrunedEnsembleRegressor`` at its defaults on ``make_friedman1`` tables of
``--sizes`` rows (20 features, noise 1), with ``linear_member=False`` (so that
networks train at every size, even where the linear member would be the model)
and ``n_iter_no_change`` so large that early stopping never stops a member:
every fit runs its whole budget of epochs, so two versions do the same work.
``--config defaults`` keeps the linear member and the selection at their
defaults instead, so that tables of fewer than 1,000 rows train the networks on
five folds to judge them out of fold (then on every row if they are kept).
Each fit runs in a fresh process and is timed inside it (imports excluded),
and reports a digest of its predictions on its training rows: equal digests
say that two versions fitted the same model.

With ``--baseline DIR`` (a checkout of another commit, e.g. made by
``git worktree add /tmp/baseline <commit>``), the same fits run with the
package in ``DIR``, interleaved round by round with this repository's, so that
both see the same machine. Prints JSON: per size and version, the best round's
seconds (on a shared machine other jobs only ever add time), every round's
seconds, the epochs run and seconds per epoch, and the ratio baseline / current.

    python benchmarks/bench_fit_time.py [--sizes 200,700,3000] [--rounds 2] [--baseline DIR] [--config defaults]
                                        [--n-jobs 2]

``--n-jobs N`` also times this repository's fits with ``n_jobs=N`` (with
fused members, the default, the folds then train in N worker processes).
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent

# Run in a fresh process with the package under test first on sys.path.
FIT = """
import hashlib, json, sys, time
sys.path.insert(0, {source!r})
from sklearn.datasets import make_friedman1
import ensembleprune
from ensembleprune import PrunedEnsembleRegressor
from ensembleprune._tf import import_tf
import_tf()
X, y = make_friedman1({n_samples}, 20, noise=1.0, random_state=0)
model = PrunedEnsembleRegressor(random_state=0, n_iter_no_change=10**6, **{parameters!r})
start = time.perf_counter()
model.fit(X, y)
seconds = time.perf_counter() - start
epochs = max(len(h["loss"]) for h in model.history_) if model.history_ else 0
print(json.dumps({{"seconds": seconds, "epochs": epochs, "phases": len(model.training_cost_["phase"]),
                  "predictions_sha256": hashlib.sha256(model.predict(X).tobytes()).hexdigest()[:16],
                  "package": ensembleprune.__file__}}))
"""
CONFIGS = {"networks": {"linear_member": False, "combine": "mean"}, "defaults": {}}


def timed_fit(source, n_samples, config="networks", n_jobs=None):
    """One fit in a fresh process with the package from ``source``: its seconds, epochs, digest and package path."""
    environment = dict(os.environ, PYTHONPATH=str(source))
    parameters = dict(CONFIGS[config], **({} if n_jobs is None else {"n_jobs": n_jobs}))
    code = FIT.format(source=str(source), n_samples=n_samples, parameters=parameters)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def summarize(runs):
    best = min(runs, key=lambda run: run["seconds"])
    return {"seconds": best["seconds"], "epochs": best["epochs"],
            "seconds_per_epoch": best["seconds"] / best["epochs"] if best["epochs"] else None,
            "phases": best["phases"], "predictions_sha256": sorted({run["predictions_sha256"] for run in runs}),
            "rounds": [run["seconds"] for run in runs], "package": best["package"]}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,700,3000", help="comma-separated numbers of rows")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", type=pathlib.Path, help="a checkout of another commit to compare with")
    parser.add_argument("--config", choices=sorted(CONFIGS), default="networks",
                        help="networks: mean of the networks alone (the default); defaults: every parameter at its default")
    parser.add_argument("--n-jobs", type=int, help="also time this repository's fits with this n_jobs ('n_jobs')")
    args = parser.parse_args(argv)
    if args.baseline is not None and not (args.baseline / "ensembleprune" / "__init__.py").is_file():
        parser.error(f"--baseline {args.baseline} holds no ensembleprune package (ensembleprune/__init__.py)")
    return args


def main(argv=None):
    args = parse_args(argv)
    versions = {"current": (REPOSITORY, None)}
    if args.baseline is not None:
        versions["baseline"] = (args.baseline.resolve(), None)
    if args.n_jobs is not None:
        versions["n_jobs"] = (REPOSITORY, args.n_jobs)
    sizes = [int(size) for size in args.sizes.split(",")]
    runs = {name: {size: [] for size in sizes} for name in versions}
    for _ in range(args.rounds):
        for size in sizes:
            for name, (source, n_jobs) in versions.items():
                runs[name][size].append(timed_fit(source, size, args.config, n_jobs))
    report = {"benchmark": "fit_time", "config": args.config, "n_jobs": args.n_jobs, "rounds": args.rounds,
              "cpu_count": os.cpu_count(),
              "results": {name: {str(size): summarize(runs[name][size]) for size in sizes} for name in versions}}
    # baseline / current: how much faster this repository is; current / n_jobs: how much n_jobs speeds it up.
    for numerator, denominator in [("baseline", "current"), ("current", "n_jobs")]:
        if numerator in versions and denominator in versions:
            report[f"{numerator}_over_{denominator}"] = {
                str(size): report["results"][numerator][str(size)]["seconds"]
                / report["results"][denominator][str(size)]["seconds"]
                for size in sizes
            }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
