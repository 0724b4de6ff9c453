"""A/B: one MNIST epoch of a 784-100-10 ReLU network, plain SGD, in two source trees, interleaved.

    git worktree add /tmp/base <commit>          # the tree to compare against
    python bench/ab.py --base /tmp/base --new . --data-dir /work/shared/data/mnist
    python bench/ab.py --base c0bf1a7 --data-dir /work/shared/data/mnist   # a commit: its src/ is exported

Each (round, batch size, tree) runs in its own process: load MNIST's 50,000 training images,
warm up on 2,000, then time 3 epochs and keep the shortest. The trees alternate within each
round, so a slow phase of the machine hits both. Times are CPU seconds of the process
(``time.process_time``) under one BLAS thread (threadpoolctl), which a busy machine distorts
far less than wall time; the load average is printed with every line. Prints each time and,
per batch size, the median of the per-round ratios new / base.

``--base`` (and ``--new``) is a folder holding ``src/bprop`` or a commit of this repository;
a commit's ``src/`` is exported with ``git archive`` into a temporary folder (the repository,
its worktrees and its index are left alone). ``run_all.py --ab-base`` runs the same
measurement as a stage of the full bench, and the report checks the issue's target on it:
new / base at most ``TARGET`` (no regression beyond 3%) at every batch size.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TARGET = 1.03  # new / base: no regression beyond 3%

WORKER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from threadpoolctl import threadpool_limits
import bprop
from bprop.datasets import load_mnist
batch = int(sys.argv[2])
train = load_mnist(sys.argv[3], split="train_test").train
x, y = train.x[:50000], train.y[:50000]
with threadpool_limits(1):
    net = bprop.Network([784, 100, 10], hidden="relu", seed=0)
    net.fit(x[:2000], y[:2000], epochs=1, batch_size=batch, eta=0.05, verbose=False)
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        net.fit(x, y, epochs=1, batch_size=batch, eta=0.05, verbose=False)
        best = min(best, time.process_time() - started)
print(best)
"""


def epoch_seconds(tree: str, batch: int, data_dir: str) -> float:
    done = subprocess.run([sys.executable, "-c", WORKER, os.path.join(tree, "src"), str(batch), data_dir],
                          capture_output=True, text=True)
    if done.returncode:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"the worker failed in {tree}: {tail}")
    return float(done.stdout.strip())


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, check=True).stdout.strip()


def resolve_tree(spec: str, keep: list) -> dict:
    """The source tree ``spec`` names: {"path", "commit", "dirty", "spec"}.

    A folder with ``src/bprop`` is used as it is (its commit and whether ``src/`` differs from it
    are recorded when it is a git checkout); anything else is taken as a commit of this repository,
    whose ``src/`` is exported with ``git archive`` into a temporary folder appended to ``keep``
    (a ``TemporaryDirectory``; the caller keeps it alive while the tree is used).
    Raises ValueError naming the problem when it is neither.
    """
    if os.path.isdir(os.path.join(spec, "src", "bprop")):
        path = os.path.abspath(spec)
        info = {"spec": spec, "path": path, "commit": None, "dirty": None}
        try:
            info["commit"] = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True,
                                            text=True, check=True).stdout.strip()
            info["dirty"] = bool(subprocess.run(["git", "-C", path, "status", "--porcelain", "--", "src"],
                                                capture_output=True, text=True, check=True).stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            pass
        return info
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    except (OSError, subprocess.CalledProcessError):
        raise ValueError(f"--base/--new {spec!r}: neither a folder with src/bprop nor a commit of {REPO}") from None
    archive = subprocess.run(["git", "-C", REPO, "archive", "--format=tar", commit, "src"], capture_output=True,
                             check=True).stdout
    folder = tempfile.TemporaryDirectory(prefix=f"bprop-ab-{commit[:10]}-")
    keep.append(folder)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            tar.extractall(folder.name, filter="data")
        else:
            tar.extractall(folder.name)
    return {"spec": spec, "path": folder.name, "commit": commit, "dirty": False}


def measure(base: dict, new: dict, data_dir: str, rounds: int, batches: list, log=print) -> dict:
    """Interleaved rounds of ``epoch_seconds`` in the two trees (from ``resolve_tree``).

    Returns the JSON-able ``ab`` section of the bench results: every run, and per batch size the
    per-round ratios new / base, their median (``median_ratio``, the value the target checks) and
    the medians of each tree's CPU seconds.
    """
    runs = []
    ratios: dict[int, list[float]] = {b: [] for b in batches}
    for round_ in range(1, rounds + 1):
        for batch in batches:
            base_s = epoch_seconds(base["path"], batch, data_dir)
            new_s = epoch_seconds(new["path"], batch, data_dir)
            ratios[batch].append(new_s / base_s)
            load = os.getloadavg()[0]
            runs.append({"round": round_, "batch_size": batch, "base_s": base_s, "new_s": new_s, "load1": load})
            log(f"round {round_} batch {batch:>3}: base {base_s:.4f} s, new {new_s:.4f} s, "
                f"new/base {new_s / base_s:.3f} (load {load:.2f})")
    per_batch = {}
    for batch in batches:
        mine = [r for r in runs if r["batch_size"] == batch]
        per_batch[str(batch)] = {
            "round_ratios": ratios[batch], "median_ratio": statistics.median(ratios[batch]),
            "base_s_median": statistics.median(r["base_s"] for r in mine),
            "new_s_median": statistics.median(r["new_s"] for r in mine)}
    return {"base": base, "new": new, "rounds": rounds, "batch_sizes": batches, "target": TARGET,
            "measure": "CPU seconds (time.process_time) of one 50,000-image epoch, 784-100-10 ReLU, plain SGD "
                       "eta 0.05, one BLAS thread, the shortest of 3 epochs after a 2,000-image warm-up, one "
                       "process per measurement, the trees alternating within each round",
            "runs": runs, "per_batch": per_batch}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True,
                        help="the source tree to compare against: a folder (e.g. a git worktree) or a commit")
    parser.add_argument("--new", default=REPO, help="the source tree under test (default: this checkout)")
    parser.add_argument("--data-dir", required=True, help="folder with the MNIST IDX files")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-sizes", default="10,32,128,512")
    args = parser.parse_args()
    batches = [int(b) for b in args.batch_sizes.split(",")]
    keep: list = []
    try:
        base, new = resolve_tree(args.base, keep), resolve_tree(args.new, keep)
    except ValueError as error:
        parser.error(str(error))
    result = measure(base, new, args.data_dir, args.rounds, batches, log=lambda m: print(m, flush=True))
    for batch in batches:
        entry = result["per_batch"][str(batch)]
        print(f"batch {batch:>3}: median new/base {entry['median_ratio']:.3f} "
              f"(rounds {', '.join(f'{r:.3f}' for r in entry['round_ratios'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
