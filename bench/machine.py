"""What machine the benchmark ran on, and one thread count for every library.

``pin_threads_env`` must run before NumPy, SciPy or PyTorch are imported: the BLAS and
OpenMP runtimes read their thread counts from the environment when they load.
``pin_threads_runtime`` then applies the same number through threadpoolctl (NumPy's
OpenBLAS, scikit-learn's OpenMP) and ``torch.set_num_threads``.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys

#: This checkout: the bench times the bprop in its src/, never another one (see ``use_this_tree``).
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)

_limiter = None  # keeps the threadpoolctl limit alive for the whole process


def pin_threads_env(n):
    """Set every BLAS/OpenMP thread-count variable to ``n`` (before those libraries load)."""
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(n)


def pin_threads_runtime(n, torch_module=None):
    """Apply ``n`` threads at run time: threadpoolctl for every loaded pool, and torch."""
    global _limiter
    from threadpoolctl import threadpool_limits

    _limiter = threadpool_limits(limits=n)
    if torch_module is not None:
        torch_module.set_num_threads(n)


def cpu_model():
    """The CPU's model name and flags of interest, from /proc/cpuinfo."""
    model = platform.processor() or "unknown"
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    simd = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    return model, simd


def memory_total_gib():
    """Total memory in GiB, from /proc/meminfo (None when unreadable)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def blas_info():
    """The thread pools threadpoolctl sees (BLAS and OpenMP libraries, versions, threads)."""
    from threadpoolctl import threadpool_info

    keep = ("user_api", "internal_api", "version", "num_threads", "architecture", "threading_layer")
    return [{k: pool.get(k) for k in keep if pool.get(k) is not None} for pool in threadpool_info()]


def numpy_config():
    """NumPy's build configuration (its BLAS/LAPACK and SIMD), as a dict when available."""
    import numpy as np

    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # NumPy < 1.26 only prints
        return {}
    deps = config.get("Build Dependencies", {})
    simd = config.get("SIMD Extensions", {})
    return {
        "blas": {k: deps.get("blas", {}).get(k) for k in ("name", "version", "openblas configuration")},
        "lapack": deps.get("lapack", {}).get("name"),
        "simd_found": simd.get("found"),
    }


def use_this_tree():
    """Put this checkout's src/ first on ``sys.path``, before bprop is imported.

    Without it ``import bprop`` finds whatever is installed: a ``pip install .`` of another
    commit (CI's test command installs one into the interpreter it runs) was timed instead of
    the code beside the bench, and nothing said so. ``bprop_source`` records what was timed."""
    src = os.path.join(REPO, "src")
    if not os.path.isdir(os.path.join(src, "bprop")):
        return
    if sys.path[:1] != [src]:
        sys.path.insert(0, src)
    # and in the processes the bench starts (memory.py's, the sweeps' workers)
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if paths[:1] != [src]:
        os.environ["PYTHONPATH"] = os.pathsep.join([src, *filter(None, paths)])


def bprop_source():
    """Where the imported bprop comes from: its folder, this checkout's commit, and whether
    src/ differs from it; ``this_tree`` False (and the report says so) when it is not this
    checkout's src/bprop."""
    try:
        import bprop
    except Exception as exc:  # noqa: BLE001 (broken mid-edit: just say so)
        return {"path": None, "error": f"{type(exc).__name__}: {exc}", "this_tree": False}
    path = os.path.dirname(os.path.abspath(bprop.__file__))

    def git(*args):
        done = subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    return {"path": path, "this_tree": path == os.path.join(REPO, "src", "bprop"),
            "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--", "src"))}


def versions():
    """Versions of Python and of the libraries that were importable."""
    out = {"python": platform.python_version()}
    for name in ("numpy", "sklearn", "torch", "threadpoolctl", "bprop"):
        try:
            module = __import__(name)
            out[name] = getattr(module, "__version__", "?")
        except Exception:  # noqa: BLE001 (not installed or broken: just say so)
            out[name] = None
    return out


def describe(threads):
    """Everything the report's header needs, as a JSON-able dict."""
    model, simd = cpu_model()
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu_model": model,
        "cpu_simd_flags": simd,
        "logical_cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": memory_total_gib(),
        "platform": platform.platform(),
        "threads": threads,
        "thread_env": {var: os.environ.get(var) for var in THREAD_ENV_VARS},
        "blas_pools": blas_info(),
        "numpy_config": numpy_config(),
        "versions": versions(),
        "bprop_source": bprop_source(),
    }
