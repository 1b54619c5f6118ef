"""The article's sparsity sweep: losses against final sparsity, over seeds.

:func:`sparsity_sweep` trains one pruned MLP per (final sparsity, seed) pair and
tabulates training and validation loss against final sparsity, the article's
figure: MSE for a regression target; log-loss and accuracy for class labels
(``task``; the members then end in a sigmoid or a softmax). Pairs run in
parallel with joblib (so ``joblib.parallel_config(backend="dask")`` spreads
them over a cluster) and each finished pair is saved at once in the sweep's
folder (``_SweepFolder``), so a sweep killed half-way resumes where it stopped.

The steps of :func:`sparsity_sweep`: ``_sweep_data`` (validation split),
``_pair_specs`` (one MemberSpec per pair, schedules checked before any training),
``_sweep_settings`` (what the folder's fingerprint covers), ``_found_pairs``
(pairs already in the folder), ``_pairs_to_train`` (the others), ``_train_pending``
(training them, each saved as it finishes), then :meth:`SweepResult.from_pairs` and ``_write_outputs``.
"""

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import train_test_split
from sklearn.utils import check_X_y

from .._files import atomic_write, claim_folder, fingerprint
from ..compact import strip
from ..factory import PrunedMLPFactory
from ..ledger import CostLedger
from ..member import ARTICLE_HIDDEN_LAYER_SIZES, MemberSpec
from ..presets import PRESETS
from ..schedule import PruningSchedule
from ..strategies import STRATEGIES, MemberStore, strategy_params, train_members
from ._classification import (
    classification_scores,
    encode_labels,
    indicator_codes,
    indicator_targets,
    member_proba,
    output_activation,
    resolve_task,
)
from ._common import check_seeds, check_sparsities, mse
from ._sweep_result import SweepPair, SweepResult, SweepRow  # noqa: F401 - their home was here
from .plots import plot_sweep

# The presets of ``ensembleprune sweep`` in the form this module once declared
# them; they are declared in ensembleprune.presets.
SWEEP_PRESETS = {
    name: dict(data=preset.data_sizes(), hidden_layer_sizes=preset.hidden_layer_sizes, epochs=preset.epochs,
               seeds=preset.sweep_seeds, sparsities=preset.sweep_sparsities)
    for name, preset in PRESETS.items()
}
SWEEP_PAIRS_DIR = "pairs"


class _SweepFolder:
    """``output_dir`` of a sweep: its fingerprint and one JSON file per finished pair.

    Each pair file is written to a temporary name and renamed, so a sweep killed at
    any moment leaves whole pair files only.
    """

    def __init__(self, directory, digest, settings):
        self.directory = Path(directory)
        claim_folder(self.directory, digest, "output_dir", "a sweep of other data or other settings",
                     record={"settings": settings})
        self.pairs_dir = self.directory / SWEEP_PAIRS_DIR
        self.pairs_dir.mkdir(exist_ok=True)

    def _path(self, key):
        sparsity, seed = key
        return self.pairs_dir / f"sparsity-{sparsity:.6f}_seed-{seed}.json"

    def load(self, key):
        """The saved SweepPair of ``key``, or None."""
        path = self._path(key)
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text())
            pair = SweepPair(**dict(record, layer_sparsity=tuple(record["layer_sparsity"])))
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(f"sweep file {path} is unreadable ({error}); delete it to train that pair again") from None
        if pair.key != key:
            raise ValueError(f"sweep file {path} holds pair {pair.key}, not {key}; delete it to train that pair again")
        return pair

    def save(self, pair):
        # A regression pair's file holds no accuracy, as before classification came.
        record = {name: value for name, value in asdict(pair).items() if value is not None}
        atomic_write(self._path(pair.key), lambda f: f.write(json.dumps(record).encode()))


def _train_pair(factory_config, X, y, X_val, y_val, spec):
    """Train one (sparsity, seed) pair in a worker and evaluate the pruned network."""
    start = time.perf_counter()
    member = PrunedMLPFactory(**factory_config).fit_one(X, y, spec, validation_data=(X_val, y_val))
    return _evaluated_pair(member, (X, y), (X_val, y_val), time.perf_counter() - start)


