"""The timing protocol: warm-up, interleaved rounds, medians, and a watch on other load.

For each batch size, every peer first runs one warm-up epoch on a few thousand samples
(untimed, ``warm_up``). A round at a batch size (``run_round``) then runs the peers in
turn, A B C D, so that slow drifts of the machine touch every peer alike. run_all.py
makes each of its ``repeats`` rounds a pass over all the batch sizes, so that a batch
size's rounds are spread over the whole stage rather than taken in one stretch of it: a
slow phase of the machine lasting a minute then touches one round of several batch sizes,
which the median discards, instead of every round of one. The reported time is the
median of a peer's rounds; the speedup of bprop over a peer is computed from the same
rounds.

The machine may be shared. Around every timed run the harness reads /proc/stat and its
own CPU time: the CPU time the machine spent on *other* processes during the run,
divided by the wall time, is that run's "foreign load" in cores (the window includes
the short pause before the run). A run whose
foreign load exceeds a threshold is repeated (up to ``retries`` times) once the machine
has gone quiet again; if it stays busy, the loaded run is kept and flagged.
"""

from __future__ import annotations

import gc
import os
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat():
    """(busy, steal) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    values = [int(v) for v in fields[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice
    user, nice, system, idle, iowait, irq, softirq = values[:7]
    steal = values[7] if len(values) > 7 else 0
    busy = user + nice + system + irq + softirq
    return busy / CLOCK_TICKS, steal / CLOCK_TICKS


def _own_cpu():
    """CPU seconds used by this process (all threads) and its waited-for children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class LoadWatch:
    """Measures, over a stretch of time, the CPU load of other processes and steal time."""

    def __enter__(self):
        self.stat0 = _proc_stat()
        self.own0 = _own_cpu()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        stat1 = _proc_stat()
        own = _own_cpu() - self.own0
        if self.stat0 is None or stat1 is None or self.wall <= 0:
            self.foreign = None
            self.steal = None
            return False
        busy = stat1[0] - self.stat0[0]
        # clock-tick granularity (10 ms) makes short runs noisy; clamp at 0
        self.foreign = max(0.0, busy - own) / self.wall
        self.steal = max(0.0, stat1[1] - self.stat0[1]) / self.wall
        self.own = own / self.wall
        return False


def add_round_options(parser, retries=2, retries_help="repeats allowed per run for foreign load (default 2)"):
    """The options of ``run_round`` every timing script takes: --pause, --max-foreign, --retries
    and --quiet-wait (``retries``: its default; run_all.py passes None for "2, 0 with --quick")."""
    parser.add_argument("--pause", type=float, default=0.2, help="seconds of rest before each timed run")
    parser.add_argument("--max-foreign", type=float, default=0.25,
                        help="repeat a run when other processes kept more than this many cores busy")
    parser.add_argument("--retries", type=int, default=retries, help=retries_help)
    parser.add_argument("--quiet-wait", type=float, default=20.0,
                        help="seconds to wait for other load to stop before repeating a loaded run")


def timed_run(peer, batch_size, n, seed, pause):
    """One timed epoch of ``peer``, with the load watch around it. Returns a dict."""
    gc.collect()
    # The load window spans the pause too: short runs alone are too brief for /proc/stat's
    # 10 ms ticks to say much.
    with LoadWatch() as watch:
        time.sleep(pause)  # also lets other runtimes' spinning threads go back to sleep
        seconds = peer.epoch(batch_size, n, seed)
    return {"seconds": seconds, "foreign_cores": watch.foreign, "steal_cores": watch.steal,
            "own_cores": getattr(watch, "own", None)}


# Set when a wait for quiet failed: later loaded runs are kept without waiting, until a
# clean run shows the machine is quiet again.
_STATE = {"busy": False}


