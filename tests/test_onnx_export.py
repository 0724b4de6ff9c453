"""ONNX export: onnxruntime's outputs equal bprop's for every activation and output,
in float32 and float64, with the stored preprocessing."""

import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest

from bprop import Dense, Dropout, Network, Scale

TOLERANCES = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-12)}


def run_onnx(path, x):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["a"], {"x": x})[0]


def input_dtype(net):
    """What the graph's input "x" takes: the network's dtype, float64 when it standardizes its inputs."""
    standardizes = net.preprocessing is not None and net.preprocessing.name == "standardize"
    return np.dtype(np.float64) if standardizes else net.dtype


def export_and_compare(net, x, path):
    net.to_onnx(path)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    x = np.asarray(x, dtype=input_dtype(net))
    got = run_onnx(path, x)
    assert got.dtype == net.dtype
    np.testing.assert_allclose(got, net.predict_proba(x), **TOLERANCES[net.dtype.name])
    return model


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
@pytest.mark.parametrize("output, cost, n_out", [
    ("softmax", "log_likelihood", 4), ("sigmoid", "cross_entropy", 1), ("sigmoid", "cross_entropy", 3),
    ("identity", "quadratic", 2), ("tanh", "quadratic", 2), ("relu", "quadratic", 2),
    ("leaky_relu", "quadratic", 2),
])
def test_every_activation_and_output(tmp_path, dtype, hidden, output, cost, n_out):
    rng = np.random.default_rng(0)
    task = "regression" if output not in ("softmax", "sigmoid") else None
    net = Network([6, 9, 7, n_out], hidden=hidden, output=output, cost=cost, seed=1, dtype=dtype, task=task)
    x = rng.normal(size=(33, 6)) * 3
    export_and_compare(net, x, tmp_path / "net.onnx")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("preprocessing", [Scale(1 / 255), "standardize"])
def test_the_stored_preprocessing_is_in_the_graph(tmp_path, dtype, preprocessing):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(50, 5)).astype(np.float64)
    y = rng.integers(0, 3, size=50)
    net = Network([5, 8, 3], seed=0, dtype=dtype, preprocessing=preprocessing)
    net.fit(x, y, epochs=2, batch_size=10, verbose=False)
    model = export_and_compare(net, x, tmp_path / "pre.onnx")
    ops = [node.op_type for node in model.graph.node]
    assert ("Mul" in ops) if isinstance(preprocessing, Scale) else ("Sub" in ops and "Div" in ops)


def test_dropout_layers_are_the_identity_and_classes_go_to_the_metadata(tmp_path):
    net = Network(layers=[Dense(4, 6, "relu"), Dropout(0.5), Dense(6, 2, "softmax")], seed=0,
                  classes=["cat", "dog"])
    model = export_and_compare(net, np.random.default_rng(2).normal(size=(10, 4)), tmp_path / "d.onnx")
    props = {p.key: p.value for p in model.metadata_props}
    assert props["bprop.classes"] == '["cat", "dog"]' and props["bprop.task"] == "classification"
    assert [node.op_type for node in model.graph.node].count("Gemm") == 2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_784_800_800_10_network(tmp_path, dtype):
    net = Network([784, 800, 800, 10], hidden="relu", seed=0, dtype=dtype)
    x = np.random.default_rng(3).random((64, 784))
    export_and_compare(net, x, tmp_path / "big.onnx")


