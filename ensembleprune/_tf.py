"""The one place that imports TensorFlow, tf_keras and tfmot.

TensorFlow is imported lazily, only when a model is trained or rebuilt, so that
predicting with, pickling and loading a fitted ensemble need numpy and scipy only.
"""

import os
import re
import sys
import tempfile
import threading
from contextlib import contextmanager, nullcontext
from functools import lru_cache

# The start of a line that TensorFlow's native code logs, in absl's format
# ("I0000 00:00:1700000000.000000    1234 cudart_stub.cc:31] ...": before absl is
# initialised the clock reads as seconds since 1970) or in TensorFlow's own
# ("2025-01-01 12:00:00.000000: I external/.../cudart_stub.cc:31] ..."); the
# group that matched is the severity: INFO, WARNING, ERROR or FATAL.
_NATIVE_LOG_LINE = re.compile(
    rb"(?:([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ |\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: ([IWEF]) )\S+:\d+\] "
)
_ABSL_NOTICE = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
# import_tf swaps the process's standard error for a while: one thread at a time.
_IMPORT_LOCK = threading.Lock()


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
    # The level alone does not quiet the libraries that log as they load.
    with _IMPORT_LOCK, native_logs_filtered():
        import tensorflow as tf
        import tf_keras
        from tensorflow_model_optimization import sparsity as tfmot_sparsity

    tf.get_logger().setLevel("ERROR")
    return tf, tf_keras, tfmot_sparsity.keras


def filter_native_logs(output, min_level):
    """``output`` without the native log lines below ``min_level``.

    Parameters
    ----------
    output : bytes
        What was written to standard error.
    min_level : int
        As ``TF_CPP_MIN_LOG_LEVEL``: 1 drops INFO, 2 also WARNING, 3 also ERROR;
        FATAL is always kept, and so is every line that is not a log line.

    Returns
    -------
    bytes

    Notes
    -----
    A line that does not start a log record (the second line of a multi-line
    message) goes with the record above it. absl's notice that it writes to
    standard error counts as INFO.
    """
    kept = []
    keep = True
    for line in output.splitlines(keepends=True):
        match = _NATIVE_LOG_LINE.match(line)
        if match:
            severity = match[1] or match[2]
            keep = severity == b"F" or b"IWEF".index(severity) >= min_level
        elif line.rstrip(b"\r\n") == _ABSL_NOTICE:
            keep = min_level < 1
        if keep:
            kept.append(line)
    return b"".join(kept)


@contextmanager
def native_logs_filtered():
    """Apply ``TF_CPP_MIN_LOG_LEVEL`` to what TensorFlow's native libraries log in the block.

    Since TensorFlow 2.19, libraries that ``import tensorflow`` loads (the CUDA
    stub, the profiler plugin) log through their own copy of absl as they load,
    before the level is applied (tensorflow/tensorflow#100442): "Could not find
    cuda drivers" and similar notes came out of every process that imported
    TensorFlow, each joblib worker of a sweep included, whatever the level.
    The block runs with standard error (file descriptor 2, so native code's
    too) sent to a temporary file; the lines that the level lets through are
    written back when the block ends, so a real error still shows. With the
    level unset or 0, or without a standard error to swap, the block runs as
    it is.
    """
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "")
    min_level = int(level) if level.isdigit() else 0
    try:
        original = os.dup(2) if min_level > 0 else None
    except OSError:  # no standard error to swap, as under pythonw
        original = None
    if original is None:
        yield
        return
    try:
        with tempfile.TemporaryFile() as captured:
            _flush_stderr()
            os.dup2(captured.fileno(), 2)
            try:
                yield
            finally:
                _flush_stderr()
                os.dup2(original, 2)
                captured.seek(0)
                with open(original, "wb", closefd=False) as stderr:
                    stderr.write(filter_native_logs(captured.read(), min_level))
    finally:
        os.close(original)


def _flush_stderr():
    # Python's buffered writes must land on the side of the swap they were made on.
    if sys.stderr is not None:
        sys.stderr.flush()


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
def op_determinism(enabled=True):
    """Run TensorFlow's ops deterministically inside the block (or not, with ``enabled=False``).

    The setting is process-wide, so it is restored on exit and training leaves
    the caller's own TensorFlow work as it found it.

    Parameters
    ----------
    enabled : bool, default=True
        Whether op determinism is on inside the block.
    """
    tf, _, _ = import_tf()
    # The switch back off exists only in TensorFlow's framework module.
    from tensorflow.python.framework import config as tf_config

    was_enabled = tf_config.is_op_determinism_enabled()
    if enabled:
        tf.config.experimental.enable_op_determinism()
    else:
        tf_config.disable_op_determinism()
    try:
        yield
    finally:
        if was_enabled and not enabled:
            tf.config.experimental.enable_op_determinism()
        elif enabled and not was_enabled:
            tf_config.disable_op_determinism()


# Whether training switches op determinism on; only nondeterministic_ops() changes it.
_deterministic_training = True


@contextmanager
def nondeterministic_ops():
    """Train without TensorFlow's op determinism inside the block.

    Every fit normally runs with op determinism on, so that the same data and
    seed give the same model. This block leaves it off, as TensorFlow's default
    is, for fits that run in this process while the block is open: fused
    training and :meth:`~ensembleprune.PrunedMLPFactory.fit_one`. Fits in
    joblib or Dask workers (``training="independent"``, ``n_jobs`` in
    scikit-learn's tools) run in other processes, where the switch is not seen
    and op determinism stays on. The switch is process-wide, so fits in other
    threads of this process are affected too while the block is open.

    It exists to measure what determinism costs
    (``benchmarks/bench_determinism.py``); results trained inside it may
    differ from run to run on hardware whose kernels are not deterministic.

    Examples
    --------
    >>> from ensembleprune._tf import nondeterministic_ops
    >>> with nondeterministic_ops():  # doctest: +SKIP
    ...     members = factory.train(X, y, specs)
    """
    global _deterministic_training
    previous = _deterministic_training
    _deterministic_training = False
    try:
        yield
    finally:
        _deterministic_training = previous


@contextmanager
def training_settings(quiet=False):
    """Train inside the block with :func:`limit_threads` applied and :func:`op_determinism` on.

    Op determinism is left off instead inside :func:`nondeterministic_ops`.
    With ``quiet=True`` (a fit with ``verbose=0``, which shows nothing live) the
    native logs are held to ``TF_CPP_MIN_LOG_LEVEL`` as in :func:`native_logs_filtered`:
    tf.data's graph rewrites log from C++ threads that the level does not reach.
    """
    limit_threads()
    with op_determinism(enabled=_deterministic_training), native_logs_filtered() if quiet else nullcontext():
        yield
