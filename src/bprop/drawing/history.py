"""Figures of a training run: learning curves and per-layer gradient norms.

Each function takes a ``History`` (or a path to a saved one) and writes a PNG, an
SVG or a PDF, chosen by the suffix of ``path`` (``figures.save_figure``). matplotlib is
imported inside the functions, so importing bprop never needs it, and pyplot never: the
figures are plain ``Figure`` objects.

    learning_curves(history, "curves.png")     cost and accuracy, training vs validation (and test)
    gradient_norms(history, "norms.svg")      per layer over the epochs (log scale): ||dC/db^l|| = ||delta^l||
                                              (seed 001's speed of learning) solid, ||dC_0/dw^l|| dashed
    plot_history(history, "run.png")          both, side by side

``learning_curves_figure``, ``gradient_norms_figure`` and ``history_figure`` return the
same figures as matplotlib ``Figure`` objects instead of writing them (for a notebook).
Epochs are labelled in whole numbers, and the panels use constrained layout, so no
label runs into the next panel.
"""

from __future__ import annotations

import os

from .figures import new_figure, picture_format, save_figure

_SETS = (("train", "training", "-"), ("val", "validation", "-"), ("test", "test", "--"))


def _history(history):
    from ..training import History

    if isinstance(history, History):
        return history
    return History.load(history)


def _save(fig, path) -> str:
    """Write ``fig`` to ``path`` (``figures.save_figure``, PNG at 100 dpi); return ``path``."""
    return save_figure(fig, os.fspath(path), dpi=100)


