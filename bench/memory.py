"""Peak resident memory (RSS) of a training epoch, measured in a fresh subprocess.

The child process loads the 50,000 float32 training images (with the chunked reader,
so loading itself stays small), notes its RSS, resets the kernel's high-water mark
(``echo 5 > /proc/self/clear_refs``, which also resets ``ru_maxrss`` on Linux), runs
one epoch, and reports:

- ``baseline_mib``: RSS just before the epoch (interpreter, libraries, the data);
- ``epoch_peak_mib``: the high-water mark during the epoch, i.e. the peak RSS of the
  whole process while it trains (``getrusage(RUSAGE_SELF).ru_maxrss`` after the reset);
- ``load_peak_mib``: the high-water mark while loading, before the reset.

The parent also reads ``getrusage(RUSAGE_CHILDREN).ru_maxrss``, the largest peak of any
child so far, as a cross-check.

The budget the report compares with is the float32 dataset's size plus 100 MiB.

Run as a script (the harness does this)::

    python bench/memory.py --peer bprop --batch-size 128 --data-dir DIR [--samples N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

MIB = 2**20
HERE = os.path.dirname(os.path.abspath(__file__))


def _status_kib(key):
    """A 'VmRSS'/'VmHWM' line of /proc/self/status, in KiB (None if unreadable)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak():
    """Reset the RSS high-water mark; True when the kernel allowed it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child_main(argv=None):
    """The subprocess: load, reset the peak, train one epoch, print a JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    sys.path.insert(0, HERE)
    import machine

    machine.use_this_tree()
    machine.pin_threads_env(args.threads)
    import data
    import peers

    peer = peers.PEERS[args.peer]()
    if not peer.available:
        print(json.dumps({"available": False, "reason": peer.reason}))
        return
    machine.pin_threads_runtime(args.threads, getattr(peer, "torch", None))
    path = lambda key: os.path.join(args.data_dir, data.FILES[key])  # noqa: E731
    x = data.read_images_float32(path("train_images"), limit=data.N_TRAIN)
    y = data.read_idx(path("train_labels"), limit=data.N_TRAIN).astype("int64")
    peer.prepare(x, y)
    dataset_bytes = x.nbytes + y.nbytes
    load_peak = _status_kib("VmHWM")
    baseline = _status_kib("VmRSS")
    reset = _reset_peak()
    seconds = peer.epoch(args.batch_size, min(args.samples, len(x)), seed=0)
    epoch_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm = _status_kib("VmHWM")
    print(json.dumps({
        "available": True,
        "peer": args.peer,
        "batch_size": args.batch_size,
        "samples": min(args.samples, len(x)),
        "seconds": seconds,
        "dataset_mib": dataset_bytes / MIB,
        "images_mib": x.nbytes / MIB,
        "load_peak_mib": load_peak / 1024 if load_peak else None,
        "baseline_mib": baseline / 1024 if baseline else None,
        "peak_reset": reset,
        "epoch_peak_mib": (hwm if reset and hwm else epoch_peak_kib) / 1024,
        "ru_maxrss_mib": epoch_peak_kib / 1024,
    }))


def measure(peer, batch_size, data_dir, samples=50_000, threads=2, timeout=3600):
    """Run the child for one peer; returns its JSON dict plus the parent's view."""
    cmd = [sys.executable, os.path.abspath(__file__), "--peer", peer, "--batch-size",
           str(batch_size), "--data-dir", data_dir, "--samples", str(samples),
           "--threads", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        return {"available": False, "reason": f"child failed: {proc.stderr.strip()[-500:]}"}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # Largest peak of any child so far (a cross-check; after a peak reset it is the epoch's).
    result["parent_children_maxrss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if result.get("available"):
        result["budget_mib"] = result["images_mib"] + 100
        result["within_budget"] = result["epoch_peak_mib"] <= result["budget_mib"]
    return result


if __name__ == "__main__":
    child_main()
