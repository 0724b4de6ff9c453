"""A test helper: how much memory steady repetitions of a step allocate."""

import tracemalloc


def steady_peak_bytes(step, repeats: int = 3) -> int:
    """The peak of NumPy/Python allocations (``tracemalloc``) above the starting point while
    ``step()`` runs ``repeats`` times: what a step that reuses its buffers still allocates.
    Call ``step()`` once before, so first-time buffers are not counted."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(repeats):
            step()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
