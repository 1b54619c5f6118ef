"""How `ensembleprune` reports errors: bad input in one line, bugs with their traceback."""

import pytest

from ensembleprune import cli
from ensembleprune.cli import main
from ensembleprune.serialization import InvalidModelFileError, UnsafeToSaveError


def _describe_raising(error):
    def describe(path):
        raise error

    return describe


@pytest.mark.parametrize("error", [TypeError("a bug"), AttributeError("a bug"), KeyError("a bug")])
def test_a_bug_propagates_with_its_traceback(monkeypatch, error):
    monkeypatch.setattr(cli, "describe_model_file", _describe_raising(error))
    with pytest.raises(type(error), match="a bug"):
        main(["inspect", "model.epz"])


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        InvalidModelFileError("bad file"),
        UnsafeToSaveError("cannot store"),
        PermissionError(13, "Permission denied", "model.epz"),
        OSError(28, "No space left on device", "out.csv"),
    ],
)
def test_bad_input_is_reported_in_one_line(monkeypatch, capsys, error):
    monkeypatch.setattr(cli, "describe_model_file", _describe_raising(error))
    assert main(["inspect", "model.epz"]) == 2
    err = capsys.readouterr().err
    assert err == f"ensembleprune inspect: error: {error}\n"


def test_a_missing_file_is_named_in_one_line(tmp_path, capsys):
    missing = tmp_path / "missing.epz"
    assert main(["inspect", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("ensembleprune inspect: error: ") and str(missing) in err
