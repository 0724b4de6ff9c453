"""Input preprocessing, part of the model: the one rule for scaling inputs.

A network's ``preprocessing`` is applied to every input before layer 1, by ``fit``,
``predict``, ``evaluate``, ``backprop`` and every command, and it is saved in the
model file, so a model is always fed what it was trained on. No command rescales
inputs on its own.

    Scale(1/255)     x' = x * factor                      e.g. raw uint8 pixels to [0, 1]
    Standardize()    x' = (x - mean) / std, per feature   mean and std learnt by the first fit
                                                          (a constant feature gets std 1), taken in
                                                          float64 and then cast to the network's dtype

``get`` takes None, an object, or a name ("standardize"; "scale" needs a factor:
``Scale(f)``).

A regression network may also standardize its targets (``Network(target_preprocessing=
"standardize")``): fit learns each target column's mean and std from the training targets
and trains on (y - mean) / std, and ``predict`` returns mean + std a^L, in the targets'
units. Targets far from 0 (prices around 1e5) otherwise leave the output bias to travel
that far in steps of eta, and a quadratic cost in their units makes SGD diverge. The same
``Standardize`` serves both, ``inverse_transform`` mapping outputs back.
"""

from __future__ import annotations

import numbers

import numpy as np

from .registry import Registry


