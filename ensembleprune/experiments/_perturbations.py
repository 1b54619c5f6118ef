"""The perturbed test rows of the robustness report, and the scores of models on them.

``Perturbations`` draws the copies of the test rows (``perturbed``: Gaussian
noise in units of each feature's training standard deviation, or a fraction of
the features set to zero); ``score_models`` scores every model on the clean
rows and on each perturbation's copies, ``member_disagreements`` the members'
disagreement on them (classification).
"""

from dataclasses import dataclass

import numpy as np

from ._classification import disagreement


def perturbed(X, kind, amount, repeat, feature_std, random_state):
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


@dataclass(frozen=True)
class Perturbations:
    """The perturbed copies of the test rows that every model is scored on.

    ``keys`` are the ``(kind, amount)`` of each perturbation, ``n_repeats`` the
    copies drawn of each (see ``perturbed``).
    """

    keys: list
    n_repeats: int
    feature_std: np.ndarray
    random_state: int

    def copies(self, X):
        """``((kind, amount), copies of X)`` for each perturbation, in the order of ``keys``."""
        for kind, amount in self.keys:
            yield (kind, amount), [perturbed(X, kind, amount, r, self.feature_std, self.random_state)
                                   for r in range(self.n_repeats)]


def mean_scores(scores):
    """The mean of dicts of scores, score by score."""
    return {name: float(np.mean([values[name] for values in scores])) for name in scores[0]}


def score_models(predictors, score, X_test, y_test, perturbations):
    """Test scores of every model on the clean rows, and their mean over the copies of each perturbation.

    Returns
    -------
    clean : dict of model name to dict of score name to float
    perturbed : list of ((kind, amount), dict of model name to dict of score name to float), in the order of
        ``perturbations.keys``
    """
    clean = {model: score(predict(X_test), y_test) for model, predict in predictors.items()}
    by_perturbation = []
    for key, copies in perturbations.copies(X_test):
        by_perturbation.append((key, {
            model: mean_scores([score(predict(Xp), y_test) for Xp in copies]) for model, predict in predictors.items()
        }))
    return clean, by_perturbation


def collect_scores(into, scores):
    """Append ``scores`` (model to score name to float) to the lists of ``into`` (score name to model to list)."""
    for model, values in scores.items():
        for name, value in values.items():
            into.setdefault(name, {}).setdefault(model, []).append(value)


def member_disagreements(stacked, X_test, perturbations):
    """The members' :func:`disagreement` on each perturbation, the mean over its copies.

    Returns
    -------
    dict of kind ("noise", "dropout") to dict of disagreement name to list of float, one per level
    """
    found = {}
    for (kind, _), copies in perturbations.copies(X_test):
        values = mean_scores([disagreement(stacked.predict_members_proba(Xp)) for Xp in copies])
        for name, value in values.items():
            found.setdefault(kind, {}).setdefault(name, []).append(value)
    return found
