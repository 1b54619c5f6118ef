"""The figures of the experiments: :func:`plot_sweep` and :func:`plot_robustness`.

Both draw on a ``matplotlib.figure.Figure`` (no pyplot, no display needed) and
write a PNG file.
"""

from pathlib import Path

import numpy as np


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
