import numpy as np
import pytest


@pytest.fixture(scope="session")
def tiny_regression():
    """A small nonlinear regression: 300 rows, 12 features, 4 of them informative."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 12))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * X[:, 3] + 0.05 * rng.normal(size=300)
    return X, y
