"""`bprop playground` as a real process: URL on stdout, a real WebSocket client, Ctrl-C, the missing extra."""

import json
import os
import re
import signal
import subprocess
import sys

import pytest

pytest.importorskip("uvicorn", reason='the playground extra is missing: pip install "bprop[playground]"')
ws_client = pytest.importorskip("websockets.sync.client", reason="the tests need websockets: pip install websockets")


def start(*args):
    proc = subprocess.Popen([sys.executable, "-m", "bprop", "playground", "--no-browser", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        proc.kill()
        raise AssertionError(f"no URL printed: {line!r} {proc.stderr.read()!r}")
    return proc, int(match.group(1))


def recv_until(ws, kind):
    for _ in range(5000):
        reply = json.loads(ws.recv(timeout=20))
        if reply["type"] == kind:
            return reply
    raise AssertionError(f"no {kind!r} reply")


def test_server_prints_its_url_answers_bad_messages_and_stops_on_ctrl_c():
    proc, port = start()
    try:
        with ws_client.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws, \
                ws_client.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as other:
            assert recv_until(ws, "hello") and recv_until(other, "hello")
            for bad in ("{", '{"type": "step", "x": 1}', '{"type": "config", "settings": {"hidden": [99]}}', b"\x00"):
                ws.send(bad)
                assert recv_until(ws, "error")["message"]
            ws.send(json.dumps({"type": "play"}))
            frame = recv_until(ws, "frame")
            assert frame["playing"]
            other.send(json.dumps({"type": "ping", "id": 1}))  # the other tab is served meanwhile
            assert recv_until(other, "pong")["id"] == 1
            proc.send_signal(signal.SIGINT)  # Ctrl-C while a tab is training
            out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert "stopped" in out and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_busy_port_is_a_clear_error():
    proc, port = start()
    try:
        result = subprocess.run([sys.executable, "-m", "bprop", "playground", "--no-browser", "--port", str(port)],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and f"127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)


def test_missing_extra_names_the_install_command():
    code = ("import sys; sys.modules['uvicorn'] = None; from bprop.cli import main; "
            "sys.exit(main(['playground', '--no-browser']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'pip install "bprop[playground]"' in result.stderr
