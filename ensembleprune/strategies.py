"""Training strategies: how an ensemble's members come out of training.

- ``"independent"``: every member is trained from scratch, so K members cost K
  fits' worth of optimizer steps (fused training saves only per-fit overhead).
- ``"prune_and_tune"`` (Whitaker and Whitley, "Prune and Tune Ensembles", AAAI
  2022): one parent is trained, pruned to the lowest member sparsity; K
  children start from copies of it, each pruned on to its own final sparsity
  and fine-tuned for a short budget with a cosine learning rate, all fused.
- ``"snapshots"`` (in the spirit of snapshot ensembles, Huang et al. 2017, and
  FreeTickets, Liu et al. 2022): one network whose sparsity rises through the
  members' sparsities as a staircase; each step prunes further, recovers over
  one cosine learning-rate cycle, and is copied out as a member.

Every phase is recorded in the fit's :class:`~ensembleprune.ledger.CostLedger`,
and every finished network (the parent too) in the fit's checkpoint, so that a
resumed fit does not train it again.
"""

import copy
import dataclasses
import math
import numbers
import time

import numpy as np

from .schedule import PruningSchedule

STRATEGIES = ("independent", "prune_and_tune", "snapshots")
MASKS = ("magnitude", "random")
# A child's fine-tuning is never shorter than this, so that its pruning (over the
# first half) and recovery each get at least an epoch.
MIN_TUNE_EPOCHS = 2


