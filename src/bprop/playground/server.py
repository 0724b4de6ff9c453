"""Start the playground: bind 127.0.0.1 (a free port or the one asked), print the URL,
optionally open the browser, serve until Ctrl-C, then stop cleanly."""

from __future__ import annotations

import socket
import threading
import webbrowser

HOST = "127.0.0.1"


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1:port (0: a free port). OSError names the busy port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise OSError(f"cannot listen on {HOST}:{port}: {error.strerror or error}") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def single_threaded_blas() -> None:
    """One BLAS thread: the playground's matrices are small, and OpenBLAS's worker threads
    only add waiting (a 2-8x32-... frame took 480 ms with them on a busy 2-core machine, 36 ms
    without). threadpoolctl comes with scikit-learn; without it nothing changes."""
    global _blas_limit
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    _blas_limit = threadpool_limits(limits=1, user_api="blas")


_blas_limit = None


def serve(port: int = 0, open_browser: bool = True, announce=print) -> None:
    """Run the playground until interrupted (Ctrl-C or SIGTERM)."""
    import uvicorn

    from .app import create_app
    from .protocol import MAX_MESSAGE_BYTES

    single_threaded_blas()
    sock = bind(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    config = uvicorn.Config(
        create_app(), log_level="warning", ws_max_size=MAX_MESSAGE_BYTES + 1024,
        timeout_graceful_shutdown=2, lifespan="off",
    )
    server = uvicorn.Server(config)
    announce(f"bprop playground: {url}  (Ctrl-C stops it)")
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn has shut down gracefully and re-raised the Ctrl-C
    finally:
        sock.close()
    announce("bprop playground: stopped")
