"""The model file format: what ``net.save(path)`` writes and ``bprop.load(path)`` reads.

A model file is a bprop ``.npz`` archive (see ``bprop.io``) of kind "model":
the arrays ``layer{i}.weights`` / ``layer{i}.biases`` bit for bit in their
dtype, and a JSON config::

    {"model_version": 1, "bprop_version": "0.1.0", "sizes": [784, 100, 10],
     "layers": [{"type": "dense", "n_in": 784, "n_out": 100, "activation": "sigmoid", ...},
                {"type": "dropout", "p": 0.5}, ...],
     "cost": "cross_entropy", "dtype": "float32",
     "regularizer": {"name": "l2", "lambda": 5.0, "n": 50000},
     "task": "classification", "classes": ["cat", "dog", ...] or null,
     "preprocessing": {"name": "scale", "factor": 0.00392156862745098} or null,
     "feature_names": ["sepal_length", ...] or null}

This module knows the file, not the Network class: ``save_model`` writes any
object with ``config()`` and weight layers, ``read_model`` returns the checked
config and arrays, and ``Network.from_config`` (``bprop.network``) builds the
network from them; ``bprop.serialization.load_model`` puts the two together.
So ``bprop.network`` imports this module and nothing here imports it back.

Files written before "task", "classes" and "preprocessing" existed load with the
defaults: the head's task, output indices as classes, no preprocessing.

Nothing is unpickled. Every file is untrusted: the config is checked key by key
against ``MODEL_FIELDS`` (a schema per key, see ``bprop.schema``; keys this
version does not know are ignored, so a newer writer's additions do not break
it, and a reader that needs one adds its entry) and the layer sizes against the
arrays' ``.npy`` headers before any array is read or any layer allocated.
Parameters must be finite and at most ``sqrt(finfo(dtype).max)`` in magnitude
(1.8e19 for float32), so that a forward pass cannot overflow on inputs in [0, 1].
A bad file raises ``bprop.io.FileFormatError`` (a ``ValueError``) naming it.
"""

from __future__ import annotations

import os

import numpy as np

from . import activations, costs, initializers, preprocessing, regularizers, state_dicts, tasks
from .io import load_arrays, save_arrays
from .layers import Dense, Dropout
from .schema import Field, boolean, check_fields, choice, integer, list_of, number, optional, registered, short, string
from .validation import first_unsafe_parameter
from .version import __version__

MODEL_KIND = "model"
#: 2: a regression model may standardize its targets ("target_preprocessing"). A model
#: without it is written as version 1, which every bprop reads; one with it as version 2,
#: which a bprop that reads only version 1 refuses (ignoring the key, it would predict in
#: standardized units: plausible numbers, all wrong).
MODEL_VERSION = 2
#: A model file's parameter arrays are named layer{i}.weights, layer{i}.biases (``state_dicts.parameters``).
PARAMETER_PREFIX = "layer"

#: The most neurons a layer of a loaded model may declare (and at most MAX_PARAMETERS in all).
MAX_LAYER_SIZE = 1 << 24
#: The most parameters a loaded model may declare (the arrays must also be in the file).
MAX_PARAMETERS = 1 << 31


def _regularizer_config(value):
    if value is None:
        return None
    return check_fields(value, REGULARIZER_FIELDS, "the regularizer")


#: Schema of a saved regularizer: {"name": "l2", "lambda": 5.0, "n": 50000}.
REGULARIZER_FIELDS: dict[str, Field] = {
    "name": Field(registered(regularizers.REGULARIZERS)),
    "lambda": Field(number(0, low_open=True)),
    "n": Field(optional(number(0, low_open=True)), required=False),  # a count, or a sum of sample weights
}

#: Schema of a Dense layer's config.
DENSE_FIELDS: dict[str, Field] = {
    "type": Field(choice("dense")),
    "n_in": Field(integer(1, MAX_LAYER_SIZE)),
    "n_out": Field(integer(1, MAX_LAYER_SIZE)),
    "activation": Field(registered(activations.ACTIVATIONS)),
    "slope": Field(number(0, 1, high_open=True), required=False),
    "init": Field(optional(registered(initializers.INITIALIZERS)), required=False),
    "train_biases": Field(boolean(), required=False),
}

