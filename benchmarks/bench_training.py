"""Training speed: fused and independent members against the article's loop of fits.

Trains K members of the article's architecture (1000 -> 1024 -> 1024 -> 1) on the
article's data shape (8,000 training rows of 1,000 features), all in one run so
that the figures are comparable, and prints JSON with:

- seconds for K separate fits written as the article writes them (a Python loop
  over ``prune_low_magnitude(Sequential)`` and ``fit``), for ours independent
  (``n_jobs=1`` and ``n_jobs=2``), for ours fused, and for K plain dense fits
  (prepared and fed as the factory prepares and feeds its fits: one trace of
  the train step, batches read by its input pipeline; the article-style loop
  is left as the article writes it);
- ratios: article-style / fused, and one pruned fit / one dense fit (ours
  independent with ``n_jobs=1`` against the dense loop: the pruning overhead);
- the FLOP rate of the fused fit / the FLOP rate of a bare ``tf.matmul`` probe
  doing the same matrix products (forward, weight and input gradients).

Every fit trains on the same data for the same epochs with the same pruning
schedule, without validation data, and includes building and compiling its model.
The variants run in ``--rounds`` interleaved rounds (default 3); each figure is a
variant's best round (the probe's fastest), since on a shared machine other jobs
only ever add time. Every round's seconds are printed too, and so is every round's
ratio: on a busy machine the spread of those shows what the best rounds hide. CPU
seconds of this process (best round; not for ``n_jobs=2``, whose work is in other
processes) and their ratios are printed as a cross-check that other jobs on the
machine disturb less.
``--variants`` times only some variants (the ratios and the probe need theirs),
so that two of them can be compared in more rounds, close together in time.

    python benchmarks/bench_training.py [--epochs 10] [--rounds 3] [--variants a,b] [--quick]
"""

import argparse
import json
import os
import platform
import time

import numpy as np

from ensembleprune import MemberSpec, PrunedMLPFactory, PruningSchedule, make_article_regression
from ensembleprune._tf import import_tf
from ensembleprune._member_training import create_training_variables
from ensembleprune.training_rows import TrainingRows

SPARSITIES = (0.8, 0.9, 0.95, 0.98)
VARIANTS = ("article_style", "independent_n_jobs_1", "independent_n_jobs_2", "fused", "dense")
# Each ratio divides the first variant's seconds by the second's.
RATIOS = {
    "article_style_over_fused": ("article_style", "fused"),
    "pruned_fit_over_dense_fit": ("independent_n_jobs_1", "dense"),
}
ARTICLE = dict(n_samples=10000, n_features=1000, hidden=(1024, 1024), n_members=4, batch_size=1024)
QUICK = dict(n_samples=1250, n_features=200, hidden=(128, 128), n_members=2, batch_size=256)


