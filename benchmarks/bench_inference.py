"""Size and speed of compact models against the tf_keras members they were stripped from.

Fits a PrunedEnsembleRegressor of K=5 members of the article's architecture
(1000 -> 1024 -> 1024 -> 1), each trained with tfmot's gradual magnitude pruning
from 0 to a final sparsity of 0.95 (``--epochs`` epochs on the article's 8,000
training rows; the sparsity is reached at 60% of training), keeps the stripped
tf_keras members, and prints JSON with, all measured in this one run:

- the bytes of the saved ensemble file ÷ the dense float32 parameter bytes of the
  K members, and ÷ the bytes of the K stripped members saved as ``.keras`` files;
- one-row latency (median): the compact ensemble's ``predict`` against the
  members' ``model.predict`` and ``model(x)``, summed over the members;
- 10,000-row throughput (the article's 10,000 rows): the compact ensemble's ``predict`` against the same
  members as dense numpy matmuls (float32, multi-threaded BLAS), and against the
  members run as plain scipy CSR products over the whole batch (one thread, no
  blocks): what the blocked, threaded runtime adds;
- the same ensemble exported to ONNX (``ensembleprune.to_onnx``) and run by ONNX
  Runtime: its file size beside the ``.epz`` file's, its one-row latency (through the
  nonzeros, the default, and through dense Gemm, ``sparse_one_row=False``) and
  10,000-row latency beside the compact ``predict``'s, and its largest difference
  from it (the whole batch, and 100 rows one at a time).
  Skipped, with a note in the JSON, without the ``onnx`` extra.

    python benchmarks/bench_inference.py [--epochs 10] [--quick]
"""

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

import ensembleprune._base
from ensembleprune import PrunedEnsembleRegressor, make_article_regression, save
from ensembleprune._inputs import feature_standardization
from ensembleprune._tf import import_tf
from ensembleprune.presets import ARTICLE as ARTICLE_PRESET

ARTICLE = dict(n_samples=ARTICLE_PRESET.n_samples, n_features=ARTICLE_PRESET.n_features,
               hidden=ARTICLE_PRESET.hidden_layer_sizes)
# Smaller than the quick preset: a smoke test of this benchmark, not of the article's shape.
QUICK = dict(n_samples=2000, n_features=200, hidden=(128, 128))
N_MEMBERS = 5
SPARSITY = 0.95
BATCH_ROWS = 10000


