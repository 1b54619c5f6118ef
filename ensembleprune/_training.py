"""Training-time classes on top of tf_keras and tfmot: Keras callbacks and the pruning wrapper.

This module imports TensorFlow, tf_keras and tfmot when it is imported (through
:func:`ensembleprune._tf.import_tf`, so that native log filtering and
``TF_USE_LEGACY_KERAS`` apply). :mod:`ensembleprune.factory` imports it only
inside the methods that build or train models, so that ``import ensembleprune``
and predicting with a fitted ensemble never import TensorFlow.
"""

import numpy as np
from tqdm.auto import tqdm

from ._tf import import_tf

tf, keras, tfmot = import_tf()

# tfmot's public API has no hook for the mask update. The dependency pins
# tensorflow-model-optimization < 0.9, and tests/test_training.py checks these
# masks against tfmot's own.
from tensorflow_model_optimization.python.core.sparsity.keras import pruning_impl, pruning_wrapper  # noqa: E402


class UpdatePruningStep(tfmot.UpdatePruningStep):
    """tfmot's ``UpdatePruningStep``, re-masking every pruned layer at the end of an epoch in one traced call.

    tfmot re-masks the weights at the end of every epoch with one eager call
    per layer, which on a fused model of a few hundred rows cost more than the
    epoch's held-out pass. One ``tf.function`` runs the same multiplications
    by the masks, so the weights are the same.
    """

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        layers = [layer for layer in self.prunable_layers if isinstance(layer, pruning_wrapper.PruneLowMagnitude)]

        @tf.function
        def remask():
            for layer in layers:
                layer.pruning_obj.weight_mask_op()

        self._remask = remask

    def on_epoch_end(self, epoch, logs=None):
        self._remask()


class MemberEarlyStopping(keras.callbacks.Callback):
    """Early stopping per member, on each member's own validation loss.

    A member's epochs count from the end of its pruning schedule. A stopped
    member of a fused model keeps training with the others (its branch shares
    no weight with them, so this changes nothing for them); when training
    ends, every member gets back the weights of its best epoch, masked again
    so that they match the final pruning mask. The fit stops when every
    member has stopped.
    """

    def __init__(self, watches, n_iter_no_change, tol):
        super().__init__()
        self.watches = watches
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for watch in self.watches:
            if watch.stopped:
                continue
            watch.n_epochs = epoch + 1
            if epoch < watch.first_epoch:
                continue
            if watch.log_key not in logs:
                raise RuntimeError(f"early stopping needs {watch.log_key!r} in the epoch's logs, got {sorted(logs)}")
            loss = float(logs[watch.log_key])
            if loss < watch.best_loss - self.tol:
                watch.best_loss, watch.best_epoch = loss, epoch
                watch.best_weights = [layer.get_weights() for layer in watch.layers]
                watch.epochs_without_improvement = 0
            else:
                watch.epochs_without_improvement += 1
                watch.stopped = watch.epochs_without_improvement >= self.n_iter_no_change
        if all(watch.stopped for watch in self.watches):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        for watch in self.watches:
            if watch.best_weights is None:
                continue
            for layer, weights in zip(watch.layers, watch.best_weights):
                layer.set_weights(weights)
                layer.pruning_obj.weight_mask_op()


