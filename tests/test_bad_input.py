"""Property-based tests: whatever X, y and parameters a user passes, fit and predict
either work and give finite predictions, or raise ValueError/TypeError whose message
names what to fix (the parameter, or the offending value) — never a raw TensorFlow error."""

import functools
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ensembleprune import PrunedEnsembleClassifier, PrunedEnsembleRegressor

FAST = dict(combine="mean", early_stopping=False, n_members=2, sparsities=(0.5,), hidden_layer_sizes=(4,), epochs=2, batch_size=16, random_state=0)
FUZZ = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# PruningSchedule checks the estimator's pruning_* parameters and its messages use
# its own names for them: "begin=0.95, end=1.0".
SCHEDULE_NAMES = {"pruning_start": "begin=", "pruning_end": "end=", "pruning_frequency": "frequency="}


def fit_and_predict(X, y, **params):
    """Fit on ``(X, y)`` and predict ``X``: None when that works, else the ValueError or TypeError raised."""
    model = PrunedEnsembleRegressor(**dict(FAST, **params))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
            y_pred = model.predict(X)
    except (ValueError, TypeError) as error:
        assert "tensorflow" not in type(error).__module__, f"a raw TensorFlow error: {error!r}"
        return error
    assert np.all(np.isfinite(y_pred)), "a prediction that is not finite was returned"
    return None


def assert_names_one_of(error, names):
    """Assert that the message of ``error`` holds one of ``names`` as a whole word ("X" is not in "XLA")."""
    message = str(error)
    for name in names:
        whole_word = re.match(r"\w", name[-1]) is not None
        if re.search(rf"(?<!\w){re.escape(name)}" + (r"(?!\w)" if whole_word else ""), message):
            return
    raise AssertionError(f"the error names none of {sorted(names)}: {type(error).__name__}: {message!r}")


finite = st.floats(-1e3, 1e3, allow_nan=False, width=32)
anything = st.floats(allow_nan=True, allow_infinity=True, width=64)


@FUZZ
@given(
    X=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=12), elements=anything),
    y=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=12), elements=anything),
)
def test_any_shapes_and_values(X, y):
    error = fit_and_predict(X, y)
    if error is not None:
        # scikit-learn's shape checks name no parameter, but show the offending
        # shape, number of dimensions or numbers of samples.
        clues = ["X", "y", str(X.shape), str(y.shape), f"{X.ndim}D array", f"dim {X.ndim}", f"[{len(X)}, {len(y)}]"]
        assert_names_one_of(error, clues)


@pytest.mark.slow
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
    error = fit_and_predict(X, y)
    if error is not None:  # values too large for float32, or a member that diverged on them
        assert_names_one_of(error, ["X", "y"])


@functools.cache
def _fitted_on_three_features():
    # One fit for every example: predict leaves the model as it was (check_dict_unchanged, tests/test_sklearn_checks.py).
    rng = np.random.default_rng(0)
    return PrunedEnsembleRegressor(**FAST).fit(rng.normal(size=(30, 3)), rng.normal(size=30))


@pytest.mark.slow
@FUZZ
@given(n_features=st.integers(1, 8).filter(lambda n: n != 3))
def test_wrong_feature_count_at_predict(n_features):
    rng = np.random.default_rng(0)
    model = _fitted_on_three_features()
    with pytest.raises(ValueError, match=rf"\bX has {n_features} features?\b.*\b3 features"):
        model.predict(rng.normal(size=(5, n_features)))


@pytest.mark.slow
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
    error = fit_and_predict(rng.normal(size=(40, 3)), rng.normal(size=40), cv=2, **params)
    if error is not None:
        # One of the parameters set here is out of range, or two disagree: the message names it.
        assert_names_one_of(error, set(params) | {SCHEDULE_NAMES[name] for name in params if name in SCHEDULE_NAMES})


@pytest.mark.parametrize(
    "X, y, offending",
    [
        (np.array([["a", "1.5"], ["c", "2"]]), [1.0, 2.0], "columns that are not numbers: 0[.] Encode them"),
        (np.ones((3, 2), dtype=complex), [1.0, 2.0, 3.0], "Complex data not supported"),
        (np.ones((3, 2)), ["x", "y", "z"], "y holds strings.*PrunedEnsembleClassifier"),
        # scikit-learn's messages for these two name neither X nor a value, only what is wrong with it.
        ([[1, 2], [3]], [1, 2], "inhomogeneous shape"),
        (None, [1.0], "got scalar array"),
    ],
)
def test_non_numeric_input_is_refused(X, y, offending):
    with pytest.raises((ValueError, TypeError), match=offending):
        PrunedEnsembleRegressor(**FAST).fit(X, y)


@pytest.mark.parametrize("estimator", [PrunedEnsembleRegressor, PrunedEnsembleClassifier])
def test_text_columns_are_named_with_how_to_encode_them(estimator):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "colour": ["red", "blue", "red", "green"],
                      "city": pd.Categorical(["a", "b", "a", "b"]), "flag": [True, False, True, False]})
    with pytest.raises(ValueError, match=r"not numbers: colour, city\. .*OneHotEncoder") as caught:
        estimator(**FAST).fit(X, [0, 1, 0, 1])
    assert "size" not in str(caught.value) and "flag" not in str(caught.value)
    fitted = estimator(**FAST).fit(X[["size", "flag"]], [0, 1, 0, 1])
    with pytest.raises(ValueError, match="not numbers: size"):  # at predict too
        fitted.predict(X[["size", "flag"]].assign(size=["big", "small", "big", "small"]))
