"""One BLAS thread for the estimator tests: many tiny fits, which several BLAS threads
only slow down (and they keep timings steady while other jobs share the cores)."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield
