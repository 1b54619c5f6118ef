"""The figures of the experiments: :func:`plot_sweep`, :func:`plot_robustness` and :func:`plot_intervals`.

All draw on a ``matplotlib.figure.Figure`` (no pyplot, no display needed) and
write a PNG file.
"""

from pathlib import Path

import numpy as np


def plot_sweep(result, path, sparsity_range=(0.0, 1.0), title=None):
    """Plot training and validation loss against final sparsity (the article's figure).

    Mean over seeds as lines, ±1 standard deviation as bands, log-scale losses
    (MSE, or log-loss for classification, whose accuracies get a second panel
    below).

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
    classify = result.task == "classification"
    figure = Figure(figsize=(6.4, 7.6 if classify else 4.2), dpi=100, layout="constrained")
    panels = figure.subplots(2 if classify else 1, 1, sharex=True, squeeze=False)[:, 0]
    axes = panels[0]
    _sweep_bands(axes, sparsity, rows, "loss", "log-loss" if classify else "loss", log_scale=True)
    if classify:
        _sweep_bands(panels[1], sparsity, rows, "accuracy", "accuracy", log_scale=False)
        panels[1].set_ylabel("accuracy")
        panels[1].grid(True, alpha=0.3)
        panels[1].legend(fontsize="small")
    best = min(result.rows, key=lambda row: row.val_loss_mean)
    if low <= best.final_sparsity <= high:
        axes.axvline(best.final_sparsity, color="gray", linestyle=":", linewidth=1,
                     label=f"minimum validation loss ({best.final_sparsity:g})")
    axes.set_yscale("log")
    axes.set_xlim(low, high)
    panels[-1].set_xlabel("final sparsity")
    axes.set_ylabel("log-loss" if classify else "MSE")
    n_seeds = max(row.n_seeds for row in rows)
    axes.set_title(title or f"loss against final sparsity ({n_seeds} seeds)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.savefig(path)
    return Path(path)


def _sweep_bands(axes, sparsity, rows, quantity, noun, log_scale):
    """Training and validation ``quantity`` of ``rows``: means as lines, ±1 std over seeds as bands."""
    for name, color in (("train", "tab:blue"), ("val", "tab:orange")):
        mean = np.array([getattr(row, f"{name}_{quantity}_mean") for row in rows])
        std = np.array([getattr(row, f"{name}_{quantity}_std") for row in rows])
        label = f"training {noun}" if name == "train" else f"validation {noun}"
        axes.plot(sparsity, mean, marker="o", markersize=3, color=color, label=f"{label} (mean)")
        axes.fill_between(sparsity, _band_floor(mean, std, log_scale), mean + std, color=color, alpha=0.25,
                          linewidth=0, label="±1 std over seeds" if name == "val" else None)


def _band_floor(mean, std, log_scale):
    """The lower edge of a ±1 std band; a log axis cannot show mean - std <= 0: there, a tenth of the mean at least."""
    return np.maximum(mean - std, mean / 10) if log_scale else mean - std


# The y-axis label of each score of a robustness report; accuracy alone is drawn on a linear axis.
_SCORE_LABELS = {"mse": "test MSE", "accuracy": "test accuracy", "log_loss": "test log-loss"}


def plot_robustness(report, path):
    """Plot test scores against input noise and against feature dropout, one line per model.

    One row of two panels per score: MSE for regression, accuracy and log-loss
    for classification.

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

    scores = [key for key in report["noise"] if key != "levels"]
    figure = Figure(figsize=(11, 4.2 * len(scores)), dpi=100, layout="constrained")
    panels = figure.subplots(len(scores), 2, sharey="row", squeeze=False)
    for row, score in zip(panels, scores):
        log_scale = score != "accuracy"
        for axes, (kind, levels_key, xlabel) in zip(row, [
            ("noise", "levels", "Gaussian input noise (× feature std)"),
            ("dropout", "fractions", "fraction of features set to zero"),
        ]):
            levels = np.array(report[kind][levels_key])
            for model in report["models"]:
                mean = np.array([cell["mean"] for cell in report[kind][score][model]])
                std = np.array([cell["std"] for cell in report[kind][score][model]])
                (line,) = axes.plot(levels, mean, marker="o", markersize=3, label=model)
                axes.fill_between(levels, _band_floor(mean, std, log_scale), mean + std, color=line.get_color(),
                                  alpha=0.2, linewidth=0)
            axes.set_yscale("log" if log_scale else "linear")
            axes.set_xlabel(xlabel)
            axes.grid(True, which="both", alpha=0.3)
        row[0].set_ylabel(f"{_SCORE_LABELS.get(score, score)} (mean ± std over seeds)")
    panels[0, 1].legend(fontsize="small")
    n_seeds = len(report["config"]["seeds"])
    figure.suptitle(f"robustness: {report['config']['n_features']} features, {n_seeds} seeds")
    figure.savefig(path)
    return Path(path)


def plot_intervals(report, path):
    """Plot the coverage and mean width of the report's conformal intervals against noise and dropout.

    Two rows of two panels: coverage (with the nominal level as a dotted line)
    and mean width, against input noise and against feature dropout; one line
    per kind of conformity score, ±1 std over seeds as bands.

    Parameters
    ----------
    report : dict
        From :func:`robustness_report` on a regression target (its ``intervals``).
    path : str or Path
        PNG file to write.

    Returns
    -------
    Path
    """
    from matplotlib.figure import Figure

    intervals = report["intervals"]
    figure = Figure(figsize=(11, 8), dpi=100, layout="constrained")
    panels = figure.subplots(2, 2, sharey="row")
    for column, (kind, levels_key, xlabel) in enumerate([
        ("noise", "levels", "Gaussian input noise (× feature std)"),
        ("dropout", "fractions", "fraction of features set to zero"),
    ]):
        levels = np.array(intervals[kind][levels_key])
        for row, metric in enumerate(("coverage", "mean_width")):
            axes = panels[row, column]
            for scores in ("absolute", "normalized"):
                mean = np.array([cell["mean"] for cell in intervals[kind][scores][metric]])
                std = np.array([cell["std"] for cell in intervals[kind][scores][metric]])
                (line,) = axes.plot(levels, mean, marker="o", markersize=3, label=f"{scores} scores")
                axes.fill_between(levels, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0)
            if metric == "coverage":
                axes.axhline(intervals["confidence"], color="gray", linestyle=":", linewidth=1, label="nominal")
            axes.set_xlabel(xlabel)
            axes.grid(True, alpha=0.3)
    panels[0, 0].set_ylabel("coverage (mean ± std over seeds)")
    panels[1, 0].set_ylabel("mean interval width")
    panels[0, 1].legend(fontsize="small")
    figure.suptitle(f"{intervals['confidence']:.0%} conformal intervals of the {intervals['model']} "
                    f"({len(report['config']['seeds'])} seeds; calibrated on clean rows)")
    figure.savefig(path)
    return Path(path)
