"""combine="select": the members weighed by greedy selection on held-out rows, and the linear member's judgement.

A mixin of :class:`~ensembleprune._base._BasePrunedEnsemble`: it reads the
estimator's parameters and uses its ``_linear_member``, ``_row_losses``,
``_append_linear_member``, ``_calibrate_members`` and ``_class_codes``, which
the regressor and the classifier define for their kind of target, and the
stacking mixin's ``_out_of_fold`` and ``_linear_out_of_fold``.
"""

import time

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from .combiners import effective_rows, greedy_selection, paired_difference
from .compact import predict_all
from .ledger import CostLedger

# Bootstrap resamples of the held-out rows that the selection is averaged over.
SELECTION_BAGS = 20
# Fewer held-out rows than this cannot show networks better than the linear member: so few rows rarely hold
# the outliers, far-off rows and confident mistakes where networks err most, so their losses and standard error
# flatter the networks (docs/performance.md, "Small tables" and "Held-out evidence on a few hundred rows"); the
# same rows also chose the networks' epochs. The members are then judged on out-of-fold predictions of every
# row, from members trained again on SELECTION_FOLDS folds.
MIN_HELD_OUT_ROWS = 100
# With fewer rows than this in all, the linear member is the model and no network is trained: out of fold too,
# so few rows could not show networks better.
MIN_ROWS = 30
SELECTION_FOLDS = 5
# Out of fold, the linear member is kept alone unless the selection beats it by more than this many standard
# errors, whatever linear_member says: on a table this small a clear edge (about the usual 5% significance)
# is needed before networks, whose errors on far-off rows are unbounded, replace the linear model. Chosen
# after seeing the small tables (docs/performance.md, "Small tables: out-of-fold evidence").
OUT_OF_FOLD_STANDARD_ERRORS = 2.0


def held_out_rows(held_out_weights, n_rows):
    """How many rows the held-out losses rest on: ``n_rows``, or Kish's effective count under weights."""
    return float(n_rows if held_out_weights is None else effective_rows(held_out_weights))


