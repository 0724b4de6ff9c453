"""One BLAS thread per Dask worker: ``client.register_plugin(LimitBlasThreads())``.

A sweep runs one fit per worker thread; a fit whose BLAS spreads over every core of the
machine competes with the other workers' fits, and OpenBLAS's waiting threads then slow
every fit many times over (measured: 24 fits summing 4.6 s alone took 40 s of fit time on
two workers with two BLAS threads each). Dask's nanny sets OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS to 1 for a worker only where the environment
does not set them already, and a worker's own ``env=`` comes after NumPy has loaded its
BLAS; this plugin limits the loaded BLAS pools at run time (threadpoolctl), on every worker
that joins, whatever the environment says. Needs the ``dask`` extra.
"""

from __future__ import annotations

from distributed import WorkerPlugin


class LimitBlasThreads(WorkerPlugin):
    """A Dask worker plugin: each worker's BLAS runs ``threads`` threads (default 1).

    Example:
        >>> client.register_plugin(LimitBlasThreads())  # doctest: +SKIP
    """

    name = "bprop-limit-blas-threads"

    def __init__(self, threads: int = 1):
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        self.threads = threads
        self._limiter = None

    def setup(self, worker):
        from threadpoolctl import threadpool_limits

        self._limiter = threadpool_limits(limits=self.threads, user_api="blas")

    def teardown(self, worker):
        if self._limiter is not None:
            self._limiter.restore_original_limits()

    def __getstate__(self):
        return {"threads": self.threads, "_limiter": None}
