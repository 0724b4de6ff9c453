"""``bprop playground``: train a network live in the browser and see the real backprop numbers.

A local Starlette + uvicorn server (the optional extra ``bprop[playground]``) serves a
plain HTML/JS/SVG page from ``static/`` and talks to it over one WebSocket per tab.
Every number the page shows is computed here by bprop (``Network.backprop``, the
optimizers, ``bprop.explain``); the page never computes a gradient.

Modules: ``datasets`` (toy data, features, CSV), ``settings`` (limits and validation),
``session`` (one tab's network and its numbers), ``protocol`` (the messages),
``app`` (the ASGI app), ``server`` (start, print the URL, stop on Ctrl-C).
"""

INSTALL_HINT = 'the playground needs Starlette and uvicorn: pip install "bprop[playground]"'


def require_extra() -> None:
    """Raise ImportError with the install command when the playground's extra is missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise ImportError(f"{INSTALL_HINT} ({error})") from None