def _epoch_axis(ax) -> None:
    """Label the x axis in whole epochs (matplotlib would put ticks at 1.5, 2.5 on a short run)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # one epoch: the tick 1
    ax.set_xlabel("epoch")


def _plain_log_labels(ax) -> None:
    """Tick labels of a log y axis as plain numbers (0.2, 0.5, 1) instead of 2x10^-1: norms
    often span less than a decade, where matplotlib labels the minor ticks too."""
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        # matplotlib's choice of which ticks get a label, written as 0.05 rather than 5e-02
        def __call__(self, value, pos=None):
            return f"{value:g}" if super().__call__(value, pos) else ""

    ax.yaxis.set_major_formatter(PlainLogFormatter())
    ax.yaxis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))


def _figure(panels: int, title: str | None):
    """A row of ``panels`` axes whose labels never run into each other (constrained layout)."""
    fig = new_figure(figsize=(5.5 * panels, 4), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)
    if title:
        fig.suptitle(title)
    return fig, list(axes[0])


#: Runs shorter than this many epochs mark each point (a one-epoch run is a lone point).
MARKED_BELOW_EPOCHS = 40


def _marker(points) -> str | None:
    return "." if len(points) < MARKED_BELOW_EPOCHS else None


def _epochs(history) -> list:
    if not len(history):
        raise ValueError("the history is empty: nothing to plot")
    return history["epoch"] if "epoch" in history else list(range(1, len(history) + 1))


def _draw_metric(ax, history, metric: str, ylabel: str, percent: bool = False) -> None:
    epochs = _epochs(history)
    drawn = False
    for prefix, label, style in _SETS:
        key = f"{prefix}_{metric}"
        if key not in history:
            continue
        points = [(e, v * 100 if percent else v) for e, v in zip(epochs, history[key]) if v is not None]
        if points:
            ax.plot(*zip(*points), style, label=label, marker=_marker(points))
            drawn = True
    _epoch_axis(ax)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if drawn:
        ax.legend()


def _draw_score(ax, history) -> None:
    """The second panel: classification accuracy, or R² for a regression history (no accuracy)."""
    if any(f"{prefix}_accuracy" in history for prefix, _, _ in _SETS):
        _draw_metric(ax, history, "accuracy", "accuracy (%)", percent=True)
        ax.set_title("classification accuracy")
    else:
        _draw_metric(ax, history, "r2", "R² (1 is a perfect fit)")
        ax.set_title("regression R²")


def _norm_keys(history, prefix="grad_norm_") -> list[str]:
    keys = [key for key in history.keys if key.startswith(prefix)]
    return sorted(keys, key=lambda key: int(key.rsplit("_", 1)[1]))


def _draw_norms(ax, history) -> None:
    """||delta^l|| = ||dC/db^l|| solid (when recorded), ||dC_0/dw^l|| dashed, one colour per layer."""
    epochs = _epochs(history)
    colours = [f"C{index}" for index in range(10)]
    for index, key in enumerate(_norm_keys(history)):
        layer = key.rsplit("_", 1)[1]
        colour = colours[index % len(colours)]
        for name, style, label in ((f"delta_norm_{layer}", "-", f"||dC/db^{layer}||"),
                                   (key, "--", f"||dC_0/dw^{layer}||")):  # the data cost's (norms.py)
            if name not in history:
                continue
            points = [(e, v) for e, v in zip(epochs, history[name]) if v is not None and v > 0]
            if points:
                ax.plot(*zip(*points), style, color=colour, label=label, marker=_marker(points))
    ax.set_yscale("log")
    _plain_log_labels(ax)
    _epoch_axis(ax)
    ax.set_ylabel("gradient norm\n(mean over sampled batches)")
    ax.grid(True, which="both", alpha=0.3)
    # Outside the axes, on the right: inside it would cover some of the 2 lines per layer.
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def confusion_matrix_figure(matrix, labels, title: str | None = None):
    """A confusion matrix (rows: true class, columns: predicted) as a matplotlib Figure."""
    from sklearn.metrics import ConfusionMatrixDisplay

    side = 2.0 + 0.7 * len(labels)
    fig = new_figure(figsize=(side, side), layout="constrained")
    ax = fig.add_subplot()
    ConfusionMatrixDisplay(matrix, display_labels=[str(label) for label in labels]).plot(
        ax=ax, colorbar=False, xticks_rotation=45)
    ax.set_title(title or "confusion matrix")
    return fig


def learning_curves(history, path, title: str | None = None) -> str:
    """Cost and accuracy (R² for regression) per epoch, training vs validation (and any test
    set); return ``path``."""
    picture_format(path)  # before any drawing
    return _save(learning_curves_figure(history, title), path)


def gradient_norms(history, path, title: str | None = None) -> str:
    """The per-layer gradient norms over training, on a log scale; return ``path``."""
    picture_format(path)  # before any drawing
    return _save(gradient_norms_figure(history, title), path)


def plot_history(history, path, title: str | None = None) -> str:
    """Cost, accuracy and (when recorded) gradient norms in one figure; return ``path``."""
    picture_format(path)  # before any drawing
    return _save(history_figure(history, title), path)


# -- the figures themselves (matplotlib Figure objects, for a notebook or further drawing) --


def learning_curves_figure(history, title: str | None = None):
    """The ``learning_curves`` figure, not saved: a matplotlib Figure."""
    history = _history(history)
    _epochs(history)  # an empty history is an error before any figure exists
    fig, (ax_cost, ax_acc) = _figure(2, title)
    _draw_metric(ax_cost, history, "cost", "cost C")
    _draw_score(ax_acc, history)
    ax_cost.set_title("cost")
    return fig


def gradient_norms_figure(history, title: str | None = None):
    """The ``gradient_norms`` figure, not saved: a matplotlib Figure."""
    history = _history(history)
    if not _norm_keys(history):
        raise ValueError("the history has no gradient norms (grad_norm_1, ...); train with grad_norm_every > 0")
    fig, (ax,) = _figure(1, None)
    _draw_norms(ax, history)
    ax.set_title(title or "gradient norm per layer")
    return fig


def history_figure(history, title: str | None = None):
    """The ``plot_history`` figure, not saved: a matplotlib Figure."""
    history = _history(history)
    _epochs(history)
    has_norms = bool(_norm_keys(history))
    fig, axes = _figure(3 if has_norms else 2, title)
    _draw_metric(axes[0], history, "cost", "cost C")
    axes[0].set_title("cost")
    _draw_score(axes[1], history)
    if has_norms:
        _draw_norms(axes[2], history)
        axes[2].set_title("gradient norm per layer")
    return fig
