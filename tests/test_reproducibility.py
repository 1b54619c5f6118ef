"""The same data and random_state give bitwise-identical predictions in fresh processes."""

import subprocess
import sys

import numpy as np
import pytest

# Every case trains in fresh processes that import TensorFlow.
pytestmark = pytest.mark.slow

# Each process fits both ways (fused in the process; independent members in two worker
# processes), so that two processes, not four, check both.
SCRIPT = """
import sys
import numpy as np
from ensembleprune import PrunedEnsembleRegressor
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 6))
y = np.tanh(X[:, 0]) + X[:, 1] * X[:, 2]
for training, n_jobs in [("fused", 1), ("independent", 2)]:
    model = PrunedEnsembleRegressor(combine="mean", early_stopping=False, n_members=2, sparsities=(0.5, 0.8),
                                    hidden_layer_sizes=(16,), epochs=5, batch_size=32, training=training,
                                    n_jobs=n_jobs, random_state=7)
    np.save(f"{sys.argv[1]}-{training}.npy", model.fit(X, y).predict(X))
"""


def test_two_fresh_processes_agree_bit_for_bit(tmp_path):
    for run in range(2):
        result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / f"run{run}")], capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stderr[-2000:]
    for training in ("fused", "independent"):
        first, second = (np.load(tmp_path / f"run{run}-{training}.npy") for run in range(2))
        assert first.dtype == np.float64
        np.testing.assert_array_equal(first, second)
