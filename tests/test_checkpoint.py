import json

import numpy as np
import pytest

from ensembleprune.checkpoint import MemberCheckpoint, atomic_write, fingerprint


def test_fingerprint_changes_with_data_and_settings():
    X = np.arange(6.0).reshape(3, 2)
    base = fingerprint([X], {"epochs": 3})
    assert base == fingerprint([X.copy()], {"epochs": 3})
    assert base != fingerprint([X + 1e-9], {"epochs": 3})
    assert base != fingerprint([X.astype(np.float32)], {"epochs": 3})
    assert base != fingerprint([X.reshape(2, 3)], {"epochs": 3})
    assert base != fingerprint([X], {"epochs": 4})


def test_members_round_trip(tmp_path):
    checkpoint = MemberCheckpoint(tmp_path, "abc")
    assert checkpoint.load("full-0") is None
    weights = [np.ones((3, 2), np.float32), np.array([1, -1], np.int64)]
    checkpoint.save("full-0", weights, {"loss": [1.0, 0.5]}, 7, seed=12345)
    loaded, history, best_epoch, seed = MemberCheckpoint(tmp_path, "abc").load("full-0")
    for a, b in zip(loaded, weights):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    assert history == {"loss": [1.0, 0.5]} and best_epoch == 7 and seed == 12345
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fingerprint.json", "member-full-0.npz"]


def test_other_fit_is_refused(tmp_path):
    MemberCheckpoint(tmp_path, "abc")
    with pytest.raises(ValueError, match="other data or with other parameters"):
        MemberCheckpoint(tmp_path, "def")
    (tmp_path / "fingerprint.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a valid fingerprint file"):
        MemberCheckpoint(tmp_path, "abc")


def test_damaged_member_file_is_reported(tmp_path):
    checkpoint = MemberCheckpoint(tmp_path, "abc")
    checkpoint.save("full-1", [np.zeros(3)], {}, None, seed=1)
    path = tmp_path / "member-full-1.npz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="unreadable.*delete it"):
        checkpoint.load("full-1")


def test_atomic_write_leaves_nothing_when_writing_fails(tmp_path):
    target = tmp_path / "file.json"
    target.write_text(json.dumps({"old": True}))

    def fail(file):
        file.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]
