# `make demo` and `make test` each create .venv and install the package when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test test-fast bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[test,dask,onnx]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ensembleprune demo --out demo_output

# Two test processes (pytest-xdist): most of the suite is small Keras fits that keep one core busy each.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist worksteal --durations=20

# The tests not marked slow (no subprocesses, Dask, hypothesis fits or runs over ~10 s).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist worksteal -m "not slow"

# The benchmarks read real data sets from the files statsmodels, vega_datasets and plotly install.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_inference.py
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_tabular.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache
