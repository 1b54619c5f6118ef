"""PrunedEnsembleClassifier: a scikit-learn classifier made of pruned MLP members.

The members end in a sigmoid (two classes) or a softmax (more) and train on
cross-entropy, with the regressor's pruning, training, early stopping and
checkpoints (all in ``_base.py`` and its mixins). Their probabilities are combined by greedy
selection on the held-out log-loss, by their mean, or by a logistic
meta-learner on out-of-fold probabilities (as
:class:`sklearn.ensemble.StackingClassifier` does).
"""

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_expit, log_softmax
from sklearn.base import ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ._base import LINEAR_MEMBER_SEED, _BasePrunedEnsemble
from .compact import CompactMLP

# Probabilities are kept this far from 0 and 1 when a log-loss is taken.
_EPS = 1e-7
# member_calibration="temperature": the temperatures searched. None below 1: a few dozen held-out rows that a
# member gets all right would call for sharpening it without bound, and one wrong test row then costs dearly.
TEMPERATURE_RANGE = (1.0, 20.0)


def indicator_targets(codes, n_classes):
    """What members learn from class ``codes``: the second class's indicator for two classes, one-hot otherwise.

    Returns
    -------
    ndarray of float32, of shape (n_samples, 1) for two classes, (n_samples, n_classes) otherwise
    """
    codes = np.asarray(codes)
    if n_classes == 2:
        return codes.reshape(-1, 1).astype(np.float32)
    return np.eye(n_classes, dtype=np.float32)[codes]


def indicator_codes(targets):
    """The class codes of :func:`indicator_targets`' output: the inverse of that function."""
    targets = np.asarray(targets)
    return (targets[:, 0] > 0.5).astype(int) if targets.shape[1] == 1 else np.argmax(targets, axis=1)


def output_activation(n_classes):
    """The members' last layer for ``n_classes`` classes: ``"sigmoid"`` for two, ``"softmax"`` for more."""
    return "sigmoid" if n_classes == 2 else "softmax"


