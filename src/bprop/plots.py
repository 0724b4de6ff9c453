"""Figures of a training run: learning curves and per-layer gradient norms.

Each function takes a ``History`` (or a path to a saved one) and writes a PNG
or an SVG, chosen by the suffix of ``path``. matplotlib is imported here, with
the non-interactive Agg backend, so importing bprop never needs it.

    learning_curves(history, "curves.png")     cost and accuracy, training vs validation (and test)
    gradient_norms(history, "norms.svg")      per layer over the epochs (log scale): ||dC/db^l|| = ||delta^l||
                                              (seed 001's speed of learning) solid, ||dC_0/dw^l|| dashed
    plot_history(history, "run.png")          both, side by side
"""

from __future__ import annotations

import os

_FORMATS = (".png", ".svg")
_SETS = (("train", "training", "-"), ("val", "validation", "-"), ("test", "test", "--"))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _history(history):
    from .training import History

    if isinstance(history, History):
        return history
    return History.load(history)


def _check_path(path) -> str:
    path = os.fspath(path)
    if os.path.splitext(path)[1].lower() not in _FORMATS:
        raise ValueError(f"a figure path must end in .png or .svg, got {path!r}")
    return path


def _save(fig, path) -> str:
    """Write ``fig`` to ``path`` atomically and close it (also when saving fails); return ``path``."""
    from .io import atomic_open

    plt = _pyplot()
    suffix = os.path.splitext(path)[1].lower()
    try:
        with atomic_open(path, "wb") as f:
            fig.savefig(f, format=suffix[1:], dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


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
            ax.plot(*zip(*points), style, label=label, marker="." if len(points) < 40 else None)
            drawn = True
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if drawn:
        ax.legend()


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
                                   (key, "--", f"||dC/dw^{layer}||")):
            if name not in history:
                continue
            points = [(e, v) for e, v in zip(epochs, history[name]) if v is not None and v > 0]
            if points:
                ax.plot(*zip(*points), style, color=colour, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm (mean over sampled batches)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", ncol=2)


def learning_curves(history, path, title: str | None = None) -> str:
    """Cost and accuracy per epoch, training vs validation (and any test set); return ``path``."""
    path = _check_path(path)
    history = _history(history)
    plt = _pyplot()
    fig, (ax_cost, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    _draw_metric(ax_cost, history, "cost", "cost C")
    _draw_metric(ax_acc, history, "accuracy", "accuracy (%)", percent=True)
    ax_cost.set_title("cost")
    ax_acc.set_title("classification accuracy")
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def gradient_norms(history, path, title: str | None = None) -> str:
    """The per-layer gradient norms over training, on a log scale; return ``path``."""
    path = _check_path(path)
    history = _history(history)
    if not _norm_keys(history):
        raise ValueError("the history has no gradient norms (grad_norm_1, ...); train with grad_norm_every > 0")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    _draw_norms(ax, history)
    ax.set_title(title or "gradient norm per layer")
    return _save(fig, path)


def plot_history(history, path, title: str | None = None) -> str:
    """Cost, accuracy and (when recorded) gradient norms in one figure; return ``path``."""
    path = _check_path(path)
    history = _history(history)
    plt = _pyplot()
    has_norms = bool(_norm_keys(history))
    fig, axes = plt.subplots(1, 3 if has_norms else 2, figsize=(16 if has_norms else 11, 4))
    _draw_metric(axes[0], history, "cost", "cost C")
    axes[0].set_title("cost")
    _draw_metric(axes[1], history, "accuracy", "accuracy (%)", percent=True)
    axes[1].set_title("classification accuracy")
    if has_norms:
        _draw_norms(axes[2], history)
        axes[2].set_title("gradient norm per layer")
    if title:
        fig.suptitle(title)
    return _save(fig, path)
