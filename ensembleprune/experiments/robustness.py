"""The robustness report: dense, pruned, ensembled and linear models under perturbed inputs.

:func:`robustness_report` runs, for every seed, these steps:

1. :func:`fit_dense_mlp` (final sparsity 0) and :func:`fit_member_ensembles`, a
   stacked ensemble of one pruned member per sparsity and the mean ensemble of
   the same members; a :func:`fit_linear_baseline` is fitted once for all seeds;
2. ``_score_models``: the test MSE of every model on the clean test rows and on
   copies perturbed by Gaussian noise or by zeroed features (``_perturbed``);
3. ``_checked_ambiguity``: :func:`ambiguity_decomposition` of the mean
   ensemble, which must hold as the identity it is;
4. with the true coefficients, :func:`kept_input_features` of every member;

then ``_assemble_report`` gathers the mean and spread over seeds, and
``_write_report`` writes ``robustness.json`` and the figure.
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
from ._common import check_seeds, check_sparsities, mse
from .plots import plot_robustness

MODELS = ("dense MLP", "best pruned member", "mean ensemble", "stacked ensemble", "RidgeCV (linear)")
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


def _perturbed(X, kind, amount, repeat, feature_std, random_state):
    """``X`` with Gaussian noise of ``amount`` feature standard deviations, or a fraction of columns zeroed.

    The draw depends on ``(random_state, kind, amount, repeat)`` only, so every
    model is scored on the same perturbed copies.
    """
    rng = np.random.default_rng([random_state, ("noise", "dropout").index(kind), int(round(amount * 1e6)), repeat])
    if kind == "noise":
        return (X + amount * feature_std * rng.standard_normal(X.shape)).astype(X.dtype)
    dropped = rng.choice(X.shape[1], size=int(round(amount * X.shape[1])), replace=False)
    X = X.copy()
    X[:, dropped] = 0
    return X


def fit_dense_mlp(X, y, random_state, **params):
    """A dense MLP: a one-member :class:`~ensembleprune.PrunedEnsembleRegressor` of final sparsity 0.

    ``params`` are further parameters of the estimator (sizes, epochs, verbose).
    """
    from ..ensemble import PrunedEnsembleRegressor

    return PrunedEnsembleRegressor(
        n_members=1, sparsities=[0.0], combine="mean", random_state=random_state, **dict(ARTICLE_TRAINING, **params)
    ).fit(X, y)


def fit_member_ensembles(X, y, sparsities, random_state, cv, **params):
    """The stacked ensemble of one member per sparsity, and the mean ensemble of the same members.

    Returns
    -------
    (stacked, mean) : PrunedEnsembleRegressor
        ``mean`` is a shallow copy of ``stacked`` with ``combine="mean"``: the
        same random_state gives the same members, so they are shared rather than
        trained twice.
    """
    from ..ensemble import PrunedEnsembleRegressor

    stacked = PrunedEnsembleRegressor(n_members=len(sparsities), sparsities=sparsities, combine="stack", cv=cv,
                                      random_state=random_state, **dict(ARTICLE_TRAINING, **params)).fit(X, y)
    return stacked, copy.copy(stacked).set_params(combine="mean")


def fit_linear_baseline(X, y):
    """``RidgeCV`` over alphas from 1e-6 to 1e3: the linear baseline of the report and the demo."""
    from sklearn.linear_model import RidgeCV

    return RidgeCV(alphas=RIDGE_ALPHAS).fit(X, y)


def robustness_report(
    X_train,
    y_train,
    X_test,
    y_test,
    *,
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
    """Test MSE of dense, pruned, ensembled and linear models under perturbed inputs.

    For every seed it fits a dense MLP (final sparsity 0), a stacked
    :class:`~ensembleprune.PrunedEnsembleRegressor` with one member per sparsity,
    the mean ensemble of the same members, and once a ``RidgeCV`` baseline. The
    best single pruned member is the one with the lowest clean test MSE: an oracle
    choice that flatters it against the ensembles.

    Parameters
    ----------
    X_train : array-like of shape (n_samples, n_features)
    y_train : array-like of shape (n_samples,)
        Training data. One output only: the report compares and picks models by
        MSE, and an MSE averaged over outputs in different units would mostly
        measure the output with the largest scale. For several outputs, call it
        once per column.
    X_test : array-like of shape (n_test_samples, n_features)
    y_test : array-like of shape (n_test_samples,)
        Held-out data every model is scored on.
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
        Random draws of each noise level and dropout fraction; their MSEs are averaged.
    output_dir : str or Path, default=None
        Where ``robustness.json`` and ``robustness.png`` are written.
    random_state : int, default=0
        Seeds the perturbations.
    verbose : int, default=0

    Returns
    -------
    dict
        The report, as written to ``robustness.json``: ``config``, ``models``,
        ``clean`` (test MSE per model: mean, std and values over seeds),
        ``noise`` and ``dropout`` (levels and per-model mean and std over seeds),
        ``ambiguity`` (per seed), and ``kept_features`` (per seed and member;
        only with ``coef``).

    Raises
    ------
    ValueError
        On bad arguments, among them a ``y_train`` or ``y_test`` with several
        outputs.
    RuntimeError
        If the ambiguity decomposition does not hold to 1e-10 relative (a bug:
        it is an identity).
    """
    X_train, y_train, X_test, y_test = _check_data(X_train, y_train, X_test, y_test)
    sparsities = check_sparsities(sparsities)
    seeds = check_seeds(seeds)
    _check_levels(noise_levels, dropout_fractions)
    coef = None if coef is None else _check_coef(coef, X_train.shape[1])

    common = dict(hidden_layer_sizes=hidden_layer_sizes, epochs=epochs, batch_size=batch_size,
                  learning_rate=learning_rate)
    ridge = fit_linear_baseline(X_train, y_train)
    feature_std = X_train.std(axis=0)
    perturbations = [("noise", level) for level in noise_levels] + [("dropout", f) for f in dropout_fractions]
    clean = {model: [] for model in MODELS}
    scores = {key: {model: [] for model in MODELS} for key in perturbations}
    ambiguity, kept = [], []
    for seed in _progress(seeds, verbose):
        dense = fit_dense_mlp(X_train, y_train, seed, **common)
        stacked, mean = fit_member_ensembles(X_train, y_train, sparsities, seed, cv, **common)
        member_test = stacked.predict_members(X_test)
        predictors = _predictors(dense, stacked, mean, ridge, member_test, y_test)
        seed_clean, seed_perturbed = _score_models(predictors, X_test, y_test, perturbations, n_repeats,
                                                   feature_std, random_state)
        for model, value in seed_clean.items():
            clean[model].append(value)
        for key, values in seed_perturbed:
            for model, value in values.items():
                scores[key][model].append(value)
        ambiguity.append(_checked_ambiguity(member_test, y_test, clean["mean ensemble"][-1], seed))
        if coef is not None:
            kept.extend(_kept_features(stacked, coef, seed))

    config = dict(n_train=len(X_train), n_test=len(X_test), n_features=X_train.shape[1],
                  sparsities=sparsities, seeds=seeds, cv=cv, n_repeats=n_repeats,
                  noise_unit="training standard deviation of each feature",
                  best_member_choice="lowest clean test MSE (oracle)",
                  ridge_alpha=float(ridge.alpha_), **dict(common, hidden_layer_sizes=list(hidden_layer_sizes)))
    report = _assemble_report(config, clean, scores, noise_levels, dropout_fractions, ambiguity,
                              kept if coef is not None else None)
    if output_dir is not None:
        _write_report(report, output_dir)
    return report


def _check_data(X_train, y_train, X_test, y_test):
    """Validated ``(X_train, y_train, X_test, y_test)``: one output, as many features in both."""
    for name, values in (("y_train", y_train), ("y_test", y_test)):
        shape = np.shape(values)
        if len(shape) == 2 and shape[1] > 1:
            raise ValueError(f"{name} has shape {shape}, {shape[1]} outputs; robustness_report scores one output: "
                             f"call it once per column, e.g. with {name}[:, 0]")
    X_train, y_train = check_X_y(X_train, y_train, dtype=[np.float64, np.float32], y_numeric=True)
    X_test, y_test = check_X_y(X_test, y_test, dtype=[np.float64, np.float32], y_numeric=True)
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_test has {X_test.shape[1]} features but X_train has {X_train.shape[1]}")
    return X_train, y_train, X_test, y_test


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


def _predictors(dense, stacked, mean, ridge, member_test, y_test):
    """The ``predict`` of every model, by name; the best pruned member is the one of lowest clean test MSE."""
    best = int(np.argmin([mse(p, y_test) for p in member_test]))
    return {
        "dense MLP": dense.predict,
        "best pruned member": lambda X, s=stacked, b=best: s.predict_members(X)[b],
        "mean ensemble": mean.predict,
        "stacked ensemble": stacked.predict,
        "RidgeCV (linear)": ridge.predict,
    }


def _score_models(predictors, X_test, y_test, perturbations, n_repeats, feature_std, random_state):
    """Test MSE of every model on the clean rows, and its mean over ``n_repeats`` copies of each perturbation.

    Returns
    -------
    clean : dict of model name to float
    perturbed : list of ((kind, amount), dict of model name to float), in the order of ``perturbations``
    """
    clean = {model: mse(predict(X_test), y_test) for model, predict in predictors.items()}
    perturbed = []
    for kind, amount in perturbations:
        copies = [_perturbed(X_test, kind, amount, r, feature_std, random_state) for r in range(n_repeats)]
        perturbed.append(((kind, amount), {
            model: float(np.mean([mse(predict(Xp), y_test) for Xp in copies])) for model, predict in predictors.items()
        }))
    return clean, perturbed


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


def _assemble_report(config, clean, scores, noise_levels, dropout_fractions, ambiguity, kept):
    """The report as :func:`robustness_report` returns it: mean, std and values over seeds of every score."""
    return {
        "config": config,
        "models": list(MODELS),
        "clean": {model: _spread(clean[model]) for model in MODELS},
        "noise": {"levels": [float(v) for v in noise_levels],
                  "mse": {m: [_spread(scores["noise", v][m]) for v in noise_levels] for m in MODELS}},
        "dropout": {"fractions": [float(v) for v in dropout_fractions],
                    "mse": {m: [_spread(scores["dropout", v][m]) for v in dropout_fractions] for m in MODELS}},
        "ambiguity": ambiguity,
        "kept_features": kept,
    }


def _write_report(report, output_dir):
    """``robustness.json`` and ``robustness.png`` in ``output_dir`` (created if missing)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(output_dir / "robustness.json", lambda f: f.write(json.dumps(report, indent=2).encode()))
    plot_robustness(report, output_dir / "robustness.png")
