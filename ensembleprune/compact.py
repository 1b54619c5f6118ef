"""CompactMLP and CompactLayer: a pruned MLP as a small numpy model, stored compactly.

:meth:`CompactMLP.from_weights` removes dead units and stores every layer as CSR
(with the smallest index types that fit) or dense, whichever takes fewer bytes
(``CompactLayer.arrays``, what files hold). Prediction needs numpy and scipy only.
How layers run, and how many members run over blocks of rows on threads, is
``_runtime.py``; ``strip`` (a pruned tf_keras model to a CompactMLP) and
``to_keras`` are ``_keras_bridge.py``. Their public names are re-exported here.
"""

import numpy as np
from scipy import sparse

# Neither module imports this one at module level, so importing them here makes no cycle.
from ._keras_bridge import strip, to_keras as _to_keras  # noqa: F401 (strip re-exported)
from ._runtime import (  # noqa: F401 (BLOCK_BYTES re-exported)
    ACTIVATIONS,
    BLOCK_BYTES,
    SMALL_LAYER_WEIGHTS,
    SPARSE_RUNTIME_DENSITY,
    predict_all,
)


def smallest_unsigned_dtype(largest):
    """The smallest unsigned integer dtype that holds ``largest`` (and 0)."""
    return np.min_scalar_type(max(int(largest), 0))


class CompactLayer:
    """One fully connected layer, ``activation(inputs @ kernel + bias)``, stored compactly.

    The kernel is stored (see :meth:`arrays`) as the CSR form of its transpose
    (one row per unit, listing its incoming weights) when that takes fewer bytes
    than a dense array, and run as CSR when it is at most
    ``SPARSE_RUNTIME_DENSITY`` dense or has at most ``SMALL_LAYER_WEIGHTS``
    weights.

    Parameters
    ----------
    kernel : array-like or sparse matrix of shape (n_inputs, n_units)
    bias : array-like of shape (n_units,)
    activation : {"relu", "tanh", "sigmoid", "elu", "linear"}
    """

    def __init__(self, kernel, bias, activation):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if sparse.issparse(kernel):
            kernel_t = sparse.csr_matrix(kernel.T, dtype=np.float32)
        else:
            kernel_t = sparse.csr_matrix(np.asarray(kernel, dtype=np.float32).T)
        kernel_t.eliminate_zeros()
        kernel_t.sort_indices()
        n_units, n_inputs = kernel_t.shape
        self.bias = np.asarray(bias, dtype=np.float32).reshape(-1)
        if self.bias.shape != (n_units,):
            raise ValueError(f"bias must have shape ({n_units},) to match a kernel of shape "
                             f"{(n_inputs, n_units)}, got {self.bias.shape}")
        self.activation = activation
        n_weights = n_inputs * n_units
        if kernel_t.nnz <= SPARSE_RUNTIME_DENSITY * n_weights or n_weights <= SMALL_LAYER_WEIGHTS:
            self._kernel_t = kernel_t
        else:
            self._kernel_t = kernel_t.toarray()

    @classmethod
    def from_arrays(cls, shape, activation, arrays):
        """Rebuild a layer from the arrays of :meth:`arrays`, checking their structure.

        Parameters
        ----------
        shape : tuple of int
            ``(n_inputs, n_units)``.
        activation : str
        arrays : dict of str to ndarray
            ``kernel`` and ``bias`` for a dense layer; ``data``, ``indices``,
            ``indptr`` and ``bias`` for a sparse one.

        Raises
        ------
        ValueError
            If the arrays do not form a valid layer of that shape.
        """
        n_inputs, n_units = (int(size) for size in shape)
        if set(arrays) == {"kernel", "bias"}:
            kernel = arrays["kernel"]
            if kernel.shape != (n_inputs, n_units):
                raise ValueError(f"dense kernel has shape {kernel.shape}, expected {(n_inputs, n_units)}")
        elif set(arrays) == {"data", "indices", "indptr", "bias"}:
            for name in ("indices", "indptr"):
                if arrays[name].dtype.kind not in "ui":
                    raise ValueError(f"CSR {name} must be integers, got {arrays[name].dtype}")
            kernel_t = sparse.csr_matrix(
                (arrays["data"], arrays["indices"].astype(np.int64), arrays["indptr"].astype(np.int64)),
                shape=(n_units, n_inputs),
            )
            # Checks index bounds, indptr monotonicity and lengths: arrays may come from a file.
            kernel_t.check_format(full_check=True)
            kernel = kernel_t.T
        else:
            raise ValueError(f"a layer needs the arrays kernel and bias, or data, indices, indptr and bias; "
                             f"got {sorted(arrays)}")
        return cls(kernel, arrays["bias"], activation)

    @property
    def shape(self):
        """``(n_inputs, n_units)``."""
        return self._kernel_t.shape[::-1]

    @property
    def is_sparse(self):
        return sparse.issparse(self._kernel_t)

    @property
    def nnz(self):
        """Nonzero weights of the kernel."""
        if self.is_sparse:
            return int(self._kernel_t.nnz)
        return int(np.count_nonzero(self._kernel_t))

    def dense_kernel(self):
        """The kernel as a dense float32 array of shape ``(n_inputs, n_units)``."""
        kernel_t = self._kernel_t.toarray() if self.is_sparse else self._kernel_t
        return np.ascontiguousarray(kernel_t.T)

    def arrays(self):
        """The layer's parameters in their stored form: CSR or dense, whichever is smaller.

        Returns
        -------
        dict of str to ndarray
            For CSR, the arrays of the transposed kernel: ``data`` (float32),
            ``indices`` (the input of each weight) and ``indptr`` (where each unit's
            weights start), with the smallest unsigned dtypes that fit; for dense,
            ``kernel`` (float32, ``(n_inputs, n_units)``). Both with ``bias``.
        """
        kernel_t = self._kernel_t if self.is_sparse else sparse.csr_matrix(self._kernel_t)
        csr = {
            "data": kernel_t.data,
            "indices": kernel_t.indices.astype(smallest_unsigned_dtype(kernel_t.shape[1] - 1)),
            "indptr": kernel_t.indptr.astype(smallest_unsigned_dtype(kernel_t.nnz)),
        }
        n_inputs, n_units = self.shape
        if sum(array.nbytes for array in csr.values()) < n_inputs * n_units * np.dtype(np.float32).itemsize:
            return {**csr, "bias": self.bias}
        return {"kernel": self.dense_kernel(), "bias": self.bias}

    @property
    def nbytes(self):
        """Bytes of the stored arrays (see :meth:`arrays`)."""
        return int(sum(array.nbytes for array in self.arrays().values()))

    def forward(self, inputs):
        """Apply the layer to feature-major ``inputs`` of shape ``(n_inputs, n_samples)``.

        Returns the float32 activations, shape ``(n_units, n_samples)``.
        """
        z = self._kernel_t @ inputs
        z += self.bias[:, np.newaxis]
        return ACTIVATIONS[self.activation](z)

    def __repr__(self):
        layout = "CSR" if self.is_sparse else "dense"
        return f"CompactLayer({self.shape[0]} -> {self.shape[1]}, {self.activation}, {layout}, nnz={self.nnz})"


