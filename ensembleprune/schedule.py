"""PruningSchedule: when and how far the magnitude pruning of a member goes.

A schedule is written in the caller's terms (fractions of training, epochs or
steps) and turned into tfmot's steps once the number of steps per epoch is known.
It mirrors tfmot's ``PolynomialDecay`` and ``ConstantSparsity`` exactly, and it
refuses the mistake of a schedule that training never finishes: the article's
own schedule sets ``end_step=5000`` while its training runs 1,600 steps (200
epochs of 8 batches of 1,024 of its 8,000 training rows), so its members stop
short of their final sparsity.
"""

import math
import numbers

import numpy as np

from ._tf import import_tf

_UNITS = ("fraction", "epoch", "step")
_KINDS = ("polynomial", "constant")


class PruningSchedule:
    """Sparsity target of every pruned layer as a function of the training step.

    Parameters
    ----------
    final_sparsity : float
        Fraction of each kernel's weights that is zero at the end, in [0, 1).
    initial_sparsity : float, default=0.0
        Sparsity at ``begin`` (polynomial decay only), in [0, final_sparsity].
    begin, end : float, default=0.1, 0.6
        Where pruning starts and where it reaches ``final_sparsity``, in ``unit``.
    unit : {"fraction", "epoch", "step"}, default="fraction"
        ``"fraction"``: of all training steps; ``"epoch"``: epochs (may be
        fractional); ``"step"``: optimizer steps.
    frequency : int or "auto", default="auto"
        Masks are updated every ``frequency`` steps. ``"auto"`` chooses about 16
        updates between ``begin`` and ``end``.
    exponent : float, default=3
        Exponent of the polynomial decay (tfmot's ``power``).
    kind : {"polynomial", "constant"}, default="polynomial"
        ``"constant"`` prunes to ``final_sparsity`` at every update from ``begin``
        to ``end`` (tfmot's ``ConstantSparsity``).

    Notes
    -----
    tfmot counts training batches from 1, so a model trained for ``epochs`` epochs
    of ``steps_per_epoch`` batches sees steps ``1 .. epochs * steps_per_epoch``.
    Masks change at steps ``begin_step + k * frequency`` up to ``end_step``; the
    step conversion moves ``end_step`` onto that grid so that the last update is
    the one that reaches ``final_sparsity``.
    """

    def __init__(
        self,
        final_sparsity,
        initial_sparsity=0.0,
        begin=0.1,
        end=0.6,
        unit="fraction",
        frequency="auto",
        exponent=3,
        kind="polynomial",
    ):
        self.final_sparsity = final_sparsity
        self.initial_sparsity = initial_sparsity
        self.begin = begin
        self.end = end
        self.unit = unit
        self.frequency = frequency
        self.exponent = exponent
        self.kind = kind
        self._validate()

    def _validate(self):
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {self.kind!r}")
        if self.unit not in _UNITS:
            raise ValueError(f"unit must be one of {_UNITS}, got {self.unit!r}")
        for name in ("final_sparsity", "initial_sparsity", "begin", "end", "exponent"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
                raise TypeError(f"{name} must be a finite real number, got {value!r}")
        if not 0.0 <= self.final_sparsity < 1.0:
            raise ValueError(f"final_sparsity must be in [0, 1), got {self.final_sparsity}")
        if not 0.0 <= self.initial_sparsity <= self.final_sparsity:
            raise ValueError(
                "initial_sparsity must be in [0, final_sparsity], got "
                f"initial_sparsity={self.initial_sparsity}, final_sparsity={self.final_sparsity}"
            )
        if not 0 <= self.begin < self.end:
            raise ValueError(f"need 0 <= begin < end, got begin={self.begin}, end={self.end}")
        if self.unit == "fraction" and self.end > 1:
            raise ValueError(f"end is a fraction of training and must be <= 1, got {self.end}")
        if self.exponent <= 0:
            raise ValueError(f"exponent must be > 0, got {self.exponent}")
        if self.frequency != "auto" and not (
            isinstance(self.frequency, numbers.Integral) and not isinstance(self.frequency, bool) and self.frequency >= 1
        ):
            raise ValueError(f"frequency must be 'auto' or an integer >= 1 (steps), got {self.frequency!r}")

    def get_config(self):
        """Return the constructor arguments as a JSON-serializable dict."""
        return {
            "final_sparsity": float(self.final_sparsity),
            "initial_sparsity": float(self.initial_sparsity),
            "begin": self.begin,
            "end": self.end,
            "unit": self.unit,
            "frequency": self.frequency if self.frequency == "auto" else int(self.frequency),
            "exponent": self.exponent,
            "kind": self.kind,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"PruningSchedule({args})"

    def __eq__(self, other):
        return isinstance(other, PruningSchedule) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash(tuple(self.get_config().items()))

    def with_final_sparsity(self, final_sparsity):
        """Return a copy of this schedule that ends at another sparsity."""
        config = self.get_config()
        config["final_sparsity"] = final_sparsity
        config["initial_sparsity"] = min(config["initial_sparsity"], final_sparsity)
        return PruningSchedule.from_config(config)

    def starting_at(self, sparsity):
        """Return a copy that starts at ``sparsity`` (a parent's) and never ends below it."""
        config = self.get_config()
        config["initial_sparsity"] = float(sparsity)
        config["final_sparsity"] = max(config["final_sparsity"], float(sparsity))
        return PruningSchedule.from_config(config)

    def steps(self, steps_per_epoch, epochs):
        """Return ``(begin_step, end_step, frequency)`` in tfmot's steps.

        Raises
        ------
        ValueError
            If the last mask update would fall after the last training step, so
            that training would stop before reaching ``final_sparsity``.
        """
        if steps_per_epoch < 1 or epochs < 1:
            raise ValueError(f"need steps_per_epoch >= 1 and epochs >= 1, got {steps_per_epoch} and {epochs}")
        total_steps = steps_per_epoch * epochs
        scale = {"fraction": total_steps, "epoch": steps_per_epoch, "step": 1}[self.unit]
        begin_step = int(round(self.begin * scale))
        raw_end = max(begin_step + 1, int(round(self.end * scale)))
        frequency = max(1, (raw_end - begin_step) // 16) if self.frequency == "auto" else int(self.frequency)
        n_updates = math.ceil((raw_end - begin_step) / frequency)
        end_step = begin_step + n_updates * frequency
        if end_step > total_steps:
            raise ValueError(
                f"this pruning schedule cannot reach final_sparsity={self.final_sparsity} inside training: "
                f"training has {total_steps} steps ({epochs} epochs x {steps_per_epoch} steps per epoch), "
                f"but pruning runs from step {begin_step} to step {end_step} (begin={self.begin}, "
                f"end={self.end} in {self.unit}s, frequency={frequency} steps). Train for more epochs, "
                "end pruning earlier, or lower the frequency."
            )
        return begin_step, end_step, frequency

    def sparsity_at(self, step, steps_per_epoch, epochs):
        """Target sparsity at ``step``, computed exactly as tfmot computes it (float32)."""
        begin_step, end_step, _ = self.steps(steps_per_epoch, epochs)
        if self.kind == "constant":
            return float(np.float32(self.final_sparsity))
        progress = np.float32(step - begin_step) / np.float32(end_step - begin_step)
        progress = np.minimum(np.float32(1.0), np.maximum(np.float32(0.0), progress))
        decay = np.power(np.float32(1.0) - progress, np.float32(self.exponent))
        gap = np.float32(self.initial_sparsity - self.final_sparsity)
        return float(gap * decay + np.float32(self.final_sparsity))

    def is_update_step(self, step, steps_per_epoch, epochs):
        """Whether tfmot updates the masks at ``step``."""
        begin_step, end_step, frequency = self.steps(steps_per_epoch, epochs)
        return begin_step <= step <= end_step and (step - begin_step) % frequency == 0

    def to_tfmot(self, steps_per_epoch, epochs):
        """Return the equivalent tfmot schedule, built from Python numbers.

        tfmot schedules fail inside the graph when given numpy floats, so every
        number is converted to a Python ``int`` or ``float`` here.
        """
        _, _, tfmot = import_tf()
        begin_step, end_step, frequency = self.steps(steps_per_epoch, epochs)
        if self.kind == "constant":
            return tfmot.ConstantSparsity(
                target_sparsity=float(self.final_sparsity),
                begin_step=int(begin_step),
                end_step=int(end_step),
                frequency=int(frequency),
            )
        return tfmot.PolynomialDecay(
            initial_sparsity=float(self.initial_sparsity),
            final_sparsity=float(self.final_sparsity),
            begin_step=int(begin_step),
            end_step=int(end_step),
            power=float(self.exponent),
            frequency=int(frequency),
        )
