"""Experiments: the article's sparsity sweep and a robustness report.

:func:`sparsity_sweep` trains one pruned MLP per (final sparsity, seed) pair and
tabulates training and validation loss against final sparsity, the article's
figure. Pairs run in parallel with joblib (so ``joblib.parallel_config(
backend="dask")`` spreads them over a cluster) and each finished pair is saved at
once, so a sweep killed half-way resumes where it stopped.

:func:`robustness_report` compares a dense MLP, the best pruned member, the mean
and stacked ensembles of pruned members and a linear baseline under input noise
and feature dropout, checks the ambiguity decomposition of the mean ensemble and
counts the input features that pruning keeps.
"""

import copy
import csv
import io
import json
import numbers
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_X_y

from .checkpoint import atomic_write, claim_folder, fingerprint
from .compact import strip
from .datasets import read_numeric_csv
from .factory import ARTICLE_HIDDEN_LAYER_SIZES, MemberSpec, PrunedMLPFactory
from .schedule import PruningSchedule

# Sizes of the ``ensembleprune sweep`` presets. "article" is the article's exact data,
# model and training; "quick" keeps its shape (a dense model that overfits, a
# validation minimum near 0.9) at a size that runs in minutes on 2 cores.
SWEEP_PRESETS = {
    "quick": dict(
        data=dict(n_samples=4000, n_features=500),
        hidden_layer_sizes=(256, 256),
        epochs=60,
        seeds=(0, 1, 2),
        sparsities=(0.0, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99),
    ),
    "article": dict(
        data=dict(n_samples=10000, n_features=1000),
        hidden_layer_sizes=ARTICLE_HIDDEN_LAYER_SIZES,
        epochs=200,
        seeds=tuple(range(10)),
        sparsities=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99),
    ),
}
SWEEP_PAIRS_DIR = "pairs"
_CSV_FLOAT_FORMAT = "{:.6e}"


# --------------------------------------------------------------------------- sweep


@dataclass(frozen=True)
class SweepPair:
    """One trained (final sparsity, seed) pair of a sweep.

    Attributes
    ----------
    final_sparsity : float
        Target sparsity of every kernel at the end of pruning.
    seed : int
        Initialisation and shuffling seed; pairs of the same seed start from the
        same weights at every sparsity.
    train_loss, val_loss : float
        MSE of the final pruned network on the training and validation rows,
        evaluated after training (the weights the network ends with).
    last_epoch_loss, last_epoch_val_loss : float
        Keras' ``loss`` and ``val_loss`` of the last epoch. ``loss`` is a running
        mean over that epoch's batches, so it can differ from ``train_loss``.
    layer_sparsity : tuple of float
        Achieved fraction of zero weights in each kernel, input to output.
    fit_seconds : float
        Wall time of training this pair.
    history : dict of str to list of float
        Per-epoch ``loss`` and ``val_loss``.
    """

    final_sparsity: float
    seed: int
    train_loss: float
    val_loss: float
    last_epoch_loss: float
    last_epoch_val_loss: float
    layer_sparsity: tuple
    fit_seconds: float
    history: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def key(self):
        return (self.final_sparsity, self.seed)


@dataclass(frozen=True)
class SweepRow:
    """Mean and standard deviation over seeds of one final sparsity.

    Standard deviations are the sample standard deviation (``ddof=1``) over seeds,
    and 0 when there is a single seed.
    """

    final_sparsity: float
    n_seeds: int
    train_loss_mean: float
    train_loss_std: float
    val_loss_mean: float
    val_loss_std: float


