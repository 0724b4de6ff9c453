"""bprop evaluate: the cost and accuracy of a saved network on a data set's split."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a saved network on a data set",
        description="Load a network saved with 'bprop train --save MODEL' and print its cost and classification "
        "accuracy on a split of a data set (default: the test split of the data set it fits: mnist for 784 inputs).",
    )
    parser.add_argument("model", help="a model file written by 'bprop train --save' or Network.save")
    parser.add_argument("--dataset", default=None, choices=["digits", "mnist"], help="data set (default: from the input size)")
    parser.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--split", default="test", choices=["train", "validation", "test"], help="which split (default: test)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..serialization import load_model
    from .train import load_data

    net = load_model(args.model)
    dataset = args.dataset or {784: "mnist", 64: "digits"}.get(net.n_inputs)
    if dataset is None:
        raise ValueError(f"{args.model} takes {net.n_inputs} inputs, which fits no bundled data set; use 'bprop predict'")
    splits = load_data(dataset, args.data_dir)
    split = getattr(splits, args.split)
    if split.x.shape[1] != net.n_inputs:
        raise ValueError(f"{args.model} takes {net.n_inputs} inputs but {dataset} images have {split.x.shape[1]}")
    scores = net.evaluate(split.x, split.y)
    print(f"{net!r}")
    if "accuracy" in scores:
        print(f"{dataset} {args.split}: accuracy {100 * scores['accuracy']:.2f}% "
              f"({round(scores['accuracy'] * len(split.y))}/{len(split.y)}), cost {scores['cost']:.4f}")
    else:
        print(f"{dataset} {args.split}: " + ", ".join(f"{key} {value:.6g}" for key, value in scores.items()))
    return 0
