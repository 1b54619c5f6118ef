"""The tables of benchmarks/bench_small_tables.py load as the models need them."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import bench_small_tables  # noqa: E402

BENCH_EXTRA = {"statsmodels", "vega_datasets", "plotly"}


def test_lagged_pairs_each_value_with_the_values_before_it():
    X, y = bench_small_tables._lagged(np.arange(10.0) ** 2, 3)
    assert X.shape == (7, 3) and y.shape == (7,)
    np.testing.assert_array_equal(X[0], [0, 1, 4])
    np.testing.assert_array_equal(y[:2], [9, 16])
    np.testing.assert_array_equal(X[-1], [36, 49, 64])


@pytest.mark.parametrize("kind, name", [(kind, name) for kind, tables in
                                        (("regression", bench_small_tables.REGRESSION),
                                         ("classification", bench_small_tables.CLASSIFICATION))
                                        for name in tables])
def test_every_table_loads_as_finite_rows_with_one_target_each(kind, name):
    tables = bench_small_tables.REGRESSION if kind == "regression" else bench_small_tables.CLASSIFICATION
    try:
        X, y = tables[name]()
    except ModuleNotFoundError as error:  # the real tables read the files of the bench extra's packages
        package = (error.name or "").split(".")[0]
        if package not in BENCH_EXTRA:
            raise
        pytest.skip(f"{package} is not installed (pip install -e '.[bench]')")
    X, y = np.asarray(X, float), np.asarray(y)
    assert X.ndim == 2 and y.shape == (X.shape[0],) and X.shape[0] >= 12
    assert np.isfinite(X).all() and (kind == "classification" or np.isfinite(y.astype(float)).all())
    if kind == "classification":
        assert np.unique(y).size >= 2
