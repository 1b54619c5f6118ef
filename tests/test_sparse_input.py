"""A sparse X, as OneHotEncoder and ColumnTransformer give for categories of many levels, is read as its dense array."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor, load, save

SMALL = dict(n_members=2, sparsities=(0.5, 0.8), hidden_layer_sizes=(16,), epochs=5, combine="mean", random_state=0)


def table(n_rows=400, seed=0):
    """Two numbers and a city of 30 levels: one-hot, the columns are mostly zeros."""
    rng = np.random.default_rng(seed)
    city = rng.integers(30, size=n_rows)
    frame = pd.DataFrame({"x1": rng.normal(size=n_rows), "x2": rng.normal(size=n_rows),
                          "city": np.array([f"city {k}" for k in range(30)])[city]})
    y = frame["x1"] - 0.5 * frame["x2"] + np.sin(city) + 0.1 * rng.normal(size=n_rows)
    return frame, y.to_numpy()


def preprocessing(**dense):
    # What a user writes; ColumnTransformer's default sparse_threshold=0.3 makes its output sparse here.
    return make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city"]),
                                   remainder=StandardScaler(), **dense)


def test_the_users_column_transformer_gives_sparse_rows_here():
    frame, _ = table()
    assert sparse.issparse(preprocessing().fit_transform(frame))


@pytest.mark.parametrize("estimator", [PrunedEnsembleRegressor, PrunedEnsembleClassifier])
def test_sparse_rows_fit_and_predict_as_their_dense_array(estimator, tmp_path):
    frame, y = table()
    if estimator is PrunedEnsembleClassifier:
        y = np.where(y > np.median(y), "high", "low")
    with_sparse = make_pipeline(preprocessing(), estimator(**SMALL)).fit(frame[:300], y[:300])
    with_dense = make_pipeline(preprocessing(sparse_threshold=0), estimator(**SMALL)).fit(frame[:300], y[:300])
    predict = "predict" if estimator is PrunedEnsembleRegressor else "predict_proba"
    expected = getattr(with_dense, predict)(frame[300:])
    np.testing.assert_allclose(getattr(with_sparse, predict)(frame[300:]), expected, rtol=1e-6, atol=1e-7)
    # The ensemble alone takes any scipy format, as scikit-learn's estimators do.
    rows = preprocessing().fit(frame[:300]).transform(frame[300:])
    ensemble = with_sparse[-1]
    np.testing.assert_allclose(getattr(ensemble, predict)(rows.tocsc()), getattr(ensemble, predict)(rows.toarray()))
    # A saved pipeline checks itself on a probe row when it loads: sparse there too.
    save(with_sparse, tmp_path / "model.epz")
    np.testing.assert_allclose(getattr(load(tmp_path / "model.epz"), predict)(frame[300:]), expected,
                               rtol=1e-6, atol=1e-7)


def test_a_missing_value_in_any_sparse_format_is_refused_as_in_a_dense_x():
    X = np.random.default_rng(0).normal(size=(40, 3))
    X[5, 1] = np.nan
    for layout in ("csr", "dok", "lil"):  # scikit-learn checks DOK and LIL for NaN only once made CSR
        with pytest.raises(ValueError, match="Input X contains NaN"):
            PrunedEnsembleRegressor(**SMALL).fit(sparse.csr_matrix(X).asformat(layout), np.ones(40))
