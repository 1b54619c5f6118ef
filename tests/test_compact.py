"""CompactLayer / CompactMLP / strip: compact storage, dead-unit removal, fast runtime, to_keras."""

import math
import warnings

import numpy as np
import pytest

from ensembleprune import CompactLayer, CompactMLP, MemberSpec, PrunedMLPFactory, PruningSchedule, strip
from ensembleprune._tf import import_tf
from ensembleprune.compact import ACTIVATIONS


def keras_mlp(kernels, biases, activations):
    """A plain tf_keras MLP with the given weights."""
    _, keras, _ = import_tf()
    inputs = keras.Input(shape=(kernels[0].shape[0],))
    outputs = inputs
    for kernel, bias, activation in zip(kernels, biases, activations):
        layer = keras.layers.Dense(kernel.shape[1], activation=activation)
        outputs = layer(outputs)
        layer.set_weights([kernel, bias])
    return keras.Model(inputs, outputs)


def sparse_weights(rng, widths, density):
    kernels = [(rng.normal(size=(a, b)) * (rng.random((a, b)) < density)).astype(np.float32)
               for a, b in zip(widths, widths[1:])]
    biases = [rng.normal(size=b).astype(np.float32) for b in widths[1:]]
    return kernels, biases


def numpy_mlp(kernels, biases, activations, X):
    functions = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "linear": lambda z: z}
    for kernel, bias, activation in zip(kernels, biases, activations):
        X = functions[activation](X.astype(np.float64) @ kernel + bias)
    return X


@pytest.fixture(scope="module")
def trained_member(tiny_regression):
    X, y = tiny_regression
    [member] = PrunedMLPFactory(epochs=3, batch_size=64).train(
        X, y, [MemberSpec(0, PruningSchedule(0.9), (32, 16))]
    )
    return member


def test_strip_matches_the_stripped_keras_model(trained_member, tiny_regression):
    X, _ = tiny_regression
    _, _, tfmot = import_tf()
    expected = tfmot.strip_pruning(trained_member.model).predict(X.astype(np.float32), verbose=0)
    compact = strip(trained_member.model)
    np.testing.assert_allclose(compact.predict(X), expected, rtol=1e-5, atol=1e-6)
    assert compact.architecture == (12, 32, 16, 1)
    assert compact.n_params == 12 * 32 + 32 + 32 * 16 + 16 + 16 + 1
    # At 0.9 sparsity the 16 -> 1 output layer keeps 2 weights: 2 units of the last hidden layer survive.
    assert compact.layers[-1].shape[0] <= 2
    assert compact.nbytes < compact.n_params * 4 / 4


def test_dead_units_are_folded_or_dropped_and_predictions_match_keras():
    rng = np.random.default_rng(0)
    kernels, biases = sparse_weights(rng, (6, 5, 4, 2), density=1.0)
    kernels[0][:, 1] = 0  # hidden unit (0, 1): no incoming weight, a constant relu(bias)
    biases[0][1] = 0.7
    kernels[1][:, 2] = 0  # hidden unit (1, 2): its only input is the constant unit (0, 1)
    kernels[1][1, 2] = 1.5
    kernels[1][3, :] = 0  # hidden unit (0, 3): no outgoing weight
    kernels[0][4, :] = 0  # input feature 4: no outgoing weight
    kernels[2][0, :] = 0  # hidden unit (1, 0): no outgoing weight...
    kernels[1][:, 0] = 0
    kernels[1][0, 0] = 2.0  # ...its incoming weight from (0, 0) goes too, which keeps other outputs
    activations = ["relu", "tanh", "linear"]
    compact = strip(keras_mlp(kernels, biases, activations))

    np.testing.assert_array_equal(compact.used_features_, [0, 1, 2, 3, 5])
    assert [layer.shape for layer in compact.layers] == [(5, 3), (3, 2), (2, 2)]
    X = rng.normal(size=(50, 6)).astype(np.float32)
    expected = keras_mlp(kernels, biases, activations).predict(X, verbose=0)
    np.testing.assert_allclose(compact.predict(X), expected, rtol=1e-5, atol=1e-6)
    X_changed = X.copy()
    X_changed[:, 4] = 1e3  # an unused feature does not change the prediction
    np.testing.assert_array_equal(compact.predict(X_changed), compact.predict(X))


