"""Run the command line as a user does: 'python -m bprop ...' in a subprocess (bounded by a timeout)."""

import os
import signal
import subprocess
import sys
import time

import numpy as np

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def environment(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.abspath(SRC), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"  # each line as it is printed (the tests wait for them)
    env.update(extra)
    return env


def bprop(*args, cwd=None, timeout: float = 90, **env):
    """Run 'python -m bprop ARGS'; return (returncode, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "bprop", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=environment(**env), cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def signalled(args, signals, *, cwd=None, after_line=1, wait_for=None, together=False, timeout: float = 90):
    """Start 'bprop train ARGS', wait for its ``after_line``-th epoch line (and the file ``wait_for``),
    send ``signals``; return (returncode, stdout, stderr).

    ``together``: send them while the process is stopped (SIGSTOP ... SIGCONT), so that it
    receives them at the same moment: the second then always finds the first being handled
    (sent while it runs, the process may have finished before the second arrives).
    """
    process = subprocess.Popen([sys.executable, "-m", "bprop", "train", *map(str, args)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment(), cwd=cwd)
    deadline = time.monotonic() + timeout
    lines, seen = [], 0
    try:
        for line in process.stdout:  # the epoch lines come one at a time (unbuffered)
            lines.append(line)
            seen += line.startswith("epoch ")
            if seen >= after_line or time.monotonic() > deadline:
                break
        assert seen >= after_line, "".join(lines) + process.stderr.read()
        while wait_for is not None and not os.path.exists(wait_for):
            assert time.monotonic() < deadline, f"{wait_for} never appeared"
            time.sleep(0.01)
        if together:
            process.send_signal(signal.SIGSTOP)
            while stopped_state(process.pid) != "T":
                assert time.monotonic() < deadline, "the process did not stop"
                time.sleep(0.005)
        for signum in signals:
            process.send_signal(signum)
        if together:
            process.send_signal(signal.SIGCONT)
        out, err = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, "".join(lines) + out, err


def stopped_state(pid: int) -> str:
    """The state letter of /proc/PID/stat (T: stopped)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def same_weights(a, b) -> bool:
    pairs = list(zip(a.trainable_parameters(), b.trainable_parameters()))
    return len(pairs) == len(list(a.trainable_parameters())) and all(
        p.dtype == q.dtype and np.array_equal(p, q) for (p, _), (q, _) in pairs)


SIGINT, SIGTERM = signal.SIGINT, signal.SIGTERM
