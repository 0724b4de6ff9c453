"""Writing a figure to a file: the one place bprop saves a picture.

Every picture (``drawing.network``, ``drawing.history``, ``drawing.graph``) is a matplotlib
``Figure`` built without pyplot, so drawing never touches matplotlib's global state (the
backend of a user's notebook stays as it was), and is written here: atomically (the old
file stays if anything fails, ``bprop.io.atomic_open``), in the format its suffix names,
identical run to run (no date or software metadata, a fixed SVG hash salt), with SVG text
kept as text (searchable, selectable).
"""

from __future__ import annotations

import os

#: The file formats a picture may be written in, by suffix.
FORMATS = ("png", "svg", "pdf")

# Metadata matplotlib would stamp with the date or its version, per format.
_NO_STAMP = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}


def new_figure(**options):
    """A matplotlib ``Figure(**options)`` with its own Agg canvas: it draws, saves and shows in
    a notebook without pyplot, so making it changes no global matplotlib state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**options)
    FigureCanvasAgg(fig)
    return fig


def picture_format(path, formats: tuple[str, ...] = FORMATS) -> str:
    """The format ``path``'s suffix names ("png", "svg", "pdf").

    Raises:
        ValueError: a suffix that is not one of ``formats``, naming the ones allowed.
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if suffix not in formats:
        allowed = ", ".join(f".{name}" for name in formats)
        raise ValueError(f"cannot tell the picture format from {os.fspath(path)!r}; use a file ending in {allowed}")
    return suffix


def save_figure(fig, path, *, dpi: float | None = None, tight: bool = True, formats: tuple[str, ...] = FORMATS):
    """Write ``fig`` to ``path`` atomically; the format follows the suffix. Returns ``path``.

    Args:
        fig: a matplotlib Figure; path: a .png, .svg or .pdf file (``formats``).
        dpi: dots per inch of a PNG (default: matplotlib's, 100).
        tight: crop the canvas to what is drawn, with a 0.15 inch margin.
    Raises:
        ValueError: an unknown suffix (before anything is written).
    """
    fmt = picture_format(path, formats)
    import matplotlib

    from ..io import atomic_open

    options = {"format": fmt, "metadata": _NO_STAMP[fmt], "facecolor": "white"}
    if dpi is not None:
        options["dpi"] = dpi
    if tight:
        options.update(bbox_inches="tight", pad_inches=0.15)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "bprop"}), atomic_open(path, "wb") as handle:
        fig.savefig(handle, **options)
    return path
