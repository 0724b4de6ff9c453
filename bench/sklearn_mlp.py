"""bprop's scikit-learn estimator against scikit-learn's own MLP on MNIST, a BLAS floor, and a sweep three ways.

    python bench/sklearn_mlp.py [--data /work/shared/data/mnist] [--rounds 5] [--threads 2]

Part 1, the same hyperparameters for both (the issue's): hidden (100,), relu, Adam with
eta 0.001, batch 200, alpha 1e-4, 20 epochs, no early stopping (n_iter_no_change above 20
so neither stops on its own), float32 inputs (both then train in float32), on the 50,000
MNIST training images (``bprop.datasets.load_mnist``, the last 10,000 of the 60,000 held
out), scored on the 10,000 test images. Timed in the same rounds, two BLAS floors for that
recipe (``peers.BlasFloorPeer`` with stored gradients, through SciPy's BLAS as bprop calls
it, and ``peers.NumpyFloorPeer``, the same work through NumPy's BLAS, the one scikit-learn
calls): 20 epochs of only the shuffle, the gather of each batch and the five products
bprop must make per batch. No code calling that BLAS at these shapes trains faster than
its floor, so scikit-learn's time over the floor's is the most any such code can beat
scikit-learn by (the ceiling); a ceiling below the 2x target puts the target out of reach.
The four runs of a round take turns in a rotating order (``timing.run_round``: a pause of
a second before each, so the other library's OpenBLAS threads stop spinning, and the load
of other processes watched; a run under foreign load is repeated once the machine is quiet).
Ratios are taken per round and from the medians. One more bprop fit runs under cProfile,
to say where its time goes.

Part 2, ``GridSearchCV`` of 8 candidates x 3 folds (24 fits of 10 epochs) on the first
10,000 training images: sequential (n_jobs=1) at the run's BLAS threads and at 1, joblib
processes (loky, n_jobs=2, 1 BLAS thread each) and a 2-worker Dask ``LocalCluster``
(joblib's Dask backend, 1 BLAS thread each). The pool and the cluster are used for two
searches in a row: the first pays for starting the workers and their imports, the second
is the search alone. cv_results_ are compared with the sequential searches'.

Every run records the machine (``bench/machine.py``) and the load average before and
after (other jobs on a shared machine slow both peers, but not always equally).
Results: bench/sklearn_results_<threads>t.json and bench/SKLEARN_RESULTS_<threads>t.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))
# worker processes (joblib's loky, Dask's nanny) import bprop from the same place
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent / "src"), os.environ.get("PYTHONPATH")]))

import machine  # noqa: E402

def threads_argument(argv) -> int:
    """--threads N, read before NumPy loads (BLAS takes its thread count from the environment)."""
    for index, arg in enumerate(argv):
        if arg == "--threads" and index + 1 < len(argv):
            return int(argv[index + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return 2


THREADS = threads_argument(sys.argv[1:])
machine.pin_threads_env(THREADS)

import numpy as np  # noqa: E402

import peers  # noqa: E402
import report  # noqa: E402
import timing  # noqa: E402

SETTINGS = dict(hidden=(100,), epochs=20, batch_size=200, eta=0.001, alpha=1e-4)
GRID = {"hidden_layer_sizes": [(50,), (100,)], "learning_rate": [0.001, 0.003], "alpha": [1e-4, 1e-2]}
TARGET_SPEEDUP = 2.0  # issue 17: bprop's fit at least 2x faster than scikit-learn's
PAUSE_S = 1.0  # rest before each timed run: idle OpenBLAS threads of the other library go back to sleep
MAX_FOREIGN = 0.3  # a run during which other processes used more cores than this is repeated...
RETRIES = 3  # ...up to this many times, once the machine is quiet again...
QUIET_WAIT_S = 60.0  # ...waiting at most this long for quiet before each repeat (else the loaded run is kept)


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def bprop_model():
    from bprop.sklearn import MLPClassifier

    s = SETTINGS
    return MLPClassifier(hidden_layer_sizes=s["hidden"], activation="relu", optimizer="adam",
                         learning_rate=s["eta"], batch_size=s["batch_size"], alpha=s["alpha"],
                         max_epochs=s["epochs"], early_stopping=False, n_iter_no_change=s["epochs"] + 1,
                         random_state=0)


def sklearn_model():
    from sklearn.neural_network import MLPClassifier

    s = SETTINGS
    return MLPClassifier(hidden_layer_sizes=s["hidden"], activation="relu", solver="adam",
                         learning_rate_init=s["eta"], batch_size=s["batch_size"], alpha=s["alpha"],
                         max_iter=s["epochs"], early_stopping=False, n_iter_no_change=s["epochs"] + 1,
                         random_state=0)


class TimedFit:
    """A whole ``fit`` of one peer (the 20 epochs of SETTINGS, input validation and weight
    initialisation included, as a user calls it), shaped as a peer for ``timing.run_round``.

    ``epoch`` ignores its arguments: the model's random_state is fixed, so every round trains
    the same network and the test accuracy (scored after the clock stops) is the same each time.
    """

    def __init__(self, name, make, data):
        self.name, self.make = name, make
        (self.x, self.y), (self.x_test, self.y_test) = data
        self.accuracies = []

    def epoch(self, batch_size, n, seed):
        model = self.make()
        started = time.perf_counter()
        model.fit(self.x, self.y)
        seconds = time.perf_counter() - started
        assert model.n_iter_ == SETTINGS["epochs"], model.n_iter_
        self.accuracies.append(float(model.score(self.x_test, self.y_test)))
        return seconds


class TimedFloor:
    """A BLAS floor over the recipe's 20 epochs, shaped as a peer for ``timing.run_round``:
    ``peer.epoch`` (the shuffle, the gather of each batch of 200 and the five products; see
    ``peers.BlasFloorPeer``) once per epoch, each with its own shuffle, summed. Only the epochs
    are timed; fresh weights and buffers per epoch are made before each epoch's clock starts."""

    def __init__(self, name, peer, x, y):
        self.name, self.peer = name, peer
        peer.prepare(np.ascontiguousarray(x, dtype=np.float32), y)
        self.n = x.shape[0]

    def epoch(self, batch_size, n, seed):
        return sum(self.peer.epoch(batch_size, n, 1000 * seed + e) for e in range(SETTINGS["epochs"]))