class CompactMLP:
    """A stripped MLP whose prediction needs numpy and scipy only.

    Usually made by :func:`strip` or :meth:`from_weights`, which remove dead units.

    Parameters
    ----------
    layers : list of CompactLayer
        Input to output; the last layer is the output layer.
    used_features : array-like of int, default=None
        The input features the first layer reads, in increasing order; the others
        are skipped at predict time. ``None`` means all ``layers[0].shape[0]``.
    n_features_in : int, default=None
        Number of input features; required when ``used_features`` is given.
    architecture : sequence of int, default=None
        Widths of the dense network this one was stripped from, input to output
        (for :attr:`n_params`). ``None`` means the widths of ``layers``.

    Attributes
    ----------
    used_features_ : ndarray of int
        Indices of the input features that have a weight; the others do not
        change the prediction.
    n_features_in_ : int
    n_outputs_ : int
    """

    def __init__(self, layers, used_features=None, n_features_in=None, architecture=None):
        if not layers:
            raise ValueError("a CompactMLP needs at least one layer")
        for before, after in zip(layers, layers[1:]):
            if before.shape[1] != after.shape[0]:
                raise ValueError(f"layer shapes do not chain: {before.shape} then {after.shape}")
        self.layers = list(layers)
        n_inputs = layers[0].shape[0]
        if used_features is None:
            self.n_features_in_ = int(n_inputs if n_features_in is None else n_features_in)
            used_features = np.arange(n_inputs)
        else:
            if n_features_in is None:
                raise ValueError("n_features_in is required when used_features is given")
            self.n_features_in_ = int(n_features_in)
        used_features = np.asarray(used_features)
        if (
            used_features.shape != (n_inputs,)
            or (used_features.size and used_features.dtype.kind not in "ui")
            or np.any(np.diff(used_features) <= 0)
            or np.any(used_features < 0)
            or np.any(used_features >= self.n_features_in_)
        ):
            raise ValueError(
                f"used_features must be {n_inputs} increasing feature indices in [0, {self.n_features_in_}), "
                "one per input of the first layer"
            )
        self.used_features_ = used_features.astype(np.intp)
        self.architecture = tuple(int(width) for width in architecture) if architecture is not None else (
            (self.n_features_in_,) + tuple(layer.shape[1] for layer in layers)
        )
        if len(self.architecture) != len(layers) + 1:
            raise ValueError(f"architecture must give {len(layers) + 1} widths, got {self.architecture}")

    @classmethod
    def from_weights(cls, kernels, biases, activations):
        """Build a CompactMLP from dense weights, removing dead units.

        A hidden unit with no incoming weight outputs ``activation(bias)``, a
        constant: it is folded into the next layer's bias and removed. A hidden
        unit with no outgoing weight is removed. An input feature with no
        outgoing weight is left out of ``used_features_``. Output units are kept.

        Parameters
        ----------
        kernels : list of array-like of shape (n_inputs, n_units)
        biases : list of array-like of shape (n_units,)
        activations : list of str
            One per layer; the output layer's usually ``"linear"``.

        Returns
        -------
        CompactMLP
        """
        kernels = [np.array(kernel, dtype=np.float32) for kernel in kernels]
        biases = [np.array(bias, dtype=np.float32).reshape(-1) for bias in biases]
        if not len(kernels) == len(biases) == len(activations):
            raise ValueError("kernels, biases and activations must have one entry per layer")
        architecture = (kernels[0].shape[0],) + tuple(kernel.shape[1] for kernel in kernels)
        hidden = range(len(kernels) - 1)

        def keep_units(index, keep):
            kernels[index] = kernels[index][:, keep]
            biases[index] = biases[index][keep]
            kernels[index + 1] = kernels[index + 1][keep]

        # Forward, so that a unit whose only inputs were constants becomes constant too.
        for index in hidden:
            constant = ~kernels[index].any(axis=0)
            if constant.any():
                outputs = ACTIVATIONS[activations[index]](biases[index][constant].copy())
                folded = outputs.astype(np.float64) @ kernels[index + 1][constant]
                biases[index + 1] = (biases[index + 1] + folded).astype(np.float32)
                keep_units(index, ~constant)
        # Backward, so that a unit whose only outputs went to removed units goes too.
        for index in reversed(hidden):
            keep_units(index, kernels[index + 1].any(axis=1))
        # An emptied hidden layer keeps one unit without weights: every layer keeps a
        # width (tf_keras needs one) and the zero weights add nothing.
        for index in hidden:
            if biases[index].size == 0:
                kernels[index] = np.zeros((kernels[index].shape[0], 1), np.float32)
                biases[index] = np.zeros(1, np.float32)
                kernels[index + 1] = np.zeros((1, kernels[index + 1].shape[1]), np.float32)
        used_features = np.flatnonzero(kernels[0].any(axis=1))
        kernels[0] = kernels[0][used_features]
        layers = [CompactLayer(k, b, a) for k, b, a in zip(kernels, biases, activations)]
        return cls(layers, used_features, architecture[0], architecture)

    @property
    def n_outputs_(self):
        return self.layers[-1].shape[1]

    @property
    def n_params(self):
        """Weights and biases of the dense architecture."""
        widths = self.architecture
        return int(sum(n_in * n_out + n_out for n_in, n_out in zip(widths, widths[1:])))

    @property
    def nnz(self):
        """Nonzero weights plus biases actually stored."""
        return int(sum(layer.nnz + layer.shape[1] for layer in self.layers))

    @property
    def nbytes(self):
        """Bytes of the stored arrays, ``used_features_`` included."""
        features = self.used_features_.astype(smallest_unsigned_dtype(self.n_features_in_))
        return int(features.nbytes + sum(layer.nbytes for layer in self.layers))

    @property
    def layer_sparsity(self):
        """Fraction of the dense architecture's weights that each layer does not store."""
        widths = self.architecture
        return [1.0 - layer.nnz / (n_in * n_out) for layer, n_in, n_out in zip(self.layers, widths, widths[1:])]

    def forward(self, inputs):
        """Predict from feature-major ``inputs`` of shape ``(n_features_in_, n_samples)``.

        Returns float32 predictions of shape ``(n_outputs_, n_samples)``.
        """
        if self.used_features_.size != self.n_features_in_:
            inputs = inputs[self.used_features_]
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def predict(self, X):
        """Return predictions of shape (n_samples, n_outputs) as float32."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have shape (n_samples, {self.n_features_in_}), got {X.shape}")
        return predict_all([self], X)[0]

    def with_output_layer(self, scale=1.0, activation=None):
        """A copy whose output layer computes ``activation(scale * (inputs @ kernel + bias))``.

        The hidden layers are shared, not copied. ``scale=1 / T`` divides the
        output's logits by a temperature ``T`` (calibration);
        ``activation="linear"`` exposes the logits themselves.

        Parameters
        ----------
        scale : float, default=1.0
        activation : str, default=None
            ``None`` keeps the output layer's activation.

        Returns
        -------
        CompactMLP
        """
        last = self.layers[-1]
        kernel = last._kernel_t.T * np.float32(scale)
        output = CompactLayer(kernel, last.bias * np.float32(scale), activation or last.activation)
        return CompactMLP(self.layers[:-1] + [output], self.used_features_, self.n_features_in_, self.architecture)

    def reading_unstandardized(self, center, scale):
        """This model for inputs whose first ``len(center)`` columns are not yet standardized.

        The copy computes on ``x`` what this model computes on ``x`` with those
        columns replaced by ``(x - center) / scale``: the first layer's weights
        of those columns are divided by ``scale``, and what ``center`` subtracts
        moves into the first layer's bias (computed in float64, stored in
        float32). A zero weight stays zero, so the sparsity is unchanged. The
        other layers are shared, not copied.

        Parameters
        ----------
        center, scale : array-like of shape (n_columns,)
            ``n_columns`` at most ``n_features_in_``; ``scale`` positive.

        Returns
        -------
        CompactMLP
        """
        center, scale = np.asarray(center, np.float64), np.asarray(scale, np.float64)
        if center.shape != scale.shape or center.ndim != 1 or center.size > self.n_features_in_:
            raise ValueError(f"center and scale must be two 1-D arrays of one length, at most {self.n_features_in_}")
        first = self.layers[0]
        inputs = self.used_features_ < center.size  # the first layer's inputs among the standardized columns
        columns = self.used_features_[inputs]
        input_center, input_scale = np.zeros(inputs.size), np.ones(inputs.size)
        input_center[inputs], input_scale[inputs] = center[columns], scale[columns]
        kernel_t = first._kernel_t.astype(np.float64)  # (n_units, n_inputs), CSR or dense
        kernel_t = kernel_t @ sparse.diags(1 / input_scale) if first.is_sparse else kernel_t / input_scale
        bias = first.bias - kernel_t @ input_center
        layer = CompactLayer(kernel_t.T, bias, first.activation)
        return CompactMLP([layer] + self.layers[1:], self.used_features_, self.n_features_in_, self.architecture)

    def reading_first_columns_of(self, n_columns):
        """This model for inputs of ``n_columns`` columns, of which it reads the first ``n_features_in_``.

        A member that reads the features alone among features and their
        encoded columns: the layers and ``architecture`` stay those it was
        trained with (so :attr:`n_params` counts no weight it never had).

        Parameters
        ----------
        n_columns : int
            At least ``n_features_in_``.

        Returns
        -------
        CompactMLP
            ``self`` where ``n_columns`` is ``n_features_in_``.
        """
        if n_columns == self.n_features_in_:
            return self
        return CompactMLP(self.layers, self.used_features_, n_columns, self.architecture)

    def to_keras(self):
        """Rebuild a plain tf_keras model with the same predictions, for serving in TensorFlow.

        The model takes all ``n_features_in_`` features (unused ones get zero
        weights) and has the compact widths, without dead units.

        Returns
        -------
        tf_keras.Model
        """
        return _to_keras(self)

    def __repr__(self):
        widths = " -> ".join(str(width) for width in (self.used_features_.size,) + tuple(
            layer.shape[1] for layer in self.layers))
        return f"CompactMLP({widths}, nnz={self.nnz} of {self.n_params}, {self.nbytes:,} bytes)"