class _SelectionMixin:
    """Greedy selection of the members on held-out rows (or out of fold), with the linear member judged beside them."""

    def _fit_linear_alone(self, X, Y, sample_weight, evidence, ledger=None):
        """The linear member alone, fitted on every row, and no full-data network.

        Fewer than ``MIN_ROWS`` rows in all (Kish's count under
        weights) could not show networks better than the linear member, held
        out or out of fold, so the selection would have to keep it alone;
        training networks only to discard them would be time lost. The same
        holds where the fold members' out-of-fold evidence already kept it
        alone. ``evidence`` becomes ``linear_member_evidence_``; ``ledger``
        holds what the fold members cost, if any were trained.
        """
        self.members_, self.member_layer_sparsity_, self.history_ = [], [], []
        self.member_seeds_, self.member_sparsities_ = np.array([], dtype=np.int64), np.array([])
        linear, _ = self._linear_member(X, Y, sample_weight, np.arange(len(X)))
        self._append_linear_member(linear)
        self.member_weights_ = np.ones(1)
        self.linear_member_evidence_ = evidence
        self._calibrate_members(X, Y, sample_weight, None)
        self.training_cost_ = (ledger or CostLedger()).as_dict()
        return self

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
        weights = self._weigh(held_out, Y[validation_rows], held_out_weights, linear is not None)
        if linear is not None and weights[-1] > 0:
            # Chosen on rows it did not see; it then learns from the held-out rows too, its penalty chosen
            # again on all of them, as RidgeCV refits (leave-one-out needs no held-out rows).
            self.members_[-1], _ = self._linear_member(X, Y, sample_weight, np.arange(len(X)))
        self._keep(weights)

    def _selection_folds(self, Y, specs):
        """The folds of the selection's out-of-fold evidence: ``SELECTION_FOLDS`` of random rows, drawn from the seeds.

        Random rows, as the held-out rows are; not ``cv``, which is stacking's.
        Stratified by class (classifier) where every class has a row for every
        fold: a fold whose training rows lacked a class could not judge the
        linear member.
        """
        seed = int(specs[0].seed)
        classes = self._class_codes(Y)
        if classes is not None and np.bincount(classes).min() >= SELECTION_FOLDS:
            return list(StratifiedKFold(SELECTION_FOLDS, shuffle=True, random_state=seed).split(classes, classes))
        return list(KFold(SELECTION_FOLDS, shuffle=True, random_state=seed).split(Y))

    def _judge_out_of_fold(self, X, Y, sample_weight, specs, checkpoint, folds, ledger):
        """Train the fold members and judge them out of fold, before any network is trained on every row.

        Returns the fold members' evidence (as :meth:`_out_of_fold` gives
        it) and the weights it gives the networks that trained well on the
        folds (then the linear member), or None where it keeps the linear
        member alone: then the linear member, fitted on every row, is the
        model, and the full-data networks, which would be discarded, are not
        trained. The fold members are the specs as given (a strategy derives
        its children from them again).
        """
        evidence = self._out_of_fold(X, Y, sample_weight, specs, list(range(len(specs))), checkpoint, folds, ledger,
                                     "select-fold")
        outputs, _, _, seeds = evidence
        start = time.perf_counter()
        weights = self._out_of_fold_weights(X, Y, sample_weight, outputs, folds, int(seeds[0]))
        if weights[:-1].any():
            return evidence, weights
        ledger.add_seconds("selection", time.perf_counter() - start)
        self._fit_linear_alone(X, Y, sample_weight, self.linear_member_evidence_, ledger)
        return None

    def _select_out_of_fold(self, X, Y, sample_weight, out_of_fold, folds, weights=None):
        """Weigh the members by greedy selection on out-of-fold predictions of every row; drop the unchosen.

        ``out_of_fold`` holds the networks' fold members' predictions, of
        shape (n_samples, n_members, n_outputs); the linear member's come from
        its own fits on the same folds, and it is fitted on every row. Only
        with a linear member: without one, too few held-out rows judge the
        networks among themselves, as before. ``weights``: those
        :meth:`_judge_out_of_fold` gave these members (None: weigh them
        again). Returns the indices kept, among the networks and then the
        linear member.
        """
        if weights is None:
            weights = self._out_of_fold_weights(X, Y, sample_weight, out_of_fold, folds, int(self.member_seeds_[0]))
        self._append_linear_member(self._linear_member(X, Y, sample_weight, np.arange(len(X)))[0])
        return self._keep(weights)

    def _out_of_fold_weights(self, X, Y, sample_weight, out_of_fold, folds, seed):
        """The weights of the networks (then the linear member) on out-of-fold predictions; records the evidence.

        ``seed`` draws the selection's bootstrap resamples. Before the
        full-data networks are trained, a weight of 1 on the linear member
        says that none of them is needed.
        """
        linear_out_of_fold = self._linear_out_of_fold(X, Y, sample_weight, folds)
        if linear_out_of_fold is None:
            # A fold's training rows lack a class (classifier): the linear member cannot be judged out of
            # fold, nor can the networks be shown better than it; in doubt it is the model.
            self.linear_member_evidence_ = {"held_out_rows": held_out_rows(sample_weight, len(X)),
                                            "folds": len(folds), "untried": "a fold's training rows lack a class"}
            return np.eye(out_of_fold.shape[1] + 1)[-1]
        predictions = np.concatenate([np.moveaxis(out_of_fold, 1, 0), linear_out_of_fold[None]])
        weights = self._weigh(predictions, Y, sample_weight, True, OUT_OF_FOLD_STANDARD_ERRORS, seed)
        self.linear_member_evidence_["folds"] = len(folds)
        return weights

    def _weigh(self, predictions, Y, sample_weight, with_linear, standard_errors=None, seed=None):
        """The members' weights by greedy selection on ``predictions`` of rows they did not learn from.

        With ``with_linear``, the last of ``predictions`` is the linear
        member's, and :meth:`_judge_linear` records the evidence against it
        and keeps it alone unless the selection beats it by more than
        ``standard_errors`` (None: by ``linear_member``'s rule). ``seed``
        (default: the first member's) draws the bootstrap resamples.
        """
        seed = int(self.member_seeds_[0]) if seed is None else seed
        weights = greedy_selection(predictions, Y, loss=self._held_out_loss, sample_weight=sample_weight,
                                   n_bags=SELECTION_BAGS, random_state=seed)
        if with_linear:
            if standard_errors is None:
                standard_errors = 1.0 if self.linear_member == "prefer" else None
            weights = self._judge_linear(weights, predictions, Y, sample_weight, standard_errors)
        return weights

    def _keep(self, weights):
        """Keep the members of positive weight, with their weights, and drop the others; return their indices."""
        chosen = np.flatnonzero(weights)
        self.members_ = [self.members_[k] for k in chosen]
        self.member_layer_sparsity_ = [self.member_layer_sparsity_[k] for k in chosen]
        self.history_ = [self.history_[k] for k in chosen]
        self.member_seeds_ = self.member_seeds_[chosen]
        self.member_sparsities_ = self.member_sparsities_[chosen]
        self.member_weights_ = weights[chosen]
        return chosen

    def _held_out_loss(self, average, Y, sample_weight=None):
        """The selection's loss: the (weighted) mean of :meth:`_row_losses`."""
        return float(np.average(self._row_losses(average, Y), weights=sample_weight))

    def _judge_linear(self, weights, held_out, Y, sample_weight, standard_errors):
        """The selection's ``weights``, with the evidence against the linear member (the last of ``held_out``).

        With ``standard_errors`` (not None), the linear member alone instead
        when its loss exceeds the selection's by at most that many standard
        errors of the paired row-by-row difference: with 1, the
        one-standard-error rule of ``linear_member="prefer"`` (Hastie,
        Tibshirani and Friedman, 2009, section 7.10). The selection's loss
        flatters it (it was chosen on those rows, as were the members'
        early-stopping epochs), so in doubt the simpler model wins.
        """
        excess, standard_error = paired_difference(
            self._row_losses(held_out[-1], Y), self._row_losses(np.tensordot(weights, held_out, axes=1), Y),
            sample_weight,
        )
        self.linear_member_evidence_ = {"excess_loss": excess, "standard_error": standard_error,
                                        "held_out_rows": held_out_rows(sample_weight, len(Y))}
        if standard_errors is not None and excess <= standard_errors * standard_error:
            return np.eye(len(weights))[-1]
        return weights