def head_to_head(data, rounds: int) -> dict:
    """bprop's fit, scikit-learn's fit and the two floors, ``rounds`` interleaved rounds."""
    (x, y), (x_test, y_test) = data
    n, batch = int(x.shape[0]), SETTINGS["batch_size"]
    runs = [TimedFit("bprop", bprop_model, data), TimedFit("sklearn", sklearn_model, data),
            TimedFloor("floor_scipy", peers.BlasFloorPeer(store_gradients=True), x, y),
            TimedFloor("floor_numpy", peers.NumpyFloorPeer(), x, y)]
    # warm-up: import and touch every code path once (not recorded)
    bprop_model().set_params(max_epochs=1, n_iter_no_change=2).fit(x[:2000], y[:2000])
    sklearn_model().set_params(max_iter=1).fit(x[:2000], y[:2000])
    for run in runs[2:]:
        run.peer.epoch(batch, 2000, 0)
    cells = {run.name: {"n": n, "runs": [], "error": None} for run in runs}
    for r in range(rounds):
        order = runs[r % len(runs):] + runs[:r % len(runs)]  # each runs first once every 4 rounds
        timing.run_round(order, batch, cells, r, rounds, PAUSE_S, seed0=0, max_foreign=MAX_FOREIGN,
                         retries=RETRIES, log=lambda line: print(line, flush=True), quiet_wait=QUIET_WAIT_S)
        print(f"round {r + 1}: load {load_average()}", flush=True)
    for name, cell in cells.items():
        if cell["error"]:
            raise RuntimeError(f"{name}: {cell['error']}")
        report.summarize_cell(cell, n_epoch=n)  # median_s = epoch_s: the whole 20-epoch run
    seconds = {name: [run["seconds"] for run in sorted(cell["runs"], key=lambda run: run["round"])]
               for name, cell in cells.items()}
    medians = {name: cell["median_s"] for name, cell in cells.items()}
    per_round = {
        "speedup": [k / b for b, k in zip(seconds["bprop"], seconds["sklearn"])],
        "ceiling": [k / f for k, f in zip(seconds["sklearn"], seconds["floor_scipy"])],
        "bprop_over_floor": [b / f for b, f in zip(seconds["bprop"], seconds["floor_scipy"])],
        "ceiling_numpy_floor": [k / f for k, f in zip(seconds["sklearn"], seconds["floor_numpy"])],
        "floor_numpy_over_scipy": [a / b for a, b in zip(seconds["floor_numpy"], seconds["floor_scipy"])],
    }
    # rounds in which no run was kept under foreign load: the per-round ratios there are the steadiest
    clean = [r for r in range(rounds)
             if not any(run.get("contaminated") for cell in cells.values() for run in cell["runs"] if run["round"] == r)]
    clean_medians = {key: float(np.median([values[r] for r in clean])) if clean else None
                     for key, values in per_round.items()}
    with_floor = {"floor": cells["floor_scipy"], "sklearn": cells["sklearn"], "bprop": cells["bprop"]}
    with_numpy_floor = {"floor": cells["floor_numpy"], "sklearn": cells["sklearn"], "bprop": cells["bprop"]}
    return {
        "settings": {**SETTINGS, "hidden": list(SETTINGS["hidden"]), "n_train": n,
                     "n_test": int(x_test.shape[0]), "dtype": "float32"},
        "protocol": {"pause_s": PAUSE_S, "max_foreign_cores": MAX_FOREIGN, "retries": RETRIES,
                     "quiet_wait_s": QUIET_WAIT_S},
        "cells": cells,
        "seconds_per_round": seconds,
        "per_round": per_round,
        "median_seconds": medians,
        "median_speedup": medians["sklearn"] / medians["bprop"],
        "median_of_round_speedups": float(np.median(per_round["speedup"])),
        "clean_rounds": clean,
        "clean_round_medians": clean_medians,
        # report.speedup_ceiling: ceiling = sklearn / floor, max_bprop_over_floor = ceiling / target
        "floor_scipy": report.speedup_ceiling(with_floor, "sklearn", TARGET_SPEEDUP),
        "floor_numpy": report.speedup_ceiling(with_numpy_floor, "sklearn", TARGET_SPEEDUP),
        "test_accuracy": {run.name: run.accuracies for run in runs[:2]},
    }