def _train_family(factory_config, X, y, X_val, y_val, specs, strategy):
    """Train the pairs of one seed from one network (``strategy`` of ``strategies.py``); evaluate each.

    Each pair's ``fit_seconds`` is its share of the family's wall time.
    """
    if strategy == "independent":
        return [_train_pair(factory_config, X, y, X_val, y_val, spec) for spec in specs]
    start = time.perf_counter()
    members = train_members(strategy, strategy_params(strategy, None), PrunedMLPFactory(**factory_config), X, y,
                            specs, None, None, MemberStore(None, "sweep", None), CostLedger(), "sweep",
                            validation_data=(X_val, y_val))
    seconds = (time.perf_counter() - start) / len(specs)
    return [_evaluated_pair(member, (X, y), (X_val, y_val), seconds) for member in members]


def _evaluated_pair(member, train, val, fit_seconds):
    """The SweepPair of a trained member: its history, sparsity and losses."""
    return SweepPair(
        final_sparsity=member.spec.final_sparsity,
        seed=member.spec.seed,
        last_epoch_loss=member.history["loss"][-1],
        last_epoch_val_loss=member.history["val_loss"][-1],
        layer_sparsity=tuple(member.layer_sparsity),
        fit_seconds=fit_seconds,
        history=member.history,
        **_pair_scores(strip(member.model), member.spec, train, val),
    )


def _pair_scores(compact, spec, train, val):
    """``train_loss`` and ``val_loss`` of a pair's network: MSE, or log-loss and the accuracies for a classifier."""
    if spec.output_activation == "linear":
        return dict(train_loss=mse(compact.predict(train[0]), train[1]), val_loss=mse(compact.predict(val[0]), val[1]))
    train, val = (classification_scores(member_proba(compact.predict(X)), indicator_codes(Y)) for X, Y in (train, val))
    return dict(train_loss=train["log_loss"], val_loss=val["log_loss"], train_accuracy=train["accuracy"],
                val_accuracy=val["accuracy"])


def _sweep_data(X, y, X_val, y_val, validation_fraction, random_state, task):
    """Checked float32 ``(X, Y, X_val, Y_val)`` with 2-D targets as members learn them, and the classes.

    For classification the targets are :func:`indicator_targets` of the labels,
    a held-out split is stratified, and the classes are those of ``y``
    (``X_val``'s labels must be among them); for regression ``classes`` is None.
    """
    classify = task == "classification"
    checks = dict(dtype=[np.float64, np.float32], multi_output=not classify, y_numeric=not classify)
    X, y = check_X_y(X, y, **checks)
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val, or neither (then a validation_fraction of X is held out)")
    if X_val is None:
        if not 0 < validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}")
        X, X_val, y, y_val = train_test_split(X, y, test_size=validation_fraction, random_state=random_state,
                                              stratify=y if classify else None)
    else:
        X_val, y_val = check_X_y(X_val, y_val, **checks)
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"X_val has {X_val.shape[1]} features but X has {X.shape[1]}")
    classes = None
    if classify:
        classes, (codes, val_codes) = encode_labels(y, y_val=y_val)
        y, y_val = indicator_targets(codes, len(classes)), indicator_targets(val_codes, len(classes))
    as_2d = lambda a: np.ascontiguousarray(a, dtype=np.float32).reshape(len(a), -1)  # noqa: E731
    y, y_val = as_2d(y), as_2d(y_val)
    if y.shape[1] != y_val.shape[1]:
        raise ValueError(f"y_val has {y_val.shape[1]} outputs but y has {y.shape[1]}")
    return np.ascontiguousarray(X, np.float32), y, np.ascontiguousarray(X_val, np.float32), y_val, classes


