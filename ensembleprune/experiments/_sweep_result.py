"""What a sparsity sweep measured: :class:`SweepPair`, :class:`SweepRow` and :class:`SweepResult`.

One pair per (final sparsity, seed), one row per final sparsity (mean and
standard deviation over seeds), and the result's CSV tables, text table and
the article's shape checks. :func:`~ensembleprune.experiments.sparsity_sweep`
makes them (``sweep.py``).
"""

import csv
import io
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from .._files import atomic_write

_CSV_FLOAT_FORMAT = "{:.6e}"


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
        MSE (regression) or log-loss (classification) of the final pruned
        network on the training and validation rows, evaluated after training
        (the weights the network ends with).
    last_epoch_loss, last_epoch_val_loss : float
        Keras' ``loss`` and ``val_loss`` of the last epoch. ``loss`` is a running
        mean over that epoch's batches, so it can differ from ``train_loss``.
    layer_sparsity : tuple of float
        Achieved fraction of zero weights in each kernel, input to output.
    fit_seconds : float
        Wall time of training this pair.
    history : dict of str to list of float
        Per-epoch ``loss`` and ``val_loss``.
    train_accuracy, val_accuracy : float or None
        Accuracy on the training and validation rows (classification only).
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
    train_accuracy: float = None
    val_accuracy: float = None

    @property
    def key(self):
        return (self.final_sparsity, self.seed)


@dataclass(frozen=True)
class SweepRow:
    """Mean and standard deviation over seeds of one final sparsity.

    Standard deviations are the sample standard deviation (``ddof=1``) over seeds,
    and 0 when there is a single seed. Losses are MSE or log-loss as in
    :class:`SweepPair`; the accuracies are None for regression.
    """

    final_sparsity: float
    n_seeds: int
    train_loss_mean: float
    train_loss_std: float
    val_loss_mean: float
    val_loss_std: float
    train_accuracy_mean: float = None
    train_accuracy_std: float = None
    val_accuracy_mean: float = None
    val_accuracy_std: float = None


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
        The data sizes and training settings of the sweep; for class labels
        also ``task`` ("classification") and ``classes``.
    """

    pairs: list
    rows: list
    trained: list
    settings: dict

    @property
    def task(self):
        """``"regression"`` or ``"classification"``."""
        return self.settings.get("task", "regression")

    @classmethod
    def from_pairs(cls, pairs, trained, settings):
        pairs = sorted(pairs, key=lambda pair: pair.key)
        rows = []
        for sparsity in sorted({pair.final_sparsity for pair in pairs}):
            group = [pair for pair in pairs if pair.final_sparsity == sparsity]
            ddof = 1 if len(group) > 1 else 0
            measured = ("train_loss", "val_loss")
            if group[0].train_accuracy is not None:
                measured += ("train_accuracy", "val_accuracy")
            stats = {}
            for name in measured:
                values = np.array([getattr(pair, name) for pair in group])
                stats[f"{name}_mean"], stats[f"{name}_std"] = values.mean(), values.std(ddof=ddof)
            rows.append(SweepRow(sparsity, len(group), **stats))
        return cls(pairs, rows, sorted(trained), settings)

    def shape_checks(self):
        """The article's three claims, tested on this sweep's means.

        For classification the same shape is tested on the log-loss.

        Returns
        -------
        dict with
            ``dense_over_min_val_loss``: validation loss at final sparsity 0 over
            the minimum validation loss (None without a sparsity-0 row);
            ``dense_overfits``: the dense model's mean validation loss is at
            least twice its mean training loss (None without a sparsity-0 row);
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
            # Overfitting is a training loss well below the validation loss, not a high validation loss.
            "dense_overfits": None if ratio is None else bool(val[0] >= 2 * train[0]),
            "best_sparsity": float(sparsity[best]),
            "minimum_in_0.85_0.98": bool(0.85 <= sparsity[best] <= 0.98),
            "train_loss_rises": bool(np.all(np.diff(train) >= 0)),
            "train_loss_spearman": float(spearmanr(sparsity, train).statistic) if len(self.rows) > 2 else None,
        }

    def write_csv(self, directory):
        """Write ``sweep_summary.csv`` (per sparsity) and ``sweep_pairs.csv`` (per pair).

        Classification adds the accuracy columns.

        Returns
        -------
        list of Path
        """
        directory = Path(directory)
        summary = directory / "sweep_summary.csv"
        columns = self._columns(SweepRow)
        _write_csv(summary, columns, [[getattr(row, c) for c in columns] for row in self.rows])
        pairs = directory / "sweep_pairs.csv"
        columns = [name for name in self._columns(SweepPair) if name != "history"]
        body = [[getattr(pair, c) for c in columns] for pair in self.pairs]
        layer_column = columns.index("layer_sparsity")
        for row in body:
            row[layer_column] = ";".join(f"{s:.6f}" for s in row[layer_column])
        _write_csv(pairs, columns, body)
        return [summary, pairs]

    def _columns(self, table):
        """The fields of ``table`` (SweepRow or SweepPair) this sweep fills: no accuracy for regression."""
        names = [f.name for f in fields(table)]
        return names if self.task == "classification" else [name for name in names if "accuracy" not in name]

    def format_table(self):
        """The per-sparsity rows as an aligned text table (with the accuracies for classification)."""
        classify = self.task == "classification"
        loss = "log-loss" if classify else "loss"
        header = f"{'final sparsity':>14} {'seeds':>5} {'train ' + loss:>21} {'validation ' + loss:>21}"
        if classify:
            header += f" {'train accuracy':>15} {'validation accuracy':>19}"
        lines = [header, "-" * len(header)]
        for row in self.rows:
            line = (f"{row.final_sparsity:>14.3f} {row.n_seeds:>5d} "
                    f"{row.train_loss_mean:>10.3e} ± {row.train_loss_std:<8.1e} "
                    f"{row.val_loss_mean:>10.3e} ± {row.val_loss_std:<8.1e}")
            if classify:
                line += (f" {row.train_accuracy_mean:>7.3f} ± {row.train_accuracy_std:<5.3f}"
                         f" {row.val_accuracy_mean:>11.3f} ± {row.val_accuracy_std:<5.3f}")
            lines.append(line)
        return "\n".join(lines)


def _write_csv(path, columns, rows):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_CSV_FLOAT_FORMAT.format(v) if isinstance(v, float) else v for v in row])
    atomic_write(path, lambda f: f.write(text.getvalue().encode()))