def profile_bprop(x, y) -> dict:
    """One bprop fit under cProfile, its time split into: the BLAS products (the bound gemm
    closures of ``bprop.kernels``, forward, BP2 and BP4, and the BP3 gemv), the Adam step
    (``Adam.step``, cumulative), the gather (``ndarray.take``), the L2 term added to the stored
    gradients (``regularizers``' add_gradient), and the rest (activations, the softmax and
    delta of the output, scoring, Python). cProfile sees a SciPy BLAS call as time of the
    closure that makes it; its own cost (a few hundred thousand calls) goes to the rest."""
    import cProfile
    import pstats

    model = bprop_model()
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    model.fit(x, y)
    profile.disable()
    total = time.perf_counter() - started
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (calls, primitive, tottime, cumtime, callers)
    groups = {"products": 0.0, "adam_step": 0.0, "gather": 0.0, "l2_term": 0.0}
    calls = {key: 0 for key in groups}
    for (path, _, function), (_, ncalls, _tottime, cumtime, _) in stats.items():
        path = path.replace(os.sep, "/")
        if path.endswith("bprop/kernels.py") and function.endswith("_blas"):
            key = "products"
        elif path.endswith("bprop/optimizers/adam.py") and function == "step":
            key = "adam_step"
        elif function == "<method 'take' of 'numpy.ndarray' objects>":
            key = "gather"
        elif path.endswith("bprop/regularizers.py") and function == "add_gradient":
            key = "l2_term"
        else:
            continue
        groups[key] += cumtime
        calls[key] += ncalls
    groups["rest"] = total - sum(groups.values())
    return {"total_s": total, "seconds": groups, "calls": calls}

def accuracy_over_seeds(data, seeds) -> dict:
    """Test accuracy of each peer for several random_state values: one seed's difference is
    within the seed-to-seed spread (initial weights and shuffling differ by seed)."""
    (x, y), (x_test, y_test) = data
    out = {"seeds": list(seeds), "bprop": [], "sklearn": []}
    for seed in seeds:
        for name, make in (("bprop", bprop_model), ("sklearn", sklearn_model)):
            model = make().set_params(random_state=seed).fit(x, y)
            out[name].append(float(model.score(x_test, y_test)))
        print(f"seed {seed}: bprop {out['bprop'][-1]:.4f}  sklearn {out['sklearn'][-1]:.4f}", flush=True)
    return out


