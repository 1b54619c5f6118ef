"""Cost of TensorFlow's op determinism while training, measured side by side.

Trains the same fused members alternately with and without op determinism and
prints JSON with the seconds of each and their ratios (of medians and of
best runs, the latter less sensitive to other load on the machine).

    python benchmarks/bench_determinism.py [--repeats 3] [--epochs 5]
"""

import argparse
import json
import statistics
import time

import numpy as np

from ensembleprune import MemberSpec, PrunedMLPFactory, PruningSchedule, make_article_regression
from ensembleprune._tf import op_determinism


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
    seconds = {"deterministic": [], "default": []}
    losses = {}
    factory.train(data.X_train, data.y_train, specs)  # warm-up: imports and first tracing
    for _ in range(args.repeats):
        for mode in ("default", "deterministic"):
            start = time.perf_counter()
            if mode == "deterministic":
                with op_determinism():
                    members = factory.train(data.X_train, data.y_train, specs)
            else:
                members = factory.train(data.X_train, data.y_train, specs)
            seconds[mode].append(time.perf_counter() - start)
            losses[mode] = members[0].history["loss"][-1]
    median = {mode: statistics.median(values) for mode, values in seconds.items()}
    print(json.dumps({
        "config": vars(args) | {"members": len(specs)},
        "seconds_median": median,
        "seconds_all": seconds,
        "deterministic_over_default_median": median["deterministic"] / median["default"],
        "deterministic_over_default_best": min(seconds["deterministic"]) / min(seconds["default"]),
        "final_loss_equal": bool(np.isclose(losses["default"], losses["deterministic"], rtol=0, atol=0)),
    }, indent=2))


if __name__ == "__main__":
    main()