def test_bprop_export_command(tmp_path):
    net = Network([3, 5, 2], hidden="tanh", seed=4, dtype="float64")
    model_path, onnx_path = tmp_path / "m.npz", tmp_path / "m.onnx"
    net.save(model_path)
    result = subprocess.run([sys.executable, "-m", "bprop", "export", str(model_path), "-o", str(onnx_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    x = np.random.default_rng(5).normal(size=(7, 3))
    np.testing.assert_allclose(run_onnx(onnx_path, x), net.predict_proba(x), rtol=1e-12, atol=1e-12)
    missing = subprocess.run([sys.executable, "-m", "bprop", "export", str(tmp_path / "none.npz"), "-o",
                              str(tmp_path / "x.onnx")], capture_output=True, text=True)
    assert missing.returncode == 2 and "error" in missing.stderr and not (tmp_path / "x.onnx").exists()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_regressor_that_standardizes_its_targets_outputs_predictions_in_their_units(tmp_path, dtype):
    """Output "a" stays a^L; output "y" (float64) is mean + std a, what predict returns."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 4))
    y = np.column_stack([1e5 + 2e4 * x[:, 0], -300 + 5 * x[:, 1]])
    net = Network([4, 8, 2], output="identity", seed=0, dtype=dtype, preprocessing="standardize",
                  target_preprocessing="standardize")
    net.fit(x, y, epochs=3, batch_size=10, optimizer="adam", verbose=False)
    model = export_and_compare(net, x, tmp_path / "target.onnx")
    assert [output.name for output in model.graph.output] == ["a", "y"]
    session = onnxruntime.InferenceSession(str(tmp_path / "target.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(["y"], {"x": x.astype(input_dtype(net))})[0]
    assert got.dtype == np.float64
    # a^L agrees to the dtype's rounding (above); std a + mean then scales that rounding by std
    np.testing.assert_allclose(got, net.predict(x), rtol=TOLERANCES[dtype]["rtol"],
                               atol=TOLERANCES[dtype]["atol"] * net.target_preprocessing.std.max())


def test_a_feature_far_from_zero_keeps_its_variations_through_the_graph(tmp_path):
    """A float32 model that standardizes reads its inputs in float64 (1e8 + x would be rounded to
    multiples of 8 in float32 first), and so does its graph: the same predictions."""
    rng = np.random.default_rng(3)
    x = np.column_stack([1e8 + rng.normal(size=200), rng.normal(size=200)])
    y = (x[:, 0] - 1e8 > 0).astype(int)
    net = Network([2, 8, 2], seed=0, preprocessing="standardize")
    net.fit(x, y, epochs=30, batch_size=20, optimizer="adam", eta=0.01, verbose=False)
    model = export_and_compare(net, x, tmp_path / "far.onnx")
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    probabilities = run_onnx(tmp_path / "far.onnx", x)
    assert np.mean(probabilities.argmax(axis=1) == y) > 0.9


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-6), ("float64", 1e-14)])
def test_a_sigmoid_keeps_its_small_probabilities_in_the_graph(tmp_path, dtype, rtol):
    """A confident 'no' of a binary or multilabel classifier, sigma(z) for z down to -80, is
    exported to its last digits, relative, not just within an absolute 1e-6: onnxruntime's own
    Sigmoid gave 3.6e-7 for sigma(-15) = 3.06e-7 and 0 from z = -20 in float32 (0 from z = -50
    in float64). A hidden sigmoid layer takes the same ops."""
    z = np.linspace(-80, 80, 321)[:, None]
    net = Network([1, 1], output="sigmoid", cost="cross_entropy", seed=0, dtype=dtype)
    net.weights[0][...] = 1
    net.biases[0][...] = 0
    net.to_onnx(tmp_path / "sigmoid.onnx")
    got = run_onnx(tmp_path / "sigmoid.onnx", z.astype(dtype))
    assert got.dtype == net.dtype
    np.testing.assert_allclose(got, net.predict_proba(z), rtol=rtol, atol=0)
    deep = Network([1, 1, 1], hidden="sigmoid", output="identity", seed=0, dtype=dtype, task="regression")
    deep.weights[0][...] = 1
    deep.biases[0][...] = 0
    deep.weights[1][...] = 1e12
    deep.biases[1][...] = 0
    deep.to_onnx(tmp_path / "hidden.onnx")
    np.testing.assert_allclose(run_onnx(tmp_path / "hidden.onnx", z[z < 20][:, None].astype(dtype)),
                               deep.predict_proba(z[z < 20][:, None]), rtol=rtol, atol=0)
