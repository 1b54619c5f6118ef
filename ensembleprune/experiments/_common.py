"""What the sweep and the robustness report share: the MSE and their argument checks."""

import numbers

import numpy as np

from ..member import check_sparsities as _check_sparsity_range


def mse(y_pred, y_true):
    """Mean squared error over samples and outputs, in float64."""
    residual = np.asarray(y_pred, np.float64).reshape(len(y_true), -1) - np.asarray(y_true, np.float64).reshape(
        len(y_true), -1
    )
    return float(np.mean(residual**2))


def check_sparsities(sparsities):
    """The final sparsities, sorted; each in [0, 1) and distinct in its first 6 decimals."""
    values = sorted({float(v) for v in _check_sparsity_range(sparsities)})
    if len({f"{v:.6f}" for v in values}) != len(values):
        raise ValueError(f"sparsities must differ in their first 6 decimals, got {sparsities!r}")
    return values


def check_seeds(seeds):
    """The seeds as a sorted list of distinct ints in [0, 2**31); an int ``n`` means ``range(n)``."""
    seeds = list(np.atleast_1d(seeds)) if not isinstance(seeds, numbers.Integral) else list(range(seeds))
    if not seeds or not all(isinstance(s, numbers.Integral) and 0 <= s < 2**31 for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of integers in [0, 2**31) or a count, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds!r}")
    return sorted(int(s) for s in seeds)
