"""TrainingOptions: the training options of PrunedMLPFactory, declared once.

Each field of :class:`TrainingOptions` is one option of
:class:`~ensembleprune.factory.PrunedMLPFactory` and one parameter of
:class:`~ensembleprune.ensemble.PrunedEnsembleRegressor`. Its declaration holds
everything the two need to know about it, so that adding an option is one field
here (plus the estimator's explicit ``__init__`` argument and docstring, which
scikit-learn requires to be written out):

- its default, the factory's; ``estimator_default`` where the estimator's
  default differs (the estimator converges at any data size by default, the
  factory keeps the article's recipe);
- its scikit-learn parameter constraint, for the estimator's ``_validate_params``;
- ``learns``: whether it changes what a member learns, which decides whether it
  enters the checkpoint fingerprint (how many processes train, or what is
  printed, does not).
"""

import dataclasses
import numbers
from dataclasses import dataclass

from sklearn.utils._param_validation import Interval, StrOptions

_TRAININGS = ("fused", "independent")
_LEARNING_RATE_SCHEDULES = ("constant", "cosine")


_FACTORY_DEFAULT = object()


def _option(default, constraints, learns=True, estimator_default=_FACTORY_DEFAULT):
    """A dataclass field of one training option (see the module docstring for the metadata)."""
    metadata = {"constraints": constraints, "learns": learns}
    if estimator_default is not _FACTORY_DEFAULT:
        metadata["estimator_default"] = estimator_default
    return dataclasses.field(default=default, metadata=metadata)


def _positive_int_or_auto():
    return [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})]


@dataclass(frozen=True)
class TrainingOptions:
    """The options of :class:`~ensembleprune.factory.PrunedMLPFactory`, validated.

    The factory's docstring describes each option.
    """

    epochs: object = _option(100, _positive_int_or_auto(), estimator_default="auto")
    batch_size: object = _option(1024, _positive_int_or_auto(), estimator_default="auto")
    learning_rate: float = _option(1e-3, [Interval(numbers.Real, 0, None, closed="neither")])
    training: str = _option("fused", [StrOptions(set(_TRAININGS))])
    n_jobs: object = _option(None, [None, numbers.Integral], learns=False)
    verbose: int = _option(0, ["verbose"], learns=False)
    bootstrap: bool = _option(False, ["boolean"])
    early_stopping: bool = _option(False, ["boolean"], estimator_default=True)
    validation_fraction: float = _option(0.1, [Interval(numbers.Real, 0, 1, closed="neither")])
    n_iter_no_change: int = _option(10, [Interval(numbers.Integral, 1, None, closed="left")])
    tol: float = _option(1e-4, [Interval(numbers.Real, 0, None, closed="left")])
    learning_rate_schedule: str = _option("constant", [StrOptions(set(_LEARNING_RATE_SCHEDULES))])

    def __post_init__(self):
        # The factory is also built directly (not only through the estimator's
        # scikit-learn validation), so the values that would fail late, inside
        # training, are refused here.
        if self.learning_rate_schedule not in _LEARNING_RATE_SCHEDULES:
            raise ValueError(
                f"learning_rate_schedule must be 'constant' or 'cosine', got {self.learning_rate_schedule!r}"
            )
        if self.training not in _TRAININGS:
            raise ValueError(f"training must be one of {_TRAININGS}, got {self.training!r}")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}")
        if not isinstance(self.n_iter_no_change, numbers.Integral) or self.n_iter_no_change < 1:
            raise ValueError(f"n_iter_no_change must be an integer >= 1 (epochs), got {self.n_iter_no_change!r}")
        if not self.tol >= 0:
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")


def option_names():
    """The names of the training options, in declaration order."""
    return tuple(field.name for field in dataclasses.fields(TrainingOptions))


def option_constraints():
    """The scikit-learn parameter constraint of each option, by name."""
    return {field.name: field.metadata["constraints"] for field in dataclasses.fields(TrainingOptions)}


def estimator_defaults():
    """Each option's default in PrunedEnsembleRegressor (the factory's unless declared otherwise)."""
    return {
        field.name: field.metadata.get("estimator_default", field.default)
        for field in dataclasses.fields(TrainingOptions)
    }


def options_not_learned():
    """The options that change how members are trained or reported, not what they learn."""
    return frozenset(field.name for field in dataclasses.fields(TrainingOptions) if not field.metadata["learns"])


def options_of(obj):
    """The values of the training options held as attributes of ``obj`` (an estimator or a factory)."""
    return {name: getattr(obj, name) for name in option_names()}
