"""Recipes A-C: one training epoch of three settings beyond plain SGD, bprop against PyTorch eager.

The plain-SGD grid (peers.py) times one network with one optimizer. These recipes time what
people actually train, each as ONE epoch on the first 10,000 MNIST training images (float32):

    A  784-800-800-10 ReLU, dropout 0.5 after each hidden layer, softmax + log-likelihood,
       Adam (eta 1e-3), batch 128                       (the best-accuracy recipe)
    B  784-100-10 ReLU, softmax + log-likelihood, classical momentum mu = 0.9, eta 0.01, batch 32
    C  784-30-10 sigmoid hidden and sigmoid output, quadratic cost, plain SGD eta 3, batch 10
       (the seeds' classic network)

Each recipe runs for two peers behind the interface of ``peers.Peer`` (``epoch(batch_size, n,
seed)`` returns seconds), so ``timing.warm_up`` and ``timing.run_round`` time them exactly like
the grid: a warm-up epoch each, then rounds, each round a pass over the recipes with the peers
interleaved (``bprop torch floor`` at A, then at B, then at C), a pause and ``gc.collect()`` before every
run, the foreign-load watch, medians. Only the epoch is inside the timer; building the model
(and PyTorch's optimizer) is outside it.

- ``bprop``: ``bprop.Network(sizes, hidden=, output=, cost=, dropout=, seed=, dtype="float32")``
  then ``net.fit(x, y, epochs=1, batch_size=B, eta=eta, optimizer=name, verbose=False)``.
- ``bprop-numba`` (Adam recipes, when numba is installed: ``pip install "bprop[fast]"``): the same
  with ``optimizer=bprop.Adam(eta, kernel="numba")``, Adam's step in one compiled pass; the same
  weights bit for bit. Its targets are reported on rows of their own; ``bprop`` stays the default
  install's figure.
- ``torch``: ``nn.Sequential`` of ``Linear`` + activation (+ ``Dropout(0.5)``), the same cost
  (``CrossEntropyLoss``, mean; for C half the summed squared error over the batch size, the
  gradient bprop's quadratic cost defines), ``optim.Adam`` / ``optim.SGD(momentum=0.9)`` /
  ``optim.SGD``; data pre-loaded as tensors (C's one-hot targets too), batches gathered by index
  from ``torch.randperm``; ``zero_grad``/``backward``/``step`` per batch. Initializations differ
  (PyTorch's defaults); the work per epoch does not depend on them.

The FLOP lower bound of a recipe is its exact matmul FLOPs (``flops.matmul_flops_per_sample``:
forward, BP4 weight gradients, BP2 input gradients of every layer but the first) over the
epoch's samples, divided by the peak NumPy float32 2048^2 matmul rate (``flops.peak_numpy_gflops``).

Standalone (the same stage as ``run_all.py``'s, without the rest)::

    flock /tmp/bprop-heavy.lock python bench/recipes.py --data-dir /work/shared/data/mnist
    python bench/recipes.py --data-dir DIR --quick --json /tmp/recipes.json

It takes no lock itself. NumPy and PyTorch are imported only after the thread count is pinned.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import asdict, dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
N_EPOCH = 10_000  # every recipe's epoch: the first 10,000 training images
QUICK_N = 2_000  # --quick: timed on this many and scaled to N_EPOCH (extrapolated)
PEER_NAMES = ("bprop", "torch")


@dataclass(frozen=True)
class Recipe:
    """One training setting, as both peers run it."""

    key: str
    title: str
    sizes: tuple
    hidden: str  # "relu" or "sigmoid"
    output: str  # "softmax" or "sigmoid"
    cost: str  # bprop's cost name: "log_likelihood" or "quadratic"
    optimizer: str  # bprop's optimizer name: "adam", "momentum" or "sgd"
    eta: float
    batch_size: int
    dropout: float = 0.0  # p of a Dropout after each hidden layer (0: none)
    mu: float = 0.0  # momentum coefficient (bprop's "momentum" default, 0.9, for B)


RECIPES = {
    "A": Recipe("A", "784-800-800-10 ReLU, dropout 0.5, softmax + log-likelihood, Adam", (784, 800, 800, 10),
                "relu", "softmax", "log_likelihood", "adam", 1e-3, 128, dropout=0.5),
    "B": Recipe("B", "784-100-10 ReLU, softmax + log-likelihood, momentum 0.9", (784, 100, 10),
                "relu", "softmax", "log_likelihood", "momentum", 0.01, 32, mu=0.9),
    "C": Recipe("C", "784-30-10 sigmoid, sigmoid output, quadratic cost, plain SGD", (784, 30, 10),
                "sigmoid", "sigmoid", "quadratic", "sgd", 3.0, 10),
}


def describe(recipe, peer):
    """What runs for ``peer`` ("bprop", "torch" or "floor") in ``recipe``, as one line for the report."""
    sizes = list(recipe.sizes)
    if peer == "floor":
        n_layers = len(sizes) - 1
        update = {"adam": "(1, 0) into gradient buffers", "momentum": f"(-eta, {recipe.mu:g}) into the velocities",
                  "sgd": "(-eta, 1) into the weights"}[recipe.optimizer]
        return (f"the gather, then {n_layers} forward, {n_layers - 1} BP2 and {n_layers} BP4 sgemm calls per batch "
                f"(BP4 with alpha, beta = {update}); nothing else")
    if peer.startswith("bprop"):
        dropout = f", dropout={recipe.dropout:g}" if recipe.dropout else ""
        optimizer = (f'"{recipe.optimizer}"' if peer == "bprop"
                     else f'bprop.Adam({recipe.eta:g}, kernel="{peer.removeprefix("bprop-")}")')
        return (f'bprop.Network({sizes}, hidden="{recipe.hidden}", output="{recipe.output}", '
                f'cost="{recipe.cost}"{dropout}, dtype="float32").fit(x, y, epochs=1, '
                f'batch_size={recipe.batch_size}, eta={recipe.eta:g}, optimizer={optimizer}, '
                "verbose=False)")
    act = {"relu": "ReLU", "sigmoid": "Sigmoid"}[recipe.hidden]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(f"Linear({n_in},{n_out})")
        if i < len(sizes) - 2:
            layers.append(act)
            if recipe.dropout:
                layers.append(f"Dropout({recipe.dropout:g})")
    if recipe.output == "sigmoid":
        layers.append("Sigmoid")
    loss = ("CrossEntropyLoss() (mean)" if recipe.cost == "log_likelihood"
            else "MSELoss(reduction='sum')(a, one_hot) * 0.5 / m (bprop's quadratic: (1/m) Σ ½||a - y||²)")
    optimizer = {"adam": f"optim.Adam(lr={recipe.eta:g})",
                 "momentum": f"optim.SGD(lr={recipe.eta:g}, momentum={recipe.mu:g})",
                 "sgd": f"optim.SGD(lr={recipe.eta:g})"}[recipe.optimizer]
    return (f"nn.Sequential({', '.join(layers)}), {loss}, {optimizer}; tensors pre-loaded, batches of "
            f"{recipe.batch_size} gathered from torch.randperm; zero_grad/backward/step per batch")


class BpropRecipe:
    """bprop on one recipe, behind ``peers.Peer``'s interface (``name``, ``available``, ``epoch``).

    ``adam_kernel="numba"`` (the peer "bprop-numba", Adam recipes only) trains with
    ``bprop.Adam(eta, kernel="numba")``, the step in one compiled pass (the ``fast`` extra):
    the same weights, bit for bit, so it is bprop timed another way in the same rounds."""

    def __init__(self, recipe, adam_kernel="numpy"):
        self.recipe, self.adam_kernel = recipe, adam_kernel
        self.name = "bprop" if adam_kernel == "numpy" else f"bprop-{adam_kernel}"
        self.available, self.reason = True, ""
        try:
            import bprop

            self.Network = bprop.Network
            self.optimizer = (lambda: bprop.Adam(recipe.eta, kernel=adam_kernel)) if adam_kernel != "numpy" else None
            if adam_kernel != "numpy":
                self.optimizer()  # ImportError without numba: the peer reports itself unavailable
        except Exception as exc:  # noqa: BLE001 (the core may be mid-redesign; numba may be missing)
            self.available, self.reason = False, f"{type(exc).__name__}: {exc}"

    def prepare(self, x, y):
        self.x, self.y = x, y

    def make(self, seed):
        r = self.recipe
        return self.Network(list(r.sizes), hidden=r.hidden, output=r.output, cost=r.cost,
                            dropout=r.dropout or None, seed=seed, dtype="float32")

    def epoch(self, batch_size, n, seed):
        r = self.recipe
        net = self.make(seed)
        x, y = self.x[:n], self.y[:n]
        optimizer = r.optimizer if self.optimizer is None else self.optimizer()
        t0 = time.perf_counter()
        net.fit(x, y, epochs=1, batch_size=batch_size, eta=r.eta, optimizer=optimizer, verbose=False)
        return time.perf_counter() - t0


class TorchRecipe:
    """PyTorch eager on one recipe, behind ``peers.Peer``'s interface."""

    name = "torch"

    def __init__(self, recipe):
        self.recipe = recipe
        self.available, self.reason = True, ""
        try:
            import torch

            self.torch = torch
        except Exception as exc:  # noqa: BLE001
            self.available, self.reason = False, f"{type(exc).__name__}: {exc}"

    def prepare(self, x, y):
        torch = self.torch
        self.tx = torch.from_numpy(x)  # shares memory: float32 (n, 784)
        self.ty = torch.from_numpy(y)  # int64 (n,)
        n_out = self.recipe.sizes[-1]
        # the quadratic cost's targets, one-hot float32, built once outside every timer
        self.t_one_hot = torch.nn.functional.one_hot(self.ty, n_out).to(torch.float32)

    def make(self, seed):
        nn, r = self.torch.nn, self.recipe
        self.torch.manual_seed(seed)
        act = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}[r.hidden]
        modules = []
        for i, (n_in, n_out) in enumerate(zip(r.sizes[:-1], r.sizes[1:])):
            modules.append(nn.Linear(n_in, n_out))
            if i < len(r.sizes) - 2:
                modules.append(act())
                if r.dropout:
                    modules.append(nn.Dropout(r.dropout))
        if r.output == "sigmoid":
            modules.append(nn.Sigmoid())
        model = nn.Sequential(*modules)
        model.train()  # dropout active
        return model

    def _optimizer(self, model):
        optim, r = self.torch.optim, self.recipe
        if r.optimizer == "adam":
            return optim.Adam(model.parameters(), lr=r.eta)
        if r.optimizer == "momentum":
            # PyTorch's v = mu v + g, w -= lr v is bprop's v = mu v - eta g, w += v at a constant rate
            return optim.SGD(model.parameters(), lr=r.eta, momentum=r.mu)
        return optim.SGD(model.parameters(), lr=r.eta)

    def epoch(self, batch_size, n, seed):
        torch, r = self.torch, self.recipe
        model = self.make(seed)
        optimizer = self._optimizer(model)
        x = self.tx[:n]
        if r.cost == "log_likelihood":
            loss_fn, targets = torch.nn.CrossEntropyLoss(), self.ty[:n]
        else:  # bprop's quadratic cost: C = (1/m) Σ_x ½ ||a - y||², so dC/da = (a - y) / m
            sum_squares, targets = torch.nn.MSELoss(reduction="sum"), self.t_one_hot[:n]

            def loss_fn(a, t):
                return sum_squares(a, t) * (0.5 / a.shape[0])
        from peers import torch_epoch  # the grid's loop (numpy is imported by now, threads pinned)

        return torch_epoch(torch, model, loss_fn, optimizer, x, targets, batch_size)


