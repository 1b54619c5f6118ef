"""The robustness report: dense, pruned, ensembled and linear models under perturbed inputs.

:func:`robustness_report` runs, for every seed, these steps:

1. :func:`fit_dense_mlp` (final sparsity 0) and :func:`fit_member_ensembles`, a
   stacked ensemble of one pruned member per sparsity and the mean ensemble of
   the same members; a :func:`fit_linear_baseline` is fitted once for all seeds;
2. ``score_models``: the test scores of every model (MSE; accuracy and
   log-loss for classification) on the clean test rows and on copies perturbed
   by Gaussian noise or by zeroed features (``Perturbations``; these steps
   live in ``_perturbations.py``);
3. regression: ``_checked_ambiguity``, :func:`ambiguity_decomposition` of the
   mean ensemble, which must hold as the identity it is; classification:
   ``member_disagreements``, the members' :func:`disagreement` on every
   perturbation;
4. with the true coefficients, :func:`kept_input_features` of every member;

then ``_assemble_report`` gathers the mean and spread over seeds, and
``_write_report`` writes ``robustness.json`` and the figure. The task (regression
or classification) is read from the target as :func:`sparsity_sweep` reads it;
what is particular to class labels lives in ``_classification.py``.
"""

import copy
import json
from pathlib import Path

import numpy as np
from sklearn.utils import check_array, check_X_y

from .._files import atomic_write
from ..member import ARTICLE_HIDDEN_LAYER_SIZES
from ..presets import MEMBER_SPARSITIES
from ..presets import ARTICLE_TRAINING
from ._classification import classification_scores, encode_labels, resolve_task
from ._common import check_seeds, check_sparsities, mse
from ._intervals import INTERVAL_PARAMS, assemble_intervals, interval_scores
from ._perturbations import Perturbations, collect_scores, member_disagreements, score_models
from .plots import plot_intervals, plot_robustness

MODELS = ("dense MLP", "best pruned member", "mean ensemble", "stacked ensemble", "RidgeCV (linear)")
CLASSIFICATION_MODELS = MODELS[:-1] + ("LogisticRegression (linear)",)
RIDGE_ALPHAS = np.logspace(-6, 3, 10)


def ambiguity_decomposition(member_predictions, y_true):
    """Krogh and Vedelsby's decomposition of the mean ensemble's squared error.

    With ``f_bar`` the mean of the member predictions ``f_k``, for every sample
    ``(f_bar - y)**2 = mean_k (f_k - y)**2 - mean_k (f_k - f_bar)**2``: the ensemble
    is better than its average member by exactly the members' spread (ambiguity).

    Parameters
    ----------
    member_predictions : array of shape (n_members, n_samples) or (n_members, n_samples, n_outputs)
    y_true : array of shape (n_samples,) or (n_samples, n_outputs)

    Returns
    -------
    dict with ``ensemble_mse``, ``mean_member_mse``, ``mean_ambiguity`` (all
    averaged over samples and outputs) and ``relative_error``, the identity's
    residual ``|ensemble_mse - (mean_member_mse - mean_ambiguity)|`` over
    ``mean_member_mse``.
    """
    members = np.asarray(member_predictions, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64).reshape(members.shape[1:])
    ensemble = members.mean(axis=0)
    ensemble_mse = float(np.mean((ensemble - y_true) ** 2))
    mean_member_mse = float(np.mean((members - y_true) ** 2))
    mean_ambiguity = float(np.mean((members - ensemble) ** 2))
    residual = abs(ensemble_mse - (mean_member_mse - mean_ambiguity))
    return {
        "ensemble_mse": ensemble_mse,
        "mean_member_mse": mean_member_mse,
        "mean_ambiguity": mean_ambiguity,
        "relative_error": residual / mean_member_mse if mean_member_mse > 0 else residual,
    }


def kept_input_features(member, informative):
    """How many informative and noise input features a pruned member still reads.

    An input feature is kept when its row of the first kernel has a nonzero
    weight into a hidden unit that is still alive (the member's
    ``used_features_``: :class:`~ensembleprune.CompactMLP` drops dead units and
    the features that fed only them); a feature that is not kept no longer
    affects the prediction.

    Parameters
    ----------
    member : CompactMLP
    informative : array of bool of shape (n_features,) or (n_features, n_outputs)
        True for the features that carry signal (``RegressionSplit.informative``);
        with one column per output, a feature is informative for any output.

    Returns
    -------
    dict with ``informative_kept``, ``informative_total``, ``noise_kept``,
    ``noise_total`` and ``informative_row_density``, ``noise_row_density``: the
    mean fraction of nonzero weights in the first-kernel rows of each kind, over
    the full width of the first hidden layer.
    """
    informative = np.asarray(informative, dtype=bool)
    if informative.ndim > 1:
        # Multi-output coefficients: a feature is informative for any output.
        informative = informative.any(axis=tuple(range(1, informative.ndim)))
    if informative.size != member.n_features_in_:
        raise ValueError(f"informative has {informative.size} entries but the member reads {member.n_features_in_} "
                         "features")
    kept = np.zeros(member.n_features_in_, dtype=bool)
    kept[member.used_features_] = True
    density = np.zeros(member.n_features_in_)
    density[member.used_features_] = np.count_nonzero(member.layers[0].dense_kernel(), axis=1) / member.architecture[1]
    return {
        "informative_kept": int(kept[informative].sum()),
        "informative_total": int(informative.sum()),
        "noise_kept": int(kept[~informative].sum()),
        "noise_total": int((~informative).sum()),
        "informative_row_density": float(density[informative].mean()) if informative.any() else None,
        "noise_row_density": float(density[~informative].mean()) if (~informative).any() else None,
    }


def _estimator(task):
    """The ensemble class of ``task``: PrunedEnsembleRegressor or PrunedEnsembleClassifier."""
    from ..classifier import PrunedEnsembleClassifier
    from ..ensemble import PrunedEnsembleRegressor

    return PrunedEnsembleClassifier if task == "classification" else PrunedEnsembleRegressor


def fit_dense_mlp(X, y, random_state, task="regression", **params):
    """A dense MLP: a one-member :class:`~ensembleprune.PrunedEnsembleRegressor` of final sparsity 0.

    With ``task="classification"`` a one-member
    :class:`~ensembleprune.PrunedEnsembleClassifier`. ``params`` are further
    parameters of the estimator (sizes, epochs, verbose).
    """
    return _estimator(task)(
        n_members=1, sparsities=[0.0], combine="mean", random_state=random_state, **dict(ARTICLE_TRAINING, **params)
    ).fit(X, y)


def fit_member_ensembles(X, y, sparsities, random_state, cv, task="regression", **params):
    """The stacked ensemble of one member per sparsity, and the mean ensemble of the same members.

    Returns
    -------
    (stacked, mean) : PrunedEnsembleRegressor, or PrunedEnsembleClassifier with ``task="classification"``
        ``mean`` is a shallow copy of ``stacked`` with ``combine="mean"``: the
        same random_state gives the same members, so they are shared rather than
        trained twice.
    """
    stacked = _estimator(task)(n_members=len(sparsities), sparsities=sparsities, combine="stack", cv=cv,
                               random_state=random_state, **dict(ARTICLE_TRAINING, **params)).fit(X, y)
    return stacked, copy.copy(stacked).set_params(combine="mean")


def fit_linear_baseline(X, y, task="regression"):
    """The linear baseline of the report and the demo.

    ``RidgeCV`` over alphas from 1e-6 to 1e3; with ``task="classification"``
    ``LogisticRegression()`` (the classifier's linear member).
    """
    if task == "classification":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=1000).fit(X, y)
    from sklearn.linear_model import RidgeCV

    return RidgeCV(alphas=RIDGE_ALPHAS).fit(X, y)


