"""The playground's settings: defaults, limits, and validation of what a page sends.

A page sends its whole configuration as a JSON object; ``validate`` checks every
field (type, range, size) and returns a complete ``dict`` or raises ValueError
naming the field and what it accepts. Nothing is applied before all fields pass.
"""

from __future__ import annotations

import math
import numbers

from .datasets import CLASSIFICATION, DATASETS, FEATURES, REGRESSION, UPLOAD

MAX_LAYERS = 8
MAX_NEURONS = 32
MAX_POINTS = 2000
HIDDEN_ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "identity")
#: Classification heads: name -> (output activation, cost).
HEADS = {
    "softmax_ll": ("softmax", "log_likelihood"),
    "sigmoid_ce": ("sigmoid", "cross_entropy"),
    "sigmoid_quadratic": ("sigmoid", "quadratic"),
}
#: The regression head.
REGRESSION_HEAD = ("identity", "quadratic")
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZERS = ("none", "l1", "l2")
SCHEDULES = ("none", "step")

DEFAULTS = {
    "problem": "classification",
    "dataset": "circle",
    "noise": 0,
    "train_ratio": 50,
    "points": 500,
    "data_seed": 1,
    "features": ["x1", "x2"],
    "hidden": [4, 2],
    "activation": "tanh",
    "head": "softmax_ll",
    "eta": 0.03,
    "optimizer": "sgd",
    "regularization": "none",
    "reg_rate": 0.0,
    "batch": 10,
    "dropout": 0.0,
    "schedule": "none",
    "schedule_every": 50,
    "stop_epochs": 0,
    "stop_loss": 0.0,
    "speed": 5,
    "seed": 0,
}

#: Fields that, when changed, need new data.
DATA_FIELDS = ("problem", "dataset", "noise", "train_ratio", "points", "data_seed")
#: Fields a running network follows without a reset; any other change builds a new network.
LIVE_FIELDS = ("eta", "batch", "schedule", "schedule_every", "stop_epochs", "stop_loss", "speed")


def _int(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer from {lo} to {hi}, got {value!r:.40}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be from {lo} to {hi}, got {value}")
    return int(value)


def _float(name, value, lo, hi, open_low=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number from {lo} to {hi}, got {value!r:.40}")
    if not (lo < value if open_low else lo <= value) or value > hi:
        low = f"above {lo}" if open_low else f"from {lo}"
        raise ValueError(f"{name} must be {low} to {hi}, got {value}")
    return float(value)


def _choice(name, value, valid):
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f"unknown {name} {value!r:.40}; valid values are: {', '.join(valid)}")
    return value


def validate(raw, *, has_upload: bool = False) -> dict:
    """A complete, checked settings dict from a page's (partial) settings object.

    Missing fields take their defaults; unknown fields are an error.
    """
    if not isinstance(raw, dict):
        raise ValueError("settings must be a JSON object")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r:.40}; valid settings are: {', '.join(DEFAULTS)}")
    s = {**DEFAULTS, **raw}
    out = {}
    out["problem"] = _choice("problem", s["problem"], ("classification", "regression"))
    valid_sets = (CLASSIFICATION if out["problem"] == "classification" else REGRESSION) + ((UPLOAD,) if has_upload else ())
    if s["dataset"] == UPLOAD and not has_upload:
        raise ValueError("the 'upload' data set needs a CSV file uploaded first")
    if s["dataset"] not in valid_sets and s["dataset"] in DATASETS:
        raise ValueError(f"data set {s['dataset']!r} is not a {out['problem']} data set; valid: {', '.join(valid_sets)}")
    out["dataset"] = _choice("dataset", s["dataset"], valid_sets)
    out["noise"] = _int("noise", s["noise"], 0, 50)
    out["train_ratio"] = _int("train_ratio", s["train_ratio"], 10, 90)
    out["points"] = _int("points", s["points"], 20, MAX_POINTS)
    out["data_seed"] = _int("data_seed", s["data_seed"], 0, 2**31 - 1)
    feats = s["features"]
    if not isinstance(feats, list) or not feats or len(feats) > len(FEATURES):
        raise ValueError(f"features must be a non-empty list of: {', '.join(FEATURES)}")
    for name in feats:
        _choice("feature", name, tuple(FEATURES))
    if len(set(feats)) != len(feats):
        raise ValueError("features must not repeat")
    out["features"] = [name for name in FEATURES if name in feats]  # canonical order
    hidden = s["hidden"]
    if not isinstance(hidden, list) or len(hidden) > MAX_LAYERS:
        raise ValueError(f"hidden must be a list of at most {MAX_LAYERS} layer sizes")
    out["hidden"] = [_int("neurons per layer", n, 1, MAX_NEURONS) for n in hidden]
    out["activation"] = _choice("activation", s["activation"], HIDDEN_ACTIVATIONS)
    out["head"] = _choice("head", s["head"], tuple(HEADS))
    out["eta"] = _float("eta (learning rate)", s["eta"], 0, 10, open_low=True)
    out["optimizer"] = _choice("optimizer", s["optimizer"], OPTIMIZERS)
    out["regularization"] = _choice("regularization", s["regularization"], REGULARIZERS)
    out["reg_rate"] = _float("reg_rate (lambda)", s["reg_rate"], 0, 10)
    out["batch"] = _int("batch", s["batch"], 1, MAX_POINTS)
    out["dropout"] = _float("dropout", s["dropout"], 0, 0.9)
    out["schedule"] = _choice("schedule", s["schedule"], SCHEDULES)
    out["schedule_every"] = _int("schedule_every (epochs)", s["schedule_every"], 1, 100000)
    out["stop_epochs"] = _int("stop_epochs", s["stop_epochs"], 0, 1000000)
    out["stop_loss"] = _float("stop_loss", s["stop_loss"], 0, 1000)
    out["speed"] = _int("speed (steps per frame)", s["speed"], 1, 200)
    out["seed"] = _int("seed", s["seed"], 0, 2**31 - 1)
    return out


def head_of(settings: dict) -> tuple[str, str]:
    """(output activation, cost) of the settings' problem and head."""
    if settings["problem"] == "regression":
        return REGRESSION_HEAD
    return HEADS[settings["head"]]


def slow_pair_note(settings: dict) -> str:
    """The seeds' learning-slowdown lesson, when the chosen pair has it ('' otherwise)."""
    activation, cost = head_of(settings)
    if cost == "quadratic" and activation == "sigmoid":
        return ("sigmoid + quadratic cost learns slowly when an output saturates: BP1 gives "
                "δᴸ = (a − y) σ′(zᴸ) and σ′(z) ≈ 0 there. Cross-entropy cancels σ′ (δᴸ = a − y).")
    return ""
