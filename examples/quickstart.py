"""Quickstart: fit an ensemble of pruned MLPs on wide nonlinear data.

Run with ``python examples/quickstart.py``; ``--tiny`` runs it in seconds.
"""

import sys

from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_squared_error

from ensembleprune import PrunedEnsembleRegressor, make_wide_friedman


def main(tiny=False):
    # Friedman #1: 5 informative features hidden among many noise features.
    data = make_wide_friedman(n_samples=600 if tiny else 5000, n_features=50 if tiny else 200)
    model = PrunedEnsembleRegressor(
        n_members=2 if tiny else 4,
        sparsities=(0.8, 0.9, 0.95, 0.98),
        hidden_layer_sizes=(32, 32) if tiny else (256, 256),
        epochs=15 if tiny else 100,
        batch_size=64 if tiny else 256,
        random_state=0,
        verbose=0 if tiny else 1,
    )
    model.fit(data.X_train, data.y_train)
    y_pred, y_std = model.predict(data.X_val, return_std=True)

    ridge = RidgeCV().fit(data.X_train, data.y_train)
    print(f"pruned ensemble  validation MSE {mean_squared_error(data.y_val, y_pred):.3e}")
    print(f"RidgeCV baseline validation MSE {mean_squared_error(data.y_val, ridge.predict(data.X_val)):.3e}")
    print(f"mean spread of the members      {y_std.mean():.3e}")
    for sparsity, member in zip(model.member_sparsities_, model.members_):
        print(f"  member at sparsity {sparsity:.2f}: {member.nnz:,} nonzeros of {member.n_params:,}")
    return model


if __name__ == "__main__":
    main(tiny="--tiny" in sys.argv)
