"""PrunedEnsembleRegressor: a scikit-learn regressor made of pruned MLP members.

The members are trained by :class:`~ensembleprune.factory.PrunedMLPFactory`,
stripped to :class:`~ensembleprune.compact.CompactMLP` and combined by greedy
selection, their mean, their median, or a meta-learner fitted on out-of-fold
predictions (stacking, as :class:`sklearn.ensemble.StackingRegressor` does).
What it shares with the classifier is in ``_base.py`` and its mixins
(``_selection.py``, ``_stacking.py``). A fitted estimator holds no TensorFlow
object: it pickles, clones and predicts with numpy and scipy only.
"""

import numpy as np
from sklearn.base import RegressorMixin, clone
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

# AUTO_DENSITIES, auto_sparsities, LINEAR_MEMBER_SEED and the exceptions: names older code imports from here.
from ._auto_members import AUTO_DENSITIES, auto_sparsities  # noqa: F401
from ._base import LINEAR_MEMBER_SEED, _BasePrunedEnsemble  # noqa: F401
from ._inputs import weighted_mean_and_std
from .combiners import convex_meta_learner, ridge_member, squared_errors
from .conformal import calibration_split, check_confidence, half_widths
from .exceptions import MemberDivergedError, MemberDivergedWarning  # noqa: F401


