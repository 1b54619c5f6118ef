"""ensembleprune: ensembles of gradually magnitude-pruned MLPs.

Train several MLPs pruned with tfmot, strip them to compact numpy models and
combine them behind a scikit-learn regressor or classifier. TensorFlow is imported only when
training.
"""

from ._version import __version__
from .compact import CompactLayer, CompactMLP, strip
from .datasets import make_article_regression, make_wide_friedman
from .classifier import PrunedEnsembleClassifier
from .ensemble import PrunedEnsembleRegressor
from .experiments import robustness_report, sparsity_sweep
from .factory import MemberSpec, PrunedMLPFactory, TrainedMember
from .onnx_export import register_onnx_converters, save_onnx, to_onnx
from .schedule import PruningSchedule
from .serialization import InvalidModelFileError, UnsafeToSaveError, load, save


__all__ = [
    "CompactLayer",
    "CompactMLP",
    "InvalidModelFileError",
    "MemberSpec",
    "PrunedEnsembleClassifier",
    "PrunedEnsembleRegressor",
    "PrunedMLPFactory",
    "PruningSchedule",
    "TrainedMember",
    "UnsafeToSaveError",
    "load",
    "make_article_regression",
    "make_wide_friedman",
    "register_onnx_converters",
    "robustness_report",
    "save",
    "save_onnx",
    "sparsity_sweep",
    "strip",
    "to_onnx",
]