def test_a_network_without_paths_is_a_constant_and_still_rebuilds():
    kernels = [np.zeros((5, 4)), np.zeros((4, 3)), np.ones((3, 1))]
    biases = [np.ones(4), np.full(3, -0.5), np.array([0.25])]
    compact = CompactMLP.from_weights(kernels, biases, ["relu", "relu", "linear"])
    assert compact.used_features_.size == 0
    assert all(min(layer.shape[1], 1) == 1 for layer in compact.layers)
    # relu(1) -> 0-weighted, relu(-0.5) = 0 -> output bias 0.25 only.
    np.testing.assert_array_equal(compact.predict(np.ones((3, 5))), np.full((3, 1), 0.25, np.float32))
    np.testing.assert_array_equal(compact.to_keras().predict(np.ones((3, 5)), verbose=0), np.full((3, 1), 0.25))


def test_layer_stores_the_smaller_form_with_the_smallest_index_dtypes():
    rng = np.random.default_rng(0)
    sparse_kernel = (rng.normal(size=(300, 400)) * (rng.random((300, 400)) < 0.05)).astype(np.float32)
    layer = CompactLayer(sparse_kernel, np.zeros(400), "relu")
    arrays = layer.arrays()
    assert set(arrays) == {"data", "indices", "indptr", "bias"}
    assert arrays["indices"].dtype == np.uint16  # inputs 0..299
    assert arrays["indptr"].dtype == np.uint16  # about 6,000 nonzeros
    assert layer.is_sparse and layer.nbytes < sparse_kernel.nbytes / 5
    np.testing.assert_array_equal(layer.dense_kernel(), sparse_kernel)

    narrow = CompactLayer(sparse_kernel[:200, :50], np.zeros(50), "relu").arrays()
    assert narrow["indices"].dtype == np.uint8

    many = np.zeros((70000, 20), np.float32)
    many[np.arange(70000), np.arange(70000) % 20] = 1  # 70,000 nonzeros: indptr needs 32 bits
    assert CompactLayer(many, np.zeros(20), "linear").arrays()["indptr"].dtype == np.uint32

    # 30% dense: stored as CSR (smaller) but run dense (faster).
    medium = (rng.normal(size=(100, 100)) * (rng.random((100, 100)) < 0.3)).astype(np.float32)
    medium_layer = CompactLayer(np.tile(medium, (1, 2)), np.zeros(200), "relu")
    assert "indices" in medium_layer.arrays() and not medium_layer.is_sparse
    dense_layer = CompactLayer(rng.normal(size=(80, 80)), np.zeros(80), "relu")
    assert not dense_layer.is_sparse
    assert CompactLayer(rng.normal(size=(10, 10)), np.zeros(10), "relu").is_sparse  # small: CSR at runtime
    assert set(dense_layer.arrays()) == {"kernel", "bias"}


def test_from_arrays_refuses_inconsistent_csr():
    layer = CompactLayer(np.eye(4, dtype=np.float32), np.zeros(4), "relu")
    arrays = layer.arrays()
    assert "indices" in arrays
    rebuilt = CompactLayer.from_arrays(layer.shape, "relu", arrays)
    np.testing.assert_array_equal(rebuilt.dense_kernel(), np.eye(4))
    with pytest.raises(ValueError):
        CompactLayer.from_arrays(layer.shape, "relu", {**arrays, "indices": arrays["indices"] + 10})
    with pytest.raises(ValueError):
        CompactLayer.from_arrays(layer.shape, "relu", {**arrays, "indptr": arrays["indptr"][::-1]})
    with pytest.raises(ValueError, match="activation"):
        CompactLayer.from_arrays(layer.shape, "swish", arrays)


def test_large_batches_use_blocks_and_threads_and_agree_with_single_rows():
    rng = np.random.default_rng(1)
    kernels, biases = sparse_weights(rng, (400, 300, 200, 3), density=0.03)
    activations = ["relu", "relu", "linear"]
    compact = CompactMLP.from_weights(kernels, biases, activations)
    assert all(layer.is_sparse for layer in compact.layers)
    X = rng.normal(size=(2500, 400))
    batch = compact.predict(X)
    assert batch.dtype == np.float32 and batch.shape == (2500, 3)
    # float32 against a float64 reference.
    np.testing.assert_allclose(batch, numpy_mlp(kernels, biases, activations, X), rtol=1e-4, atol=1e-4)
    rows = np.vstack([compact.predict(X[i:i + 1]) for i in range(0, 2500, 97)])
    np.testing.assert_array_equal(rows, batch[::97])


