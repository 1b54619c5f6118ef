"""The ONNX nodes of an ensemble's members and combiner, written into a skl2onnx converter's container.

ONNX Runtime has no sparse matrix product for weights stored in a model: its
sparse initializers are made dense when a session loads them, and its
``MatMul``/``Gemm`` take dense weights. A member layer is therefore written in
two forms that share one set of arrays, its nonzero weights padded to the same
count per unit (ELLPACK: ``indices`` and ``values`` of shape (n_units,
max_in_degree)):

- for one row, the layer gathers the inputs of its nonzero weights
  (``GatherElements``), multiplies and sums per unit: work in proportion to
  the nonzeros, as the compact runtime's CSR product;
- for other batches the graph scatters the same arrays into a dense kernel
  (``ScatterElements``, which ONNX Runtime folds into a constant when the
  session loads) and runs ``Gemm``: batches then cost what dense layers cost.

An ``If`` on the number of rows picks the branch. The file stores each sparse
layer once, as its padded nonzeros; a layer whose padding would take more than
half of its dense size is stored dense and runs ``Gemm`` in both branches.
"""

import numpy as np
from scipy import sparse

# The ONNX ops of each member activation (softmax over the classes, axis 1 of (n_samples, n_classes)).
ONNX_ACTIVATIONS = {"relu": ("Relu", {}), "tanh": ("Tanh", {}), "sigmoid": ("Sigmoid", {}),
                    "elu": ("Elu", {"alpha": 1.0}), "softmax": ("Softmax", {"axis": 1}), "linear": None}
# A layer's padded nonzeros are stored when they take at most this fraction of its dense weights.
MAX_PADDED_FRACTION = 0.5


def padded_nonzeros(layer, input_indices=None):
    """A layer's nonzero weights per unit, padded with zero weights to the largest count (ELLPACK).

    Parameters
    ----------
    layer : CompactLayer
    input_indices : ndarray of int, default=None
        Maps the layer's inputs to the columns the graph reads them from (a
        member's ``used_features_`` for its first layer).

    Returns
    -------
    indices : ndarray of int32 of shape (n_units, width)
        The input column of each weight; padding repeats column 0 with weight 0.
        int32 (which GatherElements and ScatterElements take): files a third smaller than with int64.
    values : ndarray of float32 of shape (n_units, width)
    """
    kernel_t = sparse.csr_matrix(layer.dense_kernel().T)
    counts = np.diff(kernel_t.indptr)
    width = max(int(counts.max(initial=0)), 1)
    units = np.repeat(np.arange(kernel_t.shape[0]), counts)
    slots = np.arange(kernel_t.nnz) - np.repeat(kernel_t.indptr[:-1], counts)
    indices, values = np.zeros((kernel_t.shape[0], width), np.int32), np.zeros((kernel_t.shape[0], width), np.float32)
    columns = kernel_t.indices if input_indices is None else np.asarray(input_indices)[kernel_t.indices]
    indices[units, slots], values[units, slots] = columns, kernel_t.data
    return indices, values