def search():
    from sklearn.model_selection import GridSearchCV

    from bprop.sklearn import MLPClassifier

    return GridSearchCV(MLPClassifier(max_epochs=10, batch_size=200, random_state=0), GRID, cv=3)


def comparable(results) -> dict:
    return {key: np.asarray(value).tolist() for key, value in results.items() if "time" not in key and key != "params"}


def timed_search(x, y, **params):
    """(wall seconds, fitted GridSearchCV, foreign load in cores) of one search with these
    GridSearchCV parameters. The foreign load (``timing.LoadWatch``: CPU of processes other than
    this one and its waited-for children, in cores) means something for a sequential search only:
    a pool's or cluster's running workers count as foreign."""
    with timing.LoadWatch() as watch:
        started = time.perf_counter()
        fitted = search().set_params(**params).fit(x, y)
        seconds = time.perf_counter() - started
    return seconds, fitted, watch.foreign


def worker_pid(pause: float) -> int:
    """The process id of the worker that ran this task, after ``pause`` seconds."""
    time.sleep(pause)
    return os.getpid()


def sweeps(x, y) -> dict:
    """The grid search sequentially (at the run's BLAS threads and at 1), on a loky pool and on
    a Dask LocalCluster. The pool and the cluster run two searches in a row: ``first`` includes
    starting the worker processes and their imports of NumPy, scikit-learn and bprop (loky
    starts its workers inside the first search; the cluster's own start-up, until both workers
    are up, is timed apart as ``start_up``), ``warm`` is the second search in the same workers.
    The workers run 1 BLAS thread each, so the sequential row at 1 thread is the like-for-like
    reference: the same work, one fit at a time."""
    import joblib
    from distributed import Client, LocalCluster
    from threadpoolctl import threadpool_limits

    from bprop.sklearn.dask_workers import LimitBlasThreads

    out, fitted = {}, {}

    def record(name, seconds, search_, foreign):
        out[name] = {"seconds": seconds, "foreign_cores": foreign, "load_after": load_average(),
                     # the fits' own time summed over the 24 tasks: the work itself, without dispatching,
                     # and longer where the workers share cores with each other or with other jobs
                     "fit_seconds_summed": float(np.sum(search_.cv_results_["mean_fit_time"]) * search_.n_splits_)}
        fitted[name] = search_
        print(f"sweep {name:24s} {seconds:7.2f} s  load {load_average()}", flush=True)

    if THREADS > 1:
        record(f"sequential_{THREADS}t", *timed_search(x, y))
    with threadpool_limits(limits=1):
        record("sequential_1t", *timed_search(x, y))

    def loky_pids():  # tasks that last a moment, so that each worker takes some
        return sorted(set(joblib.Parallel(n_jobs=2)(joblib.delayed(worker_pid)(0.2) for _ in range(6))))

    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):  # one BLAS thread per worker
        record("loky_first", *timed_search(x, y, n_jobs=2))
        pids_first = loky_pids()
        record("loky_warm", *timed_search(x, y, n_jobs=2))
        out["loky_same_workers"] = loky_pids() == pids_first

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    try:
        with Client(cluster) as client:
            client.register_plugin(LimitBlasThreads())  # one BLAS thread per worker
            client.wait_for_workers(2)
            out["dask_start_up_s"] = time.perf_counter() - started
            print(f"dask cluster up          {out['dask_start_up_s']:7.2f} s", flush=True)
            pids_first = sorted(client.run(os.getpid).values())
            with joblib.parallel_backend("dask"):
                record("dask_first", *timed_search(x, y))
                record("dask_warm", *timed_search(x, y))
            out["dask_same_workers"] = sorted(client.run(os.getpid).values()) == pids_first
    finally:
        cluster.close()

    references = {f"sequential_{t}t": fitted[f"sequential_{t}t"].cv_results_ for t in sorted({1, THREADS})}
    out["same_cv_results"] = {
        name: {reference: comparable(fitted[name].cv_results_) == comparable(results)
               for reference, results in references.items()}
        for name in fitted if name not in references
    }
    if THREADS > 1:
        out["same_cv_results"]["sequential_1t"] = {
            f"sequential_{THREADS}t": comparable(fitted["sequential_1t"].cv_results_)
            == comparable(references[f"sequential_{THREADS}t"])}
    best = fitted["sequential_1t"].best_params_
    out["best_params"] = {k: list(v) if isinstance(v, tuple) else v for k, v in best.items()}
    out["candidates"], out["folds"], out["n_images"] = 8, 3, int(x.shape[0])
    return out