def test_predict_checks_the_shape_of_X():
    compact = CompactMLP.from_weights([np.ones((3, 2)), np.ones((2, 1))], [np.zeros(2), np.zeros(1)],
                                      ["relu", "linear"])
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\)"):
        compact.predict(np.ones((2, 4)))


def test_to_keras_rebuilds_the_same_predictions(trained_member, tiny_regression):
    X, _ = tiny_regression
    compact = strip(trained_member.model)
    rebuilt = compact.to_keras()
    assert rebuilt.input_shape == (None, 12)
    np.testing.assert_allclose(rebuilt.predict(X, verbose=0), compact.predict(X), rtol=1e-5, atol=1e-6)


def test_sigmoid_is_exact_and_silent_for_inputs_of_any_size():
    z = np.array([-1e4, -1000.0, -104.0, -89.0, -20.0, 0.0, 20.0, 89.0, 1000.0, 1e4], np.float32)
    # 0.5 + 0.5 tanh(z / 2) is the sigmoid, and tanh does not overflow.
    expected = np.array([0.5 + 0.5 * math.tanh(float(v) / 2) for v in z])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        values = ACTIVATIONS["sigmoid"](z.copy())
        member = CompactMLP.from_weights([np.ones((1, 1), np.float32)], [np.zeros(1, np.float32)], ["sigmoid"])
        predictions = member.predict(z.reshape(-1, 1))
    assert values.dtype == np.float32
    assert np.all((values >= 0) & (values <= 1))
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-45)
    assert values[0] == 0 and values[5] == 0.5 and values[-1] == 1
    np.testing.assert_array_equal(predictions.ravel(), values)


@pytest.mark.parametrize("output_layout", ["dense", "sparse"])
def test_with_output_layer_scales_the_logits_and_shares_the_hidden_layers(output_layout):
    rng = np.random.default_rng(3)
    density = 1.0 if output_layout == "dense" else 0.3
    kernels, biases = sparse_weights(rng, (7, 40, 3), density=density)
    model = CompactMLP.from_weights(kernels, biases, ["relu", "softmax"])
    X = rng.normal(size=(30, 7)).astype(np.float32)
    logits = model.with_output_layer(activation="linear").predict(X)
    np.testing.assert_allclose(numpy_mlp(kernels, biases, ["relu", "linear"], X), logits, rtol=1e-4, atol=1e-5)
    softened = model.with_output_layer(scale=0.25)
    expected = np.exp(0.25 * logits) / np.exp(0.25 * logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softened.predict(X), expected, rtol=1e-5, atol=1e-6)
    assert softened.layers[0] is model.layers[0] and softened.layers[-1].activation == "softmax"
    assert softened.used_features_.tolist() == model.used_features_.tolist() and softened.n_params == model.n_params
    np.testing.assert_array_equal(model.with_output_layer().predict(X), model.predict(X))


@pytest.mark.parametrize("density", [1.0, 0.3])
def test_reading_unstandardized_takes_the_standardization_into_the_first_layer(density):
    rng = np.random.default_rng(4)
    kernels, biases = sparse_weights(rng, (9, 30, 2), density=density)
    kernels[0][2] = 0  # an input no weight reads: left out of used_features_
    model = CompactMLP.from_weights(kernels, biases, ["relu", "linear"]).reading_first_columns_of(12)
    center, scale = rng.normal(size=6) * 100, rng.uniform(1, 50, size=6)  # the first 6 of 12 columns
    raw = rng.normal(size=(40, 12)).astype(np.float32)
    raw[:, :6] = raw[:, :6] * scale + center
    standardized = raw.astype(np.float64)
    standardized[:, :6] = (standardized[:, :6] - center) / scale
    folded = model.reading_unstandardized(center, scale)
    np.testing.assert_allclose(folded.predict(raw), model.predict(standardized.astype(np.float32)),
                               rtol=1e-4, atol=1e-4)
    assert folded.nnz == model.nnz and folded.layers[0].is_sparse == model.layers[0].is_sparse
    assert folded.layers[1] is model.layers[1] and folded.used_features_.tolist() == model.used_features_.tolist()
    assert folded.n_features_in_ == 12 and folded.n_params == model.n_params
    np.testing.assert_array_equal(model.reading_unstandardized(np.zeros(12), np.ones(12)).predict(raw),
                                  model.predict(raw))
    with pytest.raises(ValueError, match="at most 12"):
        model.reading_unstandardized(np.zeros(13), np.ones(13))