@dataclass
class SweepResult:
    """What :func:`sparsity_sweep` measured.

    ``pandas.DataFrame(result.rows)`` and ``pandas.DataFrame(result.pairs)`` turn
    the tables into data frames where pandas is installed.

    Attributes
    ----------
    pairs : list of SweepPair
        Every pair, sorted by final sparsity then seed.
    rows : list of SweepRow
        One row per final sparsity, in increasing order.
    trained : list of tuple (final_sparsity, seed)
        The pairs trained by this call; the others were read from ``output_dir``.
    settings : dict
        The data sizes and training settings of the sweep.
    """

    pairs: list
    rows: list
    trained: list
    settings: dict

    @classmethod
    def from_pairs(cls, pairs, trained, settings):
        pairs = sorted(pairs, key=lambda pair: pair.key)
        rows = []
        for sparsity in sorted({pair.final_sparsity for pair in pairs}):
            group = [pair for pair in pairs if pair.final_sparsity == sparsity]
            train = np.array([pair.train_loss for pair in group])
            val = np.array([pair.val_loss for pair in group])
            ddof = 1 if len(group) > 1 else 0
            rows.append(
                SweepRow(sparsity, len(group), train.mean(), train.std(ddof=ddof), val.mean(), val.std(ddof=ddof))
            )
        return cls(pairs, rows, sorted(trained), settings)

    def shape_checks(self):
        """The article's three claims, tested on this sweep's means.

        Returns
        -------
        dict with
            ``dense_over_min_val_loss``: validation loss at final sparsity 0 over
            the minimum validation loss (None without a sparsity-0 row);
            ``dense_overfits``: that ratio is at least 2;
            ``best_sparsity``: final sparsity of the minimum validation loss;
            ``minimum_in_0.85_0.98``: the minimum lies in [0.85, 0.98];
            ``train_loss_rises``: the mean training loss never falls as sparsity rises;
            ``train_loss_spearman``: rank correlation of training loss and sparsity.
        """
        from scipy.stats import spearmanr

        sparsity = np.array([row.final_sparsity for row in self.rows])
        train = np.array([row.train_loss_mean for row in self.rows])
        val = np.array([row.val_loss_mean for row in self.rows])
        best = int(np.argmin(val))
        ratio = float(val[0] / val[best]) if sparsity[0] == 0 else None
        return {
            "dense_over_min_val_loss": ratio,
            "dense_overfits": None if ratio is None else bool(ratio >= 2),
            "best_sparsity": float(sparsity[best]),
            "minimum_in_0.85_0.98": bool(0.85 <= sparsity[best] <= 0.98),
            "train_loss_rises": bool(np.all(np.diff(train) >= 0)),
            "train_loss_spearman": float(spearmanr(sparsity, train).statistic) if len(self.rows) > 2 else None,
        }

    def write_csv(self, directory):
        """Write ``sweep_summary.csv`` (per sparsity) and ``sweep_pairs.csv`` (per pair).

        Returns
        -------
        list of Path
        """
        directory = Path(directory)
        summary = directory / "sweep_summary.csv"
        columns = [f.name for f in fields(SweepRow)]
        _write_csv(summary, columns, [[getattr(row, c) for c in columns] for row in self.rows])
        pairs = directory / "sweep_pairs.csv"
        columns = [f.name for f in fields(SweepPair) if f.name != "history"]
        body = [[getattr(pair, c) for c in columns] for pair in self.pairs]
        layer_column = columns.index("layer_sparsity")
        for row in body:
            row[layer_column] = ";".join(f"{s:.6f}" for s in row[layer_column])
        _write_csv(pairs, columns, body)
        return [summary, pairs]

    def format_table(self):
        """The per-sparsity rows as an aligned text table."""
        header = f"{'final sparsity':>14} {'seeds':>5} {'train loss':>21} {'validation loss':>21}"
        lines = [header, "-" * len(header)]
        for row in self.rows:
            lines.append(
                f"{row.final_sparsity:>14.3f} {row.n_seeds:>5d} "
                f"{row.train_loss_mean:>10.3e} ± {row.train_loss_std:<8.1e} "
                f"{row.val_loss_mean:>10.3e} ± {row.val_loss_std:<8.1e}"
            )
        return "\n".join(lines)


def _write_csv(path, columns, rows):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_CSV_FLOAT_FORMAT.format(v) if isinstance(v, float) else v for v in row])
    atomic_write(path, lambda f: f.write(text.getvalue().encode()))


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
        atomic_write(self._path(pair.key), lambda f: f.write(json.dumps(asdict(pair)).encode()))


def _train_pair(factory_config, X, y, X_val, y_val, spec):
    """Train one (sparsity, seed) pair in a worker and evaluate the pruned network."""
    start = time.perf_counter()
    member = PrunedMLPFactory(**factory_config).fit_one(X, y, spec, validation_data=(X_val, y_val))
    compact = strip(member.model)
    return SweepPair(
        final_sparsity=spec.final_sparsity,
        seed=spec.seed,
        train_loss=_mse(compact.predict(X), y),
        val_loss=_mse(compact.predict(X_val), y_val),
        last_epoch_loss=member.history["loss"][-1],
        last_epoch_val_loss=member.history["val_loss"][-1],
        layer_sparsity=tuple(member.layer_sparsity),
        fit_seconds=time.perf_counter() - start,
        history=member.history,
    )