def robustness_report(
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    task="auto",
    coef=None,
    sparsities=MEMBER_SPARSITIES,
    seeds=(0, 1, 2),
    hidden_layer_sizes=ARTICLE_HIDDEN_LAYER_SIZES,
    epochs=100,
    batch_size=1024,
    learning_rate=1e-3,
    cv=3,
    noise_levels=(0.0, 0.1, 0.2, 0.5, 1.0),
    dropout_fractions=(0.0, 0.05, 0.1, 0.2, 0.4),
    n_repeats=3,
    output_dir=None,
    random_state=0,
    verbose=0,
):
    """Test scores of dense, pruned, ensembled and linear models under perturbed inputs.

    For every seed it fits a dense MLP (final sparsity 0), a stacked
    :class:`~ensembleprune.PrunedEnsembleRegressor` with one member per sparsity,
    the mean ensemble of the same members, and once a ``RidgeCV`` baseline, and
    scores them by test MSE. For class labels the ensembles are
    :class:`~ensembleprune.PrunedEnsembleClassifier` (the mean ensemble averages
    the members' probabilities), the baseline is ``LogisticRegression()``, the
    scores are accuracy and log-loss, and the members' disagreement takes the
    place of the ambiguity decomposition. The best single pruned member is the
    one with the lowest clean test MSE (log-loss): an oracle choice that flatters
    it against the ensembles.

    Parameters
    ----------
    X_train : array-like of shape (n_samples, n_features)
    y_train : array-like of shape (n_samples,)
        Training data. One output only: the report compares and picks models by
        MSE, and an MSE averaged over outputs in different units would mostly
        measure the output with the largest scale. For several outputs, call it
        once per column. For classification, class labels (two classes at least).
    X_test : array-like of shape (n_test_samples, n_features)
    y_test : array-like of shape (n_test_samples,)
        Held-out data every model is scored on; for classification, labels of
        ``y_train`` only.
    task : {"auto", "regression", "classification"}, default="auto"
        ``"auto"`` reads the task in ``y_train`` as :func:`sparsity_sweep` does:
        labels that are not floats (integers, booleans, strings) of a binary or
        multiclass target mean classification.
    coef : array of shape (n_features,), default=None
        True coefficients of the output (``RegressionSplit.coef``); when given,
        the report counts the informative (``coef != 0``) and noise features each
        member's pruned first layer keeps.
    sparsities : sequence of float, default=(0.8, 0.9, 0.95, 0.98)
        One member per final sparsity.
    seeds : sequence of int or int, default=(0, 1, 2)
        ``random_state`` of each repetition (or a count); the spread over seeds
        is reported.
    hidden_layer_sizes, epochs, batch_size, learning_rate
        Of every MLP.
    cv : int, default=3
        Folds of the stacked ensemble's out-of-fold predictions.
    noise_levels : sequence of float, default=(0.0, 0.1, 0.2, 0.5, 1.0)
        Standard deviation of the Gaussian noise added to each test feature, in
        units of that feature's training standard deviation.
    dropout_fractions : sequence of float, default=(0.0, 0.05, 0.1, 0.2, 0.4)
        Fraction of the features (columns) set to zero in the test data.
    n_repeats : int, default=3
        Random draws of each noise level and dropout fraction; their scores are averaged.
    output_dir : str or Path, default=None
        Where ``robustness.json`` and ``robustness.png`` are written (for
        regression also ``robustness_intervals.png``).
    random_state : int, default=0
        Seeds the perturbations.
    verbose : int, default=0

    Returns
    -------
    dict
        The report, as written to ``robustness.json``: ``config``, ``models``,
        ``noise`` and ``dropout`` (levels, and for each score a list per model of
        the mean, std and values over seeds at each level), ``kept_features``
        (per seed and member; only with ``coef``), and by task:

        - regression: ``clean`` (test MSE per model: mean, std and values over
          seeds), the ``mse`` score under ``noise`` and ``dropout``,
          ``ambiguity`` (per seed), and ``intervals``: coverage and mean width
          of the stacked ensemble's 90% conformal intervals (``conformal="cv+"``,
          absolute and normalized scores) on the clean rows and under ``noise``
          and ``dropout`` (``experiments/_intervals.py``);
        - classification: ``clean`` (per score, ``accuracy`` and ``log_loss``,
          per model), those two scores under ``noise`` and ``dropout``, and
          ``disagreement``: for ``noise`` and ``dropout``, the
          :func:`disagreement` of the members (``with_ensemble`` and
          ``pairwise``) at each level, over seeds; ``config`` adds ``task``
          and ``classes``.

    Raises
    ------
    ValueError
        On bad arguments, among them a ``y_train`` or ``y_test`` with several
        outputs.
    RuntimeError
        If the ambiguity decomposition does not hold to 1e-10 relative (a bug:
        it is an identity).
    """
    task = resolve_task(task, y_train)
    X_train, y_train, X_test, y_test, classes = _check_data(X_train, y_train, X_test, y_test, task)
    sparsities = check_sparsities(sparsities)
    seeds = check_seeds(seeds)
    _check_levels(noise_levels, dropout_fractions)
    coef = None if coef is None else _check_coef(coef, X_train.shape[1])

    common = dict(hidden_layer_sizes=hidden_layer_sizes, epochs=epochs, batch_size=batch_size,
                  learning_rate=learning_rate)
    linear = fit_linear_baseline(X_train, y_train, task)
    perturbations = Perturbations([("noise", level) for level in noise_levels]
                                  + [("dropout", fraction) for fraction in dropout_fractions],
                                  n_repeats, X_train.std(axis=0), random_state)
    clean, scores, diagnostics, kept, intervals = _run_seeds(
        task, seeds, (X_train, y_train, X_test, y_test), linear, sparsities, cv, common, perturbations, coef, verbose)
    config = dict(n_train=len(X_train), n_test=len(X_test), n_features=X_train.shape[1],
                  sparsities=sparsities, seeds=seeds, cv=cv, n_repeats=n_repeats,
                  noise_unit="training standard deviation of each feature", **_task_config(task, linear, classes),
                  **dict(common, hidden_layer_sizes=list(hidden_layer_sizes)))
    report = _assemble_report(task, config, clean, scores, noise_levels, dropout_fractions, diagnostics,
                              kept if coef is not None else None)
    if intervals:
        report["intervals"] = assemble_intervals(intervals, noise_levels, dropout_fractions, _spread)
    if output_dir is not None:
        _write_report(report, output_dir)
    return report


