"""The commands on saved model files: ``inspect``, ``export`` and ``predict``.

Each handler takes the parsed arguments of its command (see ``cli.build_parser``).
``predict`` reads a CSV file as the columns the model was fitted on and writes
one line per row: its predictions, and as asked the members' spread, a
classifier's probabilities or a regressor's conformal prediction interval.
"""

import csv
import io
import sys
import warnings
from pathlib import Path

import numpy as np


def describe_model_file(path):
    """What ``ensembleprune inspect`` prints about a model file.

    The pipeline's steps; the combiner, with the evidence on which the linear
    member was kept alone or not; each member's weight and temperature (if any), layers,
    densities, nonzeros and bytes.
    """
    from ._pipeline_predict import describe, final_ensemble
    from ._base import LINEAR_MEMBER_SEED
    from ._selection import MIN_ROWS
    from ._pipelines import is_pipeline
    from .compact import CompactMLP
    from .serialization import load

    saved = load(path)
    model = final_ensemble(saved)
    members = [model] if isinstance(model, CompactMLP) else model.members_
    lines = [f"{path}: {type(saved).__name__}, {Path(path).stat().st_size:,} bytes, "
             f"{len(members)} member{'s' * (len(members) != 1)}"]
    if is_pipeline(saved):
        lines.append(f"steps: {describe(saved)}")
    if hasattr(model, "classes_"):
        lines.append(f"classifier of {len(model.classes_)} classes: {', '.join(map(str, model.classes_))}")
    if not isinstance(model, CompactMLP):
        encoding = model.input_encoding_
        if encoding is not None:
            lines.append(f"input encoding: {model.n_features_in_} features, then {len(encoding['features'])} "
                         f"piecewise-linear columns of {np.unique(encoding['features']).size} of them")
        lines.append(f"combine: {model.combine}")
        evidence = getattr(model, "linear_member_evidence_", None)
        if evidence is not None and "untried" in evidence:
            lines.append(f"  linear member alone: {evidence['untried']}, so it was not judged out of fold")
        elif evidence is not None and "excess_loss" not in evidence:
            # Files saved before out-of-fold evidence record only the held-out rows.
            rows = f"{evidence['rows']:.0f} rows" if "rows" in evidence else f"{evidence['held_out_rows']:.0f} held-out rows"
            lines.append(f"  linear member alone: {rows}, fewer than {MIN_ROWS} to judge networks by; "
                         "none trained")
        elif evidence is not None:
            # What the rule decided is what the fit kept: the linear member alone, or networks beside it.
            kept = "kept alone" if list(model.member_seeds_) == [LINEAR_MEMBER_SEED] else "the networks kept"
            rows = evidence.get("held_out_rows")  # older files lack it
            judged = "out-of-fold" if "folds" in evidence else "held-out"
            where = "" if rows is None else f" on {rows:.0f} {judged} rows"
            if "folds" in evidence:
                where += f" ({evidence['folds']} folds)"
            lines.append(f"  linear member: {judged} loss above the selection's by {evidence['excess_loss']:.4g}, "
                         f"standard error {evidence['standard_error']:.4g}{where}: {kept}")
        for j, learner in enumerate(getattr(model, "final_estimators_", [])):
            coef = np.array2string(np.ravel(learner.coef_), precision=4, separator=", ")
            lines.append(f"  meta-learner {j}: {type(learner).__name__}, coef_ {coef}, intercept_ "
                         f"{float(np.ravel(learner.intercept_)[0]):.4g}")
    for k, member in enumerate(members):
        title = f"member {k}: {' -> '.join(map(str, member.architecture))}"
        if not isinstance(model, CompactMLP):
            title += f" (final sparsity {model.member_sparsities_[k]:.2f}, seed {model.member_seeds_[k]}"
            if hasattr(model, "member_weights_"):
                title += f", weight {model.member_weights_[k]:.3f}"
            if getattr(model, "member_temperatures_", np.ones(len(members)))[k] != 1:
                title += f", temperature {model.member_temperatures_[k]:.2f}"
            title += ")"
        lines.append(title)
        if member.used_features_.size == 0:
            lines.append("  CONSTANT: pruning left no path from the inputs; it predicts one value for every row")
        lines.append(f"  used features {member.used_features_.size} of {member.n_features_in_}; "
                     f"nonzeros {member.nnz:,} of {member.n_params:,} parameters; {member.nbytes:,} bytes")
        for index, layer in enumerate(member.layers):
            n_inputs, n_units = layer.shape
            stored = "CSR" if "indices" in layer.arrays() else "dense"
            lines.append(f"  layer {index}: {f'{n_inputs} -> {n_units}':<14} {layer.activation:<7} {stored:<5} "
                         f"density {layer.nnz / max(n_inputs * n_units, 1):7.2%}  nonzeros {layer.nnz:>9,}  "
                         f"bytes {layer.nbytes:>10,}")
    return "\n".join(lines)


def inspect_command(args):
    print(describe_model_file(args.path))


def export_command(args):
    """``ensembleprune export``: a model file to an ONNX file, written whole or not at all."""
    try:
        from .onnx_export import require_onnx, save_onnx

        require_onnx()
    except ImportError as error:
        # Reported like bad input, in one line: the user fixes it by installing the extra.
        raise ValueError(str(error)) from None
    from .serialization import load

    proto = save_onnx(load(args.path), args.output)
    outputs = ", ".join(output.name for output in proto.graph.output)
    print(f"{args.output}: ONNX model, {Path(args.output).stat().st_size:,} bytes; input X (float32, one row per "
          f"sample), outputs {outputs}")


