"""The private base of PrunedEnsembleRegressor and PrunedEnsembleClassifier.

Everything that does not depend on the kind of target lives here, as
scikit-learn's ``_BaseVoting`` and ``_BaseStacking`` hold what their regressor
and classifier share: the parameters, the members' specs and training (with
checkpoints), the held-out rows, greedy selection, the out-of-fold
predictions of stacking and the handling of diverged members. A subclass
turns ``y`` into the targets the members learn (``Y``), and says how members
end, which linear member and selection loss it offers, and which
meta-learner it stacks with.
"""

import dataclasses
import numbers
import os
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._version import __version__
from .checkpoint import MemberCheckpoint, fingerprint
from .combiners import effective_rows, greedy_selection, paired_difference
from .compact import predict_all, strip
from .factory import PrunedMLPFactory
from .ledger import CostLedger
from .member import (ALLOCATIONS, HIDDEN_ACTIVATIONS, INPUT_PRUNINGS, MemberSpec, check_hidden_layer_sizes,
                     check_input_pruning, check_sparsities)
from .options import option_constraints, options_not_learned, options_of
from .schedule import PruningSchedule
from .strategies import STRATEGIES, MemberStore, strategy_params, train_members

_MAX_SEED = 2**31 - 1
# member_seeds_ of the linear member, which has no seed.
LINEAR_MEMBER_SEED = -1
# combine="select": bootstrap resamples of the held-out rows that the selection is averaged over.
SELECTION_BAGS = 20
# combine="select": fewer held-out rows than this cannot show networks better than the linear member, which
# is then the model, and no network is trained. So few rows rarely hold the outliers and far-off rows where
# networks err most, so their losses and standard error flatter the networks (docs/performance.md, "Small
# tables"); the same rows also chose the networks' epochs.
MIN_HELD_OUT_ROWS = 30
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


def auto_input_pruning(n_features, first_width):
    """``input_pruning="auto"``: what each member's input layer prunes, cycled over the members.

    Where the inputs outnumber the first layer's units, members prune whole
    features and single weights by turns, the first member features. Single
    weights fail there when few inputs are informative: the floor of live
    weights keeps about one weight per input, so even the sparsest member
    reads about half of the inputs (docs/performance.md, "Pruning whole input
    features"). Wide inputs also start with small weights (He initialization
    scales them by ``1 / sqrt(n_features)``), so training lifts the rows of
    informative features above the rest and magnitude can rank features;
    narrower inputs, whose initial weights outweigh what training adds, keep
    single-weight pruning in every member. With the "auto" sparsities the
    feature members are the densest and the third: the sparsest would keep
    too few features to be of use (2 of 500), and the weight members keep a
    path for data whose signal is spread over many inputs.
    """
    if n_features > first_width:
        return ("features", "weights")
    return ("weights",)


class MemberDivergedError(ValueError):
    """A member's training diverged: its loss or weights became NaN or infinite."""


class MemberDivergedWarning(UserWarning):
    """A diverged member was left out of the ensemble (``on_member_failure="skip"``)."""


def _held_out_rows(held_out_weights, n_rows):
    """How many rows the held-out losses rest on: ``n_rows``, or Kish's effective count under weights."""
    return float(n_rows if held_out_weights is None else effective_rows(held_out_weights))


def _check_float32_range(values, name):
    # Members train in float32: larger values would become infinite there.
    # max and min rather than abs().max(): no temporary copy of a large X.
    largest = max(abs(float(values.max(initial=0.0))), abs(float(values.min(initial=0.0))))
    if largest > np.finfo(np.float32).max / 1e6:
        raise ValueError(
            f"{name} holds values too large to train on in float32 (largest |value| {largest:.3g}); "
            f"rescale {name}, for example with StandardScaler."
        )