def _run_seeds(task, seeds, data, linear, sparsities, cv, common, perturbations, coef, verbose):
    """Every seed's models scored and gathered: clean and perturbed scores, diagnostics, kept features, intervals.

    The diagnostics are the ambiguity decomposition (regression) or the
    members' disagreement (classification), per seed; the intervals, per seed,
    for regression only; the kept features only with ``coef``.
    """
    X_train, y_train, X_test, y_test = data
    clean, scores, diagnostics, kept, intervals = {}, {}, [], [], []
    for seed in _progress(seeds, verbose):
        seed_clean, seed_perturbed, stacked = _score_seed(task, seed, X_train, y_train, X_test, y_test, linear,
                                                          sparsities, cv, common, perturbations)
        collect_scores(clean, seed_clean)
        for key, values in seed_perturbed:
            collect_scores(scores.setdefault(key, {}), values)
        if task == "regression":
            diagnostics.append(_checked_ambiguity(stacked.predict_members(X_test), y_test,
                                                  seed_clean["mean ensemble"]["mse"], seed))
            intervals.append(interval_scores(stacked, X_test, y_test, perturbations))
        else:
            diagnostics.append(member_disagreements(stacked, X_test, perturbations))
        if coef is not None:
            kept.extend(_kept_features(stacked, coef, seed))
    return clean, scores, diagnostics, kept, intervals


def _score_seed(task, seed, X_train, y_train, X_test, y_test, linear, sparsities, cv, common, perturbations):
    """One seed's models (dense MLP, stacked and mean ensembles, the linear baseline), scored clean and perturbed.

    Returns the clean scores, the perturbed ones (per perturbation) and the
    stacked ensemble, whose members the report's diagnostics read.
    """
    dense = fit_dense_mlp(X_train, y_train, seed, task, **common)
    calibrate = INTERVAL_PARAMS if task == "regression" else {}
    stacked, mean = fit_member_ensembles(X_train, y_train, sparsities, seed, cv, task, **common, **calibrate)
    predictors, score = _predictors(task, dense, stacked, mean, linear, X_test, y_test)
    seed_clean, seed_perturbed = score_models(predictors, score, X_test, y_test, perturbations)
    return seed_clean, seed_perturbed, stacked


def _check_data(X_train, y_train, X_test, y_test, task):
    """Validated ``(X_train, y_train, X_test, y_test, classes)``: one output, as many features in both.

    For classification the targets become class codes of ``y_train``'s sorted
    ``classes``; for regression ``classes`` is None.
    """
    for name, values in (("y_train", y_train), ("y_test", y_test)):
        shape = np.shape(values)
        if len(shape) == 2 and shape[1] > 1:
            raise ValueError(f"{name} has shape {shape}, {shape[1]} outputs; robustness_report scores one output: "
                             f"call it once per column, e.g. with {name}[:, 0]")
    numeric = task == "regression"
    X_train, y_train = check_X_y(X_train, y_train, dtype=[np.float64, np.float32], y_numeric=numeric)
    X_test, y_test = check_X_y(X_test, y_test, dtype=[np.float64, np.float32], y_numeric=numeric)
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_test has {X_test.shape[1]} features but X_train has {X_train.shape[1]}")
    classes = None
    if not numeric:
        classes, (y_train, y_test) = encode_labels(y_train, y_test=y_test)
    return X_train, y_train, X_test, y_test, classes


def _check_coef(coef, n_features):
    coef = check_array(coef, ensure_2d=False)
    if coef.ndim == 2 and coef.shape[1] == 1:
        coef = coef.ravel()  # the one output's coefficients, as a column
    if coef.shape != (n_features,):
        raise ValueError(f"coef has shape {coef.shape}; expected ({n_features},), one coefficient per "
                         "feature of X_train for the one output")
    return coef


def _check_levels(noise_levels, dropout_fractions):
    for name, values, upper in (("noise_levels", noise_levels, np.inf), ("dropout_fractions", dropout_fractions, 1)):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size == 0 or np.any(values < 0) or np.any(values > upper):
            raise ValueError(f"{name} must be a non-empty sequence of numbers in [0, {upper}], got {values!r}")


