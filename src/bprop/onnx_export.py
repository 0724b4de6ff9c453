"""Export a network to ONNX: ``net.to_onnx(path)`` and ``bprop export MODEL -o model.onnx``.

The graph computes what ``Network.predict_proba`` computes, a^L for inputs x, with
standard operators that ONNX runtimes (onnxruntime, ...) run:

    input "x" (batch, n_0) of the network's dtype (float32 or float64); float64 for a
                    model that standardizes its inputs, which bprop reads in float64 (in
                    float32 a feature such as 1e8 + x would be rounded to multiples of 8)
    preprocessing   Scale: x * factor (Mul);  Standardize: (x - mean) / std in float64,
                    then cast to the network's dtype (Sub, Div, Cast), as bprop computes it
    each Dense l    z^l = a^(l-1) (w^l)^T + b^l: Gemm(a, w^l, b^l, transB=1), the weights
                    as stored (n_l, n_(l-1)); then sigma^l:
                        sigmoid 1 / (1 + Exp(-z)) (Neg, Exp, Add, Div; onnxruntime's own
                        Sigmoid is off in the tail: 3.6e-7 for sigma(-15) = 3.06e-7 and 0
                        from z = -20 in float32, 0 from z = -50 in float64), tanh Tanh,
                        relu Relu, softmax Softmax(axis=-1),
                        leaky_relu Max(z, slope z) (bprop's formula), identity nothing
    Dropout         nothing (the identity at inference)
    output "a" (batch, n_L): the output activations (class probabilities of a softmax,
                    P(class 1) of one sigmoid output, the values of a regressor)
    output "y" (batch, n_L), float64, only for a regressor that standardizes its
                    targets (``target_preprocessing``): mean + std a (Cast, Mul, Add), the
                    predictions in the targets' units, what ``Network.predict`` returns

The model's task and classes go into the ONNX metadata ("bprop.task", "bprop.classes"
as JSON); a runtime maps argmax(a) (or a > 1/2 for one sigmoid output) to them.
Requires the ``onnx`` extra (``pip install bprop[onnx]``); opset 17.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .io import atomic_write
from .layers import Dense, Dropout

OPSET = 17
IR_VERSION = 8

#: bprop activation name -> ONNX operator of one input (identity, sigmoid and leaky_relu are special).
ELEMENTWISE_OPS = {"tanh": "Tanh", "relu": "Relu"}


def to_onnx_model(net):
    """The ``onnx.ModelProto`` of ``net`` (see the module docstring), checked with
    ``onnx.checker.check_model(full_check=True)``.

    Raises:
        ValueError: a layer or preprocessing this exporter does not know.
        ImportError: the onnx package is missing (``pip install bprop[onnx]``).
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as error:
        raise ImportError("ONNX export needs the onnx package: pip install 'bprop[onnx]'") from error

    dtype = net.dtype
    element = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    nodes, initializers = [], []

    def constant(name, value):
        initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    current = "x"
    preprocessing = net.preprocessing
    if preprocessing is not None:
        if preprocessing.name == "scale":
            nodes.append(helper.make_node("Mul", [current, constant("scale.factor", dtype.type(preprocessing.factor))],
                                          ["x_scaled"]))
            current = "x_scaled"
        elif preprocessing.name == "standardize":
            nodes += [
                helper.make_node("Sub", [current, constant("standardize.mean", preprocessing.mean)], ["x_centred"]),
                helper.make_node("Div", ["x_centred", constant("standardize.std", preprocessing.std)], ["x_std64"]),
                helper.make_node("Cast", ["x_std64"], ["x_standardized"], to=element),
            ]
            current = "x_standardized"
        else:
            raise ValueError(f"ONNX export does not know the {preprocessing.name!r} preprocessing")

    dense_count = 0
    for index, layer in enumerate(net.layers):
        if isinstance(layer, Dropout):
            continue
        if type(layer) is not Dense:
            raise ValueError(f"ONNX export supports Dense and Dropout layers, not {layer!r}")
        dense_count += 1
        l = dense_count
        w = constant(f"w{l}", layer.params["weights"])
        b = constant(f"b{l}", layer.params["biases"])
        z = f"z{l}"
        nodes.append(helper.make_node("Gemm", [current, w, b], [z], transB=1, name=f"dense{l}"))
        name = layer.activation.name
        a = f"a{l}"
        if name == "identity":
            nodes.append(helper.make_node("Identity", [z], [a]))
        elif name in ELEMENTWISE_OPS:
            nodes.append(helper.make_node(ELEMENTWISE_OPS[name], [z], [a]))
        elif name == "sigmoid":  # 1 / (1 + e^(-z)), as SciPy's expit: within an ulp or two at any z
            one = constant(f"one{l}", dtype.type(1))
            nodes += [
                helper.make_node("Neg", [z], [f"{z}_negated"]),
                helper.make_node("Exp", [f"{z}_negated"], [f"{z}_exp"]),
                helper.make_node("Add", [f"{z}_exp", one], [f"{z}_denominator"]),
                helper.make_node("Div", [one, f"{z}_denominator"], [a]),
            ]
        elif name == "softmax":
            nodes.append(helper.make_node("Softmax", [z], [a], axis=-1))
        elif name == "leaky_relu":
            slope = constant(f"slope{l}", dtype.type(layer.activation.slope))
            nodes.append(helper.make_node("Mul", [z, slope], [f"{z}_sloped"]))
            nodes.append(helper.make_node("Max", [z, f"{z}_sloped"], [a]))
        else:
            raise ValueError(f"ONNX export does not know the {name!r} activation")
        current = a
    nodes.append(helper.make_node("Identity", [current], ["a"]))
    outputs = [helper.make_tensor_value_info("a", element, ["batch", net.n_outputs])]
    target = net.target_preprocessing
    if target is not None:
        nodes += [
            helper.make_node("Cast", ["a"], ["a64"], to=TensorProto.DOUBLE),
            helper.make_node("Mul", ["a64", constant("target.std", target.std)], ["a_scaled"]),
            helper.make_node("Add", ["a_scaled", constant("target.mean", target.mean)], ["y"]),
        ]
        outputs.append(helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["batch", net.n_outputs]))

    wide = preprocessing is not None and preprocessing.wide_inputs  # (Standardize: float64 in)
    graph = helper.make_graph(
        nodes, "bprop_network",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE if wide else element, ["batch", net.n_inputs])],
        outputs,
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="bprop")
    model.ir_version = IR_VERSION
    metadata = {"bprop.task": net.task.name, "bprop.sizes": json.dumps(net.sizes),
                "bprop.classes": json.dumps(None if net.classes is None else net.classes.tolist())}
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model, full_check=True)
    return model


def save_onnx(net, path: str | os.PathLike) -> None:
    """Write ``net`` as an ONNX model to ``path`` (atomic)."""
    model = to_onnx_model(net)
    data = model.SerializeToString()
    atomic_write(path, lambda handle: handle.write(data))