class Preprocessing:
    """Base class: ``transform`` maps checked inputs (m, n_0) to what layer 1 receives."""

    name = ""
    fitted = True
    #: ``transform`` reads float64 inputs (``Network.inputs`` casts to the network's dtype after it).
    wide_inputs = False

    def fit(self, x: np.ndarray, sample_weight: np.ndarray | None = None) -> None:
        """Learn from the training inputs (m, n_0) (first fit only), the rows weighted by
        ``sample_weight`` (m,) when given; most learn nothing."""

    def transform(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def check(self, n_inputs: int) -> None:
        """Raise ValueError when the learnt state does not fit n_inputs features."""

    def config(self) -> dict:
        return {"name": self.name}


class Scale(Preprocessing):
    """x' = x * factor (a positive finite number), e.g. ``Scale(1 / 255)`` for uint8 pixels."""

    name = "scale"

    def __init__(self, factor: float):
        if (isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not np.isfinite(factor)
                or factor <= 0):
            raise ValueError(f"Scale factor must be a positive finite number, got {factor!r}")
        self.factor = float(factor)

    def transform(self, x):
        return x * x.dtype.type(self.factor)

    def config(self):
        return {"name": self.name, "factor": self.factor}

    def __repr__(self):
        return f"Scale({self.factor!r})"


class Standardize(Preprocessing):
    """x' = (x - mean) / std per feature; mean and std (n_0,) are learnt by the first ``fit``."""

    name = "standardize"
    #: Centring in float64: in float32, 1e8 + x is stored to the nearest multiple of 8, so a feature
    #: far from 0 would lose its variations before its mean is taken away.
    wide_inputs = True

    def __init__(self, mean=None, std=None):
        if (mean is None) != (std is None):
            raise ValueError("Standardize needs both mean and std, or neither (learnt by fit)")
        self.mean = self.std = None
        if mean is not None:
            mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
            if mean.ndim != 1 or mean.shape != std.shape:
                raise ValueError(f"Standardize mean and std must be vectors of one length, got {mean.shape} and {std.shape}")
            if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
                raise ValueError("Standardize mean must be finite and std positive and finite")
            self.mean, self.std = mean, std

    @property
    def fitted(self) -> bool:
        return self.mean is not None

    #: A column whose largest magnitude is outside [1 / FAR, FAR] gets its mean and std from
    #: x / that magnitude, times it: the squares np.std sums overflow around 1e155 (std inf from
    #: finite values: every x' 0, predictions inf) and underflow around 1e-155 (std 0: read as
    #: a constant column).
    FAR = 1e100

    def fit(self, x, sample_weight=None):
        """Learn each column's mean and (population) std; with ``sample_weight`` (m,), a
        float64 vector from ``weights.check_sample_weight``, the weighted ones (a weight of 2
        as two copies of the row, 0 as no row: as the weighted cost counts them)."""
        if self.fitted:
            return
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # (the far columns: taken again below)
            mean, std = _moments(x, sample_weight)
        magnitude = (np.maximum(x.max(axis=0), -x.min(axis=0)).astype(np.float64) if x.shape[0]
                     else np.ones(x.shape[1]))  # (max |x| without a copy of x)
        far = (magnitude > self.FAR) | ((magnitude > 0) & (magnitude < 1 / self.FAR))
        if np.any(far):
            scaled_mean, scaled_std = _moments(x[:, far].astype(np.float64) / magnitude[far], sample_weight)
            mean[far] = magnitude[far] * scaled_mean
            std[far] = magnitude[far] * scaled_std
        std[~(std > 0)] = 1.0  # a constant feature: centred only
        self.mean, self.std = mean, std

    def check(self, n_inputs):
        if self.fitted and self.mean.shape != (n_inputs,):
            raise ValueError(f"Standardize was learnt on {self.mean.size} features but the network takes {n_inputs}")

    def transform(self, x):
        if not self.fitted:
            raise ValueError("Standardize has not learnt its mean and std yet: fit the network first")
        standardized = x - self.mean
        standardized /= self.std  # in place: one temporary of x's size, not two
        return standardized.astype(x.dtype, copy=False)

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        """mean + std x', (m, n) -> (m, n) float64: back to the units ``fit`` saw (for targets,
        the predictions in the targets' units)."""
        if not self.fitted:
            raise ValueError("Standardize has not learnt its mean and std yet: fit the network first")
        return np.asarray(values, dtype=np.float64) * self.std + self.mean

    def config(self):
        config = {"name": self.name}
        if self.fitted:
            config["mean"], config["std"] = self.mean.tolist(), self.std.tolist()
        return config

    def __repr__(self):
        return "Standardize()" if not self.fitted else f"Standardize(<{self.mean.size} features>)"


def _moments(x: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Each column's mean and population std in float64, weighted by ``weights`` when given."""
    if weights is None:
        return x.mean(axis=0, dtype=np.float64), x.std(axis=0, dtype=np.float64)
    mean = np.average(x, axis=0, weights=weights)
    return mean, np.sqrt(np.average((x - mean) ** 2, axis=0, weights=weights))


PREPROCESSING = Registry("preprocessing", Preprocessing)
PREPROCESSING.register("standardize", Standardize)


def get(spec, n_inputs: int) -> Preprocessing | None:
    """None, a ``Preprocessing`` object or a name, checked against n_inputs features."""
    if spec is None:
        return None
    if isinstance(spec, str) and spec.lower() == "scale":
        raise ValueError("'scale' needs a factor: give bprop.preprocessing.Scale(factor), e.g. Scale(1 / 255)")
    preprocessing = PREPROCESSING.get(spec)
    preprocessing.check(n_inputs)
    return preprocessing


#: The output activations whose values reach every real number, as standardized targets need
#: (with the quadratic cost: cross-entropy reads targets in [0, 1]).
UNBOUNDED_OUTPUTS = ("identity", "leaky_relu")


def standardizable(output: str, cost: str) -> bool:
    """True when a regression network with this output activation and cost (registered names)
    can learn standardized targets (``get_target``)."""
    return output in UNBOUNDED_OUTPUTS and cost == "quadratic"


def get_target(spec, n_outputs: int, task: str, output: str = "identity", cost: str = "quadratic"
               ) -> Standardize | None:
    """None, "standardize" or a ``Standardize`` for a regression network's targets, checked
    against its n_outputs target columns, its output activation and its cost (names).

    Raises:
        ValueError: another preprocessing or name, a task other than regression (class
            labels and probabilities are not rescaled), or an output activation or cost that
            cannot fit (y - mean) / std (``standardizable``).
    """
    if spec is None:
        return None
    if task != "regression":
        raise ValueError(f"target_preprocessing is for regression, where the targets are numbers in their own "
                         f"units; this network's task is {task!r}")
    if not standardizable(output, cost):
        raise ValueError(f"standardized targets, (y - mean) / std, take any real value: they need the quadratic "
                         f"cost and an output activation that reaches every real number "
                         f"({', '.join(UNBOUNDED_OUTPUTS)}); this network has {output} with the {cost} cost "
                         f"(give target_preprocessing=None for targets in {output}'s range)")
    if isinstance(spec, str) and spec.lower() == "standardize":
        spec = Standardize()
    if not isinstance(spec, Standardize):
        raise ValueError(f"target_preprocessing must be None, 'standardize' or a bprop.preprocessing.Standardize, "
                         f"got {spec!r}")
    if spec.fitted and spec.mean.shape != (n_outputs,):
        raise ValueError(f"the target Standardize was learnt on {spec.mean.size} target columns but the network "
                         f"has {n_outputs} outputs")
    return spec


def from_config(config: dict | None) -> Preprocessing | None:
    """The preprocessing a model file's config describes (``Preprocessing.config``)."""
    if config is None:
        return None
    if not isinstance(config, dict):
        raise ValueError(f"preprocessing must be a JSON object, got {config!r}")
    name = config.get("name")
    if name == "scale":
        return Scale(config.get("factor"))
    if name == "standardize":
        return Standardize(config.get("mean"), config.get("std"))
    raise ValueError(f"unknown preprocessing {name!r} (known: scale, standardize)")
