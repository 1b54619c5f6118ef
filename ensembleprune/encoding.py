"""input_encoding="auto": the piecewise-linear encoding of numeric features that network members read.

Each feature ``x`` with more than two distinct values is cut at its quantiles
into bins ``[b_{t-1}, b_t]``, and each bin adds the column
``clip((x - b_{t-1}) / (b_t - b_{t-1}), 0, 1)`` beside the features as given
(Gorishniy, Rubachev and Babenko, "On embeddings for numerical features in
tabular deep learning", NeurIPS 2022). A network then reads a step or a bend
at a quantile of one feature from one weight, which plain ReLU units reach
only by training their biases there; trees read such thresholds natively,
which is much of their lead on tables of few features. It also adds inputs
that encode noise where most features are noise, and capacity that a table of
a hundred rows overfits: the estimator's members read it by turns
(``MemberSpec.input_columns``), and the combiner weighs both kinds.

The encoding is a dict of three flat arrays, one entry per added column:
``features`` (the feature it encodes), ``scale`` and ``offset`` (float32), so
that the column is ``clip(x[features] * scale + offset, 0, 1)``. Plain arrays
keep it in the model file without pickle and in the ONNX graph as four nodes.
"""

import numpy as np

# Quantile bins per feature at most. Gorishniy et al. tune it per data set (up to 64 or more). 32 since session
# 24, 8 before (the only two values tried): real tables whose target turns along one feature gained most
# (randhie, modechoice, a yearly series), smooth generated targets lost a little (hastie's log-loss about
# 0.013) (docs/performance.md, "Piecewise-linear encoding" and "32 bins per feature").
MAX_BINS = 32
# Added columns at most: a table of many features gets fewer bins per feature, and none past MAX_COLUMNS / 2
# features (256). It keeps the first layer's kernel of a default member (256 units) within twice the size
# of its 256 x 256 hidden layer; wide tables are left to whole-feature input pruning instead.
MAX_COLUMNS = 512
KEYS = ("features", "scale", "offset")


def bins_per_feature(n_features, max_bins=MAX_BINS, max_columns=MAX_COLUMNS):
    """How many quantile bins each feature gets: ``min(max_bins, max_columns // n_features)``; under 2, none."""
    n_bins = min(max_bins, max_columns // max(n_features, 1))
    return n_bins if n_bins >= 2 else 0


def fit_encoding(X, max_bins=MAX_BINS):
    """The piecewise-linear encoding of ``X``'s columns, or None where no column is encoded.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    max_bins : int, default=MAX_BINS
        Quantile bins per feature at most (fewer where ``MAX_COLUMNS`` would be
        passed, or the column has fewer distinct values).

    Returns
    -------
    dict of ``KEYS`` to 1-D arrays (int64, float32, float32) of one entry per added column, or None
    """
    n_bins = bins_per_feature(X.shape[1], max_bins)
    features, scales, offsets = [], [], []
    for j in range(X.shape[1] if n_bins else 0):
        # Edges at values of the column (a binary column has two, not interpolated ones between them), in
        # float32, the precision the members compute in, so that no bin is narrower than it can tell.
        quantiles = np.quantile(X[:, j], np.linspace(0, 1, n_bins + 1), method="inverted_cdf")
        edges = np.unique(quantiles.astype(np.float32))
        if len(edges) < 3:  # a single bin, from two distinct edges, would repeat the column itself
            continue
        low, width = edges[:-1].astype(np.float64), np.diff(edges).astype(np.float64)
        features.append(np.full(len(width), j))
        scales.append(1 / width)
        offsets.append(-low / width)
    if not features:
        return None
    scale, offset = np.concatenate(scales).astype(np.float32), np.concatenate(offsets).astype(np.float32)
    keep = np.isfinite(scale) & np.isfinite(offset)  # a bin too narrow for float32's range is dropped
    if not keep.any():
        return None
    return {"features": np.concatenate(features)[keep].astype(np.int64), "scale": scale[keep], "offset": offset[keep]}


def encoded_width(n_features, encoding):
    """How many columns the members read: the features, then one per bin of ``encoding``."""
    return n_features + (0 if encoding is None else len(encoding["features"]))


def encode(X, encoding, features=None):
    """``X`` with its encoded columns beside it: the members' inputs. ``encoding`` None returns ``X``.

    The added columns are computed in float32, as the members and the ONNX graph compute them.
    ``features``, of ``X``'s shape, stands in for ``X`` before them (the estimator's standardized features).
    """
    features = X if features is None else features
    if encoding is None:
        return features
    with np.errstate(over="ignore"):  # values far past the last bin overflow float32 to inf, which clips to 1
        columns = X[:, encoding["features"]].astype(np.float32) * encoding["scale"] + encoding["offset"]
    return np.hstack([features, np.clip(columns, 0, 1, out=columns)])


def check_encoding(encoding, n_features):
    """Refuse an encoding that :func:`fit_encoding` would not write for ``n_features`` features (ValueError)."""
    if encoding is None:
        return
    if not isinstance(encoding, dict) or set(encoding) != set(KEYS):
        raise ValueError(f"input_encoding_ must be None or a dict of {KEYS}")
    features, scale, offset = (encoding[key] for key in KEYS)
    if not all(isinstance(a, np.ndarray) and a.ndim == 1 and a.shape == features.shape and a.size for a in
               (features, scale, offset)):
        raise ValueError("input_encoding_ must hold three non-empty 1-D arrays of one length")
    if features.dtype != np.int64 or np.any(features < 0) or np.any(features >= n_features):
        raise ValueError(f"input_encoding_ features must be int64 indices in [0, {n_features})")
    if scale.dtype != np.float32 or offset.dtype != np.float32 or not (
            np.all(np.isfinite(scale)) and np.all(np.isfinite(offset))):
        raise ValueError("input_encoding_ scale and offset must be finite float32")
