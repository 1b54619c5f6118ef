"""What training gives back: TrainedMember, and the bookkeeping of a member's training.

Plain Python over tf_keras objects (no TensorFlow import here): the factory
builds and trains members; this module describes what comes out of it, reads a
pruned model's sparsity, and keeps each member's early-stopping state.
"""

from dataclasses import dataclass, field

import numpy as np

from .member import MemberSpec


@dataclass
class TrainedMember:
    """A trained member: its spec, its pruned tf_keras model and what training saw.

    Attributes
    ----------
    spec : MemberSpec
    model : tf_keras.Model
        The pruned model (tfmot wrappers still in place); pass it to
        :func:`ensembleprune.strip` for a compact numpy model.
    history : dict of str to list of float
        Per-epoch ``loss`` (and ``val_loss`` when validation data was given).
    layer_sparsity : list of float
        Achieved fraction of zeros in each layer's kernel, input to output.
    best_epoch : int or None
        With early stopping, the (0-based) epoch whose weights the member holds;
        ``history`` then ends at the epoch where the member stopped. ``None``
        without early stopping.
    cost : dict or None
        What its training ran (:func:`ensembleprune.ledger.member_cost`);
        None for a member restored from saved weights.
    """

    spec: MemberSpec
    model: object
    history: dict = field(default_factory=dict)
    layer_sparsity: list = field(default_factory=list)
    best_epoch: int = None
    cost: dict = None



def kernel_sparsity(model):
    """Fraction of exact zeros in each pruned kernel of ``model``, input to output."""
    sparsity = []
    for layer in model.layers:
        # tfmot's pruning wrapper keeps the Dense layer it prunes as ``.layer``.
        kernel = getattr(getattr(layer, "layer", layer), "kernel", None)
        if kernel is not None:
            values = kernel.numpy()
            sparsity.append(float(np.mean(values == 0)))
    return sparsity


def _pruned_layers(model):
    return [layer for layer in model.layers if hasattr(layer, "pruning_obj")]


def _log_key(name, n_branches, validation=False):
    """Keras' history key of a branch's loss: per output only when there are several."""
    key = f"{name}_loss" if n_branches > 1 else "loss"
    return f"val_{key}" if validation else key


def _as_floats(history):
    return {key: [float(v) for v in values] for key, values in history.items()}


@dataclass
class _MemberWatch:
    """Early-stopping state of one member (one branch of a fused model)."""

    log_key: str
    layers: list
    first_epoch: int
    best_loss: float = np.inf
    best_epoch: int = None
    best_weights: list = None
    epochs_without_improvement: int = 0
    n_epochs: int = 0
    stopped: bool = False
