"""The numpy runtime of compact models: activations, CSR or BLAS per layer, blocks of rows on threads.

A layer runs in whichever form is faster at its density: scipy's CSR product
below ``SPARSE_RUNTIME_DENSITY``, BLAS above. The runtime keeps activations
feature-major, shape ``(n_units, n_samples)``: a sparse layer is then one
product of the CSR transpose of its kernel (a row per unit) with a C-contiguous
block, which scipy runs as contiguous row updates. :func:`predict_all` cuts large
batches into blocks of rows that stay in the CPU cache, and spreads the blocks of
mostly sparse models over threads (scipy releases the GIL in sparse products;
BLAS threads dense layers itself). A model whose layers all run as CSR computes
each row in the same order, so to the same bits, whatever the batch it falls in.

This module does not import ``compact``: it reads models through their
attributes only, so ``compact`` imports it at module level without a cycle.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
from scipy.special import expit, softmax

ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0, out=z),
    "tanh": lambda z: np.tanh(z, out=z),
    # expit rather than 1 / (1 + exp(-z)): exp(-z) overflows (a RuntimeWarning) once
    # z is below about -88 in float32, an input that a sigmoid must map to 0.
    "sigmoid": lambda z: expit(z, out=z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "linear": lambda z: z,
    # Layers run feature-major, (n_units, n_samples): the classes are axis 0.
    "softmax": lambda z: softmax(z, axis=0),
}
# Above this density BLAS on the dense kernel beats scipy's CSR product (the
# measurements behind it are in docs/performance.md, "Compact runtime constants").
SPARSE_RUNTIME_DENSITY = 0.08
# Layers with at most this many weights (an output layer, typically) run as CSR
# whatever their density: they cost little either way, and a row then gets the
# same bits whatever the batch it is in, which BLAS does not promise.
SMALL_LAYER_WEIGHTS = 4096
# Bytes of a layer's activations per block of rows: 128 kB in and 128 kB out stay in
# the L2 cache while the sparse product streams over them (32 rows of a 1000-wide
# layer; docs/performance.md). Narrow models get more rows, so that the per-call
# overhead of scipy stays small.
BLOCK_BYTES = 128 * 1024

_pools = {}
_pools_lock = threading.Lock()


def _thread_pool():
    """This process's pool of one thread per usable core (a forked child makes its own)."""
    with _pools_lock:
        pool = _pools.get(os.getpid())
        if pool is None:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
            pool = _pools[os.getpid()] = ThreadPoolExecutor(max_workers=cores or 1,
                                                            thread_name_prefix="ensembleprune")
        return pool


def predict_all(models, X):
    """Predictions of several CompactMLPs that read the same input.

    Every block of rows (see ``BLOCK_BYTES``) is transposed and converted to
    float32 once and run through the models while it is in the cache. The blocks
    of models that are mostly sparse run on a thread per core; mostly dense
    models run block after block, multi-threaded by BLAS.

    Parameters
    ----------
    models : list of CompactMLP
        All with the same ``n_features_in_`` and ``n_outputs_``.
    X : ndarray of shape (n_samples, n_features_in_)

    Returns
    -------
    ndarray of shape (len(models), n_samples, n_outputs_), float32
    """
    predictions = np.empty((len(models), X.shape[0], models[0].n_outputs_), dtype=np.float32)

    widest = max(max(model.n_features_in_, *(layer.shape[1] for layer in model.layers)) for model in models)
    block_rows = int(np.clip(BLOCK_BYTES // (np.dtype(np.float32).itemsize * widest), 8, 4096))
    starts = range(0, X.shape[0], block_rows)

    def predict_block(indices, start):
        rows = slice(start, start + block_rows)
        inputs = np.array(X[rows].T, dtype=np.float32, order="C")
        for k in indices:
            predictions[k, rows] = models[k].forward(inputs).T

    mostly_sparse = [_mostly_sparse(model) for model in models]
    for threaded in (True, False):
        indices = [k for k, is_sparse in enumerate(mostly_sparse) if is_sparse == threaded]
        if threaded and indices and len(starts) > 1:
            # list() waits for every block and re-raises the first error.
            list(_thread_pool().map(partial(predict_block, indices), starts))
        elif indices:
            for start in starts:
                predict_block(indices, start)
    return predictions


def _mostly_sparse(model):
    """Whether most of ``model``'s multiply-adds run in sparse layers (else BLAS threads them)."""
    sparse_work = sum(layer.nnz for layer in model.layers if layer.is_sparse)
    dense_work = sum(np.prod(layer.shape) for layer in model.layers if not layer.is_sparse)
    return sparse_work >= dense_work
