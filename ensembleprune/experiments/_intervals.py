"""The prediction intervals of the robustness report: coverage and width on clean and perturbed rows.

The stacked ensemble of the report is calibrated on its out-of-fold
predictions (``conformal="cv+"``); ``interval_scores`` measures the coverage
and mean width of its intervals (absolute and normalized conformity scores) on
the clean test rows and on every perturbation's copies of them, and
``assemble_intervals`` gathers them over seeds for ``robustness.json``. The
calibration rows are clean, so a perturbation breaks the exchangeability that
the coverage guarantee rests on: how far the coverage falls is what the table
shows.
"""

import numpy as np

from ..conformal import SCORES, coverage_and_width, half_widths

INTERVAL_CONFIDENCE = 0.9
# The estimator parameter that calibrates the report's stacked ensemble for intervals.
INTERVAL_PARAMS = {"conformal": "cv+"}


def _scores(model, X, y_true, confidence):
    """Coverage and mean width of ``model``'s intervals on ``X``, for each kind of conformity score."""
    y_pred, y_std = model.predict(X, return_std=True)
    found = {}
    for scores in SCORES:
        width = half_widths(model.calibration_residuals_, model.calibration_spreads_, y_std[:, None], confidence,
                            scores)[:, 0]
        found[scores] = coverage_and_width(y_true, y_pred - width, y_pred + width)
    return found


def interval_scores(model, X_test, y_test, perturbations, confidence=INTERVAL_CONFIDENCE):
    """One seed's interval scores: on the clean rows, and the mean over each perturbation's copies.

    Parameters
    ----------
    model : PrunedEnsembleRegressor
        Fitted with ``conformal`` (one output).
    X_test, y_test : ndarray
    perturbations : Perturbations
    confidence : float, default=0.9

    Returns
    -------
    dict
        ``clean``: ``{scores: {"coverage", "mean_width"}}`` for ``scores`` in
        ("absolute", "normalized"); ``(kind, amount)``: the same, averaged over
        the copies of that perturbation.
    """
    found = {"clean": _scores(model, X_test, y_test, confidence)}
    for key, copies in perturbations.copies(X_test):
        each = [_scores(model, Xp, y_test, confidence) for Xp in copies]
        found[key] = {scores: {metric: float(np.mean([copy[scores][metric] for copy in each]))
                               for metric in ("coverage", "mean_width")} for scores in SCORES}
    return found


def assemble_intervals(per_seed, noise_levels, dropout_fractions, spread, confidence=INTERVAL_CONFIDENCE):
    """The report's ``intervals`` entry: the mean, std and values over seeds of every coverage and width.

    ``spread`` turns a list of values into ``{"mean", "std", "values"}``.
    The result holds ``confidence``, ``calibration``, ``clean`` (``{scores:
    {metric: spread}}``), and ``noise`` and ``dropout`` (``{scores: {metric:
    [spread per level]}}``, with their ``levels`` or ``fractions``).
    """

    def over_seeds(key, scores, metric):
        return spread([seed[key][scores][metric] for seed in per_seed])

    metrics = ("coverage", "mean_width")
    entry = {"confidence": confidence, "model": "stacked ensemble",
             "calibration": "out-of-fold predictions of stacking (conformal='cv+'), clean rows",
             "clean": {s: {m: over_seeds("clean", s, m) for m in metrics} for s in SCORES}}
    for kind, label, values in (("noise", "levels", noise_levels), ("dropout", "fractions", dropout_fractions)):
        entry[kind] = {label: [float(v) for v in values],
                       **{s: {m: [over_seeds((kind, v), s, m) for v in values] for m in metrics} for s in SCORES}}
    return entry
