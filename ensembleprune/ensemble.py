"""PrunedEnsembleRegressor: a scikit-learn regressor made of pruned MLP members.

The members are trained by :class:`~ensembleprune.factory.PrunedMLPFactory`,
stripped to :class:`~ensembleprune.compact.CompactMLP` and combined by their
mean, their median, or a meta-learner fitted on out-of-fold predictions
(stacking, as :class:`sklearn.ensemble.StackingRegressor` does). A fitted
estimator holds no TensorFlow object: it pickles, clones and predicts with numpy
and scipy only.
"""

import dataclasses
import numbers
import os
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._version import __version__
from .checkpoint import MemberCheckpoint, fingerprint
from .compact import ACTIVATIONS, predict_all, strip
from .combiners import convex_meta_learner, greedy_selection, ridge_member
from .factory import PrunedMLPFactory
from .member import ALLOCATIONS, MemberSpec, check_hidden_layer_sizes, check_sparsities
from .options import option_constraints, options_not_learned, options_of
from .schedule import PruningSchedule

_MAX_SEED = 2**31 - 1
# member_seeds_ of the linear member, which has no seed.
LINEAR_MEMBER_SEED = -1
# sparsities="auto": member densities spaced geometrically between these.
AUTO_DENSITIES = (0.2, 0.005)


def _is_auto(value):
    return isinstance(value, str) and value == "auto"


def auto_sparsities(n_members):
    """``n_members`` final sparsities whose densities are spaced geometrically from 0.2 to 0.005.

    Wide data with few informative features is fitted best by very sparse
    members (0.98 and beyond) and other data by denser ones; the spread covers
    both, and the combiner weighs the members on held-out rows.
    """
    if n_members == 1:
        return np.array([1 - np.sqrt(AUTO_DENSITIES[0] * AUTO_DENSITIES[1])])
    return np.round(1 - np.geomspace(*AUTO_DENSITIES, num=n_members), 4)


class MemberDivergedError(ValueError):
    """A member's training diverged: its loss or weights became NaN or infinite."""


class MemberDivergedWarning(UserWarning):
    """A diverged member was left out of the ensemble (``on_member_failure="skip"``)."""


def _check_float32_range(values, name):
    # Members train in float32: larger values would become infinite there.
    # max and min rather than abs().max(): no temporary copy of a large X.
    largest = max(abs(float(values.max(initial=0.0))), abs(float(values.min(initial=0.0))))
    if largest > np.finfo(np.float32).max / 1e6:
        raise ValueError(
            f"{name} holds values too large to train on in float32 (largest |value| {largest:.3g}); "
            f"rescale {name}, for example with StandardScaler."
        )


