"""When does pruning rank input features? Narrow against wide inputs, three targets.

Since session 27 a member that prunes whole input features ranks them by how far
training moved their weights (``_training.MagnitudePruning``); the
``dense_row_change`` figures below show why magnitude alone could not.

For each input width (12 and 200 columns, uniform on [-1, 1], 300 rows) and
each target (built on the first four columns only), trains one member that
prunes whole input features (``input_pruning="features"``) down to 4 kept
features, and one dense member, and prints one JSON object with:

- ``kept``: the input features the pruned member kept, and how many of the
  four informative ones are among them;
- ``dense_row_change``: for the dense member, the mean absolute input weight
  of the informative rows and of the others, at initialization and after
  training (magnitude can rank features only where training moves the
  informative rows past the spread of the initial ones).

    python benchmarks/diagnose_input_ranking.py
"""

import json

import numpy as np

from ensembleprune import MemberSpec, PrunedMLPFactory, PruningSchedule

TARGETS = {
    "linear": lambda X: 2 * X[:, 0] - 2 * X[:, 1] + 2 * X[:, 2] + 2 * X[:, 3],
    "sines": lambda X: np.sin(2 * X[:, 0]) + np.sin(2 * X[:, 1]) + X[:, 2] + X[:, 3],
    "friedman_like": lambda X: 10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * X[:, 2] ** 2 + 10 * X[:, 3],
}
INFORMATIVE = {0, 1, 2, 3}


def input_kernel_and_mask(model):
    layer = next(layer for layer in model.layers if hasattr(layer, "pruning_vars"))
    return layer.layer.kernel.numpy(), layer.pruning_vars[0][1].numpy()


def row_means(kernel):
    rows = np.abs(kernel).mean(axis=1)
    return {"informative": float(rows[:4].mean()), "others": float(rows[4:].mean()),
            "others_spread": float(rows[4:].std())}


def run(n_features, target):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, n_features))
    y = TARGETS[target](X).reshape(-1, 1)
    factory = PrunedMLPFactory(epochs=30, batch_size=32, learning_rate=3e-3)
    pruned = MemberSpec(0, PruningSchedule(1 - 4 / n_features), (64, 64), sparsity_allocation="uniform",
                        input_pruning="features")
    _, mask = input_kernel_and_mask(factory.fit_one(X, y, pruned).model)
    kept = np.flatnonzero(mask.any(axis=1))
    dense = MemberSpec(0, PruningSchedule(0.0), (64, 64))
    initial, _ = input_kernel_and_mask(factory.build(dense, n_features, 1, len(X)))
    trained, _ = input_kernel_and_mask(factory.fit_one(X, y, dense).model)
    return {"kept": kept.tolist(), "informative_kept": len(INFORMATIVE & set(kept.tolist())),
            "dense_row_change": {"initial": row_means(initial), "trained": row_means(trained)}}


def main():
    report = {f"{n_features} inputs": {target: run(n_features, target) for target in TARGETS}
              for n_features in (12, 200)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
