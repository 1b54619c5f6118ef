"""A marginal screen of the input features: the ones the target depends on, each tested alone.

Members that prune whole input features rank them by how far training moved
their weights (``_training.MagnitudePruning``). On wide inputs a feature's
weights move only as far as the target *correlates* with it: every hidden
unit mixes hundreds of features, so whether it is active hardly depends on
any one of them, and the gradient of a feature's row is the residual's
correlation with that feature. An effect that is even in the feature (a U
shape about its mean, as ``make_friedman1``'s ``20 (x2 - 0.5)^2``) correlates
with nothing and is pruned with the noise. The screen tests each feature
alone against the target with a one-way analysis of variance across the
feature's quartiles, which sees such effects (nonparametric independence
screening: Fan, Feng and Song, JASA 2011), and keeps the features found at a
false discovery rate of 10% (Benjamini and Hochberg, 1995). Pure
interactions (an XOR) stay invisible to it, as to any test of one feature.
"""

import numpy as np
from scipy import stats

# Quartiles: enough bins for a U shape, few enough that each holds a quarter of the rows.
SCREEN_BINS = 4
SCREEN_FDR = 0.1
# Rows screened at most (evenly spaced beyond): plenty to find an effect that matters.
SCREEN_ROWS = 50_000
# Values screened at a time (rows times columns), to bound the memory of the quartile codes.
_BLOCK_VALUES = 2_000_000


def screened_features(X, y, rows=None):
    """The features whose quartiles differ in the target's mean, most significant first.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples, n_outputs)
        Each output (a class's indicator for a classifier) is tested, and a
        feature's p-value is its smallest over the outputs, times their number.
    rows : array of int, default=None
        The rows of ``X`` to screen (all when None), aligned with ``y``. Of
        more than ``SCREEN_ROWS`` rows, that many evenly spaced are screened.

    Returns
    -------
    array of int: the features that pass at a false discovery rate of
    ``SCREEN_FDR``, in order of increasing p-value (empty when none passes or
    there are too few rows to test).
    """
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    rows = np.arange(len(y)) if rows is None else np.asarray(rows)
    if len(y) > SCREEN_ROWS:
        every = np.linspace(0, len(y) - 1, SCREEN_ROWS).astype(np.int64)
        rows, y = rows[every], y[every]
    n_samples, n_features = len(y), X.shape[1]
    if n_samples <= 2 * SCREEN_BINS:
        return np.array([], dtype=np.int64)
    width = max(1, _BLOCK_VALUES // n_samples)
    p_values = np.concatenate([
        _p_values(np.asarray(X[rows, start:start + width], dtype=np.float64), y)
        for start in range(0, n_features, width)
    ])
    order = np.argsort(p_values, kind="stable")
    passing = np.flatnonzero(p_values[order] <= SCREEN_FDR * np.arange(1, n_features + 1) / n_features)
    return order[: passing[-1] + 1] if passing.size else order[:0]


def _p_values(X, y):
    """Each column's p-value for the one-way ANOVA of ``y``'s columns across its quartiles."""
    n_samples = len(X)
    edges = np.quantile(X, np.linspace(0, 1, SCREEN_BINS + 1)[1:-1], axis=0)
    codes = (X[None, :, :] > edges[:, None, :]).sum(axis=0)
    # A column with fewer distinct values leaves bins empty; they add nothing and count as no group.
    counts = np.stack([(codes == b).sum(axis=0) for b in range(SCREEN_BINS)])
    groups = np.maximum((counts > 0).sum(axis=0), 2)
    p_values = np.ones(X.shape[1])
    for target in y.T:
        centered = target - target.mean()
        total = centered @ centered
        if total == 0:
            continue
        between = sum(((codes == b) * centered[:, None]).sum(axis=0) ** 2 / np.maximum(counts[b], 1)
                      for b in range(SCREEN_BINS))
        within = np.maximum(total - between, 1e-12 * total)
        f = (between / (groups - 1)) / (within / (n_samples - groups))
        p_values = np.minimum(p_values, stats.f.sf(f, groups - 1, n_samples - groups))
    return np.minimum(p_values * y.shape[1], 1.0)
