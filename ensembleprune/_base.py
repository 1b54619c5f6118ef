"""The private base of PrunedEnsembleRegressor and PrunedEnsembleClassifier.

Everything that does not depend on the kind of target lives here, as
scikit-learn's ``_BaseVoting`` and ``_BaseStacking`` hold what their regressor
and classifier share: the parameters, the members' specs and training (with
checkpoints), the held-out rows and the handling of diverged members; the
combiners' own steps come from two mixins, greedy selection from
``_selection.py`` and the out-of-fold predictions of stacking from
``_stacking.py``. A subclass
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
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._auto_members import adds_screened_member, auto_input_pruning, is_auto, member_sparsities, n_members_for
from ._inputs import check_float32_range, feature_standardization, validated_X
from ._selection import MIN_HELD_OUT_ROWS, MIN_ROWS, _SelectionMixin, held_out_rows
from ._stacking import _StackingMixin
from ._version import __version__
from .checkpoint import MemberCheckpoint, fingerprint
from .compact import predict_all, strip
from .encoding import MAX_BINS, encode, fit_encoding
from .exceptions import MemberDivergedError, MemberDivergedWarning
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


class _BasePrunedEnsemble(_SelectionMixin, _StackingMixin, BaseEstimator):
    """Ensemble of pruned MLPs: what the regressor and the classifier share. Not for direct use."""

    _parameter_constraints = {
        "n_members": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "sparsities": ["array-like", StrOptions({"auto"})],
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "sparsity_allocation": [StrOptions(set(ALLOCATIONS))],
        "input_pruning": [StrOptions({*INPUT_PRUNINGS, "auto"}), list, tuple],
        "input_encoding": [StrOptions({"auto"}), Interval(numbers.Integral, 2, None, closed="left"), None],
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
        n_members="auto",
        sparsities="auto",
        hidden_layer_sizes=(256, 256),
        activation="relu",
        epochs="auto",
        batch_size="auto",
        learning_rate=1e-3,
        learning_rate_schedule="constant",
        sparsity_allocation="erk",
        input_pruning="auto",
        input_encoding="auto",
        initial_sparsity=0.0,
        pruning_start=0.1,
        pruning_end=0.6,
        pruning_frequency="auto",
        combine="select",
        linear_member="prefer",
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
        self.input_encoding = input_encoding
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # made dense by validated_X
        return tags

    def _validate_inputs(self, X, y, sample_weight, **target_checks):
        """Check the parameters and the data once, after forgetting any earlier fit."""
        self._validate_params()
        self._forget_previous_fit()
        X, y = validated_X(self, X, y, **target_checks)
        check_float32_range(X, "X")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
            if not sample_weight.any():
                raise ValueError("sample_weight is zero for every row: give some rows a positive weight.")
        return X, y, sample_weight

    def _fit(self, X, Y, sample_weight):
        """Train the members on ``Y`` (the targets as members learn them) and fit the combiner.

        The members learn from the features standardized (``feature_standardization``), then their encoded
        columns (``input_encoding``, fitted on ``X`` as given). Once fitted, each member's first layer takes the
        standardization in, so that members read ``X`` as given and no file, ONNX graph or Keras model needs
        a step for it.
        """
        self.input_encoding_ = None
        if self.input_encoding is not None:
            self.input_encoding_ = fit_encoding(X, MAX_BINS if self.input_encoding == "auto" else self.input_encoding)
        center, scale = feature_standardization(X, sample_weight)
        # In X's dtype, and no name kept for it: the standardized copy lives only until encode has stacked it.
        self._fit_members(encode(X, self.input_encoding_, ((X - center) / scale).astype(X.dtype, copy=False)),
                          Y, sample_weight)
        self.members_ = [member.reading_unstandardized(center, scale) for member in self.members_]
        return self

    def _fit_members(self, X, Y, sample_weight):
        """``_fit`` on ``X``, the members' inputs: the features standardized, then their encoded columns."""
        specs = self._member_specs(self._output_activation(Y), self.n_features_in_, self._reads_by_turns())
        strategy_params(self.strategy, self.strategy_params)  # refuse bad strategy_params before training
        # Split before training, so that a splitter stacking cannot use fails before any member trains.
        splits = self._stacking_splits(X, Y) if self.combine == "stack" else None
        validation_rows = None
        if self.early_stopping or self.combine == "select":
            validation_rows = self._validation_rows(len(X), specs, sample_weight)
        folds = None  # the selection's folds, where too few rows are held out to judge the networks on
        if self.combine == "select" and self.linear_member:
            n_held_out = held_out_rows(None if sample_weight is None else sample_weight[validation_rows],
                                       len(validation_rows))
            if n_held_out < MIN_HELD_OUT_ROWS:
                n_rows = held_out_rows(sample_weight, len(X))
                if n_rows < MIN_ROWS:
                    return self._fit_linear_alone(X, Y, sample_weight, {"held_out_rows": n_held_out, "rows": n_rows})
                folds = self._selection_folds(Y, specs)
        checkpoint = self._checkpoint(X, Y, sample_weight)
        ledger = CostLedger()
        if folds is not None:
            judged = self._judge_out_of_fold(X, Y, sample_weight, specs, checkpoint, folds, ledger)
            if judged is None:  # the linear member alone is the model: no full-data network is needed
                return self
        trained = self._train(X, Y, sample_weight, specs, checkpoint, "full", ledger, validation_rows=validation_rows)
        kept, compact = self._drop_diverged(trained)
        # Stacking's linear member, fitted on all rows; the selection's evidence; the kept networks' logits in it.
        linear = out_of_fold = calibration_logits = None
        if self.combine == "stack":
            # The fold members are the specs as given (a strategy derives its children from them again),
            # with the seed each member was trained with (a resumed member keeps its own).
            fold_specs = [dataclasses.replace(specs[k], seed=trained[k].spec.seed) for k in kept]
            self.final_estimators_, kept, linear = self._fit_final_estimators(
                X, Y, sample_weight, fold_specs, kept, checkpoint, splits, ledger
            )
        elif folds is not None:
            # The networks that trained well both on the folds and on every row.
            (fold_outputs, fold_logits, fold_kept, _), judged_weights = judged
            columns = [j for j, k in enumerate(fold_kept) if k in kept]
            if not columns:
                raise MemberDivergedError("no member trained well both on the folds and on every row; no member "
                                          "is left to combine. Lower learning_rate or the sparsities.")
            if len(columns) < len(fold_kept):  # a network diverged on every row: the others are weighed again
                judged_weights = None
            kept = [fold_kept[j] for j in columns]
            out_of_fold, fold_logits = fold_outputs[:, columns], fold_logits[:, columns]
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
            if folds is None:
                self._select(X, Y, sample_weight, validation_rows)
            else:
                chosen = self._select_out_of_fold(X, Y, sample_weight, out_of_fold, folds, judged_weights)
                calibration_logits = fold_logits[:, chosen[chosen < fold_logits.shape[1]]]
            ledger.add_seconds("selection", time.perf_counter() - start)
        # After the selection, which would trust members calibrated on its own rows more than they deserve;
        # not for stacking, whose meta-learner learnt from uncalibrated fold members.
        self._calibrate_members(X, Y, sample_weight, None if self.combine == "stack" else validation_rows,
                                calibration_logits)
        self.training_cost_ = ledger.as_dict()
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

    def _calibrate_members(self, X, Y, sample_weight, validation_rows, out_of_fold_logits=None):
        """Calibrate the members before they are combined: on their out-of-fold logits, else on ``validation_rows``.

        ``out_of_fold_logits``, of shape (n_samples, n_networks, n_outputs),
        holds the network members' fold members' logits of every row, in the
        order of the network members (None: not judged out of fold);
        ``validation_rows`` None: none held out. Regression members need no
        calibration; the classifier's override does.
        """

    def _class_codes(self, Y):
        """The class of each row of ``Y``, for stratified folds; None for a regressor, whose folds are not stratified."""
        return None

    def _linear_member(self, X, Y, sample_weight, rows):
        """The linear member fitted on ``rows`` of the features as given, reading none of their encoded columns.

        Returns the subclass's ``(model, penalty)``, the model reading the
        members' inputs ``X`` (None where the subclass has none).
        """
        model, penalty = self._fit_linear_member(X[:, :self.n_features_in_], Y, sample_weight, rows)
        return (None if model is None else model.reading_first_columns_of(X.shape[1])), penalty

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
            X = validated_X(self, X, reset=False)
        # One pass over X for all members: each block of rows is converted once, in cache.
        return predict_all(self.members_, encode(X, self.input_encoding_)).astype(np.float64)

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
                "learning_rate or the sparsities, and check X for extreme values far from the rest of their column."
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
                "NaN or infinite. Lower learning_rate, or check X for extreme values far from the rest of their "
                "column."
            )
        if self.on_member_failure == "raise":
            raise MemberDivergedError(message)
        warnings.warn(message + " It is left out of the ensemble.", MemberDivergedWarning, stacklevel=4)

    def _reads_by_turns(self):
        """Whether the fitted members read the encoded columns by turns (else all read the same inputs)."""
        # Members of the other strategies descend from one network, so they all read what it reads.
        return self.input_encoding_ is not None and self.strategy == "independent"

    def _member_specs(self, output_activation, n_features, by_turns=False):
        """The members' specs for ``n_features`` features; with ``by_turns``, every other member reads them alone.

        Where the features' encoded columns follow them (``input_encoding``),
        the members read them by turns, the first member the encoded columns,
        and ``sparsities="auto"`` gives each sparsity to two members in a row,
        so that it is read both ways: which reading suits a sparsity depends on
        the table (small tables, many noise features), and the combiner weighs
        them all. On inputs wider than the first layer, ``n_members="auto"``
        adds one member that reads only the features a marginal screen finds
        (``_auto_members.adds_screened_member``).
        """
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        one_parent = self.strategy != "independent"
        screened = adds_screened_member(self.n_members, self.input_pruning, n_features, hidden[0], one_parent)
        n_members = n_members_for(self.n_members, by_turns, screened)
        if is_auto(self.sparsities):
            sparsities = member_sparsities(n_members, by_turns, screened)
        else:
            sparsities = check_sparsities(self.sparsities)
        finals = sparsities[np.arange(n_members) % sparsities.size]  # each member's
        if self.pruning_start >= self.pruning_end:
            raise ValueError(
                f"pruning_start must be < pruning_end, got {self.pruning_start} and {self.pruning_end}"
            )
        if is_auto(self.input_pruning):
            others = auto_input_pruning(n_features, hidden[0], finals[:n_members - screened], one_parent)
            input_prunings = others + ("screened",) * screened
        else:
            input_prunings = check_input_pruning(self.input_pruning)
        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, _MAX_SEED, size=n_members)
        specs = []
        for index, seed in enumerate(seeds):
            final = float(finals[index])
            schedule = PruningSchedule(
                final_sparsity=final,
                initial_sparsity=min(float(self.initial_sparsity), final),
                begin=float(self.pruning_start),
                end=float(self.pruning_end),
                frequency=self.pruning_frequency,
            )
            specs.append(
                MemberSpec(int(seed), schedule, hidden, self.activation, self.sparsity_allocation, output_activation,
                           input_prunings[index % len(input_prunings)],
                           n_features if by_turns and index % 2 else None)
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
