"""A pruned ensemble inside a Pipeline, tuned by GridSearchCV.

Run with ``python examples/pipeline_grid_search.py``; ``--tiny`` runs it in seconds.
"""

import sys

from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ensembleprune import PrunedEnsembleRegressor, make_wide_friedman


def main(tiny=False):
    data = make_wide_friedman(n_samples=400 if tiny else 3000, n_features=30 if tiny else 100)
    pipeline = make_pipeline(
        StandardScaler(),
        PrunedEnsembleRegressor(
            n_members=2 if tiny else 4,
            hidden_layer_sizes=(32,) if tiny else (256, 256),
            epochs=10 if tiny else 60,
            batch_size=64 if tiny else 256,
            random_state=0,
        ),
    )
    grid = {
        "prunedensembleregressor__sparsities": [(0.5,), (0.9,)] if tiny else [(0.5, 0.8), (0.9, 0.95), (0.95, 0.98)],
        "prunedensembleregressor__combine": ["mean", "median"],
    }
    search = GridSearchCV(pipeline, grid, cv=2 if tiny else 3, scoring="neg_mean_squared_error")
    search.fit(data.X_train, data.y_train)
    print("best parameters:", search.best_params_)
    print(f"cross-validated MSE {-search.best_score_:.3e}")
    print(f"validation MSE      {-search.score(data.X_val, data.y_val):.3e}")
    return search


if __name__ == "__main__":
    main(tiny="--tiny" in sys.argv)
