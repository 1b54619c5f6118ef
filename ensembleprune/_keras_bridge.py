"""Between tf_keras and CompactMLP: ``strip`` a pruned model into one, ``to_keras`` back.

The compact model's only contact with TensorFlow, imported lazily through
``_tf.import_tf``, so that building and running a CompactMLP needs numpy and
scipy only.
"""

import numpy as np

from ._tf import import_tf


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
        With dead units removed (see :meth:`CompactMLP.from_weights`).
    """
    # Imported here: compact imports this module at module level to re-export strip.
    from .compact import CompactMLP

    _, keras, tfmot = import_tf()
    stripped = tfmot.strip_pruning(model)
    kernels, biases, activations = [], [], []
    for layer in stripped.layers:
        if isinstance(layer, keras.layers.InputLayer) or not layer.weights:
            continue
        if not isinstance(layer, keras.layers.Dense):
            raise TypeError(f"strip() handles MLPs of Dense layers only; found {type(layer).__name__} {layer.name!r}")
        activation = keras.activations.serialize(layer.activation)
        activation = activation if isinstance(activation, str) else activation.get("config", {}).get("name", activation)
        kernel, bias = layer.get_weights() if layer.use_bias else (layer.get_weights()[0], np.zeros(layer.units))
        kernels.append(kernel)
        biases.append(bias)
        activations.append(activation)
    # A member whose first layer reads the first columns of its inputs only (MemberSpec.input_columns).
    return CompactMLP.from_weights(kernels, biases, activations).reading_first_columns_of(model.input_shape[-1])


def to_keras(mlp):
    """A plain tf_keras model with the predictions of the CompactMLP ``mlp``; see :meth:`CompactMLP.to_keras`."""
    _, keras, _ = import_tf()
    inputs = keras.Input(shape=(mlp.n_features_in_,), name="features")
    outputs = inputs
    for index, layer in enumerate(mlp.layers):
        kernel = layer.dense_kernel()
        if index == 0:
            kernel = np.zeros((mlp.n_features_in_, layer.shape[1]), np.float32)
            kernel[mlp.used_features_] = layer.dense_kernel()
        dense = keras.layers.Dense(layer.shape[1], activation=layer.activation, name=f"dense_{index}")
        outputs = dense(outputs)
        dense.set_weights([kernel, layer.bias])
    return keras.Model(inputs, outputs)
