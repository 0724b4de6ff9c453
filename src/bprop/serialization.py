"""Save and load networks: ``net.save(path)`` and ``bprop.load(path)``.

The file format (config schema, checks, reading and writing) lives in
``bprop.model_file``, below ``bprop.network``; this module puts a file and the
Network class together: ``load_model`` reads a file with ``model_file.read_model``
and builds the network with ``Network.from_config``. It imports ``bprop.network``
and nothing imports it back from there (``Network.save`` writes through
``model_file``), so the modules form no import cycle. The format's names
(``MODEL_FIELDS``, ``check_model_config``, ...) stay importable from here.
"""

from __future__ import annotations

import os

from . import state_dicts
from .model_file import (
    DENSE_FIELDS,
    DROPOUT_FIELDS,
    LAYER_SCHEMAS,
    MAX_LAYER_SIZE,
    MAX_PARAMETERS,
    MODEL_FIELDS,
    MODEL_KIND,
    MODEL_VERSION,
    PARAMETER_PREFIX,
    PREPROCESSING_FIELDS,
    REGULARIZER_FIELDS,
    check_model_config,
    expected_arrays,
    layer_from_config,
    read_model,
    save_model,
)
from .network import Network

__all__ = [
    "load_model", "save_model", "read_model", "network_from_config", "layer_from_config",
    "check_model_config", "expected_arrays", "MODEL_FIELDS", "LAYER_SCHEMAS", "DENSE_FIELDS",
    "DROPOUT_FIELDS", "REGULARIZER_FIELDS", "PREPROCESSING_FIELDS", "MODEL_KIND", "MODEL_VERSION",
    "PARAMETER_PREFIX", "MAX_LAYER_SIZE", "MAX_PARAMETERS",
]


def load_model(path: str | os.PathLike) -> Network:
    """Read a network saved by ``save_model`` / ``Network.save`` (this is ``bprop.load``).

    Raises:
        FileNotFoundError: no such file.
        FileFormatError (a ValueError) naming the file: see ``bprop.model_file``
            and ``bprop.io.load_arrays``.
    """
    config, arrays = read_model(path)
    with state_dicts.refusing(path, "bad model config"):
        net = Network.from_config(config)
        state_dicts.set_parameters(net, arrays, PARAMETER_PREFIX)
    return net


def network_from_config(config: dict, seed: int | None = None) -> Network:
    """A Network with the architecture of ``config`` (freshly initialized weights);
    the same as ``Network.from_config``."""
    return Network.from_config(config, seed=seed)
