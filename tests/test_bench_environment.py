"""What the benchmarks record of the machine and the stack beside their figures (benchmarks/bench_tabular.py)."""

import importlib.metadata
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
from bench_tabular import environment  # noqa: E402


def test_environment_records_the_stack_and_onednn_settings_that_move_fits(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    recorded = environment()
    for name in ("scipy", "tensorflow", "tf_keras", "tensorflow-model-optimization"):
        assert recorded[name] == importlib.metadata.version(name)
    assert recorded["onednn"] == {"TF_ENABLE_ONEDNN_OPTS": "0", "ONEDNN_MAX_CPU_ISA": None}
    assert recorded["cpu"] is None or (isinstance(recorded["cpu"], str) and recorded["cpu"])


def test_small_tables_report_records_the_environment_beside_its_figures(capsys):
    import bench_small_tables

    # linnerud has 16 training rows: the linear member alone, so no network trains.
    bench_small_tables.main(["--kind", "regression", "--datasets", "linnerud_weight"])
    report = json.loads(capsys.readouterr().out)
    assert report["environment"]["tensorflow"] == importlib.metadata.version("tensorflow")
    assert report["regression"]["linnerud_weight"]["results"]["ensemble"]["linear_member_alone"] is True