def blas_versions(described: dict) -> str:
    """"NumPy's OpenBLAS 0.3.31..., SciPy's OpenBLAS 0.3.30" from ``machine.describe``: NumPy's is the
    one its build configuration names; the other BLAS pool threadpoolctl found is SciPy's."""
    numpy_version = (described.get("numpy_config") or {}).get("blas", {}).get("version")
    pools = [pool for pool in described["blas_pools"] if pool.get("user_api") == "blas"]
    others = [f"{pool.get('internal_api')} {pool.get('version')}" for pool in pools if pool.get("version") != numpy_version]
    mine = [f"{pool.get('internal_api')} {pool.get('version')}" for pool in pools if pool.get("version") == numpy_version]
    return f"NumPy's {', '.join(mine) or numpy_version}, SciPy's {', '.join(others) or 'the same library'}"


def reach_sentence(floor: dict, library: str, per_round: list[float]) -> str:
    """What a floor's ceiling says about the 2x target (``floor``: report.speedup_ceiling's dict;
    ``per_round``: the rounds' own ceilings, to show how firm the verdict is)."""
    ceiling, most, measured = floor["ceiling"], floor["max_bprop_over_floor"], floor["bprop_over_floor"]
    spread = f"per round {min(per_round):.2f}x to {max(per_round):.2f}x"
    if ceiling < TARGET_SPEEDUP:
        return (f"through {library}, the ceiling is **{ceiling:.2f}x** ({spread}), below the {TARGET_SPEEDUP:g}x "
                f"target: **out of reach** of any code calling this BLAS at these shapes (the products and the "
                f"gather alone take {1 / ceiling:.0%} of scikit-learn's fit)")
    return (f"through {library}, the ceiling is **{ceiling:.2f}x** ({spread}): reachable only once bprop's time over "
            f"this floor is at most {most:.2f} (measured {measured:.2f})")


def clean_rounds_sentence(h: dict) -> str:
    """The per-round ratios of the rounds no other process loaded (the medians above take every round)."""
    clean, m = h["clean_rounds"], h["clean_round_medians"]
    if not clean:
        return "Every round had a run under foreign load: no clean rounds to check the medians against."
    return (f"The same ratios in the {len(clean)} of {len(h['per_round']['speedup'])} rounds in which no run was kept "
            f"under foreign load (rounds {', '.join(str(r + 1) for r in clean)}), medians of the per-round values: "
            f"ceiling {m['ceiling']:.2f}x through SciPy's BLAS, {m['ceiling_numpy_floor']:.2f}x through NumPy's; "
            f"bprop / floor {m['bprop_over_floor']:.2f}; speedup {m['speedup']:.2f}x; NumPy's floor over SciPy's "
            f"{m['floor_numpy_over_scipy']:.2f}.")


def sweep_table(s: dict) -> list[str]:
    """The GridSearchCV rows: start-up, first and warm search, summed fit seconds, cv_results_ equality."""
    references = [f"sequential_{t}t" for t in sorted({1, THREADS})]
    header = ("| how | start-up (s) | first search (s) | warm second search (s) | the 24 fits' own seconds, summed "
              "(last search) | foreign load (cores) / 1-min load after (last search) | "
              + " | ".join(f"cv_results_ = {r.replace('_', ' ')}" for r in references) + " |")
    lines = [header, "|" + " --- |" * (6 + len(references))]

    def load(name):
        foreign = s[name].get("foreign_cores")
        return ("" if foreign is None or not name.startswith("sequential") else f"{foreign:.2f} / ") + \
            f"{s[name]['load_after'][0]:.2f}"

    def equal(name):
        same = s["same_cv_results"].get(name, {})
        return " | ".join("-" if r == name else str(same.get(r, "-")) for r in references)

    for t in sorted({THREADS, 1}, reverse=True):
        name = f"sequential_{t}t"
        lines.append(f"| sequential (n_jobs=1, {t} BLAS thread{'s' if t > 1 else ''}) | - | {s[name]['seconds']:.2f} | "
                     f"- | {s[name]['fit_seconds_summed']:.2f} | {load(name)} | {equal(name)} |")
    lines.append(f"| joblib processes (loky, n_jobs=2, 1 BLAS thread each) | in the first search | "
                 f"{s['loky_first']['seconds']:.2f} | {s['loky_warm']['seconds']:.2f} | "
                 f"{s['loky_warm']['fit_seconds_summed']:.2f} | {load('loky_warm')} | {equal('loky_warm')} |")
    lines.append(f"| Dask LocalCluster, 2 workers x 1 thread, LimitBlasThreads | {s['dask_start_up_s']:.2f} | "
                 f"{s['dask_first']['seconds']:.2f} | {s['dask_warm']['seconds']:.2f} | "
                 f"{s['dask_warm']['fit_seconds_summed']:.2f} | {load('dask_warm')} | {equal('dask_warm')} |")
    return lines


