"""Plots of a history: valid PNG and SVG files."""

import numpy as np
import pytest

from bprop import Network, drawing as plots
from bprop.training import History


@pytest.fixture(scope="module")
def history():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3))
    y = (x[:, 0] > 0).astype(int)
    return Network([3, 4, 4, 2], hidden="sigmoid", seed=0).fit(
        x, y, epochs=3, batch_size=8, verbose=False, validation=(x, y), monitor={"test": (x, y)})


def check_file(path):
    data = path.read_bytes()
    if path.suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.rstrip().endswith(b"IEND\xaeB`\x82")
    else:
        assert b"<svg" in data[:500] and data.rstrip().endswith(b"</svg>")


@pytest.mark.parametrize("suffix", [".png", ".svg"])
@pytest.mark.parametrize("function", [plots.learning_curves, plots.gradient_norms, plots.plot_history])
def test_figures_are_valid_files(tmp_path, history, function, suffix):
    path = tmp_path / f"figure{suffix}"
    assert function(history, path) == str(path)
    check_file(path)


def test_plot_from_a_saved_history(tmp_path, history):
    history.save(tmp_path / "h.csv")
    plots.plot_history(tmp_path / "h.csv", tmp_path / "h.png")
    check_file(tmp_path / "h.png")


def test_bad_requests(tmp_path, history):
    with pytest.raises(ValueError, match="use a file ending in .png, .svg, .pdf"):
        plots.learning_curves(history, tmp_path / "f.jpg")
    with pytest.raises(ValueError, match="no gradient norms"):
        plots.gradient_norms(History([{"epoch": 1, "train_cost": 1.0}]), tmp_path / "f.png")
    with pytest.raises(ValueError, match="empty"):
        plots.learning_curves(History(), tmp_path / "f.png")


FIGURES = [plots.learning_curves_figure, plots.gradient_norms_figure, plots.history_figure]


@pytest.fixture
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture(scope="module")
def one_epoch(history):
    return History(history.epochs[:1])


@pytest.mark.parametrize("length", ["one epoch", "three epochs"])
@pytest.mark.parametrize("make", FIGURES)
def test_epochs_are_labelled_in_whole_numbers(history, one_epoch, length, make, close_figures):
    fig = make(one_epoch if length == "one epoch" else history)
    fig.canvas.draw()
    for ax in fig.axes:
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks  # not 1.5, 2.5 on 3 epochs


def test_panels_and_title_do_not_overlap(history, close_figures):
    fig = plots.history_figure(history, title="a run")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes]  # with tick labels, axis labels, titles
    assert len(boxes) == 3
    for left, right in zip(boxes, boxes[1:]):
        assert left.x1 <= right.x0, "a panel's labels run into the next panel"
    (title,) = [text.get_window_extent(renderer) for text in fig.texts if text.get_text() == "a run"]
    assert all(title.y0 >= box.y1 for box in boxes), "the title overlaps a panel's title"


def test_log_axis_labels_are_plain_numbers(history, close_figures):
    fig = plots.gradient_norms_figure(history)
    fig.canvas.draw()
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    labels = [(tick.get_loc(), tick.label1.get_text()) for tick in ax.yaxis.get_major_ticks() + ax.yaxis.get_minor_ticks()]
    shown = [(loc, text) for loc, text in labels if text and low <= loc <= high]
    assert shown, "the log axis shows no labelled tick"
    for loc, text in shown:
        assert float(text) == pytest.approx(loc, rel=1e-6), text  # "0.2", not "$\\mathdefault{2\\times10^{-1}}$"


def test_figure_functions_keep_their_errors(history):
    with pytest.raises(ValueError, match="empty"):
        plots.history_figure(History())
    with pytest.raises(ValueError, match="no gradient norms"):
        plots.gradient_norms_figure(History([{"epoch": 1, "train_cost": 1.0}]))


@pytest.mark.parametrize("make", FIGURES)
def test_a_one_epoch_run_shows_its_points(one_epoch, make, close_figures):
    fig = make(one_epoch)
    lines = [line for ax in fig.axes for line in ax.get_lines() if len(line.get_xdata()) == 1]
    assert lines and all(line.get_marker() not in (None, "None", "", " ") for line in lines)  # a lone point needs a marker


def test_a_regression_history_gets_an_r2_panel_instead_of_an_empty_accuracy_one():
    import numpy as np

    import bprop
    from bprop.drawing import history_figure

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (60, 2))
    net = bprop.Network([2, 4, 1], output="identity", cost="quadratic", seed=0)
    history = net.fit(x, x[:, 0] - x[:, 1], epochs=2, verbose=False, validation=(x[:20], x[:20, 0] - x[:20, 1]))
    fig = history_figure(history)
    panel = fig.axes[1]
    assert panel.get_title() == "regression R²"
    assert len(panel.lines) == 1 and list(panel.lines[0].get_ydata()) == history["val_r2"]


def test_drawing_leaves_matplotlib_global_state_alone(tmp_path, history):
    """Figures are built without pyplot: no backend switch, no figure left open in pyplot
    (a user's notebook keeps its backend and figure list)."""
    import matplotlib
    import matplotlib.pyplot as plt

    from bprop.drawing import draw_network

    backend, open_before = matplotlib.get_backend(), plt.get_fignums()
    plots.plot_history(history, tmp_path / "run.svg")
    draw_network(Network([3, 4, 2], seed=0), tmp_path / "net.png")
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == open_before
    assert (tmp_path / "run.svg").read_bytes().startswith(b"<?xml")
