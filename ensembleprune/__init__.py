"""ensembleprune: ensembles of gradually magnitude-pruned MLPs.

Train several MLPs pruned with tfmot, strip them to compact numpy models and
combine them behind a scikit-learn regressor. TensorFlow is imported only when
training.
"""

from .compact import CompactLayer, CompactMLP, strip
from .datasets import make_article_regression, make_wide_friedman
from .ensemble import PrunedEnsembleRegressor
from .factory import MemberSpec, PrunedMLPFactory, TrainedMember
from .schedule import PruningSchedule

__version__ = "0.1.0"

__all__ = [
    "CompactLayer",
    "CompactMLP",
    "MemberSpec",
    "PrunedEnsembleRegressor",
    "PrunedMLPFactory",
    "PruningSchedule",
    "TrainedMember",
    "make_article_regression",
    "make_wide_friedman",
    "strip",
]
