"""One page's state: its data, its network and optimizer, and every number it shows.

All numbers come from bprop itself: a training step is ``Network.backprop`` on the
next mini-batch followed by the optimizer's ``step`` (for plain SGD exactly
w <- w - eta dC/dw); the hover numbers are ``Network.backprop`` of the selected
sample (or of the next mini-batch) with the layers' own forward pass
(``Dense.weighted_input``, ``Activation.forward`` / ``derivative``) and the cost's
``gradient``; "explain this step" is ``bprop.explain.trace_step``. The page only
draws what it receives.
"""

from __future__ import annotations

import base64
import json
import math
import os
import tempfile

import numpy as np

from .. import optimizers, regularizers
from ..layers import Dense, Dropout
from ..network import Network
from . import datasets
from .settings import DATA_FIELDS, HEADS, HIDDEN_ACTIVATIONS, LIVE_FIELDS, MAX_LAYERS, MAX_NEURONS, head_of, slow_pair_note

#: Side of the grid on which every neuron's output is drawn.
GRID = 40
#: Networks up to this many weights and biases get their computational graph drawn by "explain".
MAX_GRAPH_PARAMETERS = 30
#: Largest model file accepted by "load".
MAX_MODEL_BYTES = 2_000_000


def encode_bytes(values: np.ndarray, lo: float, hi: float) -> str:
    """Values quantized to 0..255 over [lo, hi], base64 (the page's heatmap format); NaN -> 0."""
    span = hi - lo if hi > lo and np.isfinite(hi - lo) else 1.0
    with np.errstate(all="ignore"):
        q = np.nan_to_num(np.clip(np.rint((values - lo) / span * 255), 0, 255)).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def activation_range(name: str, values: np.ndarray) -> tuple[float, float]:
    """The color scale of a neuron: its activation's range, else symmetric around 0."""
    if name == "tanh":
        return -1.0, 1.0
    if name in ("sigmoid", "softmax"):
        return 0.0, 1.0
    finite = np.abs(values[np.isfinite(values)])
    m = min(float(finite.max()), 1e300) if finite.size else 1.0
    return -max(m, 1e-9), max(m, 1e-9)


def tolist(array) -> list:
    """Nested lists of floats for JSON; NaN and infinities (a diverged network) become None."""
    array = np.asarray(array, dtype=np.float64)
    if np.all(np.isfinite(array)):
        return array.tolist()
    return np.where(np.isfinite(array), array, None).tolist()


