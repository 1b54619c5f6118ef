"""Independent training runs unchanged on a dask.distributed cluster through joblib."""

import logging
import re
import sys

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import dask  # noqa: E402
from joblib import parallel_config  # noqa: E402

from ensembleprune import PrunedEnsembleRegressor  # noqa: E402

# A local Dask cluster of two worker processes, each importing TensorFlow.
pytestmark = pytest.mark.slow


def _tensorflow_threads():
    """TensorFlow's intra-op threads in this worker, or None where no member trained."""
    tensorflow = sys.modules.get("tensorflow")
    return tensorflow and tensorflow.config.threading.get_intra_op_parallelism_threads()


def test_independent_members_train_on_a_local_dask_cluster(tiny_regression):
    X, y = tiny_regression
    model = PrunedEnsembleRegressor(combine="mean", early_stopping=False, sparsity_allocation="uniform", n_members=2,
                                    sparsities=(0.5, 0.8), hidden_layer_sizes=(8,), epochs=2, batch_size=64,
                                    training="independent", random_state=0)
    # Timeouts everywhere: a cluster that cannot start or a lost worker fails the test instead of hanging it.
    # Dask's nanny sets OMP_NUM_THREADS in its workers (1 by default); members follow it.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.OMP_NUM_THREADS": 2}), \
            distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=logging.ERROR, timeout="60s") as cluster, \
            distributed.Client(cluster, timeout="60s") as client, \
            distributed.get_task_stream(client) as task_stream, \
            parallel_config(backend="dask", wait_for_workers_timeout=60):
        model.fit(X, y)
        threads = client.run(_tensorflow_threads)
    # joblib names each Dask task after the batch of calls it runs.
    batches = [re.search(r"batch_of__train_member_in_worker_(\d+)_calls", str(task["key"])) for task in task_stream.data]
    assert sum(int(batch.group(1)) for batch in batches if batch) == 2
    assert len(model.members_) == 2
    assert np.all(np.isfinite(model.predict(X)))
    for layer_sparsity, target in zip(model.member_layer_sparsity_, model.member_sparsities_):
        assert abs(layer_sparsity[0] - target) <= 0.02
    assert 2 in threads.values() and set(threads.values()) <= {2, None}