def article_style_fits(X, y, specs, epochs, batch_size, steps_per_epoch):
    """K separate fits as the article writes them: a loop of pruned Sequential models."""
    _, keras, tfmot = import_tf()
    for spec in specs:
        layers = [keras.Input(shape=(X.shape[1],))]
        layers += [keras.layers.Dense(width, activation="relu") for width in spec.hidden_layer_sizes]
        layers.append(keras.layers.Dense(1))
        model = tfmot.prune_low_magnitude(
            keras.Sequential(layers), pruning_schedule=spec.schedule.to_tfmot(steps_per_epoch, epochs)
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        model.fit(X, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[tfmot.UpdatePruningStep()])


def dense_fits(X, y, specs, epochs, batch_size):
    """K plain dense fits of the same architecture, without pruning.

    Each is prepared and fed as the factory prepares and feeds a pruned fit:
    its variables are created before ``fit``, so that its train step is traced
    once, and its batches are read from ``X`` by the factory's input pipeline.
    "Pruned ÷ dense" then compares pruning alone.
    """
    _, keras, _ = import_tf()
    rows = TrainingRows(X)
    targets = [np.asarray(y, np.float32)]
    for spec in specs:
        keras.utils.set_random_seed(spec.seed)
        layers = [keras.Input(shape=(X.shape[1],))]
        layers += [keras.layers.Dense(width, activation="relu") for width in spec.hidden_layer_sizes]
        layers.append(keras.layers.Dense(1))
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        create_training_variables(model)
        model.fit(rows.dataset(targets, batch_size, spec.seed), epochs=epochs, verbose=0)


def layer_shapes(n_features, hidden):
    widths = [n_features, *hidden, 1]
    return list(zip(widths[:-1], widths[1:]))


def training_flops(n_rows, epochs, n_members, n_features, hidden):
    """FLOPs of the matrix products of training: forward, weight gradients, input gradients.

    The first layer needs no input gradient; biases, activations and the
    optimizer are left out (they are not matrix products).
    """
    shapes = layer_shapes(n_features, hidden)
    per_row = sum(2 * 2 * n_in * n_out for n_in, n_out in shapes)
    per_row += sum(2 * n_in * n_out for n_in, n_out in shapes[1:])
    return per_row * n_rows * epochs * n_members


def matmul_probe_flop_rate(batch_size, n_members, n_features, hidden, seconds=5.0):
    """FLOP rate of bare ``tf.matmul`` calls doing one training step's products for every member."""
    tf, _, _ = import_tf()
    shapes = layer_shapes(n_features, hidden)
    rng = tf.random.Generator.from_seed(0)
    # Every member gets operands of its own: Grappler merges identical products
    # into one, and shared operands made the probe skip three quarters of the
    # weight-gradient products while counting them (a 1.4x overstated rate).
    members = [
        [
            (rng.normal((batch_size, n_in)), rng.normal((n_in, n_out)), rng.normal((batch_size, n_out)))
            for n_in, n_out in shapes
        ]
        for _ in range(n_members)
    ]

    @tf.function
    def step():
        total = 0.0
        for layers in members:
            for index, (layer_input, kernel, output_gradient) in enumerate(layers):
                forward = tf.matmul(layer_input, kernel)
                weight_gradient = tf.matmul(layer_input, output_gradient, transpose_a=True)
                # Every product is used whole, so that no graph optimization can skip part of it.
                total += tf.reduce_sum(forward) + tf.reduce_sum(weight_gradient)
                if index > 0:
                    total += tf.reduce_sum(tf.matmul(output_gradient, kernel, transpose_b=True))
        return total

    step().numpy()
    n_steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step().numpy()
        n_steps += 1
    elapsed = time.perf_counter() - start
    return training_flops(batch_size, 1, n_members, n_features, hidden) * n_steps / elapsed


def timed(function):
    """Wall-clock and CPU seconds (all of this process's threads) of ``function()``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - start, time.process_time() - start_cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs of every fit (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each variant keeps its best")
    parser.add_argument("--quick", action="store_true", help="a smoke run on small shapes, not the article's")
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"comma-separated, from (and default): {','.join(VARIANTS)}"
    )
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    chosen = args.variants.split(",")
    if unknown := set(chosen) - set(VARIANTS):
        parser.error(f"unknown variants {sorted(unknown)}: choose from {', '.join(VARIANTS)}")
    config = QUICK if args.quick else ARTICLE

    tf, keras, _ = import_tf()
    data = make_article_regression(
        n_samples=config["n_samples"], n_features=config["n_features"], n_informative=config["n_features"] // 2
    )
    X, y = data.X_train, data.y_train.reshape(-1, 1)
    specs = [
        MemberSpec(seed, PruningSchedule(SPARSITIES[seed % len(SPARSITIES)]), config["hidden"])
        for seed in range(config["n_members"])
    ]
    batch_size, epochs = config["batch_size"], args.epochs

    def factory(**kwargs):
        return PrunedMLPFactory(epochs=epochs, batch_size=batch_size, **kwargs)

    steps_per_epoch = factory().steps_per_epoch(len(X))
    # Warm up TensorFlow's kernels and thread pools so that the first timing pays no start-up.
    factory(training="independent").train(X[:batch_size], y[:batch_size], specs[:1])

    all_variants = {
        "article_style": lambda: article_style_fits(X, y, specs, epochs, batch_size, steps_per_epoch),
        "independent_n_jobs_1": lambda: factory(training="independent", n_jobs=1).train(X, y, specs),
        "independent_n_jobs_2": lambda: factory(training="independent", n_jobs=2).train(X, y, specs),
        "fused": lambda: factory(training="fused").train(X, y, specs),
        "dense": lambda: dense_fits(X, y, specs, epochs, batch_size),
    }
    variants = {name: all_variants[name] for name in chosen}
    rounds = {name: [] for name in variants}
    cpu_rounds = {name: [] for name in variants}
    probe_flop_rates = []
    shape = (config["n_features"], config["hidden"])
    for _ in range(args.rounds):
        for name, fit in variants.items():
            wall, cpu = timed(fit)
            rounds[name].append(wall)
            cpu_rounds[name].append(cpu)
        if "fused" in variants:
            probe_flop_rates.append(matmul_probe_flop_rate(batch_size, len(specs), *shape))
    seconds = {name: min(values) for name, values in rounds.items()}
    ratios = {name: pair for name, pair in RATIOS.items() if set(pair) <= set(variants)}
    # CPU time is less sensitive than wall time to other jobs on a shared machine,
    # but counts only this process: n_jobs=2 trains in worker processes.
    cpu_seconds = {name: min(values) for name, values in cpu_rounds.items() if name != "independent_n_jobs_2"}
    report = {
        "config": {
            "architecture": [config["n_features"], *config["hidden"], 1],
            "train_rows": len(X),
            "n_members": len(specs),
            "sparsities": [spec.final_sparsity for spec in specs],
            "epochs": epochs,
            "batch_size": batch_size,
            "rounds": args.rounds,
            "quick": args.quick,
            "variants": chosen,
            "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
            "cpu_count": os.cpu_count(),
            "machine": platform.processor() or platform.machine(),
            "tensorflow": tf.__version__,
        },
        "seconds": {name: round(value, 2) for name, value in seconds.items()},
        "seconds_every_round": {name: [round(value, 2) for value in values] for name, values in rounds.items()},
        "ratios": {name: round(seconds[a] / seconds[b], 2) for name, (a, b) in ratios.items()},
        "ratios_every_round": {
            name: [round(x / y, 2) for x, y in zip(rounds[a], rounds[b])] for name, (a, b) in ratios.items()
        },
        "cpu_seconds": {name: round(value, 2) for name, value in cpu_seconds.items()},
        "cpu_ratios": {name: round(cpu_seconds[a] / cpu_seconds[b], 2) for name, (a, b) in ratios.items()},
    }
    if "fused" in variants:
        fused_flop_rate = training_flops(len(X), epochs, len(specs), *shape) / seconds["fused"]
        probe_flop_rate = max(probe_flop_rates)
        report["training_efficiency"] = {
            "fused_gflops": round(fused_flop_rate / 1e9, 1),
            "matmul_probe_gflops": round(probe_flop_rate / 1e9, 1),
            "fused_over_probe": round(fused_flop_rate / probe_flop_rate, 2),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
