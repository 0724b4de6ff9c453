"""The network: a stack of layers, its cost, and backprop over whole mini-batches.

``Network([784, 100, 10], hidden="relu", output="softmax", cost="log_likelihood")``
builds layers l = 1..L (the seeds count the input as layer 0 / layer 1; here
``weights[0]`` belongs to the first weight layer). ``backprop_prepared`` runs the four
equations of seed 001 in matrix form over the batch (``fit`` and ``backprop`` both call it):

    BP1  delta^L = grad_a C ⊙ sigma'(z^L)                        OutputHead.delta (heads.py)
    BP2  delta^l = ((w^(l+1))^T delta^(l+1)) ⊙ sigma'(z^l)       Dense.backward_delta (the product
                                                                  with w), Dense.backward (⊙ sigma')
    BP3  dC/db^l = delta^l                                        Dense.backward_delta -> sink
    BP4  dC/dw^l = delta^l (a^(l-1))^T                            Dense.backward_delta -> sink

The sink (``bprop.sinks``) stores the gradients or applies plain SGD with them. The
arithmetic itself is one BLAS call per product (``kernels.bind_*``) and one ufunc pass per
activation derivative (``activations``).

With a regularizer (seed 002) the cost is C = C_0 + penalty(w) and backprop adds
the penalty's gradient, e.g. (lambda/n) w for L2, to each dC_0/dw^l afterwards;
``total_cost``, ``evaluate`` and ``gradcheck`` all use that same C.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import MutableSequence
from typing import NamedTuple, Sequence

import numpy as np

from . import activations, costs, heads, model_file, preprocessing as preprocessing_module, regularizers, sinks
from .layers import Dense, Dropout, Layer
from .tasks import Task
from .validation import all_finite, as_inputs, as_nested, float_dtype, positive_int, seed_value
from .weights import check_sample_weight, row_weights, weighted_mean


class Gradients(NamedTuple):
    """dC/dw^l and dC/db^l for every weight layer, in layer order."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]


class ParameterList(MutableSequence):
    """The live list of one parameter ("weights" or "biases") across weight layers.

    Reading gives the layer's own array (in-place edits reach the network);
    assigning ``net.weights[l] = array`` checks the shape and stores a copy in
    the network's dtype.
    """

    def __init__(self, layers: list[Layer], name: str):
        self._layers = layers
        self._name = name

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [layer.params[self._name] for layer in self._layers[index]]
        return self._layers[index].params[self._name]

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            raise TypeError("assign parameters one layer at a time")
        self._layers[index].set_param(self._name, value)

    def __delitem__(self, index):
        raise TypeError("the number of layers is fixed; build a new Network to change it")

    def insert(self, index, value):
        raise TypeError("the number of layers is fixed; build a new Network to change it")

    def __len__(self):
        return len(self._layers)

    def __add__(self, other):
        """A plain list: ``net.weights + net.biases`` lists every array."""
        return list(self) + list(other)

    def __radd__(self, other):
        return list(other) + list(self)

    def __repr__(self):
        return f"[{', '.join(f'array{p.shape}' for p in self)}]"