def _read_feature_csv(path, model):
    """The rows of a CSV file with a header, as the columns ``model`` was fitted on.

    With ``feature_names_in_`` the columns are picked by name (a DataFrame;
    others, such as the target or an ID, are ignored); without, the file must
    hold exactly the model's features (an array). Each cell is checked against
    what the model needs in its column (see ``datasets.read_feature_csv``).
    """
    from ._pipeline_inputs import column_needs
    from .datasets import read_feature_csv

    names = getattr(model, "feature_names_in_", None)
    return read_feature_csv(path, column_needs(model), None if names is None else [str(name) for name in names])


def predict_command(args):
    """``ensembleprune predict``: the table is built whole before a byte is written, so an error writes nothing."""
    from ._files import atomic_write
    from ._pipeline_predict import final_ensemble
    from .serialization import load

    # Checked before the model file is read: a typo costs no wait.
    confidence = None if args.interval is None else _interval_confidence(args.interval)
    model = load(args.path)
    final = final_ensemble(model)
    is_classifier = hasattr(final, "classes_")
    if args.proba and not is_classifier:
        raise ValueError(f"--proba needs a classifier; {args.path} holds a {type(model).__name__}")
    if args.std and is_classifier and not args.proba:
        raise ValueError("--std with a classifier needs --proba: the spread is that of the members' probabilities")
    if confidence is not None:
        _check_has_intervals(args.path, final)
    X = _read_feature_csv(args.data, model)
    with warnings.catch_warnings():
        # A model without feature names gets an array, whose columns were checked by count.
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        try:
            columns, table = _prediction_table(model, X, args.proba, args.std, confidence)
        except ValueError as error:  # what the checks of the cells let through, refused by the model itself
            raise ValueError(f"{args.data}: the model cannot use these rows: {error}") from error
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    # repr() writes the shortest text that reads back as the same float.
    writer.writerows([repr(float(value)) if isinstance(value, float) else str(value) for value in row.tolist()]
                     for row in table)
    if args.output:
        atomic_write(args.output, lambda file: file.write(text.getvalue().encode()))
    else:
        sys.stdout.write(text.getvalue())


def _interval_confidence(value):
    """``--interval``'s value as the estimator's ``confidence``, or a ValueError in the command's own words."""
    from .conformal import check_confidence

    try:
        return check_confidence(value)
    except ValueError:
        raise ValueError(f"--interval takes a confidence strictly between 0 and 1, such as 0.9 for a 90% interval; "
                         f"got {value:g}") from None


def _check_has_intervals(path, model):
    """Refuse ``--interval`` for a ``model`` without prediction intervals before any row is read.

    The estimator would refuse too, but only after the whole file had been
    read and predicted, and inside the message about rows it cannot use.
    """
    from .compact import CompactMLP

    if hasattr(model, "classes_"):
        raise ValueError(f"--interval is for regressors; {path} holds a classifier ({type(model).__name__}), whose "
                         "class probabilities --proba writes")
    if not hasattr(model, "calibration_residuals_"):
        holds = (f"{path} holds a single member ({type(model).__name__}), not an ensemble"
                 if isinstance(model, CompactMLP) else f"the {type(model).__name__} in {path} was fitted without "
                 "conformal")
        raise ValueError(f"--interval needs a regressor calibrated as it fits, but {holds}: fit a "
                         "PrunedEnsembleRegressor with conformal='split' (or conformal='cv+' with combine='stack'), "
                         "save it and predict with that file")


def _prediction_table(model, X, proba, std, confidence):
    """``(columns, table)``: ``model``'s predictions for ``X``, then the spread and the interval's bounds if asked.

    A regressor's columns are named ``prediction``, ``std``, ``lower`` and
    ``upper``, with ``_0``, ``_1``, ... for each output when it has several.
    """
    from ._pipeline_predict import predict_interval, predict_std
    from ._pipelines import is_pipeline
    from .compact import CompactMLP

    if proba:  # one column per class, headed by its label
        columns = [str(label) for label in model.classes_]
        if not std:
            return columns, model.predict_proba(X)
        probabilities, spread = model.predict_proba(X, return_std=True)
        return columns + [f"std_{name}" for name in columns], np.hstack([probabilities, spread])
    if hasattr(model, "classes_"):
        return ["prediction"], model.predict(X).reshape(-1, 1).astype(object)
    if isinstance(model, CompactMLP):  # one member has no spread
        parts = {"prediction": model.predict(X)}
    elif is_pipeline(model):
        # A TransformedTargetRegressor passes neither return_std nor return_interval on: each goes through its scaler.
        parts = {"prediction": model.predict(X)}
        if std:
            parts["std"] = predict_std(model, X)
        if confidence is not None:
            parts["lower"], parts["upper"] = predict_interval(model, X, confidence)
    else:  # one pass through the members for all the columns
        names = ["prediction"] + ["std"] * std + ["lower", "upper"] * (confidence is not None)
        outputs = model.predict(X, return_std=std, return_interval=confidence)
        parts = dict(zip(names, outputs if len(names) > 1 else [outputs]))
    blocks = [np.reshape(values, (len(X), -1)) for values in parts.values()]
    n_outputs = blocks[0].shape[1]
    columns = [name if n_outputs == 1 else f"{name}_{j}" for name in parts for j in range(n_outputs)]
    return columns, np.hstack(blocks)

