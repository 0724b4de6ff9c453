"""What the bookkeeping inside ``Network.fit`` costs: one MNIST epoch at batch 10, three ways.

The speed issue's target: the bookkeeping inside ``fit`` (the progress bar, the history,
the epoch's training cost and accuracy accumulated from the batches, the sampled
gradient norms) costs under 5% of an epoch at batch size 10, where the time that counts
is ``net.fit(...)`` itself, as a user calls it. Three variants of the same epoch
(784-100-10, ReLU / softmax / log-likelihood, float32, eta 0.1, plain SGD, a fresh
shuffle from the network's generator, the 50,000 training images):

``full``
    ``net.fit(x, y, epochs=1, batch_size=10, eta=0.1, verbose=True)`` with the progress
    bar really rendering. ``sys.stdout`` is, for the duration of the call, a text stream
    on the slave side of a real pseudo-terminal (``os.openpty``): ``isatty()`` is true
    because the kernel says so, nothing is forced, and bprop's ``ProgressBar`` builds its
    own ``rich.Console(file=sys.stdout)`` exactly as in a user's terminal (colours from
    ``$TERM``/``$COLORTERM``, width from the harness's terminal or 80 columns). A separate
    process reads the master side and throws the bytes away (as a terminal emulator would
    display them), counting them and the bar's redraws so the report can show that the bar
    rendered. Gradient-norm sampling at its default.
``quiet``
    ``net.fit(..., verbose=False)``: no progress bar; history, the running cost and
    accuracy and the sampled gradient norms still on. (This is what the main timing table
    calls "bprop".)
``bare``
    The same training work with no bookkeeping at all, mirroring
    ``Trainer._run_batches`` minus everything that is not training: ``net.prepare`` (part
    of ``fit``, so inside the timer), one ``net.rng.permutation(n)``, preallocated batch
    buffers, per batch ``np.take(..., out=, mode="clip")`` for the images and the one-hot
    targets and ``net.backprop_prepared(x_buffer[:m], t_buffer[:m], sinks.FusedSGD(eta), target_index=...)``
    (fit's fused plain-SGD step on one view of the buffers per batch size, with fit's
    once-per-call ``validation.are_one_hot`` check of the targets), then
    ``net.clear_caches()``. If that public API changes the measurement stops with a clear
    message instead of timing something else.

The variants run interleaved (full quiet bare full quiet bare ...), each on a fresh
network built outside the timer with the round's seed (the same seed for the three),
after one untimed warm-up epoch each, with the bench's usual 0.2 s pause + ``gc.collect()``
and foreign-load watch (``timing.run_batch_size``). Overhead = variant time / bare time
- 1 (ratio of the medians; the median of the per-round ratios is recorded too). Target:
the ``full`` overhead below 5%.

Standalone (takes no lock itself: wrap it in the heavy-job lock)::

    flock /tmp/bprop-heavy.lock python bench/bookkeeping.py --data-dir /work/shared/data/mnist

``run_all.py`` runs it as a section (``--skip-bookkeeping`` leaves it out).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH_SIZE = 10
TARGET = 0.05  # full / bare - 1 must stay below this
VARIANTS = ("full", "quiet", "bare")
DESCRIPTIONS = {
    "full": "net.fit(x, y, epochs=1, batch_size=10, eta=0.1, verbose=True), the rich progress bar rendering "
            "to a real pseudo-terminal (sys.stdout swapped for the pty's slave; the master drained by another "
            "process); default gradient-norm sampling",
    "quiet": "net.fit(x, y, epochs=1, batch_size=10, eta=0.1, verbose=False): history, running cost/accuracy "
             "and sampled gradient norms, no progress bar",
    "bare": "net.prepare, net.rng.permutation(n), per batch np.take(out=, mode='clip') of images and one-hot "
            "targets and net.backprop_prepared(x_buffer[:m], t_buffer[:m], sinks.FusedSGD(eta), target_index=...) "
            "(fit's fused plain-SGD step, one buffer view per batch size); no bookkeeping",
}

# The process on the master side of the pty: reads everything, counts bytes and redraws.
_DRAIN = r"""
import json, os, sys
sys.stdout.write("ready\n"); sys.stdout.flush()
word = b"batches"
total = renders = 0
carry = tail = b""
while True:
    try:
        chunk = os.read(0, 65536)
    except OSError:  # EIO: the slave side was closed
        break
    if not chunk:
        break
    total += len(chunk)
    buf = carry + chunk
    renders += buf.count(word)
    carry = buf[-(len(word) - 1):]
    tail = (tail + chunk)[-600:]
