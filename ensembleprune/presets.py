"""The sizes of the experiments, declared once: "quick" and "article".

``article`` is the article's exact data (``make_regression``, 10,000 rows of 1,000
features, half of them informative), model (two hidden layers of 1,024 units) and
training (200 epochs). ``quick`` keeps its shape (a dense model that overfits, a
validation minimum near final sparsity 0.9) at a size that runs in minutes on 2
cores.

Who uses them:

- ``ensembleprune demo``: ``quick`` by default, ``article`` with ``--full``;
- ``ensembleprune sweep --preset {quick,article}`` (the article's figure);
- ``ensembleprune robustness``: its defaults are ``quick``'s data and model;
- ``benchmarks/bench_inference.py``: ``article``'s data and model.

The functions of the library (``sparsity_sweep``, ``robustness_report``,
``PrunedEnsembleRegressor``) keep their own defaults; a preset is what the
command line and the benchmarks pass to them.
"""

from dataclasses import dataclass

from .member import ARTICLE_HIDDEN_LAYER_SIZES

# Final sparsities of the ensemble members of the demo and the robustness report
# (and PrunedEnsembleRegressor's default): the article's members.
MEMBER_SPARSITIES = (0.8, 0.9, 0.95, 0.98)
# The article's training recipe: the demo and the robustness report train with it,
# so that they reproduce the article whatever PrunedEnsembleRegressor's defaults are.
ARTICLE_TRAINING = dict(
    batch_size=1024,
    learning_rate=1e-3,
    learning_rate_schedule="constant",
    sparsity_allocation="uniform",
    input_pruning="weights",
    input_encoding=None,
    early_stopping=False,
    linear_member=False,
)


@dataclass(frozen=True)
class Preset:
    """Data, model and training sizes of one preset.

    Attributes
    ----------
    name : str
    n_samples, n_features, n_informative : int
        The article's regression (``make_article_regression``); 80% of the rows
        train, 20% validate. ``n_informative`` is half of ``n_features``, as
        ``load_experiment_data`` generates it.
    hidden_layer_sizes : tuple of int
    epochs : int
    sweep_sparsities : tuple of float
        Final sparsities of ``ensembleprune sweep``.
    sweep_seeds : tuple of int
        Seeds of ``ensembleprune sweep``.
    member_sparsities : tuple of float
        Final sparsities of the ensemble members (demo, robustness report).
    robustness_seeds : int
        Repetitions of ``ensembleprune robustness``.
    cv : int
        Folds of the stacked ensemble (demo, robustness report).
    """

    name: str
    n_samples: int
    n_features: int
    n_informative: int
    hidden_layer_sizes: tuple
    epochs: int
    sweep_sparsities: tuple
    sweep_seeds: tuple
    member_sparsities: tuple = MEMBER_SPARSITIES
    robustness_seeds: int = 3
    cv: int = 3

    def data_sizes(self):
        """``n_samples`` and ``n_features``, as keyword arguments of ``load_experiment_data``."""
        return dict(n_samples=self.n_samples, n_features=self.n_features)


QUICK = Preset(
    name="quick",
    n_samples=4000,
    n_features=500,
    n_informative=250,
    hidden_layer_sizes=(256, 256),
    epochs=60,
    sweep_sparsities=(0.0, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99),
    sweep_seeds=(0, 1, 2),
)

ARTICLE = Preset(
    name="article",
    n_samples=10000,
    n_features=1000,
    n_informative=500,
    hidden_layer_sizes=ARTICLE_HIDDEN_LAYER_SIZES,
    epochs=200,
    sweep_sparsities=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99),
    sweep_seeds=tuple(range(10)),
)

PRESETS = {preset.name: preset for preset in (QUICK, ARTICLE)}
