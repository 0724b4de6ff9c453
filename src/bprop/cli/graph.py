"""bprop graph: draw the computational graph of a small network's cost, or of seed 000's apples.

Every node shows its op, its forward value and its gradient d(cost)/d(node), the
numbers of the graph's own backward pass (bprop.graph), which the command checks
against ``Network.backprop``. ``--trace`` prints each step of that backward pass:
the rule applied and upstream × local = contribution.
"""

from __future__ import annotations

from .options import parse_seed, parse_sizes

EXPRESSIONS = ("apple", "fruit")
SUFFIXES = (".svg", ".png", ".dot")

#: Seed 000's names for the nodes of its 2-2-2 example (section 3.3.5).
SEED000_NAMES = {
    **{f"w{l}_{j}{k}": f"w{4 * (l - 1) + 2 * (j - 1) + k}" for l in (1, 2) for j in (1, 2) for k in (1, 2)},
    **{f"x{k}": f"i{k}" for k in (1, 2)},
    **{f"z1_{j}": f"net_h{j}" for j in (1, 2)},
    **{f"a1_{j}": f"out_h{j}" for j in (1, 2)},
    **{f"z2_{j}": f"net_o{j}" for j in (1, 2)},
    **{f"a2_{j}": f"out_o{j}" for j in (1, 2)},
    **{f"C_{j}": f"E_o{j}" for j in (1, 2)},
    "C": "E_total",
}