#: Schema of a Dropout layer's config.
DROPOUT_FIELDS: dict[str, Field] = {
    "type": Field(choice("dropout")),
    "p": Field(number(0, 1, high_open=True)),
}

#: Layer type -> schema; a new layer type adds its entry here and in ``layer_from_config``.
LAYER_SCHEMAS: dict[str, dict[str, Field]] = {"dense": DENSE_FIELDS, "dropout": DROPOUT_FIELDS}


def _layer_config(value):
    kind = value.get("type") if isinstance(value, dict) else None
    if not isinstance(kind, str) or kind not in LAYER_SCHEMAS:
        raise ValueError(f"has an unknown layer type {short(kind)} (known: {', '.join(LAYER_SCHEMAS)})")
    return check_fields(value, LAYER_SCHEMAS[kind], f"a {kind} layer")


def _class_label(value):
    if isinstance(value, str):
        return string()(value)
    if isinstance(value, (int, float)):  # bool included: a label of any kind; the Task checks the set
        return value
    raise ValueError(f"must be a string or a number, got {short(value)}")


#: Schema of saved preprocessing: {"name": "scale", "factor": 0.0039} or {"name": "standardize", "mean": [...], ...}.
PREPROCESSING_FIELDS: dict[str, Field] = {
    "name": Field(choice("scale", *preprocessing.PREPROCESSING.names)),
    "factor": Field(number(0, low_open=True), required=False),
    "mean": Field(list_of(number(), max_length=MAX_LAYER_SIZE), required=False),
    "std": Field(list_of(number(0, low_open=True), max_length=MAX_LAYER_SIZE), required=False),
}


def _preprocessing_config(value):
    return None if value is None else check_fields(value, PREPROCESSING_FIELDS, "the preprocessing")


#: Schema of a model file's config, one entry per key (unknown keys are ignored).
MODEL_FIELDS: dict[str, Field] = {
    "model_version": Field(integer(1, MODEL_VERSION)),
    "bprop_version": Field(string(), required=False),
    "sizes": Field(list_of(integer(1, MAX_LAYER_SIZE), min_length=2, max_length=10_000), required=False),
    "layers": Field(list_of(_layer_config, min_length=1, max_length=10_000)),
    "cost": Field(registered(costs.COSTS)),
    "dtype": Field(choice("float32", "float64")),
    "regularizer": Field(_regularizer_config, required=False),
    "task": Field(optional(choice(*tasks.TASKS)), required=False),
    "classes": Field(optional(list_of(_class_label, max_length=MAX_LAYER_SIZE)), required=False),
    "preprocessing": Field(_preprocessing_config, required=False),
    "feature_names": Field(optional(list_of(string(), max_length=MAX_LAYER_SIZE)), required=False),
    "target_preprocessing": Field(_preprocessing_config, required=False),
}


def check_model_config(config: dict) -> dict:
    """Validate a model config (schema and layer chain); return the checked copy.

    Raises:
        ValueError: naming the key and the problem: a missing or mistyped key, an
            unsupported ``model_version``, an unknown name, layers whose sizes do
            not chain, ``sizes`` that disagree with the layers, or more than
            ``MAX_PARAMETERS`` parameters.
    """
    if isinstance(config, dict) and "model_version" in config:
        version = config["model_version"]
        if isinstance(version, int) and not isinstance(version, bool) and version > MODEL_VERSION:
            raise ValueError(f"model version {version} is newer than this bprop reads (up to {MODEL_VERSION}); "
                             "please upgrade bprop")
    config = check_fields(config, MODEL_FIELDS, "the model config")
    dense = [layer for layer in config["layers"] if layer["type"] == "dense"]
    if not dense or config["layers"][-1]["type"] != "dense":
        raise ValueError("the model config's last layer must be a dense layer")
    for below, above in zip(dense, dense[1:]):
        if above["n_in"] != below["n_out"]:
            raise ValueError(f"the model's layers do not chain: a layer of {below['n_out']} outputs feeds "
                             f"one of {above['n_in']} inputs")
    sizes = [dense[0]["n_in"]] + [layer["n_out"] for layer in dense]
    if "sizes" in config and config["sizes"] != sizes:
        raise ValueError(f"the model config's sizes {short(config['sizes'])} disagree with its layers {short(sizes)}")
    n_params = sum(layer["n_in"] * layer["n_out"] + layer["n_out"] for layer in dense)
    if n_params > MAX_PARAMETERS:
        raise ValueError(f"the model config declares {n_params:,} parameters; bprop loads at most {MAX_PARAMETERS:,}")
    return config


