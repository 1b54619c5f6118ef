"""What the estimators accept as ``X``, and the standardization their members learn from.

``validate_data`` with an error that names the text columns to encode, sparse
``X`` made dense, values too large for float32 refused, and each column's
(weighted) center and scale, which the members' first layers take in once
fitted.
"""

import numpy as np
from scipy import sparse
from sklearn.utils.validation import validate_data


def feature_standardization(X, sample_weight=None):
    """The ``(center, scale)`` that standardize each column of ``X`` as the members read it.

    Each column's mean and standard deviation, weighted by ``sample_weight``
    as repeated rows would weigh (scale 1 where a column is constant), so that
    the networks and the linear member learn the same from a table whatever
    its units, with or without a ``StandardScaler`` before them: what a scaler
    fitted on the same rows gave comes back as (about) 0 and 1. Indicator
    columns, all 0 or 1 (one-hot, booleans) on the rows of positive weight,
    are read as they are, ``(0, 1)``: they are already on the networks' scale,
    and a rare one standardized would reach ten or more.
    """
    if sample_weight is not None and not np.all(sample_weight > 0):
        X, sample_weight = X[sample_weight > 0], sample_weight[sample_weight > 0]
    indicators = np.all((X == 0) | (X == 1), axis=0)
    center, scale = weighted_mean_and_std(X, sample_weight)
    center[indicators], scale[indicators] = 0.0, 1.0
    return center, np.where(scale > 0, scale, 1.0)


def weighted_mean_and_std(values, sample_weight=None):
    """Each column's mean and standard deviation in float64, weighted as repeated rows would weigh."""
    with np.errstate(over="ignore", invalid="ignore"):
        if sample_weight is None:
            return values.mean(axis=0, dtype=np.float64), values.std(axis=0, dtype=np.float64)
        center = np.average(values, axis=0, weights=sample_weight)  # float64: the weights are
        return center, np.sqrt(np.average((values - center) ** 2, axis=0, weights=sample_weight))


def check_float32_range(values, name):
    # Members train in float32: larger values would become infinite there.
    # max and min rather than abs().max(): no temporary copy of a large X.
    largest = max(abs(float(values.max(initial=0.0))), abs(float(values.min(initial=0.0))))
    if largest > np.finfo(np.float32).max / 1e6:
        raise ValueError(
            f"{name} holds values too large to train on in float32 (largest |value| {largest:.3g}); "
            f"rescale {name}, for example with StandardScaler."
        )


# numpy's dtype kinds of numbers: booleans, integers, unsigned integers, floats, complex.
_NUMBER_KINDS = "biufc"


def _text_columns(X):
    """The columns of ``X`` that hold no numbers (names for a DataFrame, indices otherwise), to name in an error."""
    dtypes = getattr(X, "dtypes", None)
    if hasattr(dtypes, "items"):  # a DataFrame: text, categories and dates have no numeric dtype kind
        return [str(name) for name, dtype in dtypes.items() if getattr(dtype, "kind", "O") not in _NUMBER_KINDS]
    try:
        array = np.asarray(X)
    except ValueError:  # ragged rows: validation's own message says so
        return []
    if array.ndim != 2 or array.dtype.kind in _NUMBER_KINDS:  # complex numbers get validation's own message
        return []
    columns = []
    for j in range(array.shape[1]):
        try:
            array[:, j].astype(np.float64)
        except (TypeError, ValueError):
            columns.append(str(j))
    return columns


def validated_X(estimator, X, y="no_validation", **checks):
    """scikit-learn's ``validate_data``, whose error on text names the columns to encode and how.

    A sparse ``X`` (``OneHotEncoder``'s output, and ``ColumnTransformer``'s
    where most of its columns are one-hot) comes back as the dense array it
    stands for: the members are dense networks, trained by Keras and run by
    the compact runtime on dense rows.
    """
    try:
        # Other sparse formats become CSR first: scikit-learn cannot check DOK or LIL for NaN and infinity.
        validated = validate_data(estimator, X, y, accept_sparse=("csr", "csc", "coo"),
                                  dtype=[np.float64, np.float32], **checks)
    except ValueError as error:
        columns = _text_columns(X)
        if not columns:
            raise
        shown = ", ".join(columns[:10]) + (f" and {len(columns) - 10} more" if len(columns) > 10 else "")
        raise ValueError(
            f"X holds columns that are not numbers: {shown}. Encode them before the ensemble, e.g. "
            "make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown='ignore'), text_columns), "
            "remainder=StandardScaler()), estimator)."
        ) from error
    if isinstance(validated, tuple):
        return (_dense(validated[0]), *validated[1:])
    return _dense(validated)


def _dense(X):
    return X.toarray() if sparse.issparse(X) else X
