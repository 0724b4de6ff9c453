"""bprop explain, run in-process: default, presets, custom JSON weights, files, errors."""

import json

import pytest

from bprop.cli import main


def run(capsys, *argv):
    code = main(["explain", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_default_is_seed000_with_published_numbers(capsys):
    code, out, err = run(capsys)
    assert code == 0 and not err
    for number in ("0.75136507", "0.772928465", "0.298371109", "0.35891648", "0.408666186", "0.149780716"):
        assert number in out
    assert "w5" in out and "E_total" in out


def test_seed003_preset(capsys):
    code, out, _ = run(capsys, "--example", "seed003")
    assert code == 0
    assert "tanh" in out and "softmax" in out and "Jacobian" in out and "0.839654176" in out


def test_markdown_and_html_files(tmp_path, capsys):
    md, page = tmp_path / "step.md", tmp_path / "step.html"
    assert run(capsys, "--format", "markdown", "--output", str(md))[0] == 0
    assert run(capsys, "--format", "html", "-o", str(page))[0] == 0
    assert "| eq | quantity |" in md.read_text(encoding="utf-8")
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step.html", "step.md"]  # no temporary files left


@pytest.mark.parametrize("fmt,name", [("html", "step.png"), ("markdown", "step.html"), ("terminal", "step.md")])
def test_an_output_file_that_does_not_fit_the_format_is_refused_before_anything_is_written(tmp_path, capsys, fmt,
                                                                                            name):
    code, _, err = run(capsys, "--format", fmt, "-o", str(tmp_path / name))
    assert code == 2 and "does not fit --format" in err
    assert list(tmp_path.iterdir()) == []


def test_custom_json_weights(tmp_path, capsys):
    spec = {"weights": [[[0.1, -0.2], [0.3, 0.4], [0.5, 0.6]], [[0.7, -0.8, 0.9]]], "biases": [0.1, [0.2]]}
    path = tmp_path / "net.json"
    path.write_text(json.dumps(spec))
    code, out, _ = run(capsys, "--weights", str(path), "--inputs", "1,2", "--targets", "0.5", "--eta", "0.1",
                       "--hidden", "tanh", "--output-activation", "sigmoid", "--cost", "cross_entropy")
    assert code == 0
    assert "Network 2-3-1" in out and "sigmoid + cross-entropy (fused)" in out
    assert "0.1 × 1 - 0.2 × 2 + 0.1" in out  # z^1_1 spelled out


def test_random_network_with_a_batch(capsys):
    code, out, _ = run(capsys, "--sizes", "2,3,2", "--inputs", "0.1,0.2;0.3,0.4", "--targets", "1;0",
                       "--output-activation", "softmax", "--cost", "log_likelihood", "--hidden", "relu")
    assert code == 0 and "batch of 2 samples" in out and "(x2)" in out


@pytest.mark.parametrize("content, message", [
    ('{"weights": [[[1, 2]]', "not a JSON weights file"),
    ('[' * 1000 + ']' * 1000, "nested 1000 levels deep"),
    ('{"weights": [[[1, 2]], [[1, 2], [3, 4]]]}', "columns"),
    ('{"weights": [[[1, 2], [3]]]}', "rectangular"),
    ('{"weights": [[[1, 2]]], "biases": [[1, 2]]}', "biases of layer 1"),
    ('{"biases": [1]}', "weights"),
])
def test_bad_weight_files_give_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, err = run(capsys, "--weights", str(path))
    assert code == 2 and not out
    assert err.count("\n") == 1 and err.startswith("bprop explain: error:") and message in err


@pytest.mark.parametrize("argv, message", [
    (["--sizes", "40,30,2"], "too big to explain"),
    (["--inputs", "1,2,3"], "2 inputs"),
    (["--inputs", "a,b"], "numbers"),
    (["--example", "seed003", "--sizes", "2,2"], "not both"),
    (["--cost", "hinge"], "unknown cost"),
    (["--eta", "-1"], "eta"),
])
def test_bad_options_give_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and message in err, err


def test_a_saturated_step_says_why_the_textbook_terms_do_not_add_up(tmp_path, capsys):
    import json

    from bprop.cli import main

    (tmp_path / "sat.json").write_text(json.dumps({
        "weights": [[[1, 0], [0, 1]], [[1, 0], [0, 1]]], "biases": [0, 0], "hidden": "identity",
        "output": "softmax", "cost": "cross_entropy", "inputs": [[200, -200]], "targets": [[0, 1]]}))
    assert main(["explain", "--weights", str(tmp_path / "sat.json"), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.count("Saturated: some a^L round to exactly 0 or 1") == 2  # the cost and BP1
    assert "800" in out  # the exact cost: ln a_2 = -400 and ln(1 - a_1) = -400
    assert main(["graph", "--weights", str(tmp_path / "sat.json"), "-o", str(tmp_path / "g.svg")]) == 2
    assert "'bprop explain' shows this step exactly" in capsys.readouterr().err


def test_several_sigmoid_outputs_take_rows_of_labels_or_one_class_index(tmp_path, capsys):
    """Multilabel targets such as (1, 1) for two sigmoid outputs were refused with advice to use
    task='multilabel', which no option of explain, draw or graph gives; class indices still work."""
    common = ["--sizes", "2,3,2", "--output-activation", "sigmoid", "--cost", "cross_entropy",
              "--inputs", "0.5,1;0.2,0.1", "--format", "markdown"]
    code, out, err = run(capsys, *common, "--targets", "0,1;1,1")
    assert code == 0 and not err and "Targets: y = [(0, 1), (1, 1)]." in out
    code, out, err = run(capsys, *common, "--targets", "1;0")
    assert code == 0 and "Targets: y = [(0, 1), (1, 0)]." in out
    assert main(["draw", *common[:-2], "--targets", "1,1;0,1", "--gradients", "-o", str(tmp_path / "n.png")]) == 0
    spec = {"weights": [[[0.1, 0.2], [0.3, -0.4]], [[0.1, -0.2], [0.4, 0.5]]], "hidden": "tanh", "output": "sigmoid",
            "cost": "cross_entropy", "inputs": [[0.5, 1.0]], "targets": [[1, 1]]}
    (tmp_path / "net.json").write_text(json.dumps(spec))
    assert main(["graph", "--weights", str(tmp_path / "net.json"), "--trace"]) == 0
    out, err = capsys.readouterr()
    assert "largest |difference|" in out and not err


def test_draw_takes_a_dropout_model_without_its_dropout_and_says_so(tmp_path, capsys):
    """'bprop draw --model' of a model trained with dropout was refused ('explaining a step takes Dense
    layers only'), though a picture of its weights needs no mask. It is drawn as at evaluation, where
    dropout is the identity; explain, which shows a training step, still refuses it."""
    import numpy as np

    import bprop

    rng = np.random.default_rng(0)
    x = rng.random((40, 3))
    net = bprop.Network([3, 4, 2], dropout=0.5, seed=0)
    net.fit(x, (x[:, 0] > 0.5).astype(int), epochs=1, verbose=False)
    net.save(tmp_path / "drop.npz")
    picture = tmp_path / "d.svg"
    assert main(["draw", "--model", str(tmp_path / "drop.npz"), "--gradients", "--inputs", "0.1,0.2,0.3",
                 "--targets", "1,0", "-o", str(picture)]) == 0
    out = capsys.readouterr().out
    assert "dropout (Dropout(p=0.5)) is left out, as at evaluation" in out and picture.stat().st_size > 1000
    # the activations drawn are the model's at evaluation: a^1 of the saved weights
    z1 = net.weights[0].astype(float) @ np.array([0.1, 0.2, 0.3]) + net.biases[0]
    assert f">{max(z1.max(), 0):.3g}<" in picture.read_text()  # the largest a^1_j, as the picture writes it
    assert main(["explain", "--model", str(tmp_path / "drop.npz")]) == 2
    assert "this model has dropout; 'bprop draw --model' draws it without" in capsys.readouterr().err