def median_seconds(function, repeats):
    """Median wall time of ``function()`` over ``repeats`` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def fit_keeping_keras_members(X, y, hidden, epochs):
    """Fit the ensemble and return it with the tf_keras members it stripped, in order."""
    keras_members = []
    strip = ensembleprune._base.strip

    def strip_and_keep(model):
        keras_members.append(model)
        return strip(model)

    # The estimator keeps only the compact members; the benchmark also needs the
    # tf_keras models they came from, so it records what fit() hands to strip().
    ensembleprune._base.strip = strip_and_keep
    try:
        # combine="mean": the ensemble is then the mean of the tf_keras members, which the check below compares.
        ensemble = PrunedEnsembleRegressor(
            n_members=N_MEMBERS, sparsities=(SPARSITY,), hidden_layer_sizes=hidden, epochs=epochs,
            batch_size=1024, combine="mean", random_state=0,
        ).fit(X, y)
    finally:
        ensembleprune._base.strip = strip
    _, _, tfmot = import_tf()
    return ensemble, [tfmot.strip_pruning(model) for model in keras_members]


def keras_inputs(X_train, X):
    """``X`` as the tf_keras members read it: standardized as in ``fit`` (the compact members take that in)."""
    center, scale = feature_standardization(X_train)
    return ((X - center) / scale).astype(np.float32)


def max_relative_difference_vs_keras(ensemble, keras_members, X_train, X):
    """Largest difference of the compact ensemble from the mean of its tf_keras members, over the largest prediction."""
    expected = np.mean([model.predict(keras_inputs(X_train, X), verbose=0) for model in keras_members], axis=0)[:, 0]
    got = (ensemble.predict(X) - ensemble.y_mean_[0]) / ensemble.y_scale_[0]
    return float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))


def dense_numpy_predict(weights, X):
    """The members as dense float32 matmuls: ReLU hidden layers, linear output."""
    outputs = []
    for layers in weights:
        activations = X
        for index, (kernel, bias) in enumerate(layers):
            activations = activations @ kernel + bias
            if index < len(layers) - 1:
                np.maximum(activations, 0, out=activations)
        outputs.append(activations)
    return np.mean(outputs, axis=0)


def onnx_figures(ensemble, X_all, compact_row, compact_batch, file_bytes):
    """ONNX Runtime beside the compact runtime: file size, latencies and parity, or why they are missing."""
    try:
        import onnxruntime

        from ensembleprune import to_onnx
    except ImportError as error:
        return {"skipped": f"{error}; pip install ensembleprune[onnx]"}
    proto = to_onnx(ensemble)
    onnx_bytes = len(proto.SerializeToString())
    session = onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    gemm_only = onnxruntime.InferenceSession(to_onnx(ensemble, sparse_one_row=False).SerializeToString(),
                                             providers=["CPUExecutionProvider"])
    row = X_all[:1]
    # The cast to float32 is timed: the compact predict converts its input too.
    onnx_row = median_seconds(lambda: session.run(None, {"X": row.astype(np.float32)}), 300)
    gemm_row = median_seconds(lambda: gemm_only.run(None, {"X": row.astype(np.float32)}), 300)
    onnx_batch = median_seconds(lambda: session.run(None, {"X": X_all.astype(np.float32)}), 5)
    got = session.run(None, {"X": X_all.astype(np.float32)})[0][:, 0]
    expected = ensemble.predict(X_all)
    one_row_got = np.concatenate([session.run(None, {"X": X_all[k : k + 1].astype(np.float32)})[0][:, 0]
                                  for k in range(100)])
    one_row_expected = ensemble.predict(X_all[:100])
    # ONNX Runtime's Gemm takes dense weights: the kernels it holds, zeros included.
    dense_kernel_bytes = sum(layer.shape[0] * layer.shape[1] * 4 for member in ensemble.members_
                             for layer in member.layers)
    return {
        "onnxruntime_version": onnxruntime.__version__,
        "onnx_file_bytes": onnx_bytes,
        "onnx_file_over_ensemble_file": round(onnx_bytes / file_bytes, 2),
        "dense_kernel_bytes_after_dead_unit_removal": dense_kernel_bytes,
        "one_row_latency_us": round(onnx_row * 1e6, 1),
        "one_row_over_compact": round(onnx_row / compact_row, 2),
        "one_row_latency_us_gemm_only": round(gemm_row * 1e6, 1),
        "one_row_gemm_only_over_compact": round(gemm_row / compact_row, 2),
        f"{len(X_all)}_rows_seconds": round(onnx_batch, 4),
        f"{len(X_all)}_rows_over_compact": round(onnx_batch / compact_batch, 2),
        # Relative to the largest prediction, as for the tf_keras members above: a prediction near
        # zero has no meaningful relative difference of its own.
        "max_relative_difference_vs_compact": float(np.max(np.abs(got - expected)) / np.max(np.abs(expected))),
        "max_difference_over_y_scale": float(np.max(np.abs(got - expected)) / ensemble.y_scale_[0]),
        "within_rtol_1e-5_atol_1e-6_y_scale": bool(np.allclose(got, expected, rtol=1e-5,
                                                                atol=1e-6 * ensemble.y_scale_[0])),
        "one_row_at_a_time_max_relative_difference": float(np.max(np.abs(one_row_got - one_row_expected))
                                                           / np.max(np.abs(one_row_expected))),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="training epochs of the members (default: 10)")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check that the script runs")
    args = parser.parse_args()
    size = QUICK if args.quick else ARTICLE
    data = make_article_regression(n_samples=size["n_samples"], n_features=size["n_features"],
                                   n_informative=size["n_features"] // 2, random_state=0)
    start = time.perf_counter()
    ensemble, keras_members = fit_keeping_keras_members(data.X_train, data.y_train, size["hidden"], args.epochs)
    fit_seconds = time.perf_counter() - start

    # Sizes.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ensemble.epz"
        save(ensemble, path)
        file_bytes = path.stat().st_size
        keras_bytes = 0
        for k, model in enumerate(keras_members):
            model.save(Path(folder) / f"member_{k}.keras")
            keras_bytes += (Path(folder) / f"member_{k}.keras").stat().st_size
    dense_bytes = sum(member.n_params for member in ensemble.members_) * np.dtype(np.float32).itemsize

    # One row.
    X_all = np.vstack([data.X_train, data.X_val])[:BATCH_ROWS]
    row = X_all[:1]
    row32 = keras_inputs(data.X_train, row)
    compact_row = median_seconds(lambda: ensemble.predict(row), 300)
    keras_predict_row = sum(median_seconds(lambda m=m: m.predict(row32, verbose=0), 20) for m in keras_members)
    keras_call_row = sum(median_seconds(lambda m=m: m(row32, training=False), 50) for m in keras_members)

    # 10,000 rows.
    X32 = keras_inputs(data.X_train, X_all)
    weights = [[(layer.kernel.numpy(), layer.bias.numpy()) for layer in model.layers if layer.weights]
               for model in keras_members]
    compact_batch = median_seconds(lambda: ensemble.predict(X_all), 5)
    dense_batch = median_seconds(lambda: dense_numpy_predict(weights, X32), 5)
    # The compact members read X as given: their first layers took the standardization in.
    X_t = np.ascontiguousarray(X_all.astype(np.float32).T)
    plain_csr_batch = median_seconds(lambda: [member.forward(X_t) for member in ensemble.members_], 3)

    # The compact members must predict what the tf_keras members predict.
    max_relative_difference = max_relative_difference_vs_keras(ensemble, keras_members, data.X_train, X_all[:1000])

    onnx = onnx_figures(ensemble, X_all, compact_row, compact_batch, file_bytes)
    members = ensemble.members_
    print(json.dumps({
        "setup": {
            "members": N_MEMBERS, "architecture": [size["n_features"], *size["hidden"], 1],
            "final_sparsity": SPARSITY, "training": f"tfmot gradual magnitude pruning 0 -> {SPARSITY} "
            f"(PolynomialDecay, exponent 3) during {args.epochs} epochs on {len(data.X_train)} rows",
            "fit_seconds": round(fit_seconds, 1), "cpu_cores": os.cpu_count(), "machine": platform.processor(),
        },
        "compact_members": {
            "layer_widths_after_dead_unit_removal": [
                [member.used_features_.size] + [layer.shape[1] for layer in member.layers] for member in members],
            "nonzero_weights": [sum(layer.nnz for layer in member.layers) for member in members],
            "layer_storage": [["csr" if "indices" in layer.arrays() else "dense" for layer in member.layers]
                              for member in members],
            "max_relative_difference_vs_keras": max_relative_difference,
        },
        "size": {
            "ensemble_file_bytes": file_bytes,
            "dense_float32_parameter_bytes": dense_bytes,
            "keras_files_bytes": keras_bytes,
            "file_over_dense_float32": round(file_bytes / dense_bytes, 4),
            "file_over_keras_files": round(file_bytes / keras_bytes, 4),
        },
        "one_row_latency_us": {
            "compact_ensemble_predict": round(compact_row * 1e6, 1),
            "keras_model_predict_all_members": round(keras_predict_row * 1e6, 1),
            "keras_model_call_all_members": round(keras_call_row * 1e6, 1),
            "speedup_vs_model_predict": round(keras_predict_row / compact_row, 1),
            "speedup_vs_model_call": round(keras_call_row / compact_row, 1),
        },
        f"throughput_{len(X_all)}_rows": {
            "compact_ensemble_predict_seconds": round(compact_batch, 4),
            "dense_numpy_matmuls_seconds": round(dense_batch, 4),
            "plain_scipy_csr_seconds": round(plain_csr_batch, 4),
            "compact_rows_per_second": round(len(X_all) / compact_batch),
            "dense_numpy_rows_per_second": round(len(X_all) / dense_batch),
            "speedup_vs_dense_numpy": round(dense_batch / compact_batch, 2),
            "speedup_vs_plain_scipy_csr": round(plain_csr_batch / compact_batch, 2),
        },
        "onnx_runtime": onnx,
    }, indent=2))


if __name__ == "__main__":
    main()
