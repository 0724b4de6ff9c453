"""State dicts: the one encoding of what bprop saves and restores.

A state dict maps flat names to NumPy arrays and JSON values. Model files,
checkpoints, optimizer states and callback states are all state dicts, and a
file holds one through ``bprop.io``: the arrays as ``.npy`` members of an
``.npz`` archive, the JSON values in its config, never pickled, written
atomically, read with bounded sizes and checked before anything changes.

A part of a larger state keeps its own names under a prefix (``nest`` adds it,
``part`` takes it off). The names bprop's files use, unchanged since version 1::

    layer{i}.{name}   a model file's parameters of layer i ("weights", "biases")
    param{i}.{name}   a checkpoint's parameters (the same arrays under another prefix)
    opt.{key}         the optimizer's state: scalars as 0-d arrays (eta, mu, t, ...) and
                      per-parameter arrays numbered by the parameter's position
                      (v0, v1, ..., m0, m1, ...; see ``numbered``)
    cb{j}.{key}       the arrays of the j-th stateful callback (``split``: its JSON
                      values go in the checkpoint's config)
    order             a mid-epoch checkpoint's sample order

Reading is two-staged, so a rejected file changes nothing: ``check_parameters``,
``check`` and ``numbered`` check (and return) values without touching any object,
and only then ``set_parameters`` (or an object's ``apply_state``) changes it.
Errors raised while checking a file's contents name the file (``refusing``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numpy as np

from .io import FileFormatError
from .schema import short


# -- names --------------------------------------------------------------------------


def nest(prefix: str, state: dict) -> dict:
    """``state`` with every name under ``prefix``: nest("opt.", {"eta": a}) == {"opt.eta": a}."""
    return {prefix + name: value for name, value in state.items()}


def part(prefix: str, state: dict) -> dict:
    """The entries of ``state`` under ``prefix``, without it (the inverse of ``nest``)."""
    return {name[len(prefix):]: value for name, value in state.items() if name.startswith(prefix)}


def split(state: dict) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays, JSON values) of a state that holds both (a callback's state)."""
    arrays = {name: value for name, value in state.items() if isinstance(value, np.ndarray)}
    values = {name: value for name, value in state.items() if name not in arrays}
    return arrays, values


