"""Plots of a history: valid PNG and SVG files."""

import numpy as np
import pytest

from bprop import Network, plots
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
    with pytest.raises(ValueError, match=".png or .svg"):
        plots.learning_curves(history, tmp_path / "f.jpg")
    with pytest.raises(ValueError, match="no gradient norms"):
        plots.gradient_norms(History([{"epoch": 1, "train_cost": 1.0}]), tmp_path / "f.png")
    with pytest.raises(ValueError, match="empty"):
        plots.learning_curves(History(), tmp_path / "f.png")