class ValidationLosses(keras.callbacks.Callback):
    """Each member's loss on the validation rows after every epoch, put in the epoch's logs as Keras puts its own.

    Keras' ``validation_data`` runs ``evaluate`` after every epoch: a new
    iterator, callbacks and a test loop, which cost more than the epoch
    itself on a table of a few hundred rows. Here one compiled forward pass
    per block of rows gives the same losses: the weighted sum of each row's
    loss over the number of rows, as Keras' mean over batches of
    ``SUM_OVER_BATCH_SIZE`` losses gives it. It must come before the
    callbacks that read the logs (early stopping, progress, History).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32
    y : ndarray of shape (n_samples, n_outputs), float32
    log_keys : list of str
        The log key of each output's loss.
    losses : list of str
        Each output's Keras loss (``OUTPUT_LOSSES``).
    names : list of str, default=None
        The names of the outputs of a model with several (a fused model's
        members), in the order of ``log_keys``; None for a model with one.
    weights : ndarray of shape (n_samples, len(log_keys)), default=None
        Each row's weight in each output's loss.
    function : callable, default=None
        The pass traced by an earlier callback of the same model, outputs
        and losses (its ``function`` attribute), used instead of tracing it
        again.

    Attributes
    ----------
    function : callable
        The traced pass, once training has begun.
    """

    BLOCK_ROWS = 4096

    def __init__(self, X, y, log_keys, losses, names=None, weights=None, function=None):
        super().__init__()
        self.X, self.y = X, y
        self.weights = np.ones((len(X), len(log_keys)), np.float32) if weights is None else weights
        self.log_keys, self.names = log_keys, names
        self.loss_functions = [keras.losses.get(loss) for loss in losses]
        self.function = function

    def on_train_begin(self, logs=None):
        if self.function is not None:
            return
        # Any number of rows: the last, partial block of rows does not trace the function again.
        signature = [tf.TensorSpec((None, *array.shape[1:]), tf.float32) for array in (self.X, self.y)]
        signature.append(tf.TensorSpec((None, len(self.log_keys)), tf.float32))

        @tf.function(input_signature=signature)
        def summed_losses(x, y, weights):
            outputs = self.model(x, training=False)
            outputs = [outputs] if self.names is None else [outputs[name] for name in self.names]
            return tf.stack([tf.reduce_sum(weights[:, k] * tf.cast(loss(y, output), tf.float32))
                             for k, (loss, output) in enumerate(zip(self.loss_functions, outputs))])

        self.function = summed_losses

    def on_epoch_end(self, epoch, logs=None):
        totals = np.zeros(len(self.log_keys))
        for start in range(0, len(self.X), self.BLOCK_ROWS):
            rows = slice(start, start + self.BLOCK_ROWS)
            totals += self.function(self.X[rows], self.y[rows], self.weights[rows]).numpy()
        losses = totals / len(self.X)
        if logs is not None:
            logs.update(zip(self.log_keys, losses.tolist()))
            logs["val_loss"] = float(losses.sum())


class EpochProgress(keras.callbacks.Callback):
    """A tqdm bar over epochs, showing how many members still train."""

    def __init__(self, epochs, description, watches):
        super().__init__()
        self.epochs = epochs
        self.description = description
        self.watches = watches

    def on_train_begin(self, logs=None):
        self.bar = tqdm(total=self.epochs, desc=self.description)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(1)
        postfix = {"loss": f"{(logs or {}).get('loss', float('nan')):.4g}"}
        stopped = sum(watch.stopped for watch in self.watches)
        if stopped:
            postfix["stopped"] = f"{stopped}/{len(self.watches)}"
        self.bar.set_postfix(postfix)

    def on_train_end(self, logs=None):
        self.bar.close()


def _kth_largest_magnitude(magnitudes, k):
    """Exactly the ``k``-th largest of the non-negative float32 ``magnitudes`` (1 <= k <= size).

    Non-negative floats order as their int32 bit patterns do, so bisecting on
    the bit pattern for the largest ``t`` with at least ``k`` values >= ``t``
    finds the k-th largest value itself, in at most 32 counting passes.
    """
    bits = tf.bitcast(magnitudes, tf.int32)
    # Invariant: at least k values are >= low, and fewer than k are >= high.
    low = tf.constant(0, tf.int64)
    high = tf.cast(tf.reduce_max(bits), tf.int64) + 1

    def narrow(low, high):
        middle = (low + high) // 2
        enough = tf.reduce_sum(tf.cast(bits >= tf.cast(middle, tf.int32), tf.int32)) >= k
        return tf.where(enough, middle, low), tf.where(enough, high, middle)

    low, _ = tf.while_loop(lambda low, high: high - low > 1, narrow, (low, high))
    return tf.bitcast(tf.cast(low, tf.int32), tf.float32)


