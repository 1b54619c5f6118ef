"""What a fitted pipeline takes as input: what each column must hold, and the probe row built from that.

:func:`column_needs` tells the command line what each input column must hold
(a number, a known category, whether it may be missing), read from the fitted
preprocessing. The probe row that a model file stores with a pipeline is built
from the same walk: :func:`make_probe` when saving, :func:`check_probe` when
loading (see ``_pipelines.py``).
"""

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from . import _codec as _file
from ._archive import InvalidModelFileError
from ._pipelines import ENCODERS, SCALERS, check_structure

# ---------------------------------------------------------------- what each input column must hold


@dataclass(frozen=True)
class ColumnNeed:
    """What a model needs in one input column: used at all, a number, may it be missing, which values."""

    used: bool = True
    numeric: bool = True
    missing_ok: bool = False
    categories: tuple = None  # the values the model knows, if it encodes them
    unknown_ok: bool = True  # whether a value outside ``categories`` is allowed
    example: object = 0.0


NUMBER = ColumnNeed()


def column_needs(model):
    """A :class:`ColumnNeed` per input column of ``model`` (an ensemble, a member or a saved pipeline).

    Read from the fitted preprocessing. It errs on the side of allowing: a value
    it lets through may still be refused by the model itself.
    """
    return _needs(model, model.n_features_in_, None)


def _needs(step, n, after):
    """The needs of ``step``'s ``n`` inputs; ``after`` holds those of its outputs (None: numbers)."""
    if isinstance(step, str) and step == "drop":
        return [ColumnNeed(used=False)] * n
    if step is None or isinstance(step, str) or (type(step) is FunctionTransformer and step.func is None):
        return list(after) if after and len(after) == n else [NUMBER] * n
    if type(step) is Pipeline:
        for _, inner in reversed(step.steps):
            after = _needs(inner, getattr(inner, "n_features_in_", len(after or ())), after)
        return after
    if type(step) is TransformedTargetRegressor:
        return _needs(step.regressor_, n, after)
    if type(step) is ColumnTransformer:
        return _column_transformer_needs(step, after)
    after = after if after and len(after) == n else [NUMBER] * n
    if type(step) in SCALERS:  # numbers only; a missing value passes through, to what follows
        return [ColumnNeed(missing_ok=need.missing_ok) for need in after]
    if type(step) is SimpleImputer:
        return _imputer_needs(step, after)
    if type(step) in ENCODERS:
        return [_encoder_need(step, categories) for categories in step.categories_]
    if type(step) is MissingIndicator:  # reads any value, missing or not
        return [ColumnNeed(numeric=False, missing_ok=True)] * n
    return [NUMBER] * n  # the ensemble


def _is_missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def _imputer_needs(imputer, after):
    statistics = imputer.statistics_
    numeric = statistics.dtype.kind in "fiub"
    kept = [j for j, value in enumerate(statistics) if imputer.keep_empty_features or not _is_missing(value)]
    outputs = dict(zip(kept, after)) if len(kept) == len(after) else {}
    imputes_nan = _is_missing(imputer.missing_values)
    needs = []
    for j, value in enumerate(statistics):
        then = outputs.get(j, NUMBER if numeric else ColumnNeed(numeric=False))
        needs.append(replace(then, numeric=numeric, missing_ok=imputes_nan or then.missing_ok,
                             example=then.example if _is_missing(value) else value))
    return needs


def _encoder_need(encoder, categories):
    known = [value for value in categories.tolist() if not _is_missing(value)]
    # Missing values and unknown categories are left for the encoder to accept or refuse.
    return ColumnNeed(numeric=categories.dtype.kind in "fiub", missing_ok=True, categories=tuple(categories.tolist()),
                      unknown_ok=encoder.handle_unknown != "error",
                      example=known[0] if known else float("nan"))


def _column_transformer_needs(transformer, after):
    width = sum(part.stop - part.start for part in transformer.output_indices_.values())
    after = after if after and len(after) == width else [NUMBER] * width
    needs = [ColumnNeed(used=False)] * transformer.n_features_in_
    for name, part, _ in transformer.transformers_:
        inputs = transformer._transformer_to_input_indices.get(name, [])
        outputs = transformer.output_indices_.get(name, slice(0, 0))
        for column, need in zip(inputs, _needs(part, len(inputs), after[outputs])):
            if needs[column].used:  # a column that two transformers read must suit both
                need = replace(need, numeric=need.numeric or needs[column].numeric,
                               missing_ok=need.missing_ok and needs[column].missing_ok)
            needs[column] = need
    return needs


# ---------------------------------------------------------------- the probe row

# A loaded pipeline must predict, as a loaded ensemble must (_codec._check_predicts),
# but a row of zeros is no input for a pipeline over named columns of strings and
# categories. So save() builds one row from the fitted preprocessing (a known category
# for each encoded column, an imputer's fill value, zero for a number), checks that the
# pipeline predicts it, and stores the row with that prediction; load() predicts it again
# and compares, which also catches fitted state that loads but means something else (another
# scikit-learn). When no such row works with the saved pipeline, none is stored, and load()
# checks the structure only.


def make_probe(model):
    """A row that ``model`` predicts, with its column names; None when no row built from its needs suits it."""
    names = getattr(model, "feature_names_in_", None)
    row = [_plain(need.example) for need in column_needs(model)]
    probe = {"columns": None if names is None else [str(name) for name in names], "row": row}
    try:
        probe_output(model, probe)
    except Exception:  # the row is a guess; a pipeline it does not suit is saved without it
        return None
    return probe


def _plain(value):
    value = value.item() if isinstance(value, np.generic) else value
    return value if _file._is_plain(value) else 0.0


def _probe_input(probe):
    import pandas as pd

    row, columns = probe["row"], probe["columns"]
    if not (isinstance(row, list) and all(map(_file._is_plain, row))):
        raise InvalidModelFileError("its probe row is not a list of plain values")
    if columns is None:
        return np.array([row], dtype=float if all(isinstance(v, (int, float)) for v in row) else object)
    if not (isinstance(columns, list) and len(columns) == len(row) and all(isinstance(c, str) for c in columns)):
        raise InvalidModelFileError("its probe columns do not match its probe row")
    return pd.DataFrame([row], columns=columns)


def probe_output(model, probe):
    """What ``model`` predicts on the row of ``probe`` (probabilities for a classifier), as float64."""
    X = _probe_input(probe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        output = model.predict_proba(X) if hasattr(check_structure(model, TypeError), "classes_") else model.predict(X)
    return np.asarray(output, dtype=np.float64)


def check_probe(model, probe, arrays):
    """Refuse a loaded ``model`` that does not predict on its stored probe row what the saved one did."""
    expected = _file._decode(probe.get("expected"), arrays)
    try:
        output = probe_output(model, probe)
    except InvalidModelFileError:
        raise
    except Exception as error:
        raise InvalidModelFileError(f"its pipeline does not predict on its probe row ({type(error).__name__}: "
                                    f"{error})") from None
    # Loose: another machine's BLAS may round differently; a state that means something else does not come close.
    if not (isinstance(expected, np.ndarray) and expected.shape == output.shape and np.allclose(
            output, expected, rtol=1e-3, atol=1e-3 * (1 + np.max(np.abs(expected), initial=0)), equal_nan=True)):
        raise InvalidModelFileError(f"its pipeline predicts {output.ravel()[:4]} on its probe row, where the saved "
                                    f"one predicted {np.ravel(expected)[:4]}")
