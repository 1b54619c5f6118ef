"""FusedModelCache: one fused model kept between fits of the same members, so that its train step is traced once.

Cross-validation trains the same member specs on every fold, on folds of
nearly equal size. Each fit of a new fused model traces its train step and
its held-out pass again, which on a table of a few hundred rows is about a
third of the fit (docs/performance.md, "Where a small table's fit time
goes"). With a cache, :class:`~ensembleprune.factory.PrunedMLPFactory` keeps
the fused model of its last fit and, when the next fit has the same members,
the same data shape and the same schedules in steps, puts the model back in
the state a fresh build gives (kernels, biases, masks, thresholds, pruning
steps, the optimizer's step count and slots) and trains it again. The traced
functions are reused; what the members learn is what fresh models learn.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass
class FusedModel:
    """A fused model built by the factory, with what is needed to train it again from its start.

    Attributes
    ----------
    model : tf_keras Model
        All members as branches, one output per member.
    names : list of str
        The output of each member.
    member_models : list of tf_keras Model
        One model per member, sharing the fused model's layers.
    initial_weights : list of ndarray
        ``model.get_weights()`` as built: the layers' initial weights, masks,
        thresholds and pruning steps.
    validation_function : callable or None
        The held-out pass traced by the first fit's
        :class:`~ensembleprune._training.ValidationLosses`, if it had one.
    """

    model: object
    names: list
    member_models: list
    initial_weights: list
    validation_function: object = None

    def reset(self):
        """Put the weights, masks, pruning steps and optimizer state back as they were built."""
        self.model.set_weights(self.initial_weights)
        for variable in self.model.optimizer.variables:  # the step count and Adam's slots, not the learning rate
            variable.assign(np.zeros(variable.shape, variable.dtype.as_numpy_dtype))


class FusedModelCache:
    """Keeps the fused model of the last fit, to train it again for a fit of the same members and shapes.

    The members that a fit through the cache returns share the kept model's
    variables: they hold their trained weights only until the next fit through
    the same cache, so a caller strips them (or copies their weights) before
    that fit. A fit with other members, shapes or schedules builds a new
    model, which replaces the kept one.
    """

    def __init__(self):
        self._key = None
        self._fused = None

    def reuse(self, key):
        """The kept FusedModel, reset to its start, if it was built for ``key``; else None."""
        if self._fused is None or self._key != key:
            return None
        self._fused.reset()
        return self._fused

    def keep(self, key, fused):
        """Keep ``fused``, built for ``key``, in place of the model kept before."""
        self._key, self._fused = key, fused