class FloorRecipe:
    """The BLAS calls alone of one recipe (``peers.BlasFloorPeer`` at the recipe's sizes and
    update), behind ``peers.Peer``'s interface: a lower reference for bprop in the same
    rounds, not a competitor. BP4 writes with bprop's (alpha, beta): stored gradients for
    Adam, the fused momentum step into the velocities for B, the fused SGD step for C. So no
    code calling this BLAS at these shapes runs the recipe faster, and torch / floor is the
    most any such code can beat PyTorch by (``report.speedup_ceiling``).
    """

    name = "floor"

    def __init__(self, recipe):
        from peers import BlasFloorPeer

        self.recipe = recipe
        self.floor = BlasFloorPeer(sizes=recipe.sizes, store_gradients=recipe.optimizer == "adam",
                                   momentum=recipe.mu if recipe.optimizer == "momentum" else None)
        self.available, self.reason = self.floor.available, getattr(self.floor, "reason", "")

    def prepare(self, x, y):
        self.floor.prepare(x, y)

    def epoch(self, batch_size, n, seed):
        return self.floor.epoch(batch_size, n, seed)


def bound_seconds(recipe, n, peak_gflops):
    """Matmul FLOPs of one epoch of n samples (forward, BP4, BP2 for layers >= 2) at the peak rate."""
    import flops

    per_sample = flops.matmul_flops_per_sample(recipe.sizes)
    total = sum(per_sample.values()) * n
    return {"matmul_per_sample": per_sample, "matmul_total": total, "peak_gflops": peak_gflops,
            "bound_s": total / (peak_gflops * 1e9)}


