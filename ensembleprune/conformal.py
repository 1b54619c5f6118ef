"""Conformal prediction intervals: conformity scores on calibration rows, half-widths on new rows.

:class:`~ensembleprune.PrunedEnsembleRegressor` keeps, for each calibration
row, the absolute residual ``|y - ŷ|`` of its prediction and the spread (the
standard deviation) of its members' predictions there. An interval of
confidence ``c`` around a new prediction is ``ŷ ± q`` with ``q`` the
``⌈(n + 1) c⌉``-th smallest of the ``n`` conformity scores: under
exchangeability of the calibration and new rows it covers the truth with
probability at least ``c`` (split conformal prediction; Vovk et al., 2005;
Lei et al., 2018). Normalized scores ``|y - ŷ| / (σ + ε)``, with ``σ`` the
members' spread, give ``ŷ ± q (σ + ε)``: wider where the members disagree,
with the same guarantee (Papadopoulos et al., 2008).

The functions work on arrays of shape (n_rows, n_outputs), one column per
output, all in the units of ``y``.
"""

import math
import numbers
import warnings

import numpy as np
from sklearn.utils import check_random_state

SCORES = ("absolute", "normalized")
# Normalized scores divide by sigma + epsilon with epsilon this fraction of the median calibration spread:
# large enough that rows where the members happen to agree do not get scores (and test rows widths) near
# 0 or infinity, small enough that the spread still shapes the intervals.
SPREAD_OFFSET_FRACTION = 0.1


def check_confidence(confidence):
    """``confidence`` as a float, if it is a number strictly between 0 and 1.

    Raises
    ------
    ValueError
        If it is not, naming what to give instead.
    """
    if isinstance(confidence, (bool, np.bool_)) or not isinstance(confidence, numbers.Real) or not 0 < confidence < 1:
        raise ValueError(
            f"confidence must be a number strictly between 0 and 1, such as 0.9 for a 90% interval; got {confidence!r}"
        )
    return float(confidence)


def calibration_split(n_samples, fraction, random_state):
    """``(train, calibration)``: sorted row indices, ``round(fraction * n_samples)`` rows to calibrate on.

    Raises
    ------
    ValueError
        If that leaves no calibration row or fewer than two training rows.
    """
    n_calibration = int(round(fraction * n_samples))
    if n_calibration < 1 or n_samples - n_calibration < 2:
        raise ValueError(
            f"conformal='split' holds out validation_fraction={fraction} of the {n_samples} rows for calibration, "
            "which leaves no calibration row or too few training rows; give more rows, change "
            "validation_fraction, or use conformal='cv+' with combine='stack'."
        )
    rows = check_random_state(random_state).permutation(n_samples)
    return np.sort(rows[n_calibration:]), np.sort(rows[:n_calibration])


def spread_offset(spreads):
    """The ``ε`` of normalized scores, per output: a tenth of the median calibration spread.

    Where the members never disagree on the calibration rows (a selection
    that kept one member) it is 1, so that normalized scores equal the absolute ones.

    Parameters
    ----------
    spreads : ndarray of shape (n_calibration, n_outputs)

    Returns
    -------
    ndarray of shape (n_outputs,)
    """
    offset = SPREAD_OFFSET_FRACTION * np.median(spreads, axis=0)
    offset = np.where(offset > 0, offset, SPREAD_OFFSET_FRACTION * np.mean(spreads, axis=0))
    return np.where(offset > 0, offset, 1.0)


def conformal_quantile(scores, confidence):
    """The ``⌈(n + 1) confidence⌉``-th smallest of the ``n`` scores of each column.

    Infinite, with a warning, when that rank exceeds ``n``: too few
    calibration rows for this confidence.

    Parameters
    ----------
    scores : ndarray of shape (n_calibration, n_outputs)
    confidence : float in (0, 1)

    Returns
    -------
    ndarray of shape (n_outputs,)
    """
    n = scores.shape[0]
    # Rounded first: (n + 1) * 0.9 is 18.000000000000004 for n = 19, whose ceiling would be one rank too far.
    rank = math.ceil(round((n + 1) * confidence, 9))
    if rank > n:
        warnings.warn(
            f"{n} calibration rows are too few for a {confidence:g} interval (it needs "
            f"{math.ceil(round(confidence / (1 - confidence), 9))} at least): the interval is infinite. Calibrate "
            "on more rows or ask a lower confidence.",
            UserWarning,
            stacklevel=3,
        )
        return np.full(scores.shape[1], np.inf)
    return np.sort(scores, axis=0)[rank - 1]


def half_widths(residuals, spreads, test_spreads, confidence, scores="absolute"):
    """Half-widths of the conformal intervals around predictions on new rows.

    Parameters
    ----------
    residuals : ndarray of shape (n_calibration, n_outputs)
        ``|y - ŷ|`` on the calibration rows.
    spreads : ndarray of shape (n_calibration, n_outputs)
        The members' spread (standard deviation) on the calibration rows.
    test_spreads : ndarray of shape (n_samples, n_outputs)
        The members' spread on the new rows.
    confidence : float in (0, 1)
    scores : {"absolute", "normalized"}, default="absolute"
        ``"absolute"``: the same half-width for every row. ``"normalized"``:
        proportional to the members' spread plus :func:`spread_offset`.

    Returns
    -------
    ndarray of shape (n_samples, n_outputs)
    """
    confidence = check_confidence(confidence)
    if scores == "absolute":
        return np.broadcast_to(conformal_quantile(residuals, confidence), test_spreads.shape).copy()
    if scores != "normalized":
        raise ValueError(f"scores must be one of {SCORES}, got {scores!r}")
    offset = spread_offset(spreads)
    return conformal_quantile(residuals / (spreads + offset), confidence) * (test_spreads + offset)


def coverage_and_width(y_true, lower, upper):
    """Empirical coverage (fraction of ``y_true`` within ``[lower, upper]``) and mean width, over rows and outputs."""
    y_true, lower, upper = (np.asarray(a, dtype=np.float64) for a in (y_true, lower, upper))
    return {"coverage": float(np.mean((lower <= y_true) & (y_true <= upper))), "mean_width": float(np.mean(upper - lower))}
