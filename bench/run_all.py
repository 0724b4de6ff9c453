"""Run the whole bprop benchmark and write bench/RESULTS.md and bench/RESULTS.json.

Usage::

    python bench/run_all.py --data-dir /work/shared/data/mnist            # the full run
    python bench/run_all.py --data-dir /work/shared/data/mnist --quick    # a smoke run (~2 min)

Stages: machine description; MNIST; peak matmul rate; the timing of one epoch for every
(peer, batch size), interleaved; the exact FLOP count and the FLOP lower bound; recipes A-C
against PyTorch (recipes.py); the cost of the bookkeeping inside ``fit`` at batch 10
(bookkeeping.py); peak RSS in subprocesses; the learning check (test accuracy after a few
epochs); plain SGD against a base tree (ab.py, ``--ab-base``). The report is
rewritten after every stage, so an interrupted run still leaves what it measured.

The thread count is fixed *before* NumPy or PyTorch is imported, hence the late imports.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# "floor" is timed in the same rounds as a lower reference for bprop, not as a peer to beat
# (report.REFERENCE_PEERS): no speedup or target, no peak RSS, not a learner.
ALL_PEERS = ("bprop", "torch", "sklearn", "textbook", "floor")
DESCRIPTIONS = {
    "bprop": 'bprop.Network([784, 100, 10], hidden="relu", output="softmax", cost="log_likelihood", '
             'dtype="float32").fit(x, y, epochs=1, batch_size=B, eta=eta)',
    "torch": "nn.Sequential(Linear(784,100), ReLU, Linear(100,10)), CrossEntropyLoss (mean), "
             "optim.SGD(lr=eta); tensors pre-loaded, batches gathered from torch.randperm; "
             "zero_grad/backward/step per batch",
    "sklearn": "MLPClassifier((100,), relu, solver=sgd, momentum=0, nesterovs_momentum=False, "
               "learning_rate_init=eta, batch_size=B, max_iter=1, alpha=0, shuffle=True).fit, "
               "ConvergenceWarning suppressed",
    "textbook": "bprop.textbook.TextbookNetwork.sgd_epoch: per-sample BP1-BP4 with column vectors, "
                "He-normal init",
    "floor": "a lower reference for bprop, not a competitor: the shuffle, then per batch np.take(out=) "
             "of the images and bprop's five sgemm calls (forward z1 = x w1^T, z2 = z1 w2^T; BP2 z2 w2; "
             "the fused updates w2 -= eta z2^T z1, w1 -= eta g1^T x) through SciPy's BLAS with bprop's "
             "layouts and flags; no bias, activation, softmax or bookkeeping",
}


def parse_args(argv=None):
    import timing  # (no NumPy: the thread count is not fixed yet)

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=os.environ.get("BPROP_MNIST_DIR"),
                   help="folder with the four gzipped MNIST IDX files (default: $BPROP_MNIST_DIR)")
    p.add_argument("--batch-sizes", default="1,10,32,128,512", help="comma-separated (default %(default)s)")
    p.add_argument("--peers", default=",".join(ALL_PEERS), help="comma-separated subset of %(default)s")
    p.add_argument("--threads", type=int, default=2, help="threads for every library (default %(default)s)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed rounds per batch size (default 5, 3 with --quick: single epochs on this VM "
                        "vary by up to 1.6x, see bench/README.md)")
    p.add_argument("--samples", type=int, default=None,
                   help="time the per-sample loop on its first N samples and scale to 50,000 (extrapolated)")
    p.add_argument("--sklearn-samples", type=int, default=None,
                   help="time scikit-learn at batch size 1 on N samples and scale (extrapolated)")
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--warmup-samples", type=int, default=2000)
    timing.add_round_options(p, retries=None,
                             retries_help="repeats allowed per run for foreign load (default 2, 0 with --quick)")
    p.add_argument("--max-epoch-seconds", type=float, default=60.0,
                   help="if the warm-up predicts a longer epoch, time a subset and scale it "
                        "(extrapolated); 0 disables (default %(default)s)")
    p.add_argument("--rss-batch", type=int, default=128, help="batch size of the peak-RSS epoch")
    p.add_argument("--learning-epochs", type=int, default=5)
    p.add_argument("--skip-rss", action="store_true")
    p.add_argument("--skip-learning", action="store_true")
    p.add_argument("--skip-bookkeeping", action="store_true",
                   help="leave out the bookkeeping section (fit with/without progress bar vs bare training)")
    p.add_argument("--bookkeeping-rounds", type=int, default=None,
                   help="interleaved rounds of the bookkeeping section (default 15, 5 with --quick)")
    p.add_argument("--skip-recipes", action="store_true",
                   help="leave out recipes A-C (784-800-800-10 dropout Adam, momentum, the seeds' sigmoid "
                        "network) against PyTorch")
    p.add_argument("--recipe-rounds", type=int, default=None,
                   help="interleaved rounds of the recipes (default 7, 3 with --quick)")
    p.add_argument("--ab-base", default="c0bf1a7",
                   help="plain SGD of this checkout against a base tree (bench/ab.py): a folder holding "
                        "src/bprop (e.g. a git worktree) or a commit of this repository, whose src/ is "
                        "exported with git archive (default %(default)s)")
    p.add_argument("--skip-ab", action="store_true", help="leave out the A/B against --ab-base")
    p.add_argument("--ab-rounds", type=int, default=None, help="rounds of the A/B (default 3, 1 with --quick)")
    p.add_argument("--ab-batch-sizes", default=None,
                   help="batch sizes of the A/B, comma-separated (default: --batch-sizes)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: every peer on 5,000 samples (extrapolated), a 1-epoch learning check on "
                        "10,000 samples; writes RESULTS-quick.md/.json unless --out is given")
    p.add_argument("--lock", default="/tmp/bprop-heavy.lock",
                   help="hold this flock while running, so heavy jobs that take the same lock do not "
                        "overlap with the timing; '' disables (default %(default)s)")
    p.add_argument("--out", default=None, help="Markdown report path (default bench/RESULTS.md)")
    args = p.parse_args(argv)
    if not args.data_dir:
        p.error("--data-dir is required (or set BPROP_MNIST_DIR)")
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b]
    args.peers = [name for name in args.peers.split(",") if name]
    unknown = sorted(set(args.peers) - set(ALL_PEERS))
    if unknown:
        p.error(f"unknown peers {unknown}; valid: {list(ALL_PEERS)}")
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    if args.repeats < 1 or args.threads < 1:
        p.error("--repeats and --threads must be >= 1")
    if args.bookkeeping_rounds is None:
        args.bookkeeping_rounds = 5 if args.quick else 15
    if args.bookkeeping_rounds < 5:
        p.error("--bookkeeping-rounds must be >= 5")
    if args.retries is None:
        args.retries = 0 if args.quick else 2
    if args.recipe_rounds is None:
        args.recipe_rounds = 3 if args.quick else 7
    if args.ab_rounds is None:
        args.ab_rounds = 1 if args.quick else 3
    if args.recipe_rounds < 1 or args.ab_rounds < 1:
        p.error("--recipe-rounds and --ab-rounds must be >= 1")
    args.ab_batch_sizes = ([int(b) for b in args.ab_batch_sizes.split(",") if b] if args.ab_batch_sizes
                           else list(args.batch_sizes))
    if args.out is None:
        args.out = os.path.join(HERE, "RESULTS-quick.md" if args.quick else "RESULTS.md")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    try:
        os.makedirs(out_dir, exist_ok=True)  # before any timing, not after the first stage
    except OSError as error:
        p.error(f"--out {args.out}: cannot create the folder {out_dir} ({error.strerror})")
    return args


def log(message):
    print(message, flush=True)


def loadavg():
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def take_lock(path):
    """Block until the exclusive flock on ``path`` is ours; returns the open file (keep it)."""
    import fcntl

    handle = open(path, "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log(f"waiting for {path} (another heavy job holds it) ...")
        fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def main(argv=None):
    args = parse_args(argv)
    lock = take_lock(args.lock) if args.lock else None  # noqa: F841 (held until exit)

    sys.path.insert(0, HERE)
    import machine

    machine.use_this_tree()  # time this checkout's bprop, not an installed one

    machine.pin_threads_env(args.threads)  # before NumPy / torch load their thread pools

    import ab
    import bookkeeping
    import data
    import flops
    import learning
    import memory
    import peers as peers_mod
    import recipes
    import report
    import timing

    json_path = os.path.splitext(args.out)[0] + ".json"
    command = "python bench/run_all.py " + " ".join(sys.argv[1:] if argv is None else argv)
    results = {
        "meta": {"command": command.strip(), "args": vars(args), "json_name": os.path.basename(json_path),
                 "loadavg_start": loadavg()},
        "peers": {}, "timing": {}, "speedups": {}, "targets": [],
    }

    def save():
        report.save(results, json_path, args.out)

    # ---- peers and threads ------------------------------------------------ #
    log(f"threads: {args.threads}; peers: {', '.join(args.peers)}")
    available = {}
    for name in args.peers:
        peer = peers_mod.PEERS[name](eta=args.eta)
        available[name] = peer
        log(f"  {name}: {'available' if peer.available else 'UNAVAILABLE: ' + peer.reason}")
    torch_module = getattr(available.get("torch"), "torch", None)
    machine.pin_threads_runtime(args.threads, torch_module)
    results["meta"]["machine"] = machine.describe(args.threads)
    for name, peer in available.items():
        results["peers"][name] = {"label": peer.label, "available": peer.available, "reason": peer.reason,
                                  "info": peer.info, "description": DESCRIPTIONS[name]}

    # ---- data -------------------------------------------------------------- #
    t0 = time.perf_counter()
    x, y, x_test, y_test, source = data.load(args.data_dir)
    results["meta"]["data_source"] = source
    log(f"MNIST: {x.shape} train, {x_test.shape} test via {source} ({time.perf_counter() - t0:.1f} s)")
    for peer in available.values():
        if peer.available:
            peer.prepare(x, y)

    # ---- peak matmul ------------------------------------------------------- #
    log("peak matmul (float32 2048x2048) ...")
    mm_repeats = 3 if args.quick else 10
    with timing.LoadWatch() as watch:
        peak_np = flops.peak_numpy_gflops(repeats=mm_repeats)
    peak_np["foreign_cores"] = watch.foreign
    peak_torch = None
    if torch_module:
        with timing.LoadWatch() as watch:
            peak_torch = flops.peak_torch_gflops(torch_module, repeats=mm_repeats)
        peak_torch["foreign_cores"] = watch.foreign
    log(f"  numpy {peak_np['gflops']:.1f} GFLOP/s" +
        (f", torch {peak_torch['gflops']:.1f} GFLOP/s" if peak_torch else ""))
    results["flops"] = {"peak_numpy": peak_np, "peak_torch": peak_torch,
                        "matmul_per_sample": flops.matmul_flops_per_sample(), "per_batch": {}}
    save()

    # ---- timing ------------------------------------------------------------ #
    quick_n = 5000
    warmup_n = 1000 if args.quick else args.warmup_samples

    def n_for(peer, batch_size):
        if args.quick:
            return quick_n
        if peer.name == "textbook" and args.samples:
            return min(args.samples, len(x))
        if peer.name == "sklearn" and batch_size == 1 and args.sklearn_samples:
            return min(args.sklearn_samples, len(x))
        return len(x)

    runnable = [p for p in available.values() if p.available]
    sizes = args.batch_sizes
    log(f"warm-up at batch sizes {', '.join(map(str, sizes))}, then {args.repeats} rounds, "
        "each over every batch size with the peers interleaved")
    results["meta"]["round_order"] = "each round over every batch size"
    cells_by_size = {}
    for b in sizes:
        cells_by_size[b] = timing.warm_up(runnable, b, n_for, warmup_n, seed0=0, log=log,
                                          max_epoch_s=args.max_epoch_seconds)
        results["timing"][str(b)] = cells_by_size[b]

    def summarize(b, cells):
        """The medians, speedups and FLOP-bound multiples of batch size b from its rounds so far."""
        for cell in cells.values():
            report.summarize_cell(cell, n_epoch=len(x))
        results["speedups"][str(b)] = report.speedups(cells)
        for name, peer in available.items():  # e.g. the dtype scikit-learn ran in
            results["peers"][name]["info"] = peer.info
        f = flops.epoch_flops(len(x), b)
        f["bound_s"] = f["matmul_total"] / (peak_np["gflops"] * 1e9)
        bprop_cell = cells.get("bprop")
        if bprop_cell and bprop_cell.get("epoch_s"):
            f["bprop_s"] = bprop_cell["epoch_s"]
            f["bprop_multiple_of_bound"] = bprop_cell["epoch_s"] / f["bound_s"]
        floor_cell = cells.get("floor")
        if floor_cell and floor_cell.get("epoch_s"):  # what the BLAS alone reaches at these shapes
            f["floor_s"] = floor_cell["epoch_s"]
            f["floor_multiple_of_bound"] = floor_cell["epoch_s"] / f["bound_s"]
            if "bprop_s" in f:
                f["bprop_over_floor"] = f["bprop_s"] / floor_cell["epoch_s"]
        results["flops"]["per_batch"][str(b)] = f
        return f

    for r in range(args.repeats):
        log(f"round {r + 1}/{args.repeats}")
        for b in sizes:
            timing.run_round(runnable, b, cells_by_size[b], r, args.repeats, args.pause, seed0=0,
                             max_foreign=args.max_foreign, retries=args.retries, log=log,
                             quiet_wait=args.quiet_wait)
            summarize(b, cells_by_size[b])
        save()  # an interrupted run keeps the rounds it finished
    for b in sizes:
        f = results["flops"]["per_batch"][str(b)]
        for name, up in results["speedups"][str(b)].items():
            log(f"  B={b}: bprop vs {name}: {up['ratio_of_medians']:.2f}x")
        if "floor_multiple_of_bound" in f:
            log(f"  B={b}: BLAS floor {f['floor_multiple_of_bound']:.2f}x the FLOP bound"
                + (f"; bprop {f['bprop_over_floor']:.2f}x the floor" if "bprop_s" in f else ""))

    # ---- recipes A-C against PyTorch --------------------------------------- #
    if not args.skip_recipes:
        rounds = args.recipe_rounds
        n_recipe = recipes.QUICK_N if args.quick else recipes.N_EPOCH
        try:
            import torch

            torch.set_num_threads(args.threads)  # also when the grid ran without the torch peer
        except Exception:  # noqa: BLE001 (the recipes report torch as unavailable)
            pass
        log(f"recipes {', '.join(recipes.RECIPES)} against PyTorch: one epoch on {n_recipe:,} of the first "
            f"{recipes.N_EPOCH:,} images, {rounds} interleaved rounds")
        results["recipes"] = recipes.measure(
            x, y, peak_np, rounds, n_epoch=recipes.N_EPOCH, n=n_recipe, warmup_n=warmup_n, pause=args.pause,
            max_foreign=args.max_foreign, retries=args.retries, quiet_wait=args.quiet_wait, log=log)
        for line in recipes.summary_lines(results["recipes"]):
            log("  " + line)
        save()

    # ---- bookkeeping inside fit -------------------------------------------- #
    if not args.skip_bookkeeping:
        rounds = args.bookkeeping_rounds
        # The full 50,000 even with --quick (an epoch is ~0.5 s): the progress bar's per-call costs
        # (start, stop, the epoch line) do not scale with the samples, so a subset would overstate them.
        n_book = len(x)
        log(f"bookkeeping inside fit at batch {bookkeeping.BATCH_SIZE}: full / quiet / bare, "
            f"{rounds} interleaved rounds on {n_book:,} samples")
        results["bookkeeping"] = bookkeeping.measure(
            x, y, rounds=rounds, n=n_book, eta=args.eta, warmup_n=warmup_n, pause=args.pause,
            max_foreign=args.max_foreign, retries=args.retries, quiet_wait=args.quiet_wait, log=log)
        for line in bookkeeping.summary_lines(results["bookkeeping"]):
            log("  " + line)
        save()

    # ---- peak RSS ---------------------------------------------------------- #
    if not args.skip_rss:
        log(f"peak RSS during one epoch at batch {args.rss_batch}, one subprocess per peer ...")
        rss = {"batch_size": args.rss_batch, "peers": {}}
        for name in (n for n in args.peers if n not in report.REFERENCE_PEERS):
            samples = quick_n if args.quick else (
                min(args.samples, len(x)) if name == "textbook" and args.samples else len(x))
            r = memory.measure(name, args.rss_batch, args.data_dir, samples=samples, threads=args.threads)
            rss["peers"][name] = r
            if r.get("available"):
                log(f"  {name}: {r['epoch_peak_mib']:.1f} MiB peak during the epoch "
                    f"(before it: {r['baseline_mib']:.1f}; budget {r['budget_mib']:.1f})")
            else:
                log(f"  {name}: unavailable ({r.get('reason', '')[:120]})")
        results["rss"] = rss
        save()

    # ---- learning check ---------------------------------------------------- #
    if not args.skip_learning:
        epochs = 1 if args.quick else args.learning_epochs
        n_learn = 10_000 if args.quick else len(x)
        log(f"learning check: {epochs} epoch(s) at batch 32, eta {args.eta}, {n_learn:,} samples")
        learners = {name: available[name] for name in ("bprop", "torch", "textbook") if name in available}
        results["learning"] = learning.learning_check(
            learners, x[:n_learn], y[:n_learn], x_test, y_test,
            epochs=epochs, batch_size=32, eta=args.eta, log=log)
        save()

    # ---- plain SGD against the base tree ------------------------------------ #
    if not args.skip_ab:
        log(f"A/B of plain SGD against {args.ab_base}: {args.ab_rounds} round(s) at batch sizes "
            f"{', '.join(map(str, args.ab_batch_sizes))}, one process per measurement")
        keep = []  # holds the exported base tree until the stage ends
        try:
            base = ab.resolve_tree(args.ab_base, keep)
            new = ab.resolve_tree(os.path.dirname(HERE), keep)
            results["ab"] = ab.measure(base, new, args.data_dir, args.ab_rounds, args.ab_batch_sizes,
                                       log=lambda m: log("  " + m))
        except (ValueError, RuntimeError, OSError) as error:
            results["ab"] = {"error": f"{type(error).__name__}: {error}", "base": {"spec": args.ab_base},
                             "target": ab.TARGET}
            log(f"  A/B not measured: {results['ab']['error']}")
        finally:
            for folder in keep:
                folder.cleanup()
        save()

    results["meta"]["loadavg_end"] = loadavg()
    save()
    log(f"wrote {args.out} and {json_path}")
    targets = results["targets"]
    measured = [t for t in targets if t["pass"] is not None]
    log(f"targets met: {sum(1 for t in measured if t['pass'])} of {len(measured)} measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