def register(subparsers) -> None:
    from ..activations import ACTIVATIONS
    from ..costs import COSTS

    parser = subparsers.add_parser(
        "graph",
        help="draw the computational graph of a small network's cost, with values and gradients",
        description="Draw the scalar computational graph of a small network's cost (default: seed 000's 2-2-2 "
        "sigmoid example) or of seed 000's apple example, every node with its op, value and gradient, to an "
        "SVG, PNG or Graphviz DOT file. The gradients come from the graph's own backward pass, one local rule "
        "per node, and are checked against the network's backprop (BP1-BP4). "
        "Examples: 'bprop graph -o g.png', 'bprop graph --example apple --trace', "
        "'bprop graph --sizes 2,3,2 --hidden tanh --output-activation softmax --cost log_likelihood -o g.svg'.",
    )
    parser.add_argument("-o", "--output", dest="out", default=None,
                        help="output file, .svg, .png or .dot (default: graph.svg, unless only --trace is given)")
    parser.add_argument("--trace", action="store_true",
                        help="print every step of the backward pass: rule, upstream × local = contribution")
    parser.add_argument("--example", choices=("seed000",) + EXPRESSIONS, default=None,
                        help="seed000: the 2-2-2 network (default); apple: 2 apples at 100 times 1.1 tax; "
                        "fruit: 2 apples at 100 plus 3 oranges at 150, times 1.1 tax")
    group = parser.add_argument_group("a network of your own")
    group.add_argument("--sizes", type=parse_sizes, default=None, help="layer sizes, e.g. 2,3,2 (random weights)")
    group.add_argument("--weights", metavar="FILE.json", default=None,
                       help='{"weights": [w^1, ...], "biases": [b^1, ...]}, optionally "inputs", "targets", '
                       '"hidden", "output", "cost"; w^l has shape (n_l, n_(l-1))')
    group.add_argument("--model", metavar="FILE", default=None,
                       help="a model saved by 'bprop train --save' or Network.save (small networks only)")
    group.add_argument("--hidden", default=None, help=f"hidden activation: "
                       f"{', '.join(n for n in ACTIVATIONS.names if n != 'softmax')} (default: relu; seed 000's "
                       "example: sigmoid)")
    group.add_argument("--output-activation", dest="output", default=None,
                       help="output-layer activation (default: softmax over 2 or more outputs, sigmoid for one; "
                       "seed 000's example: sigmoid)")
    group.add_argument("--cost", default=None, help=f"cost: {', '.join(COSTS.names)} (default: log_likelihood for "
                       "softmax, cross_entropy for sigmoid, quadratic otherwise; seed 000's example: quadratic)")
    group.add_argument("--batch-size", type=int, default=1, help="random samples for --sizes (default: 1)")
    group.add_argument("--seed", type=parse_seed, default=0, help="random seed for --sizes weights and data (default: 0)")
    parser.add_argument("--digits", type=int, default=4, help="decimals shown in the picture (default: 4)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from rich.console import Console

    console = Console()
    out = args.out
    if out is None and not args.trace:
        out = "graph.svg"
    if out is not None and not out.lower().endswith(SUFFIXES):
        raise ValueError(f"cannot tell the format of {out!r}; use one of: {', '.join(SUFFIXES)}")
    if out is not None:
        from ..io import check_writable

        check_writable(out, "-o")  # before any work
    if args.example in EXPRESSIONS:
        if args.sizes or args.weights:
            raise ValueError(f"--example {args.example} is a fixed expression; leave out --sizes and --weights")
        output, title = expression(args.example)
        output.backward()
    else:
        output, title = network_cost(args, console)
    if args.trace:
        print_trace(console, output)
    if out is not None:
        write(output, out, title, args.digits)
        console.print(f"wrote {out}")
    return 0


def expression(name: str):
    """Seed 000's computational graphs of buying fruit: (output Value, title)."""
    from ..graph import Value

    apple, num_apple, tax = Value(100.0, "apple"), Value(2.0, "num_apple"), Value(1.1, "tax")
    apple_price = (apple * num_apple).named("apple_price")
    if name == "apple":
        price = (apple_price * tax).named("price")
        return price, "Seed 000: 2 apples at 100 each, 10% tax (multiply nodes)"
    orange, num_orange = Value(150.0, "orange"), Value(3.0, "num_orange")
    orange_price = (orange * num_orange).named("orange_price")
    price = ((apple_price + orange_price).named("total") * tax).named("price")
    return price, "Seed 000: 2 apples at 100 and 3 oranges at 150, 10% tax (add and multiply nodes)"


def build_network(args):
    """(net, x, y, title, names) from the options: a weights file, random sizes, or seed 000."""
    import numpy as np

    from ..layers import Dense
    from ..network import Network

    x = y = None
    names = {}
    if args.weights is not None and args.model is not None:
        raise ValueError("give --weights or --model, not both")
    if args.model is not None:
        from ..serialization import load_model

        net = load_model(args.model).copy(dtype="float64")
        title = f"The cost of the network in {args.model}"
    elif args.weights is not None:
        from ..explain.examples import load_weights_json, network_from_arrays, targets_task

        data = load_weights_json(args.weights)
        from ..heads import DEFAULT_HIDDEN, default_pair

        output, cost = default_pair(len(data["weights"][-1]), args.output or data.get("output"),
                                    args.cost or data.get("cost"))
        net = network_from_arrays(data["weights"], data.get("biases"), args.hidden or data.get("hidden", DEFAULT_HIDDEN),
                                  output, cost, task=targets_task(output, data.get("targets")))
        x, y = data.get("inputs"), data.get("targets")
        title = f"The cost of the network in {args.weights}"
    elif args.sizes is not None:
        net = Network(args.sizes, hidden=args.hidden or "relu", output=args.output, cost=args.cost,
                      seed=args.seed, dtype="float64")  # the defaults of every command (Network's)
        title = f"The cost of a random {'-'.join(map(str, args.sizes))} network (seed {args.seed})"
    else:
        hidden, output = args.hidden or "sigmoid", args.output or "sigmoid"
        net = Network(
            [
                Dense(2, 2, hidden, weights=[[0.15, 0.20], [0.25, 0.30]], biases=[0.35, 0.35], train_biases=False),
                Dense(2, 2, output, weights=[[0.40, 0.45], [0.50, 0.55]], biases=[0.60, 0.60], train_biases=False),
            ],
            cost=args.cost or "quadratic",
            dtype="float64",
        )
        x, y = [[0.05, 0.10]], [[0.01, 0.99]]
        title = "Seed 000's 2-2-2 network (§3.3.5): E_total, every value and gradient (w5 = w2_11: into o1 from h1)"
        names = SEED000_NAMES
    if x is None or y is None:
        from ..explain.examples import describe_invented, invent_data

        batch = args.batch_size if x is None else len(x)
        if batch < 1:
            raise ValueError(f"--batch-size must be a positive integer, got {batch}")
        invented_x, invented_y = invent_data(net, args.seed, batch)  # the data explain and draw invent too
        print(describe_invented(args.seed, invented_x if x is None else None, invented_y if y is None else None))
        x = invented_x if x is None else x
        y = invented_y if y is None else y
    return net, np.asarray(x, dtype=float), y, title, names


def network_cost(args, console):
    """Build, backprop and check the graph of a network's cost: (cost Value, title)."""
    import numpy as np

    from ..graph.network import network_graph

    net, x, y, title, names = build_network(args)
    try:
        graph = network_graph(net, x, y)
    except ValueError as error:
        if "log is defined only for positive numbers" not in str(error):
            raise
        raise ValueError(f"{error}: an output has saturated to exactly 0 or 1, and the graph takes ln a as the seeds "
                         "write it; 'bprop explain' shows this step exactly (bprop computes it from the logits "
                         "in log space)") from None
    grads = graph.backward()
    reference = net.backprop(x, y)
    difference = max(
        float(np.max(np.abs(g - r)))
        for g, r in zip(grads.weights + grads.biases, reference.weights + reference.biases)
    )
    graph.relabel(names)
    console.print(f"{graph.cost.label} = {graph.cost.data:.9g} ({len(graph.cost.topological_order())} nodes)")
    console.print(f"graph gradients vs Network.backprop: largest |difference| {difference:.1e}")
    return graph.cost, title


def print_trace(console, output) -> None:
    """The backward pass of ``output`` as a table: one row per op node, one line per parent."""
    from rich.markup import escape
    from rich.table import Table

    steps = output.backward_trace()
    table = Table(
        title=escape(f"backward pass of {output.name}: parent.grad += upstream × local"),
        caption=f"{output.name}.grad = 1 to start; leaves make no step", show_lines=True,
    )
    table.add_column("step", justify="right", no_wrap=True)
    table.add_column("node", no_wrap=True)
    table.add_column("rule applied", overflow="fold")
    table.add_column("upstream × local = contribution → parent (its grad now)", overflow="fold")
    for step in steps:
        lines = []
        for c in step.contributions:
            local = f"{c.local_grad:.6g}" + (f" ({c.local_name})" if c.local_name else "")
            lines.append(
                f"{step.upstream:.6g} × {local} = {c.contribution:.6g} → {c.parent.name} ({c.grad_after:.6g})"
            )
        table.add_row(
            str(step.index + 1),
            escape(f"{step.symbol} {step.node.name}"),
            escape(step.rule.replace(", ", "\n")),
            escape("\n".join(lines)),
        )
    console.print(table)


def write(output, path: str, title: str, digits: int) -> None:
    """Write the graph to ``path`` atomically: DOT text, or a picture (``drawing.graph.render``)."""
    from ..drawing.graph import render, to_dot
    from ..io import atomic_open

    if path.lower().endswith(".dot"):
        text = to_dot(output, digits=digits)
        with atomic_open(path, "w") as handle:
            handle.write(text)
    else:
        render(output, path, title=title, digits=digits)