class Network:
    """A feedforward network trained by backpropagation.

    Args:
        sizes: layer sizes [n_0, n_1, ..., n_L] (n_0 inputs), or a list of layers.
        hidden: activation of the hidden layers (sizes form only; default relu).
        output: activation of the output layer (sizes form only; default: softmax over 2+
            outputs, sigmoid for one; ``heads.default_pair``).
        cost: "quadratic", "cross_entropy" or "log_likelihood" (default: log_likelihood for a
            softmax output, cross_entropy for sigmoid, quadratic otherwise).
        init: initialization law for every layer ("large", "normal", "he");
            default: He for ReLU-family layers, N(0, 1/n_in) otherwise.
        seed: seeds the generator used for initialization, shuffling and dropout.
        dtype: "float32" (default) or "float64".
        layers: an explicit list of layers instead of ``sizes`` (put ``Dropout(p)``
            layers where wanted).
        regularizer: None, a ``Regularizer`` (e.g. ``regularizers.L2(5.0)``), or a
            pair (name, lambda) such as ("l2", 5.0) or ("l1", 1e-4).
        dropout: sizes form only: drop probability p of a ``Dropout`` layer
            inserted after each hidden Dense layer (default: none).
        task: "classification", "multilabel" or "regression" (``bprop.tasks``); default:
            classification for sigmoid and softmax outputs, regression otherwise.
        classes: the class labels of a classifier, in output order (any sortable values,
            e.g. ["cat", "dog"] or [1, 2, 3]); default: learnt by the first ``fit``
            (integers 0..K-1 are always output indices).
        preprocessing: None, a ``bprop.preprocessing`` object such as ``Scale(1/255)``, or
            a name ("standardize"): applied to every input by fit, predict, evaluate and
            backprop, and saved with the model.
        target_preprocessing: regression only: None, or "standardize" (a
            ``bprop.preprocessing.Standardize``): the first fit learns each target column's
            mean and std (weighted by its ``sample_weight``) and trains on (y - mean) / std; ``predict`` returns mean + std a^L
            (float64, the targets' units) and ``evaluate``'s mse, mae and r2 are in the
            targets' units, while the cost (``evaluate``, ``train_cost``, ``val_cost``) is the
            cost training minimizes, on the standardized targets. Saved with the model. Needs
            the quadratic cost and an identity (or leaky_relu) output: the standardized
            targets take any real value.
        feature_names: None, or the n_0 names of the input columns (a CSV's header), saved
            with the model so that a file with its columns in another order can be matched
            by name (``bprop evaluate``/``predict``); the network itself reads x by position, and
            refuses a DataFrame whose column names are not these, in this order.

    Raises:
        ValueError: for sizes, layers, names or a task that make no network, and for an
            output activation and cost that mean nothing together (``bprop.heads``).

    Attributes:
        sizes, layers, cost, head (the output activation + cost, ``heads.OutputHead``),
        task, classes, preprocessing, target_preprocessing, feature_names, dtype, rng,
        weights, biases: live lists in layer order: ``weights[l - 1]`` is w^l, shape
            (n_l, n_(l-1)), and ``biases[l - 1]`` is b^l, (n_l,) (Python counts from 0;
            everything bprop prints counts weight layers from 1).

    Example:
        >>> net = Network([2, 3, 2], hidden="tanh", output="softmax", seed=0)
        >>> net.weights[0].shape
        (3, 2)
    """

    def __init__(
        self,
        sizes: Sequence[int] | Sequence[Layer] | None = None,
        hidden=heads.DEFAULT_HIDDEN,
        output=None,
        cost=None,
        *,
        init=None,
        seed: int | None = None,
        dtype="float32",
        layers: Sequence[Layer] | None = None,
        regularizer=None,
        dropout: float | None = None,
        task: str | None = None,
        classes=None,
        preprocessing=None,
        feature_names=None,
        target_preprocessing=None,
    ):
        for label, given in (("sizes", sizes), ("layers", layers)):
            if given is not None and (isinstance(given, (str, bytes)) or not isinstance(given, (Sequence, np.ndarray))):
                raise ValueError(f"{label} must be a list, e.g. Network([784, 100, 10]) for 784 inputs, "
                                 f"100 hidden neurons and 10 outputs; got {given!r}")
        if layers is None and sizes is not None and len(sizes) and all(isinstance(s, Layer) for s in sizes):
            layers, sizes = sizes, None
        if (sizes is None) == (layers is None):
            raise ValueError("give either layer sizes, e.g. Network([784, 100, 10]), or a list of layers")
        self.dtype = float_dtype(dtype)
        self.seed = seed_value(seed)
        self.rng = np.random.default_rng(seed)
        if layers is not None and output is None and len(layers):  # the last layer's activation picks the cost
            output = getattr(getattr(list(layers)[-1], "activation", None), "name", None)
        output, cost = heads.default_pair(self._n_outputs(sizes, layers), output, cost)
        self.cost = costs.get(cost)
        if isinstance(regularizer, (tuple, list)):
            if len(regularizer) != 2:
                raise ValueError(f"regularizer must be a pair (name, lambda), e.g. ('l2', 5.0); got {regularizer!r}")
            regularizer = regularizers.get(*regularizer)
        self.regularizer = regularizers.get(regularizer)
        if layers is None:
            layers = self._layers_from_sizes(sizes, hidden, output, init)
            if dropout:
                layers = self._with_dropout(layers, dropout)
        else:
            if dropout:
                raise ValueError("dropout= is for the sizes form; put Dropout(p) layers in the list instead")
            layers = list(layers)
            if not layers or not all(isinstance(layer, Layer) for layer in layers):
                raise ValueError("layers must be a non-empty list of bprop layers (e.g. Dense)")
        self.layers: list[Layer] = layers
        self._build()
        self.head = heads.OutputHead(self.output_activation, self.cost, self.n_outputs)
        self.task = Task(task, self.head)
        self.classes = self.task.checked_classes(classes)
        self.preprocessing = preprocessing_module.get(preprocessing, self.n_inputs)
        self.target_preprocessing = preprocessing_module.get_target(target_preprocessing, self.n_outputs,
                                                                    self.task.name, self.head.activation.name,
                                                                    self.cost.name)
        if feature_names is not None:
            feature_names = list(feature_names)
            if len(feature_names) != self.n_inputs or not all(isinstance(name, str) for name in feature_names):
                raise ValueError(f"feature_names must be {self.n_inputs} strings, one per input; got {feature_names!r:.200}")
            if len(set(feature_names)) != len(feature_names):  # a file's columns could not be matched to them
                repeated = sorted({name for name in feature_names if feature_names.count(name) > 1})
                raise ValueError(f"feature_names must be distinct; {', '.join(map(repr, repeated))[:200]} repeat")
        self.feature_names: list[str] | None = feature_names

    @staticmethod
    def _n_outputs(sizes, layers) -> int:
        """n_L from the sizes or the last layer (0 when it cannot be told yet: the build says why)."""
        if layers is not None:
            last = list(layers)[-1] if len(layers) else None
            return getattr(last, "n_out", 0) or 0
        try:
            last = list(sizes)[-1]
        except (TypeError, IndexError):
            return 0
        return last if isinstance(last, (int, np.integer)) and not isinstance(last, bool) else 0

    @staticmethod
    def _layers_from_sizes(sizes, hidden, output, init) -> list[Layer]:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"a network needs at least 2 layer sizes (inputs and outputs), got {sizes}")
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"layer sizes must be positive integers, got {sizes}")
        hidden_act = activations.get(hidden)
        if not hidden_act.elementwise:
            raise ValueError(f"{hidden_act.name} couples its neurons and belongs on the output layer, not hidden layers")
        count = len(sizes) - 1
        return [
            Dense(n_in, n_out, output if l == count - 1 else hidden, init=init)
            for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]))
        ]

    @staticmethod
    def _with_dropout(layers: list[Layer], p: float) -> list[Layer]:
        """Insert Dropout(p) after every hidden Dense layer (not after the output)."""
        result: list[Layer] = []
        for layer in layers[:-1]:
            result += [layer, Dropout(p)]
        return result + [layers[-1]]

    def _build(self) -> None:
        n = self.layers[0].n_in
        if n is None:
            raise ValueError("the first layer must know its input size")
        for layer in self.layers:
            n = layer.build(n, self.rng, self.dtype)
        for layer in self.dense_layers[:-1]:
            if not layer.activation.elementwise:
                raise ValueError(f"{layer.activation.name} is only supported on the output layer")
        if not isinstance(self.layers[-1], Dense):
            raise ValueError(f"the last layer must be a Dense output layer, got {self.layers[-1]!r}")

    # -- structure ------------------------------------------------------------------

    @property
    def dense_layers(self) -> list[Dense]:
        """The layers that hold weights, in order (l = 1..L)."""
        return [layer for layer in self.layers if "weights" in layer.params]

    @property
    def sizes(self) -> list[int]:
        dense = self.dense_layers
        return [dense[0].n_in] + [layer.n_out for layer in dense]

    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def output_activation(self) -> activations.Activation:
        return self.dense_layers[-1].activation

    @property
    def weights(self) -> ParameterList:
        return ParameterList(self.dense_layers, "weights")

    @weights.setter
    def weights(self, values):
        self._assign_all("weights", values)

    @property
    def biases(self) -> ParameterList:
        return ParameterList(self.dense_layers, "biases")

    @biases.setter
    def biases(self, values):
        self._assign_all("biases", values)

    def _assign_all(self, name, values):
        layers = self.dense_layers
        values = list(values)
        if len(values) != len(layers):
            raise ValueError(f"expected {len(layers)} {name} arrays, one per weight layer, got {len(values)}")
        # Check every array before changing any, so a bad one leaves the network as it was.
        checked = [layer.checked_parameter(v, layer.params[name].shape, name, self.dtype) for layer, v in zip(layers, values)]
        for layer, value in zip(layers, checked):
            layer.params[name] = value

    @property
    def n_params(self) -> int:
        """Number of weights and biases: [8, 15, 10] has 120 + 15 + 150 + 10 = 295."""
        return sum(layer.n_params for layer in self.layers)

    def trainable_parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(parameter, gradient) pairs the optimizer updates, in a fixed order."""
        return [
            (layer.params[name], layer.grads[name])
            for layer in self.layers
            for name in layer.trainable
        ]

    # -- forward --------------------------------------------------------------------

    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def forward_logits(self, x: np.ndarray, training: bool = False, check_finite: bool = False) -> np.ndarray:
        """z^L, (m, n_L): the output layer's weighted input, before sigma^L, for inputs x that
        ``prepare`` or ``inputs`` returned (checked, preprocessed, the network's dtype). Costs
        come from these logits (``heads.OutputHead``). ``training`` runs dropout and caches.

        ``check_finite``: raise ValueError, naming the first row, when some z^L is NaN or inf
        (a finite x whose values overflow the dtype inside the network): predictions,
        probabilities and scores read from such logits would be labels and accuracies of NaN
        (argmax takes the first class). Off for costs, which show NaN and inf as they are."""
        for layer in self.layers[:-1]:
            x = layer.forward(x, training)
        z = self.layers[-1].weighted_input(x)
        if check_finite and not all_finite(z):
            row = int(np.argmax(~np.isfinite(z).all(axis=1)))
            raise ValueError(f"the network's output is not finite for row {row} of x (z^L = {z[row].tolist()!r:.120}): "
                             f"its values overflow {self.dtype} inside the network, far from the inputs it was trained "
                             f"on; no prediction or score can be read from it")
        return z

    def inputs(self, x, preprocessing=None) -> np.ndarray:
        """x checked (``validation.as_inputs``) and preprocessed: what layer 1 receives, (m, n_0).

        ``preprocessing``: use this instead of the network's own (fit passes the one it learns)."""
        preprocessing = preprocessing or self.preprocessing
        wide = preprocessing is not None and preprocessing.wide_inputs
        columns = getattr(x, "columns", None)  # a DataFrame's names: read by position, so they must be ours
        if (self.feature_names is not None and columns is not None and all(isinstance(c, str) for c in columns)
                and list(columns) != self.feature_names):
            raise ValueError(f"x's columns {list(columns)!r:.300} are not the network's feature_names "
                             f"{self.feature_names!r:.300} in their order, and x is read by position: "
                             "pass x[net.feature_names]")
        x = as_inputs(x, self.n_inputs, np.float64 if wide else self.dtype)
        if preprocessing is None:
            return x
        with np.errstate(over="ignore", invalid="ignore"):  # a value the preprocessing takes past the dtype's range
            transformed = preprocessing.transform(x)
            prepared = transformed.astype(self.dtype, copy=False)
        if not all_finite(prepared):  # else NaN outputs, and labels read from them, with no error
            column = int(np.argmax(~np.isfinite(prepared).all(axis=0)))
            row = int(np.argmax(~np.isfinite(prepared[:, column])))
            raise ValueError(f"x has a value too large for the network's {preprocessing!r} in {self.dtype}: row {row}, "
                             f"column {column} ({float(x[row, column]):.6g}) becomes {float(transformed[row, column]):.3g} "
                             f"(the largest {self.dtype} is {float(np.finfo(self.dtype).max):.3g})")
        return prepared

    def feedforward(self, x) -> np.ndarray:
        """Output activations a^L, shape (m, n_L), for inputs x (m, n_0). Caches nothing.
        Raises ValueError when some z^L is not finite (``forward_logits``' ``check_finite``)."""
        z = self.forward_logits(self.inputs(x), check_finite=True)
        return self.output_activation.forward(z, out=z)

    def predict_proba(self, x) -> np.ndarray:
        """The output activations a^L, (m, n_L): class probabilities for a softmax output,
        P(class 1) (m, 1) for one sigmoid output, per-label probabilities for multilabel."""
        return self.feedforward(x)

    def predict(self, x) -> np.ndarray:
        """Predictions for inputs x (m, n_0).

        Returns:
            classification: the class labels (m,), from ``classes`` when set (argmax of
            z^L; z^L > 0, i.e. a^L > 1/2, for one sigmoid output); multilabel: (m, n_L)
            of 0/1; regression: the values a^L, (m,) for one output, else (m, n_L) (with a
            ``target_preprocessing``, mean + std a^L in float64: the targets' units).
        """
        x = self.inputs(x)
        return self.task.predictions(self.forward_logits(x, check_finite=True), self.classes,
                                     self.target_preprocessing)

    def prepare(self, x, y, classes=None, preprocessing=None, target_preprocessing=None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Validate and convert data once: (x (m, n_0) preprocessed, targets (m, n_L),
        labels: output indices (m,) for classification, 0/1 (m, n_L) for multilabel,
        None for regression). Regression targets are standardized when the network has a
        ``target_preprocessing`` (taken in float64, then cast to the network's dtype).

        ``classes``, ``preprocessing``, ``target_preprocessing``: use these instead of the
        network's own. Changes nothing; raises ValueError naming the problem.
        """
        x = self.inputs(x, preprocessing)
        target_preprocessing = target_preprocessing or self.target_preprocessing
        if target_preprocessing is None:
            targets, labels = self.task.targets(y, x.shape[0], self.dtype,
                                                self.classes if classes is None else classes)
            return x, targets, labels
        targets, labels = self.task.targets(y, x.shape[0], np.float64)
        return x, np.ascontiguousarray(target_preprocessing.transform(targets), dtype=self.dtype), labels

    def raw_targets(self, y) -> np.ndarray:
        """Regression targets (m, n_L) checked, in float64 and their own units (what a
        ``target_preprocessing`` learns from); raises ValueError naming the problem."""
        array = as_nested(y, "y")
        return self.task.targets(array, array.shape[0] if array.ndim else 0, np.float64)[0]

    def penalty(self, n: int | None = None) -> float:
        """The regularization term of the cost (0 without a regularizer).

        n: the training-set size (or Σ w_x, ``bprop.weights``); default ``regularizer.n``
            (set by ``fit``). Raises ValueError for an n that is not a positive number.
        """
        if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Real) or not np.isfinite(n) or n <= 0):
            raise ValueError(f"n must be a positive number (the training-set size, or the sum of the sample "
                             f"weights), got {n!r}")
        if self.regularizer is None:
            return 0.0
        n = n or self.regularizer.n
        if n is None:
            raise ValueError("the regularization term needs n, the training-set size (fit sets it)")
        return self.regularizer.penalty(list(self.weights), n)

    def _penalty_n(self, m: int) -> int:
        """n for the penalty: the training-set size, or m samples before any fit."""
        return self.regularizer.n or m

    def _penalty_term(self, m) -> float:
        """The regularization term with n = ``regularizer.n`` (set by fit: the training-set size,
        or Σ w_x with sample weights, ``bprop.weights``), else m (a count or a sum of weights)."""
        return self.regularizer.penalty(list(self.weights), self._penalty_n(m))

    def total_cost(self, x, y, sample_weight=None) -> float:
        """The cost C over (x, y): the batch mean of C_x plus the regularization term.

        ``sample_weight`` (m,): the weighted mean Σ w_x C_x / Σ w_x instead, with n = Σ w_x
        in the regularization term before any fit (``bprop.weights``)."""
        x, targets, _ = self.prepare(x, y)
        weights = check_sample_weight(sample_weight, x.shape[0])
        cost = weighted_mean(self.head.losses(self.forward_logits(x), targets), weights)
        if self.regularizer is not None:
            cost += self._penalty_term(x.shape[0] if weights is None else float(weights.sum()))
        return cost

    def evaluate(self, x, y, batch_size: int = 4096, sample_weight=None) -> dict:
        """Score the network on (x, y).

        Args:
            x, y: as for ``fit``; batch_size: rows scored at a time (memory, not results).
            sample_weight: optional weights w_x >= 0 (m,): every figure becomes a weighted
                mean (cost Σ w_x C_x / Σ w_x with n = Σ w_x in the regularization term before
                any fit; accuracy Σ w_x [right] / Σ w_x; scikit-learn's weighted metrics),
                as ``total_cost`` and the scikit-learn estimators' ``score`` compute them.
        Returns:
            {"cost": C (mean C_x plus the regularization term), "accuracy": fraction right}
            for classification (multilabel: rows with every label right); for regression
            {"cost", "mse", "mae", "r2"} (scikit-learn's metrics, averaged over outputs, of
            the predictions against y as given, in float64 and the targets' units).
        Raises:
            ValueError: bad data, batch size or weights (``bprop.weights``), before anything runs.
        """
        x, targets, labels = self.prepare(x, y)
        weights = check_sample_weight(sample_weight, x.shape[0])
        # regression: mse, mae and r2 against the targets as given, in float64 (``Task.scores``)
        raw = self.raw_targets(y) if self.task.name == "regression" else None
        return self.evaluate_prepared(x, targets, labels, batch_size, sample_weight=weights, raw_targets=raw,
                                      check_finite=True)

    def evaluate_prepared(self, x, targets, labels, batch_size=4096, penalty_n=None, sample_weight=None,
                          target_preprocessing=None, raw_targets=None, check_finite=False) -> dict:
        """``evaluate`` on data ``prepare`` returned; ``penalty_n``: n of the regularization term
        (default: ``regularizer.n``, else the number of samples or Σ w_x); ``sample_weight``: a
        float64 (m,) vector from ``weights.check_sample_weight``, or None;
        ``target_preprocessing``: the one ``targets`` were standardized with, when not the
        network's own (fit passes the one it learns); ``raw_targets``: regression targets
        (m, n_L) in float64 and their own units (``Network.raw_targets``), which the metrics then
        compare with (the cost stays on ``targets``); ``check_finite``: raise ValueError for
        outputs that are not finite (``forward_logits``) instead of scoring them (``evaluate``
        does; fit's validation scores do not, a diverged run's NaN being what they show)."""
        batch_size = positive_int("batch_size", batch_size)
        losses, logits = [], []
        for start in range(0, x.shape[0], batch_size):
            stop = start + batch_size
            z = self.forward_logits(x[start:stop], check_finite=check_finite)
            losses.append(self.head.losses(z, targets[start:stop]))
            logits.append(z)
        cost = weighted_mean(np.concatenate(losses), sample_weight)
        if self.regularizer is not None:
            n = x.shape[0] if sample_weight is None else float(sample_weight.sum())
            cost += self.penalty(penalty_n or self._penalty_n(n))
        return {"cost": cost, **self.task.scores(np.concatenate(logits), targets, labels, sample_weight,
                                                 target_preprocessing or self.target_preprocessing, raw_targets)}

    # -- backward -------------------------------------------------------------------

    def backprop_prepared(self, x: np.ndarray, targets: np.ndarray, sink, *, target_index: np.ndarray | None = None,
                          row_weights: np.ndarray | None = None) -> np.ndarray:
        """Backpropagation over one mini-batch: the forward pass, then BP1-BP4 from the output
        layer down; every layer hands its parameters' gradients to ``sink``.

        This is bprop's one backward pass: ``backprop``, ``fit``, gradcheck and explain all
        run it. Each equation is computed in one place:

            forward  z^l = a^(l-1) (w^l)^T + b^l, a^l = sigma(z^l)    Dense.forward
            BP1      delta^L = dC/dz^L (from the logits)              OutputHead.delta (heads.py)
            BP2      delta^l = (delta^(l+1) w^(l+1)) ⊙ sigma'(z^l)     Dense.backward_delta, Dense.backward
            BP3      dC/db^l = Σ_x delta^l                            handed to the sink
            BP4      dC/dw^l = (delta^l)^T a^(l-1)                     handed to the sink

        Args:
            x: inputs (m, n_0) and targets (m, n_L) as ``prepare`` returns them (checked,
                preprocessed, the network's dtype); nothing is checked here.
            sink: where the gradients go (``bprop.sinks``): ``StoreGradients`` fills every
                layer's ``grads`` (plus the regularizer's term), ``FusedSGD`` applies plain SGD
                during the pass; ``sink.finish()`` is called at the end.
            target_index: softmax + log-likelihood with one-hot targets: the flat index of each
                row's 1 in the (m, n_L) delta, so BP1 reads no targets (``OutputHead.delta``).
            row_weights: (m,) BP1's row factors of a weighted batch in place of 1/m
                (``weights.row_weights``: w_x / Σ w_x for a full batch).
        Returns:
            z^L, (m, n_L): the output layer's buffer, overwritten by the next training pass.
        Raises:
            ValueError: x or targets of the wrong shape or dtype (the one check made here:
                a few comparisons, so that nothing is broadcast or computed in another dtype).
        """
        m = x.shape[0] if x.ndim else 0
        if (not m or x.ndim != 2 or x.shape[1] != self.layers[0].n_in or targets.shape != (m, self.layers[-1].n_out)
                or x.dtype != self.dtype or targets.dtype != self.dtype):
            raise ValueError(f"backprop_prepared takes x (m, {self.n_inputs}) and targets (m, {self.n_outputs}), "
                             f"m >= 1, of the network's dtype {self.dtype.name}, as prepare() returns them; got x "
                             f"{x.shape} {x.dtype} and targets {targets.shape} {targets.dtype}")
        a = x
        for layer in self.layers:
            a = layer.forward(a, training=True)
        output = self.layers[-1]
        # BP1: delta^L (m, n_L), with the 1/m of the batch-mean cost.
        delta = output.output_delta(self.head, targets, target_index, row_weights)
        grad = output.backward_delta(delta, sink, need_input_grad=len(self.layers) > 1)
        # BP2 down the stack; the first layer needs no gradient w.r.t. the data.
        for index in range(len(self.layers) - 2, -1, -1):
            grad = self.layers[index].backward(grad, sink, need_input_grad=index > 0)
        sink.finish()
        return output.weighted_inputs

    def backprop(self, x, y, sample_weight=None) -> Gradients:
        """Gradients of the batch-mean cost C for every weight and bias.

        Args:
            x: inputs, shape (m, n_0).
            y: class labels (m,) or targets (m, n_L) (see ``bprop.tasks``).
            sample_weight: optional weights w_x >= 0 (m,): the gradients of the weighted
                mean Σ w_x C_x / Σ w_x (``bprop.weights``), as ``total_cost`` computes it.
        Returns:
            Gradients(weights=[dC/dw^l, (n_l, n_(l-1))], biases=[dC/db^l, (n_l,)]),
            fresh arrays the caller owns; index l - 1 holds layer l.

        The layers keep this pass's arrays for inspection (``Dense.cache``, ``delta``,
        ``input_gradient``) until the next training pass or ``clear_caches()``.

        This is the training pass (``backprop_prepared`` with ``sinks.StoreGradients``): with
        ``Dropout`` layers it draws a fresh mask from ``net.rng`` (so two calls differ and the
        generator advances), and the gradients are those of the cost under that mask; without
        dropout it is deterministic and equals the gradient of ``total_cost``.
        """
        x, targets, _ = self.prepare(x, y)
        weights = check_sample_weight(sample_weight, x.shape[0])
        m = x.shape[0] if weights is None else float(weights.sum())
        sink = sinks.StoreGradients(self.regularizer, None if self.regularizer is None else self._penalty_n(m))
        self.backprop_prepared(x, targets, sink,
                               row_weights=None if weights is None else row_weights(weights, self.dtype))
        dense = self.dense_layers
        return Gradients(
            [layer.grads["weights"].copy() for layer in dense],
            [layer.grads["biases"].copy() for layer in dense],
        )

    def clear_caches(self) -> None:
        for layer in self.layers:
            layer.clear_cache()

    # -- training -------------------------------------------------------------------

    def fit(self, x, y, epochs: int = 10, batch_size: int = 32, eta: float | None = None, **options):
        """Train with mini-batch SGD (seed 001, eqs. 2-5 and 2-6); return the History.

        Args:
            x: training inputs (m, n_0); y: class indices (m,) or targets (m, n_L).
            epochs, batch_size: positive integers.
            eta: the learning rate (positive). Default None: 0.1 for plain SGD, or the
                default rate of the optimizer named (Adam: 0.001). With an optimizer
                object, its own eta is used; an explicit eta that differs is refused.
            validation: optional (x_val, y_val), evaluated after every epoch.
            optimizer: an optimizer name or object (default: plain SGD with ``eta``).
            callbacks: objects with on_* hooks (see ``bprop.training.callbacks``).
            shuffle: reshuffle every epoch with the network's generator (default True).
            verbose: show a progress bar and a line per epoch (default True).
            monitor: {name: (x, y)} more sets scored every epoch, e.g. {"test": (x_t, y_t)}.
            checkpoint: a path for checkpoints (every epoch and on Ctrl-C/SIGTERM).
            resume: a checkpoint path to continue from (same data and settings).
            sample_weight: weights w_x >= 0 (m,): train on the weighted mean cost
                Σ w_x C_x / Σ w_x, L2/L1 with n = Σ w_x (``bprop.weights``).
            mean_weight: w̄ of the whole training set when (x, y) is one part of it
                (``partial_fit``; see ``Trainer.fit``); default: this data's own.
            See ``bprop.training.Trainer`` for the rest.
        Raises:
            ValueError: bad data or options (unknown ones are named), before anything
                changes: weights, generator, regularizer and optimizer stay as they were.
            DivergenceError: the cost or a parameter became NaN or inf; the network
                keeps the parameters of the start of that epoch.
        """
        import inspect

        from .training import Trainer

        known = set(inspect.signature(Trainer.__init__).parameters) - {"self", "net", "epochs", "batch_size", "eta"}
        known.update(("resume", "sample_weight", "mean_weight"))
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown fit option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                             f"valid options are: epochs, batch_size, eta, {', '.join(sorted(known))}")
        resume = options.pop("resume", None)
        sample_weight = options.pop("sample_weight", None)
        mean_weight = options.pop("mean_weight", None)
        trainer = Trainer(self, epochs=epochs, batch_size=batch_size, eta=eta, **options)
        return trainer.fit(x, y, resume=resume, sample_weight=sample_weight, mean_weight=mean_weight)

    # -- files ----------------------------------------------------------------------

    def config(self) -> dict:
        """A JSON description from which ``bprop.load`` rebuilds the network."""
        return {
            "sizes": self.sizes,
            "layers": [layer.config() for layer in self.layers],
            "cost": self.cost.name,
            "dtype": self.dtype.name,
            "regularizer": None if self.regularizer is None else self.regularizer.config(),
            "task": self.task.name,
            "classes": None if self.classes is None else self.classes.tolist(),
            "preprocessing": None if self.preprocessing is None else self.preprocessing.config(),
            "feature_names": self.feature_names,
            "target_preprocessing": (None if self.target_preprocessing is None
                                     else self.target_preprocessing.config()),
        }

    @classmethod
    def from_config(cls, config: dict, seed: int | None = None) -> "Network":
        """A network with the architecture ``config`` describes, freshly initialized from ``seed``.

        ``config`` is what ``config()`` returns, or the config of a model file
        (``bprop.model_file.read_model``); ``bprop.load`` then sets the saved parameters.

        Raises:
            ValueError: naming the key and the problem (``model_file.check_model_config``).
        """
        if not isinstance(config, dict):
            raise ValueError(f"config must be a dict such as Network.config() returns, got {type(config).__name__}")
        config = model_file.check_model_config({"model_version": model_file.MODEL_VERSION, **config})
        regularizer = config.get("regularizer")
        return cls(
            layers=[model_file.layer_from_config(entry) for entry in config["layers"]],
            cost=config["cost"],
            dtype=config["dtype"],
            regularizer=regularizers.get(regularizer) if regularizer else None,
            seed=seed,
            task=config.get("task"),
            classes=config.get("classes"),
            preprocessing=preprocessing_module.from_config(config.get("preprocessing")),
            feature_names=config.get("feature_names"),
            target_preprocessing=preprocessing_module.from_config(config.get("target_preprocessing")),
        )

    def save(self, path) -> None:
        """Save the architecture and weights to ``path`` (atomic, no pickle); see ``bprop.load``.

        Raises ValueError, leaving ``path`` as it was, when a weight or bias holds NaN or inf.
        """
        model_file.save_model(self, path)

    def to_onnx(self, path) -> None:
        """Export to an ONNX model at ``path`` (atomic): Gemm with the weights as stored, the
        activations, the stored preprocessing; input "x" (batch, n_0) (float64 when the network
        standardizes its inputs), output "a" = a^L (and "y", the predictions in the targets'
        units, when it standardizes its targets).
        Needs the ``onnx`` extra; see ``bprop.onnx_export``."""
        from .onnx_export import save_onnx

        save_onnx(self, path)

    # -- utilities ------------------------------------------------------------------

    def copy(self, dtype=None) -> "Network":
        """An independent deep copy (without the last training pass's buffers; the original
        keeps its own), optionally converted to another float dtype."""
        clone = copy.deepcopy(self)
        if dtype is not None:
            clone.dtype = float_dtype(dtype)
            for layer in clone.layers:
                layer.astype(clone.dtype)
        return clone

    def summary(self, print_output: bool = True) -> str:
        """Print (and return) a table of layers, shapes and parameter counts."""
        from .summary import summary_text

        text = summary_text(self)
        if print_output:
            print(text, end="")
        return text

    def __repr__(self) -> str:
        acts = ", ".join(layer.activation.name for layer in self.dense_layers)
        return (f"Network(sizes={self.sizes}, activations=[{acts}], cost={self.cost.name!r}, "
                f"task={self.task.name!r}, dtype={self.dtype.name})")