def sparsity_sweep(
    X,
    y,
    sparsities,
    seeds,
    *,
    task="auto",
    X_val=None,
    y_val=None,
    validation_fraction=0.2,
    hidden_layer_sizes=ARTICLE_HIDDEN_LAYER_SIZES,
    activation="relu",
    epochs=200,
    batch_size=1024,
    learning_rate=1e-3,
    schedule=None,
    output_dir=None,
    plot=True,
    n_jobs=None,
    strategy="independent",
    random_state=0,
    verbose=1,
):
    """Train one pruned MLP per (final sparsity, seed) and tabulate their losses.

    The article's experiment: the same MLP pruned to each final sparsity, from
    several random initialisations, with the mean and standard deviation over
    seeds of the training and validation loss per sparsity. For class labels
    the networks end in a sigmoid (two classes) or a softmax and train on
    cross-entropy; the loss is then the log-loss, and the accuracy is tabulated
    beside it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Regression: losses are MSE in the units of ``y``; scale it first to
        compare with the article (it divides features and target by their
        max-abs). Classification: class labels of shape (n_samples,), at least
        two classes.
    sparsities : sequence of float
        Final sparsities in [0, 1); 0 trains a dense network (same wrappers, no
        pruning).
    seeds : sequence of int, or int
        Seeds of the networks, or a count ``n`` meaning ``range(n)``. The same seed
        gives the same initial weights at every sparsity.
    task : {"auto", "regression", "classification"}, default="auto"
        ``"auto"`` reads the task in ``y`` (:func:`resolve_task`): labels that are
        not floats (integers, booleans, strings) of a binary or multiclass
        target mean classification. Give ``"regression"`` for a quantity
        counted in integers, ``"classification"`` for float labels.
    X_val, y_val : array-like, default=None
        Validation data. When omitted, ``validation_fraction`` of ``X`` is held out
        with ``random_state`` (stratified by class for classification); for
        classification ``y_val`` holds labels of ``y`` only.
    validation_fraction : float, default=0.2
    hidden_layer_sizes : tuple of int, default=(1024, 1024)
    activation : str, default="relu"
    epochs : int, default=200
    batch_size : int or "auto", default=1024
        The article's 1024, or ``"auto"``: the rule of
        :meth:`~ensembleprune.factory.PrunedMLPFactory.batch_size_for` (about 32
        batches per epoch), so that a few hundred rows get more than one step
        per epoch.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    schedule : PruningSchedule, default=None
        Template of the pruning schedule; each pair uses it with its own final
        sparsity. ``None`` means ``PruningSchedule(0.0)``: polynomial decay with
        exponent 3 from 10% to 60% of training.
    output_dir : str or Path, default=None
        Where each finished pair is saved at once, and the CSV tables (and plots)
        at the end. Pairs already saved there are read, not trained again, so a
        sweep killed half-way resumes, and adding sparsities or seeds trains only
        the new pairs. A folder written for other data or settings is refused.
    plot : bool, default=True
        Also write the two figures (see :func:`plot_sweep`) to ``output_dir``.
    n_jobs : int, default=None
        Pairs trained at once (joblib; ``-1`` all cores). Each worker gives
        TensorFlow the threads joblib or Dask give native libraries. Under
        ``joblib.parallel_config(backend="dask")`` pairs run on the Dask cluster;
        results come back to this process, which alone writes ``output_dir``.
    strategy : {"independent", "prune_and_tune", "snapshots"}, default="independent"
        ``"independent"`` trains every pair from scratch: the article's
        experiment. The others train one network per seed and get the other
        sparsities from it with a short fine-tuning each (see
        :mod:`ensembleprune.strategies`): ``"prune_and_tune"`` prunes copies of
        the pair of the lowest sparsity (a dense one when 0 is swept) on to
        each other sparsity, ``"snapshots"`` prunes one network through the
        sparsities in rising order. About one fit per seed; they measure how
        far a trained network can be pruned, not how each sparsity trains.
        A seed with a pair missing from ``output_dir`` is trained again whole.
    random_state : int, default=0
        Seeds the validation split when ``X_val`` is omitted.
    verbose : int, default=1
        0 silent, 1 a progress bar over pairs (over seeds for the other strategies).

    Returns
    -------
    SweepResult

    Raises
    ------
    ValueError
        On bad arguments, a pruning schedule that training cannot finish, or an
        ``output_dir`` that holds a sweep of other data or settings.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    task = resolve_task(task, y)
    X, y, X_val, y_val, classes = _sweep_data(X, y, X_val, y_val, validation_fraction, random_state, task)
    sparsities = check_sparsities(sparsities)
    seeds = check_seeds(seeds)
    template = PruningSchedule(0.0) if schedule is None else schedule
    if not isinstance(template, PruningSchedule):
        raise TypeError(f"schedule must be a PruningSchedule or None, got {type(schedule).__name__}")
    batch_size = batch_size if batch_size == "auto" else int(batch_size)
    factory_config = dict(epochs=int(epochs), batch_size=batch_size, learning_rate=float(learning_rate), verbose=0)
    output = "linear" if classes is None else output_activation(len(classes))
    specs = _pair_specs(template, sparsities, seeds, hidden_layer_sizes, activation, output, factory_config, len(X))
    settings = _sweep_settings(X, y, X_val, template, specs[sparsities[0], seeds[0]], activation, factory_config,
                               task, classes, strategy)
    folder, found = None, {}
    if output_dir is not None:
        folder, found = _found_pairs(output_dir, [X, y, X_val, y_val], settings, specs)
    pending = _pairs_to_train(specs, found, strategy)
    if verbose and found:
        print(f"sparsity_sweep: {len(found)} of {len(specs)} pairs found in {output_dir}; training the other {len(pending)}")
    trained = _train_pending(factory_config, (X, y, X_val, y_val), [specs[key] for key in pending], folder,
                             n_jobs, verbose, strategy)
    found = {key: pair for key, pair in found.items() if key not in trained}
    result = SweepResult.from_pairs(list(found.values()) + list(trained.values()), list(trained), settings)
    if output_dir is not None:
        _write_outputs(result, output_dir, plot)
    return result


def _pair_specs(template, sparsities, seeds, hidden_layer_sizes, activation, output, factory_config, n_train):
    """One MemberSpec per (sparsity, seed), by key; refuses a schedule that training cannot finish.

    ``output`` is the networks' output activation. Checked before any pair is
    trained, so a bad schedule fails at once.
    """
    factory = PrunedMLPFactory(**factory_config)
    specs = {
        (sparsity, seed): MemberSpec(seed, template.with_final_sparsity(sparsity), hidden_layer_sizes, activation,
                                     output_activation=output)
        for sparsity in sparsities
        for seed in seeds
    }
    for spec in specs.values():
        spec.schedule.steps(factory.steps_per_epoch(n_train), factory.epochs)
    return specs


def _sweep_settings(X, y, X_val, template, spec, activation, factory_config, task, classes, strategy):
    """The data sizes and training settings of a sweep: recorded in its result and in its folder's fingerprint.

    Sparsities and seeds are left out: a sweep may grow in its folder. The
    task and classes are recorded for classification only, and the strategy
    when it is not ``"independent"``, so that the folders of regression
    sweeps and independent ones keep the fingerprints they had before those
    settings existed.
    """
    schedule_config = {k: v for k, v in template.get_config().items() if k != "final_sparsity"}
    settings = dict(
        n_train=len(X), n_val=len(X_val), n_features=X.shape[1], n_outputs=y.shape[1],
        hidden_layer_sizes=list(spec.hidden_layer_sizes), activation=activation,
        schedule=schedule_config, **{k: v for k, v in factory_config.items() if k != "verbose"},
    )
    if classes is not None:
        settings.update(task=task, classes=classes.tolist())
    if strategy != "independent":
        settings["strategy"] = strategy
    return settings


def _pairs_to_train(specs, found, strategy):
    """The keys of ``specs`` to train: those not ``found``; for a family strategy, every pair of such a seed.

    A family trains a seed's pairs from one network, so a seed with a pair
    missing trains whole.
    """
    pending = [key for key in specs if key not in found]
    if strategy != "independent":
        pending = [key for key in specs if key[1] in {seed for _, seed in pending}]
    return pending


def _found_pairs(output_dir, arrays, settings, keys):
    """The sweep's folder, and the pairs of ``keys`` already saved there (by key)."""
    folder = _SweepFolder(output_dir, fingerprint(arrays, settings), settings)
    return folder, {key: pair for key in keys if (pair := folder.load(key)) is not None}


