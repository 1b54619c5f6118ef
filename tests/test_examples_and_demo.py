"""The examples and the demo, run end to end at tiny size."""

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

from ensembleprune.cli import format_table, run_demo

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def short_auto_budget(monkeypatch):
    # These tests check what the examples and the demo print and write, not how well the
    # defaults learn (tests/test_sklearn_checks.py does): a thirtieth of the "auto" step budget.
    from ensembleprune import factory

    monkeypatch.setattr(factory, "AUTO_STEPS", factory.AUTO_STEPS // 30)


def test_quickstart_runs(capsys, short_auto_budget):
    model = runpy.run_path(str(EXAMPLES / "quickstart.py"))["main"](tiny=True)
    out = capsys.readouterr().out
    assert "ensemble, library defaults" in out and "RidgeCV" in out
    assert model.member_weights_.sum() == pytest.approx(1.0)


@pytest.mark.slow
def test_pipeline_grid_search_runs(capsys):
    search = runpy.run_path(str(EXAMPLES / "pipeline_grid_search.py"))["main"](tiny=True)
    assert "best parameters" in capsys.readouterr().out
    assert len(search.cv_results_["params"]) == 4


@pytest.mark.slow
def test_demo_writes_table_results_and_ensemble(tmp_path, short_auto_budget):
    # 1,040 training rows hold out 104: the defaults judge their members there, not out of fold (six fits).
    tiny = dict(n_samples=1300, n_features=40, n_informative=20, hidden=(32,), epochs=12)
    rows = run_demo(tmp_path, tiny, n_members=2, verbose=0)
    names = [row["model"] for row in rows]
    assert names[0] == "dense MLP" and names[-1] == "RidgeCV (linear baseline)"
    assert sum(name.startswith("member") for name in names) == 2
    assert "ensemble, library defaults" in names
    assert all(np.isfinite(row["val_mse"]) and row["nonzeros"] <= row["params"] for row in rows)
    dense, member = rows[0], rows[1]
    assert member["nonzeros"] < 0.3 * dense["nonzeros"]  # a member pruned to 0.8 keeps ~20% of weights
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["results"] == rows
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("ensemble")]) == 1
    table = format_table(rows)
    assert "val MSE" in table and "RidgeCV" in table