@dataclasses.dataclass(frozen=True)
class StrategyParams:
    """The options of ``"prune_and_tune"`` and ``"snapshots"`` (the estimator's ``strategy_params``).

    Parameters
    ----------
    tune_fraction : float
        Epochs of each child's fine-tuning (each snapshot's step), as a
        fraction of the epochs its parent (the first snapshot) trained for.
    pruning_end : float, default=0.5
        Fraction of a child's fine-tuning at which it reaches its final
        sparsity; the rest recovers at that sparsity.
    masks : {"magnitude", "random"}, default="magnitude"
        How a child is pruned beyond its parent: gradually by magnitude, or
        at once at random among the parent's live weights (drawn from the
        child's seed), which makes children of one parent more diverse.
    """

    tune_fraction: float
    pruning_end: float = 0.5
    masks: str = "magnitude"

    def __post_init__(self):
        for name in ("tune_fraction", "pruning_end"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0 < value <= 1:
                raise ValueError(f"strategy_params[{name!r}] must be a number in (0, 1], got {value!r}")
        if self.pruning_end == 1:
            raise ValueError("strategy_params['pruning_end'] must be below 1: a child needs steps to recover")
        if self.masks not in MASKS:
            raise ValueError(f"strategy_params['masks'] must be one of {MASKS}, got {self.masks!r}")

    def get_config(self):
        return dataclasses.asdict(self)


# Four members cost about one fit and a half of steps by either strategy.
DEFAULT_PARAMS = {"prune_and_tune": StrategyParams(tune_fraction=0.2), "snapshots": StrategyParams(tune_fraction=0.1)}


def strategy_params(strategy, params):
    """The StrategyParams of ``strategy``: its defaults, updated by the ``params`` dict (or None)."""
    if strategy == "independent":
        if params:
            raise ValueError(f"strategy='independent' takes no strategy_params, got {params!r}")
        return None
    given = dict(params or {})
    known = {field.name for field in dataclasses.fields(StrategyParams)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValueError(f"strategy_params has unknown keys {unknown}; the known ones are {sorted(known)}")
    return dataclasses.replace(DEFAULT_PARAMS[strategy], **given)


def train_members(strategy, params, factory, X, Y, specs, row_weights, validation_rows, store, ledger, stage,
                  validation_data=None):
    """Train the members of ``specs`` by ``strategy``; return their TrainedMembers in the order of ``specs``.

    ``store`` finds and keeps finished networks (a :class:`MemberStore`);
    ``ledger`` records each phase under a name that starts with ``stage``.
    ``validation_rows`` of ``X``, or ``validation_data``, are what
    :meth:`~ensembleprune.factory.PrunedMLPFactory.train` validates on.
    """
    validation = dict(validation_rows=validation_rows, validation_data=validation_data)
    run = _Run(factory, X, Y, row_weights, validation, store, ledger, stage)
    if strategy == "independent":
        return run.independent(specs)
    if strategy == "prune_and_tune":
        return run.prune_and_tune(specs, params)
    return run.snapshots(specs, params)


def child_spec(spec, params):
    """``spec`` as a child: pruned from its parent's sparsity over the first ``pruning_end`` of its fine-tuning."""
    schedule = PruningSchedule(spec.final_sparsity, begin=0.0, end=params.pruning_end, exponent=spec.schedule.exponent,
                               frequency=spec.schedule.frequency)
    return dataclasses.replace(spec, schedule=schedule)


def tuning_factory(factory, parent, params):
    """The factory of children of ``parent``: a short budget and a cosine learning-rate cycle."""
    tuner = copy.copy(factory)
    tuner.epochs = max(MIN_TUNE_EPOCHS, math.ceil(params.tune_fraction * len(parent.history["loss"])))
    tuner.learning_rate_schedule = "cosine"
    return tuner


class _Run:
    """One stage of training (the full data, or a fold of stacking): the data, the store and the ledger."""

    def __init__(self, factory, X, Y, row_weights, validation, store, ledger, stage):
        self.factory, self.X, self.Y = factory, X, Y
        self.row_weights, self.validation = row_weights, validation
        self.store, self.ledger, self.stage = store, ledger, stage

    def _train(self, phase, factory, specs, indices, names, **parents):
        """Train ``specs`` (rows ``indices`` of the weights), save each as it finishes, record the phase."""
        weights = None if self.row_weights is None else self.row_weights[indices]
        start = time.perf_counter()
        trained = factory.train(
            self.X, self.Y, specs, sample_weight=weights, **self.validation,
            on_trained=lambda position, member: self.store.save(names[position], member), **parents,
        )
        self.ledger.add(f"{self.stage} {phase}", trained, time.perf_counter() - start)
        return trained

    def _restored(self, specs, names, factory):
        return {k: member for k, (spec, name) in enumerate(zip(specs, names))
                if (member := self.store.load(name, spec, factory)) is not None}

    def independent(self, specs):
        names = [f"member{k}" for k in range(len(specs))]
        trained = self._restored(specs, names, self.factory)
        missing = [k for k in range(len(specs)) if k not in trained]
        if missing:
            members = self._train("members", self.factory, [specs[k] for k in missing], missing,
                                  [names[k] for k in missing])
            trained.update(zip(missing, members))
        return [trained[k] for k in range(len(specs))]

    def prune_and_tune(self, specs, params):
        names = [f"member{k}" for k in range(len(specs))]
        children = [child_spec(spec, params) for spec in specs]
        trained = self._restored(children, names, self.factory)
        missing = [k for k in range(len(specs)) if k not in trained]
        if missing:
            # The parent is the least sparse member's spec (its seed, its input pruning), as the first snapshot is.
            parent_spec = specs[int(np.argmin([spec.final_sparsity for spec in specs]))]
            parent = self.store.load("parent", parent_spec, self.factory)
            if parent is None:
                parent = self._train("parent", self.factory, [parent_spec], [0], ["parent"])[0]
            members = self._train(
                "children", tuning_factory(self.factory, parent, params), [children[k] for k in missing], missing,
                [names[k] for k in missing], parents=[parent] * len(missing), parent_masks=params.masks,
            )
            trained.update(zip(missing, members))
        return [trained[k] for k in range(len(specs))]

    def snapshots(self, specs, params):
        order = np.argsort([spec.final_sparsity for spec in specs], kind="stable")
        trained, first, previous = {}, None, None
        for position, k in enumerate(order):
            spec = specs[k] if position == 0 else child_spec(specs[k], params)
            member = self.store.load(f"member{k}", spec, self.factory)
            if member is None and position == 0:
                member = self._train("snapshot 1", self.factory, [spec], [k], [f"member{k}"])[0]
            elif member is None:
                member = self._train(
                    f"snapshot {position + 1}", tuning_factory(self.factory, first, params), [spec], [k],
                    [f"member{k}"], parents=[previous], parent_masks=params.masks,
                )[0]
            first = first or member
            trained[k] = previous = member
        return [trained[k] for k in range(len(specs))]


class MemberStore:
    """The finished networks of one stage of a fit, kept in a MemberCheckpoint (or nowhere without one).

    Parameters
    ----------
    checkpoint : MemberCheckpoint or None
    stage : str
        Prefixes the keys: ``"full"``, or ``"fold0"``, ... for stacking's folds.
    shape : tuple (n_features, n_outputs, n_samples)
        What a restored network is rebuilt for.
    """

    def __init__(self, checkpoint, stage, shape):
        self.checkpoint, self.stage, self.shape = checkpoint, stage, shape

    def load(self, name, spec, factory):
        """The TrainedMember saved as ``name``, rebuilt for ``spec`` by ``factory``; None if there is none."""
        saved = None if self.checkpoint is None else self.checkpoint.load(f"{self.stage}-{name}")
        if saved is None:
            return None
        weights, history, best_epoch, seed = saved
        # The member keeps the seed it was trained with, which differs from
        # this fit's draw when random_state is not an integer.
        spec = spec if seed is None else dataclasses.replace(spec, seed=seed)
        try:
            return factory.restore(spec, weights, *self.shape, history, best_epoch)
        except ValueError as error:
            # The fingerprint matched, so the file is this fit's; its arrays are not those of the network this
            # version builds (an earlier version kept fewer in a layer that prunes whole features).
            raise ValueError(
                f"the checkpoint's member {self.stage}-{name} holds {len(weights)} weight arrays that do not fit the "
                f"network this version of ensembleprune builds for it ({error}); it was most likely written by an "
                "earlier version. Delete the checkpoint_dir folder, or give another one, to train afresh."
            ) from None

    def save(self, name, member):
        if self.checkpoint is not None:
            self.checkpoint.save(f"{self.stage}-{name}", member.model.get_weights(), member.history,
                                 member.best_epoch, member.spec.seed)