def _train_pending(factory_config, data, specs, folder, n_jobs, verbose, strategy="independent"):
    """Train the pairs of ``specs`` with joblib; save each in ``folder`` (if any) as it arrives.

    One job per pair, or per seed for a strategy that trains a seed's pairs
    from one network. Only this process writes the folder: the workers return
    their pairs.
    """
    if not specs:
        return {}
    if strategy == "independent":
        jobs = [delayed(_train_family)(factory_config, *data, [spec], strategy) for spec in specs]
    else:
        seeds = sorted({spec.seed for spec in specs})
        jobs = [delayed(_train_family)(factory_config, *data, [s for s in specs if s.seed == seed], strategy)
                for seed in seeds]
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)
    if verbose:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(jobs), desc="sparsity sweep")
    trained = {}
    for pairs in results:
        for pair in pairs:
            if folder is not None:
                folder.save(pair)
            trained[pair.key] = pair
    return trained


def _write_outputs(result, output_dir, plot):
    """The CSV tables and, with ``plot``, the figure and its zoom on sparsities 0.8 to 1."""
    result.write_csv(output_dir)
    if plot:
        plot_sweep(result, Path(output_dir) / "sweep_loss.png")
        plot_sweep(result, Path(output_dir) / "sweep_loss_zoom.png", sparsity_range=(0.8, 1.0))
