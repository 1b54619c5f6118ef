"""Cost of TensorFlow's op determinism while training, measured side by side.

Trains the same fused members alternately with op determinism (as every fit
does) and without it (inside ``nondeterministic_ops()``, TensorFlow's own
default), and prints JSON with the seconds of each, their ratios (of medians
and of best runs, the latter less sensitive to other load on the machine) and
each round's ratio, whose spread shows the run-to-run noise. CPU seconds (all of
this process's threads), which other jobs on a shared machine disturb less, are
printed with their ratios as a cross-check. The arm that runs
first alternates from round to round, so that neither always follows the other.

    python benchmarks/bench_determinism.py [--repeats 3] [--epochs 5]
"""

import argparse
import json
import statistics
import time

from ensembleprune import MemberSpec, PrunedMLPFactory, PruningSchedule, make_article_regression
from ensembleprune._tf import nondeterministic_ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--features", type=int, default=500)
    parser.add_argument("--width", type=int, default=512)
    args = parser.parse_args()

    data = make_article_regression(n_samples=args.samples, n_features=args.features,
                                   n_informative=args.features // 2)
    specs = [MemberSpec(seed, PruningSchedule(s), (args.width, args.width)) for seed, s in enumerate((0.8, 0.9))]
    factory = PrunedMLPFactory(epochs=args.epochs, batch_size=1024)
    seconds = {"deterministic": [], "nondeterministic": []}
    cpu_seconds = {"deterministic": [], "nondeterministic": []}
    losses = {}
    factory.train(data.X_train, data.y_train, specs)  # warm-up: imports and first tracing
    for repeat in range(args.repeats):
        order = ("nondeterministic", "deterministic") if repeat % 2 == 0 else ("deterministic", "nondeterministic")
        for mode in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            if mode == "deterministic":
                members = factory.train(data.X_train, data.y_train, specs)
            else:
                with nondeterministic_ops():
                    members = factory.train(data.X_train, data.y_train, specs)
            seconds[mode].append(time.perf_counter() - start)
            cpu_seconds[mode].append(time.process_time() - start_cpu)
            losses[mode] = members[0].history["loss"][-1]
    median = {mode: statistics.median(values) for mode, values in seconds.items()}
    per_round = [d / n for d, n in zip(seconds["deterministic"], seconds["nondeterministic"])]
    cpu_median = {mode: statistics.median(values) for mode, values in cpu_seconds.items()}
    print(json.dumps({
        "config": vars(args) | {"members": len(specs), "train_rows": len(data.X_train)},
        "seconds_median": median,
        "seconds_all": seconds,
        "deterministic_over_nondeterministic_median": median["deterministic"] / median["nondeterministic"],
        "deterministic_over_nondeterministic_best": min(seconds["deterministic"]) / min(seconds["nondeterministic"]),
        "deterministic_over_nondeterministic_every_round": per_round,
        "cpu_seconds_all": cpu_seconds,
        "cpu_deterministic_over_nondeterministic_median": cpu_median["deterministic"] / cpu_median["nondeterministic"],
        "cpu_deterministic_over_nondeterministic_best": (
            min(cpu_seconds["deterministic"]) / min(cpu_seconds["nondeterministic"])
        ),
        "final_loss_equal": bool(losses["deterministic"] == losses["nondeterministic"]),
    }, indent=2))


if __name__ == "__main__":
    main()