def _mse(y_pred, y_true):
    residual = np.asarray(y_pred, np.float64).reshape(len(y_true), -1) - np.asarray(y_true, np.float64).reshape(
        len(y_true), -1
    )
    return float(np.mean(residual**2))


def _check_sparsities(sparsities):
    values = np.asarray(sparsities, dtype=float).ravel()
    if values.size == 0 or not np.all((values >= 0) & (values < 1)):
        raise ValueError(f"sparsities must be a non-empty sequence of numbers in [0, 1), got {sparsities!r}")
    values = sorted({float(v) for v in values})
    if len({f"{v:.6f}" for v in values}) != len(values):
        raise ValueError(f"sparsities must differ in their first 6 decimals, got {sparsities!r}")
    return values


def _check_seeds(seeds):
    seeds = list(np.atleast_1d(seeds)) if not isinstance(seeds, numbers.Integral) else list(range(seeds))
    if not seeds or not all(isinstance(s, numbers.Integral) and 0 <= s < 2**31 for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of integers in [0, 2**31) or a count, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds!r}")
    return sorted(int(s) for s in seeds)


def _sweep_data(X, y, X_val, y_val, validation_fraction, random_state):
    X, y = check_X_y(X, y, dtype=[np.float64, np.float32], multi_output=True, y_numeric=True)
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val, or neither (then a validation_fraction of X is held out)")
    if X_val is None:
        if not 0 < validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}")
        X, X_val, y, y_val = train_test_split(X, y, test_size=validation_fraction, random_state=random_state)
    else:
        X_val, y_val = check_X_y(X_val, y_val, dtype=[np.float64, np.float32], multi_output=True, y_numeric=True)
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"X_val has {X_val.shape[1]} features but X has {X.shape[1]}")
    as_2d = lambda a: np.ascontiguousarray(a, dtype=np.float32).reshape(len(a), -1)  # noqa: E731
    y, y_val = as_2d(y), as_2d(y_val)
    if y.shape[1] != y_val.shape[1]:
        raise ValueError(f"y_val has {y_val.shape[1]} outputs but y has {y.shape[1]}")
    return np.ascontiguousarray(X, np.float32), y, np.ascontiguousarray(X_val, np.float32), y_val


