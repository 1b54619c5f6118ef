"""How member predictions become the ensemble's: greedy selection and convex stacking weights.

Both combiners are fitted on predictions the members did not train on (held-out
rows for selection, out-of-fold rows for stacking), and both give weights that
are non-negative and sum to one: the combined prediction is a weighted mean of
the members', so it can never leave the range the members span, whatever the
members' errors on the rows it was fitted on. :func:`paired_difference` then
says whether the selection beats the linear member by more than noise (the
one-standard-error rule of ``linear_member="prefer"``).
"""

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from sklearn.linear_model import LinearRegression


def squared_errors(average, y):
    """Each row's squared error of ``average`` (the mean over outputs): shape (n_samples,)."""
    return np.mean((average - y) ** 2, axis=1)


def squared_error(average, y, sample_weight=None):
    """The (weighted) mean squared error of ``average``: greedy selection's loss for regression."""
    return float(np.average(squared_errors(average, y), weights=sample_weight))


def effective_rows(sample_weight):
    """Kish's effective number of rows of weights ``sample_weight``: ``sum(w) ** 2 / sum(w ** 2)``."""
    weights = np.asarray(sample_weight, dtype=np.float64)
    return float(weights.sum() ** 2 / np.sum(weights**2))


def paired_difference(losses, reference_losses, sample_weight=None):
    """The mean of ``losses - reference_losses`` over the rows, and its standard error.

    Two models scored on the same rows: the row-by-row differences cancel
    what the rows share (hard rows are hard for both), so their spread is
    what the comparison is uncertain by. With weights, the standard error
    counts Kish's effective number of rows, ``sum(w) ** 2 / sum(w ** 2)``.

    Parameters
    ----------
    losses, reference_losses : ndarray of shape (n_samples,)
        Each row's loss under the two models.
    sample_weight : ndarray of shape (n_samples,), default=None

    Returns
    -------
    difference : float
        Positive when ``losses`` are higher on average.
    standard_error : float
        ``inf`` for fewer than two rows (of positive weight).
    """
    differences = np.asarray(losses, dtype=np.float64) - np.asarray(reference_losses, dtype=np.float64)
    weights = np.ones(len(differences)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    difference = float(np.average(differences, weights=weights))
    n_effective = effective_rows(weights)
    if n_effective <= 1:
        return difference, float("inf")
    variance = np.average((differences - difference) ** 2, weights=weights) * n_effective / (n_effective - 1)
    return difference, float(np.sqrt(variance / n_effective))


def greedy_selection(predictions, y, n_rounds=25, loss=squared_error, sample_weight=None, n_bags=1,
                     random_state=0):
    """Member weights by greedy ensemble selection with replacement (Caruana et al., ICML 2004).

    Each round adds to the ensemble the member (again, possibly) whose addition
    gives the lowest ``loss`` of the running average; a member's weight is the
    fraction of rounds that chose it. With ``n_bags > 1`` the weights are the
    mean of those selected on ``n_bags`` bootstrap resamples of the rows: on a
    small hold-out a single selection follows the noise of a few rows, and the
    mean over resamples keeps the members that win on most of them.

    Parameters
    ----------
    predictions : ndarray of shape (n_members, n_samples, n_outputs)
        The members' predictions on held-out rows.
    y : ndarray of shape (n_samples, n_outputs)
    n_rounds : int, default=25
    loss : callable, default=squared_error
        ``loss(average, y, sample_weight)``, lower is better: the mean squared
        error, or the log-loss of averaged probabilities for a classifier.
    sample_weight : ndarray of shape (n_samples,), default=None
    n_bags : int, default=1
    random_state : int, default=0
        Seeds the resamples.

    Returns
    -------
    weights : ndarray of shape (n_members,), non-negative, summing to one.
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(predictions.shape[1], -1)
    if n_bags > 1:
        rng = np.random.default_rng(random_state)
        bags = [rng.integers(0, len(y), len(y)) for _ in range(n_bags)]
        return np.mean([
            greedy_selection(predictions[:, rows], y[rows], n_rounds, loss,
                             None if sample_weight is None else sample_weight[rows])
            for rows in bags
        ], axis=0)
    counts = np.zeros(len(predictions))
    total = np.zeros_like(predictions[0])
    for round_ in range(n_rounds):
        errors = [loss((total + p) / (round_ + 1), y, sample_weight) for p in predictions]
        best = int(np.argmin(errors))
        counts[best] += 1
        total += predictions[best]
    return counts / counts.sum()


def convex_weights(predictions, y, sample_weight=None):
    """The weights ``w >= 0, sum(w) = 1`` that minimize ``|predictions @ w - y|^2``.

    Parameters
    ----------
    predictions : ndarray of shape (n_samples, n_members)
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,), default=None
        Weighs each row's squared error.
    """
    root = 1.0 if sample_weight is None else np.sqrt(np.asarray(sample_weight, dtype=np.float64))
    predictions = np.asarray(predictions, dtype=np.float64) * np.reshape(root, (-1, 1))
    y = np.asarray(y, dtype=np.float64) * root
    n_members = predictions.shape[1]
    # Scaled by the rows, so that the solver's tolerance means the same at any size.
    gram = predictions.T @ predictions / len(y)
    target = predictions.T @ y / len(y)
    result = minimize(
        lambda w: w @ gram @ w - 2 * target @ w,
        np.full(n_members, 1.0 / n_members),
        jac=lambda w: 2 * (gram @ w - target),
        bounds=[(0.0, 1.0)] * n_members,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(n_members)}],
        method="SLSQP",
    )
    weights = np.clip(result.x, 0.0, None)
    return weights / weights.sum()


def convex_meta_learner(predictions, y, sample_weight=None):
    """A ``LinearRegression`` without intercept whose coefficients are :func:`convex_weights`.

    Stored as scikit-learn's own class, it predicts, pickles and is written to
    model files like any linear meta-learner.
    """
    learner = LinearRegression(fit_intercept=False)
    learner.coef_ = convex_weights(predictions, y, sample_weight)
    learner.intercept_ = 0.0
    learner.n_features_in_ = learner.coef_.size
    return learner


def ridge_member(X, Y, rows, sample_weight=None, alpha=None, block_rows=4096):
    """A dense linear model of ``Y`` on ``X`` (ridge) fitted on ``rows``, its penalty chosen by leave-one-out.

    Offered to greedy selection beside the pruned members, it lets the data say
    when the target is (nearly) linear, where networks trained by Adam stop
    short of the least-squares fit. As :class:`~sklearn.linear_model.RidgeCV`
    does, the penalty minimizes the exact leave-one-out error on ``rows``, so it
    uses every row rather than a small hold-out. Fitted from the Gram matrix,
    a block of rows at a time, so that ``X`` is never copied: memory grows with
    ``n_features ** 2``, time with ``n_samples * n_features ** 2``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    rows : ndarray of int
        The rows to fit on.
    sample_weight : ndarray of shape (n_samples,), default=None
    alpha : float, default=None
        The penalty; None chooses it.

    Returns
    -------
    model : CompactMLP with one linear layer
    alpha : float, the penalty used
    """
    from .compact import CompactMLP

    rows = np.asarray(rows)
    weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    blocks = [rows[start : start + block_rows] for start in range(0, len(rows), block_rows)]
    total = weights[rows].sum()
    x_mean = sum(weights[block] @ X[block].astype(np.float64) for block in blocks) / total
    y_mean = weights[rows] @ Y[rows] / total
    gram = np.zeros((X.shape[1], X.shape[1]))
    cross = np.zeros((X.shape[1], Y.shape[1]))
    for block in blocks:
        centered = X[block].astype(np.float64) - x_mean
        gram += (centered * weights[block, None]).T @ centered
        cross += (centered * weights[block, None]).T @ (Y[block] - y_mean)
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    eigenvalues = np.maximum(eigenvalues, 0)
    projected = eigenvectors.T @ cross
    if alpha is None:
        fit = (x_mean, y_mean, eigenvalues, eigenvectors, projected, total)
        alpha = _leave_one_out_penalty(X, Y, weights, blocks, fit)
    coef = eigenvectors @ (projected / (eigenvalues + alpha)[:, None])
    return CompactMLP.from_weights([coef], [y_mean - x_mean @ coef], ["linear"]), float(alpha)


def _leave_one_out_penalty(X, Y, weights, blocks, fit):
    """The ridge penalty of least leave-one-out error: the best of a grid, then refined between its neighbours.

    The grid is relative to the mean eigenvalue of the Gram matrix, so that it
    fits any scaling of ``X``. Its points are half a decade apart, where the
    error can still change in the third digit of R², so the minimum is then
    sought in log-penalty between the best point's two neighbours.
    """
    eigenvalues = fit[2]
    alphas = max(eigenvalues.mean(), np.finfo(float).tiny) * np.logspace(-8, 1, 19)
    errors = _leave_one_out_errors(X, Y, weights, blocks, fit, alphas)
    best = int(np.argmin(errors))
    bounds = np.log(alphas[[max(best - 1, 0), min(best + 1, len(alphas) - 1)]])
    refined = minimize_scalar(
        lambda log_alpha: _leave_one_out_errors(X, Y, weights, blocks, fit, np.exp([log_alpha]))[0],
        bounds=tuple(bounds), method="bounded", options={"xatol": 1e-2},
    )
    # The bounded search does not evaluate the ends: keep the grid's point unless it found lower.
    return float(np.exp(refined.x)) if refined.fun < errors[best] else float(alphas[best])


def _leave_one_out_errors(X, Y, weights, blocks, fit, alphas):
    """Weighted mean squared leave-one-out error of ridge for each of ``alphas``: residual / (1 - leverage)."""
    x_mean, y_mean, eigenvalues, eigenvectors, projected, total = fit
    errors = np.zeros(len(alphas))
    for block in blocks:
        rotated = (X[block].astype(np.float64) - x_mean) @ eigenvectors
        targets = Y[block] - y_mean
        for k, alpha in enumerate(alphas):
            shrink = 1.0 / (eigenvalues + alpha)
            residuals = targets - rotated @ (projected * shrink[:, None])
            # The unpenalized intercept adds w / sum(w) to a row's leverage.
            leverage = weights[block] * (1.0 / total + (rotated**2) @ shrink)
            loo = residuals / np.maximum(1.0 - leverage, 1e-12)[:, None]
            errors[k] += weights[block] @ np.sum(loo**2, axis=1)
    return errors / total