def expected_arrays(config: dict) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """{array name: (shape, dtype)} a model file with this (checked) config must hold."""
    dtype = np.dtype(config["dtype"])
    expected = {}
    for index, layer in enumerate(config["layers"]):
        if layer["type"] == "dense":
            expected[f"{PARAMETER_PREFIX}{index}.weights"] = ((layer["n_out"], layer["n_in"]), dtype)
            expected[f"{PARAMETER_PREFIX}{index}.biases"] = ((layer["n_out"],), dtype)
    return expected


def _check_shapes(expected, found) -> None:
    if set(found) != set(expected):
        missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
        raise ValueError(f"the arrays do not match the layers (missing {missing[:10]}, unexpected {extra[:10]})")
    for name, (shape, dtype) in expected.items():
        if found[name][0] != shape:
            raise ValueError(f"{name} has shape {found[name][0]}, the config's layers need {shape}")
        if np.dtype(found[name][1]) != dtype:
            raise ValueError(f"{name} is {np.dtype(found[name][1])}, the model says {dtype}")


def save_model(net, path: str | os.PathLike) -> None:
    """Write ``net``'s architecture and parameters to ``path`` atomically.

    Raises:
        ValueError: a weight or bias holds NaN, inf or a magnitude past sqrt(finfo.max)
            (``read_model`` would refuse the file); ``path`` is then left as it was.
    """
    found = first_unsafe_parameter(net)
    if found is not None:
        raise ValueError(f"refusing to save to {os.fspath(path)}: {found[0]} holds {found[1]} "
                         "(did training diverge?); the file was not written")

    config = net.config()
    version = MODEL_VERSION if config.get("target_preprocessing") else 1  # (see MODEL_VERSION)
    config = {"model_version": version, "bprop_version": __version__, **config}
    save_arrays(path, state_dicts.parameters(net, PARAMETER_PREFIX), config, kind=MODEL_KIND)


def read_model(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and check a model file written by ``save_model``; return (config, arrays).

    The config is the checked copy (``check_model_config``); the arrays are
    {"layer{i}.weights": (n_out, n_in), "layer{i}.biases": (n_out,)} in the config's
    dtype, finite and within the bound above. ``Network.from_config(config)`` and
    ``state_dicts.set_parameters(net, arrays, PARAMETER_PREFIX)`` rebuild the network.

    Raises:
        FileNotFoundError: no such file.
        FileFormatError (a ValueError) naming the file: see the module docstring
            and ``bprop.io.load_arrays``.
    """
    checked: dict = {}

    def check(config, found):
        try:
            checked.update(check_model_config(config))
        except ValueError as error:
            raise ValueError(f"bad model config: {error}") from None
        _check_shapes(expected_arrays(checked), found)

    arrays, _ = load_arrays(path, kind=MODEL_KIND, check=check)
    with state_dicts.refusing(path, "bad model config"):
        state_dicts.check_parameters(arrays, expected_arrays(checked), "the model file")
    return checked, arrays


def layer_from_config(config: dict):
    """The layer a checked layer config describes (``LAYER_SCHEMAS``), freshly initialized."""
    kind = config.get("type")
    if kind == "dense":
        activation = config["activation"]
        if activation == "leaky_relu":
            activation = activations.LeakyReLU(config.get("slope", 0.01))
        return Dense(config["n_in"], config["n_out"], activation, init=config.get("init"),
                     train_biases=config.get("train_biases", True))
    if kind == "dropout":
        return Dropout(config["p"])
    raise ValueError(f"unknown layer type {kind!r} (known: dense, dropout)")