def sparsity_sweep(
    X,
    y,
    sparsities,
    seeds,
    *,
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
    random_state=0,
    verbose=1,
):
    """Train one pruned MLP per (final sparsity, seed) and tabulate their losses.

    The article's experiment: the same MLP pruned to each final sparsity, from
    several random initialisations, with the mean and standard deviation over
    seeds of the training and validation loss per sparsity.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Losses are MSE in the units of ``y``; scale it first to compare with the
        article (it divides features and target by their max-abs).
    sparsities : sequence of float
        Final sparsities in [0, 1); 0 trains a dense network (same wrappers, no
        pruning).
    seeds : sequence of int, or int
        Seeds of the networks, or a count ``n`` meaning ``range(n)``. The same seed
        gives the same initial weights at every sparsity.
    X_val, y_val : array-like, default=None
        Validation data. When omitted, ``validation_fraction`` of ``X`` is held out
        with ``random_state``.
    validation_fraction : float, default=0.2
    hidden_layer_sizes : tuple of int, default=(1024, 1024)
    activation : str, default="relu"
    epochs : int, default=200
    batch_size : int, default=1024
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
    random_state : int, default=0
        Seeds the validation split when ``X_val`` is omitted.
    verbose : int, default=1
        0 silent, 1 a progress bar over pairs.

    Returns
    -------
    SweepResult

    Raises
    ------
    ValueError
        On bad arguments, a pruning schedule that training cannot finish, or an
        ``output_dir`` that holds a sweep of other data or settings.
    """
    X, y, X_val, y_val = _sweep_data(X, y, X_val, y_val, validation_fraction, random_state)
    sparsities = _check_sparsities(sparsities)
    seeds = _check_seeds(seeds)
    template = PruningSchedule(0.0) if schedule is None else schedule
    if not isinstance(template, PruningSchedule):
        raise TypeError(f"schedule must be a PruningSchedule or None, got {type(schedule).__name__}")
    factory_config = dict(epochs=int(epochs), batch_size=int(batch_size), learning_rate=float(learning_rate), verbose=0)
    factory = PrunedMLPFactory(**factory_config)
    specs = {
        (sparsity, seed): MemberSpec(seed, template.with_final_sparsity(sparsity), hidden_layer_sizes, activation)
        for sparsity in sparsities
        for seed in seeds
    }
    for spec in specs.values():
        # Refuse a schedule that training cannot finish before any pair is trained.
        spec.schedule.steps(factory.steps_per_epoch(len(X)), factory.epochs)

    schedule_config = {k: v for k, v in template.get_config().items() if k != "final_sparsity"}
    settings = dict(
        n_train=len(X), n_val=len(X_val), n_features=X.shape[1], n_outputs=y.shape[1],
        hidden_layer_sizes=list(specs[sparsities[0], seeds[0]].hidden_layer_sizes), activation=activation,
        schedule=schedule_config, **{k: v for k, v in factory_config.items() if k != "verbose"},
    )
    folder = None
    found = {}
    if output_dir is not None:
        # Sparsities and seeds are left out of the fingerprint: a sweep may grow.
        folder = _SweepFolder(output_dir, fingerprint([X, y, X_val, y_val], settings), settings)
        found = {key: pair for key in specs if (pair := folder.load(key)) is not None}
    pending = [key for key in specs if key not in found]
    if verbose and found:
        print(f"sparsity_sweep: {len(found)} of {len(specs)} pairs found in {output_dir}; training the other {len(pending)}")

    jobs = (delayed(_train_pair)(factory_config, X, y, X_val, y_val, specs[key]) for key in pending)
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs) if pending else []
    if verbose and pending:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(pending), desc="sparsity sweep")
    trained = {}
    for pair in results:
        if folder is not None:
            folder.save(pair)
        trained[pair.key] = pair

    result = SweepResult.from_pairs(list(found.values()) + list(trained.values()), list(trained), settings)
    if output_dir is not None:
        result.write_csv(output_dir)
        if plot:
            plot_sweep(result, Path(output_dir) / "sweep_loss.png")
            plot_sweep(result, Path(output_dir) / "sweep_loss_zoom.png", sparsity_range=(0.8, 1.0))
    return result