print(json.dumps({"bytes": total, "renders": renders, "ansi": tail.count(b"\x1b["),
                  "tail": tail.decode("utf-8", "replace")}))
"""


class TrainingAPIChanged(RuntimeError):
    """bprop's training API no longer looks as the ``bare`` variant expects."""


def check_training_api():
    """The ``bare`` variant calls ``Network.backprop_prepared(x, targets, sink, target_index=,
    row_weights=)`` with a ``sinks.FusedSGD(eta, decay)``, ``validation.are_one_hot``, and
    ``Network.prepare`` / ``rng`` / ``clear_caches``."""
    import bprop
    from bprop import validation

    problems = []
    try:
        from bprop.sinks import FusedSGD
    except ImportError:
        problems.append("bprop.sinks.FusedSGD is gone")
    else:
        params = list(inspect.signature(FusedSGD.__init__).parameters)
        if params != ["self", "eta", "decay"]:
            problems.append(f"FusedSGD{inspect.signature(FusedSGD.__init__)} is no longer (eta, decay)")
    method = getattr(bprop.Network, "backprop_prepared", None)
    expected = ["self", "x", "targets", "sink", "target_index", "row_weights"]
    if method is None:
        problems.append("bprop.Network.backprop_prepared is gone")
    elif list(inspect.signature(method).parameters) != expected:
        problems.append(f"Network.backprop_prepared{inspect.signature(method)} is no longer ({', '.join(expected[1:])})")
    if not callable(getattr(validation, "are_one_hot", None)):
        problems.append("bprop.validation.are_one_hot is gone")
    for name in ("prepare", "clear_caches"):
        if not callable(getattr(bprop.Network, name, None)):
            problems.append(f"bprop.Network.{name} is gone")
    if problems:
        raise TrainingAPIChanged("the 'bare' bookkeeping baseline mirrors Trainer._run_batches with bprop's "
                                "training API, which changed: " + "; ".join(problems)
                                + ". Update bench/bookkeeping.py (BareVariant) to match the new loop.")


