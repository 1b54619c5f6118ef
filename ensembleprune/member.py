"""MemberSpec: what makes one member (seed, pruning schedule, architecture), and its rules.

Also where a member's sparsity goes: :func:`layer_sparsities` spreads a member's
final sparsity over its layers.
"""

from dataclasses import dataclass

import numpy as np

from .schedule import PruningSchedule

ARTICLE_HIDDEN_LAYER_SIZES = (1024, 1024)
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "linear")
# A member's last layer and the loss it trains on: regression, binary and multiclass classification.
OUTPUT_LOSSES = {"linear": "mse", "sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy"}
# What the input layer's pruning removes: single weights, whole input features (rows of its kernel), or all
# features but those a marginal screen finds.
INPUT_PRUNINGS = ("weights", "features", "screened")


def check_sparsities(sparsities):
    """``sparsities`` as a flat float array, refused unless non-empty and each in [0, 1).

    The one home of this rule for the estimator and the experiments
    (PruningSchedule checks its single final_sparsity with its own message).
    """
    values = np.asarray(sparsities, dtype=float).ravel()
    if values.size == 0 or not np.all((values >= 0) & (values < 1)):
        raise ValueError(f"sparsities must be a non-empty sequence of floats in [0, 1), got {sparsities!r}")
    return values


def check_input_pruning(input_pruning):
    """``input_pruning`` (one value, or one per member, cycled) as a tuple, refused unless each is in INPUT_PRUNINGS."""
    values = (input_pruning,) if isinstance(input_pruning, str) else tuple(input_pruning)
    if not values or any(value not in INPUT_PRUNINGS for value in values):
        raise ValueError(f"input_pruning must be one of {INPUT_PRUNINGS} or a non-empty sequence of them, "
                         f"got {input_pruning!r}")
    return values


def check_hidden_layer_sizes(hidden_layer_sizes):
    """``hidden_layer_sizes`` (a sequence, or one int) as a tuple of int, refused unless all are integers >= 1."""
    hidden = np.atleast_1d(np.asarray(hidden_layer_sizes))
    if hidden.ndim != 1 or not np.issubdtype(hidden.dtype, np.integer) or np.any(hidden < 1):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {hidden_layer_sizes!r}")
    return tuple(int(h) for h in hidden)


@dataclass(frozen=True)
class MemberSpec:
    """What makes one member: its seed, pruning schedule and architecture.

    Parameters
    ----------
    seed : int
        Seeds the member's weight initialisation (and, trained alone, its shuffling).
    schedule : PruningSchedule
        How the member is pruned; ``schedule.final_sparsity`` is its target.
    hidden_layer_sizes : tuple of int, default=(1024, 1024)
        Width of each hidden layer (the article's architecture by default).
    activation : str, default="relu"
        Activation of the hidden layers: "relu", "tanh", "sigmoid", "elu" or "linear".
    sparsity_allocation : {"uniform", "dense_output", "erk"}, default="uniform"
        How the member's final sparsity is spread over its layers; see
        :func:`layer_sparsities`.
    output_activation : {"linear", "sigmoid", "softmax"}, default="linear"
        Activation of the output layer, which sets the training loss: mean
        squared error, binary or categorical cross-entropy (``OUTPUT_LOSSES``).
    input_pruning : {"weights", "features", "screened"}, default="weights"
        What pruning removes from the input layer: its smallest weights, one
        by one, as in every other layer; or whole input features, the rows of
        its kernel that training has moved least from their initial values
        (tfmot's block sparsity, one block per feature, ranked by movement:
        ``_training.MagnitudePruning``), except the features a marginal screen
        of the training rows finds, up to half of those kept
        (``_screening.py``). The layer keeps the same fraction either way.
        Or ``"screened"``: only the features the screen finds, from the first
        step on, every weight of theirs (the layer's schedule then sets
        nothing); where the screen finds none, as ``"features"``.
    input_columns : int or None, default=None
        The member reads only the first ``input_columns`` columns of its inputs
        (the features, not their encoded columns: see ``input_encoding``);
        None reads them all.
    """

    seed: int
    schedule: PruningSchedule
    hidden_layer_sizes: tuple = ARTICLE_HIDDEN_LAYER_SIZES
    activation: str = "relu"
    sparsity_allocation: str = "uniform"
    output_activation: str = "linear"
    input_pruning: str = "weights"
    input_columns: int = None

    def __post_init__(self):
        object.__setattr__(self, "hidden_layer_sizes", tuple(int(h) for h in self.hidden_layer_sizes))
        object.__setattr__(self, "seed", int(self.seed))
        if not isinstance(self.schedule, PruningSchedule):
            raise TypeError(f"schedule must be a PruningSchedule, got {type(self.schedule).__name__}")
        # A spec with no hidden layer (a linear member) has always been accepted here.
        if self.hidden_layer_sizes:
            check_hidden_layer_sizes(self.hidden_layer_sizes)
        if self.activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(HIDDEN_ACTIVATIONS)}, got {self.activation!r}")
        if self.output_activation not in OUTPUT_LOSSES:
            raise ValueError(f"output_activation must be one of {sorted(OUTPUT_LOSSES)}, got {self.output_activation!r}")
        if self.sparsity_allocation not in ALLOCATIONS:
            raise ValueError(f"sparsity_allocation must be one of {ALLOCATIONS}, got {self.sparsity_allocation!r}")
        if self.input_pruning not in INPUT_PRUNINGS:
            raise ValueError(f"input_pruning must be one of {INPUT_PRUNINGS}, got {self.input_pruning!r}")
        if self.input_columns is not None:
            if int(self.input_columns) != self.input_columns or self.input_columns < 1:
                raise ValueError(f"input_columns must be None or a positive integer, got {self.input_columns!r}")
            object.__setattr__(self, "input_columns", int(self.input_columns))

    def n_inputs(self, n_columns):
        """How many of its ``n_columns`` input columns the member reads: ``input_columns``, else all."""
        return int(n_columns if self.input_columns is None else self.input_columns)

    @property
    def final_sparsity(self):
        return self.schedule.final_sparsity

    def get_config(self):
        return {
            "seed": self.seed,
            "schedule": self.schedule.get_config(),
            "hidden_layer_sizes": list(self.hidden_layer_sizes),
            "activation": self.activation,
            "sparsity_allocation": self.sparsity_allocation,
            "output_activation": self.output_activation,
            "input_pruning": self.input_pruning,
            "input_columns": self.input_columns,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["schedule"] = PruningSchedule.from_config(config["schedule"])
        return cls(**config)


ALLOCATIONS = ("uniform", "dense_output", "erk")


def layer_sparsities(sparsity, shapes, allocation):
    """Final sparsity of each layer of kernel ``shapes`` for a member of overall ``sparsity``.

    ``"uniform"`` prunes every layer to ``sparsity``, as tfmot does when every
    layer is wrapped (a 0.98-sparse 256-unit output layer keeps 5 weights, so 5
    live units below it). ``"dense_output"`` leaves the output layer dense and
    prunes the hidden layers to ``sparsity``. ``"erk"`` is the Erdős–Rényi
    allocation of the sparse-training literature (Mocanu et al. 2018, Evci et
    al. 2020): a layer's density is proportional to ``(n_in + n_out) / (n_in *
    n_out)``, capped at 1, scaled so that the member keeps ``1 - sparsity`` of
    all its weights; wide input layers are pruned hardest, narrow output
    layers stay dense.

    Except under ``"uniform"``, no layer is pruned past ``1 - 1 / min(n_in, n_out)``: each keeps at least
    as many weights as it has inputs or units, so that pruning is unlikely to
    cut every path from the inputs to the output (a member that still ends
    constant is refused like a diverged one); the member then keeps more
    weights than ``sparsity`` asks, which ``TrainedMember.layer_sparsity``
    reports.
    """
    allocated = _allocate(sparsity, shapes, allocation)
    if allocation == "uniform":  # tfmot's own way, the article's: every layer at the member's sparsity
        return allocated
    return [min(layer, _sparsity_ceiling(*shape)) for layer, shape in zip(allocated, shapes)]


def _sparsity_ceiling(n_in, n_out):
    """The highest sparsity of an ``n_in`` x ``n_out`` kernel: it keeps ``max(n_in, n_out)`` weights.

    That is one weight per input and per unit, on average. Without this floor
    of live weights a small member at a high sparsity (16 hidden units at
    0.995) kept no input weight at all and predicted a constant. An output
    layer of one unit is left dense, so in a member of one hidden layer any
    input weight that survives is a path to the output.
    """
    return float(min(round(1 - 1 / min(n_in, n_out), 6), 0.999999))


def _allocate(sparsity, shapes, allocation):
    """Each layer's sparsity as ``allocation`` spreads ``sparsity``, before the floor of live weights."""
    sizes = np.array([n_in * n_out for n_in, n_out in shapes], dtype=float)
    if allocation == "uniform" or sparsity == 0:
        return [float(sparsity)] * len(shapes)
    if allocation == "dense_output":
        return [float(sparsity)] * (len(shapes) - 1) + [0.0]
    shape_factor = np.array([(n_in + n_out) / (n_in * n_out) for n_in, n_out in shapes])
    kept = (1 - sparsity) * sizes.sum()
    dense = np.zeros(len(shapes), dtype=bool)
    # Layers whose density would pass 1 are made dense, and the rest rescaled, until none does.
    while True:
        scale = (kept - sizes[dense].sum()) / (shape_factor[~dense] * sizes[~dense]).sum()
        density = np.where(dense, 1.0, scale * shape_factor)
        if np.all(density <= 1) or dense.all():
            break
        dense |= density > 1
    # Rounded to 6 decimals and kept below 1, as schedules require.
    return [float(min(round(1 - min(d, 1.0), 6), 0.999999)) if d < 1 else 0.0 for d in density]
