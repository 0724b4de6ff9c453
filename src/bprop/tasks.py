"""What a network's outputs mean: classification, multilabel or regression, said once.

    classification  one class per sample. A softmax over K >= 2 outputs (or any output
                    layer of K >= 2 neurons, read by its argmax), or one sigmoid output
                    for two classes (class 1 when a^L > 1/2, i.e. z^L > 0). ``y`` is a
                    vector of class labels of any kind (strings, 1..K, any sortable
                    values; integers 0..K-1 always index the outputs), or target rows
                    (m, K) such as one-hot or soft labels. ``predict`` gives labels.
    multilabel      each of the n_L sigmoid outputs is its own yes/no label: ``y`` is
                    (m, n_L) of 0/1 (or probabilities); ``predict`` gives (m, n_L) of 0/1.
    regression      the outputs are values: ``y`` is (m,) for one output or (m, n_L);
                    ``predict`` gives a^L; ``evaluate`` reports MSE, MAE and R^2.

The default is classification for sigmoid and softmax outputs, regression otherwise.
Targets are checked against the head before anything trains: probabilities for a
cost with a logarithm lie in [0, 1], and log-likelihood rows are non-negative and
sum to 1; the message counts the offending rows.
"""

from __future__ import annotations

import numpy as np

from .activations import Sigmoid, Softmax
from .costs import CrossEntropy, LogLikelihood
from .validation import as_nested

TASKS = ("classification", "multilabel", "regression")

#: How far a log-likelihood target row's sum may be from 1.
ROW_SUM_TOLERANCE = 1e-4


