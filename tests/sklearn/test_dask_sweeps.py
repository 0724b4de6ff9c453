"""A GridSearchCV over bprop's estimators on a Dask cluster, through joblib's Dask backend."""

import os

import joblib
import numpy as np
import pytest
from distributed import Client, LocalCluster, get_task_stream
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from bprop.sklearn import MLPClassifier
from bprop.sklearn.dask_workers import LimitBlasThreads

BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads():
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def search():
    return GridSearchCV(
        MLPClassifier(max_epochs=5, batch_size=50, random_state=0),
        {"hidden_layer_sizes": [(8,), (16,)], "learning_rate": [0.003, 0.03]},
        cv=3,
    )


@pytest.fixture(scope="module")
def client():
    # The workers inherit an environment that asks for 2 BLAS threads (as a user's shell may):
    # Dask's nanny then leaves it, and LimitBlasThreads must bring each worker to 1.
    saved = {name: os.environ.get(name) for name in BLAS_VARIABLES}
    os.environ.update({name: "2" for name in BLAS_VARIABLES})
    try:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        with Client(cluster) as connected:
            connected.register_plugin(LimitBlasThreads())
            yield connected
    finally:
        cluster.close()


def test_grid_search_on_a_local_dask_cluster_equals_a_sequential_run(client):
    x, y = load_digits(return_X_y=True)
    x, y = x[:300] / 16, y[:300]
    sequential = search().fit(x, y)
    with get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        distributed_search = search().fit(x, y)
    for key, value in sequential.cv_results_.items():
        if "time" in key:
            continue
        got = distributed_search.cv_results_[key]
        if key == "params":
            assert got == value
        else:
            np.testing.assert_array_equal(np.asarray(got), np.asarray(value), err_msg=key)
    assert distributed_search.best_params_ == sequential.best_params_
    workers = {task["worker"] for task in stream.data}
    assert len(workers) >= 2, workers
    pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2 and all(pid != __import__("os").getpid() for pid in pids.values())


def test_workers_run_one_blas_thread_each(client):
    environment = client.run(lambda: __import__("os").environ.get("OPENBLAS_NUM_THREADS"))
    assert set(environment.values()) == {"2"}  # what the workers were started with
    threads = client.run(blas_threads)
    assert len(threads) == 2
    assert all(counts and set(counts) == {1} for counts in threads.values()), threads


def test_the_plugin_refuses_a_meaningless_thread_count():
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        LimitBlasThreads(0)