def plot_sweep(result, path, sparsity_range=(0.0, 1.0), title=None):
    """Plot training and validation loss against final sparsity (the article's figure).

    Mean over seeds as lines, ±1 standard deviation as bands, log-scale losses.

    Parameters
    ----------
    result : SweepResult
    path : str or Path
        PNG file to write.
    sparsity_range : tuple of float, default=(0.0, 1.0)
        Final sparsities shown; ``(0.8, 1.0)`` gives the article's zoom.
    title : str, default=None

    Returns
    -------
    Path
    """
    from matplotlib.figure import Figure

    low, high = sparsity_range
    rows = [row for row in result.rows if low <= row.final_sparsity <= high]
    if not rows:
        raise ValueError(f"no swept sparsity lies in {sparsity_range}; widen sparsity_range")
    sparsity = np.array([row.final_sparsity for row in rows])
    figure = Figure(figsize=(6.4, 4.2), dpi=100, layout="constrained")
    axes = figure.subplots()
    for name, color in (("train", "tab:blue"), ("val", "tab:orange")):
        mean = np.array([getattr(row, f"{name}_loss_mean") for row in rows])
        std = np.array([getattr(row, f"{name}_loss_std") for row in rows])
        label = "training loss" if name == "train" else "validation loss"
        axes.plot(sparsity, mean, marker="o", markersize=3, color=color, label=f"{label} (mean)")
        # A log axis cannot show mean - std <= 0; such bands stop at a tenth of the mean.
        axes.fill_between(sparsity, np.maximum(mean - std, mean / 10), mean + std, color=color, alpha=0.25,
                          linewidth=0, label="±1 std over seeds" if name == "val" else None)
    best = min(result.rows, key=lambda row: row.val_loss_mean)
    if low <= best.final_sparsity <= high:
        axes.axvline(best.final_sparsity, color="gray", linestyle=":", linewidth=1,
                     label=f"minimum validation loss ({best.final_sparsity:g})")
    axes.set_yscale("log")
    axes.set_xlim(low, high)
    axes.set_xlabel("final sparsity")
    axes.set_ylabel("MSE")
    n_seeds = max(row.n_seeds for row in rows)
    axes.set_title(title or f"loss against final sparsity ({n_seeds} seeds)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.savefig(path)
    return Path(path)


# ---------------------------------------------------------------------- robustness


def ambiguity_decomposition(member_predictions, y_true):
    """Krogh and Vedelsby's decomposition of the mean ensemble's squared error.

    With ``f_bar`` the mean of the member predictions ``f_k``, for every sample
    ``(f_bar - y)**2 = mean_k (f_k - y)**2 - mean_k (f_k - f_bar)**2``: the ensemble
    is better than its average member by exactly the members' spread (ambiguity).

    Parameters
    ----------
    member_predictions : array of shape (n_members, n_samples) or (n_members, n_samples, n_outputs)
    y_true : array of shape (n_samples,) or (n_samples, n_outputs)

    Returns
    -------
    dict with ``ensemble_mse``, ``mean_member_mse``, ``mean_ambiguity`` (all
    averaged over samples and outputs) and ``relative_error``, the identity's
    residual ``|ensemble_mse - (mean_member_mse - mean_ambiguity)|`` over
    ``mean_member_mse``.
    """
    members = np.asarray(member_predictions, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64).reshape(members.shape[1:])
    ensemble = members.mean(axis=0)
    ensemble_mse = float(np.mean((ensemble - y_true) ** 2))
    mean_member_mse = float(np.mean((members - y_true) ** 2))
    mean_ambiguity = float(np.mean((members - ensemble) ** 2))
    residual = abs(ensemble_mse - (mean_member_mse - mean_ambiguity))
    return {
        "ensemble_mse": ensemble_mse,
        "mean_member_mse": mean_member_mse,
        "mean_ambiguity": mean_ambiguity,
        "relative_error": residual / mean_member_mse if mean_member_mse > 0 else residual,
    }


def kept_input_features(member, informative):
    """How many informative and noise input features a pruned member still reads.

    An input feature is kept when its row of the first kernel has a nonzero
    weight into a hidden unit that is still alive (the member's
    ``used_features_``: :class:`~ensembleprune.CompactMLP` drops dead units and
    the features that fed only them); a feature that is not kept no longer
    affects the prediction.

    Parameters
    ----------
    member : CompactMLP
    informative : array of bool of shape (n_features,) or (n_features, n_outputs)
        True for the features that carry signal (``RegressionSplit.informative``);
        with one column per output, a feature is informative for any output.

    Returns
    -------
    dict with ``informative_kept``, ``informative_total``, ``noise_kept``,
    ``noise_total`` and ``informative_row_density``, ``noise_row_density``: the
    mean fraction of nonzero weights in the first-kernel rows of each kind, over
    the full width of the first hidden layer.
    """
    informative = np.asarray(informative, dtype=bool)
    if informative.ndim > 1:
        # Multi-output coefficients: a feature is informative for any output.
        informative = informative.any(axis=tuple(range(1, informative.ndim)))
    if informative.size != member.n_features_in_:
        raise ValueError(f"informative has {informative.size} entries but the member reads {member.n_features_in_} "
                         "features")
    kept = np.zeros(member.n_features_in_, dtype=bool)
    kept[member.used_features_] = True
    density = np.zeros(member.n_features_in_)
    density[member.used_features_] = np.count_nonzero(member.layers[0].dense_kernel(), axis=1) / member.architecture[1]
    return {
        "informative_kept": int(kept[informative].sum()),
        "informative_total": int(informative.sum()),
        "noise_kept": int(kept[~informative].sum()),
        "noise_total": int((~informative).sum()),
        "informative_row_density": float(density[informative].mean()) if informative.any() else None,
        "noise_row_density": float(density[~informative].mean()) if (~informative).any() else None,
    }


def _perturbed(X, kind, amount, repeat, feature_std, random_state):
    """``X`` with Gaussian noise of ``amount`` feature standard deviations, or a fraction of columns zeroed.

    The draw depends on ``(random_state, kind, amount, repeat)`` only, so every
    model is scored on the same perturbed copies.
    """
    rng = np.random.default_rng([random_state, ("noise", "dropout").index(kind), int(round(amount * 1e6)), repeat])
    if kind == "noise":
        return (X + amount * feature_std * rng.standard_normal(X.shape)).astype(X.dtype)
    dropped = rng.choice(X.shape[1], size=int(round(amount * X.shape[1])), replace=False)
    X = X.copy()
    X[:, dropped] = 0
    return X


def robustness_report(
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    coef=None,
    sparsities=(0.8, 0.9, 0.95, 0.98),
    seeds=(0, 1, 2),
    hidden_layer_sizes=ARTICLE_HIDDEN_LAYER_SIZES,
    epochs=100,
    batch_size=1024,
    learning_rate=1e-3,
    cv=3,
    noise_levels=(0.0, 0.1, 0.2, 0.5, 1.0),
    dropout_fractions=(0.0, 0.05, 0.1, 0.2, 0.4),
    n_repeats=3,
    output_dir=None,
    random_state=0,
    verbose=0,
):
    """Test MSE of dense, pruned, ensembled and linear models under perturbed inputs.

    For every seed it fits a dense MLP (final sparsity 0), a stacked
    :class:`~ensembleprune.PrunedEnsembleRegressor` with one member per sparsity,
    the mean ensemble of the same members, and once a ``RidgeCV`` baseline. The
    best single pruned member is the one with the lowest clean test MSE: an oracle
    choice that flatters it against the ensembles.

    Parameters
    ----------
    X_train : array-like of shape (n_samples, n_features)
    y_train : array-like of shape (n_samples,)
        Training data. One output only: the report compares and picks models by
        MSE, and an MSE averaged over outputs in different units would mostly
        measure the output with the largest scale. For several outputs, call it
        once per column.
    X_test : array-like of shape (n_test_samples, n_features)
    y_test : array-like of shape (n_test_samples,)
        Held-out data every model is scored on.
    coef : array of shape (n_features,), default=None
        True coefficients of the output (``RegressionSplit.coef``); when given,
        the report counts the informative (``coef != 0``) and noise features each
        member's pruned first layer keeps.
    sparsities : sequence of float, default=(0.8, 0.9, 0.95, 0.98)
        One member per final sparsity.
    seeds : sequence of int or int, default=(0, 1, 2)
        ``random_state`` of each repetition (or a count); the spread over seeds
        is reported.
    hidden_layer_sizes, epochs, batch_size, learning_rate
        Of every MLP.
    cv : int, default=3
        Folds of the stacked ensemble's out-of-fold predictions.
    noise_levels : sequence of float, default=(0.0, 0.1, 0.2, 0.5, 1.0)
        Standard deviation of the Gaussian noise added to each test feature, in
        units of that feature's training standard deviation.
    dropout_fractions : sequence of float, default=(0.0, 0.05, 0.1, 0.2, 0.4)
        Fraction of the features (columns) set to zero in the test data.
    n_repeats : int, default=3
        Random draws of each noise level and dropout fraction; their MSEs are averaged.
    output_dir : str or Path, default=None
        Where ``robustness.json`` and ``robustness.png`` are written.
    random_state : int, default=0
        Seeds the perturbations.
    verbose : int, default=0

    Returns
    -------
    dict
        The report, as written to ``robustness.json``: ``config``, ``models``,
        ``clean`` (test MSE per model: mean, std and values over seeds),
        ``noise`` and ``dropout`` (levels and per-model mean and std over seeds),
        ``ambiguity`` (per seed), and ``kept_features`` (per seed and member;
        only with ``coef``).

    Raises
    ------
    ValueError
        On bad arguments, among them a ``y_train`` or ``y_test`` with several
        outputs.
    RuntimeError
        If the ambiguity decomposition does not hold to 1e-10 relative (a bug:
        it is an identity).
    """
    from sklearn.linear_model import RidgeCV

    from .ensemble import PrunedEnsembleRegressor

    for name, values in (("y_train", y_train), ("y_test", y_test)):
        shape = np.shape(values)
        if len(shape) == 2 and shape[1] > 1:
            raise ValueError(f"{name} has shape {shape}, {shape[1]} outputs; robustness_report scores one output: "
                             f"call it once per column, e.g. with {name}[:, 0]")
    X_train, y_train = check_X_y(X_train, y_train, dtype=[np.float64, np.float32], y_numeric=True)
    X_test, y_test = check_X_y(X_test, y_test, dtype=[np.float64, np.float32], y_numeric=True)
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(f"X_test has {X_test.shape[1]} features but X_train has {X_train.shape[1]}")
    sparsities = _check_sparsities(sparsities)
    seeds = _check_seeds(seeds)
    for name, values, upper in (("noise_levels", noise_levels, np.inf), ("dropout_fractions", dropout_fractions, 1)):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size == 0 or np.any(values < 0) or np.any(values > upper):
            raise ValueError(f"{name} must be a non-empty sequence of numbers in [0, {upper}], got {values!r}")
    if coef is not None:
        coef = check_array(coef, ensure_2d=False)
        if coef.ndim == 2 and coef.shape[1] == 1:
            coef = coef.ravel()  # the one output's coefficients, as a column
        if coef.shape != (X_train.shape[1],):
            raise ValueError(f"coef has shape {coef.shape}; expected ({X_train.shape[1]},), one coefficient per "
                             "feature of X_train for the one output")

    common = dict(hidden_layer_sizes=hidden_layer_sizes, epochs=epochs, batch_size=batch_size,
                  learning_rate=learning_rate)
    models = ["dense MLP", "best pruned member", "mean ensemble", "stacked ensemble", "RidgeCV (linear)"]
    ridge = RidgeCV(alphas=np.logspace(-6, 3, 10)).fit(X_train, y_train)
    feature_std = X_train.std(axis=0)
    perturbations = [("noise", level) for level in noise_levels] + [("dropout", f) for f in dropout_fractions]
    scores = {key: {model: [] for model in models} for key in perturbations}
    clean = {model: [] for model in models}
    ambiguity, kept = [], []
    seeds_iter = seeds
    if verbose:
        from tqdm.auto import tqdm

        seeds_iter = tqdm(seeds, desc="robustness seeds")
    for seed in seeds_iter:
        dense = PrunedEnsembleRegressor(n_members=1, sparsities=[0.0], random_state=seed, **common)
        dense.fit(X_train, y_train)
        stacked = PrunedEnsembleRegressor(n_members=len(sparsities), sparsities=sparsities, combine="stack", cv=cv,
                                          random_state=seed, **common).fit(X_train, y_train)
        # Same random_state, same members: the mean ensemble shares the stacked one's
        # fitted members instead of training them again.
        mean = copy.copy(stacked).set_params(combine="mean")
        member_test = stacked.predict_members(X_test)
        best = int(np.argmin([_mse(p, y_test) for p in member_test]))
        predictors = {
            "dense MLP": dense.predict,
            "best pruned member": lambda X, s=stacked, b=best: s.predict_members(X)[b],
            "mean ensemble": mean.predict,
            "stacked ensemble": stacked.predict,
            "RidgeCV (linear)": ridge.predict,
        }
        for model, predict in predictors.items():
            clean[model].append(_mse(predict(X_test), y_test))
        for kind, amount in perturbations:
            copies = [_perturbed(X_test, kind, amount, r, feature_std, random_state) for r in range(n_repeats)]
            for model, predict in predictors.items():
                scores[kind, amount][model].append(float(np.mean([_mse(predict(Xp), y_test) for Xp in copies])))

        decomposition = ambiguity_decomposition(member_test, y_test)
        # Tie the identity to the estimator: its mean combiner must be the mean of its members.
        decomposition["estimator_mse"] = clean["mean ensemble"][-1]
        if not (decomposition["relative_error"] <= 1e-10
                and abs(decomposition["estimator_mse"] - decomposition["ensemble_mse"])
                <= 1e-10 * decomposition["mean_member_mse"]):
            raise RuntimeError(f"the ambiguity decomposition does not hold for seed {seed}: {decomposition}")
        ambiguity.append(dict(seed=seed, **decomposition))
        if coef is not None:
            for member, sparsity in zip(stacked.members_, stacked.member_sparsities_):
                kept.append(dict(seed=seed, final_sparsity=float(sparsity), **kept_input_features(member, coef != 0)))

    def spread(values):
        values = np.asarray(values, dtype=float)
        return {"mean": float(values.mean()), "std": float(values.std(ddof=1 if values.size > 1 else 0)),
                "values": values.tolist()}

    report = {
        "config": dict(n_train=len(X_train), n_test=len(X_test), n_features=X_train.shape[1],
                       sparsities=sparsities, seeds=seeds, cv=cv, n_repeats=n_repeats,
                       noise_unit="training standard deviation of each feature",
                       best_member_choice="lowest clean test MSE (oracle)",
                       ridge_alpha=float(ridge.alpha_), **dict(common, hidden_layer_sizes=list(hidden_layer_sizes))),
        "models": models,
        "clean": {model: spread(clean[model]) for model in models},
        "noise": {"levels": [float(v) for v in noise_levels],
                  "mse": {m: [spread(scores["noise", v][m]) for v in noise_levels] for m in models}},
        "dropout": {"fractions": [float(v) for v in dropout_fractions],
                    "mse": {m: [spread(scores["dropout", v][m]) for v in dropout_fractions] for m in models}},
        "ambiguity": ambiguity,
        "kept_features": kept if coef is not None else None,
    }
    if output_dir is not None:
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(output_dir / "robustness.json", lambda f: f.write(json.dumps(report, indent=2).encode()))
        plot_robustness(report, output_dir / "robustness.png")
    return report


def plot_robustness(report, path):
    """Plot test MSE against input noise and against feature dropout, one line per model.

    Parameters
    ----------
    report : dict
        From :func:`robustness_report`.
    path : str or Path
        PNG file to write.

    Returns
    -------
    Path
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4.2), dpi=100, layout="constrained")
    panels = figure.subplots(1, 2, sharey=True)
    for axes, (kind, levels_key, xlabel) in zip(panels, [
        ("noise", "levels", "Gaussian input noise (× feature std)"),
        ("dropout", "fractions", "fraction of features set to zero"),
    ]):
        levels = np.array(report[kind][levels_key])
        for model in report["models"]:
            mean = np.array([cell["mean"] for cell in report[kind]["mse"][model]])
            std = np.array([cell["std"] for cell in report[kind]["mse"][model]])
            (line,) = axes.plot(levels, mean, marker="o", markersize=3, label=model)
            axes.fill_between(levels, np.maximum(mean - std, mean / 10), mean + std, color=line.get_color(),
                              alpha=0.2, linewidth=0)
        axes.set_yscale("log")
        axes.set_xlabel(xlabel)
        axes.grid(True, which="both", alpha=0.3)
    panels[0].set_ylabel("test MSE (mean ± std over seeds)")
    panels[1].legend(fontsize="small")
    n_seeds = len(report["config"]["seeds"])
    figure.suptitle(f"robustness: {report['config']['n_features']} features, {n_seeds} seeds")
    figure.savefig(path)
    return Path(path)


# --------------------------------------------------------------------------- data


def load_experiment_data(data=None, target=None, dataset="article", n_samples=10000, n_features=1000,
                         random_state=0):
    """The data of an experiment: a CSV file, the article's regression, or wide Friedman #1.

    Parameters
    ----------
    data : str or Path, default=None
        A numeric CSV file with a header (see :func:`load_csv`). Features and
        target are divided by their max-abs, as the article does, so losses are
        comparable across data sets; the rows are split 80/20 with
        ``random_state=42``.
    target : str, default=None
        The target column of ``data``; required with it.
    dataset : {"article", "friedman"}, default="article"
        Used when ``data`` is None: :func:`~ensembleprune.make_article_regression`
        (half of the features informative) or
        :func:`~ensembleprune.make_wide_friedman`.
    n_samples, n_features : int, default=10000, 1000
        Sizes of the generated data set.
    random_state : int, default=0
        Seeds the generated data set.

    Returns
    -------
    RegressionSplit
        ``coef`` is None for CSV data.
    """
    from .datasets import make_article_regression, make_wide_friedman, max_abs_split

    if data is None:
        if target is not None:
            raise ValueError("target names a column of a CSV file; give the file too (data)")
        if dataset == "article":
            return make_article_regression(n_samples=n_samples, n_features=n_features,
                                           n_informative=n_features // 2, random_state=random_state)
        if dataset == "friedman":
            return make_wide_friedman(n_samples=n_samples, n_features=n_features, random_state=random_state)
        raise ValueError(f"dataset must be 'article' or 'friedman', got {dataset!r}")
    if target is None:
        raise ValueError(f"give the name of the target column of {data} (target)")
    X, y, _ = load_csv(data, target)
    return max_abs_split(X, y)


def load_csv(path, target):
    """Read a numeric CSV file with a header row into ``(X, y, feature_names)``.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the target column; every other column is a feature.

    Raises
    ------
    ValueError
        If the target column is missing, or a cell is empty or not a number.
    """
    header, data = read_numeric_csv(path)
    if target not in header:
        raise ValueError(f"target column {target!r} is not in {path}; its columns are {header}")
    if len(data) < 2:
        raise ValueError(f"{path} holds {len(data)} data rows; need at least 2")
    column = header.index(target)
    return np.delete(data, column, axis=1), data[:, column], [name for name in header if name != target]

