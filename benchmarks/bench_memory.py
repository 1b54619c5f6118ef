"""Memory of a fit: how much a fit grows the process, in bytes of X.

Each case runs in a fresh process. The process first trains a tiny model, so
that TensorFlow's own start-up is paid, then makes ``X`` and fits a small
network (one member, 8 hidden units, 2 epochs) on it. The figure is the peak
resident memory during the fit minus the resident memory just before it,
divided by ``X.nbytes``: copies of ``X`` show up as whole units.

    .venv/bin/python benchmarks/bench_memory.py [--rows 80000] [--features 1000]

Prints JSON.
"""

import argparse
import json
import subprocess
import sys

CASE = """
import json, resource, sys
import numpy as np
from ensembleprune import PrunedEnsembleRegressor

def resident():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS"))

dtype, rows, features, early_stopping = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
params = dict(n_members=1, hidden_layer_sizes=(8,), epochs=2, early_stopping=early_stopping, random_state=0)
rng = np.random.default_rng(0)
warm_up = rng.standard_normal((200, features))
PrunedEnsembleRegressor(**params).fit(warm_up, warm_up[:, 0])
X = rng.standard_normal((rows, features), dtype=np.dtype(dtype))
y = X[:, 0] * 1.0
before = resident()
PrunedEnsembleRegressor(**params).fit(X, y)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"x_mib": round(X.nbytes / 2**20, 1), "growth_mib": round((peak - before) / 2**20, 1),
                  "growth_in_x_bytes": round((peak - before) / X.nbytes, 2)}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=80_000)
    parser.add_argument("--features", type=int, default=1_000)
    args = parser.parse_args()
    results = []
    for dtype, early_stopping in [("float32", False), ("float32", True), ("float64", False)]:
        command = [sys.executable, "-c", CASE, dtype, str(args.rows), str(args.features), str(int(early_stopping))]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        results.append(dict(dtype=dtype, early_stopping=early_stopping, **json.loads(output.strip().splitlines()[-1])))
    print(json.dumps({"rows": args.rows, "features": args.features, "cases": results}, indent=2))


if __name__ == "__main__":
    main()
