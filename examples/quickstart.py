"""Quickstart: fit an ensemble of pruned MLPs, with the library's defaults, on wide nonlinear data.

Run with ``python examples/quickstart.py``; ``--tiny`` runs it in seconds.
"""

import sys

from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ensembleprune import PrunedEnsembleRegressor, make_wide_friedman


def main(tiny=False):
    # Friedman #1: 5 informative features hidden among many noise features.
    data = make_wide_friedman(n_samples=1300 if tiny else 5000, n_features=50 if tiny else 200)
    # Every parameter at its default, but the size when tiny: the batch size and the
    # training budget adapt to the data, and the members are chosen on held-out rows.
    ensemble = PrunedEnsembleRegressor(n_members=2, hidden_layer_sizes=(32, 32)) if tiny else PrunedEnsembleRegressor()
    model = make_pipeline(StandardScaler(), ensemble.set_params(random_state=0, verbose=0 if tiny else 1))
    model.fit(data.X_train, data.y_train)
    ridge = make_pipeline(StandardScaler(), RidgeCV()).fit(data.X_train, data.y_train)
    print(f"ensemble, library defaults  validation R² {r2_score(data.y_val, model.predict(data.X_val)):.3f}")
    print(f"RidgeCV baseline            validation R² {r2_score(data.y_val, ridge.predict(data.X_val)):.3f}")
    fitted = model[-1]
    for sparsity, seed, weight, member in zip(fitted.member_sparsities_, fitted.member_seeds_,
                                              fitted.member_weights_, fitted.members_):
        kind = "linear member" if seed == -1 else f"member at sparsity {sparsity:.3f}"
        print(f"  {kind:<28} weight {weight:.2f}, {member.nnz:,} nonzeros of {member.n_params:,}")
    return fitted


if __name__ == "__main__":
    main(tiny="--tiny" in sys.argv)
