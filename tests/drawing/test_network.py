"""bprop.drawing and bprop draw: valid PNG and SVG files, labels, gradients, size limits."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from bprop import Network
from bprop.cli import main
from bprop.drawing import draw_network
from bprop.explain import get_example

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def all_texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_png_is_valid_and_readable(tmp_path):
    import matplotlib.image

    example = get_example("seed000")
    path = tmp_path / "net.png"
    draw_network(example.build(), path, x=example.inputs, y=example.targets)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_svg_parses_and_names_the_neurons(tmp_path):
    path = tmp_path / "net.svg"
    draw_network(get_example("seed000").build(), path)
    root = ET.parse(path).getroot()
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    assert {"neuron-x1", "neuron-x2", "neuron-h1", "neuron-h2", "neuron-o1", "neuron-o2"} <= ids
    text = path.read_text(encoding="utf-8")
    assert "input (2)" in text and "output (2)" in text


def test_gradients_are_those_of_backprop():
    example = get_example("seed000")
    net = example.build()
    fig = draw_network(net, x=example.inputs, y=example.targets, gradients=True)
    texts = all_texts(fig)
    assert "0.4\n∂C/∂w=0.0822" in texts  # w5 and ∂E/∂w5 = 0.082167041
    assert "0.593" in texts  # out_h1 under h1
    grads = net.backprop(np.array(example.inputs), np.array(example.targets)).weights
    assert f"∂C/∂w={grads[1][1, 1]:.3g}" in "".join(texts)


def test_deeper_network_labels_and_refusals(tmp_path):
    net = Network([4, 5, 3], hidden="tanh", seed=3, dtype="float64")
    fig = draw_network(net, tmp_path / "net.png", x=np.ones(4), y=[1], gradients=True)
    texts = all_texts(fig)
    assert "$x_{4}$" in texts and "$h_{5}$" in texts and "$o_{3}$" in texts
    deep = Network([2, 3, 3, 2], hidden="relu", seed=0)
    assert "$h^{2}_{3}$" in all_texts(draw_network(deep))
    with pytest.raises(ValueError, match=".png, .svg"):
        draw_network(net, tmp_path / "net.bmp")
    with pytest.raises(ValueError, match="inputs x and targets y"):
        draw_network(net, gradients=True)


def test_cli_draw(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["draw"]) == 0
    assert (tmp_path / "network.png").read_bytes()[:8] == PNG_SIGNATURE
    assert main(["draw", "--gradients", "--example", "seed003", "-o", "step.svg"]) == 0
    ET.parse(tmp_path / "step.svg")
    assert main(["draw", "--sizes", "4,5,3", "-o", "random.png"]) == 0
    net = Network([3, 4, 2], seed=1)
    net.save(tmp_path / "model.npz")
    assert main(["draw", "--model", "model.npz", "--gradients", "-o", "model.png"]) == 0
    capsys.readouterr()
    assert main(["draw", "--sizes", "4,100,3", "-o", "big.png"]) == 0  # the 100-neuron layer summarized
    capsys.readouterr()


def test_a_model_with_large_layers_is_drawn_as_summarized_columns(tmp_path):
    import bprop
    from bprop.cli import main

    net = bprop.Network([784, 100, 10], seed=0)
    net.save(tmp_path / "big.npz")
    assert main(["draw", "--model", str(tmp_path / "big.npz"), "-o", str(tmp_path / "big.svg")]) == 0
    svg = (tmp_path / "big.svg").read_text()
    assert "776 more" in svg and "92 more" in svg  # 784 - 8 and 100 - 8 neurons not drawn
    assert 'id="neuron-x784"' in svg and 'id="neuron-x7"' not in svg and 'id="neuron-o10"' in svg


def test_the_activations_drawn_are_those_of_the_models_own_preprocessing():
    # layer_activations fed x to layer 1 unscaled: a model trained on Scale(1/1000) inputs was
    # drawn with saturated activations that its predictions never had.
    from bprop.drawing.network import layer_activations
    from bprop.preprocessing import Scale

    net = Network([2, 3, 2], hidden="sigmoid", output="softmax", seed=0, preprocessing=Scale(0.001))
    x = np.array([1000.0, 2000.0])
    values = layer_activations(net, x)
    a = x * 0.001  # a^0: what layer 1 receives, computed here in NumPy
    for w, b, drawn in zip(net.weights, net.biases, values[1:]):
        z = w.astype(np.float64) @ a + b
        a = np.exp(z - z.max()) / np.exp(z - z.max()).sum() if drawn is values[-1] else 1 / (1 + np.exp(-z))
        np.testing.assert_allclose(drawn, a, rtol=1e-5)
    np.testing.assert_allclose(values[0], [1.0, 2.0], rtol=1e-6)