def write_report(result: dict) -> None:
    """bench/SKLEARN_RESULTS_<threads>t.md and the raw figures in sklearn_results_<threads>t.json."""
    (HERE / f"sklearn_results_{THREADS}t.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    h = result["head_to_head"]
    s = result["sweeps"]
    seconds, per_round, medians = h["seconds_per_round"], h["per_round"], h["median_seconds"]
    cells = h["cells"]
    plural = "s" if THREADS > 1 else ""
    lines = [
        "# bprop.sklearn.MLPClassifier vs sklearn.neural_network.MLPClassifier",
        "",
        f"Run {result['machine']['date']} on {result['machine']['cpu_model']} ({result['machine']['logical_cores']} "
        f"logical cores), {THREADS} BLAS thread{plural}. Load average (1, 5, 15 min) before: {result['load_before']}, "
        f"after: {result['load_after']}. Produced by `python bench/sklearn_mlp.py --threads {THREADS}`; raw "
        f"figures in `sklearn_results_{THREADS}t.json`. Other jobs shared the machine: see the foreign-load column.",
        "",
        "## Same hyperparameters, 50,000 MNIST training images",
        "",
        "hidden (100,), relu, Adam eta 0.001, batch 200, alpha 1e-4, 20 epochs, no early stopping, float32; "
        "test accuracy on the 10,000 test images. Each round times four runs in a rotating order, each after a "
        f"{h['protocol']['pause_s']:g} s pause (the other library's idle OpenBLAS threads stop spinning): both fits "
        "and two BLAS floors (below). Foreign load = cores other processes used during a run; a run above "
        f"{h['protocol']['max_foreign_cores']:g} was repeated (up to {h['protocol']['retries']} times) once the "
        f"machine was quiet, or kept (flagged by its load) when it stayed busy for "
        f"{h['protocol'].get('quiet_wait_s', 20):g} s.",
        "",
        "| round | bprop fit (s) | scikit-learn fit (s) | floor, SciPy's BLAS (s) | floor, NumPy's BLAS (s) | speedup "
        "(sklearn / bprop) | ceiling (sklearn / floor) | bprop / floor | most foreign load in the round (cores) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in range(len(seconds["bprop"])):
        foreign = [run.get("foreign_cores") for cell in cells.values() for run in cell["runs"] if run["round"] == r]
        foreign = max((f for f in foreign if f is not None), default=float("nan"))
        lines.append(f"| {r + 1} | {seconds['bprop'][r]:.2f} | {seconds['sklearn'][r]:.2f} | "
                     f"{seconds['floor_scipy'][r]:.2f} | {seconds['floor_numpy'][r]:.2f} | "
                     f"{per_round['speedup'][r]:.2f}x | {per_round['ceiling'][r]:.2f}x | "
                     f"{per_round['bprop_over_floor'][r]:.2f} | {foreign:.2f} |")
    lines.append(f"| median | {medians['bprop']:.2f} | {medians['sklearn']:.2f} | {medians['floor_scipy']:.2f} | "
                 f"{medians['floor_numpy']:.2f} | {h['median_speedup']:.2f}x | {h['floor_scipy']['ceiling']:.2f}x | "
                 f"{h['floor_scipy']['bprop_over_floor']:.2f} | |")
    acc_b = np.median(h["test_accuracy"]["bprop"])
    acc_s = np.median(h["test_accuracy"]["sklearn"])
    lines += [
        "",
        f"Speedup from the medians: **{h['median_speedup']:.2f}x** (target >= {TARGET_SPEEDUP:g}x; median of the "
        f"per-round speedups {h['median_of_round_speedups']:.2f}x). Test accuracy: bprop "
        f"{100 * acc_b:.2f}%, scikit-learn {100 * acc_s:.2f}% (difference {100 * (acc_b - acc_s):+.2f} points; "
        "target: within 0.3 points or better).",
        "",
    ]
    seeds = result.get("accuracy_over_seeds")
    if seeds:
        b, k = np.array(seeds["bprop"]), np.array(seeds["sklearn"])
        lines += [
            f"Over random_state {seeds['seeds']}: test accuracy bprop {', '.join(f'{100 * v:.2f}' for v in b)}% "
            f"(mean {100 * b.mean():.2f}%), scikit-learn {', '.join(f'{100 * v:.2f}' for v in k)}% "
            f"(mean {100 * k.mean():.2f}%); mean difference {100 * (b.mean() - k.mean()):+.2f} points.",
            "",
        ]
    numpy_over_scipy = medians["floor_numpy"] / medians["floor_scipy"]
    lines += [
        "## Is 2x reachable? The BLAS floor of this recipe",
        "",
        "The floor is the work any NumPy+BLAS implementation of these 20 epochs must do, and nothing else: per "
        "epoch a fresh shuffle, then per batch of 200 the gather of the images into a buffer "
        "(`np.take(out=, mode=\"clip\")`, as bprop's trainer) and the five products at these shapes: the two "
        "forward products (200x784 by 784x100, 200x100 by 100x10), BP2's product with w2 (200x10 by 10x100) and "
        "the two weight gradients (100x200 by 200x784, 10x200 by 200x100) stored with beta 0, as Adam needs them. "
        "No bias, activation, softmax, Adam step, L2 term or scoring. `floor, SciPy's BLAS` makes them with "
        "`scipy.linalg.blas.sgemm` in bprop's layouts (`peers.BlasFloorPeer(store_gradients=True)`), the BLAS "
        "bprop calls; `floor, NumPy's BLAS` with `np.matmul(..., out=)` (`peers.NumpyFloorPeer`), the BLAS "
        f"scikit-learn calls. The BLAS libraries: {blas_versions(result['machine'])}. NumPy's floor takes "
        f"{numpy_over_scipy:.2f}x SciPy's (medians): that much of the difference between the two fits is the "
        "library, not the code around it.",
        "",
        "No code calling a BLAS at these shapes fits faster than that BLAS's floor, so scikit-learn's time over "
        "the floor's (the ceiling) is the most such code can beat scikit-learn by; bprop's speedup is ceiling / "
        "(bprop / floor). From the medians:",
        "",
        f"- {reach_sentence(h['floor_scipy'], 'SciPy' + chr(39) + 's BLAS (what bprop uses)', per_round['ceiling'])};",
        f"- {reach_sentence(h['floor_numpy'], 'NumPy' + chr(39) + 's BLAS', per_round['ceiling_numpy_floor'])}.",
        "",
        clean_rounds_sentence(h),
        "",
        f"bprop's own overhead, bprop / floor (SciPy's): {h['floor_scipy']['bprop_over_floor']:.2f}; bprop takes "
        f"{medians['bprop'] - medians['floor_scipy']:.2f} s more than the floor over the 20 epochs.",
        "",
    ]
    prof = result.get("profile")
    if prof:
        total = prof["total_s"]
        names = {"products": "BLAS products (5 gemm + 2 BP3 gemv per batch; `bprop.kernels`' bound calls)",
                 "adam_step": "Adam step (`Adam.step`)", "gather": "gather of the batch (`ndarray.take`)",
                 "l2_term": "L2 term added to the stored gradients", "rest": "the rest (activations, softmax and "
                 "delta of the output, running scores, Python, the profiler's own cost)"}
        lines += [
            "## Where bprop's fit time goes",
            "",
            f"One more bprop fit of the same recipe under cProfile, after the rounds: {total:.2f} s in all (median "
            f"without the profiler {medians['bprop']:.2f} s). A SciPy BLAS call counts as time of the closure "
            "that makes it.",
            "",
            "| part | seconds | share | calls |",
            "| --- | --- | --- | --- |",
        ]
        for key, label in names.items():
            value = prof["seconds"][key]
            calls = prof["calls"].get(key, "")
            lines.append(f"| {label} | {value:.2f} | {value / total:.0%} | {calls} |")
        lines.append("")
    lines += [
        f"## GridSearchCV, {s['candidates']} candidates x {s['folds']} folds on {s['n_images']:,} images",
        "",
        f"Grid {GRID}, 10 epochs each. The loky pool and the Dask cluster run two searches in a row: the first "
        "pays for starting the worker processes and their imports (loky starts its workers inside the first "
        "search; the cluster's start-up until both workers are up is timed apart), the second is the search "
        "alone. The workers run 1 BLAS thread each, so the like-for-like reference is the sequential search at 1 "
        "thread.",
        "",
        *sweep_table(s),
        "",
        f"Same workers for both searches: loky {s['loky_same_workers']}, Dask {s['dask_same_workers']}. "
        f"The warm parallel searches against the sequential one at 1 BLAS thread: loky "
        f"{s['sequential_1t']['seconds'] / s['loky_warm']['seconds']:.2f}x, Dask "
        f"{s['sequential_1t']['seconds'] / s['dask_warm']['seconds']:.2f}x as fast; worker start-up and imports "
        f"(first minus warm search) loky {s['loky_first']['seconds'] - s['loky_warm']['seconds']:.2f} s, Dask "
        f"{s['dask_start_up_s'] + s['dask_first']['seconds'] - s['dask_warm']['seconds']:.2f} s with the cluster. "
        "On 2 cores two 1-thread workers can at best halve the 1-thread time, and only if a fit runs as fast "
        "beside another as alone: the 24 fits' own seconds, summed, were "
        f"{s['loky_warm']['fit_seconds_summed'] / s['sequential_1t']['fit_seconds_summed']:.2f}x (loky) and "
        f"{s['dask_warm']['fit_seconds_summed'] / s['sequential_1t']['fit_seconds_summed']:.2f}x (Dask) the "
        "sequential 1-thread search's, so each fit ran that much slower two at a time (and where other jobs "
        "shared the cores, see the load column).",
        "",
        "bprop's determinism promises the same cv_results_ bit for bit at the same BLAS thread count (same "
        "seed, machine and thread count), so the parallel searches, 1 thread per worker, are compared with the "
        "sequential search at 1 thread (tests/sklearn/test_dask_sweeps.py asserts it)"
        + ("; the other column says whether they also matched the search at the run's thread count."
           if THREADS > 1 else "."),
        "",
        f"Best parameters: {s['best_params']}.",
        "",
    ]
    (HERE / f"SKLEARN_RESULTS_{THREADS}t.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data/mnist")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-sweeps", action="store_true")
    parser.add_argument("--seeds", type=int, default=0, help="also compare test accuracy over this many more seeds")
    parser.add_argument("--limit", type=int, default=None, help="train on this many images (smoke runs)")
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS threads of both peers and of the sequential sweep (default 2, the machine's "
                             "cores); 1 is steadier on a machine other jobs share")
    parser.add_argument("--render", metavar="JSON", default=None,
                        help="write the report again from a results JSON of this script, timing nothing")
    args = parser.parse_args(argv)
    if args.render:
        write_report(json.loads(Path(args.render).read_text(encoding="utf-8")))
        return 0
    machine.pin_threads_runtime(THREADS)
    from bprop.datasets import load_mnist

    train, _, test = load_mnist(args.data, download=False)
    if args.limit:
        train = type(train)(train.x[:args.limit], train.y[:args.limit])
    result = {"machine": machine.describe(THREADS), "load_before": load_average()}
    print(f"load before {result['load_before']}", flush=True)
    result["head_to_head"] = head_to_head(((train.x, train.y), (test.x, test.y)), args.rounds)
    time.sleep(PAUSE_S)
    result["profile"] = profile_bprop(train.x, train.y)
    print(f"profile: {json.dumps(result['profile'])}", flush=True)
    if args.seeds:
        result["accuracy_over_seeds"] = accuracy_over_seeds(((train.x, train.y), (test.x, test.y)),
                                                            range(1, args.seeds + 1))
    if not args.skip_sweeps:
        n = min(10_000, train.x.shape[0])
        result["sweeps"] = sweeps(train.x[:n], train.y[:n])
    result["load_after"] = load_average()
    print(f"load after {result['load_after']}", flush=True)
    if "sweeps" in result and not args.limit:
        write_report(result)
    else:
        brief = {key: result[key] for key in ("head_to_head", "profile", "sweeps") if key in result}
        brief.get("head_to_head", {}).pop("cells", None)
        print(json.dumps(brief, indent=2)[:6000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