class Task:
    """The task of a network with output head ``head`` (see the module docstring).

    Args:
        name: "classification", "multilabel", "regression" or None (the default for the head).
        head: the network's ``heads.OutputHead``.

    Raises:
        ValueError: an unknown name (the valid ones listed), or a task the head cannot do.
    """

    def __init__(self, name: str | None, head):
        activation, cost, n_out = head.activation, head.cost, head.n_outputs
        if name is None:
            name = "classification" if head.bounded else "regression"
        if name not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}; got {name!r}")
        if name == "classification" and n_out == 1 and not isinstance(activation, Sigmoid):
            raise ValueError(
                f"one output neuron classifies only through a sigmoid (class 1 when a > 1/2); got "
                f"{activation.name!r}: use a sigmoid output, 2 or more outputs, or task='regression'"
            )
        if name == "multilabel" and not isinstance(activation, Sigmoid):
            raise ValueError(f"multilabel outputs are independent yes/no labels: use sigmoid outputs, got {activation.name!r}")
        if name != "classification" and isinstance(cost, LogLikelihood):
            raise ValueError(f"the log_likelihood cost picks one class per sample: it cannot serve task={name!r}")
        self.name = name
        self.head = head
        self.n_outputs = n_out
        #: The number of classes of a classifier: 2 for one sigmoid output, else n_L.
        self.n_classes = 2 if n_out == 1 else n_out

    def __repr__(self) -> str:
        return f"Task({self.name!r})"

    # -- classes ----------------------------------------------------------------------

    def checked_classes(self, classes) -> np.ndarray | None:
        """``classes`` as a 1-D array of n_classes distinct labels (None stays None)."""
        if classes is None:
            return None
        if self.name != "classification":
            raise ValueError(f"classes are for classification; this network's task is {self.name!r}")
        array = np.asarray(classes)
        if array.ndim != 1 or array.dtype == object:
            raise ValueError(f"classes must be a flat list of numbers or strings, got {classes!r}")
        if array.size != self.n_classes:
            raise ValueError(f"classes has {array.size} labels but the network has {self.n_classes} classes")
        if np.issubdtype(array.dtype, np.number) and not np.all(np.isfinite(array)):
            raise ValueError("classes contain NaN or inf")
        if np.unique(array).size != array.size:
            raise ValueError(f"classes must be distinct, got {array.tolist()}")
        return array.copy()

    def encode(self, values: np.ndarray, classes: np.ndarray | None, name: str = "y", learn: bool = False
               ) -> tuple[np.ndarray, np.ndarray]:
        """(output indices (m,) int64, the classes used) for class labels ``values`` (m,).

        With ``classes`` None (a network no fit has taught its classes yet): integer labels
        0..n_classes-1 are output indices (the classes are then arange(n_classes)); other
        labels are refused unless ``learn`` (a first ``fit``), which sorts them into exactly
        n_classes classes.
        """
        k = self.n_classes
        numeric = np.issubdtype(values.dtype, np.number) or values.dtype == bool
        if numeric and not np.all(np.isfinite(values)):
            raise ValueError(f"{name} contains NaN or inf")
        if classes is None:
            if numeric and np.all(values == np.round(values)) and values.min() >= 0 and values.max() < k:
                return values.astype(np.int64), np.arange(k)
            if not learn:
                if numeric and np.all(values == np.round(values)):
                    bad = values[(values < 0) | (values >= k)][0].item()
                    problem = f"class index {bad!r} is out of range 0..{k - 1}"
                else:
                    problem = f"got labels {', '.join(map(repr, np.unique(values)[:6].tolist()))}"
                raise ValueError(
                    f"{name}: {problem}: this network has no classes yet, so class labels are its output indices "
                    f"0..{k - 1}. Fit it on your labels first (fit learns them), or build it with Network(classes=[...])"
                )
            try:
                found = np.unique(values)
            except TypeError:
                raise ValueError(f"{name}: class labels must be numbers or strings of one kind") from None
            if found.size != k:
                preview = ", ".join(map(repr, found[:6].tolist())) + (", ..." if found.size > 6 else "")
                integers = numeric and np.all(values == np.round(values))
                outside = (f"class index {values[(values < 0) | (values >= k)][0].item()!r} is out of range 0..{k - 1}, and "
                           if integers else "")
                raise ValueError(
                    f"{name}: {outside}{name} has {found.size} distinct class labels ({preview}) but the network has "
                    f"{self.n_outputs} output{'s' if self.n_outputs > 1 else ''}, so {k} classes; integer labels "
                    f"0..{k - 1} index the outputs directly, other labels are sorted into classes "
                    f"(in Python, Network(classes=[...]) fixes their order)"
                )
            classes = found
        order = np.argsort(classes, kind="stable")
        ordered = classes[order]
        try:
            position = np.clip(np.searchsorted(ordered, values), 0, k - 1)
            known = ordered[position] == values
        except TypeError:  # labels of another kind than the classes (strings against numbers)
            known = np.zeros(values.shape, dtype=bool)
            position = np.zeros(values.shape, dtype=np.int64)
        if not np.all(known):
            unknown = np.unique(values[~known])
            preview = ", ".join(map(repr, unknown[:5].tolist())) + (", ..." if unknown.size > 5 else "")
            raise ValueError(
                f"{name} has {int(np.count_nonzero(~known))} labels outside the network's classes "
                f"{classes.tolist()}: {preview}"
            )
        return order[position].astype(np.int64), classes

    # -- targets ----------------------------------------------------------------------

    def label_vector(self, array: np.ndarray, name: str = "y") -> np.ndarray | None:
        """The class labels (m,) when ``array`` is a classifier's label vector (or an (m, 1)
        column for several outputs); None when it is target rows ((m, n_L), which for one
        output neuron is (m, 1)) or the task is not classification."""
        if self.name != "classification" or array.ndim not in (1, 2):
            return None
        if array.ndim == 2 and array.shape[1] != 1:
            return None  # target rows
        if array.ndim == 2 and self.n_outputs == 1 and _probabilities(array):
            return None  # a target column of one sigmoid output: 0/1 or probabilities
        if array.dtype == object:
            flat = array.reshape(-1).tolist()
            if any(value is None for value in flat):
                row = next(i for i, value in enumerate(flat) if value is None)
                raise ValueError(f"{name}: a missing class label (None) at row {row}")
            kinds = {isinstance(value, str) for value in flat}
            if len(kinds) > 1:
                raise ValueError(f"{name}: class labels must be numbers or strings of one kind, got both")
            try:
                array = np.asarray(flat)
            except (TypeError, ValueError):
                array = None
            if array is None or array.dtype == object:
                raise ValueError(f"{name}: class labels must be numbers or strings of one kind")
        if np.iscomplexobj(array):
            raise ValueError(f"{name} holds complex numbers; class labels must be real numbers or strings")
        if array.size == 0:
            raise ValueError(f"{name} is empty: it has no samples")
        return array.reshape(-1)

    def learn_classes(self, y, name: str = "y") -> np.ndarray | None:
        """The classes a first ``fit`` on ``y`` sets: the sorted labels, arange(n_classes) for
        output indices or target rows; None when the task has no classes."""
        if self.name != "classification":
            return None
        values = self.label_vector(as_nested(y, name), name)
        return np.arange(self.n_classes) if values is None else self.encode(values, None, name, learn=True)[1]

    def targets(self, y, n_samples: int, dtype, classes=None, name: str = "y"
                ) -> tuple[np.ndarray, np.ndarray | None]:
        """(targets (m, n_L) of ``dtype``, labels) for ``y``; raises ValueError naming the problem.

        labels: output indices (m,) for classification, 0/1 (m, n_L) for multilabel,
        None for regression.
        """
        array = as_nested(y, name)  # a ragged list: a clear error, not NumPy's
        n_out = self.n_outputs
        if array.ndim == 0 or array.ndim > 2:
            raise ValueError(f"{name} must be (m,) or (m, {n_out}), got shape {array.shape}")
        if array.shape[0] == 0:
            raise ValueError(f"{name} is empty: it has no samples")
        if array.shape[0] != n_samples:
            raise ValueError(f"x and {name} have different lengths: {n_samples} samples but {array.shape[0]} targets")
        if np.iscomplexobj(array):
            raise ValueError(f"{name} holds complex numbers; targets must be real")
        values = self.label_vector(array, name)
        if values is not None:
            labels, _ = self.encode(values, classes, name)
            if n_out == 1:
                return labels.astype(dtype).reshape(-1, 1), labels
            targets = np.zeros((labels.size, n_out), dtype=dtype)
            targets[np.arange(labels.size), labels] = 1
            return targets, labels

        if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise ValueError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
        if self.name == "multilabel" and array.ndim == 1:
            raise ValueError(f"{name}: multilabel targets are one row of 0/1 per sample, shape ({n_samples}, {n_out}); "
                             f"got one value per sample (for one class per sample use task='classification')")
        if self.name == "regression" and array.ndim == 1:
            if n_out != 1:
                raise ValueError(f"{name} has one value per sample but the network has {n_out} outputs: give ({n_samples}, {n_out})")
            array = array.reshape(-1, 1)
        if array.shape[1] != n_out:
            raise ValueError(f"{name} has {array.shape[1]} target columns but the network has {n_out} outputs")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains NaN or inf")
        targets = np.ascontiguousarray(array, dtype=dtype)
        self.check_target_values(targets, name)
        if self.name == "regression":
            return targets, None
        if self.name == "multilabel":
            return targets, (targets > 0.5).astype(np.int64)
        if n_out == 1:  # a target column of one sigmoid output: class 1 where the target exceeds 1/2
            return targets, (targets[:, 0] > 0.5).astype(np.int64)
        return targets, targets.argmax(axis=1)

    def check_target_values(self, targets: np.ndarray, name: str = "y") -> None:
        """Targets the head can mean: probabilities in [0, 1] for a cost with a logarithm or a
        classifier with outputs in (0, 1); rows that sum to 1 for log-likelihood and for a
        softmax classifier (its outputs always do); one class per row for a classifier with
        sigmoid outputs (several are multilabel)."""
        head = self.head
        if self.name == "classification" and head.bounded:
            rows = targets.shape[0]
            many = np.count_nonzero(targets > 0.5, axis=1) > 1
            if targets.shape[1] > 1 and np.any(many):
                raise ValueError(
                    f"{name}: {int(np.count_nonzero(many))} of {rows} target rows mark more than one class; a "
                    f"classifier picks one class per sample: for several labels per sample use task='multilabel'"
                )
            outside = np.any((targets < 0) | (targets > 1), axis=1)
            if np.any(outside):
                raise ValueError(
                    f"{name}: the {head.activation.name} outputs lie in (0, 1), so class targets must be in [0, 1]; "
                    f"{int(np.count_nonzero(outside))} of {rows} rows have values outside"
                )
            if isinstance(head.activation, Softmax) and not isinstance(head.cost, LogLikelihood):
                off = np.abs(targets.sum(axis=1, dtype=np.float64) - 1) > ROW_SUM_TOLERANCE
                if np.any(off):
                    raise ValueError(
                        f"{name}: softmax outputs sum to 1, so target rows must too; {int(np.count_nonzero(off))} "
                        f"of {rows} rows do not"
                    )
        if not (isinstance(head.cost, (CrossEntropy, LogLikelihood))):
            return
        outside = np.any((targets < 0) | (targets > 1), axis=1)
        if np.any(outside):
            raise ValueError(
                f"{name}: the {head.cost.name} cost needs target probabilities in [0, 1]; "
                f"{int(np.count_nonzero(outside))} of {targets.shape[0]} rows have values outside"
            )
        if isinstance(head.cost, LogLikelihood):
            off = np.abs(targets.sum(axis=1, dtype=np.float64) - 1) > ROW_SUM_TOLERANCE
            if np.any(off):
                raise ValueError(
                    f"{name}: log-likelihood target rows are probability distributions over the classes and "
                    f"must sum to 1; {int(np.count_nonzero(off))} of {targets.shape[0]} rows do not "
                    f"(e.g. row {int(np.argmax(off))} sums to {targets[np.argmax(off)].sum():.6g})"
                )

    # -- reading the outputs ----------------------------------------------------------

    def indices(self, z: np.ndarray) -> np.ndarray:
        """Predicted output indices (m,) from z^L (m, n_L): argmax, or z > 0 for one output."""
        if z.shape[1] == 1:
            return (z[:, 0] > 0).astype(np.int64)
        return z.argmax(axis=1)

    def predictions(self, z: np.ndarray, classes: np.ndarray | None, target_preprocessing=None) -> np.ndarray:
        """What ``Network.predict`` returns for logits z^L (see ``Network.predict``); regression
        outputs go through ``target_preprocessing.inverse_transform`` when given."""
        if self.name == "regression":
            a = self.head.outputs(z)
            if target_preprocessing is not None:
                a = target_preprocessing.inverse_transform(a)
            return a[:, 0] if a.shape[1] == 1 else a
        if self.name == "multilabel":
            return (z > 0).astype(np.int64)
        index = self.indices(z)
        return index if classes is None else classes[index]

    def correct(self, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """(m,) True where the prediction from z^L is right (multilabel: every label right)."""
        if self.name == "multilabel":
            return np.all((z > 0) == (labels == 1), axis=1)
        return self.indices(z) == labels

    def n_right(self, z: np.ndarray, labels: np.ndarray) -> int | None:
        """Samples predicted right (multilabel: every label right); None for regression."""
        if self.name == "regression":
            return None
        return int(np.count_nonzero(self.correct(z, labels)))

    def scores(self, z: np.ndarray, targets: np.ndarray, labels, sample_weight: np.ndarray | None = None,
               target_preprocessing=None, raw_targets: np.ndarray | None = None) -> dict:
        """{"accuracy"} for classification and multilabel; {"mse", "mae", "r2"} for regression.

        ``sample_weight`` (m,): weighted figures, Σ w_x [x right] / Σ w_x and scikit-learn's
        weighted metrics (``bprop.weights``); None: every sample counts once.
        ``target_preprocessing``: the regression targets are standardized and the metrics are
        taken in their own units (outputs and targets through ``inverse_transform``).
        ``raw_targets`` (m, n_L) float64: the regression targets as given, in their own units;
        the metrics compare the outputs with them instead of with ``targets``, which went
        through the network's dtype (and (y - mean) / std and back): in float32 those are
        off by about std 2^-24 (or |y| 2^-24) a row, which shows in r2 near 1."""
        if self.name != "regression":
            if sample_weight is None:
                return {"accuracy": self.n_right(z, labels) / z.shape[0]}
            right = self.correct(z, labels)
            return {"accuracy": float(sample_weight.sum(where=right, dtype=np.float64)) / float(sample_weight.sum())}
        from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

        a = self.head.outputs(z).astype(np.float64)
        y = targets.astype(np.float64) if raw_targets is None else raw_targets
        if target_preprocessing is not None:
            a = target_preprocessing.inverse_transform(a)
            if raw_targets is None:
                y = target_preprocessing.inverse_transform(y)
        w = sample_weight
        if not np.all(np.isfinite(a)):
            # Outputs that overflowed (fit's validation scores of a diverging run; ``evaluate``
            # refuses them first): shown as they are, inf or NaN, for the trainer's divergence
            # check, where scikit-learn's metrics raise "Input contains infinity".
            with np.errstate(invalid="ignore", over="ignore"):
                error = a - y
                mse = float(np.average(np.mean(error * error, axis=1), weights=w))
                mae = float(np.average(np.mean(np.abs(error), axis=1), weights=w))
            return {"mse": mse, "mae": mae, "r2": float("nan")}
        r2 = float(r2_score(y, a, sample_weight=w)) if y.shape[0] >= 2 else float("nan")
        return {"mse": float(mean_squared_error(y, a, sample_weight=w)),
                "mae": float(mean_absolute_error(y, a, sample_weight=w)), "r2": r2}


def _probabilities(array: np.ndarray) -> bool:
    """True for numbers in [0, 1] (a target column), False for anything else (labels)."""
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        return False
    if np.iscomplexobj(array):
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.all((array >= 0) & (array <= 1)))