def member_proba(outputs):
    """Class probabilities from member outputs: a sigmoid's one column becomes two.

    Parameters
    ----------
    outputs : array of shape (..., n_samples, 1) or (..., n_samples, n_classes)

    Returns
    -------
    ndarray of float64 of shape (..., n_samples, n_classes)
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape[-1] == 1:
        return np.concatenate([1 - outputs, outputs], axis=-1)
    # A float32 softmax sums to 1 within about 1e-7 only, which scikit-learn's log_loss warns about.
    return outputs / outputs.sum(axis=-1, keepdims=True)


def log_losses(average, Y):
    """Each row's log-loss of averaged member probabilities: shape (n_samples,).

    ``average`` and ``Y`` are as the members output and learn them: one column
    (the second class's probability and indicator) for two classes, one per
    class otherwise.
    """
    average = np.clip(average, _EPS, 1 - _EPS)
    if Y.shape[1] == 1:
        return -(Y[:, 0] * np.log(average[:, 0]) + (1 - Y[:, 0]) * np.log(1 - average[:, 0]))
    return -np.sum(Y * np.log(average), axis=1)


def log_loss_of_average(average, Y, sample_weight=None):
    """The (weighted) log-loss of averaged member probabilities: greedy selection's loss for classification."""
    return float(np.average(log_losses(average, Y), weights=sample_weight))


def fit_temperature(logits, Y, sample_weight=None):
    """The temperature ``T`` whose scaled logits ``logits / T`` have the lowest log-loss on ``Y`` (Guo et al., 2017).

    Parameters
    ----------
    logits : ndarray of shape (n_samples, 1) for a sigmoid, (n_samples, n_classes) for a softmax
    Y : ndarray of the same shape, as :func:`indicator_targets` gives it
    sample_weight : ndarray of shape (n_samples,), default=None

    Returns
    -------
    float, within ``TEMPERATURE_RANGE``
    """
    logits = np.asarray(logits, dtype=np.float64)

    def loss(log_temperature):
        scaled = logits / np.exp(log_temperature)
        if logits.shape[1] == 1:
            losses = -(Y[:, 0] * log_expit(scaled[:, 0]) + (1 - Y[:, 0]) * log_expit(-scaled[:, 0]))
        else:
            losses = -np.sum(Y * log_softmax(scaled, axis=1), axis=1)
        return float(np.average(losses, weights=sample_weight))

    bounds = np.log(TEMPERATURE_RANGE)
    return float(np.exp(minimize_scalar(loss, bounds=bounds, method="bounded").x))


def logistic_member(X, Y, rows, sample_weight=None, C=1.0):
    """scikit-learn's ``LogisticRegression(C=C)`` fitted on ``rows``, as a one-layer CompactMLP.

    The linear member of the classifier: the model many users would fit
    first, offered to greedy selection beside the pruned members.

    Returns
    -------
    model : CompactMLP with one sigmoid (two classes) or softmax layer, or None
        when a class is missing from ``rows`` (its output would be missing too)
    C : float, the inverse penalty used
    """
    labels = indicator_codes(Y[rows])
    if np.unique(labels).size < max(2, Y.shape[1]):
        return None, C
    weights = None if sample_weight is None else sample_weight[rows]
    learner = LogisticRegression(C=C, max_iter=1000).fit(X[rows], labels, sample_weight=weights)
    activation = output_activation(max(2, Y.shape[1]))
    return CompactMLP.from_weights([learner.coef_.T], [learner.intercept_], [activation]), C


class PrunedEnsembleClassifier(ClassifierMixin, _BasePrunedEnsemble):
    """Ensemble of gradually magnitude-pruned MLP classifiers of different sparsity and seed.

    The parameters are those of :class:`~ensembleprune.PrunedEnsembleRegressor`,
    with the defaults that class documents, except for the following.

    Parameters
    ----------
    combine : {"mean", "select", "stack"}, default="select"
        How member probabilities are combined. ``"select"``: greedy ensemble
        selection with replacement on the log-loss of the held-out
        ``validation_fraction`` of the rows, a weighted mean of probabilities
        whose weights are in ``member_weights_``. ``"mean"``: the plain mean of
        probabilities. ``"stack"``: a meta-learner on out-of-fold probabilities,
        with ``cv`` folds stratified by class where ``cv`` is an integer (as
        :class:`sklearn.ensemble.StackingClassifier`'s).
    linear_member : {"prefer", True, False}, default="prefer"
        With ``combine="select"``, also fit ``LogisticRegression()`` on the
        members' training rows and offer it to the selection as one more
        member (seed -1, sparsity 0). ``"prefer"`` then keeps it alone unless
        the selection's held-out log-loss is lower by more than one standard
        error of the row-by-row difference (the one-standard-error rule; the
        figures are in ``linear_member_evidence_``): a few dozen held-out rows
        cannot tell a small edge of the networks from noise, and on small
        tables the logistic model is often the better one. ``True`` offers it
        to the selection only. Either way, on fewer
        than 100 held-out rows (``MIN_HELD_OUT_ROWS``) the members are judged
        out of fold, as the regressor's are: trained again on 5 folds
        (stratified by class where every class has 5 rows), kept only two
        standard errors ahead of the logistic member on every row's
        out-of-fold log-loss; below 30 rows in all (``MIN_ROWS``) it is the
        model and no network is trained. Once chosen it is refitted on all rows.
        With ``combine="stack"``, its out-of-fold probabilities join the
        members' before the meta-learner, and it is kept, fitted on all rows.
        Ignored by ``"mean"``.
    final_estimator : classifier, default=None
        Meta-learner of ``combine="stack"``, fitted on the members' out-of-fold
        probabilities (for two classes, the second class's only), as
        :class:`~sklearn.ensemble.StackingClassifier` does. ``None`` means
        ``LogisticRegression()``.
    class_weight : "balanced", dict or None, default=None
        Weights of the classes in the members' loss, the selection and the
        meta-learner, multiplying ``sample_weight``: ``"balanced"`` weighs
        each class by ``n_samples / (n_classes * count)``, as scikit-learn's
        classifiers do; a dict maps class labels to weights.
    tol : float, default=1e-4
        Smallest decrease of the validation log-loss that counts as an
        improvement for early stopping.
    member_calibration : {"temperature"} or None, default="temperature"
        ``"temperature"``: each network member's logits are divided by the
        temperature (at least 1, at most 20) that minimizes its log-loss on
        the held-out ``validation_fraction`` of the rows (temperature scaling,
        Guo et al., 2017), folded into its output layer; where the selection
        judges the members out of fold (fewer than 100 held-out rows), on
        the out-of-fold logits of every row instead, as
        ``CalibratedClassifierCV(ensemble=False)`` does. Networks trained
        long on cross-entropy end overconfident on small tables; a member is
        softened, never sharpened. With ``combine="select"`` the members are
        calibrated after the selection has weighed them as trained: members
        calibrated on the selection's own rows would look better there than
        they are. Applies when rows are held out (``early_stopping`` or
        ``combine="select"``), not to ``combine="stack"`` (its meta-learner
        learnt from uncalibrated fold members) nor to the linear member.
        ``None``: members as trained.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    members_ : list of CompactMLP
        The stripped members; each outputs the second class's probability (two
        classes) or every class's (more), from the features followed by their
        encoded columns (``input_encoding_``, as the regressor's).
    member_weights_ : ndarray of shape (n_members,)
        The members' weights (``combine="select"`` only).
    linear_member_evidence_ : dict
        With ``combine="select"`` and a linear member: its held-out log-loss
        in excess of the selection's (``"excess_loss"``), the standard error
        of that excess (``"standard_error"``) and the number of held-out rows
        (``"held_out_rows"``, Kish's effective count under ``sample_weight``;
        every row, with ``"folds"``, when judged out of fold); only
        ``"held_out_rows"`` and ``"rows"`` when too few rows left it alone
        untried. See ``linear_member`` for when it was kept alone.
    final_estimators_ : list of one classifier
        The fitted meta-learner (``combine="stack"`` only).
    member_temperatures_ : ndarray of shape (n_members,)
        The temperature each member's logits were divided by (1 where it was
        not calibrated, and for the linear member).
    member_sparsities_, member_seeds_, member_layer_sparsity_, history_, training_cost_, n_features_in_, feature_names_in_
        As in :class:`~ensembleprune.PrunedEnsembleRegressor`; ``history_``
        holds cross-entropy losses.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from ensembleprune import PrunedEnsembleClassifier
    >>> X, y = make_classification(n_samples=400, n_features=40, random_state=0)
    >>> model = PrunedEnsembleClassifier(n_members=2, hidden_layer_sizes=(32,), epochs=20,
    ...                                  random_state=0).fit(X, y)
    >>> proba, spread = model.predict_proba(X[:3], return_std=True)
    """

    _parameter_constraints = {
        **_BasePrunedEnsemble._parameter_constraints,
        "combine": [StrOptions({"mean", "select", "stack"})],
        "final_estimator": [None, HasMethods(["fit", "predict_proba"])],
        "class_weight": [None, StrOptions({"balanced"}), dict],
        "member_calibration": [None, StrOptions({"temperature"})],
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
        class_weight=None,
        member_calibration="temperature",
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
        self.class_weight = class_weight
        self.member_calibration = member_calibration

    def fit(self, X, y, sample_weight=None):
        """Train the members on ``(X, y)`` and fit the combiner.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A sparse matrix (one-hot columns) is made dense first: the
            members are dense networks, so it takes ``n_samples * n_features``
            values of memory, as a dense ``X`` would.
        y : array-like of shape (n_samples,)
            Class labels: strings, integers or booleans.
        sample_weight : array-like of shape (n_samples,), default=None
            Weighs each row (times ``class_weight``) in the members' loss,
            the selection, the meta-learner and the features'
            standardization.

        Returns
        -------
        self : PrunedEnsembleClassifier
        """
        X, y, sample_weight = self._validate_inputs(X, y, sample_weight)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if self.class_weight is not None:
            class_weights = compute_sample_weight(self.class_weight, y)
            sample_weight = class_weights if sample_weight is None else sample_weight * class_weights
        weighted = classes if sample_weight is None else classes[np.unique(encoded[sample_weight > 0])]
        if len(weighted) < 2:
            self._forget_previous_fit()  # validation recorded n_features_in_: nothing of this fit may stay
            label = np.asarray(weighted[0]).item()  # the label as the user wrote it, not numpy's repr
            raise ValueError(
                f"y holds only one class ({label!r}); a classifier needs samples of at least 2 classes."
                if len(classes) < 2 else
                f"sample_weight is zero for every row of every class but {label!r}; a classifier needs rows of "
                "positive weight in at least 2 classes."
            )
        self.classes_ = classes
        return self._fit(X, indicator_targets(encoded, len(self.classes_)), sample_weight)

    def _output_activation(self, Y):
        return output_activation(len(self.classes_))

    def _fit_linear_member(self, X, Y, sample_weight, rows):
        return logistic_member(X, Y, rows, sample_weight)

    _row_losses = staticmethod(log_losses)

    def _class_codes(self, Y):
        return indicator_codes(Y)

    def _calibrate_members(self, X, Y, sample_weight, validation_rows, out_of_fold_logits=None):
        self.member_temperatures_ = np.ones(len(self.members_))
        if self.member_calibration is None:
            return
        networks = np.flatnonzero(self.member_seeds_ != LINEAR_MEMBER_SEED)
        if out_of_fold_logits is not None:
            # Judged out of fold, calibrated out of fold (as CalibratedClassifierCV(ensemble=False)): on every
            # row, by the members that did not learn it, not on the few held-out rows that chose their epochs.
            logits, targets, weights = np.moveaxis(out_of_fold_logits, 1, 0), Y, sample_weight
        elif validation_rows is not None:
            held_out = X[validation_rows]
            logits = [self.members_[k].with_output_layer(activation="linear").predict(held_out) for k in networks]
            targets, weights = Y[validation_rows], None if sample_weight is None else sample_weight[validation_rows]
        else:
            return
        for k, member_logits in zip(networks, logits):
            self.member_temperatures_[k] = fit_temperature(member_logits, targets, weights)
            self.members_[k] = self.members_[k].with_output_layer(scale=1 / self.member_temperatures_[k])

    def _fit_meta_learners(self, out_of_fold, Y, sample_weight):
        """One meta-learner on every member's out-of-fold probabilities, side by side."""
        learner = LogisticRegression() if self.final_estimator is None else clone(self.final_estimator)
        fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        return [learner.fit(out_of_fold.reshape(len(out_of_fold), -1), indicator_codes(Y), **fit_params)]

    def predict_members_proba(self, X):
        """Every member's class probabilities.

        Returns
        -------
        ndarray of shape (n_members, n_samples, n_classes)
        """
        return member_proba(self._member_outputs(X))

    def predict_proba(self, X, return_std=False):
        """Class probabilities of the combined members.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the standard deviation of the members' probabilities.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), columns in the order of ``classes_``
        proba_std : ndarray of the same shape, only when ``return_std`` is True
        """
        members = self.predict_members_proba(X)
        if self.combine == "stack":
            features = members[:, :, 1:] if len(self.classes_) == 2 else members
            proba = self.final_estimators_[0].predict_proba(features.transpose(1, 0, 2).reshape(members.shape[1], -1))
        else:
            proba = self._combine_outputs(members)
        if not np.all(np.isfinite(proba)):
            raise ValueError(
                "the ensemble's probabilities are not finite for some rows of X: X holds values far outside "
                "the range seen in training, or too large for float32. Check X for extreme values."
            )
        proba = proba / proba.sum(axis=1, keepdims=True)
        return (proba, members.std(axis=0)) if return_std else proba

    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row of ``X``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
