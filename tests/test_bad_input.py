"""Property-based tests: whatever X, y and parameters a user passes, fit and predict
either work and give finite predictions, or raise ValueError/TypeError that says
what to fix — never a raw TensorFlow error."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ensembleprune import PrunedEnsembleRegressor

FAST = dict(n_members=2, sparsities=(0.5,), hidden_layer_sizes=(4,), epochs=2, batch_size=16, random_state=0)
FUZZ = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Messages of errors that a user can act on: the validators of sklearn and of this package.
HELPFUL = (
    "Input", "input", "contains NaN", "infinity", "too large", "sample", "feature", "must be", "got",
    "dtype", "could not convert", "Complex", "complex", "numeric", "at least", "parameter", "dim", "Expected", "diverged", "rescale",
)


def fit_predict_or_clear_error(X, y, X_new=None, **params):
    model = PrunedEnsembleRegressor(**dict(FAST, **params))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
            y_pred = model.predict(X if X_new is None else X_new)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert any(word in message for word in HELPFUL), f"unhelpful error: {message!r}"
        assert "tensorflow" not in type(error).__module__
        return None
    assert np.all(np.isfinite(y_pred)), "a prediction that is not finite was returned"
    return y_pred


finite = st.floats(-1e3, 1e3, allow_nan=False, width=32)
anything = st.floats(allow_nan=True, allow_infinity=True, width=64)


@FUZZ
@given(
    X=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=12), elements=anything),
    y=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=12), elements=anything),
)
def test_any_shapes_and_values(X, y):
    fit_predict_or_clear_error(X, y)


@FUZZ
@given(
    n_samples=st.integers(1, 40),
    n_features=st.integers(1, 6),
    scale=st.sampled_from([1e-30, 1.0, 1e6, 1e20, 1e38, 1e300]),
    constant_y=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_]),
)
def test_finite_inputs_of_any_scale_and_dtype(n_samples, n_features, scale, constant_y, dtype):
    rng = np.random.default_rng(n_samples * 7 + n_features)
    X = rng.normal(size=(n_samples, n_features)) * scale
    if dtype == np.bool_:
        X = X > 0
    else:
        # Saturate inside the type's range: a plain cast would overflow to inf or to arbitrary integers.
        limits = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else np.finfo(dtype)
        X = np.clip(X, np.nextafter(float(limits.min), 0), np.nextafter(float(limits.max), 0)).astype(dtype)
    y = np.full(n_samples, 3.0) if constant_y else rng.normal(size=n_samples) * scale
    fit_predict_or_clear_error(X, y)


@FUZZ
@given(n_features=st.integers(1, 8).filter(lambda n: n != 3))
def test_wrong_feature_count_at_predict(n_features):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), rng.normal(size=30)
    model = PrunedEnsembleRegressor(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(rng.normal(size=(5, n_features)))


@FUZZ
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "n_members": st.integers(-2, 3),
            "sparsities": st.lists(st.floats(-1, 2), max_size=3),
            "hidden_layer_sizes": st.lists(st.integers(-2, 5), max_size=3),
            "epochs": st.integers(-1, 3),
            "batch_size": st.integers(-1, 40),
            "learning_rate": st.floats(-1, 1),
            "initial_sparsity": st.floats(-0.5, 1.5),
            "pruning_start": st.floats(-0.5, 1.5),
            "pruning_end": st.floats(-0.5, 1.5),
            "combine": st.sampled_from(["mean", "median", "stack", "vote", ""]),
            "activation": st.sampled_from(["relu", "tanh", "swish"]),
        },
    )
)
def test_out_of_range_parameters(params):
    rng = np.random.default_rng(1)
    fit_predict_or_clear_error(rng.normal(size=(40, 3)), rng.normal(size=40), cv=2, **params)


@pytest.mark.parametrize(
    "X, y",
    [
        (np.array([["a", "b"], ["c", "d"]]), [1.0, 2.0]),
        (np.ones((3, 2), dtype=complex), [1.0, 2.0, 3.0]),
        (np.ones((3, 2)), ["x", "y", "z"]),
        ([[1, 2], [3]], [1, 2]),
        (None, [1.0]),
    ],
)
def test_non_numeric_input_is_refused(X, y):
    with pytest.raises((ValueError, TypeError)):
        PrunedEnsembleRegressor(**FAST).fit(X, y)