class PrunedEnsembleRegressor(RegressorMixin, _BasePrunedEnsemble):
    """Ensemble of gradually magnitude-pruned MLPs of different sparsity and seed.

    Each member is an MLP pruned with tfmot's polynomial-decay schedule from
    ``initial_sparsity`` to its own final sparsity; members cycle over
    ``sparsities`` and each gets its own seed drawn from ``random_state``.

    Parameters
    ----------
    n_members : int or "auto", default="auto"
        Number of network members. ``"auto"``: 4, or 8 where they read the
        encoded columns by turns (``input_encoding``), so that each of the
        four automatic sparsities is read both with and without them. Where
        ``input_pruning="auto"`` prunes whole features (more columns than the
        first hidden layer has units) and ``strategy="independent"``, one
        more, which reads only the features a marginal screen of the training
        rows finds (``"screened"``), at the third automatic sparsity.
    sparsities : sequence of float or "auto", default="auto"
        Final sparsities in [0, 1); member ``i`` gets ``sparsities[i % len(sparsities)]``.
        ``"auto"`` spaces the members' densities geometrically from 0.2 to
        0.005 (sparsities 0.8 to 0.995), so that the very sparse members that
        win on wide data are there, and lets the combiner weigh them; where
        the members read the encoded columns by turns, each sparsity goes to
        two members in a row (one of each reading).
    hidden_layer_sizes : tuple of int, default=(256, 256)
        Hidden layer widths of every member (the article's are (1024, 1024)).
    activation : {"relu", "tanh", "sigmoid", "elu", "linear"}, default="relu"
    epochs : int or "auto", default="auto"
        ``"auto"`` trains for a budget of optimizer steps rather than epochs
        (see :class:`~ensembleprune.factory.PrunedMLPFactory`), so that a few
        hundred rows train as long as many thousands.
    batch_size : int or "auto", default="auto"
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
    input_pruning : {"auto", "weights", "features", "screened"} or sequence of them, default="auto"
        What pruning removes from each member's input layer: single weights,
        as in the other layers, or whole input features (every weight of one
        input, ranked by how far training has moved them from their initial
        values, after the features a marginal screen of the training rows
        finds: tfmot's block sparsity, one block per feature), in the
        fraction the allocation gives that layer, so that sparser members
        read fewer features. ``"screened"``: every feature but those the
        screen finds is pruned from the first step on, and those are kept
        whole (where it finds none, as ``"features"``). A sequence is cycled
        over the members, as ``sparsities`` is. ``"auto"``: features and
        weights by turns (the first member features; with the one-parent
        strategies, in the order of sparsity, the least sparse member, their
        parent, weights) when ``X`` has more columns than the first hidden
        layer has units, weights otherwise; see
        :func:`~ensembleprune._auto_members.auto_input_pruning` (which counts the
        features, not their encoded columns).
    input_encoding : {"auto"}, int or None, default="auto"
        ``"auto"``: network members read, beside the features, a
        piecewise-linear encoding of each feature of more than two values
        (Gorishniy et al., 2022): one column per quantile bin, 0 below it, 1
        above it, linear in between, from up to 32 bins per feature and 512
        columns in all (no encoding past 256 features). Networks then fit
        thresholds of single features as trees do. With
        ``strategy="independent"`` the members read it by turns (the first
        member the encoded columns, the second the features alone, ...), each
        automatic sparsity both ways, and the combiner weighs both kinds; with
        the other strategies every member reads it. The linear member reads the features only. The bins
        come from the training rows; ``input_encoding_`` holds them. An int
        ``>= 2``: the same with up to that many bins per feature (still at
        most 512 columns), a value to tune in a grid search: more bins fit a
        target that turns often along one feature, with fewer rows per bin.
        ``None``: the features alone.
    initial_sparsity : float, default=0.0
        Sparsity when pruning starts (capped at each member's final sparsity).
    pruning_start, pruning_end : float, default=0.1, 0.6
        Fractions of training where pruning starts and reaches the final sparsity.
    pruning_frequency : int or "auto", default="auto"
        Steps between mask updates; "auto" makes about 16 updates.
    combine : {"mean", "median", "select", "stack"}, default="select"
        How member predictions are combined. ``"select"``: greedy ensemble
        selection with replacement (Caruana et al., 2004) on the held-out
        ``validation_fraction`` of the rows, a weighted mean whose weights are
        in ``member_weights_``; members with weight 0 are dropped.
        ``"stack"``: a meta-learner on out-of-fold predictions.
    linear_member : {"prefer", True, False}, default="prefer"
        With ``combine="select"``, also fit a dense linear model (ridge, its
        penalty chosen by leave-one-out) on the members' training rows and
        offer it to the selection as one more member (seed -1, sparsity 0):
        on a linear target the selection takes it, where networks trained by
        Adam stop short of the least-squares fit. ``"prefer"`` then keeps it
        alone unless the selection's held-out loss is lower by more than one
        standard error of the row-by-row difference (the one-standard-error
        rule): the same held-out rows chose the selection's weights and the
        members' early-stopping epochs, so its loss flatters it, and on a
        noisy target a small edge of the networks there is noise as often as
        not. ``True`` offers it to the selection only. On
        fewer than 100 held-out rows (``MIN_HELD_OUT_ROWS``; below 1,000 rows
        at the default ``validation_fraction``) so few rows cannot show
        networks better: the members are trained again on 5 folds
        (``SELECTION_FOLDS``), the selection weighs their out-of-fold
        predictions of every row, and the linear member is kept alone unless
        the networks' edge exceeds two standard errors
        (``OUT_OF_FOLD_STANDARD_ERRORS``), whatever ``linear_member`` says; 6
        fits instead of one. Below 30 rows in all (``MIN_ROWS``) it is the
        model and no network is trained. The figures are in
        ``linear_member_evidence_``. Once chosen it is refitted on all the
        rows, its penalty chosen again on them. With ``combine="stack"``, its
        out-of-fold predictions (each fold's penalty chosen on that fold's
        rows) join the members' before the meta-learner, and it is kept,
        fitted on all the rows.
        Ignored by ``"mean"`` and ``"median"``.
    final_estimator : regressor, default=None
        Meta-learner for ``combine="stack"``, fitted per output on out-of-fold
        member predictions. ``None`` means convex weights (non-negative,
        summing to one), stored as a ``LinearRegression`` without intercept:
        the stacked prediction stays a weighted mean of the members'.
    cv : int, cross-validation generator or iterable, default=5
        Splits for the out-of-fold predictions of ``combine="stack"``; the test
        folds must partition the rows. Fold members train for as many
        optimizer steps as the full-data members.
    strategy : {"independent", "prune_and_tune", "snapshots"}, default="independent"
        How the members come out of training (:mod:`ensembleprune.strategies`).
        ``"independent"``: each is trained from scratch. ``"prune_and_tune"``:
        one parent is trained, pruned to the lowest of ``sparsities``, and each
        member is a copy of it pruned on to its own sparsity and fine-tuned
        briefly (Whitaker and Whitley, 2022). ``"snapshots"``: one network is
        pruned through the sparsities in rising order and copied out after
        each step has recovered. Both cost far fewer optimizer steps than
        independent members (``training_cost_`` records them); their members
        are less diverse.
    strategy_params : dict, default=None
        Options of ``"prune_and_tune"`` and ``"snapshots"``
        (:class:`~ensembleprune.strategies.StrategyParams`): ``tune_fraction``
        (each child's fine-tuning epochs as a fraction of its parent's; 0.2
        and 0.1 by default), ``pruning_end`` (0.5) and ``masks``
        (``"magnitude"`` or ``"random"``).
    training : {"fused", "independent"}, default="fused"
        See :class:`~ensembleprune.factory.PrunedMLPFactory`. Children of a
        parent always train fused.
    n_jobs : int, default=None
        Processes (joblib; ``None`` means 1, ``-1`` all cores). With
        ``training="independent"`` the members train in them; with fused
        members, the folds where members train again on cross-validation
        folds (``combine="stack"``, and the selection's out-of-fold evidence
        below 100 held-out rows). The model is the same as in one process.
    bootstrap : bool, default=False
        Train each member on its own bootstrap sample of the rows, drawn from
        the member's seed (as per-row weights, so fused training still works).
    early_stopping : bool, default=True
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
    conformal : {None, "split", "cv+"}, default=None
        Calibrate conformal prediction intervals (:meth:`predict_interval`).
        ``"split"``: hold out a further ``validation_fraction`` of the rows,
        used neither for training, early stopping nor selection, and
        calibrate on them; the intervals then cover with at least the asked
        probability (split conformal), and the members learn from fewer rows.
        ``"cv+"`` (``combine="stack"`` only, no rows held out): calibrate on
        the out-of-fold predictions of stacking; a new row is predicted by
        the ensemble fitted on all rows rather than by each fold's (whose
        members stacking discards), which is the "CV" interval of Barber et
        al. (2021), an approximation of their CV+ without its guarantee.
        ``None``: no intervals.
    conformal_scores : {"absolute", "normalized"}, default="absolute"
        ``"absolute"``: the same interval width everywhere. ``"normalized"``:
        scores ``|y - ŷ| / (σ + ε)`` with ``σ`` the members' spread, so that
        intervals widen where the members disagree (see
        :mod:`ensembleprune.conformal`). Read when predicting, from the same
        calibration: changing it needs no new fit.

    Attributes
    ----------
    members_ : list of CompactMLP
        The stripped members; each predicts in standardized target units, from
        the features followed by their encoded columns
        (:func:`~ensembleprune.encoding.encode`).
    input_encoding_ : dict of ndarray or None
        The encoded columns (``input_encoding``): for each, the feature it
        encodes (``"features"``) and the ``"scale"`` and ``"offset"`` of
        ``clip(x * scale + offset, 0, 1)``; None where nothing is encoded.
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
    linear_member_evidence_ : dict
        With ``combine="select"`` and a linear member: its held-out mean squared
        error (standardized units) in excess of the selection's (``"excess_loss"``),
        the standard error of that excess (``"standard_error"``) and the number
        of held-out rows (``"held_out_rows"``, Kish's effective count under
        ``sample_weight``; every row, with ``"folds"``, when judged out of
        fold); only ``"held_out_rows"`` and ``"rows"`` when too few rows left
        it alone untried. See ``linear_member`` for when it was kept alone.
    training_cost_ : dict of list
        The training-cost ledger (:mod:`ensembleprune.ledger`): one entry per
        phase of the fit (``phase``, ``members``, ``optimizer_steps``,
        ``examples``, ``multiply_adds``, ``seconds``);
        ``pandas.DataFrame(model.training_cost_)`` shows it as a table.
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        The members learn ``(y - y_mean_) / y_scale_``; predictions are mapped back.
        Weighted by ``sample_weight`` as repeated rows would weigh.
    calibration_residuals_, calibration_spreads_ : ndarray of shape (n_calibration, n_outputs)
        With ``conformal``: ``|y - ŷ|`` and the members' spread on the
        calibration rows (out-of-fold for ``"cv+"``), in the units of ``y``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when ``X`` has feature names that are all strings.

    Notes
    -----
    The target is standardized before training so that the network's learning
    rate and loss scale do not depend on the units of ``y``; so are the
    features (each column to mean 0 and standard deviation 1, columns of 0s
    and 1s as they are), so that the fit does not depend on the units of
    ``X``: a ``StandardScaler`` before the estimator is not needed. Once
    fitted, each member's first layer takes the features' standardization
    in, so ``members_`` read ``X`` as given.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from ensembleprune import PrunedEnsembleRegressor
    >>> X, y = make_friedman1(n_samples=500, n_features=50, random_state=0)
    >>> model = PrunedEnsembleRegressor(n_members=2, hidden_layer_sizes=(64,), epochs=20,
    ...                                 random_state=0).fit(X, y)
    >>> y_pred, y_std = model.predict(X[:3], return_std=True)
    >>> model = model.set_params(conformal="split").fit(X, y)  # 10% of the rows calibrate
    >>> lower, upper = model.predict_interval(X[:3], confidence=0.9)
    """

    _parameter_constraints = {
        **_BasePrunedEnsemble._parameter_constraints,
        "combine": [StrOptions({"mean", "median", "select", "stack"})],
        "final_estimator": [None, HasMethods(["fit", "predict"])],
        "conformal": [None, StrOptions({"split", "cv+"})],
        "conformal_scores": [StrOptions({"absolute", "normalized"})],
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
        conformal=None,
        conformal_scores="absolute",
    ):
        super().__init__(
            n_members=n_members, sparsities=sparsities, hidden_layer_sizes=hidden_layer_sizes,
            activation=activation, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule, sparsity_allocation=sparsity_allocation,
            input_pruning=input_pruning, input_encoding=input_encoding,
            initial_sparsity=initial_sparsity, pruning_start=pruning_start, pruning_end=pruning_end,
            pruning_frequency=pruning_frequency, combine=combine, linear_member=linear_member,
            final_estimator=final_estimator, cv=cv, strategy=strategy, strategy_params=strategy_params,
            training=training, n_jobs=n_jobs, bootstrap=bootstrap,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, on_member_failure=on_member_failure,
            checkpoint_dir=checkpoint_dir, random_state=random_state, verbose=verbose,
        )
        self.conformal = conformal
        self.conformal_scores = conformal_scores

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Train the members on ``(X, y)`` and fit the combiner.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A sparse matrix (one-hot columns) is made dense first: the
            members are dense networks, so it takes ``n_samples * n_features``
            values of memory, as a dense ``X`` would.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Weighs each row in the members' loss, the selection, the
            stacking meta-learner and the features' standardization.

        Returns
        -------
        self : PrunedEnsembleRegressor
        """
        try:
            X, y, sample_weight = self._validate_inputs(X, y, sample_weight, multi_output=True, y_numeric=True)
            holds_strings = y.dtype.kind in "US"
        except ValueError:
            holds_strings = any(isinstance(value, str) for value in np.ravel(np.asarray(y, dtype=object)))
            if not holds_strings:
                raise
        if holds_strings:
            self._forget_previous_fit()
            raise ValueError(
                "y holds strings, but PrunedEnsembleRegressor predicts numbers. For class labels use "
                "PrunedEnsembleClassifier; for numbers stored as text, convert y first (e.g. y.astype(float))."
            )
        if self.conformal == "cv+" and self.combine != "stack":
            self._forget_previous_fit()
            raise ValueError(
                f"conformal='cv+' calibrates on the out-of-fold predictions of combine='stack', but combine="
                f"{self.combine!r}: set combine='stack', or use conformal='split'."
            )
        self._y_is_1d = y.ndim == 1
        Y = y.reshape(len(y), -1).astype(np.float64)
        train = calibration = slice(None)
        if self.conformal == "split":
            # Rows the model never learns from, not even their mean: the split conformal guarantee needs that.
            train, calibration = calibration_split(len(X), self.validation_fraction, self.random_state)
        weights = None if sample_weight is None else sample_weight[train]
        mean, scale = weighted_mean_and_std(Y[train], weights)
        if not np.all(np.isfinite(scale)):
            self._forget_previous_fit()
            raise ValueError("y holds values so large that their variance overflows float64; rescale y.")
        self.y_mean_, self.y_scale_ = mean, np.where(scale > 0, scale, 1.0)
        self._fit(X[train], (Y[train] - self.y_mean_) / self.y_scale_, weights)
        if self.conformal == "split":
            members = self._member_outputs(X[calibration], validate=False) * self.y_scale_ + self.y_mean_
            self.calibration_residuals_ = np.abs(Y[calibration] - self._combined(members).reshape(members.shape[1], -1))
            self.calibration_spreads_ = members.std(axis=0)
        return self

    def _output_activation(self, Y):
        return "linear"

    def _fit_linear_member(self, X, Y, sample_weight, rows):
        return ridge_member(X, Y, rows, sample_weight)

    _row_losses = staticmethod(squared_errors)

    def _fit_meta_learners(self, out_of_fold, Y, sample_weight):
        """One meta-learner per output, on the members' out-of-fold predictions of it."""
        if self.final_estimator is None:
            learners = [convex_meta_learner(out_of_fold[:, :, j], Y[:, j], sample_weight) for j in range(Y.shape[1])]
        else:
            fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
            learners = [clone(self.final_estimator).fit(out_of_fold[:, :, j], Y[:, j], **fit_params)
                        for j in range(Y.shape[1])]
        if self.conformal == "cv+":
            # The out-of-fold residuals of the stacked prediction, in the units of y.
            stacked = np.column_stack([learner.predict(out_of_fold[:, :, j]) for j, learner in enumerate(learners)])
            self.calibration_residuals_ = np.abs(Y - stacked) * self.y_scale_
            self.calibration_spreads_ = out_of_fold.std(axis=1) * self.y_scale_
        return learners

    def predict_members(self, X):
        """Predictions of every member, in the units of ``y``.

        Returns
        -------
        ndarray of shape (n_members, n_samples) or (n_members, n_samples, n_outputs)
        """
        predictions = self._member_outputs(X) * self.y_scale_ + self.y_mean_
        return predictions[:, :, 0] if self._y_is_1d else predictions

    def predict(self, X, return_std=False, return_interval=None):
        """Predict with the combined members.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the standard deviation of the members' predictions.
        return_interval : float in (0, 1), default=None
            Also return the bounds of the conformal prediction interval of
            this confidence (see :meth:`predict_interval`).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        y_std : ndarray of the same shape, only when ``return_std`` is True
        lower, upper : ndarrays of the same shape, only when ``return_interval`` is given
        """
        if return_interval is not None:
            y_pred, y_std, lower, upper = self._predict_with_interval(X, return_interval)
            return (y_pred, y_std, lower, upper) if return_std else (y_pred, lower, upper)
        members = self.predict_members(X)
        y_pred = self._combined(members)
        if not np.all(np.isfinite(y_pred)):
            raise ValueError(
                "the ensemble's predictions are not finite for some rows of X: X holds values far outside "
                "the range seen in training, or too large for float32. Check X for extreme values."
            )
        if return_std:
            return y_pred, members.std(axis=0)
        return y_pred

    def predict_interval(self, X, confidence=0.9):
        """Conformal prediction intervals: each covers the true value with probability ``confidence``.

        The interval is ``predict(X) ± q`` with ``q`` the conformal quantile of
        the conformity scores kept at fit (``conformal``), times the members'
        spread plus an offset for ``conformal_scores="normalized"``; see
        :mod:`ensembleprune.conformal`. The probability is over the
        calibration and new rows, assumed exchangeable (drawn alike): it is
        marginal, not for each row, and does not hold for rows unlike the
        training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        confidence : float in (0, 1), default=0.9

        Returns
        -------
        lower, upper : ndarrays of shape (n_samples,) or (n_samples, n_outputs)
            The bounds, shaped as :meth:`predict`'s output; one interval per output.

        Raises
        ------
        ValueError
            If ``confidence`` is not strictly between 0 and 1, or the model
            was fitted without ``conformal``.
        """
        return self._predict_with_interval(X, confidence)[2:]

    def _predict_with_interval(self, X, confidence):
        """``(y_pred, y_std, lower, upper)``, shaped as :meth:`predict`'s output."""
        check_is_fitted(self)
        confidence = check_confidence(confidence)
        if not hasattr(self, "calibration_residuals_"):
            raise ValueError(
                "this model was fitted without calibration, so it has no prediction intervals: set "
                "conformal='split' (or conformal='cv+' with combine='stack') and fit it again."
            )
        if self.conformal == "cv+" and self.combine != "stack":
            raise ValueError(f"the intervals were calibrated for combine='stack', not combine={self.combine!r}")
        y_pred, y_std = self._predict_2d(X)
        width = half_widths(self.calibration_residuals_, self.calibration_spreads_, y_std, confidence,
                            self.conformal_scores)
        shape = (-1,) if self._y_is_1d else y_pred.shape
        return tuple(a.reshape(shape) for a in (y_pred, y_std, y_pred - width, y_pred + width))

    def _predict_2d(self, X):
        """``(y_pred, y_std)`` of :meth:`predict`, each of shape (n_samples, n_outputs)."""
        y_pred, y_std = self.predict(X, return_std=True)
        return y_pred.reshape(len(y_pred), -1), y_std.reshape(len(y_std), -1)

    def _combined(self, members):
        """The combiner's prediction from the members' predictions (in the units of ``y``)."""
        return self._predict_stacked(members) if self.combine == "stack" else self._combine_outputs(members)

    def _predict_stacked(self, members):
        standardized = (members.reshape(len(self.members_), members.shape[1], -1) - self.y_mean_) / self.y_scale_
        columns = [
            estimator.predict(standardized[:, :, j].T) * self.y_scale_[j] + self.y_mean_[j]
            for j, estimator in enumerate(self.final_estimators_)
        ]
        y_pred = np.column_stack(columns)
        return y_pred[:, 0] if self._y_is_1d else y_pred