class PrunedEnsembleRegressor(RegressorMixin, BaseEstimator):
    """Ensemble of gradually magnitude-pruned MLPs of different sparsity and seed.

    Each member is an MLP pruned with tfmot's polynomial-decay schedule from
    ``initial_sparsity`` to its own final sparsity; members cycle over
    ``sparsities`` and each gets its own seed drawn from ``random_state``.

    Parameters
    ----------
    n_members : int, default=4
        Number of members.
    sparsities : sequence of float or "auto", default=(0.8, 0.9, 0.95, 0.98)
        Final sparsities in [0, 1); member ``i`` gets ``sparsities[i % len(sparsities)]``.
        ``"auto"`` spaces the members' densities geometrically from 0.2 to
        0.01 (sparsities 0.8 to 0.99), so that the very sparse members that win
        on wide data are there, and lets the combiner weigh them.
    hidden_layer_sizes : tuple of int, default=(1024, 1024)
        Hidden layer widths of every member (the article's architecture).
    activation : {"relu", "tanh", "sigmoid", "elu", "linear"}, default="relu"
    epochs : int or "auto", default=100
        ``"auto"`` trains for a budget of optimizer steps rather than epochs
        (see :class:`~ensembleprune.factory.PrunedMLPFactory`), so that a few
        hundred rows train as long as many thousands.
    batch_size : int or "auto", default=1024
        Capped at the number of training rows. ``"auto"``: about a 32nd of
        the rows, a power of two from 32 to 1024.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    learning_rate_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"`` decays the learning rate along a cosine to 1% of it at the
        last step.
    sparsity_allocation : {"uniform", "dense_output", "erk"}, default="erk"
        How each member's final sparsity is spread over its layers: the same in
        every layer (tfmot's way), hidden layers only with the output layer
        dense, or Erdős–Rényi (wide layers pruned hardest); see
        :func:`~ensembleprune.factory.layer_sparsities`.
    initial_sparsity : float, default=0.0
        Sparsity when pruning starts (capped at each member's final sparsity).
    pruning_start, pruning_end : float, default=0.1, 0.6
        Fractions of training where pruning starts and reaches the final sparsity.
    pruning_frequency : int or "auto", default="auto"
        Steps between mask updates; "auto" makes about 16 updates.
    combine : {"mean", "median", "select", "stack"}, default="mean"
        How member predictions are combined. ``"select"``: greedy ensemble
        selection with replacement (Caruana et al., 2004) on the held-out
        ``validation_fraction`` of the rows, a weighted mean whose weights are
        in ``member_weights_``; members with weight 0 are dropped.
        ``"stack"``: a meta-learner on out-of-fold predictions.
    linear_member : bool, default=True
        With ``combine="select"``, also fit a dense linear model (ridge, its
        penalty chosen on the held-out rows) on the members' training rows and
        offer it to the selection as one more member (seed -1, sparsity 0):
        on a linear target the selection takes it, where networks trained by
        Adam stop short of the least-squares fit. Ignored by other combiners.
    final_estimator : regressor, default=None
        Meta-learner for ``combine="stack"``, fitted per output on out-of-fold
        member predictions. ``None`` means convex weights (non-negative,
        summing to one), stored as a ``LinearRegression`` without intercept:
        the stacked prediction stays a weighted mean of the members'.
    cv : int, cross-validation generator or iterable, default=5
        Splits for the out-of-fold predictions of ``combine="stack"``; the test
        folds must partition the rows. Fold members train for as many
        optimizer steps as the full-data members.
    training : {"fused", "independent"}, default="fused"
        See :class:`~ensembleprune.factory.PrunedMLPFactory`.
    n_jobs : int, default=None
        Processes for ``training="independent"``.
    bootstrap : bool, default=False
        Train each member on its own bootstrap sample of the rows, drawn from
        the member's seed (as per-row weights, so fused training still works).
    early_stopping : bool, default=False
        Stop each member when its loss on a held-out ``validation_fraction`` of
        the rows has not improved by more than ``tol`` for ``n_iter_no_change``
        epochs, and keep the weights of its best epoch. Epochs count only once
        the member's pruning has finished, so every member reaches its final
        sparsity. As in :class:`~sklearn.neural_network.MLPRegressor`.
    validation_fraction : float, default=0.1
        Fraction of the rows held out for early stopping, in (0, 1); the same
        rows for every member.
    n_iter_no_change : int, default=10
        Epochs without improvement after which a member stops.
    tol : float, default=1e-4
        Smallest decrease of the validation loss (in standardized target units)
        that counts as an improvement.
    checkpoint_dir : str or path-like, default=None
        Folder where each finished member is written as soon as it is trained
        (also those of the cross-validation folds of stacking). A fit started
        again with the same folder, data and parameters trains only the members
        that are missing there; a folder written for other data or parameters
        is refused. Fused members finish together, so resuming pays off most
        with ``training="independent"``.
    on_member_failure : {"raise", "skip"}, default="raise"
        What to do with a member whose training diverged (loss or weights not
        finite): raise :class:`MemberDivergedError`, or leave the member out with a
        warning. The fit fails if no member is left.
    random_state : int, RandomState instance or None, default=None
        Draws the members' seeds; the same value gives the same predictions.
    verbose : int, default=0
        0 silent, 1 a progress bar, 2 also Keras' per-epoch lines.

    Attributes
    ----------
    members_ : list of CompactMLP
        The stripped members; each predicts in standardized target units.
    member_sparsities_ : ndarray of shape (n_members,)
        Final sparsity each member was trained to.
    member_seeds_ : ndarray of shape (n_members,)
        -1 for the linear member.
    member_layer_sparsity_ : list of list of float
        Achieved fraction of zero weights in each layer of each member.
    history_ : list of dict
        Per-member training history (``loss`` per epoch, in standardized units).
    final_estimators_ : list of regressors
        The fitted meta-learners, one per output (``combine="stack"`` only).
    member_weights_ : ndarray of shape (n_members,)
        The members' weights (``combine="select"`` only).
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        The members learn ``(y - y_mean_) / y_scale_``; predictions are mapped back.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when ``X`` has feature names that are all strings.

    Notes
    -----
    The target is standardized before training so that the network's learning
    rate and loss scale do not depend on the units of ``y``.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from ensembleprune import PrunedEnsembleRegressor
    >>> X, y = make_friedman1(n_samples=500, n_features=50, random_state=0)
    >>> model = PrunedEnsembleRegressor(n_members=2, hidden_layer_sizes=(64,), epochs=20,
    ...                                 random_state=0).fit(X, y)
    >>> y_pred, y_std = model.predict(X[:3], return_std=True)
    """

    _parameter_constraints = {
        "n_members": [Interval(numbers.Integral, 1, None, closed="left")],
        "sparsities": ["array-like", StrOptions({"auto"})],
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "sparsity_allocation": [StrOptions(set(ALLOCATIONS))],
        "initial_sparsity": [Interval(numbers.Real, 0, 1, closed="left")],
        "pruning_start": [Interval(numbers.Real, 0, 1, closed="left")],
        "pruning_end": [Interval(numbers.Real, 0, 1, closed="right")],
        "pruning_frequency": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "combine": [StrOptions({"mean", "median", "select", "stack"})],
        "linear_member": ["boolean"],
        "final_estimator": [None, HasMethods(["fit", "predict"])],
        "cv": ["cv_object"],
        "on_member_failure": [StrOptions({"raise", "skip"})],
        "checkpoint_dir": [None, str, os.PathLike],
        "random_state": ["random_state"],
        # The training options (epochs, batch_size, ..., verbose) are declared in TrainingOptions.
        **option_constraints(),
    }

    def __init__(
        self,
        n_members=4,
        sparsities="auto",
        hidden_layer_sizes=(256, 256),
        activation="relu",
        epochs="auto",
        batch_size="auto",
        learning_rate=1e-3,
        learning_rate_schedule="constant",
        sparsity_allocation="erk",
        initial_sparsity=0.0,
        pruning_start=0.1,
        pruning_end=0.6,
        pruning_frequency="auto",
        combine="select",
        linear_member=True,
        final_estimator=None,
        cv=5,
        training="fused",
        n_jobs=None,
        bootstrap=False,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        on_member_failure="raise",
        checkpoint_dir=None,
        random_state=None,
        verbose=0,
    ):
        self.n_members = n_members
        self.sparsities = sparsities
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.sparsity_allocation = sparsity_allocation
        self.initial_sparsity = initial_sparsity
        self.pruning_start = pruning_start
        self.pruning_end = pruning_end
        self.pruning_frequency = pruning_frequency
        self.combine = combine
        self.linear_member = linear_member
        self.final_estimator = final_estimator
        self.cv = cv
        self.training = training
        self.n_jobs = n_jobs
        self.bootstrap = bootstrap
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.on_member_failure = on_member_failure
        self.checkpoint_dir = checkpoint_dir
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y):
        """Train the members on ``(X, y)`` and, for stacking, the meta-learner.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        self : PrunedEnsembleRegressor
        """
        self._validate_params()
        self._forget_previous_fit()
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=[np.float64, np.float32])
        _check_float32_range(X, "X")
        specs = self._member_specs()
        self._y_is_1d = y.ndim == 1
        Y = y.reshape(len(y), -1).astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            self.y_mean_ = Y.mean(axis=0)
            scale = Y.std(axis=0)
        if not np.all(np.isfinite(scale)):
            raise ValueError("y holds values so large that their variance overflows float64; rescale y.")
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        Y = (Y - self.y_mean_) / self.y_scale_

        # Split before training, so that a splitter stacking cannot use fails before any member trains.
        splits = self._stacking_splits(X, Y) if self.combine == "stack" else None
        checkpoint = self._checkpoint(X, Y)
        validation_rows = None
        if self.early_stopping or self.combine == "select":
            validation_rows = self._factory().validation_rows(len(X), [spec.seed for spec in specs])
        trained = self._train(X, Y, specs, checkpoint, "full", validation_rows=validation_rows)
        kept = self._drop_diverged(trained)
        if self.combine == "stack":
            self.final_estimators_, kept = self._fit_final_estimators(
                X, Y, [trained[k].spec for k in kept], kept, checkpoint, splits
            )
        trained = [trained[k] for k in kept]
        members = [strip(member.model) for member in trained]
        self.member_layer_sparsity_ = [member.layer_sparsity for member in trained]
        self.history_ = [member.history for member in trained]
        self.member_seeds_ = np.array([member.spec.seed for member in trained])
        self.member_sparsities_ = np.array([member.spec.final_sparsity for member in trained])
        self.members_ = members
        if self.combine == "select":
            self._select(X, Y, validation_rows)
        return self

    def _select(self, X, Y, validation_rows):
        """Weigh the members (and the linear member) by greedy selection on the held-out rows; drop the unchosen."""
        if self.linear_member:
            train_rows = np.setdiff1d(np.arange(len(X)), validation_rows)
            self.members_.append(ridge_member(X, Y, train_rows, validation_rows))
            self.member_layer_sparsity_.append([0.0])
            self.history_.append({})
            self.member_seeds_ = np.append(self.member_seeds_, LINEAR_MEMBER_SEED)
            self.member_sparsities_ = np.append(self.member_sparsities_, 0.0)
        held_out = predict_all(self.members_, X[validation_rows]).astype(np.float64)
        weights = greedy_selection(held_out, Y[validation_rows])
        chosen = np.flatnonzero(weights)
        self.members_ = [self.members_[k] for k in chosen]
        self.member_layer_sparsity_ = [self.member_layer_sparsity_[k] for k in chosen]
        self.history_ = [self.history_[k] for k in chosen]
        self.member_seeds_ = self.member_seeds_[chosen]
        self.member_sparsities_ = self.member_sparsities_[chosen]
        self.member_weights_ = weights[chosen]

    def _forget_previous_fit(self):
        """Remove what an earlier fit learned, so that no attribute outlives the fit that made it."""
        for name in [name for name in vars(self) if name.endswith("_") and not name.startswith("__")]:
            delattr(self, name)
        self.__dict__.pop("_y_is_1d", None)

    def _drop_diverged(self, trained):
        """Indices of the members whose loss and weights stayed finite; raise per policy."""
        kept = []
        for index, member in enumerate(trained):
            losses = np.asarray(member.history.get("loss", []), dtype=float)
            weights_finite = all(np.all(np.isfinite(w)) for w in member.model.get_weights())
            if np.all(np.isfinite(losses)) and weights_finite:
                kept.append(index)
            else:
                self._member_failed(index, member.spec)
        if not kept:
            raise MemberDivergedError(
                "every member diverged, so the ensemble has no member left. Lower learning_rate, or scale X "
                "and check it for extreme values (e.g. with StandardScaler)."
            )
        return kept

    def _member_failed(self, index, spec):
        message = (
            f"member {index} (seed {spec.seed}, final sparsity {spec.final_sparsity}, learning_rate "
            f"{self.learning_rate}) diverged: its training loss or weights became NaN or infinite. "
            "Lower learning_rate, or scale X and check it for extreme values (e.g. with StandardScaler)."
        )
        if self.on_member_failure == "raise":
            raise MemberDivergedError(message)
        warnings.warn(message + " It is left out of the ensemble.", MemberDivergedWarning, stacklevel=4)

    def _member_specs(self):
        if _is_auto(self.sparsities):
            sparsities = auto_sparsities(self.n_members)
        else:
            sparsities = check_sparsities(self.sparsities)
        if self.pruning_start >= self.pruning_end:
            raise ValueError(
                f"pruning_start must be < pruning_end, got {self.pruning_start} and {self.pruning_end}"
            )
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, _MAX_SEED, size=self.n_members)
        specs = []
        for index, seed in enumerate(seeds):
            final = float(sparsities[index % sparsities.size])
            schedule = PruningSchedule(
                final_sparsity=final,
                initial_sparsity=min(float(self.initial_sparsity), final),
                begin=float(self.pruning_start),
                end=float(self.pruning_end),
                frequency=self.pruning_frequency,
            )
            specs.append(
                MemberSpec(int(seed), schedule, hidden, self.activation, self.sparsity_allocation)
            )
        return specs

    def _factory(self):
        return PrunedMLPFactory(**options_of(self))

    def _checkpoint(self, X, Y):
        """The MemberCheckpoint of this fit, or None without ``checkpoint_dir``."""
        if self.checkpoint_dir is None:
            return None
        # Everything that changes what a member learns; not how it is run or reported.
        not_learned = options_not_learned() | {"checkpoint_dir", "on_member_failure"}
        settings = {name: repr(value) for name, value in self.get_params(deep=False).items() if name not in not_learned}
        if not isinstance(self.random_state, numbers.Integral):
            # Seeds drawn afresh (None) or from a generator (whose repr is a memory
            # address) cannot name the members: each member file records its own seed.
            settings["random_state"] = "drawn at fit; each member file holds its seed"
        settings["package_version"] = __version__
        return MemberCheckpoint(self.checkpoint_dir, fingerprint([X, Y], settings))

    def _train(self, X, Y, specs, checkpoint, stage, factory=None, validation_rows=None):
        """Train ``specs``, taking finished members from ``checkpoint`` and saving new ones there."""
        factory = factory or self._factory()
        if checkpoint is None:
            return factory.train(X, Y, specs, validation_rows=validation_rows)
        keys = [f"{stage}-member{index}" for index in range(len(specs))]
        trained = {}
        for index, (key, spec) in enumerate(zip(keys, specs)):
            saved = checkpoint.load(key)
            if saved is not None:
                weights, history, best_epoch, seed = saved
                # The member keeps the seed it was trained with, which differs from
                # this fit's draw when random_state is not an integer.
                spec = spec if seed is None else dataclasses.replace(spec, seed=seed)
                trained[index] = factory.restore(spec, weights, X.shape[1], Y.shape[1], len(X), history, best_epoch)
        missing = [index for index in range(len(specs)) if index not in trained]

        def save(position, member):
            checkpoint.save(
                keys[missing[position]], member.model.get_weights(), member.history, member.best_epoch, member.spec.seed
            )

        if missing:
            members = factory.train(
                X, Y, [specs[index] for index in missing], on_trained=save, validation_rows=validation_rows
            )
            trained.update(zip(missing, members))
        return [trained[index] for index in range(len(specs))]

    def _stacking_splits(self, X, Y):
        """The ``(train, test)`` folds of stacking, checked to partition the rows.

        As in :func:`~sklearn.model_selection.cross_val_predict`, every row needs
        exactly one out-of-fold prediction: a row in no test fold would train the
        meta-learner on no prediction at all, and a row in two would keep only one.
        """
        splits = list(check_cv(self.cv).split(X, Y))
        tested = np.bincount(np.concatenate([test for _, test in splits]), minlength=len(X))
        if np.any(tested != 1):
            raise ValueError(
                f"cv={self.cv!r} does not partition the rows into test folds: {np.sum(tested == 0)} of {len(X)} "
                f"rows are in no test fold and {np.sum(tested > 1)} in more than one. combine='stack' needs one "
                "out-of-fold prediction per row; give cv as an integer or a partitioning splitter such as KFold."
            )
        return splits

    def _fit_final_estimators(self, X, Y, specs, indices, checkpoint, splits):
        """Fit one meta-learner per output on out-of-fold member predictions.

        ``indices`` numbers the members as in the full fit. Returns the fitted
        meta-learners and the indices of the members that did not diverge in any fold.
        """
        out_of_fold = np.zeros((len(X), len(specs), Y.shape[1]))
        for fold, (train, test) in enumerate(splits):
            factory = self._fold_factory(len(X), len(train))
            fold_members = self._train(X[train], Y[train], specs, checkpoint, f"fold{fold}", factory)
            for k, member in enumerate(fold_members):
                out_of_fold[test, k] = strip(member.model).predict(X[test])
        finite = [k for k in range(len(specs)) if np.all(np.isfinite(out_of_fold[:, k]))]
        for k in sorted(set(range(len(specs))) - set(finite)):
            self._member_failed(indices[k], specs[k])
        if not finite:
            raise MemberDivergedError("every member diverged in cross-validation; no member is left to stack.")
        if self.final_estimator is None:
            estimators = [convex_meta_learner(out_of_fold[:, finite, j], Y[:, j]) for j in range(Y.shape[1])]
        else:
            estimators = [clone(self.final_estimator).fit(out_of_fold[:, finite, j], Y[:, j]) for j in range(Y.shape[1])]
        return estimators, [indices[k] for k in finite]

    def _fold_factory(self, n_samples, n_fold_samples):
        """The factory of a fold's members: as many optimizer steps as a full-data member gets.

        A fold member sees fewer rows, so fewer steps per epoch; trained for the
        same epochs it would be less converged than the member it stands in for,
        and the meta-learner would learn to correct for that.
        """
        factory = self._factory()
        if factory.early_stopping:  # both the full and the fold members hold rows out
            n_samples -= factory.n_validation(n_samples)
            n_fold_samples -= factory.n_validation(n_fold_samples)
        full_steps = factory.steps_per_epoch(n_samples) * factory.epochs_for(n_samples)
        factory.epochs = int(-(-full_steps // factory.steps_per_epoch(n_fold_samples)))
        return factory

    def predict_members(self, X):
        """Predictions of every member, in the units of ``y``.

        Returns
        -------
        ndarray of shape (n_members, n_samples) or (n_members, n_samples, n_outputs)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        # One pass over X for all members: each block of rows is converted once, in cache.
        standardized = predict_all(self.members_, X).astype(np.float64)
        predictions = standardized * self.y_scale_ + self.y_mean_
        return predictions[:, :, 0] if self._y_is_1d else predictions

    def predict(self, X, return_std=False):
        """Predict with the combined members.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the standard deviation of the members' predictions.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        y_std : ndarray of the same shape, only when ``return_std`` is True
        """
        members = self.predict_members(X)
        if self.combine == "mean":
            y_pred = members.mean(axis=0)
        elif self.combine == "select":
            y_pred = np.tensordot(self.member_weights_, members, axes=1)
        elif self.combine == "median":
            y_pred = np.median(members, axis=0)
        else:
            y_pred = self._predict_stacked(members)
        if not np.all(np.isfinite(y_pred)):
            raise ValueError(
                "the ensemble's predictions are not finite for some rows of X: X holds values far outside "
                "the range seen in training, or too large for float32. Check X for extreme values."
            )
        if return_std:
            return y_pred, members.std(axis=0)
        return y_pred

    def _predict_stacked(self, members):
        standardized = (members.reshape(len(self.members_), members.shape[1], -1) - self.y_mean_) / self.y_scale_
        columns = [
            estimator.predict(standardized[:, :, j].T) * self.y_scale_[j] + self.y_mean_[j]
            for j, estimator in enumerate(self.final_estimators_)
        ]
        y_pred = np.column_stack(columns)
        return y_pred[:, 0] if self._y_is_1d else y_pred
