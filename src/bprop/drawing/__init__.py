"""Every picture bprop draws, in one place (matplotlib, imported only when drawing).

    network.py       a small network: neurons in columns, weights as lines (``draw_network``;
                     ``bprop draw``), with activations and ∂C/∂w of one backward pass
    history.py       a training run: learning curves, per-layer gradient norms, a confusion
                     matrix (``plot_history``, ``learning_curves``, ``gradient_norms``; ``bprop plot``)
    graph.py         a scalar computational graph (``bprop.graph``), every node with its value
                     and gradient (``render``, ``to_dot``; ``bprop graph``)
    graph_layout.py  the layered left-to-right layout of such a graph, without matplotlib
    figures.py       writing any of them to a file (``save_figure``): atomic, deterministic,
                     the format from the suffix

The explain command's step-by-step pages (``bprop.explain``) and the playground's live
canvas (``bprop.playground``) draw with these same functions where they show a picture.
"""

from .figures import FORMATS, picture_format, save_figure
from .graph import render, to_dot
from .history import (
    confusion_matrix_figure,
    gradient_norms,
    gradient_norms_figure,
    history_figure,
    learning_curves,
    learning_curves_figure,
    plot_history,
)
from .network import check_drawable, draw_network

__all__ = [
    "FORMATS",
    "picture_format",
    "save_figure",
    "draw_network",
    "check_drawable",
    "plot_history",
    "learning_curves",
    "gradient_norms",
    "learning_curves_figure",
    "gradient_norms_figure",
    "history_figure",
    "confusion_matrix_figure",
    "render",
    "to_dot",
]