def copy(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A copy of a state of arrays (an optimizer's) that shares no memory with it: a
    snapshot to go back to."""
    return {name: np.array(value, copy=True) for name, value in state.items()}


# -- a network's parameters ----------------------------------------------------------


def parameters(net, prefix: str) -> dict[str, np.ndarray]:
    """{f"{prefix}{i}.{name}": array} for every parameter of every layer i of ``net``
    (the arrays themselves, not copies), in layer order."""
    arrays = {}
    for index, layer in enumerate(net.layers):
        for name, value in layer.params.items():
            arrays[f"{prefix}{index}.{name}"] = value
    return arrays


def parameter_specs(net, prefix: str) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """{name: (shape, dtype)} of what ``parameters(net, prefix)`` gives."""
    return {name: (value.shape, value.dtype) for name, value in parameters(net, prefix).items()}


def parameter_bound(dtype) -> float:
    """The largest magnitude a stored weight or bias may have: sqrt(finfo(dtype).max) (1.84e19 in
    float32), so that a product of a weight and an activation cannot overflow. Model files and
    checkpoints hold nothing larger (``check_parameter_values``), and training counts a weight
    past it as divergence (``validation.first_unsafe_parameter``)."""
    return float(np.sqrt(np.finfo(dtype).max))


def check_parameter_values(name: str, array: np.ndarray) -> None:
    """Refuse NaN, inf and magnitudes above ``parameter_bound`` (a forward pass could overflow).

    Raises:
        ValueError: naming ``name`` and the problem.
    """
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    bound = parameter_bound(array.dtype)
    if array.size and float(np.max(np.abs(array))) > bound:
        raise ValueError(f"{name} holds values of magnitude {float(np.max(np.abs(array))):.3g}, above "
                         f"{bound:.3g}: the network's outputs would overflow")


def check_parameters(arrays: dict, expected: dict[str, tuple], what: str) -> None:
    """Check the parameters ``expected`` names ({name: (shape, dtype)}, e.g. ``parameter_specs``)
    in ``arrays``: each present, of that shape and dtype, finite and not huge
    (``check_parameter_values``). Arrays of other names are not looked at; nothing changes.

    Raises:
        ValueError: a missing parameter, another shape or dtype, NaN, inf or a huge value;
            ``what`` names the holder ("the checkpoint").
    """
    for name, (shape, dtype) in expected.items():
        if name not in arrays:
            raise ValueError(f"{what} lacks parameter {name!r}")
        saved = arrays[name]
        if saved.shape != tuple(shape) or saved.dtype != dtype:
            raise ValueError(f"parameter {name!r} has shape {saved.shape} {saved.dtype}, expected {tuple(shape)} "
                             f"{np.dtype(dtype)}")
        check_parameter_values(f"parameter {name!r}", saved)


def set_parameters(net, arrays: dict, prefix: str) -> None:
    """Give ``net`` the parameters ``parameters(net, prefix)`` names in ``arrays``
    (C-ordered copies, in the network's dtype, as ``Dense.checked_parameter`` makes them);
    check them first (``check_parameters``)."""
    for index, layer in enumerate(net.layers):
        for name in layer.params:
            layer.params[name] = np.array(arrays[f"{prefix}{index}.{name}"], dtype=net.dtype, order="C")


# -- scalars and per-parameter arrays (optimizers, callbacks) -------------------------


def scalar(name: str, value, spec: tuple, what: str) -> float | int:
    """Check a scalar held as a 0-d array; return it as a Python number.

    ``spec``: ("number", low, None) for a finite number > low, ("int", low, None) for an
    integer >= low, ("fraction", low, high) for a finite number in [low, high).

    Raises:
        ValueError: naming ``what`` and ``name``: not a number, or out of range.
    """
    kind, low, high = spec
    array = np.asarray(value)
    if array.shape != () or array.dtype.kind not in "biuf":
        raise ValueError(f"{what} {name!r} must be a number, got an array of shape {array.shape} "
                         f"and dtype {array.dtype}")
    number = array.item()
    if kind == "int":
        if array.dtype.kind not in "iu" or (low is not None and number < low):
            raise ValueError(f"{what} {name!r} must be an integer >= {low}, got {number!r}")
        return int(number)
    number = float(number)
    if not np.isfinite(number) or (kind == "number" and number <= low) or (kind == "fraction" and not low <= number < high):
        bounds = f"> {low:g}" if kind == "number" else f"in [{low:g}, {high:g})"
        raise ValueError(f"{what} {name!r} must be finite and {bounds}, got {number!r}")
    return number


def numbered(state: dict, prefix: str, params=None, what: str = "the state") -> list[np.ndarray]:
    """The per-parameter arrays ``prefix0``, ``prefix1``, ... of ``state``, checked, in order.

    They must be numbered 0..k-1 (names such as "v01" are not counted), hold finite
    floats, and, when ``params`` (the parameters they belong to, in order) is given,
    be one per parameter (or none) with its shape and dtype.

    Raises:
        ValueError: naming ``what`` and the array.
    """
    tail = len(prefix)
    indices = sorted(int(key[tail:]) for key in state
                     if key.startswith(prefix) and key[tail:].isdigit() and key[tail:] == str(int(key[tail:])))
    if indices != list(range(len(indices))):
        raise ValueError(f"{what} arrays {prefix}0, {prefix}1, ... are not numbered 0..k-1")
    if params is not None and indices and len(indices) != len(params):
        raise ValueError(f"{what} has {len(indices)} {prefix} arrays for {len(params)} parameters")
    found = []
    for index in indices:
        key = f"{prefix}{index}"
        array = np.asarray(state[key])
        if array.dtype.kind != "f":
            raise ValueError(f"{what} {key} must hold finite floats, got {array.dtype}")
        if params is not None and (array.shape != params[index].shape or array.dtype != params[index].dtype):
            raise ValueError(f"{what} {key} has shape {array.shape} {array.dtype}, the parameter "
                             f"is {params[index].shape} {params[index].dtype}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{what} {key} must hold finite floats (it holds NaN or inf)")
        found.append(array)
    return found


def check(state, *, scalars: dict[str, tuple], numbered_prefixes: tuple[str, ...] = (), params=None,
          what: str, owner: str) -> dict:
    """Check a state of 0-d scalars and numbered per-parameter arrays (an optimizer's).

    Args:
        state: name -> array.
        scalars: name -> spec (see ``scalar``); each must be present.
        numbered_prefixes: the prefixes of per-parameter arrays (see ``numbered``).
        params: the parameters those arrays belong to, in order (None: not compared).
        what, owner: for the messages ("optimizer state", "Adam").

    Returns:
        {"scalars": {name: number}, "arrays": {prefix: [arrays]}}.

    Raises:
        ValueError: a missing or bad scalar, bad arrays, or an entry of another name.
    """
    if not isinstance(state, dict):
        raise ValueError(f"{what} must be a dict of arrays, got {type(state).__name__}")
    checked_scalars = {}
    for name, spec in scalars.items():
        if name not in state:
            raise ValueError(f"{what} lacks {name!r}")
        checked_scalars[name] = scalar(name, state[name], spec, what)
    arrays = {prefix: numbered(state, prefix, params, what) for prefix in numbered_prefixes}
    known = set(scalars) | {f"{prefix}{index}" for prefix, found in arrays.items() for index in range(len(found))}
    unknown = sorted(set(state) - known)
    if unknown:
        raise ValueError(f"{what} has unknown entries {unknown[:10]} for {owner}")
    return {"scalars": checked_scalars, "arrays": arrays}


# -- files ------------------------------------------------------------------------------


@contextlib.contextmanager
def refusing(path: str | os.PathLike, damaged: str) -> Iterator[None]:
    """Turn the errors of checking what was read from ``path`` into one FileFormatError
    naming it: a ValueError's message as it is, a lookup or type error (a part missing
    or of another type) as ``damaged`` with the detail."""
    try:
        yield
    except FileFormatError:
        raise
    except ValueError as error:
        raise FileFormatError(path, str(error)) from None
    except (KeyError, TypeError, IndexError, AttributeError, OverflowError) as error:
        raise FileFormatError(path, f"{damaged} ({short(error)})") from None
