"""The ASGI app (Starlette): the page, its static files, and one WebSocket per tab.

Each WebSocket connection owns a ``Session`` (its own data, network and optimizer)
and a training task that, while playing, runs ``speed`` steps, then sends a frame,
at most ``FRAMES_PER_SECOND`` times a second. A closed connection cancels its task
and drops its session. Messages are handled one at a time per connection, between
frames, on the event loop: a session is never touched by two coroutines at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from pathlib import Path

import numpy as np

from starlette.applications import Starlette
from starlette.responses import FileResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .protocol import ProtocolError, error_reply, handle, parse
from .session import Session
from .settings import DEFAULTS, validate

STATIC = Path(__file__).with_name("static")
FRAMES_PER_SECOND = 30
#: Networks up to this many parameters send the hover numbers with every frame (about 0.5 ms
#: for 2-8-8-2), so a hover card shows numbers of the very weights drawn; bigger ones on request.
NUMBERS_EVERY_FRAME = 5000
#: Most tabs served at once (each holds a network and its data).
MAX_SESSIONS = 32

log = logging.getLogger("bprop.playground")


class Connection:
    """One tab: its session, its training task and a lock that keeps sends whole."""

    def __init__(self, websocket: WebSocket):
        self.websocket = websocket
        self.session = Session(validate(dict(DEFAULTS)))
        self.send_lock = asyncio.Lock()
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def send(self, message: dict) -> None:
        text = json.dumps(message, allow_nan=False)
        async with self.send_lock:
            await self.websocket.send_text(text)

    async def train(self) -> None:
        """While playing: ``speed`` steps, the losses, a frame; paced to FRAMES_PER_SECOND."""
        loop = asyncio.get_running_loop()
        session = self.session
        while True:
            if not session.playing:
                self.wake.clear()
                await self.wake.wait()
                continue
            started = loop.time()
            try:
                with np.errstate(all="ignore"):
                    for _ in range(session.settings["speed"]):
                        session.step()
                        if session.epochs_done():  # stop after N epochs means N, whatever the pace
                            break
                    train, test = session.record_losses()
            except Exception as error:  # e.g. overflow in a diverging network
                log.exception("playground: training step failed")
                session.playing = False
                await self.send(error_reply(RuntimeError(f"training stopped: {error}"), "play"))
                await self.send({"type": "status", "playing": False})
                continue
            if session.diverged() or not math.isfinite(train):
                session.playing = False
                await self.send(error_reply(ValueError(
                    "the network diverged (NaN or inf); lower the learning rate and reset"), "play"))
            else:
                reason = session.should_stop(test, train)
                if reason:
                    session.playing = False
                    session.stopped_reason = reason
            try:
                with np.errstate(all="ignore"):
                    frame = session.frame(with_numbers=session.inspecting or not session.playing
                                          or session.net.n_params <= NUMBERS_EVERY_FRAME)
            except Exception as error:  # this loop must outlive any frame, or the tab never trains again
                log.exception("playground: drawing a frame failed")
                session.playing = False
                await self.send(error_reply(RuntimeError(f"training stopped: {error}"), "play"))
                await self.send({"type": "status", "playing": False})
                continue
            await self.send(frame)
            await asyncio.sleep(max(0.0, started + 1 / FRAMES_PER_SECOND - loop.time()))


def same_origin(headers) -> bool:
    """True when the WebSocket comes from this server's own page (or from a client that sends
    no Origin, such as a script): a page of another site open in the same browser is refused."""
    origin = headers.get("origin")
    if origin is None:
        return True
    host = headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


async def page(request):
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


def create_app() -> Starlette:
    """A new app with its own session registry (``app.state.connections``)."""

    async def socket(websocket: WebSocket):
        connections: set = websocket.app.state.connections
        if not same_origin(websocket.headers):
            await websocket.close(code=1008)  # another web site's page must not drive this server
            return
        await websocket.accept()
        if len(connections) >= MAX_SESSIONS:
            await websocket.send_text(json.dumps(error_reply(ValueError(
                f"too many open playground tabs (the limit is {MAX_SESSIONS}); close one"))))
            await websocket.close(code=1013)
            return
        connection = Connection(websocket)
        connections.add(connection)
        connection.task = asyncio.create_task(connection.train())
        try:
            await connection.send({"type": "hello", "defaults": DEFAULTS})
            while True:
                received = await websocket.receive()
                if received["type"] == "websocket.disconnect":
                    break
                request = None
                try:
                    message = parse(received.get("text"))
                    request = message["type"]
                    with np.errstate(all="ignore"):
                        replies = handle(connection.session, message)
                except (ProtocolError, ValueError) as error:
                    await connection.send(error_reply(error, request))
                    continue
                except Exception as error:  # a bug must not take the server down
                    log.exception("playground: %s failed", request)
                    await connection.send(error_reply(RuntimeError(f"internal error: {type(error).__name__}: {error}"), request))
                    continue
                for reply in replies:
                    await connection.send(reply)
                if connection.session.playing:
                    connection.wake.set()
        except (WebSocketDisconnect, RuntimeError):
            pass  # closed tab (RuntimeError: a binary frame or a send after close)
        finally:
            connection.task.cancel()
            try:
                await connection.task
            except (asyncio.CancelledError, Exception):
                pass
            connections.discard(connection)

    app = Starlette(routes=[
        Route("/", page),
        WebSocketRoute("/ws", socket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
    app.state.connections = set()
    return app
