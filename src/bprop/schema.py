"""Schemas for the JSON parts of bprop's files: every field typed and range-checked.

A schema is a dict ``{key: Field}``. :func:`check_fields` validates a JSON object
against it and returns the checked values; each ``Field`` holds one validator (a
function ``value -> value`` raising ``ValueError``) and whether the key is
required. Keys a schema does not list are kept as they are: a newer writer may
add a key (e.g. a model's "classes"), and a reader that needs it adds one entry
to the schema, which then checks it::

    MODEL_FIELDS["classes"] = Field(list_of(string()), required=False)

Validators for the usual cases: :func:`integer`, :func:`number`, :func:`boolean`,
:func:`string`, :func:`choice`, :func:`registered`, :func:`optional`,
:func:`list_of`. Messages name the key (``where``) and the value, shortened.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

Validator = Callable[[Any], Any]


def short(value: Any, limit: int = 80) -> str:
    """repr(value), cut to ``limit`` characters (a hostile file may hold huge values)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Field:
    """One key of a schema: its validator, and whether a file must have it."""

    check: Validator
    required: bool = True


def check_fields(document: Any, fields: dict[str, Field], where: str) -> dict:
    """Validate ``document`` (a JSON object) against ``fields``; return a checked copy.

    Raises:
        ValueError: ``document`` is not an object, a required key is missing, or a
            value fails its validator; the message starts with ``where``.
    """
    if not isinstance(document, dict):
        raise ValueError(f"{where} must be a JSON object, got {short(document)}")
    checked = dict(document)
    for key, field in fields.items():
        if key not in document:
            if field.required:
                raise ValueError(f"{where} lacks the key {key!r}")
            continue
        try:
            checked[key] = field.check(document[key])
        except ValueError as error:
            raise ValueError(f"{where}: {key!r} {error}") from None
    return checked


def integer(low: int | None = None, high: int | None = None) -> Validator:
    """An int (not a bool) in [low, high]."""

    def check(value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"must be an integer, got {short(value)}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"must be in [{low if low is not None else '-inf'}, "
                             f"{high if high is not None else 'inf'}], got {short(value)}")
        return int(value)

    return check


def number(low: float | None = None, high: float | None = None, *, low_open: bool = False,
           high_open: bool = False, finite: bool = True) -> Validator:
    """An int or float (not a bool), finite unless ``finite=False``, within the bounds."""

    def check(value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"must be a number, got {short(value)}")
        value = float(value)
        if math.isnan(value) or (finite and math.isinf(value)):
            raise ValueError(f"must be a finite number, got {value!r}")
        if low is not None and (value < low or (low_open and value == low)):
            raise ValueError(f"must be {'>' if low_open else '>='} {low:g}, got {value!r}")
        if high is not None and (value > high or (high_open and value == high)):
            raise ValueError(f"must be {'<' if high_open else '<='} {high:g}, got {value!r}")
        return value

    return check


def boolean() -> Validator:
    """true or false (not 0/1, not "no")."""

    def check(value):
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {short(value)}")
        return value

    return check


def string(max_length: int = 200) -> Validator:
    def check(value):
        if not isinstance(value, str):
            raise ValueError(f"must be a string, got {short(value)}")
        if len(value) > max_length:
            raise ValueError(f"is a string of {len(value)} characters; at most {max_length} are allowed")
        return value

    return check


def choice(*options: Any) -> Validator:
    def check(value):
        if isinstance(value, bool) or value not in options:
            raise ValueError(f"must be one of {', '.join(map(repr, options))}; got {short(value)}")
        return value

    return check


def registered(registry) -> Validator:
    """A name a ``bprop.registry.Registry`` knows (the error lists the valid names)."""

    def check(value):
        if not isinstance(value, str) or len(value) > 200:
            raise ValueError(f"must be a {registry.kind} name ({', '.join(registry.names)}), got {short(value)}")
        registry.canonical(value)  # raises ValueError listing the valid names
        return value

    return check


def optional(validator: Validator) -> Validator:
    """None, or what ``validator`` accepts."""

    def check(value):
        return None if value is None else validator(value)

    return check


def list_of(validator: Validator, *, min_length: int = 0, max_length: int | None = None) -> Validator:
    def check(value):
        if not isinstance(value, list):
            raise ValueError(f"must be a list, got {short(value)}")
        if len(value) < min_length or (max_length is not None and len(value) > max_length):
            raise ValueError(f"must hold {min_length} to {max_length if max_length is not None else 'any number of'} "
                             f"items, got {len(value)}")
        checked = []
        for index, item in enumerate(value):
            try:
                checked.append(validator(item))
            except ValueError as error:
                raise ValueError(f"item {index} {error}") from None
        return checked

    return check
