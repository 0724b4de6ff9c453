"""Named small networks with their data, and the helpers that read custom ones.

Presets:

``seed000``  the seeds' worked 2-2-2 sigmoid example (seed 000, section 3.3.5):
             x = (0.05, 0.10), y = (0.01, 0.99), w1..w8 = .15 .20 .25 .30 .40 .45
             .50 .55, shared biases b1 = .35 (hidden) and b2 = .60 (output),
             kept fixed; quadratic cost ½ Σ (y - a)²; η = 0.5.
``seed003``  seed 003's picture: 2 inputs -> 2 tanh neurons -> 2 softmax outputs
             with a squared error, x1 = 0.5, w_11 = 0.1, h_1 ≈ 0.84, outputs
             ≈ (0.57, 0.43) for targets (0, 1), w_jk = 0.5 and 0.4 from h_1; η = 0.1.
             Seed 003's own numbers are rounded and partly inconsistent, so this
             is a clean, self-consistent set close to them.

A custom network comes as JSON: ``{"weights": [w^1, w^2, ...], "biases":
[b^1, b^2, ...]}`` with w^l of shape (n_l, n_(l-1)) (row j = the weights into
neuron j) and b^l a list of n_l numbers or one number shared by the layer.
Optional keys: "inputs", "targets", "hidden", "output", "cost", "eta".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

SEED000_WEIGHTS = [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
SEED000_BIASES = [[0.35, 0.35], [0.60, 0.60]]

SEED003_WEIGHTS = [[[0.1, 0.8], [0.3, 0.2]], [[0.5, 0.6], [0.4, 0.2]]]
SEED003_BIASES = [[0.37, 0.1], [0.1, 0.05]]


@dataclass
class Example:
    """A network spec with data: everything ``build`` needs for one traced step."""

    weights: list
    biases: list
    inputs: list
    targets: list
    hidden: str = "sigmoid"
    output: str = "sigmoid"
    cost: str = "quadratic"
    eta: float = 0.5
    fixed_biases: bool = False
    title: str = ""
    note: str = ""
    #: Other names printed beside symbols, e.g. {"w^2_11": "w5"}.
    aliases: dict = field(default_factory=dict)

    def build(self):
        """The float64 ``Network`` of this example."""
        return network_from_arrays(self.weights, self.biases, self.hidden, self.output, self.cost, self.fixed_biases,
                                   task=targets_task(self.output, self.targets))

    def trace(self):
        """The ``StepTrace`` of one SGD step of this example."""
        from .trace import trace_step

        return trace_step(self.build(), self.inputs, self.targets, self.eta,
                          title=self.title, note=self.note, aliases=self.aliases)


#: Seed 000's names for the symbols of its 2-2-2 example.
SEED000_ALIASES = {
    **{f"w^{l}_{j}{k}": f"w{4 * (l - 1) + 2 * (j - 1) + k}" for l in (1, 2) for j in (1, 2) for k in (1, 2)},
    **{f"z^1_{j}": f"net_h{j}" for j in (1, 2)},
    **{f"a^1_{j}": f"out_h{j}" for j in (1, 2)},
    **{f"z^2_{j}": f"net_o{j}" for j in (1, 2)},
    **{f"a^2_{j}": f"out_o{j}" for j in (1, 2)},
    **{f"C_{j}": f"E_o{j}" for j in (1, 2)},
    "C": "E_total",
}


EXAMPLES = {
    "seed000": lambda: Example(
        weights=SEED000_WEIGHTS, biases=SEED000_BIASES, inputs=[[0.05, 0.10]], targets=[[0.01, 0.99]],
        hidden="sigmoid", output="sigmoid", cost="quadratic", eta=0.5, fixed_biases=True,
        title="One step of backpropagation: the 2-2-2 sigmoid example of seed 000 (section 3.3.5)",
        note=(
            "Seed 000's names: w1 = w^1_11 (x1->h1), w2 = w^1_12 (x2->h1), w3 = w^1_21 (x1->h2), w4 = w^1_22 (x2->h2), "
            "w5 = w^2_11 (h1->o1), w6 = w^2_12 (h2->o1), w7 = w^2_21 (h1->o2), w8 = w^2_22 (h2->o2); "
            "out_h = a^1, out_o = a^2, E_total = C, b1 = 0.35 and b2 = 0.60 shared by their layer."
        ),
        aliases=SEED000_ALIASES,
    ),
    "seed003": lambda: Example(
        weights=SEED003_WEIGHTS, biases=SEED003_BIASES, inputs=[[0.5, 1.0]], targets=[[0.0, 1.0]],
        hidden="tanh", output="softmax", cost="quadratic", eta=0.1,
        title="One step of backpropagation: tanh hidden layer, softmax output, squared error (seed 003)",
        note=(
            "Seed 003 writes tanh' as (1+h)(1-h), which is 1 - h², and pairs softmax with a squared error, "
            "which needs the full softmax Jacobian in BP1. Its numbers are rounded and partly inconsistent; "
            "these weights are a clean set close to them (x1 = 0.5, w^1_11 = 0.1, h1 ≈ 0.84, outputs ≈ 0.57/0.43)."
        ),
    ),
}


def get_example(name: str) -> Example:
    try:
        return EXAMPLES[name]()
    except KeyError:
        raise ValueError(f"unknown example {name!r}; valid examples are: {', '.join(EXAMPLES)}") from None


def targets_task(output, targets) -> str | None:
    """"multilabel" for rows of targets of several sigmoid outputs, else None (the network's default).

    Rows such as (1, 1) mark several labels per sample, which a classifier refuses; rows of one
    label or of probabilities, such as seed 000's (0.01, 0.99), read the same either way, while
    one class index per sample needs the classifier.
    """
    shape = np.shape(targets) if targets is not None else ()
    return "multilabel" if output == "sigmoid" and len(shape) == 2 and shape[1] > 1 else None


def network_from_arrays(weights, biases, hidden="sigmoid", output="sigmoid", cost="quadratic", fixed_biases=False,
                        task=None):
    """A float64 Network of Dense layers with the given w^l (n_l, n_(l-1)) and b^l (``task``: see ``Network``)."""
    from ..layers import Dense
    from ..network import Network

    if not isinstance(weights, (list, tuple)) or not weights:
        raise ValueError("weights must be a non-empty list of weight matrices, one per layer")
    matrices = []
    for l, w in enumerate(weights, start=1):
        try:
            array = np.array(w, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"weights of layer {l} must be a rectangular list of lists of numbers") from None
        if array.ndim != 2 or array.size == 0:
            raise ValueError(f"weights of layer {l} must be a matrix (n_{l}, n_{l - 1}), got shape {array.shape}")
        if l > 1 and array.shape[1] != matrices[-1].shape[0]:
            raise ValueError(
                f"weights of layer {l} have shape {array.shape}: {array.shape[1]} columns, but layer {l - 1} "
                f"has {matrices[-1].shape[0]} neurons (w^l has shape (n_l, n_(l-1)))"
            )
        matrices.append(array)
    if biases is None:
        biases = [0.0] * len(matrices)
    if not isinstance(biases, (list, tuple)) or len(biases) != len(matrices):
        raise ValueError(f"biases must be a list with one entry per layer ({len(matrices)}), got {biases!r}")
    vectors = []
    for l, (b, w) in enumerate(zip(biases, matrices), start=1):
        try:
            array = np.array(b, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"biases of layer {l} must be a number or a list of numbers") from None
        if array.ndim == 0:
            array = np.full(w.shape[0], float(array))
        if array.shape != (w.shape[0],):
            raise ValueError(f"biases of layer {l} must have {w.shape[0]} entries (one per neuron), got shape {array.shape}")
        vectors.append(array)
    count = len(matrices)
    layers = [
        Dense(w.shape[1], w.shape[0], output if l == count - 1 else hidden, weights=w, biases=b,
              train_biases=not fixed_biases)
        for l, (w, b) in enumerate(zip(matrices, vectors))
    ]
    return Network(layers, cost=cost, dtype="float64", task=task)


#: The largest weights file ``load_weights_json`` reads.
WEIGHTS_JSON_MAX_BYTES = 64 << 20


def load_weights_json(path) -> dict:
    """Read a weights file: a JSON object with "weights" and optionally "biases" and data."""
    from ..io import FileFormatError, parse_json, read_text

    # Untrusted: a regular file of at most 64 MiB, JSON nested at most 64 levels (bprop.io).
    data = parse_json(read_text(path, WEIGHTS_JSON_MAX_BYTES, "weights file"), path, "a JSON weights file")
    if isinstance(data, list):
        data = {"weights": data}
    if not isinstance(data, dict) or "weights" not in data:
        raise FileFormatError(path, "must hold a JSON object with a \"weights\" list (and optionally \"biases\")")
    return data


def parse_vectors(text: str, name: str) -> list[list[float]]:
    """'0.05,0.10' -> [[0.05, 0.1]]; '1,2;3,4' or JSON '[[1,2],[3,4]]' -> two samples."""
    text = text.strip()
    try:
        if text.startswith("["):
            value = json.loads(text)
            array = np.array(value, dtype=np.float64)
        else:
            rows = [row for row in text.split(";") if row.strip()]
            array = np.array([[float(v) for v in row.split(",") if v.strip()] for row in rows], dtype=np.float64)
    except (ValueError, TypeError, RecursionError):
        raise ValueError(f"{name} must be numbers separated by commas (samples by ';') or JSON, got {text!r}") from None
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{name} must be one sample (a list of numbers) or a list of samples, got {text!r}")
    return array.tolist()


def invent_data(net, seed: int, m: int = 1) -> tuple[list, list]:
    """Inputs (m, n_0) and targets the head can mean, drawn from ``seed``, rounded to 2 decimals:
    the data ``bprop explain``, ``graph`` and ``draw`` use when none is given (the same for all three).

    Inputs are uniform in [0, 1); targets are one-hot rows for a softmax, values in [0.01, 0.99] for
    outputs in (0, 1), and in [-1, 1] otherwise.
    """
    rng = np.random.default_rng(seed)
    n_out = net.n_outputs
    inputs = np.round(rng.uniform(0, 1, (m, net.n_inputs)), 2).tolist()
    if net.output_activation.name == "softmax":
        targets = np.eye(n_out)[rng.integers(0, n_out, m)].tolist()
    elif net.output_activation.output_range[0] >= 0 and net.output_activation.output_range[1] <= 1:
        targets = np.round(rng.uniform(0.01, 0.99, (m, n_out)), 2).tolist()
    else:
        targets = np.round(rng.uniform(-1, 1, (m, n_out)), 2).tolist()
    return inputs, targets


def describe_invented(seed: int, inputs=None, targets=None) -> str:
    """The sentence that says which data were made up by ``invent_data``."""
    def short(values) -> str:  # long rows shortened: [[0.64, 0.27, 0.04, ..., 0.2, 0.09, 0.58]]
        return np.array2string(np.asarray(values), separator=", ", threshold=12, edgeitems=3).replace("\n", "")

    made = ([f"x = {short(inputs)}"] if inputs is not None else []) + ([f"y = {short(targets)}"] if targets is not None else [])
    return f"No data given: drawn at random from seed {seed}: {', '.join(made)}."


def from_model(path, without_dropout: bool = False) -> "Example":
    """An Example with the weights, activations and cost of a saved model.

    A model with dropout is refused (a step with random masks cannot be explained number by
    number), unless ``without_dropout``: then its dropout layers are left out, as at
    evaluation, where they are the identity (``bprop draw`` draws such a model), and the
    Example's note says so."""
    from ..serialization import load_model
    from .trace import regularizer_note

    net = load_model(path)
    dense = net.dense_layers
    dropout = [layer for layer in net.layers if layer not in dense]
    if dropout and not without_dropout:
        raise ValueError(f"{path}: explaining a step takes Dense layers only (this model has dropout; "
                         "'bprop draw --model' draws it without)")
    hidden = {layer.activation.name for layer in dense[:-1]}
    if len(hidden) > 1:
        raise ValueError(f"{path}: the hidden layers mix activations ({', '.join(sorted(hidden))}); give --weights JSON instead")
    return Example(
        weights=[w.astype(float).tolist() for w in net.weights], biases=[b.astype(float).tolist() for b in net.biases],
        inputs=None, targets=None, hidden=hidden.pop() if hidden else net.output_activation.name,
        output=net.output_activation.name, cost=net.cost.name,
        title=f"One step of backpropagation: the network of {path}",
        note=" ".join(filter(None, [
            None if not dropout else
            f"The model's dropout ({', '.join(repr(layer) for layer in dropout)}) is left out, as at evaluation, "
            "where it is the identity: the activations are those its predictions use, and gradients those of a "
            "step without dropout.",
            None if net.preprocessing is None else
            f"The inputs are what layer 1 receives: the model's preprocessing ({net.preprocessing!r}) is not applied "
            "here.",
            None if net.target_preprocessing is None else
            "The targets are what the output layer is trained towards: the model standardizes its targets "
            "((y - mean) / std, mean " + ", ".join(repr(float(v)) for v in net.target_preprocessing.mean) + ", std "
            + ", ".join(repr(float(v)) for v in net.target_preprocessing.std) + "), which is not applied here: give "
            "standardized targets.",
            # the Example's network has no regularizer: say what the model's training adds to the step shown
            None if net.regularizer is None else regularizer_note(net.regularizer, owner="The model")])),
    )


def resolve(
    *,
    example: str | None = None,
    sizes=None,
    weights_file=None,
    model_file=None,
    inputs=None,
    targets=None,
    hidden=None,
    output=None,
    cost=None,
    eta=None,
    fixed_biases=False,
    seed=0,
    without_dropout=False,
) -> Example:
    """The example the command-line options describe.

    Precedence: a weights file, else ``sizes`` (random weights from ``seed``,
    rounded to 2 decimals so the trace reads easily), else a named preset
    (default "seed000"). ``hidden``, ``output``, ``cost``, ``eta``, ``inputs``,
    ``targets`` and ``fixed_biases`` override what the file or preset says.
    Inputs and targets are comma lists ('0.05,0.10'), samples split by ';', or JSON.
    Missing inputs or targets are drawn at random from ``seed``. ``without_dropout``: a
    model file's dropout layers are left out (``from_model``) instead of refused.
    """
    from ..validation import seed_value

    seed = seed_value(seed)  # a clear error before any file is read
    given = [name for name, value in (("--example", example), ("--weights", weights_file), ("--model", model_file))
             if value is not None]
    if len(given) > 1:
        raise ValueError(f"give one of --example, --weights and --model, not {' and '.join(given)}")
    if model_file is not None:
        base = from_model(model_file, without_dropout=without_dropout)
        if sizes is not None and list(sizes) != base.build().sizes:
            raise ValueError(f"--sizes does not match the model {model_file}")
    elif weights_file is not None:
        from ..heads import DEFAULT_HIDDEN, default_pair

        data = load_weights_json(weights_file)
        output_name, cost_name = default_pair(len(data["weights"][-1]), output or data.get("output"),
                                              cost or data.get("cost"))  # the defaults of every command
        base = Example(
            weights=data["weights"], biases=data.get("biases"),
            inputs=data.get("inputs"), targets=data.get("targets"),
            hidden=data.get("hidden", DEFAULT_HIDDEN), output=output_name,
            cost=cost_name, eta=data.get("eta", 0.5),
            title=f"One step of backpropagation: the network of {weights_file}",
        )
        if sizes is not None:
            given = network_from_arrays(base.weights, base.biases).sizes
            if list(sizes) != given:
                raise ValueError(f"--sizes {','.join(map(str, sizes))} does not match the weights in {weights_file}, "
                                 f"which give {','.join(map(str, given))}")
    elif sizes is not None:
        from ..network import Network

        from ..heads import DEFAULT_HIDDEN, default_pair

        hidden_name = hidden or DEFAULT_HIDDEN
        output_name, cost = default_pair(list(sizes)[-1], output, cost)  # the defaults of every command
        random_net = Network(list(sizes), hidden=hidden_name, output=output_name, cost=cost,
                             seed=seed, dtype="float64")
        base = Example(
            weights=[np.round(w, 2).tolist() for w in random_net.weights],
            biases=[np.round(b, 2).tolist() for b in random_net.biases],
            inputs=None, targets=None, hidden=hidden_name, output=output_name,
            title=f"One step of backpropagation: a random {'-'.join(map(str, sizes))} network (seed {seed})",
            note="Random initial weights (the network's default initialization, rounded to 2 decimals).",
        )
    else:
        base = get_example(example or "seed000")
    if hidden is not None:
        base.hidden = hidden
    if output is not None:
        base.output = output
    if cost is not None:
        base.cost = cost
    if eta is not None:
        base.eta = eta
    if fixed_biases:
        base.fixed_biases = True
    net = base.build()  # checks the shapes before the data are made to fit them
    n_in, n_out = net.n_inputs, net.n_outputs
    if inputs is not None:
        base.inputs = parse_vectors(inputs, "--inputs") if isinstance(inputs, str) else inputs
    if targets is not None:
        base.targets = parse_vectors(targets, "--targets") if isinstance(targets, str) else targets
    if base.inputs is None or base.targets is None:
        invented_inputs, invented_targets = invent_data(net, seed, len(base.inputs) if base.inputs is not None else 1)
        note = describe_invented(seed, invented_inputs if base.inputs is None else None,
                                 invented_targets if base.targets is None else None)
        if base.inputs is None:
            base.inputs = invented_inputs
        if base.targets is None:
            base.targets = invented_targets
        base.note = f"{base.note} {note}".strip()
    shape = np.shape(base.targets)
    if n_out > 1 and len(shape) == 2 and shape[1] == 1:
        base.targets = [row[0] for row in base.targets]  # one number per sample: a class index
    if np.shape(base.inputs)[-1] != n_in:
        raise ValueError(f"the network has {n_in} inputs but --inputs gives {np.shape(base.inputs)[-1]} numbers per sample")
    return base
