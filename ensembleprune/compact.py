"""strip() and CompactMLP: a pruned tf_keras MLP as a small numpy-only model.

``strip`` removes tfmot's wrappers with ``strip_pruning`` and copies each Dense
layer's kernel and bias into a :class:`CompactMLP`, whose ``predict`` needs numpy
and scipy only. Sparse kernels are stored as CSR, dense ones as arrays.
"""

import numpy as np
from scipy import sparse

from ._tf import import_tf

ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0, out=z),
    "tanh": lambda z: np.tanh(z, out=z),
    "sigmoid": lambda z: np.divide(1.0, 1.0 + np.exp(-z), out=z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "linear": lambda z: z,
}
# Below this density a CSR kernel is smaller than a dense one and its product faster.
SPARSE_DENSITY_THRESHOLD = 0.3


class CompactLayer:
    """One fully connected layer: ``activation(X @ kernel + bias)``."""

    def __init__(self, kernel, bias, activation):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.kernel = kernel
        self.bias = np.asarray(bias, dtype=np.float32)
        self.activation = activation

    @classmethod
    def from_dense(cls, kernel, bias, activation):
        """Store ``kernel`` as CSR when it is sparse enough to pay off, else dense."""
        kernel = np.asarray(kernel, dtype=np.float32)
        if np.count_nonzero(kernel) <= SPARSE_DENSITY_THRESHOLD * kernel.size:
            kernel = sparse.csr_matrix(kernel)
        return cls(kernel, bias, activation)

    @property
    def shape(self):
        return self.kernel.shape

    @property
    def nnz(self):
        return int(self.kernel.nnz if sparse.issparse(self.kernel) else np.count_nonzero(self.kernel))

    def dense_kernel(self):
        return self.kernel.toarray() if sparse.issparse(self.kernel) else self.kernel

    def __call__(self, X):
        z = self.kernel.T.dot(X.T).T if sparse.issparse(self.kernel) else X @ self.kernel
        z = np.asarray(z, dtype=np.float32) + self.bias
        return ACTIVATIONS[self.activation](z)


class CompactMLP:
    """A stripped MLP whose prediction needs numpy and scipy only.

    Parameters
    ----------
    layers : list of CompactLayer
        Input to output; the last layer is the linear output layer.
    """

    def __init__(self, layers):
        if not layers:
            raise ValueError("a CompactMLP needs at least one layer")
        for before, after in zip(layers, layers[1:]):
            if before.shape[1] != after.shape[0]:
                raise ValueError(f"layer shapes do not chain: {before.shape} then {after.shape}")
        self.layers = list(layers)

    @property
    def n_features_in_(self):
        return self.layers[0].shape[0]

    @property
    def n_outputs_(self):
        return self.layers[-1].shape[1]

    @property
    def n_params(self):
        """Weights and biases of the dense architecture."""
        return int(sum(layer.shape[0] * layer.shape[1] + layer.shape[1] for layer in self.layers))

    @property
    def nnz(self):
        """Nonzero weights plus biases actually stored."""
        return int(sum(layer.nnz + layer.shape[1] for layer in self.layers))

    @property
    def layer_sparsity(self):
        return [1.0 - layer.nnz / (layer.shape[0] * layer.shape[1]) for layer in self.layers]

    def predict(self, X):
        """Return predictions of shape (n_samples, n_outputs) as float32."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X must have shape (n_samples, {self.n_features_in_}), got {X.shape}"
            )
        for layer in self.layers:
            X = layer(X)
        return X

    def __repr__(self):
        shapes = " -> ".join(str(layer.shape[0]) for layer in self.layers) + f" -> {self.n_outputs_}"
        return f"CompactMLP({shapes}, nnz={self.nnz} of {self.n_params})"


def strip(model):
    """Turn a pruned (or plain) tf_keras MLP into a :class:`CompactMLP`.

    Parameters
    ----------
    model : tf_keras.Model
        A model of Dense layers, with or without tfmot pruning wrappers, such as
        ``TrainedMember.model``.

    Returns
    -------
    CompactMLP
    """
    _, keras, tfmot = import_tf()
    stripped = tfmot.strip_pruning(model)
    layers = []
    for layer in stripped.layers:
        if isinstance(layer, keras.layers.InputLayer) or not layer.weights:
            continue
        if not isinstance(layer, keras.layers.Dense):
            raise TypeError(f"strip() handles MLPs of Dense layers only; found {type(layer).__name__} {layer.name!r}")
        activation = keras.activations.serialize(layer.activation)
        activation = activation if isinstance(activation, str) else activation.get("config", {}).get("name", activation)
        kernel, bias = layer.get_weights() if layer.use_bias else (layer.get_weights()[0], np.zeros(layer.units))
        layers.append(CompactLayer.from_dense(kernel, bias, activation))
    return CompactMLP(layers)
