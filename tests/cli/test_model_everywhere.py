"""A model file wherever a network is asked for, and the same announced invented data in
explain, graph and draw."""

import json
import re

import numpy as np

import bprop
from bprop.cli import main


def small_model(tmp_path):
    net = bprop.Network([3, 4, 2], hidden="tanh", seed=0)
    net.save(tmp_path / "small.npz")
    return tmp_path / "small.npz", net


def test_explain_graph_and_draw_invent_the_same_announced_data(tmp_path, capsys):
    (tmp_path / "net.json").write_text(json.dumps({"weights": [[[0.1, 0.2], [0.3, -0.4]], [[0.5, 0.6]]],
                                                   "biases": [0.1, 0.2]}))
    assert main(["explain", "--weights", str(tmp_path / "net.json"), "--seed", "3"]) == 0
    explained = capsys.readouterr().out
    assert main(["graph", "--weights", str(tmp_path / "net.json"), "--seed", "3", "-o", str(tmp_path / "g.svg")]) == 0
    graphed = capsys.readouterr().out
    assert main(["draw", "--weights", str(tmp_path / "net.json"), "--seed", "3", "-o", str(tmp_path / "d.png")]) == 0
    drawn = capsys.readouterr().out
    announcement = re.search(r"No data given: drawn at random from seed 3: x = \[\[.*?\]\], y = \[\[.*?\]\]\.", graphed)
    assert announcement, graphed
    assert announcement.group(0) in explained.replace("\n", " ") or announcement.group(0) in explained
    assert announcement.group(0) in drawn
    graph_cost = float(re.search(r"C = ([0-9.e-]+) \(", graphed).group(1))
    explain_cost = float(re.search(r"was ([0-9.e-]+)", explained).group(1))
    assert abs(graph_cost - explain_cost) < 1e-7 * max(1.0, graph_cost)  # the same C in both


def test_explain_graph_and_draw_take_a_model_file(tmp_path, capsys):
    path, net = small_model(tmp_path)
    assert main(["explain", "--model", str(path), "--inputs", "0.1,0.2,0.3", "--targets", "1"]) == 0
    out = capsys.readouterr().out
    grads = net.copy(dtype="float64").backprop([[0.1, 0.2, 0.3]], [1])
    assert f"{grads.biases[1][0]:.9f}" in out  # the trace shows the model's own ∂C/∂b^2_1
    assert main(["graph", "--model", str(path), "-o", str(tmp_path / "g.svg")]) == 0
    assert "largest |difference|" in capsys.readouterr().out
    assert main(["draw", "--model", str(path), "-o", str(tmp_path / "d.svg")]) == 0
    assert (tmp_path / "d.svg").read_text().rstrip().endswith("</svg>")


def test_one_of_example_weights_and_model(tmp_path, capsys):
    path, _ = small_model(tmp_path)
    assert main(["explain", "--model", str(path), "--example", "seed003"]) == 2
    assert "give one of --example, --weights and --model" in capsys.readouterr().err


def test_summary_of_a_model_file(tmp_path, capsys):
    net = bprop.Network([3, 5, 2], seed=0, classes=["no", "yes"], preprocessing=bprop.Scale(0.5))
    net.save(tmp_path / "m.npz")
    assert main(["summary", str(tmp_path / "m.npz")]) == 0
    out = capsys.readouterr().out
    assert "Network [3, 5, 2]" in out and "32" in out  # 5x3 + 5 + 2x5 + 2 parameters
    assert "classes no, yes" in out and "Scale(0.5)" in out
    assert main(["summary", str(tmp_path / "missing.npz")]) == 2
    assert "missing.npz" in capsys.readouterr().err
