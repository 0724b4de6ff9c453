"""bprop's scikit-learn estimator against scikit-learn's own MLP on MNIST, and a sweep three ways.

    python bench/sklearn_mlp.py [--data /work/shared/data/mnist] [--rounds 3] [--threads 2]

Part 1, the same hyperparameters for both (the issue's): hidden (100,), relu, Adam with
eta 0.001, batch 200, alpha 1e-4, 20 epochs, no early stopping (n_iter_no_change above 20
so neither stops on its own), float32 inputs (both then train in float32), on the 50,000
MNIST training images (``bprop.datasets.load_mnist``, the last 10,000 of the 60,000 held
out), scored on the 10,000 test images. The fits are interleaved (bprop, scikit-learn,
scikit-learn, bprop, ...) and the ratio is taken per round, so a slow phase of the machine
hits both; the report gives every round and the medians.

Part 2, ``GridSearchCV`` of 8 candidates x 3 folds (24 fits of 10 epochs) on the first
10,000 training images: sequential (n_jobs=1), joblib processes (loky, n_jobs=2) and a
2-worker Dask ``LocalCluster`` (joblib's Dask backend); wall times side by side, and the
three must agree on cv_results_.

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

SETTINGS = dict(hidden=(100,), epochs=20, batch_size=200, eta=0.001, alpha=1e-4)
GRID = {"hidden_layer_sizes": [(50,), (100,)], "learning_rate": [0.001, 0.003], "alpha": [1e-4, 1e-2]}


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


def timed_fit(make, x, y, x_test, y_test) -> dict:
    model = make()
    started = time.perf_counter()
    model.fit(x, y)
    seconds = time.perf_counter() - started
    assert model.n_iter_ == SETTINGS["epochs"], model.n_iter_
    return {"seconds": seconds, "test_accuracy": float(model.score(x_test, y_test))}


def head_to_head(data, rounds: int) -> dict:
    (x, y), (x_test, y_test) = data
    makers = {"bprop": bprop_model, "sklearn": sklearn_model}
    runs = {"bprop": [], "sklearn": []}
    # warm-up: import and touch every code path once (not recorded)
    bprop_model().set_params(max_epochs=1, n_iter_no_change=2).fit(x[:2000], y[:2000])
    sklearn_model().set_params(max_iter=1).fit(x[:2000], y[:2000])
    for r in range(rounds):
        order = ["bprop", "sklearn"] if r % 2 == 0 else ["sklearn", "bprop"]
        for name in order:
            result = timed_fit(makers[name], x, y, x_test, y_test)
            result["load"] = load_average()
            runs[name].append(result)
            print(f"round {r + 1} {name:8s} {result['seconds']:7.2f} s  test accuracy {result['test_accuracy']:.4f}"
                  f"  load {result['load']}", flush=True)
    ratios = [s["seconds"] / b["seconds"] for b, s in zip(runs["bprop"], runs["sklearn"])]
    return {
        "settings": {**SETTINGS, "hidden": list(SETTINGS["hidden"]), "n_train": int(x.shape[0]),
                     "n_test": int(x_test.shape[0]), "dtype": "float32"},
        "runs": runs,
        "speedup_per_round": ratios,
        "median_speedup": float(np.median(ratios)),
        "median_seconds": {name: float(np.median([r["seconds"] for r in rs])) for name, rs in runs.items()},
        "test_accuracy": {name: [r["test_accuracy"] for r in rs] for name, rs in runs.items()},
    }


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


def sweeps(x, y) -> dict:
    import joblib
    from distributed import Client, LocalCluster

    from bprop.sklearn.dask_workers import LimitBlasThreads

    out = {}
    started = time.perf_counter()
    sequential = search().fit(x, y)
    out["sequential"] = time.perf_counter() - started
    print(f"sweep sequential       {out['sequential']:7.2f} s  load {load_average()}", flush=True)

    started = time.perf_counter()
    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):  # one BLAS thread per worker
        processes = search().set_params(n_jobs=2).fit(x, y)
    out["joblib_processes"] = time.perf_counter() - started
    print(f"sweep joblib processes {out['joblib_processes']:7.2f} s  load {load_average()}", flush=True)

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    try:
        with Client(cluster) as client:
            client.register_plugin(LimitBlasThreads())  # one BLAS thread per worker
            started = time.perf_counter()
            with joblib.parallel_backend("dask"):
                on_dask = search().fit(x, y)
            out["dask_2_workers"] = time.perf_counter() - started
    finally:
        cluster.close()
    print(f"sweep dask 2 workers   {out['dask_2_workers']:7.2f} s  load {load_average()}", flush=True)
    # the fits' own time summed over the 24 tasks: the work itself, without dispatching, and
    # longer where the workers share cores with each other or with other jobs
    out["fit_seconds_summed"] = {
        name: float(np.sum(search_.cv_results_["mean_fit_time"]) * search_.n_splits_)
        for name, search_ in (("sequential", sequential), ("joblib_processes", processes), ("dask_2_workers", on_dask))
    }
    reference = comparable(sequential.cv_results_)
    out["same_cv_results"] = {
        "joblib_processes": comparable(processes.cv_results_) == reference,
        "dask_2_workers": comparable(on_dask.cv_results_) == reference,
    }
    out["best_params"] = {k: list(v) if isinstance(v, tuple) else v for k, v in sequential.best_params_.items()}
    out["candidates"], out["folds"], out["n_images"] = 8, 3, int(x.shape[0])
    return out


def write_report(result: dict) -> None:
    (HERE / f"sklearn_results_{THREADS}t.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    h = result["head_to_head"]
    s = result["sweeps"]
    fit = s.get("fit_seconds_summed", {})
    lines = [
        "# bprop.sklearn.MLPClassifier vs sklearn.neural_network.MLPClassifier",
        "",
        f"Run {result['machine']['date']} on {result['machine']['cpu_model']} ({result['machine']['logical_cores']} "
        f"logical cores), {THREADS} BLAS thread{'s' if THREADS > 1 else ''}. Load average (1, 5, 15 min) before: {result['load_before']}, "
        f"after: {result['load_after']}. Produced by `python bench/sklearn_mlp.py --threads {THREADS}`; raw "
        f"figures in `sklearn_results_{THREADS}t.json`. Other jobs shared the machine: see the load column.",
        "",
        "## Same hyperparameters, 50,000 MNIST training images",
        "",
        "hidden (100,), relu, Adam eta 0.001, batch 200, alpha 1e-4, 20 epochs, no early stopping, float32; "
        "test accuracy on the 10,000 test images. Rounds interleaved.",
        "",
        "| round | bprop fit (s) | scikit-learn fit (s) | speedup | bprop test acc. | scikit-learn test acc. | "
        "1-min load after the pair |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r, (b, k, ratio) in enumerate(zip(h["runs"]["bprop"], h["runs"]["sklearn"], h["speedup_per_round"])):
        lines.append(f"| {r + 1} | {b['seconds']:.2f} | {k['seconds']:.2f} | {ratio:.2f}x | "
                     f"{100 * b['test_accuracy']:.2f}% | {100 * k['test_accuracy']:.2f}% | "
                     f"{max(b['load'][0], k['load'][0]):.2f} |")
    acc_b = np.median(h["test_accuracy"]["bprop"])
    acc_s = np.median(h["test_accuracy"]["sklearn"])
    lines += [
        "",
        f"Median speedup: **{h['median_speedup']:.2f}x** (target >= 2x). Test accuracy: bprop "
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
    lines += [
        f"## GridSearchCV, {s['candidates']} candidates x {s['folds']} folds on {s['n_images']:,} images",
        "",
        f"Grid {GRID}, 10 epochs each.",
        "",
        "| how | wall time (s) | the 24 fits' own seconds, summed | cv_results_ equal to sequential |",
        "| --- | --- | --- | --- |",
        f"| sequential (n_jobs=1, {THREADS} BLAS thread{'s' if THREADS > 1 else ''}) | {s['sequential']:.2f} | "
        f"{fit.get('sequential', float('nan')):.2f} | - |",
        f"| joblib processes (loky, n_jobs=2, 1 BLAS thread each) | {s['joblib_processes']:.2f} | "
        f"{fit.get('joblib_processes', float('nan')):.2f} | {s['same_cv_results']['joblib_processes']} |",
        f"| Dask LocalCluster, 2 workers x 1 thread, LimitBlasThreads | {s['dask_2_workers']:.2f} | "
        f"{fit.get('dask_2_workers', float('nan')):.2f} | {s['same_cv_results']['dask_2_workers']} |",
        "",
        "cv_results_ agree bit for bit only at the same BLAS thread count (bprop's determinism: same seed, "
        "machine and thread count; BLAS sums in another order with another count): the workers run 1 thread, "
        f"the sequential search {THREADS}; tests/sklearn/test_dask_sweeps.py compares them at 1 thread each.",
        "",
        f"Best parameters: {s['best_params']}.",
        "",
    ]
    (HERE / f"SKLEARN_RESULTS_{THREADS}t.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data/mnist")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-sweeps", action="store_true")
    parser.add_argument("--seeds", type=int, default=0, help="also compare test accuracy over this many more seeds")
    parser.add_argument("--limit", type=int, default=None, help="train on this many images (smoke runs)")
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS threads of both peers and of the sequential sweep (default 2, the machine's "
                             "cores); 1 is steadier on a machine other jobs share")
    args = parser.parse_args(argv)
    machine.pin_threads_runtime(THREADS)
    from bprop.datasets import load_mnist

    train, _, test = load_mnist(args.data, download=False)
    if args.limit:
        train = type(train)(train.x[:args.limit], train.y[:args.limit])
    result = {"machine": machine.describe(THREADS), "load_before": load_average()}
    print(f"load before {result['load_before']}", flush=True)
    result["head_to_head"] = head_to_head(((train.x, train.y), (test.x, test.y)), args.rounds)
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
        print(json.dumps({key: result[key] for key in ("head_to_head", "sweeps") if key in result}, indent=2)[:3000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
