"""A/B: one MNIST epoch of a 784-100-10 ReLU network, plain SGD, in two source trees, interleaved.

    git worktree add /tmp/base <commit>          # the tree to compare against
    python bench/ab.py --base /tmp/base --new . --data-dir /work/shared/data/mnist

Each (round, batch size, tree) runs in its own process: load MNIST's 50,000 training images,
warm up on 2,000, then time 3 epochs and keep the shortest. The trees alternate within each
round, so a slow phase of the machine hits both. Times are CPU seconds of the process
(``time.process_time``) under one BLAS thread (threadpoolctl), which a busy machine distorts
far less than wall time; the load average is printed with every line. Prints each time and,
per batch size, the median of the per-round ratios new / base.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

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
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the source tree to compare against (a git worktree)")
    parser.add_argument("--new", default=".", help="the source tree under test (default: this one)")
    parser.add_argument("--data-dir", required=True, help="folder with the MNIST IDX files")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-sizes", default="10,32,128,512")
    args = parser.parse_args()
    batches = [int(b) for b in args.batch_sizes.split(",")]
    ratios: dict[int, list[float]] = {b: [] for b in batches}
    for round_ in range(1, args.rounds + 1):
        for batch in batches:
            base = epoch_seconds(args.base, batch, args.data_dir)
            new = epoch_seconds(args.new, batch, args.data_dir)
            ratios[batch].append(new / base)
            load = os.getloadavg()[0]
            print(f"round {round_} batch {batch:>3}: base {base:.4f} s, new {new:.4f} s, "
                  f"new/base {new / base:.3f} (load {load:.2f})", flush=True)
    for batch in batches:
        print(f"batch {batch:>3}: median new/base {statistics.median(ratios[batch]):.3f} "
              f"(rounds {', '.join(f'{r:.3f}' for r in ratios[batch])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
