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


def test_a_member_saved_with_other_weight_arrays_is_refused_clearly(tmp_path):
    from ensembleprune import MemberSpec, PrunedMLPFactory, PruningSchedule
    from ensembleprune.strategies import MemberStore

    spec = MemberSpec(0, PruningSchedule(0.5), (8,), input_pruning="features")
    factory = PrunedMLPFactory(epochs=2, batch_size=16)
    weights = factory.build(spec, 12, 1, 40).get_weights()
    checkpoint = MemberCheckpoint(tmp_path, "abc")
    store = MemberStore(checkpoint, "full", (12, 1, 40))
    # One array fewer than the network has, as in the files of members that prune whole features before 6978a79.
    checkpoint.save("full-member0", weights[:-1], {"loss": [1.0]}, 0, seed=0)
    with pytest.raises(ValueError, match="earlier version.*Delete the checkpoint_dir"):
        store.load("member0", spec, factory)
    checkpoint.save("full-member0", weights, {"loss": [1.0]}, 0, seed=0)
    assert store.load("member0", spec, factory).spec == spec
