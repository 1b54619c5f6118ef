"""Members trained again on cross-validation folds, their out-of-fold predictions, and stacking's meta-learners.

A mixin of :class:`~ensembleprune._base._BasePrunedEnsemble`: it reads the
estimator's parameters and uses its ``_train``, ``_factory``,
``_linear_member``, ``_member_failed`` and ``_fit_meta_learners`` (the last
defined by the regressor and the classifier for their kind of target).
"""

import time

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.model_selection import check_cv

from ._fused_cache import FusedModelCache
from .compact import strip
from .exceptions import MemberDivergedError
from .ledger import CostLedger


class _StackingMixin:
    """The folds, fold members and meta-learners of stacking; the selection's out-of-fold evidence on small data."""

    def _stacking_splits(self, X, Y):
        """The ``(train, test)`` folds of stacking, checked to partition the rows.

        As in :func:`~sklearn.model_selection.cross_val_predict`, every row needs
        exactly one out-of-fold prediction: a row in no test fold would train the
        meta-learner on no prediction at all, and a row in two would keep only one.
        """
        classes = self._class_codes(Y)  # stratified folds for a classifier, as StackingClassifier's
        stratify = classes is not None
        splits = list(check_cv(self.cv, classes, classifier=stratify).split(X, classes if stratify else Y))
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
        out_of_fold, _, kept, _ = self._out_of_fold(X, Y, sample_weight, specs, indices, checkpoint, splits, ledger,
                                                    "fold")
        start = time.perf_counter()
        linear = None
        linear_out_of_fold = self._linear_out_of_fold(X, Y, sample_weight, splits) if self.linear_member else None
        if linear_out_of_fold is not None:
            out_of_fold = np.concatenate([out_of_fold, linear_out_of_fold[:, None]], axis=1)
            linear, _ = self._linear_member(X, Y, sample_weight, np.arange(len(X)))
        meta_learners = self._fit_meta_learners(out_of_fold, Y, sample_weight)
        ledger.add_seconds("meta-learner", time.perf_counter() - start)
        return meta_learners, kept, linear

    def _out_of_fold(self, X, Y, sample_weight, specs, indices, checkpoint, splits, ledger, stage):
        """The members trained again on each fold's training rows, and their predictions on its test rows.

        ``indices`` numbers the members as in the full fit; a member that
        diverged in any fold is reported and left out. Returns the out-of-fold
        predictions and the same before the output layer's activation (logits,
        for the classifier's calibration), each of shape (n_samples,
        n_members_left, n_outputs), the indices of the members left, and their
        seeds (a member resumed from a checkpoint keeps the seed it was trained
        with). ``stage`` names the folds' checkpoints.
        """
        out_of_fold = np.zeros((len(X), len(specs), Y.shape[1]))
        logits = np.zeros_like(out_of_fold)
        jobs = [(self._fold_factory(len(X), len(train)), train, test) for train, test in splits]
        if self.training == "fused" and effective_n_jobs(self.n_jobs) > 1 and len(jobs) > 1:
            # Fused members leave n_jobs unused: the folds train in parallel instead, each worker with its
            # share of the cores (folds of a few hundred rows keep one core as busy as two).
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(self._fold_outputs)(X, Y, sample_weight, specs, checkpoint, f"{stage}{fold}", *job)
                for fold, job in enumerate(jobs)
            )
        else:
            # Folds of equal size train one fused model, traced once; each fold's members are stripped
            # before the next fold trains the model again.
            fused_cache = FusedModelCache()
            results = (self._fold_outputs(X, Y, sample_weight, specs, checkpoint, f"{stage}{fold}", *job, fused_cache)
                       for fold, job in enumerate(jobs))
        for fold, ((_, _, test), (fold_outputs, fold_logits, fold_seeds, fold_ledger)) in enumerate(zip(jobs, results)):
            out_of_fold[test], logits[test] = fold_outputs, fold_logits
            if fold == 0:  # every fold trains the same specs; a resumed member keeps its own seed
                seeds = fold_seeds
            ledger.extend(fold_ledger)
        finite = [k for k in range(len(specs)) if np.all(np.isfinite(out_of_fold[:, k]))]
        for k in sorted(set(range(len(specs))) - set(finite)):
            self._member_failed(indices[k], specs[k])
        if not finite:
            raise MemberDivergedError("every member diverged in cross-validation; no member is left to combine.")
        return out_of_fold[:, finite], logits[:, finite], [indices[k] for k in finite], [seeds[k] for k in finite]

    def _fold_outputs(self, X, Y, sample_weight, specs, checkpoint, stage, factory, train, test, fused_cache=None):
        """One fold's members, trained on its ``train`` rows: their outputs and logits on its ``test`` rows.

        Returns arrays of shape (len(test), n_members, n_outputs), the
        members' seeds and the fold's own ledger (a fold may run in a worker
        process).
        """
        factory.fused_cache = fused_cache
        fold_weights = None if sample_weight is None else sample_weight[train]
        ledger = CostLedger()
        members = self._train(X[train], Y[train], fold_weights, specs, checkpoint, stage, ledger, factory)
        outputs = np.zeros((len(test), len(specs), Y.shape[1]))
        logits = np.zeros_like(outputs)
        for k, member in enumerate(members):
            compact = strip(member.model)
            outputs[:, k] = compact.predict(X[test])
            logits[:, k] = compact.with_output_layer(activation="linear").predict(X[test])
        return outputs, logits, [member.spec.seed for member in members], ledger

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
