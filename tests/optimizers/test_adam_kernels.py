"""Adam's compiled kernel (``kernel="numba"``, the ``fast`` extra) against its NumPy step, the oracle.

The two are independent implementations of the same operations in the same order, so they must
agree bit for bit: on gradients spanning 1e-8 to 10 and zeros, in float32 and float64, on
parameters the kernel cannot take (not C-contiguous: the NumPy passes), and over a whole fit."""

import numpy as np
import pytest

from bprop import Adam, Network
from bprop.optimizers import compiled, from_config

from ..allocations import steady_peak_bytes


def gradients(rng, shape, dtype, steps):
    grads = []
    for _ in range(steps):
        g = rng.standard_normal(shape) * 10.0 ** rng.uniform(-8, 1, shape)
        g.reshape(-1)[::7] = 0  # some weights get no gradient at a step (v may stay 0: sqrt 0 + eps)
        grads.append(g.astype(dtype))
    return grads


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_kernel_equals_the_numpy_step_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    shapes = [(40, 33), (40,), (3, 40), (3,)]
    params0 = [(rng.standard_normal(s) * 0.1).astype(dtype) for s in shapes]
    steps = [gradients(rng, s, dtype, 8) for s in shapes]
    results = {}
    for kernel in ("numpy", "numba"):
        params = [p.copy() for p in params0]
        opt = Adam(0.01, beta1=0.8, beta2=0.99, epsilon=1e-7, kernel=kernel)
        for t in range(8):
            opt.step([(p, g[t]) for p, g in zip(params, steps)])
        results[kernel] = (params, opt.m, opt.v)
    for (a, b) in zip(results["numpy"], results["numba"]):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype == dtype
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(results["numba"][0][0], params0[0])  # it moved


def test_a_parameter_the_kernel_cannot_take_gets_the_numpy_passes():
    """A transposed (F-ordered) weight array cannot be flattened in place: that parameter
    takes the NumPy passes, the others the kernel; the numbers are the same."""
    rng = np.random.default_rng(1)
    w0 = np.asfortranarray(rng.standard_normal((6, 5)).astype(np.float32))
    b0 = rng.standard_normal(6).astype(np.float32)
    grads = [(np.asfortranarray(g), rng.standard_normal(6).astype(np.float32))
             for g in gradients(rng, (6, 5), np.float32, 4)]
    out = {}
    for kernel in ("numpy", "numba"):
        w, b = w0.copy(order="F"), b0.copy()
        opt = Adam(0.05, kernel=kernel)
        for gw, gb in grads:
            opt.step([(w, gw), (b, gb)])
        out[kernel] = (w, b)
        assert w.flags.f_contiguous  # updated in place, not replaced
    for x, y in zip(out["numpy"], out["numba"]):
        np.testing.assert_array_equal(x, y)