class _BasePrunedEnsemble(BaseEstimator):
    """Ensemble of pruned MLPs: what the regressor and the classifier share. Not for direct use."""

    _parameter_constraints = {
        "n_members": [Interval(numbers.Integral, 1, None, closed="left")],
        "sparsities": ["array-like", StrOptions({"auto"})],
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "sparsity_allocation": [StrOptions(set(ALLOCATIONS))],
        "input_pruning": [StrOptions({*INPUT_PRUNINGS, "auto"}), list, tuple],
        "initial_sparsity": [Interval(numbers.Real, 0, 1, closed="left")],
        "pruning_start": [Interval(numbers.Real, 0, 1, closed="left")],
        "pruning_end": [Interval(numbers.Real, 0, 1, closed="right")],
        "pruning_frequency": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "linear_member": ["boolean", StrOptions({"prefer"})],
        "strategy": [StrOptions(set(STRATEGIES))],
        "strategy_params": [None, dict],
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
        input_pruning="auto",
        initial_sparsity=0.0,
        pruning_start=0.1,
        pruning_end=0.6,
        pruning_frequency="auto",
        combine="select",
        linear_member=True,
        final_estimator=None,
        cv=5,
        strategy="independent",
        strategy_params=None,
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
        self.input_pruning = input_pruning
        self.initial_sparsity = initial_sparsity
        self.pruning_start = pruning_start
        self.pruning_end = pruning_end
        self.pruning_frequency = pruning_frequency
        self.combine = combine
        self.linear_member = linear_member
        self.final_estimator = final_estimator
        self.cv = cv
        self.strategy = strategy
        self.strategy_params = strategy_params
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

    def _validate_inputs(self, X, y, sample_weight, **target_checks):
        """Check the parameters and the data once, after forgetting any earlier fit."""
        self._validate_params()
        self._forget_previous_fit()
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], **target_checks)
        _check_float32_range(X, "X")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
            if not sample_weight.any():
                raise ValueError("sample_weight is zero for every row: give some rows a positive weight.")
        return X, y, sample_weight

    def _fit(self, X, Y, sample_weight):
        """Train the members on ``Y`` (the targets as members learn them) and fit the combiner."""
        specs = self._member_specs(self._output_activation(Y), X.shape[1])
        strategy_params(self.strategy, self.strategy_params)  # refuse bad strategy_params before training
        # Split before training, so that a splitter stacking cannot use fails before any member trains.
        splits = self._stacking_splits(X, Y) if self.combine == "stack" else None
        validation_rows = None
        if self.early_stopping or self.combine == "select":
            validation_rows = self._validation_rows(len(X), specs, sample_weight)
        if self.combine == "select" and self.linear_member:
            n_held_out = _held_out_rows(None if sample_weight is None else sample_weight[validation_rows],
                                        len(validation_rows))
            if n_held_out < MIN_HELD_OUT_ROWS:
                return self._fit_linear_alone(X, Y, sample_weight, n_held_out)
        checkpoint = self._checkpoint(X, Y, sample_weight)
        ledger = CostLedger()
        trained = self._train(X, Y, sample_weight, specs, checkpoint, "full", ledger, validation_rows=validation_rows)
        kept, compact = self._drop_diverged(trained)
        linear = None  # stacking's linear member, fitted on all rows
        if self.combine == "stack":
            # The fold members are the specs as given (a strategy derives its children from them again),
            # with the seed each member was trained with (a resumed member keeps its own).
            fold_specs = [dataclasses.replace(specs[k], seed=trained[k].spec.seed) for k in kept]
            self.final_estimators_, kept, linear = self._fit_final_estimators(
                X, Y, sample_weight, fold_specs, kept, checkpoint, splits, ledger
            )
        self.members_ = [compact[k] for k in kept]
        trained = [trained[k] for k in kept]
        self.member_layer_sparsity_ = [member.layer_sparsity for member in trained]
        self.history_ = [member.history for member in trained]
        self.member_seeds_ = np.array([member.spec.seed for member in trained])
        self.member_sparsities_ = np.array([member.spec.final_sparsity for member in trained])
        if linear is not None:
            self._append_linear_member(linear)
        if self.combine == "select":
            start = time.perf_counter()
            self._select(X, Y, sample_weight, validation_rows)
            ledger.add_seconds("selection", time.perf_counter() - start)
        # After the selection, which would trust members calibrated on its own rows more than they deserve;
        # not for stacking, whose meta-learner learnt from uncalibrated fold members.
        self._calibrate_members(X, Y, sample_weight, None if self.combine == "stack" else validation_rows)
        self.training_cost_ = ledger.as_dict()
        return self

    def _fit_linear_alone(self, X, Y, sample_weight, n_held_out):
        """The linear member alone, fitted on every row: no network is trained, too few rows would judge it.

        ``n_held_out`` held-out rows, fewer than ``MIN_HELD_OUT_ROWS``, could
        not show networks better than the linear member, so the selection
        would have to keep it alone; training networks only to discard them
        would be time lost.
        """
        self.members_, self.member_layer_sparsity_, self.history_ = [], [], []
        self.member_seeds_, self.member_sparsities_ = np.array([], dtype=np.int64), np.array([])
        linear, _ = self._linear_member(X, Y, sample_weight, np.arange(len(X)))
        self._append_linear_member(linear)
        self.member_weights_ = np.ones(1)
        self.linear_member_evidence_ = {"held_out_rows": n_held_out}
        self._calibrate_members(X, Y, sample_weight, None)
        self.training_cost_ = CostLedger().as_dict()
        return self

    def _validation_rows(self, n_samples, specs, sample_weight):
        """The rows held out for early stopping and the selection, drawn among the rows of positive weight.

        A held-out row of weight 0 tells neither anything; held-out rows that
        all weigh 0 would leave their weighted losses undefined.
        """
        seeds = [spec.seed for spec in specs]
        if sample_weight is None or np.all(sample_weight > 0):
            return self._factory().validation_rows(n_samples, seeds)
        weighted = np.flatnonzero(sample_weight > 0)
        try:
            return weighted[self._factory().validation_rows(len(weighted), seeds)]
        except ValueError as error:
            raise ValueError(f"rows are held out among the {len(weighted)} rows of positive sample_weight: {error}") from None

    def _select(self, X, Y, sample_weight, validation_rows):
        """Weigh the members (and the linear member) by greedy selection on the held-out rows; drop the unchosen."""
        linear = None
        if self.linear_member:
            train_rows = np.setdiff1d(np.arange(len(X)), validation_rows)
            linear, _ = self._linear_member(X, Y, sample_weight, train_rows)
        if linear is not None:  # the classifier has none when a class is missing from the training rows
            self._append_linear_member(linear)
        held_out = predict_all(self.members_, X[validation_rows]).astype(np.float64)
        held_out_weights = None if sample_weight is None else sample_weight[validation_rows]
        weights = greedy_selection(held_out, Y[validation_rows], loss=self._held_out_loss,
                                   sample_weight=held_out_weights, n_bags=SELECTION_BAGS,
                                   random_state=int(self.member_seeds_[0]))
        if linear is not None:
            weights = self._judge_linear(weights, held_out, Y[validation_rows], held_out_weights)
        chosen = np.flatnonzero(weights)
        if linear is not None and weights[-1] > 0:
            # Chosen on rows it did not see; it then learns from the held-out rows too, its penalty chosen
            # again on all of them, as RidgeCV refits (leave-one-out needs no held-out rows).
            self.members_[-1], _ = self._linear_member(X, Y, sample_weight, np.arange(len(X)))
        self.members_ = [self.members_[k] for k in chosen]
        self.member_layer_sparsity_ = [self.member_layer_sparsity_[k] for k in chosen]
        self.history_ = [self.history_[k] for k in chosen]
        self.member_seeds_ = self.member_seeds_[chosen]
        self.member_sparsities_ = self.member_sparsities_[chosen]
        self.member_weights_ = weights[chosen]

    def _held_out_loss(self, average, Y, sample_weight=None):
        """The selection's loss: the (weighted) mean of :meth:`_row_losses`."""
        return float(np.average(self._row_losses(average, Y), weights=sample_weight))

    def _judge_linear(self, weights, held_out, Y, sample_weight):
        """The selection's ``weights``, with the evidence against the linear member (the last of ``held_out``).

        With ``linear_member="prefer"``, the linear member alone instead when
        its loss exceeds the selection's by at most one standard error of the
        paired row-by-row difference: the one-standard-error rule (Hastie,
        Tibshirani and Friedman, 2009, section 7.10). The selection's held-out
        loss flatters it (it was chosen on those rows, as were the members'
        early-stopping epochs), so in doubt the simpler model wins.
        """
        excess, standard_error = paired_difference(
            self._row_losses(held_out[-1], Y), self._row_losses(np.tensordot(weights, held_out, axes=1), Y),
            sample_weight,
        )
        self.linear_member_evidence_ = {"excess_loss": excess, "standard_error": standard_error,
                                        "held_out_rows": _held_out_rows(sample_weight, len(Y))}
        if self.linear_member == "prefer" and excess <= standard_error:
            return np.eye(len(weights))[-1]
        return weights

    def _calibrate_members(self, X, Y, sample_weight, validation_rows):
        """Calibrate the members on the held-out ``validation_rows`` (None: none held out) before they are combined.

        Regression members need no calibration; the classifier's override does.
        """

    def _append_linear_member(self, linear):
        """Add the linear member to the members and their attributes (seed -1, sparsity 0, no history)."""
        self.members_.append(linear)
        self.member_layer_sparsity_.append([0.0])
        self.history_.append({})
        self.member_seeds_ = np.append(self.member_seeds_, LINEAR_MEMBER_SEED)
        self.member_sparsities_ = np.append(self.member_sparsities_, 0.0)

    def _member_outputs(self, X, validate=True):
        """Every member's output on ``X``: shape (n_members, n_samples, n_member_outputs), float64.

        ``validate=False`` is for rows of the array that ``fit`` validated: they
        no longer carry the feature names that a DataFrame had.
        """
        check_is_fitted(self)
        if validate:
            X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        # One pass over X for all members: each block of rows is converted once, in cache.
        return predict_all(self.members_, X).astype(np.float64)

    def _combine_outputs(self, outputs):
        """The mean, weighted mean (selection) or median of the members' ``outputs``."""
        if self.combine == "select":
            return np.tensordot(self.member_weights_, outputs, axes=1)
        if self.combine == "median":
            return np.median(outputs, axis=0)
        return outputs.mean(axis=0)

    def _forget_previous_fit(self):
        """Remove what an earlier fit learned, so that no attribute outlives the fit that made it."""
        for name in [name for name in vars(self) if name.endswith("_") and not name.startswith("__")]:
            delattr(self, name)
        self.__dict__.pop("_y_is_1d", None)

    def _drop_diverged(self, trained):
        """The members that trained well: their indices, and ``{index: CompactMLP}``; raise or warn about the others.

        A member fails when its loss or weights are not finite, or when pruning
        left no path from the inputs to the output, so that it predicts one
        constant.
        """
        kept, compact = [], {}
        for index, member in enumerate(trained):
            losses = np.asarray(member.history.get("loss", []), dtype=float)
            weights_finite = all(np.all(np.isfinite(w)) for w in member.model.get_weights())
            if not (np.all(np.isfinite(losses)) and weights_finite):
                self._member_failed(index, member.spec)
                continue
            compact[index] = strip(member.model)
            if compact[index].used_features_.size == 0:
                self._member_failed(index, member.spec, reason="constant")
            else:
                kept.append(index)
        if not kept:
            raise MemberDivergedError(
                "every member diverged or ended constant, so the ensemble has no member left. Lower "
                "learning_rate or the sparsities, and scale X (e.g. with StandardScaler)."
            )
        return kept, compact

    def _member_failed(self, index, spec, reason="diverged"):
        described = f"member {index} (seed {spec.seed}, final sparsity {spec.final_sparsity}"
        if reason == "constant":
            message = (
                f"{described}) ended constant: pruning left no path from the inputs to the output, so it "
                "predicts the same value for every row. Lower its sparsity, widen hidden_layer_sizes, or use "
                "sparsity_allocation='erk'."
            )
        else:
            message = (
                f"{described}, learning_rate {self.learning_rate}) diverged: its training loss or weights became "
                "NaN or infinite. Lower learning_rate, or scale X and check it for extreme values (e.g. with "
                "StandardScaler)."
            )
        if self.on_member_failure == "raise":
            raise MemberDivergedError(message)
        warnings.warn(message + " It is left out of the ensemble.", MemberDivergedWarning, stacklevel=4)

    def _member_specs(self, output_activation, n_features):
        if _is_auto(self.sparsities):
            sparsities = auto_sparsities(self.n_members)
        else:
            sparsities = check_sparsities(self.sparsities)
        if self.pruning_start >= self.pruning_end:
            raise ValueError(
                f"pruning_start must be < pruning_end, got {self.pruning_start} and {self.pruning_end}"
            )
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        if _is_auto(self.input_pruning):
            input_prunings = auto_input_pruning(n_features, hidden[0])
        else:
            input_prunings = check_input_pruning(self.input_pruning)
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
                MemberSpec(int(seed), schedule, hidden, self.activation, self.sparsity_allocation, output_activation,
                           input_prunings[index % len(input_prunings)])
            )
        return specs

    def _factory(self):
        return PrunedMLPFactory(**options_of(self))

    def _checkpoint(self, X, Y, sample_weight):
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
        return MemberCheckpoint(self.checkpoint_dir, fingerprint([X, Y] + ([] if sample_weight is None else [sample_weight]), settings))

    def _train(self, X, Y, sample_weight, specs, checkpoint, stage, ledger, factory=None, validation_rows=None):
        """Train ``specs`` by ``strategy``, taking finished networks from ``checkpoint`` and saving new ones there."""
        row_weights = None if sample_weight is None else np.tile(sample_weight, (len(specs), 1))
        store = MemberStore(checkpoint, stage, (X.shape[1], Y.shape[1], len(X)))
        params = strategy_params(self.strategy, self.strategy_params)
        return train_members(self.strategy, params, factory or self._factory(), X, Y, specs, row_weights,
                             validation_rows, store, ledger, stage)

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

    def _fit_final_estimators(self, X, Y, sample_weight, specs, indices, checkpoint, splits, ledger):
        """Fit the meta-learners on out-of-fold member predictions.

        ``indices`` numbers the members as in the full fit. With
        ``linear_member``, the linear member's out-of-fold predictions join the
        networks' as the last column. Returns the fitted meta-learners, the
        indices of the members that did not diverge in any fold, and the linear
        member fitted on every row (None without one).
        """
        out_of_fold = np.zeros((len(X), len(specs), Y.shape[1]))
        for fold, (train, test) in enumerate(splits):
            factory = self._fold_factory(len(X), len(train))
            fold_weights = None if sample_weight is None else sample_weight[train]
            fold_members = self._train(X[train], Y[train], fold_weights, specs, checkpoint, f"fold{fold}", ledger, factory)
            for k, member in enumerate(fold_members):
                out_of_fold[test, k] = strip(member.model).predict(X[test])
        finite = [k for k in range(len(specs)) if np.all(np.isfinite(out_of_fold[:, k]))]
        for k in sorted(set(range(len(specs))) - set(finite)):
            self._member_failed(indices[k], specs[k])
        if not finite:
            raise MemberDivergedError("every member diverged in cross-validation; no member is left to stack.")
        start = time.perf_counter()
        out_of_fold, linear = out_of_fold[:, finite], None
        linear_out_of_fold = self._linear_out_of_fold(X, Y, sample_weight, splits) if self.linear_member else None
        if linear_out_of_fold is not None:
            out_of_fold = np.concatenate([out_of_fold, linear_out_of_fold[:, None]], axis=1)
            linear, _ = self._linear_member(X, Y, sample_weight, np.arange(len(X)))
        meta_learners = self._fit_meta_learners(out_of_fold, Y, sample_weight)
        ledger.add_seconds("meta-learner", time.perf_counter() - start)
        return meta_learners, [indices[k] for k in finite], linear

    def _linear_out_of_fold(self, X, Y, sample_weight, splits):
        """The linear member's out-of-fold predictions, or None where a fold's rows lack a class (classifier)."""
        out_of_fold = np.zeros(Y.shape)
        for train, test in splits:
            model, _ = self._linear_member(X, Y, sample_weight, train)
            if model is None:
                return None
            out_of_fold[test] = model.predict(X[test])
        return out_of_fold

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