def measure(x, y, peak, rounds, n_epoch=N_EPOCH, n=N_EPOCH, keys=tuple(RECIPES), warmup_n=2000, pause=0.2,
            max_foreign=0.25, retries=2, quiet_wait=20.0, log=print):
    """Time the recipes; returns the JSON-able ``recipes`` section of the results.

    Args:
        x, y: float32 images (N, 784) and int64 labels (N,), N >= n_epoch.
        peak: ``flops.peak_numpy_gflops``'s dict (with ``foreign_cores`` when watched).
        rounds: interleaved rounds; each is a pass over the recipes with the peers in turn.
        n: samples actually timed (< n_epoch: scaled to n_epoch and marked extrapolated).
    """
    import timing

    x, y = x[:n_epoch], y[:n_epoch]
    out = {"n_epoch": n_epoch, "n": n, "rounds": rounds, "round_order": "each round over every recipe",
           "peak_numpy_gflops": peak["gflops"], "peak_foreign_cores": peak.get("foreign_cores"),
           "recipes": {}}
    runners = {}
    for key in keys:
        recipe = RECIPES[key]
        entry = {"spec": asdict(recipe), "title": recipe.title, "batch_size": recipe.batch_size,
                 "peers": {}, **bound_seconds(recipe, n_epoch, peak["gflops"])}
        available = []
        variants = [lambda r: BpropRecipe(r, adam_kernel="numba")] if recipe.optimizer == "adam" else []
        for cls in (BpropRecipe, *variants, TorchRecipe, FloorRecipe):
            peer = cls(recipe)
            entry["peers"][peer.name] = {"available": peer.available, "reason": peer.reason,
                                         "description": describe(recipe, peer.name)}
            if peer.available:
                peer.prepare(x, y)
                available.append(peer)
        log(f"recipe {key} ({recipe.title}, batch {recipe.batch_size}): warm-up on {min(warmup_n, n):,} samples")
        entry["timing"] = timing.warm_up(available, recipe.batch_size, lambda peer, b: n, warmup_n, seed0=0,
                                         log=log, max_epoch_s=None)
        runners[key] = available
        out["recipes"][key] = entry
    for r in range(rounds):
        log(f"recipes round {r + 1}/{rounds}")
        for key in keys:
            entry = out["recipes"][key]
            timing.run_round(runners[key], RECIPES[key].batch_size, entry["timing"], r, rounds, pause, seed0=0,
                             max_foreign=max_foreign, retries=retries, log=log, quiet_wait=quiet_wait)
    for entry in out["recipes"].values():
        summarize(entry, n_epoch)
    return out