class Session:
    """The state of one connected page. Methods raise ValueError for bad requests
    before changing anything."""

    def __init__(self, settings: dict):
        self.upload: datasets.Points | None = None
        self.settings: dict = {}
        self.playing = False
        self.inspecting = False
        self.selected = ("train", 0)
        self.mode = "sample"
        self.apply(settings)

    # -- configuration --------------------------------------------------------------

    def apply(self, settings: dict) -> None:
        """Adopt checked settings: new data and/or a new network when they changed."""
        if settings["dataset"] == datasets.UPLOAD and self.upload is not None:
            if self.upload.regression != (settings["problem"] == "regression"):
                kind = "regression targets" if self.upload.regression else "class labels"
                raise ValueError(f"the uploaded CSV holds {kind}; upload it again for a {settings['problem']} problem")
        old = self.settings
        self.settings = settings
        if not old or any(old[k] != settings[k] for k in DATA_FIELDS):
            self._make_data()
        if not old or any(old[k] != settings[k] for k in settings if k not in LIVE_FIELDS):
            self.reset()
        else:
            self.optimizer.eta = self.current_eta()
            # A new batch size takes effect from the next batch, which goes on through the
            # epoch's order: any other live change leaves the batches, and so the run, as they were.
            self._next_batch()

    def use_upload(self, points: datasets.Points, settings: dict) -> None:
        """Make uploaded points the data set (``settings`` has dataset "upload"): new data, new network."""
        self.upload = points
        self.settings = settings
        self._make_data()
        self.reset()

    def _make_data(self) -> None:
        s = self.settings
        if s["dataset"] == datasets.UPLOAD:
            points = self.upload
        else:
            points = datasets.generate(s["dataset"], s["points"], s["noise"], s["data_seed"])
        self.points = points
        self.train_idx, self.test_idx = datasets.split(len(points.labels), s["train_ratio"], s["data_seed"])
        self.selected = ("train", 0)  # new points: the old index names another sample, or none

    @property
    def n_outputs(self) -> int:
        if self.points.regression:
            return 1
        k = max(self.points.n_classes, 2)
        activation, _ = head_of(self.settings)
        return 1 if (k == 2 and activation == "sigmoid") else k

    def targets(self, labels: np.ndarray) -> np.ndarray:
        """Targets (m, n_L): one-hot rows, a 0/1 column for one sigmoid output, or the values."""
        if self.points.regression:
            return labels.astype(np.float64).reshape(-1, 1)
        if self.n_outputs == 1:
            return labels.astype(np.float64).reshape(-1, 1)
        return np.eye(self.n_outputs)[labels]

    def build_network(self) -> Network:
        s = self.settings
        out_act, cost = head_of(s)
        layers, n = [], len(s["features"])
        for size in s["hidden"]:
            layers.append(Dense(n, size, s["activation"]))
            if s["dropout"] > 0:
                layers.append(Dropout(s["dropout"]))
            n = size
        layers.append(Dense(n, self.n_outputs, out_act))
        return Network(layers=layers, cost=cost, seed=s["seed"], dtype="float64",
                       regularizer=self._regularizer())

    def _regularizer(self):
        s = self.settings
        if s["regularization"] == "none" or s["reg_rate"] == 0:
            return None
        return regularizers.get(s["regularization"], s["reg_rate"], n=len(self.train_idx))

    def _optimizer(self):
        name = self.settings["optimizer"]
        return optimizers.get(name, self.settings["eta"])

    def reset(self) -> None:
        """A fresh network (same seed: the same initial weights), step 0; the selected sample stays."""
        self.net = self.build_network()
        self._prepare_data()
        self.optimizer = self._optimizer()
        self.steps = 0
        self.seen = 0  # training samples the steps have used
        self.history: list[tuple[int, float, float]] = []
        self.batch_order = None
        self.batch_rng = np.random.default_rng(self.settings["seed"] + 7)
        self.batch_pos = 0
        self.stopped_reason = ""
        self._next_batch()
        self.record_losses()

    def _prepare_data(self) -> None:
        names = self.settings["features"]
        xy, labels = self.points.xy, self.points.labels
        self.x_all = datasets.features(xy, names)
        self.t_all = self.targets(labels)
        self.x_train, self.t_train = self.x_all[self.train_idx], self.t_all[self.train_idx]
        self.x_test, self.t_test = self.x_all[self.test_idx], self.t_all[self.test_idx]
        self.grid_xy = datasets.grid(GRID)
        self.grid_x = datasets.features(self.grid_xy, names)

    def _next_batch(self) -> None:
        """Pick the indices (into the training set) of the next mini-batch: epochs of shuffled order,
        each a pass over every training sample whose last batch may be shorter, as in ``Network.fit``."""
        n, size = len(self.train_idx), min(self.settings["batch"], len(self.train_idx))
        if self.batch_order is None or self.batch_pos >= n:
            self.batch_order = self.batch_rng.permutation(n)
            self.batch_pos = 0
        self.next_batch = self.batch_order[self.batch_pos:self.batch_pos + size]

    @property
    def epoch(self) -> float:
        """Training samples used so far / training-set size (batch sizes may change mid-run)."""
        return self.seen / len(self.train_idx)

    def current_eta(self) -> float:
        s = self.settings
        if s["schedule"] == "step" and hasattr(self, "seen"):
            return s["eta"] * 0.5 ** int(self.epoch // s["schedule_every"])
        return s["eta"]

    # -- training -------------------------------------------------------------------

    def step(self) -> dict:
        """One optimizer step on the next mini-batch; returns what it used."""
        batch = self.next_batch
        x, t = self.x_train[batch], self.t_train[batch]
        grads = self.net.backprop(x, t)
        self.optimizer.eta = self.current_eta()
        self.optimizer.step(self.pairs(grads))
        self.steps += 1
        self.seen += len(batch)
        self.batch_pos += len(batch)
        self._next_batch()
        self.optimizer.eta = self.current_eta()  # the next step's: what the frame and hover show
        return {"batch": batch, "gradients": grads}

    def pairs(self, grads) -> list:
        """(parameter, gradient) pairs in a fixed order: w^1, b^1, w^2, b^2, ..."""
        result = []
        for w, b, gw, gb in zip(self.net.weights, self.net.biases, grads.weights, grads.biases):
            result += [(w, gw), (b, gb)]
        return result

    def losses(self) -> tuple[float, float]:
        """The cost C (``Network.total_cost``: mean C_x plus any regularization term) on the
        training and the test set."""
        train = self.net.total_cost(self.x_train, self.t_train)
        test = self.net.total_cost(self.x_test, self.t_test) if len(self.test_idx) else float("nan")
        return train, test

    def record_losses(self) -> tuple[float, float]:
        train, test = self.losses()
        self.history.append((self.steps, train, test))
        if len(self.history) > 2000:  # keep every other point of the old half
            self.history = self.history[:1000:2] + self.history[1000:]
        return train, test

    def diverged(self) -> bool:
        """True when a weight, a bias or the last training loss is NaN or infinite."""
        if self.history and not math.isfinite(self.history[-1][1]):
            return True
        return not all(np.all(np.isfinite(p)) for p in (*self.net.weights, *self.net.biases))

    def epochs_done(self) -> bool:
        """True when the stop condition 'stop after stop_epochs epochs' is met."""
        return bool(self.settings["stop_epochs"]) and self.epoch >= self.settings["stop_epochs"]

    def should_stop(self, test_loss: float, train_loss: float) -> str:
        s = self.settings
        if self.epochs_done():
            return f"stopped after {s['stop_epochs']} epochs"
        loss = test_loss if math.isfinite(test_loss) else train_loss
        if s["stop_loss"] and loss <= s["stop_loss"]:
            return f"stopped: test loss {loss:.4g} <= {s['stop_loss']:g}"
        return ""

    # -- what the page draws --------------------------------------------------------

    def describe(self) -> dict:
        """The data and the network's shape: sent when they change."""
        out_act, cost = head_of(self.settings)
        p = self.points
        return {
            "type": "state",
            "settings": self.settings,
            "sizes": self.net.sizes,
            "activations": [layer.activation.name for layer in self.net.dense_layers],
            "cost": self.net.cost.name,
            "regression": p.regression,
            "classes": p.n_classes,
            "has_upload": self.upload is not None,
            "note": slow_pair_note(self.settings),
            "points": {
                "train": {"xy": tolist(p.xy[self.train_idx]), "label": p.labels[self.train_idx].tolist()},
                "test": {"xy": tolist(p.xy[self.test_idx]), "label": p.labels[self.test_idx].tolist()},
            },
            "grid": GRID,
            "radius": datasets.RADIUS,
            "selected": {"set": self.selected[0], "index": self.selected[1]},
        }

    def frame(self, with_numbers: bool = False) -> dict:
        """Losses, weights, every neuron's heatmap, the output map and the confusion matrix."""
        train, test = self.history[-1][1], self.history[-1][2]
        heatmaps = []
        # Inputs: the features themselves.
        layer0 = []
        for column in range(self.grid_x.shape[1]):
            values = self.grid_x[:, column]
            lo, hi = activation_range("identity", values)
            layer0.append({"lo": lo, "hi": hi, "data": encode_bytes(values, lo, hi)})
        heatmaps.append(layer0)
        a = self.grid_x
        for layer in self.net.layers:
            a = layer.forward(a, training=False)
            if not isinstance(layer, Dense):
                continue
            maps = []
            for j in range(a.shape[1]):
                lo, hi = activation_range(layer.activation.name, a[:, j])
                maps.append({"lo": lo, "hi": hi, "data": encode_bytes(a[:, j], lo, hi)})
            heatmaps.append(maps)
        frame = {
            "type": "frame",
            "step": self.steps,
            "epoch": self.epoch,
            "eta": self.optimizer.eta,
            "train_loss": _finite(train),
            "test_loss": _finite(test),
            "history": [[s, _finite(tr), _finite(te)] for s, tr, te in self.history[-400:]],
            "weights": [tolist(w) for w in self.net.weights],
            "biases": [tolist(b) for b in self.net.biases],
            "heatmaps": heatmaps,
            "output": self.output_map(a),
            "playing": self.playing,
            "stopped": self.stopped_reason,
        }
        if not self.points.regression:
            frame["confusion"] = self.confusion()
        if with_numbers:  # None: a diverged network has no numbers to hover
            frame["numbers"] = None if self.diverged() else self.numbers()
        return frame

    def output_map(self, a: np.ndarray) -> dict:
        """The output over the plane: p(class 1), (class, confidence) or the regression value.

        A regression value is drawn on the targets' scale, -max|y| to max|y|, the colors of the
        points: a prediction has the color of a point with that target."""
        if self.points.regression:
            hi = max(float(np.abs(self.points.labels).max()), 1e-9)
            return {"kind": "value", "lo": -hi, "hi": hi, "data": encode_bytes(a[:, 0], -hi, hi)}
        if a.shape[1] == 1:
            return {"kind": "binary", "data": encode_bytes(a[:, 0], 0.0, 1.0)}
        if a.shape[1] == 2:
            p = a[:, 1] / np.maximum(a.sum(axis=1), 1e-12)
            return {"kind": "binary", "data": encode_bytes(p, 0.0, 1.0)}
        labels = labels_of(a)
        confidence = a.max(axis=1) / np.maximum(a.sum(axis=1), 1e-12)
        return {"kind": "classes", "classes": base64.b64encode(labels.astype(np.uint8).tobytes()).decode("ascii"),
                "data": encode_bytes(confidence, 0.0, 1.0)}

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """a^L for the rows x, as the page's pictures compute it: a network that diverged gives
        NaN here, which the page shows as such (``Network.feedforward`` refuses non-finite outputs,
        and the frames must still be drawn to say what happened)."""
        a = self.net.inputs(x)
        for layer in self.net.layers:
            a = layer.forward(a, training=False)
        return a

    def confusion(self) -> dict:
        """Confusion matrices [true][predicted] of the train and test sets, and per set the
        number of samples with no prediction: a diverged network's NaN or infinite outputs
        name no class (argmax would read class 0 from them), so they are left out of the matrix."""
        k = max(self.points.n_classes, 2)
        result = {"unpredicted": {}}
        for name, x, idx in (("train", self.x_train, self.train_idx), ("test", self.x_test, self.test_idx)):
            true = self.points.labels[idx]
            a = self.outputs(x)
            finite = np.all(np.isfinite(a), axis=1)
            predicted = labels_of(a[finite])
            matrix = np.zeros((k, k), dtype=np.int64)
            np.add.at(matrix, (true[finite], np.clip(predicted, 0, k - 1)), 1)
            result[name] = matrix.tolist()
            result["unpredicted"][name] = int(len(idx) - finite.sum())
        return result

    # -- the numbers behind a hover ---------------------------------------------------

    def select(self, which: str, index: int, mode: str) -> None:
        idx = self.train_idx if which == "train" else self.test_idx
        if not 0 <= index < len(idx):
            raise ValueError(f"sample index must be from 0 to {len(idx) - 1} for the {which} set, got {index}")
        self.selected = (which, index)
        self.mode = mode

    def selected_sample(self) -> tuple[np.ndarray, np.ndarray]:
        which, index = self.selected
        if which == "train":
            return self.x_train[index:index + 1], self.t_train[index:index + 1]
        return self.x_test[index:index + 1], self.t_test[index:index + 1]

    def dense_view(self) -> Network:
        """The network without its dropout layers (they are the identity outside training),
        same weights, cost and regularizer: what hover and explain look at."""
        layers = [
            Dense(layer.n_in, layer.n_out, layer.activation.name, weights=layer.weights, biases=layer.biases)
            for layer in self.net.dense_layers
        ]
        net = Network(layers=layers, cost=self.net.cost.name, dtype="float64", regularizer=self._regularizer())
        return net

    def numbers(self) -> dict:
        """z, a, sigma'(z), dC/da, delta, dC/db, w, dC/dw and eta dC/dw of every neuron and weight.

        Mode "sample": the selected sample; delta^l = dC/db^l of that one sample (BP3).
        Mode "batch": the next mini-batch (the one "step" will use): z and a are batch
        means, dC/db^l = Σ_x delta^l_x of the batch-mean cost.
        """
        view = self.dense_view()
        if self.mode == "sample":
            x, t = self.selected_sample()
        else:
            x, t = self.x_train[self.next_batch], self.t_train[self.next_batch]
        grads = view.backprop(x, t)
        layers, a = [], x
        for index, (layer, gw, gb) in enumerate(zip(view.dense_layers, grads.weights, grads.biases)):
            z = layer.weighted_input(a)
            a_next = layer.activation.forward(z)
            entry = {
                "z": tolist(z.mean(axis=0)),
                "a": tolist(a_next.mean(axis=0)),
                "db": tolist(gb),
                "w": tolist(layer.weights),
                "dw": tolist(gw),
                "step": tolist(self.optimizer.eta * gw),
                "bstep": tolist(self.optimizer.eta * gb),
                "activation": layer.activation.name,
            }
            if layer.activation.elementwise:
                entry["sigma_prime"] = tolist(layer.activation.derivative(z, a_next).mean(axis=0))
            layers.append(entry)
            a = a_next
        out_act = view.output_activation
        result = {
            "type": "numbers", "mode": self.mode, "step": self.steps, "eta": self.optimizer.eta,
            "optimizer": self.settings["optimizer"], "dropout": self.settings["dropout"],
            "cost": view.cost.name, "layers": layers,
            "regularizer": None if view.regularizer is None else {
                "name": view.regularizer.name, "lambda": view.regularizer.lmbda, "n": view.regularizer.n},
            "rule": "fused" if view.cost.fused_with(out_act) else ("elementwise" if out_act.elementwise else "jacobian"),
        }
        if self.mode == "sample":
            result["set"], result["index"] = self.selected
            result["x"] = tolist(x[0])
            result["y"] = tolist(t[0])
            result["grad_a_out"] = tolist(view.cost.gradient(a, t)[0])
        else:
            result["batch"] = self.next_batch.tolist()
        return result

    # -- explain -----------------------------------------------------------------------

    def explain(self) -> dict:
        """The ``bprop explain`` trace of one SGD step on the selected sample, as sections of MathML."""
        from ..explain import build_sections, trace_step
        from ..explain.mathml import expression, symbol, text_html

        view = self.dense_view()
        x, t = self.selected_sample()
        trace = trace_step(view, x, t, self.optimizer.eta, title="One SGD step on the selected sample")
        sections = []
        for section in build_sections(trace, digits=6):
            sections.append({
                "title": text_html(section.title),
                "equation": section.equation,
                "formulas": [expression(text) for text in section.formulas],
                "notes": [text_html(text) for text in section.notes],
                "lines": [{"equation": line.equation, "symbol": symbol(line.symbol),
                           "expression": expression(line.expression), "value": float(line.value)}
                          for line in section.lines],
                "matrices": [{"name": symbol(m.name), "rows": tolist(np.atleast_2d(m.array))} for m in section.matrices],
            })
        note = ""
        if view.regularizer is not None:
            note = "The trace shows the data cost C_0 only; training adds the regularizer's gradient to dC/dw."
        return {"type": "trace", "sections": sections, "note": note, "set": self.selected[0],
                "index": self.selected[1], "cost_before": trace.cost_value, "cost_after": trace.cost_after,
                "graph_svg": self.graph_svg(view, x, t)}

    def graph_svg(self, view: Network, x: np.ndarray, t: np.ndarray) -> str | None:
        """The computational graph of this sample's cost (``bprop.graph``, an independent backprop)
        as base64 SVG, for networks of at most MAX_GRAPH_PARAMETERS parameters; else None."""
        if view.n_params > MAX_GRAPH_PARAMETERS:
            return None
        from ..graph import network_graph
        from ..drawing.graph import render

        graph = network_graph(view, x, t)
        graph.backward()
        with tempfile.TemporaryDirectory() as folder:
            path = render(graph.cost, os.path.join(folder, "graph.svg"), title="the cost of the selected sample as a graph")
            with open(path, "rb") as handle:
                return base64.b64encode(handle.read()).decode("ascii")

    # -- files ---------------------------------------------------------------------------

    def export(self, fmt: str) -> dict:
        """The network as a bprop model file (npz) or the JSON weights ``bprop explain --weights`` reads."""
        if not all(np.all(np.isfinite(p)) for p in (*self.net.weights, *self.net.biases)):
            raise ValueError("the network diverged (NaN or inf weights): there is nothing to export; "
                             "lower the learning rate and reset")
        if fmt == "npz":
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.npz")
                self.net.save(path)
                with open(path, "rb") as handle:
                    data = handle.read()
            return {"type": "file", "name": "playground-model.npz", "mime": "application/octet-stream",
                    "base64": base64.b64encode(data).decode("ascii")}
        out_act, cost = head_of(self.settings)
        x, t = self.selected_sample()
        payload = {
            "weights": [tolist(w) for w in self.net.weights],
            "biases": [tolist(b) for b in self.net.biases],
            "hidden": self.settings["activation"], "output": out_act, "cost": cost,
            "eta": self.optimizer.eta, "inputs": tolist(x), "targets": tolist(t),
            "features": self.settings["features"],
        }
        text = json.dumps(payload, indent=1)
        return {"type": "file", "name": "playground-weights.json", "mime": "application/json",
                "base64": base64.b64encode(text.encode()).decode("ascii")}

    def load_model(self, fmt: str, data: bytes) -> None:
        """Replace the network by one read from a model file (npz) or explain's JSON weights.

        Its input count must match the selected features and its outputs the problem's;
        the settings (hidden sizes, activation, head) follow the file. Nothing changes on error.
        """
        if len(data) > MAX_MODEL_BYTES:
            raise ValueError(f"the model file is larger than {MAX_MODEL_BYTES} bytes")
        if fmt == "npz":
            from ..serialization import load_model

            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.npz")
                with open(path, "wb") as handle:
                    handle.write(data)
                try:
                    net = load_model(path)
                except ValueError as error:
                    raise ValueError(str(error).replace(path, "the model file")) from None
        else:
            from ..explain.examples import network_from_arrays

            try:
                spec = json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise ValueError(f"the weights file is not valid JSON: {error}") from None
            if not isinstance(spec, dict) or "weights" not in spec:
                raise ValueError('the weights file must hold a JSON object with "weights" and "biases"')
            names = {k: spec.get(k, d) for k, d in (("hidden", "sigmoid"), ("output", "sigmoid"), ("cost", "quadratic"))}
            for key, value in names.items():
                if not isinstance(value, str):
                    raise ValueError(f'"{key}" in the weights file must be a name')
            net = network_from_arrays(spec["weights"], spec.get("biases"), names["hidden"], names["output"], names["cost"])
            features = spec.get("features")  # what its inputs are (the page's export writes them)
            if features is not None:
                order = list(datasets.FEATURES)
                if (not isinstance(features, list) or not features or not all(isinstance(f, str) and f in order for f in features)
                        or [f for f in order if f in features] != features):
                    raise ValueError(f'"features" in the weights file must be distinct names in this order: {", ".join(order)}')
            self.adopt(net, features)
            return
        self.adopt(net)

    def adopt(self, net: Network, features: list | None = None) -> None:
        """Make ``net`` the network; ``features``: the input features its weights are for (default:
        the selected ones), selected with it."""
        dense = net.dense_layers
        scaling = [f"{name} {value!r}" for name, value in (("inputs", net.preprocessing),
                                                           ("targets", net.target_preprocessing)) if value is not None]
        if scaling:  # the playground's network feeds the features as they are and predicts raw targets
            raise ValueError(f"the model rescales its {' and its '.join(scaling)}, which the playground does not do: "
                             "its weights would see other numbers than it was trained on; load a model without "
                             "preprocessing (such as one exported here)")
        if not all(isinstance(layer, (Dense, Dropout)) for layer in net.layers):
            raise ValueError("the playground takes networks of Dense (and Dropout) layers only")
        hidden = [layer.n_out for layer in dense[:-1]]
        if len(hidden) > MAX_LAYERS or any(n > MAX_NEURONS for n in hidden):
            raise ValueError(f"the model has hidden layers {hidden}; the playground shows at most "
                             f"{MAX_LAYERS} layers of {MAX_NEURONS} neurons")
        if features and net.n_inputs != len(features):
            raise ValueError(f"the model has {net.n_inputs} inputs but the file names {len(features)} features: "
                             f"{', '.join(features)}")
        n_features = len(self.settings["features"])
        if not features and net.n_inputs != n_features:
            raise ValueError(f"the model has {net.n_inputs} inputs but {n_features} input features are selected; "
                             "select as many features first")
        acts = {layer.activation.name for layer in dense[:-1]}
        if len(acts) > 1 or (acts and next(iter(acts)) not in HIDDEN_ACTIVATIONS):
            raise ValueError(f"the model's hidden activations {sorted(acts)} are not one of: {', '.join(HIDDEN_ACTIVATIONS)}")
        pair = (net.output_activation.name, net.cost.name)
        settings = dict(self.settings, hidden=hidden, features=list(features or self.settings["features"]))
        if acts:
            settings["activation"] = next(iter(acts))
        if self.points.regression:
            if pair != ("identity", "quadratic"):
                raise ValueError(f"a regression model needs an identity output and the quadratic cost, got {pair}")
        else:
            heads = [name for name, value in HEADS.items() if value == pair]
            if not heads:
                raise ValueError(f"the model's output/cost pair {pair} is not a playground head")
            settings["head"] = heads[0]
        dropouts = [layer.p for layer in net.layers if isinstance(layer, Dropout)]
        settings["dropout"] = float(dropouts[0]) if dropouts else 0.0
        old = self.settings
        self.settings = settings
        if net.n_outputs != self.n_outputs:
            self.settings = old
            raise ValueError(f"the model has {net.n_outputs} outputs; this problem needs {self.n_outputs}")
        weights = [np.array(w, dtype=np.float64) for w in net.weights]
        biases = [np.array(b, dtype=np.float64) for b in net.biases]
        self.reset()
        self.net.weights = weights
        self.net.biases = biases
        self.history = []
        self.record_losses()


def labels_of(a: np.ndarray) -> np.ndarray:
    """The class each output row picks (m,): a > 1/2 for one output neuron, else the largest a_j."""
    if a.shape[1] == 1:
        return (a[:, 0] > 0.5).astype(np.int64)
    return a.argmax(axis=1)


def _finite(value: float):
    return float(value) if math.isfinite(value) else None
