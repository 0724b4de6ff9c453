"""bprop export: write a saved model as an ONNX graph that ONNX runtimes run."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a saved model to ONNX",
        description="Write a bprop model file as a standard ONNX graph (Gemm with the weights as stored, the "
        "activations, the stored preprocessing; input 'x' (float64 for a model that standardizes its inputs), "
        "output 'a' = the output activations, and 'y' = the predictions in the targets' units for a regression "
        "model that standardizes its targets). "
        "Example: after 'bprop train --epochs 1 --save digits.npz', run bprop export digits.npz -o digits.onnx. "
        "Needs the onnx extra: pip install 'bprop[onnx]'.",
    )
    parser.add_argument("model", help="a model file saved by bprop (net.save or bprop train --save)")
    parser.add_argument("-o", "--output", required=True, help="the ONNX file to write, e.g. model.onnx")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..serialization import load_model

    net = load_model(args.model)
    try:
        net.to_onnx(args.output)
    except ImportError as error:
        raise ValueError(str(error)) from None
    outputs = "output 'a'"
    if net.target_preprocessing is not None:  # 'a' is then on the standardized scale: say where the predictions are
        outputs = "outputs 'a' (standardized) and 'y' (the predictions, in the targets' units)"
    print(f"wrote {args.output}: {net.sizes} ({net.dtype.name}), input 'x', {outputs}")
    return 0