def summarize(entry, n_epoch=N_EPOCH):
    """Medians (scaled to n_epoch), bprop's speedup over torch and its multiple of the FLOP bound."""
    import report

    cells = entry["timing"]
    for cell in cells.values():
        report.summarize_cell(cell, n_epoch=n_epoch)
    entry["speedup"] = report.speedups(cells).get("torch")
    bprop_s = (cells.get("bprop") or {}).get("epoch_s")
    entry["bprop_s"] = bprop_s
    entry["torch_s"] = (cells.get("torch") or {}).get("epoch_s")
    entry["bprop_multiple_of_bound"] = None if bprop_s is None else bprop_s / entry["bound_s"]
    torch_s = entry["torch_s"]
    entry["torch_multiple_of_bound"] = None if torch_s is None else torch_s / entry["bound_s"]
    floor_s = (cells.get("floor") or {}).get("epoch_s")
    entry["floor_s"] = floor_s
    entry["floor_multiple_of_bound"] = None if floor_s is None else floor_s / entry["bound_s"]
    entry["bprop_over_floor"] = None if floor_s is None or bprop_s is None else bprop_s / floor_s
    entry["torch_over_floor"] = None if floor_s is None or torch_s is None else torch_s / floor_s
    entry["variants"] = {}
    for name, cell in cells.items():  # bprop run another way (report.BPROP_VARIANTS): the same figures
        if name.startswith("bprop-") and cell.get("epoch_s") is not None:
            mine_s = cell["epoch_s"]
            entry["variants"][name] = {
                "bprop_s": mine_s, "speedup": report.speedups(cells, name).get("torch"),
                "over_bprop": mine_s / bprop_s if bprop_s else None,
                "bprop_multiple_of_bound": mine_s / entry["bound_s"],
                "bprop_over_floor": None if floor_s is None else mine_s / floor_s}
    return entry