def _progress(seeds, verbose):
    if not verbose:
        return seeds
    from tqdm.auto import tqdm

    return tqdm(seeds, desc="robustness seeds")


def _task_config(task, linear, classes):
    """The entries of the report's ``config`` that depend on the task: how the best member is chosen, the baseline."""
    if task == "regression":
        return dict(best_member_choice="lowest clean test MSE (oracle)", ridge_alpha=float(linear.alpha_))
    return dict(task=task, classes=classes.tolist(), best_member_choice="lowest clean test log-loss (oracle)",
                logistic_C=float(linear.C))


def _models(task):
    return MODELS if task == "regression" else CLASSIFICATION_MODELS


def _mse_scores(y_pred, y_true):
    return {"mse": mse(y_pred, y_true)}


def _predictors(task, dense, stacked, mean, linear, X_test, y_test):
    """The prediction of every model by name, and the scores of a prediction (a dict by score name).

    Predictions are values (regression) or class probabilities. The best
    pruned member is the one of lowest clean test MSE or log-loss.
    """
    if task == "regression":
        members, score, loss, method = stacked.predict_members, _mse_scores, "mse", "predict"
    else:
        members, score, loss, method = stacked.predict_members_proba, classification_scores, "log_loss", "predict_proba"
    best = int(np.argmin([score(p, y_test)[loss] for p in members(X_test)]))
    dense, mean, stacked, linear = (getattr(model, method) for model in (dense, mean, stacked, linear))
    return dict(zip(_models(task), (dense, lambda X, b=best: members(X)[b], mean, stacked, linear))), score


def _checked_ambiguity(member_test, y_test, estimator_mse, seed):
    """The ambiguity decomposition of one seed's members, tied to the estimator's own mean ensemble MSE.

    Raises
    ------
    RuntimeError
        If the identity does not hold to 1e-10 relative, or the estimator's mean
        combiner is not the mean of its members (both would be bugs).
    """
    decomposition = ambiguity_decomposition(member_test, y_test)
    decomposition["estimator_mse"] = estimator_mse
    if not (decomposition["relative_error"] <= 1e-10
            and abs(decomposition["estimator_mse"] - decomposition["ensemble_mse"])
            <= 1e-10 * decomposition["mean_member_mse"]):
        raise RuntimeError(f"the ambiguity decomposition does not hold for seed {seed}: {decomposition}")
    return dict(seed=seed, **decomposition)


def _kept_features(stacked, coef, seed):
    """:func:`kept_input_features` of every member of one seed."""
    return [dict(seed=seed, final_sparsity=float(sparsity), **kept_input_features(member, coef != 0))
            for member, sparsity in zip(stacked.members_, stacked.member_sparsities_)]


def _spread(values):
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std(ddof=1 if values.size > 1 else 0)),
            "values": values.tolist()}


def _assemble_report(task, config, clean, scores, noise_levels, dropout_fractions, diagnostics, kept):
    """The report as :func:`robustness_report` returns it: mean, std and values over seeds of every score.

    ``diagnostics`` holds one entry per seed: the ambiguity decomposition
    (regression) or the disagreements by perturbation (classification).
    """
    models = list(_models(task))

    def levels(kind, values):
        return {name: {m: [_spread(scores[kind, v][name][m]) for v in values] for m in models} for name in clean}

    noise = {"levels": [float(v) for v in noise_levels], **levels("noise", noise_levels)}
    dropout = {"fractions": [float(v) for v in dropout_fractions], **levels("dropout", dropout_fractions)}
    if task == "regression":
        return {"config": config, "models": models, "clean": {m: _spread(clean["mse"][m]) for m in models},
                "noise": noise, "dropout": dropout, "ambiguity": diagnostics, "kept_features": kept}
    return {
        "config": config,
        "models": models,
        "clean": {name: {m: _spread(clean[name][m]) for m in models} for name in clean},
        "noise": noise,
        "dropout": dropout,
        "disagreement": {kind: {name: [_spread(seeds) for seeds in zip(*(seed[kind][name] for seed in diagnostics))]
                                for name in diagnostics[0][kind]} for kind in diagnostics[0]},
        "kept_features": kept,
    }


def _write_report(report, output_dir):
    """``robustness.json`` and ``robustness.png`` in ``output_dir`` (created if missing)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(output_dir / "robustness.json", lambda f: f.write(json.dumps(report, indent=2).encode()))
    plot_robustness(report, output_dir / "robustness.png")
    if "intervals" in report:
        plot_intervals(report, output_dir / "robustness_intervals.png")
