"""Save and load networks: ``net.save(path)`` and ``bprop.load(path)``.

A model file is a bprop ``.npz`` archive (see ``bprop.io``) of kind "model":
the arrays ``layer{i}.weights`` / ``layer{i}.biases`` bit for bit in their
dtype, and a JSON config::

    {"model_version": 1, "bprop_version": "0.1.0", "sizes": [784, 100, 10],
     "layers": [{"type": "dense", "n_in": 784, "n_out": 100, "activation": "sigmoid", ...},
                {"type": "dropout", "p": 0.5}, ...],
     "cost": "cross_entropy", "dtype": "float32",
     "regularizer": {"name": "l2", "lambda": 5.0, "n": 50000},
     "task": "classification", "classes": ["cat", "dog", ...] or null,
     "preprocessing": {"name": "scale", "factor": 0.00392156862745098} or null}

Files written before "task", "classes" and "preprocessing" existed load with the
defaults: the head's task, output indices as classes, no preprocessing.

Nothing is unpickled. A file that is not a bprop model, is truncated, or whose
config or arrays do not fit together raises ``ValueError`` naming the file.
"""

from __future__ import annotations

import os

import numpy as np

from . import activations, preprocessing, regularizers
from .io import load_arrays, save_arrays
from .layers import Dense, Dropout

MODEL_KIND = "model"
MODEL_VERSION = 1


def save_model(net, path: str | os.PathLike) -> None:
    """Write ``net``'s architecture and parameters to ``path`` atomically.

    Raises:
        ValueError: a weight or bias holds NaN or inf (``load_model`` would refuse the
            file); ``path`` is then left as it was.
    """
    from . import __version__
    from .validation import first_non_finite_parameter

    found = first_non_finite_parameter(net)
    if found is not None:
        raise ValueError(f"refusing to save to {os.fspath(path)}: {found[0]} holds {found[1]} "
                         "(did training diverge?); the file was not written")

    arrays = {}
    for index, layer in enumerate(net.layers):
        for name, value in layer.params.items():
            arrays[f"layer{index}.{name}"] = value
    config = {"model_version": MODEL_VERSION, "bprop_version": __version__, **net.config()}
    save_arrays(path, arrays, config, kind=MODEL_KIND)


def load_model(path: str | os.PathLike):
    """Read a network saved by ``save_model`` / ``Network.save``."""
    arrays, config = load_arrays(path, kind=MODEL_KIND)
    try:
        version = config.get("model_version")
        if not isinstance(version, int) or version > MODEL_VERSION:
            raise ValueError(f"model version {version!r} is not supported by this bprop (up to {MODEL_VERSION})")
        net = network_from_config(config)
        expected = {f"layer{index}.{name}" for index, layer in enumerate(net.layers) for name in layer.params}
        if set(arrays) != expected:
            missing, extra = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
            raise ValueError(f"the arrays do not match the layers (missing {missing}, unexpected {extra})")
        for index, layer in enumerate(net.layers):
            for name, value in layer.params.items():
                saved = arrays[f"layer{index}.{name}"]
                if saved.shape != value.shape:
                    raise ValueError(f"layer {index} {name} has shape {saved.shape}, expected {value.shape}")
                if saved.dtype != net.dtype:
                    raise ValueError(f"layer {index} {name} is {saved.dtype}, the model says {net.dtype}")
                if not np.all(np.isfinite(saved)):
                    raise ValueError(f"layer {index} {name} contains NaN or inf")
                layer.params[name] = saved.copy()
    except ValueError as error:
        raise ValueError(f"{os.fspath(path)}: {error}") from None
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{os.fspath(path)}: bad model config ({error!r})") from None
    return net


def network_from_config(config: dict, seed: int | None = None):
    """A Network with the architecture of ``config`` (freshly initialized weights)."""
    from .network import Network

    layers = [layer_from_config(entry) for entry in config["layers"]]
    regularizer = config.get("regularizer")
    return Network(
        layers=layers,
        cost=config["cost"],
        dtype=config["dtype"],
        regularizer=regularizers.get(regularizer) if regularizer else None,
        seed=seed,
        task=config.get("task"),
        classes=config.get("classes"),
        preprocessing=preprocessing.from_config(config.get("preprocessing")),
    )


def layer_from_config(config: dict):
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
