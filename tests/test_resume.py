"""A fit killed with SIGKILL resumes from checkpoint_dir and trains only the missing members."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from ensembleprune import PrunedEnsembleRegressor, PrunedMLPFactory

PARAMS = dict(combine="mean", early_stopping=False, n_members=4, sparsities=(0.5, 0.8), hidden_layer_sizes=(64, 64), epochs=12, batch_size=16,
              training="independent", random_state=3)
SCRIPT = """
import sys
import numpy as np
from ensembleprune import PrunedEnsembleRegressor
X, y = np.load(sys.argv[1]), np.load(sys.argv[2])
PrunedEnsembleRegressor(checkpoint_dir=sys.argv[3], **{params}).fit(X, y)
""".format(params=repr(PARAMS))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 8))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    folder = tmp_path_factory.mktemp("data")
    np.save(folder / "X.npy", X)
    np.save(folder / "y.npy", y)
    return X, y, folder


@pytest.mark.slow
def test_killed_fit_resumes_with_only_the_missing_members(data, tmp_path, monkeypatch):
    X, y, folder = data
    checkpoint = tmp_path / "checkpoint"
    process = subprocess.Popen([sys.executable, "-c", SCRIPT, str(folder / "X.npy"), str(folder / "y.npy"),
                                str(checkpoint)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not list(checkpoint.glob("member-*.npz")):
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no member was written in time"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = sorted(p.name for p in checkpoint.glob("member-*.npz"))
    assert 1 <= len(finished) < 4, finished
    for path in checkpoint.glob("member-*.npz"):  # killed mid-fit, yet every member file is whole
        with np.load(path, allow_pickle=False) as saved:
            assert "meta" in saved.files

    trained_specs = []
    original_train = PrunedMLPFactory.train

    def counting_train(self, X, y, members, **kwargs):
        trained_specs.extend(members)
        return original_train(self, X, y, members, **kwargs)

    monkeypatch.setattr(PrunedMLPFactory, "train", counting_train)
    resumed = PrunedEnsembleRegressor(checkpoint_dir=checkpoint, **PARAMS).fit(X, y)
    assert len(trained_specs) == 4 - len(finished)
    assert len(list(checkpoint.glob("member-*.npz"))) == 4

    monkeypatch.setattr(PrunedMLPFactory, "train", original_train)
    uninterrupted = PrunedEnsembleRegressor(**PARAMS).fit(X, y)
    np.testing.assert_array_equal(resumed.predict(X), uninterrupted.predict(X))
    np.testing.assert_array_equal(resumed.member_seeds_, uninterrupted.member_seeds_)


def test_checkpoint_of_other_data_or_parameters_is_refused(data, tmp_path):
    X, y, _ = data
    small = dict(PARAMS, n_members=2, epochs=2, hidden_layer_sizes=(8,))
    PrunedEnsembleRegressor(checkpoint_dir=tmp_path, **small).fit(X, y)
    with pytest.raises(ValueError, match="other data or with other parameters"):
        PrunedEnsembleRegressor(checkpoint_dir=tmp_path, **small).fit(X[:-1], y[:-1])
    with pytest.raises(ValueError, match="other data or with other parameters"):
        PrunedEnsembleRegressor(checkpoint_dir=tmp_path, **dict(small, learning_rate=0.01)).fit(X, y)
    # Settings that do not change what a member learns may differ.
    again = PrunedEnsembleRegressor(checkpoint_dir=tmp_path, **dict(small, n_jobs=2, verbose=0)).fit(X, y)
    assert len(again.members_) == 2


def test_stacking_checkpoints_its_folds(data, tmp_path):
    X, y, _ = data
    params = dict(PARAMS, n_members=2, epochs=2, hidden_layer_sizes=(8,), combine="stack", cv=2)
    first = PrunedEnsembleRegressor(checkpoint_dir=tmp_path, **params).fit(X, y)
    names = sorted(p.name for p in tmp_path.glob("member-*.npz"))
    assert names == ["member-fold0-member0.npz", "member-fold0-member1.npz", "member-fold1-member0.npz",
                     "member-fold1-member1.npz", "member-full-member0.npz", "member-full-member1.npz"]
    second = PrunedEnsembleRegressor(checkpoint_dir=tmp_path, **params).fit(X, y)
    np.testing.assert_array_equal(first.predict(X), second.predict(X))


@pytest.mark.parametrize("random_state", [None, "generator"])
def test_resuming_without_an_integer_seed_reports_the_seeds_it_used(data, tmp_path, random_state):
    X, y, _ = data
    params = dict(PARAMS, n_members=2, epochs=2, hidden_layer_sizes=(8,))

    def fit():
        seed = np.random.RandomState(0) if random_state == "generator" else None
        return PrunedEnsembleRegressor(checkpoint_dir=tmp_path, **dict(params, random_state=seed)).fit(X, y)

    first = fit()
    # The second fit draws other seeds, yet takes every member from the folder:
    # it must report the seeds those members were trained with, not its own draw.
    second = fit()
    np.testing.assert_array_equal(second.member_seeds_, first.member_seeds_)
    np.testing.assert_array_equal(second.predict(X), first.predict(X))