def summary_lines(section):
    """One line per recipe: bprop s, torch s, speedup, the BLAS floor, bprop / FLOP bound."""
    lines = []
    for key, entry in section["recipes"].items():
        up = entry.get("speedup") or {}
        ratio, multiple = up.get("ratio_of_medians"), entry.get("bprop_multiple_of_bound")
        lines.append(
            f"recipe {key}: bprop {_s(entry.get('bprop_s'))} s, torch {_s(entry.get('torch_s'))} s, "
            f"speedup {_x(ratio)}; floor {_s(entry.get('floor_s'))} s (bprop {_x(entry.get('bprop_over_floor'))}, "
            f"torch {_x(entry.get('torch_over_floor'))} the floor); FLOP bound {1e3 * entry['bound_s']:.1f} ms, "
            f"bprop {_x(multiple)} the bound")
        for name, variant in (entry.get("variants") or {}).items():
            lines.append(
                f"recipe {key} {name}: {_s(variant['bprop_s'])} s ({_x(variant['over_bprop'])} bprop's), speedup "
                f"{_x((variant.get('speedup') or {}).get('ratio_of_medians'))}; {_x(variant['bprop_over_floor'])} the "
                f"floor, {_x(variant['bprop_multiple_of_bound'])} the bound")
    return lines


def _s(value):
    return "—" if value is None else f"{value:.3f}"


def _x(value):
    return "—" if value is None else f"{value:.2f}x"


def parse_args(argv=None):
    import timing  # (no NumPy: the thread count is not fixed yet)

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.environ.get("BPROP_MNIST_DIR"),
                   help="folder with the gzipped MNIST IDX files (default: $BPROP_MNIST_DIR)")
    p.add_argument("--threads", type=int, default=2, help="threads for every library (default %(default)s)")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 7, 3 with --quick)")
    p.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated subset of %(default)s")
    p.add_argument("--quick", action="store_true",
                   help=f"time {QUICK_N:,} samples and scale to {N_EPOCH:,} (extrapolated), fewer rounds")
    timing.add_round_options(p)
    p.add_argument("--json", default=None, help="write the results (machine, peak, recipes) here")
    args = p.parse_args(argv)
    if not args.data_dir:
        p.error("--data-dir is required (or set BPROP_MNIST_DIR)")
    args.recipes = [k for k in args.recipes.split(",") if k]
    unknown = sorted(set(args.recipes) - set(RECIPES))
    if unknown:
        p.error(f"unknown recipes {unknown}; valid: {list(RECIPES)}")
    if args.rounds is None:
        args.rounds = 3 if args.quick else 7
    if args.rounds < 1 or args.threads < 1:
        p.error("--rounds and --threads must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, HERE)
    import machine

    machine.use_this_tree()  # time this checkout's bprop, not an installed one

    machine.pin_threads_env(args.threads)  # before NumPy / torch load their thread pools
    import json

    import data
    import flops
    import timing

    try:
        import torch
    except Exception:  # noqa: BLE001 (the torch peer reports itself unavailable)
        torch = None
    machine.pin_threads_runtime(args.threads, torch)
    x, y, _, _, source = data.load(args.data_dir, n_train=N_EPOCH)
    with timing.LoadWatch() as watch:
        peak = flops.peak_numpy_gflops(repeats=3 if args.quick else 10)
    peak["foreign_cores"] = watch.foreign
    print(f"peak matmul: numpy {peak['gflops']:.1f} GFLOP/s (foreign load {watch.foreign})", flush=True)
    load_start = " ".join(f"{v:.2f}" for v in os.getloadavg())
    section = measure(x, y, peak, args.rounds, n=QUICK_N if args.quick else N_EPOCH, keys=args.recipes,
                      warmup_n=1000 if args.quick else 2000, pause=args.pause, max_foreign=args.max_foreign,
                      retries=args.retries, quiet_wait=args.quiet_wait, log=lambda m: print(m, flush=True))
    for line in summary_lines(section):
        print(line)
    load_end = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average: {load_start} at start, {load_end} at end")
    if args.json:
        results = {"meta": {"command": "python bench/recipes.py " + " ".join(sys.argv[1:] if argv is None else argv),
                            "args": vars(args), "machine": machine.describe(args.threads), "data_source": source,
                            "loadavg_start": load_start, "loadavg_end": load_end},
                   "flops": {"peak_numpy": peak}, "recipes": section}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1, default=str)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