class MagnitudePruning(pruning_impl.Pruning):
    """tfmot's magnitude pruning, with the threshold found by bisection instead of a sort.

    tfmot 0.8 finds the k-th largest magnitude with ``top_k`` over *all* the
    weights: a full sort of every kernel at every mask update, which made a
    pruned fit of the article's model markedly slower than a dense one
    (docs/performance.md has the measurements). Bisection finds the same
    threshold, so the same mask, in 32 vectorized counting passes.

    With ``initial_kernel`` (a layer that prunes whole input features), the
    features are ranked by how far training has moved their row of the kernel
    from ``initial_kernel``, its value when training began, rather than by the
    row's magnitude (movement pruning, Sanh et al., 2020). He initialization
    gives every row a random magnitude, and on a few hundred rows training
    moves the informative rows by less than that spread, so magnitude keeps
    features at random there; the distance moved ranks them (docs/performance.md,
    "Input features ranked by movement"). Rows marked in ``reserved_rows``
    (features a marginal screen found, ``_screening.py``) rank above every
    other, so they are kept whatever their movement. With ``reserved_only``
    the layer keeps the reserved rows and no other, whatever its schedule
    asks, wherever any row is reserved.
    """

    def __init__(self, *args, initial_kernel=None, reserved_rows=None, reserved_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._initial_kernel = initial_kernel
        self._reserved_rows = reserved_rows
        self._reserved_only = reserved_only

    def _update_mask(self, weights):
        if weights.dtype != tf.float32:
            return super()._update_mask(weights)
        sparsity = self._pruning_schedule(self._step_fn())[1]
        with tf.name_scope("pruning_ops"):
            magnitudes = tf.math.abs(weights)
            # The number of weights kept, rounded exactly as tfmot rounds it.
            size = tf.cast(tf.size(magnitudes), tf.float32)
            k = tf.cast(tf.math.maximum(tf.math.round(size * (1 - sparsity)), 1), tf.int32)
            threshold = _kth_largest_magnitude(tf.reshape(magnitudes, [-1]), k)
            mask = tf.cast(magnitudes >= threshold, weights.dtype)
        return threshold, mask

    def _maybe_update_block_mask(self, weights):
        # A block of one whole kernel row (one input feature): tfmot pools it to
        # shape (n_in, 1), squeezes that to rank 1 and then fails to expand it.
        if not _is_row_block(self._block_size, weights.shape):
            return super()._maybe_update_block_mask(weights)
        if self._initial_kernel is None:
            row_scores = tf.math.reduce_mean(tf.math.abs(weights), axis=1, keepdims=True)
        else:
            # A pruned row is zero, so it has "moved" by its initial magnitude: the live
            # rows' mask keeps it out, as its zero magnitude would.
            (_, mask, _), = self._pruning_vars
            moved = tf.math.reduce_mean(tf.math.abs(weights - self._initial_kernel), axis=1, keepdims=True)
            row_scores = moved * mask[:, :1]
        if self._reserved_rows is not None:
            row_scores = tf.where(self._reserved_rows > 0, 2 * tf.reduce_max(row_scores) + 1, row_scores)
        threshold, row_mask = self._update_mask(row_scores)
        if self._reserved_only:
            reserved = tf.cast(self._reserved_rows > 0, row_mask.dtype)
            row_mask = tf.where(tf.reduce_any(self._reserved_rows > 0), reserved, row_mask)
        return threshold, tf.broadcast_to(row_mask, tf.shape(weights))


def _is_row_block(block_size, kernel_shape):
    """Whether ``block_size`` makes each block one whole row of a 2-D kernel with more than one column."""
    return kernel_shape.ndims == 2 and kernel_shape[-1] > 1 and list(block_size) == [1, int(kernel_shape[-1])]


class PruneLowMagnitude(pruning_wrapper.PruneLowMagnitude):
    """tfmot's ``PruneLowMagnitude`` wrapper using :class:`MagnitudePruning`.

    ``reserved_only`` (a layer that prunes whole input features): the layer
    reads only the features reserved for it (``reserve_features``), from the
    first step on, where any is reserved.
    """

    def __init__(self, layer, reserved_only=False, **kwargs):
        super().__init__(layer, **kwargs)
        self.reserved_only = bool(reserved_only)

    def get_config(self):
        return {**super().get_config(), "reserved_only": self.reserved_only}

    # tfmot's call has no Python control flow on tensors (it uses tf.cond), so
    # AutoGraph has nothing to convert; skipping it saves tracing time.
    @tf.autograph.experimental.do_not_convert
    def call(self, inputs, training=None, **kwargs):
        return super().call(inputs, training=training, **kwargs)

    def build(self, input_shape):
        super().build(input_shape)
        self.initial_kernel = self.reserved_rows = None
        kernel = self.layer.kernel
        if _is_row_block(self.block_size, kernel.shape):
            # Whole input features are ranked by how far their rows moved from the kernel as built,
            # after the features the training rows' screen reserves (``reserve_features``; none until then).
            self.initial_kernel = self.add_weight(
                "initial_kernel", shape=kernel.shape, dtype=kernel.dtype, trainable=False,
                initializer=lambda shape, dtype: tf.identity(kernel))
            self.reserved_rows = self.add_weight(
                "reserved_rows", shape=(kernel.shape[0], 1), dtype=kernel.dtype, trainable=False, initializer="zeros")
        self.pruning_obj = MagnitudePruning(
            training_step_fn=lambda: self.pruning_step,
            pruning_vars=self.pruning_vars,
            pruning_schedule=self.pruning_schedule,
            block_size=self.block_size,
            block_pooling_type=self.block_pooling_type,
            sparsity_m_by_n=self.sparsity_m_by_n,
            initial_kernel=self.initial_kernel,
            reserved_rows=self.reserved_rows,
            reserved_only=self.reserved_only,
        )


def reserve_features(layer, screened, final_sparsity):
    """Keep the ``screened`` features (most significant first) in a layer that prunes whole features.

    At most half of the features the layer keeps at ``final_sparsity`` are
    reserved, so that the other half is still chosen by movement (a screen of
    one feature at a time misses interactions). A ``reserved_only`` layer
    reserves every screened feature and, where there is any, reads those
    alone from now on: the other rows are masked and zeroed at once. Layers
    that prune single weights are left as they are.
    """
    if layer.reserved_rows is None:
        return
    n_features = int(layer.reserved_rows.shape[0])
    # The number of rows kept at the end, rounded as MagnitudePruning rounds it.
    n_kept = max(int(np.round(n_features * (1 - final_sparsity))), 1)
    screened = np.asarray(screened, dtype=np.int64)
    screened = screened[screened < n_features]
    reserved = np.zeros((n_features, 1), np.float32)
    reserved[screened if layer.reserved_only else screened[: n_kept // 2]] = 1
    layer.reserved_rows.assign(reserved)
    if layer.reserved_only and screened.size:
        variables = _pruning_variables(layer)
        mask = np.broadcast_to(reserved, variables["mask"].shape)
        variables["mask"].assign(mask)
        variables["kernel"].assign(variables["kernel"].numpy() * mask)


def inherit(parent_layers, child_layers, sparsities, seed=None):
    """Start each pruned child layer from its parent's kernel, bias and mask.

    With ``seed``, each layer is also pruned at once, at random among the
    parent's live weights, to its sparsity in ``sparsities``; children of one
    parent then keep different weights (Whitaker and Whitley's random pruning
    of prune-and-tune ensembles). The child's own pruning step is kept, so its
    schedule starts from the beginning.
    """
    rng = None if seed is None else np.random.default_rng(seed)
    for parent, child, sparsity in zip(parent_layers, child_layers, sparsities, strict=True):
        # The wrapper's get_weights() gives only the Dense layer's; the mask is one of its own variables.
        values = {name: variable.numpy() for name, variable in _pruning_variables(parent).items()}
        if rng is not None:
            values["mask"] = _random_mask(values["mask"], sparsity, rng)
        values["kernel"] = values["kernel"] * values["mask"]
        for name, variable in _pruning_variables(child).items():
            variable.assign(values[name])
        if child.initial_kernel is not None:
            # The child's training begins at its parent's kernel: its features' movement counts from there.
            child.initial_kernel.assign(values["kernel"])


def _pruning_variables(layer):
    """A pruned layer's kernel, bias, mask and threshold variables, by name (not its pruning step)."""
    names = ("kernel", "bias", "mask", "threshold")
    return {name: v for v in layer.weights for name in names if v.name.rsplit("/", 1)[-1].startswith(name + ":")}


def _random_mask(mask, sparsity, rng):
    """``mask`` with live weights switched off at random until ``sparsity`` of it is zero."""
    live = np.flatnonzero(mask)
    n_keep = min(live.size, int(round((1 - sparsity) * mask.size)))
    kept = np.zeros(mask.size, dtype=mask.dtype)
    kept[rng.choice(live, size=n_keep, replace=False)] = 1
    return kept.reshape(mask.shape)