class GraphBuilder:
    """Adds one converted ensemble's nodes and initializers to skl2onnx's container, under unique names.

    Parameters
    ----------
    scope, container : skl2onnx's Scope and ModelComponentContainer of the converter
    """

    def __init__(self, scope, container):
        self.scope, self.container = scope, container
        self._branch = None  # the nodes of the If branch being written, or None for the main graph
        self._constants = {}

    def constant(self, array, name="c"):
        """An initializer holding ``array`` (its dtype kept; strings as ONNX strings); returns its name.

        Equal arrays share one initializer: skl2onnx would otherwise link copies
        by Identity nodes, which ONNX Runtime cannot rename inside If branches
        (it warns when the session loads).
        """
        from onnx import TensorProto, numpy_helper

        array = np.asarray(array)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key in self._constants:
            return self._constants[key]
        unique = self._constants[key] = self.scope.get_unique_variable_name(name)
        if array.dtype.kind == "U":
            self.container.add_initializer(unique, TensorProto.STRING, list(array.shape),
                                           [value.encode() for value in array.ravel()])
        else:
            self.container.add_initializer(unique, None, None, numpy_helper.from_array(array, unique))
        return unique

    def node(self, op_type, inputs, output=None, outputs=None, **attributes):
        """Add ``op_type`` on ``inputs`` (names); returns the name of its output (``output`` if given).

        With ``outputs`` (a list of names) the node has those outputs and the first is returned.
        """
        from onnx import helper

        outputs = outputs or [output or self.scope.get_unique_variable_name(op_type.lower())]
        name = self.scope.get_unique_operator_name(op_type)
        if self._branch is None:
            self.container.add_node(op_type, list(inputs), outputs, name=name, **attributes)
        else:
            self._branch.append(helper.make_node(op_type, list(inputs), outputs, name=name, **attributes))
        return outputs[0]

    def cast(self, name, dtype, output=None):
        from onnx.helper import np_dtype_to_tensor_dtype

        return self.node("Cast", [name], output, to=np_dtype_to_tensor_dtype(np.dtype(dtype)))

    # ------------------------------------------------------------ members

    def encoded(self, model, X):
        """The members' inputs from the float32 input ``X``: ``X`` and its encoded columns (``input_encoding_``)."""
        encoding = model.input_encoding_
        if encoding is None:
            return X
        columns = self.node("Gather", [X, self.constant(encoding["features"], "encoded_features")], axis=1)
        scaled = self.node("Mul", [columns, self.constant(encoding["scale"], "encoding_scale")])
        shifted = self.node("Add", [scaled, self.constant(encoding["offset"], "encoding_offset")])
        bounds = [self.constant(np.float32(0), "zero"), self.constant(np.float32(1), "one")]
        clipped = self.node("Clip", [shifted, *bounds])
        return self.node("Concat", [X, clipped], axis=1)

    def members_float64(self, model, X, sparse_one_row=True):
        """Every member's outputs on the float32 input ``X``, each cast to float64.

        With ``sparse_one_row`` and a layer stored as padded nonzeros, an ``If``
        runs one row through the gathers and other batches through ``Gemm``.
        """
        X = self.encoded(model, X)
        stored = [[self._stored_layer(member, index, layer) for index, layer in enumerate(member.layers)]
                  for member in model.members_]
        if not (sparse_one_row and any(isinstance(arrays, tuple) for layers in stored for arrays in layers)):
            return [self.cast(self._member(member, layers, X, False), np.float64)
                    for member, layers in zip(model.members_, stored)]
        # The branches read X under a name of this converter's: skl2onnx renames the variables between
        # converters (a pipeline step's output) in the main graph only, not inside If branches.
        X = self.node("Identity", [X], self.scope.get_unique_variable_name("ensemble_input"))
        first_dimension = self.node("Gather", [self.node("Shape", [X]), self.constant(np.array([0]), "axis0")], axis=0)
        one_row = self.node("Equal", [first_dimension, self.constant(np.array([1]), "one")])
        branches = {name: self._branch_graph([(member, layers, X, gather) for member, layers in zip(model.members_,
                                                                                                   stored)])
                    for name, gather in (("then_branch", True), ("else_branch", False))}
        outputs = [self.scope.get_unique_variable_name("member") for _ in model.members_]
        self.node("If", [one_row], outputs=outputs, **branches)
        return [self.cast(output, np.float64) for output in outputs]

    def _branch_graph(self, members):
        from onnx import TensorProto, helper

        self._branch = []
        outputs = [self._member(*arguments) for arguments in members]
        nodes, self._branch = self._branch, None
        return helper.make_graph(nodes, self.scope.get_unique_variable_name("branch"), [],
                                 [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in outputs])

    def _stored_layer(self, member, index, layer):
        """The initializers of a layer: ``(indices, values)`` of its padded nonzeros, or its dense kernel."""
        # The first layer's nonzeros index the input's columns directly, so that they need no gather of used features.
        reads_input = member.used_features_ if index == 0 else None
        indices, values = padded_nonzeros(layer, reads_input)
        if indices.size > MAX_PADDED_FRACTION * layer.shape[0] * layer.shape[1]:
            return self.constant(layer.dense_kernel(), "kernel")
        n_inputs = member.n_features_in_ if index == 0 else layer.shape[0]
        return self.constant(indices, "indices"), self.constant(values, "values"), indices.shape, n_inputs

    def _member(self, member, stored, X, gather):
        """A member's float32 outputs, each sparse layer as gathers (``gather``) or as Gemm on its scattered kernel."""
        hidden = X
        if not isinstance(stored[0], tuple) and member.used_features_.size != member.n_features_in_:
            hidden = self.node("Gather", [X, self.constant(member.used_features_.astype(np.int64), "used")], axis=1)
        for layer, arrays in zip(member.layers, stored):
            bias = self.constant(layer.bias, "bias")
            if not isinstance(arrays, tuple):
                hidden = self.node("Gemm", [hidden, arrays, bias])
            elif gather:
                hidden = self.node("Add", [self._gathered_product(hidden, arrays), bias])
            else:
                hidden = self.node("Gemm", [hidden, self._scattered_kernel(arrays), bias], transB=1)
            if ONNX_ACTIVATIONS[layer.activation] is not None:
                op_type, attributes = ONNX_ACTIVATIONS[layer.activation]
                hidden = self.node(op_type, [hidden], **attributes)
        return hidden

    def _gathered_product(self, row, arrays):
        """One row (shape (1, n_inputs)) times a layer stored as padded nonzeros: shape (1, n_units)."""
        indices, values, (n_units, width), _ = arrays
        flat = self.node("Reshape", [indices, self.constant(np.array([1, -1]), "flat")])
        products = self.node("Mul", [self.node("Reshape", [self.node("GatherElements", [row, flat], axis=1),
                                                           self.constant(np.array([1, n_units, width]), "ell")]),
                                     values])
        return self.node("ReduceSum", [products, self.constant(np.array([2]), "axes")], keepdims=0)

    def _scattered_kernel(self, arrays):
        """The dense (n_units, n_inputs) kernel of a layer stored as padded nonzeros; padding adds zeros."""
        indices, values, (n_units, _), n_inputs = arrays
        zeros = self.node("ConstantOfShape", [self.constant(np.array([n_units, n_inputs]), "kernel_shape")])
        return self.node("ScatterElements", [zeros, indices, values], axis=1, reduction="add")

    # ------------------------------------------------------------ combiners

    def weighted_sum(self, features, weights, offset=None):
        """``features @ weights (+ offset)`` in float64: the member-major columns of ``features`` combined."""
        total = self.node("MatMul", [features, self.constant(np.asarray(weights, np.float64), "weights")])
        if offset is None:
            return total
        return self.node("Add", [total, self.constant(np.asarray(offset, np.float64), "offset")])

    def median(self, outputs, n_outputs):
        """The median over the members of ``outputs`` (a list of (n_samples, n_outputs)), as numpy's."""
        shape = self.constant(np.array([1, -1, n_outputs]), "shape")
        stacked = self.node("Concat", [self.node("Reshape", [name, shape]) for name in outputs], axis=0)
        k = len(outputs)
        ordered = self.node("TopK", [stacked, self.constant(np.array([k]), "k")], axis=0, outputs=[
            self.scope.get_unique_variable_name("ordered"), self.scope.get_unique_variable_name("order")])
        # numpy's median of an even count is the mean of the two middle values.
        low, high = (self.node("Gather", [ordered, self.constant(np.array(index), "middle")], axis=0)
                     for index in ((k - 1) // 2, k // 2))
        return self.node("Mul", [self.node("Add", [low, high]), self.constant(np.array(0.5), "half")])
