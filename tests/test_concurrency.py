"""A fitted ensemble holds no shared mutable state: concurrent predictions agree."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ensembleprune import PrunedEnsembleRegressor


def test_eight_threads_predict_like_one(tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(early_stopping=False, n_members=3, sparsities=(0.5, 0.9), hidden_layer_sizes=(32, 16), epochs=3,
                                    batch_size=32, combine="stack", cv=2, random_state=0).fit(X, y)
    rng = np.random.default_rng(1)
    batches = [rng.normal(size=(n, X.shape[1])) for n in (1, 7, 300, 1, 64, 5, 2000, 33)] * 4
    expected = [model.predict(batch, return_std=True) for batch in batches]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda batch: model.predict(batch, return_std=True), batches))
    for (want_pred, want_std), (got_pred, got_std) in zip(expected, results):
        np.testing.assert_array_equal(got_pred, want_pred)
        np.testing.assert_array_equal(got_std, want_std)
