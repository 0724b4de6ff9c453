"""The WebSocket protocol: every message a page may send, checked before it is obeyed.

Messages are JSON objects with a "type". The page sends:

    {"type": "config", "settings": {...}}          whole or partial settings (see settings.py)
    {"type": "play"} / {"type": "pause"} / {"type": "step"} / {"type": "reset"}
    {"type": "regenerate"}                         new random data (a new data seed)
    {"type": "select", "set": "train"|"test", "index": i, "mode": "sample"|"batch"}
    {"type": "inspect", "on": true|false}          send the hover numbers with every frame
    {"type": "explain"}                            the trace of one SGD step on the selected sample
    {"type": "upload", "csv": "x1,x2,label\\n..."}   use a CSV file as the data set
    {"type": "export", "format": "npz"|"json"}     the model file / explain's JSON weights
    {"type": "load", "format": "npz"|"json", "base64": "..."}   load a model file back
    {"type": "ping", "id": n}                       answered by {"type": "pong", "id": n}

The server answers with "state" (data and network shape), "frame" (losses, weights,
heatmaps), "numbers" (the hover numbers), "trace", "file", "stepped" and, for anything
wrong, {"type": "error", "message": ..., "request": ...}: a bad message changes nothing
and the connection keeps serving.
"""

from __future__ import annotations

import base64
import binascii
import json
import numbers
import random

from . import datasets
from .session import Session
from .settings import validate

#: Largest message accepted (a 1 MB CSV or a 2 MB model file, base64-encoded, fits).
MAX_MESSAGE_BYTES = 3_000_000
TYPES = ("config", "play", "pause", "step", "reset", "regenerate", "select", "inspect", "explain",
         "upload", "export", "load", "ping")


class ProtocolError(ValueError):
    """A message the server refuses; its text goes back to the page."""


def parse(text) -> dict:
    """The message object of a WebSocket text frame, or ProtocolError."""
    if not isinstance(text, str):
        raise ProtocolError("messages must be JSON text")
    if len(text) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message too large ({len(text)} characters; the limit is {MAX_MESSAGE_BYTES})")
    try:
        message = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ProtocolError(f"message is not valid JSON: {str(error)[:80]}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object with a \"type\"")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        raise ProtocolError(f"unknown message type {kind!r:.40}; valid types are: {', '.join(TYPES)}")
    return message


def _fields(message: dict, allowed: tuple) -> None:
    extra = sorted(set(message) - {"type", *allowed})
    if extra:
        raise ProtocolError(f"unexpected field {extra[0]!r:.40} in a {message['type']!r} message")


def _choice(message, key, valid, default=None):
    value = message.get(key, default)
    if not isinstance(value, str) or value not in valid:
        raise ProtocolError(f"{key} must be one of: {', '.join(valid)}; got {value!r:.40}")
    return value


def handle(session: Session, message: dict) -> list[dict]:
    """Obey one parsed message; return the replies. Raises ValueError (nothing changed) when refused."""
    kind = message["type"]
    if kind == "config":
        _fields(message, ("settings",))
        settings = validate(message.get("settings", {}), has_upload=session.upload is not None)
        session.apply(settings)
        return [session.describe(), session.frame(with_numbers=True)]
    if kind == "play":
        _fields(message, ())
        if session.diverged():
            raise ValueError("the network diverged (NaN or inf weights); lower the learning rate and reset")
        session.playing, session.stopped_reason = True, ""
        return [{"type": "status", "playing": True}]
    if kind == "pause":
        _fields(message, ())
        session.playing = False
        return [{"type": "status", "playing": False}, session.frame(with_numbers=True)]
    if kind == "step":
        _fields(message, ())
        if session.diverged():
            raise ValueError("the network diverged (NaN or inf weights); lower the learning rate and reset")
        session.playing = False
        used = session.step()
        session.record_losses()
        return [{"type": "stepped", "step": session.steps, "batch": used["batch"].tolist()},
                session.frame(with_numbers=True)]
    if kind == "reset":
        _fields(message, ())
        session.playing = False
        session.reset()
        return [{"type": "status", "playing": False}, session.frame(with_numbers=True)]
    if kind == "regenerate":
        _fields(message, ())
        if session.settings["dataset"] == datasets.UPLOAD:
            raise ValueError("an uploaded data set cannot be regenerated; pick a generated data set")
        settings = dict(session.settings, data_seed=random.randrange(2**31))
        session.apply(settings)
        return [session.describe(), session.frame(with_numbers=True)]
    if kind == "select":
        _fields(message, ("set", "index", "mode"))
        which = _choice(message, "set", ("train", "test"), "train")
        mode = _choice(message, "mode", ("sample", "batch"), "sample")
        index = message.get("index", 0)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise ProtocolError(f"index must be an integer, got {index!r:.40}")
        session.select(which, int(index), mode)
        return [session.numbers()]
    if kind == "inspect":
        _fields(message, ("on",))
        on = message.get("on", True)
        if not isinstance(on, bool):
            raise ProtocolError(f"on must be true or false, got {on!r:.40}")
        session.inspecting = on
        return [session.numbers()] if on else []
    if kind == "explain":
        _fields(message, ())
        return [session.explain()]
    if kind == "upload":
        _fields(message, ("csv",))
        text = message.get("csv")
        if not isinstance(text, str):
            raise ProtocolError("csv must be the text of the file")
        points = datasets.parse_csv(text, regression=session.settings["problem"] == "regression")
        session.playing = False
        session.use_upload(points, validate(dict(session.settings, dataset=datasets.UPLOAD), has_upload=True))
        return [session.describe(), session.frame(with_numbers=True)]
    if kind == "export":
        _fields(message, ("format",))
        return [session.export(_choice(message, "format", ("npz", "json")))]
    if kind == "load":
        _fields(message, ("format", "base64"))
        fmt = _choice(message, "format", ("npz", "json"))
        encoded = message.get("base64")
        if not isinstance(encoded, str):
            raise ProtocolError("base64 must be the file's content, base64-encoded")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError("base64 is not valid base64") from None
        session.playing = False
        session.load_model(fmt, data)
        return [session.describe(), session.frame(with_numbers=True)]
    if kind == "ping":
        _fields(message, ("id",))
        ident = message.get("id")
        if ident is not None and (isinstance(ident, bool) or not isinstance(ident, (int, float))):
            raise ProtocolError("id must be a number")
        return [{"type": "pong", "id": ident}]
    raise ProtocolError(f"unknown message type {kind!r}")  # not reached: parse checks the type


def error_reply(error: Exception, request=None) -> dict:
    return {"type": "error", "message": str(error), "request": request}
