"""Walking a fitted pipeline at prediction time, for the command line: its ensemble, spread, interval and steps.

Neither a ``Pipeline`` nor a ``TransformedTargetRegressor`` has the ensemble's
``predict_interval``, and the latter passes no ``return_std`` on, so
:func:`predict_std` and :func:`predict_interval` carry the rows through the
preprocessing to the ensemble themselves and map its answer back through each
target scaler.
"""

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from ._pipelines import check_structure, is_pipeline


def final_ensemble(model):
    """The ensemble (or member) that ``model`` ends in."""
    return check_structure(model, TypeError) if is_pipeline(model) else model


def _at_the_ensemble(model, X, ask, unscale):
    """``ask(ensemble, X)``, ``X`` carried to the ensemble; ``unscale(transformer, answer, n_rows)`` maps it back."""
    if type(model) is Pipeline:
        for _, _, step in model._iter(with_final=False):
            X = step.transform(X)
        return _at_the_ensemble(model.steps[-1][1], X, ask, unscale)
    if type(model) is TransformedTargetRegressor:
        return unscale(model.transformer_, _at_the_ensemble(model.regressor_, X, ask, unscale), len(X))
    return ask(model, X)


def predict_std(model, X):
    """The spread of the members' predictions for ``X`` through ``model``, in the units of its predictions.

    A ``TransformedTargetRegressor``'s scaler is affine, so the spread scales by
    its inverse's slope.
    """
    def unscale(transformer, spread, n_rows):
        spread = np.asarray(spread).reshape(n_rows, -1)
        slope = transformer.inverse_transform(np.ones((1, spread.shape[1]))) - \
            transformer.inverse_transform(np.zeros((1, spread.shape[1])))
        return spread * np.abs(slope)

    return _at_the_ensemble(model, X, lambda ensemble, rows: ensemble.predict(rows, return_std=True)[1], unscale)


def predict_interval(model, X, confidence):
    """``(lower, upper)``: the conformal interval of the ensemble at the end of ``model``, in its predictions' units.

    The target scalers a model file allows are affine and increasing, so a
    ``TransformedTargetRegressor`` maps the regressor's bounds to bounds.
    """
    def unscale(transformer, bounds, n_rows):
        return tuple(transformer.inverse_transform(np.reshape(bound, (n_rows, -1))) for bound in bounds)

    return _at_the_ensemble(model, X, lambda ensemble, rows: ensemble.predict_interval(rows, confidence), unscale)


def describe(model):
    """One line of ``model``'s steps, for ``ensembleprune inspect``."""
    if type(model) is Pipeline:
        return " -> ".join(f"{name}: {describe(step)}" for name, step in model.steps)
    if type(model) is TransformedTargetRegressor:
        target = type(model.transformer_).__name__
        return f"TransformedTargetRegressor(target by {target}, {describe(model.regressor_)})"
    if type(model) is ColumnTransformer:
        parts = [f"{name} {describe(part)} on {columns.tolist() if isinstance(columns, np.ndarray) else columns}"
                 for name, part, columns in model.transformers_]
        return f"ColumnTransformer({'; '.join(parts)})"
    if type(model) is FunctionTransformer and model.func is None:
        return "passthrough"
    return model if isinstance(model, str) else type(model).__name__
