"""The inference benchmark's parity check compares the compact members with the tf_keras models they came from."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
import bench_inference  # noqa: E402


def test_compact_members_match_the_keras_members_they_were_stripped_from():
    rng = np.random.default_rng(0)
    # Columns in units far from 1: the tf_keras members read them standardized, the compact ones as given.
    # Past 256 columns no encoded columns are added, as on the benchmark's 1,000 features.
    X = rng.normal(size=(200, 300)) * np.logspace(-2, 3, 300)
    y = X[:, 0] * 100 + X[:, -1] * 1e-3 + rng.normal(size=200)
    ensemble, keras_members = bench_inference.fit_keeping_keras_members(X, y, hidden=(16,), epochs=2)
    assert len(keras_members) == bench_inference.N_MEMBERS
    assert bench_inference.max_relative_difference_vs_keras(ensemble, keras_members, X, X[:50]) < 1e-5
