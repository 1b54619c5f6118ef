"""The same data and random_state give bitwise-identical predictions in fresh processes."""

import subprocess
import sys

import numpy as np
import pytest

# Every case trains in fresh processes that import TensorFlow.
pytestmark = pytest.mark.slow

SCRIPT = """
import sys
import numpy as np
from ensembleprune import PrunedEnsembleRegressor
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 6))
y = np.tanh(X[:, 0]) + X[:, 1] * X[:, 2]
model = PrunedEnsembleRegressor(combine="mean", early_stopping=False, n_members=2, sparsities=(0.5, 0.8), hidden_layer_sizes=(16,), epochs=5,
                                batch_size=32, training=sys.argv[1], n_jobs=int(sys.argv[2]), random_state=7)
np.save(sys.argv[3], model.fit(X, y).predict(X))
"""


@pytest.mark.parametrize("training, n_jobs", [("fused", 1), ("independent", 2)])
def test_two_fresh_processes_agree_bit_for_bit(tmp_path, training, n_jobs):
    outputs = []
    for run in range(2):
        path = tmp_path / f"run{run}.npy"
        result = subprocess.run([sys.executable, "-c", SCRIPT, training, str(n_jobs), str(path)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.append(np.load(path))
    assert outputs[0].dtype == np.float64
    np.testing.assert_array_equal(outputs[0], outputs[1])
