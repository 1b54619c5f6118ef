"""How member predictions become the ensemble's: greedy selection and convex stacking weights.

Both combiners are fitted on predictions the members did not train on (held-out
rows for selection, out-of-fold rows for stacking), and both give weights that
are non-negative and sum to one: the combined prediction is a weighted mean of
the members', so it can never leave the range the members span, whatever the
members' errors on the rows it was fitted on.
"""

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LinearRegression


def greedy_selection(predictions, y, n_rounds=25):
    """Member weights by greedy ensemble selection with replacement (Caruana et al., ICML 2004).

    Each round adds to the ensemble the member (again, possibly) whose addition
    gives the lowest mean squared error of the running average; a member's
    weight is the fraction of rounds that chose it.

    Parameters
    ----------
    predictions : ndarray of shape (n_members, n_samples, n_outputs)
        The members' predictions on held-out rows.
    y : ndarray of shape (n_samples, n_outputs)
    n_rounds : int, default=25

    Returns
    -------
    weights : ndarray of shape (n_members,), non-negative, summing to one.
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(predictions.shape[1], -1)
    counts = np.zeros(len(predictions))
    total = np.zeros_like(y)
    for round_ in range(n_rounds):
        errors = [np.mean(((total + p) / (round_ + 1) - y) ** 2) for p in predictions]
        best = int(np.argmin(errors))
        counts[best] += 1
        total += predictions[best]
    return counts / counts.sum()


def convex_weights(predictions, y):
    """The weights ``w >= 0, sum(w) = 1`` that minimize ``|predictions @ w - y|^2``.

    Parameters
    ----------
    predictions : ndarray of shape (n_samples, n_members)
    y : ndarray of shape (n_samples,)
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
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


def convex_meta_learner(predictions, y):
    """A ``LinearRegression`` without intercept whose coefficients are :func:`convex_weights`.

    Stored as scikit-learn's own class, it predicts, pickles and is written to
    model files like any linear meta-learner.
    """
    learner = LinearRegression(fit_intercept=False)
    learner.coef_ = convex_weights(predictions, y)
    learner.intercept_ = 0.0
    learner.n_features_in_ = learner.coef_.size
    return learner


def ridge_member(X, Y, train_rows, validation_rows, block_rows=4096):
    """A dense linear model of ``Y`` on ``X`` (ridge), its penalty chosen on the validation rows.

    Offered to greedy selection beside the pruned members, it lets the data say
    when the target is (nearly) linear, where networks trained by Adam stop
    short of the least-squares fit. Fitted from the Gram matrix, accumulated a
    block of rows at a time, so that it never copies ``X``: memory grows with
    ``n_features ** 2``, time with ``n_samples * n_features ** 2``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    train_rows, validation_rows : ndarray of int
        Rows to fit on and rows to choose the penalty on.

    Returns
    -------
    CompactMLP with one linear layer.
    """
    from .compact import CompactMLP

    n_features = X.shape[1]
    x_mean = np.zeros(n_features)
    for start in range(0, len(train_rows), block_rows):
        x_mean += X[train_rows[start : start + block_rows]].sum(axis=0, dtype=np.float64)
    x_mean /= len(train_rows)
    y_mean = Y[train_rows].mean(axis=0)
    gram = np.zeros((n_features, n_features))
    cross = np.zeros((n_features, Y.shape[1]))
    for start in range(0, len(train_rows), block_rows):
        rows = train_rows[start : start + block_rows]
        centered = X[rows].astype(np.float64) - x_mean
        gram += centered.T @ centered
        cross += centered.T @ (Y[rows] - y_mean)
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    projected = eigenvectors.T @ cross
    X_val = X[validation_rows].astype(np.float64) - x_mean
    Y_val = Y[validation_rows] - y_mean
    # Penalties relative to the mean eigenvalue, so that the grid fits any scaling of X.
    scale = max(eigenvalues.mean(), np.finfo(float).tiny)
    best = None
    for alpha in scale * np.logspace(-8, 1, 19):
        coef = eigenvectors @ (projected / (np.maximum(eigenvalues, 0) + alpha)[:, None])
        error = np.mean((X_val @ coef - Y_val) ** 2)
        if best is None or error < best[0]:
            best = (error, coef)
    coef = best[1]
    return CompactMLP.from_weights([coef], [y_mean - x_mean @ coef], ["linear"])
