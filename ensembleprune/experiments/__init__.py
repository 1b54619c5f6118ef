"""Experiments: the article's sparsity sweep and a robustness report.

- :mod:`.sweep`: :func:`sparsity_sweep` trains one pruned MLP per (final
  sparsity, seed) pair and tabulates training and validation loss against
  final sparsity, the article's figure; a killed sweep resumes from its folder.
- :mod:`.robustness`: :func:`robustness_report` compares a dense MLP, the best
  pruned member, the mean and stacked ensembles of pruned members and a linear
  baseline under input noise and feature dropout, checks the ambiguity
  decomposition of the mean ensemble and counts the input features that pruning
  keeps.
- :mod:`.plots`: their figures.

Both take class labels as well as a regression target (``task="auto"``
decides, see :func:`resolve_task`): the sweep then tabulates log-loss and
accuracy, the report scores accuracy and log-loss and gives the members'
:func:`disagreement` in place of the ambiguity decomposition. What is
particular to class labels lives in ``_classification.py``; the perturbed test
rows and the scores on them in ``_perturbations.py``.

Their data come from :func:`ensembleprune.datasets.load_experiment_data`
(re-exported here with :func:`~ensembleprune.datasets.load_csv`), their preset
sizes from :mod:`ensembleprune.presets`.
"""

from ..datasets import load_csv, load_experiment_data
from ._classification import disagreement, resolve_task
from .plots import plot_robustness, plot_sweep
from .robustness import (
    ambiguity_decomposition,
    fit_dense_mlp,
    fit_linear_baseline,
    fit_member_ensembles,
    kept_input_features,
    robustness_report,
)
from .sweep import SWEEP_PAIRS_DIR, SWEEP_PRESETS, SweepPair, SweepResult, SweepRow, sparsity_sweep

__all__ = [
    "SWEEP_PAIRS_DIR",
    "SWEEP_PRESETS",
    "SweepPair",
    "SweepResult",
    "SweepRow",
    "ambiguity_decomposition",
    "disagreement",
    "fit_dense_mlp",
    "fit_linear_baseline",
    "fit_member_ensembles",
    "kept_input_features",
    "load_csv",
    "load_experiment_data",
    "plot_robustness",
    "plot_sweep",
    "resolve_task",
    "robustness_report",
    "sparsity_sweep",
]