def test_a_fit_with_the_numba_kernel_equals_the_numpy_fit():
    """Dropout, ReLU, softmax, mini-batches, float32: the trained weights are the same bits."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 12)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int) + (x[:, 3] > 1)
    nets = {}
    for kernel in ("numpy", "numba"):
        net = Network([12, 32, 16, 3], hidden="relu", output="softmax", cost="log_likelihood", dropout=0.3,
                      seed=7, dtype="float32")
        net.fit(x, y, epochs=3, batch_size=32, optimizer=Adam(0.01, kernel=kernel), verbose=False)
        nets[kernel] = net
    for a, b in zip(nets["numpy"].weights + nets["numpy"].biases, nets["numba"].weights + nets["numba"].biases):
        np.testing.assert_array_equal(a, b)
    assert nets["numba"].evaluate(x, y)["accuracy"] > 0.7


def test_the_kernel_is_a_speed_choice_not_state():
    """config() and state_dict() are the NumPy step's, so a checkpoint resumes on a machine
    without numba; the kernel shows in repr."""
    fast = Adam(0.01, kernel="numba")
    assert fast.config() == Adam(0.01).config()
    assert "kernel='numba'" in repr(fast) and "kernel" not in repr(Adam(0.01))
    w, g = np.zeros(4), np.arange(4.0)
    fast.step([(w, g)])
    resumed = from_config(fast.config())
    resumed.load_state_dict(fast.state_dict())
    assert resumed.kernel == "numpy" and resumed.t == 1


def test_steady_kernel_steps_allocate_nothing_parameter_sized():
    rng = np.random.default_rng(5)
    params = [rng.standard_normal((256, 300)).astype(np.float32), np.zeros(256, np.float32)]
    pairs = [(p, rng.standard_normal(p.shape).astype(np.float32)) for p in params]
    opt = Adam(1e-3, kernel="numba")
    opt.step(pairs)
    peak = steady_peak_bytes(lambda: opt.step(pairs))
    assert peak < params[0].nbytes // 4, f"{peak} bytes allocated by steady compiled Adam steps"


def test_unknown_kernel_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown Adam kernel 'cuda'; valid kernels are: numpy, numba"):
        Adam(kernel="cuda")
    opt = Adam()
    with pytest.raises(ValueError, match="valid kernels are"):
        opt.kernel = "cuda"  # set later: checked the same way, and nothing changes
    assert opt.kernel == "numpy"


def test_numba_missing_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(compiled, "numba", None)
    with pytest.raises(ImportError, match=r"pip install \"bprop\[fast\]\".*kernel='numpy'"):
        Adam(kernel="numba")
    opt = Adam()
    with pytest.raises(ImportError, match="bprop\\[fast\\]"):
        opt.kernel = "numba"
    assert opt.kernel == "numpy"


def test_a_transposed_assignment_keeps_every_parameter_on_the_compiled_pass(monkeypatch):
    """``net.weights[0] = w.T`` (scikit-learn's coefs_ layout, say) and an ``(n_in, n_out)``
    slice: the network keeps C-ordered copies, so the kernel takes every parameter (a
    Fortran-ordered copy fell back to the NumPy passes for good: no speed-up on that layer),
    and the fit is the one of the same values assigned C-ordered, bit for bit."""
    calls = []
    real = compiled.adam_update
    monkeypatch.setattr(compiled, "adam_update", lambda *args: calls.append(args[0].size) or real(*args))
    rng = np.random.default_rng(8)
    x = rng.standard_normal((96, 12)).astype(np.float32)
    y = (x[:, 0] > x[:, 1]).astype(int)
    coefs = rng.standard_normal((12, 9)) * 0.3  # (n_in, n_out)
    fits = {}
    for layout, weights in (("C", np.ascontiguousarray(coefs.T)), ("transposed", coefs.T),
                            ("strided", np.repeat(coefs.T, 2, axis=1)[:, ::2])):
        net = Network([12, 9, 2], hidden="relu", output="softmax", cost="log_likelihood", seed=3)
        net.weights[0] = weights
        assert net.weights[0].flags.c_contiguous
        calls.clear()
        net.fit(x, y, epochs=2, batch_size=32, optimizer=Adam(0.01, kernel="numba"), verbose=False)
        assert len(calls) == 2 * 3 * 4 and 9 * 12 in calls  # every parameter, every batch
        fits[layout] = [p.copy() for p, _ in net.trainable_parameters()]
    for layout in ("transposed", "strided"):
        for a, b in zip(fits["C"], fits[layout]):
            np.testing.assert_array_equal(a, b)



def test_the_kernel_works_where_no_cache_folder_can_be_written(tmp_path):
    """A read-only install (site-packages not writable) with no writable cache folder (a service
    user's HOME, NUMBA_CACHE_DIR unset): numba cannot cache the kernel, and importing it raised
    RuntimeError ('cannot cache function ...: no locator available') from Adam(kernel="numba").
    It is then compiled in each process instead, with the same numbers.

    Unwritable for root too: the module's __pycache__ and the cache homes are regular files."""
    import os
    import shutil
    import subprocess
    import sys

    (tmp_path / "kernel").mkdir()
    shutil.copy(compiled.__file__, tmp_path / "kernel" / "compiled.py")
    (tmp_path / "kernel" / "__pycache__").write_text("not a folder")
    (tmp_path / "home").write_text("not a folder")
    env = {key: value for key, value in os.environ.items() if not key.startswith("NUMBA_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "home" / "cache"), PYTHONDONTWRITEBYTECODE="1")
    script = """if True:
        import importlib.util, sys
        import numpy as np
        from bprop import Adam
        spec = importlib.util.spec_from_file_location("compiled", sys.argv[1])
        kernel = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(kernel)
        w, g = np.linspace(-1, 1, 7, dtype=np.float32), np.linspace(2, -3, 7, dtype=np.float32)
        p, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
        opt, q = Adam(0.01), w.copy()
        opt.step([(q, g)])
        kernel.adam_update(p, g, m, v, 1 - opt.beta1, 1 - opt.beta2, 0.01 * (1 - opt.beta2) ** 0.5 / (1 - opt.beta1),
                           opt.epsilon * (1 - opt.beta2) ** 0.5)
        assert p.tobytes() == q.tobytes() and m.tobytes() == opt.m[0].tobytes(), (p, q)
        print("ok")
    """
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "kernel" / "compiled.py")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


def test_moments_restored_from_fortran_ordered_arrays_stay_on_the_compiled_pass(monkeypatch):
    """A checkpoint's m and v may be Fortran-ordered (written while a parameter was, or by hand):
    the restored moments are C-ordered, so the kernel keeps taking every parameter."""
    rng = np.random.default_rng(9)
    w0 = rng.standard_normal((5, 4)).astype(np.float32)
    g = rng.standard_normal((5, 4)).astype(np.float32)
    first, w = Adam(0.01), w0.copy()
    first.step([(w, g)])
    state = {key: np.asfortranarray(value) if value.ndim == 2 else value for key, value in first.state_dict().items()}
    assert not state["m0"].flags.c_contiguous
    calls = []
    real = compiled.adam_update
    monkeypatch.setattr(compiled, "adam_update", lambda *args: calls.append(1) or real(*args))
    out = {}
    for kernel in ("numpy", "numba"):
        opt, p = Adam(0.01, kernel=kernel), w.copy()
        opt.load_state_dict(state, [p])
        opt.step([(p, g)])
        out[kernel] = p
    assert calls == [1]
    np.testing.assert_array_equal(out["numpy"], out["numba"])
