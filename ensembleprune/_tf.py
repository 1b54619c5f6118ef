"""The one place that imports TensorFlow, tf_keras and tfmot.

TensorFlow is imported lazily, only when a model is trained or rebuilt, so that
predicting with, pickling and loading a fitted ensemble need numpy and scipy only.
"""

import os
from contextlib import contextmanager
from functools import lru_cache


@lru_cache(maxsize=1)
def import_tf():
    """Return ``(tf, tf_keras, tfmot_sparsity)``, importing them on first use.

    tfmot prunes Keras 2 models only, so every model in this package is built with
    ``tf_keras``; ``TF_USE_LEGACY_KERAS`` makes ``tf.keras`` agree with it.
    """
    # TensorFlow logs notes and harmless errors (no GPU, graph attributes) to
    # stderr; real failures reach the caller as exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import tensorflow as tf
    import tf_keras
    from tensorflow_model_optimization import sparsity as tfmot_sparsity

    tf.get_logger().setLevel("ERROR")
    return tf, tf_keras, tfmot_sparsity.keras


def limit_threads():
    """Give TensorFlow the threads that ``OMP_NUM_THREADS`` gives native libraries in this process.

    joblib's process backends set it in each worker to the caller's cores
    divided by ``n_jobs`` (or to ``parallel_config``'s ``inner_max_num_threads``),
    as in ``cross_val_score(n_jobs=...)``, and Dask's nanny sets it in each
    worker (to 1, unless ``distributed.nanny.pre-spawn-environ`` says otherwise).
    TensorFlow reads neither, and would start one thread per core in every
    worker. Where the variable is not set, TensorFlow keeps its own default;
    once TensorFlow has run in a process, its thread pools are fixed.
    """
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if not threads.isdigit() or int(threads) < 1:
        return
    tf, _, _ = import_tf()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # TensorFlow already ran in this process; its thread pools are fixed.


@contextmanager
def op_determinism():
    """Run TensorFlow's ops deterministically inside the block.

    The setting is process-wide, so it is restored on exit and training leaves
    the caller's own TensorFlow work as it found it.
    """
    tf, _, _ = import_tf()
    # The switch back off exists only in TensorFlow's framework module.
    from tensorflow.python.framework import config as tf_config

    was_enabled = tf_config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if not was_enabled:
            tf_config.disable_op_determinism()


@contextmanager
def training_settings():
    """Train inside the block with :func:`limit_threads` applied and :func:`op_determinism` on."""
    limit_threads()
    with op_determinism():
        yield