class TerminalSink:
    """``sys.stdout`` replaced, while open, by a text stream on a real pseudo-terminal.

    The slave side is what the program writes to (``isatty()`` is true); a child process
    reads the master side, discards the bytes and, on close, reports how many it got.
    """

    def __init__(self):
        self.file = None
        self.proc = None
        self.saved = None
        self.stats = None

    def open(self):
        master, slave = os.openpty()
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", _DRAIN], stdin=master,
                                         stdout=subprocess.PIPE, close_fds=True)
        finally:
            os.close(master)
        if self.proc.stdout.readline().strip() != b"ready":
            os.close(slave)
            raise RuntimeError("the pty drain process did not start")
        # A terminal's sys.stdout: a line-buffered UTF-8 text stream on the tty.
        self.file = open(slave, "w", encoding="utf-8", errors="replace", buffering=1)
        return self

    def __enter__(self):
        self.saved = sys.stdout
        sys.stdout = self.file
        return self

    def __exit__(self, *exc):
        sys.stdout = self.saved
        return False

    def close(self):
        """Close the pty; returns {"bytes", "renders", "ansi", "tail"} from the drain."""
        try:
            self.file.flush()
        finally:
            self.file.close()
        out, _ = self.proc.communicate(timeout=30)
        try:
            self.stats = json.loads(out.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.stats = {"bytes": None, "renders": None, "ansi": None, "tail": out.decode(errors="replace")}
        return self.stats


def console_probe():
    """How rich sees a terminal here: what bprop's ProgressBar would get on a pty."""
    from rich.console import Console

    sink = TerminalSink().open()
    try:
        console = Console(file=sink.file)
        info = {"is_terminal": console.is_terminal, "is_dumb_terminal": console.is_dumb_terminal,
                "color_system": console.color_system, "width": console.width, "height": console.height,
                "TERM": os.environ.get("TERM"), "COLORTERM": os.environ.get("COLORTERM")}
    finally:
        sink.close()
    return info


class Variant:
    """One way of running the epoch; the interface of bench/peers.py (``epoch``)."""

    name = "variant"

    def __init__(self, x, y, eta=0.1):
        import bprop

        self.bprop = bprop
        self.x, self.y, self.eta = x, y, eta
        self.last_net = None
        self.runs_info = []

    def make(self, seed):
        return self.bprop.Network([784, 100, 10], hidden="relu", output="softmax", cost="log_likelihood",
                                  seed=seed, dtype="float32")

    def epoch(self, batch_size, n, seed):
        net = self.make(seed)
        x, y = self.x[:n], self.y[:n]
        seconds = self.train(net, x, y, batch_size)
        self.last_net = net
        return seconds

    def train(self, net, x, y, batch_size):
        raise NotImplementedError


class FullVariant(Variant):
    name = "full"

    def train(self, net, x, y, batch_size):
        sink = TerminalSink().open()
        try:
            with sink:
                t0 = time.perf_counter()
                net.fit(x, y, epochs=1, batch_size=batch_size, eta=self.eta, verbose=True)
                seconds = time.perf_counter() - t0
        finally:
            stats = sink.close()
        stats = dict(stats)
        stats["tail"] = stats.get("tail", "")[-200:]
        stats["n"] = len(x)
        stats["seconds"] = seconds
        self.runs_info.append(stats)
        # The bar appears once an epoch has run for ProgressBar.REDRAW_SECONDS; a run
        # well past that which drew nothing would time something other than the bar.
        delay = getattr(self.bprop.training.callbacks.ProgressBar, "REDRAW_SECONDS", 0.0)
        if not stats.get("renders") and seconds > 1.5 * delay:
            raise RuntimeError(f"the progress bar did not render to the pseudo-terminal in a {seconds:.2f} s "
                               f"epoch (it appears after {delay} s) ({stats})")
        return seconds


class QuietVariant(Variant):
    name = "quiet"

    def train(self, net, x, y, batch_size):
        t0 = time.perf_counter()
        net.fit(x, y, epochs=1, batch_size=batch_size, eta=self.eta, verbose=False)
        return time.perf_counter() - t0


class BareVariant(Variant):
    name = "bare"

    def __init__(self, x, y, eta=0.1):
        super().__init__(x, y, eta)
        check_training_api()
        from bprop.sinks import FusedSGD
        from bprop.validation import are_one_hot

        self.FusedSGD, self.are_one_hot = FusedSGD, are_one_hot

    def train(self, net, x, y, batch_size):
        import numpy as np

        take = np.take
        t0 = time.perf_counter()
        # What Trainer.fit / _run_batches do for one epoch of plain SGD, minus the bookkeeping.
        x, targets, labels = net.prepare(x, y)
        one_hot = self.are_one_hot(targets, labels)  # fit's check, which lets BP1 read the labels
        n = x.shape[0]
        batch_size = min(batch_size, n)
        n_batches = -(-n // batch_size)
        x_buffer = np.empty((batch_size, x.shape[1]), dtype=x.dtype)
        t_buffer = np.empty((batch_size, targets.shape[1]), dtype=targets.dtype)
        sgd = self.FusedSGD(self.eta, 1.0)
        order = net.rng.permutation(n)
        # fit's flat index of each row's 1 in its batch (softmax + log-likelihood, one-hot targets)
        target_index = labels[order] + (np.arange(n) % batch_size) * net.n_outputs if one_hot else None
        views = {}  # batch rows -> one view of the buffers' first rows, as in _run_batches
        backprop = net.backprop_prepared
        for batch in range(n_batches):
            index = order[batch * batch_size : (batch + 1) * batch_size]
            m = index.shape[0]
            if m not in views:
                views[m] = (x_buffer[:m], t_buffer[:m])
            xb, tb = views[m]
            take(x, index, axis=0, out=xb, mode="clip")
            if target_index is None:
                take(targets, index, axis=0, out=tb, mode="clip")
            backprop(xb, tb, sgd,
                     target_index=None if target_index is None else target_index[batch * batch_size : batch * batch_size + m])
        net.clear_caches()
        return time.perf_counter() - t0


def _max_weight_difference(net_a, net_b):
    import numpy as np

    return max(float(np.max(np.abs(np.asarray(wa, dtype=np.float64) - np.asarray(wb, dtype=np.float64))))
               for wa, wb in zip(list(net_a.weights) + list(net_a.biases), list(net_b.weights) + list(net_b.biases)))


def check_same_training(variants, batch_size, n, seed):
    """Train each variant once on n samples from the same seed; the largest weight difference
    from ``quiet`` (full should match it exactly; bare exactly at small batches, where the
    batches fit samples gradient norms on stay on the fused path, and up to rounding where
    they take the stored-gradient path)."""
    nets = {}
    for variant in variants.values():
        variant.epoch(batch_size, n, seed)
        nets[variant.name] = variant.last_net
    out = {"n": n, "seed": seed}
    for name in ("full", "bare"):
        if name in nets and "quiet" in nets:
            out[f"{name}_vs_quiet_max_abs_weight_diff"] = _max_weight_difference(nets[name], nets["quiet"])
    for variant in variants.values():
        variant.last_net = None
    return out


def measure(x, y, *, rounds=15, n=None, batch_size=BATCH_SIZE, eta=0.1, warmup_n=2000, pause=0.2,
            max_foreign=0.25, retries=2, quiet_wait=20.0, log=print, seed0=0):
    """The whole measurement; returns a JSON-able dict (see ``summarize`` for the derived part)."""
    import report
    import timing

    n_epoch = len(x)
    n = n_epoch if n is None else min(n, n_epoch)
    result = {"batch_size": batch_size, "eta": eta, "n": n, "n_epoch": n_epoch, "rounds": rounds,
              "target": TARGET, "descriptions": DESCRIPTIONS, "error": None}
    try:
        variants = {cls.name: cls(x, y, eta) for cls in (FullVariant, QuietVariant, BareVariant)}
        result["console"] = console_probe()
        c = result["console"]
        log(f"  the progress bar renders to a pty: rich sees is_terminal={c['is_terminal']}, "
            f"color_system={c['color_system']}, {c['width']}x{c['height']}, TERM={c['TERM']}")
        result["same_training"] = check_same_training(variants, batch_size, min(warmup_n, n), seed0)
    except Exception as exc:  # noqa: BLE001 (report it; the rest of the bench goes on)
        result["error"] = f"{type(exc).__name__}: {exc}"
        log(f"  bookkeeping: {result['error']}")
        return result
    variants["full"].runs_info.clear()
    order = [variants[name] for name in VARIANTS]
    cells = timing.run_batch_size(order, batch_size, lambda peer, b: n, rounds, warmup_n, pause,
                                  seed0=seed0, max_foreign=max_foreign, retries=retries, log=log,
                                  quiet_wait=quiet_wait, max_epoch_s=None)
    for cell in cells.values():
        report.summarize_cell(cell, n_epoch=n_epoch)
    result["variants"] = cells
    # the pty's byte counts of the timed full runs (the warm-up and any discarded runs first)
    info = variants["full"].runs_info
    result["terminal_output"] = info
    summarize(result)
    return result


def _ratios(cell, base):
    return [run["seconds"] / run_b["seconds"] for run, run_b in zip(cell["runs"], base["runs"])]


def summarize(result):
    """Add overheads (vs bare, and the progress bar alone: full vs quiet) and the verdict."""
    cells = result.get("variants") or {}
    bare = cells.get("bare")
    overheads = {}
    errors = [f"{name}: {cell['error']}" for name, cell in cells.items() if cell.get("error")]
    if errors and not result.get("error"):
        result["error"] = "; ".join(errors)
    n_batches = -(-result["n"] // result["batch_size"])
    for name, base_name in (("full", "bare"), ("quiet", "bare"), ("full", "quiet")):
        cell, base = cells.get(name), cells.get(base_name)
        if not cell or not base or cell.get("median_s") is None or base.get("median_s") is None:
            continue
        ratios = _ratios(cell, base)
        overheads[f"{name}_vs_{base_name}"] = {
            "overhead": cell["median_s"] / base["median_s"] - 1,
            "median_of_round_overheads": statistics.median(ratios) - 1 if ratios else None,
            "round_overheads": [r - 1 for r in ratios],
            "per_batch_us": (cell["median_s"] - base["median_s"]) / n_batches * 1e6,
            # the machine's noise only ever slows a run down: the fastest rounds, for reference
            "overhead_of_minima": cell["min_s"] / base["min_s"] - 1,
        }
    result["overheads"] = overheads
    full = overheads.get("full_vs_bare")
    result["value"] = full["overhead"] if full else None
    result["pass"] = None if result["value"] is None else result["value"] < result["target"]
    result["extrapolated"] = bool(bare and bare.get("extrapolated"))
    info = [r for r in result.get("terminal_output", []) if r.get("n") == result["n"]]
    if info:
        result["terminal_summary"] = {
            "bytes_per_epoch_median": statistics.median(r["bytes"] for r in info if r.get("bytes") is not None),
            "redraws_per_epoch_median": statistics.median(r["renders"] for r in info if r.get("renders") is not None),
            "runs": len(info),
        }
    return result


# --------------------------------------------------------------------------- #
# standalone                                                                   #
# --------------------------------------------------------------------------- #


def parse_args(argv=None):
    import timing  # (no NumPy: the thread count is not fixed yet)

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=os.environ.get("BPROP_MNIST_DIR"),
                   help="folder with the gzipped MNIST IDX files (default: $BPROP_MNIST_DIR)")
    p.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default %(default)s, at least 5)")
    p.add_argument("--samples", type=int, default=None,
                   help="time on the first N images and scale to 50,000 (extrapolated; a smoke test)")
    p.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads (default %(default)s)")
    p.add_argument("--eta", type=float, default=0.1)
    timing.add_round_options(p)
    p.add_argument("--json", default=None, help="write the result here (default: print a summary only)")
    args = p.parse_args(argv)
    if not args.data_dir:
        p.error("--data-dir is required (or set BPROP_MNIST_DIR)")
    if args.rounds < 5:
        p.error("--rounds must be at least 5")
    return args


def summary_lines(result):
    """A few plain-text lines for logs."""
    if result.get("error") and not result.get("overheads"):
        return [f"bookkeeping: not measured ({result['error']})"]
    cells, over = result["variants"], result["overheads"]
    lines = ["bookkeeping at batch %d (%s rounds, medians, s per 50,000-image epoch%s):" % (
        result["batch_size"], result["rounds"], ", extrapolated" if result["extrapolated"] else "")]
    lines.append("  " + "  ".join(f"{name} {cells[name]['epoch_s']:.3f}" for name in VARIANTS
                                  if cells.get(name, {}).get("epoch_s") is not None))
    for key, label in (("full_vs_bare", "full/bare - 1"), ("quiet_vs_bare", "quiet/bare - 1"),
                       ("full_vs_quiet", "full/quiet - 1 (the progress bar alone)")):
        o = over.get(key)
        if o:
            lines.append(f"  {label}: {100 * o['overhead']:+.1f}% (median of rounds "
                         f"{100 * o['median_of_round_overheads']:+.1f}%, of the fastest rounds "
                         f"{100 * o['overhead_of_minima']:+.1f}%; {o['per_batch_us']:+.1f} us per batch)")
    if result["pass"] is not None:
        lines.append(f"  target full/bare - 1 < {100 * result['target']:.0f}%: {'PASS' if result['pass'] else 'MISS'}")
    return lines


def main(argv=None):
    args = parse_args(argv)
    if args.json:  # before the measurement, so a bad path does not waste it
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    sys.path.insert(0, HERE)
    import machine

    machine.use_this_tree()  # time this checkout's bprop, not an installed one

    machine.pin_threads_env(args.threads)  # before NumPy loads its BLAS
    import data

    machine.pin_threads_runtime(args.threads)
    x, y, _, _, source = data.load(args.data_dir)
    print(f"MNIST: {x.shape} via {source}", flush=True)
    result = measure(x, y, rounds=args.rounds, n=args.samples, eta=args.eta, pause=args.pause,
                     max_foreign=args.max_foreign, retries=args.retries, quiet_wait=args.quiet_wait,
                     log=lambda m: print(m, flush=True))
    for line in summary_lines(result):
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1, default=str)
        print(f"wrote {args.json}")
    return 0 if not result.get("error") else 1


if __name__ == "__main__":
    sys.exit(main())
