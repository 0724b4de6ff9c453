"""bprop draw: a picture of a small network, optionally with the gradients of one backward pass."""

from __future__ import annotations

from .explain import add_example_options, example_from_args


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "draw",
        help="draw a small network: weights as lines, optionally with gradients (PNG, SVG or PDF)",
        description="Draw a small network with matplotlib: neurons as circles in columns, each connection a line "
        "whose width grows with |w| and whose colour gives its sign (blue positive, red negative), the activations "
        "for the given input under the neurons, and with --gradients the ∂C/∂w of one backward pass on the lines. "
        "With no options it draws seed 000's 2-2-2 example to network.png. Example: "
        "'bprop draw --gradients -o step.svg', 'bprop draw --sizes 4,5,3 -o net.png'.",
    )
    parser.add_argument("-o", "--output", metavar="FILE", default="network.png",
                        help="picture file: .png, .svg or .pdf (default: network.png)")
    parser.add_argument("--gradients", action="store_true",
                        help="write ∂C/∂w of one backward pass on --inputs/--targets on the connections")
    parser.add_argument("--title", default=None, help="figure title")
    add_example_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..drawing import check_drawable, draw_network
    from ..io import check_writable

    check_writable(args.output, "-o")  # before any work
    # --model, --weights, --sizes or a preset; data invented from --seed if missing; a model's dropout left out
    example = example_from_args(args, without_dropout=True)
    net, x, y = example.build(), example.inputs, example.targets
    check_drawable(net.sizes)
    if args.model is not None and example.note:
        print(example.note)  # what the picture of a model leaves out or invents (dropout, preprocessing, data)
    elif example.note.find("No data given") >= 0:
        print(example.note[example.note.find("No data given"):])
    draw_network(net, args.output, x=x, y=y, gradients=args.gradients, title=args.title)
    print(f"wrote {args.output}")
    return 0
