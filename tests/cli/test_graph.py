"""``bprop graph``, run in-process: pictures of a network's cost graph, and the backward trace."""

import json
import xml.etree.ElementTree as ET

from bprop.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def svg_texts(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return " ".join(element.text or "" for element in root.iter() if element.tag.endswith("text"))


def test_default_draws_seed000_network_as_svg(tmp_path, capsys):
    out = tmp_path / "g.svg"
    assert main(["graph", "-o", str(out)]) == 0
    texts = svg_texts(out)
    # Seed 000's names, values and gradients: w5 = 0.40 with dE/dw5 = 0.0822, E_total = 0.2984.
    for text in ("E_total", "w5", "out_h1", "data 0.4000", "grad 0.0822", "data 0.2984"):
        assert text in texts
    printed = capsys.readouterr().out
    assert "E_total = 0.298371109" in printed
    assert "largest |difference|" in printed


def test_apple_example_as_png_and_trace(tmp_path, capsys):
    out = tmp_path / "apple.png"
    assert main(["graph", "--example", "apple", "--trace", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(PNG_SIGNATURE)
    printed = capsys.readouterr().out
    # d price/d apple = 2.2, d price/d num_apple = 110, d price/d tax = 200 (seed 000's figure).
    for number in ("2.2", "110", "200"):
        assert number in printed
    assert "d(a*b)/da = b" in printed


def test_trace_alone_writes_no_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--example", "fruit", "--trace"]) == 0
    assert list(tmp_path.iterdir()) == []
    printed = capsys.readouterr().out
    assert "650" in printed and "3.3" in printed  # d price/d tax, d price/d orange


def test_random_network_to_dot(tmp_path, capsys):
    out = tmp_path / "g.dot"
    args = ["graph", "--sizes", "2,3,2", "--hidden", "tanh", "--output-activation", "softmax",
            "--cost", "log_likelihood", "--batch-size", "2", "-o", str(out)]
    assert main(args) == 0
    text = out.read_text()
    assert text.startswith("digraph bprop {")
    assert "w2_13" in text and "z1_1[2]" in text


def test_weights_file(tmp_path, capsys):
    spec = {"weights": [[[0.1, -0.2], [0.3, 0.4]], [[0.5, 0.6]]], "biases": [0.1, [0.2]],
            "inputs": [[1.0, 2.0]], "targets": [1], "hidden": "relu", "cost": "cross_entropy"}
    path = tmp_path / "net.json"
    path.write_text(json.dumps(spec))
    out = tmp_path / "g.svg"
    assert main(["graph", "--weights", str(path), "-o", str(out)]) == 0
    assert "ReLU" in svg_texts(out)


def test_errors_exit_with_status_2(tmp_path, capsys):
    assert main(["graph", "-o", str(tmp_path / "g.pdf")]) == 2
    assert main(["graph", "--sizes", "30,20,10", "-o", str(tmp_path / "g.svg")]) == 2
    assert "too many" in capsys.readouterr().err