def wait_for_quiet(max_foreign, timeout, window=0.5):
    """Sleep in ``window``-second steps until other processes use at most ``max_foreign``
    cores; True when that happened within ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        with LoadWatch() as watch:
            time.sleep(window)
        if watch.foreign is not None and watch.foreign <= max_foreign:
            return True
    return False


def warm_up(peers, batch_size, n_for, warmup_n, seed0, log, max_epoch_s=None):
    """One untimed warm-up epoch of every peer at one batch size; returns the cells to time.

    Args:
        peers: available peers, in the order they run within a round.
        n_for: function (peer, batch_size) -> samples to time on (< N means extrapolated).
        max_epoch_s: when the warm-up predicts a longer epoch than this, the peer is
            timed on a subset that fits and the time is scaled (extrapolated).
        log: function(str) for progress lines.

    Returns:
        {peer name: {"n": samples, "runs": [], "error": message or None, ...}}, to pass
        to ``run_round``.
    """
    cells = {p.name: {"n": n_for(p, batch_size), "runs": [], "error": None} for p in peers}
    for peer in peers:
        entry = cells[peer.name]
        n = min(warmup_n, entry["n"])
        try:
            warm = peer.epoch(batch_size, n, seed0)
        except Exception as exc:  # noqa: BLE001 (report, skip this peer at this size)
            entry["error"] = f"{type(exc).__name__}: {exc}"
            log(f"  {peer.name}: warm-up failed at B={batch_size}: {entry['error']}")
            continue
        estimate = warm * entry["n"] / n
        if max_epoch_s and estimate > max_epoch_s and entry["n"] > n:
            # Too slow for the budget: time a subset and scale (labelled as extrapolated).
            subset = int(entry["n"] * max_epoch_s / estimate)
            subset = max(n, subset - subset % batch_size)
            log(f"  {peer.name}: an epoch at B={batch_size} would take ~{estimate:.0f} s (warm-up estimate); "
                f"timing {subset:,} samples instead and scaling")
            entry["auto_subset"] = {"estimate_s": estimate, "from_n": entry["n"], "to_n": subset}
            entry["n"] = subset
    return cells


def run_round(peers, batch_size, cells, r, repeats, pause, seed0, max_foreign, retries, log,
              quiet_wait=20.0):
    """Round ``r`` at one batch size: one timed epoch of every peer in turn, appended to
    its cell's runs (the cells from ``warm_up``).

    Args:
        max_foreign: a run with more foreign load (cores) than this is repeated.
        retries: how many times a run may be repeated for foreign load.
        quiet_wait: before a repeat, wait up to this many seconds for the machine to go
            quiet; if it does not, the loaded run is kept (and flagged) instead.
    """
    for peer in peers:
        entry = cells[peer.name]
        if entry["error"]:
            continue
        attempts = 0
        while True:
            try:
                run = timed_run(peer, batch_size, entry["n"], seed0 + 1 + r, pause)
            except Exception as exc:  # noqa: BLE001
                entry["error"] = f"{type(exc).__name__}: {exc}"
                log(f"  {peer.name}: failed at B={batch_size}: {entry['error']}")
                break
            run["round"] = r
            run["attempt"] = attempts
            foreign = run["foreign_cores"]
            contaminated = foreign is not None and foreign > max_foreign
            run["contaminated"] = contaminated
            if not contaminated:
                _STATE["busy"] = False
            elif attempts < retries and not _STATE["busy"]:
                attempts += 1
                log(f"  {peer.name} B={batch_size} round {r + 1}: {run['seconds']:.3f} s with "
                    f"{foreign:.2f} foreign cores busy: waiting for quiet to repeat it")
                if wait_for_quiet(max_foreign, quiet_wait):
                    entry.setdefault("discarded", []).append(run)
                    continue
                # Persistent load: keep this run, and stop waiting until a run is clean.
                log(f"  (still busy after {quiet_wait:.0f} s: keeping loaded runs until the "
                    "machine is quiet again)")
                _STATE["busy"] = True
            entry["runs"].append(run)
            flag = f"  (foreign load {foreign:.2f} cores)" if contaminated else ""
            log(f"  {peer.name:9s} B={batch_size:<4d} round {r + 1}/{repeats}: "
                f"{run['seconds']:.3f} s on {entry['n']} samples{flag}")
            break


def run_batch_size(peers, batch_size, n_for, repeats, warmup_n, pause, seed0, max_foreign,
                   retries, log, quiet_wait=20.0, max_epoch_s=None):
    """Warm-up, then ``repeats`` interleaved rounds over ``peers`` at one batch size, one
    after the other (the bookkeeping stage's order; run_all.py spreads each batch size's
    rounds over the whole timing stage instead). Returns the cells, as ``warm_up``."""
    cells = warm_up(peers, batch_size, n_for, warmup_n, seed0, log, max_epoch_s)
    for r in range(repeats):
        run_round(peers, batch_size, cells, r, repeats, pause, seed0, max_foreign, retries, log, quiet_wait)
    return cells
