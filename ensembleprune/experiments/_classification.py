"""The classification path of the experiments: the task, the labels, and scores of class probabilities.

- :func:`resolve_task`: a target is classification or regression (``task="auto"``
  decides it the scikit-learn way);
- :func:`encode_labels` and :func:`indicator_targets`: labels to class codes and
  to the targets members learn (as :class:`~ensembleprune.PrunedEnsembleClassifier`
  makes them);
- :func:`member_proba`, :func:`classification_scores`: accuracy and log-loss of
  class probabilities (the log-loss is the classifier's own,
  :func:`~ensembleprune.classifier.log_loss_of_average`);
- :func:`disagreement`: how often the members' predicted classes differ, the
  classification report's stand-in for the ambiguity decomposition.
"""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from ..classifier import (  # noqa: F401 - re-exported: the experiments use them from here
    indicator_codes,
    indicator_targets,
    log_loss_of_average,
    member_proba,
    output_activation,
)

TASKS = ("auto", "regression", "classification")
# The scores of a classification experiment, in the order they are reported.
CLASSIFICATION_METRICS = ("accuracy", "log_loss")


def resolve_task(task, y):
    """``"regression"`` or ``"classification"``: ``task`` itself, or what ``task="auto"`` reads in ``y``.

    Parameters
    ----------
    task : {"auto", "regression", "classification"}
    y : array-like
        The target.

    Returns
    -------
    str
        With ``"auto"``: ``"classification"`` when
        :func:`sklearn.utils.multiclass.type_of_target` calls ``y`` ``"binary"``
        or ``"multiclass"`` and its labels are not floating point (integers,
        booleans, strings), ``"regression"`` otherwise. Integer targets are
        thus class labels; a quantity counted in integers needs
        ``task="regression"``, and float labels ``task="classification"``.
    """
    if not (isinstance(task, str) and task in TASKS):
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if task != "auto":
        return task
    labels = np.asarray(y)
    if labels.dtype.kind not in "fc" and type_of_target(labels) in ("binary", "multiclass"):
        return "classification"
    return "regression"


def encode_labels(y, **others):
    """The sorted classes of ``y`` and the class codes of ``y`` and of each of ``others``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels; at least two classes.
    **others : array-like of shape (n,)
        Further labels by name (``y_val=...``), each holding labels of ``y`` only.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
    codes : list of ndarray of int
        The codes of ``y``, then of each of ``others`` in their order.

    Raises
    ------
    ValueError
        If ``y`` is not class labels or holds a single class, or one of ``others``
        holds a label that ``y`` does not.
    """
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    classes, codes = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y holds only one class ({classes[0]!r}); classification needs at least 2 classes")
    encoded = [codes]
    for name, labels in others.items():
        labels = column_or_1d(labels, warn=True)
        unknown = np.setdiff1d(labels, classes)
        if unknown.size:
            raise ValueError(f"{name} holds labels that the training labels do not: {unknown[:5].tolist()}")
        encoded.append(np.searchsorted(classes, labels))
    return classes, encoded


def classification_scores(proba, codes):
    """Accuracy and log-loss of class probabilities.

    Parameters
    ----------
    proba : array of shape (n_samples, n_classes)
    codes : array of int of shape (n_samples,)
        The true classes, as column indices of ``proba``.

    Returns
    -------
    dict with ``accuracy`` (in [0, 1]; the predicted class is the most
    probable, the first on a tie) and ``log_loss`` (natural logarithm;
    probabilities clipped to [1e-7, 1 - 1e-7]).
    """
    proba = np.asarray(proba, dtype=np.float64)
    codes = np.asarray(codes).astype(int, copy=False)
    return {
        "accuracy": float(np.mean(np.argmax(proba, axis=1) == codes)),
        "log_loss": log_loss_of_average(proba, np.eye(proba.shape[1])[codes]),
    }


def disagreement(member_probas):
    """How often the members' predicted classes differ: from the mean ensemble's, and pairwise.

    Parameters
    ----------
    member_probas : array of shape (n_members, n_samples, n_classes)

    Returns
    -------
    dict with, both in [0, 1]:
        ``with_ensemble``: mean over rows of the fraction of members whose
        class differs from that of the mean of their probabilities;
        ``pairwise``: mean over pairs of distinct members of the fraction of rows
        on which their classes differ (0 with a single member).
    """
    probas = np.asarray(member_probas, dtype=np.float64)
    n_members, _, n_classes = probas.shape
    votes = np.argmax(probas, axis=2)
    ensemble = np.argmax(probas.mean(axis=0), axis=1)
    pairwise = 0.0
    if n_members > 1:
        counts = np.eye(n_classes)[votes].sum(axis=0)  # (n_samples, n_classes): members voting each class
        agreeing_pairs = np.sum(counts * (counts - 1), axis=1)
        pairwise = float(1 - np.mean(agreeing_pairs) / (n_members * (n_members - 1)))
    return {"with_ensemble": float(np.mean(votes != ensemble)), "pairwise": pairwise}

