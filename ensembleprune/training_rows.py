"""The rows members train on: float32 conversion, held-out rows, the input pipeline, bootstrap counts.

Training never hands Keras the whole array: each batch is read from the
caller's ``X`` inside TensorFlow's input pipeline (:class:`TrainingRows`).
"""

import numpy as np

from ._tf import import_tf


def hold_out(X, y, sample_weight, validation_rows):
    """Split ``validation_rows`` off the training rows (which are read in place, not copied).

    With ``sample_weight`` (one row of weights per member), the validation data
    carries the held-out rows' weights too, one column per member, so that
    early stopping judges each member by its weighted loss.
    """
    kept = np.setdiff1d(np.arange(len(X)), validation_rows)
    weights = None if sample_weight is None else sample_weight[:, kept]
    validation_data = (float32_rows(X, validation_rows), y[validation_rows])
    if sample_weight is not None:
        validation_data += (np.ascontiguousarray(sample_weight[:, validation_rows].T),)
    return TrainingRows(X, kept), y[kept], weights, validation_data


def float32_rows(X, rows=None):
    """``X`` (or its ``rows``) as a C-contiguous float32 array, copied only when it is not one.

    A copy is made block by block, so that a dtype conversion and a row
    selection never need a second full-size array.
    """
    X = np.asarray(X)
    if rows is None and X.dtype == np.float32 and X.flags.c_contiguous:
        return X
    rows = np.arange(len(X)) if rows is None else np.asarray(rows)
    out = np.empty((len(rows),) + X.shape[1:], dtype=np.float32)
    block = max(1, 2**22 // max(1, int(np.prod(X.shape[1:]))))
    for first in range(0, len(rows), block):
        out[first : first + block] = X[rows[first : first + block]]
    return out


class TrainingRows:
    """The training rows of ``X``, read batch by batch instead of copied.

    Keras copies a numpy array it is given into a tensor, and its input
    pipeline may copy that tensor again: two copies of the training set. Here
    each batch is read from the caller's array (or from one float32 copy of
    it, when it is of another dtype) inside the input pipeline.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    rows : array of int, default=None
        The rows that train (all when None), e.g. those left after holding out
        validation rows.
    """

    def __init__(self, X, rows=None):
        self.X = float32_rows(X)
        self.rows = np.arange(len(self.X)) if rows is None else np.asarray(rows)
        self.shape = (len(self.rows),) + self.X.shape[1:]

    def __len__(self):
        return len(self.rows)

    def dataset(self, targets, batch_size, seed=None, structure=None):
        """A tf.data pipeline of ``(x, *targets)`` batches; ``targets`` are aligned with the rows.

        Parameters
        ----------
        targets : list of arrays
        batch_size : int
        seed : int, default=None
            Shuffles the rows anew each epoch from this seed; None keeps their order.
        structure : callable, default=None
            Maps each batch ``(x, *targets)`` to what Keras is fed instead.
        """
        tf, _, _ = import_tf()
        arrays = [np.asarray(array) for array in targets]

        def take(positions):
            return (self.X[self.rows[positions]], *(array[positions] for array in arrays))

        def read(positions):
            batch = tf.numpy_function(take, [positions], [tf.float32] * (1 + len(arrays)), stateful=False)
            shapes = [self.shape[1:]] + [array.shape[1:] for array in arrays]
            batch = tuple(tf.ensure_shape(part, (None, *shape)) for part, shape in zip(batch, shapes))
            return batch if structure is None else structure(*batch)

        positions = tf.data.Dataset.range(len(self))
        if seed is not None:
            positions = positions.shuffle(len(self), seed=seed, reshuffle_each_iteration=True)
        # No parallel map anywhere, as written or as a rewrite: under op determinism tf.data turns
        # a parallel map back into a sequential one and logs a C++ NodeDef error on the way (past
        # TF_CPP_MIN_LOG_LEVEL), which broke verbose=0's silence. One reader per batch is enough.
        options = tf.data.Options()
        options.experimental_optimization.map_parallelization = False
        return positions.batch(batch_size).map(read).prefetch(1).with_options(options)


def bootstrap_counts(seed, n_samples):
    """How often each of ``n_samples`` rows is drawn in a bootstrap sample seeded by ``seed``.

    Used as per-row training weights, the counts train a member on its bootstrap
    sample without copying rows.

    Returns
    -------
    ndarray of float32, shape (n_samples,), summing to ``n_samples``.
    """
    draws = np.random.default_rng(seed).integers(0, n_samples, size=n_samples)
    return np.bincount(draws, minlength=n_samples).astype(np.float32)
