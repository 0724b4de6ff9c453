"""Every output/cost pair the library accepts, in float32 and float64, at logit gaps 0 to 400:
costs and BP1 equal an independent reference, computed with mpmath at 450 digits (the cost
written as the seeds write it, on a = sigma(z), and its gradient by central differences at
that precision), so saturation cannot hide behind rounding in the reference.

Tolerance per row: |got - ref| <= rtol * max|ref of the row| + the dtype's smallest normal
(a value below it cannot be stored), rtol 1e-5 in float32 and 1e-10 in float64.
"""

import functools

import mpmath as mp
import numpy as np
import pytest

from bprop import Dense, Network
from bprop.activations import LeakyReLU

mp.mp.dps = 450

ACCEPTED = [
    ("sigmoid", "quadratic"), ("tanh", "quadratic"), ("relu", "quadratic"), ("leaky_relu", "quadratic"),
    ("identity", "quadratic"), ("softmax", "quadratic"),
    ("sigmoid", "cross_entropy"), ("softmax", "cross_entropy"),
    ("softmax", "log_likelihood"),
]
GAPS = [0, 10, 20, 40, 80, 400]
RTOL = {np.float32: 1e-5, np.float64: 1e-10}
SLOPE = 0.1


def rows(gap, cost, output=""):
    """Logits z (3 rows, 3 outputs) about ``gap`` apart and targets: right and confident, wrong
    and confident, and a soft target (a distribution for log-likelihood). The 0.375 keeps
    every z off the ReLU kink at 0; all values are exact in float32."""
    z = np.array([[gap / 2 + 0.375, -gap / 2 - 0.375, 0.25]] * 3)
    soft = [0.2, 0.5, 0.3] if output == "softmax" else [0.25, 0.75, 0.5]  # softmax targets sum to 1
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], soft])
    return z, y


def mp_cost(output, cost, z, y):
    """C_x of one row, in mpmath, as the seeds write it: on a = sigma(z)."""
    if output == "softmax":
        e = [mp.exp(v) for v in z]
        a = [v / mp.fsum(e) for v in e]
    else:
        f = {
            "sigmoid": lambda v: 1 / (1 + mp.exp(-v)),
            "tanh": mp.tanh,
            "relu": lambda v: v if v > 0 else mp.mpf(0),
            "leaky_relu": lambda v: v if v > 0 else SLOPE * v,
            "identity": lambda v: v,
        }[output]
        a = [f(v) for v in z]
    if cost == "quadratic":
        return mp.fsum((aj - yj) ** 2 for aj, yj in zip(a, y)) / 2
    if cost == "log_likelihood":
        return -mp.fsum(yj * mp.log(aj) for aj, yj in zip(a, y) if yj)
    return -mp.fsum((yj * mp.log(aj) if yj else 0) + ((1 - yj) * mp.log(1 - aj) if yj != 1 else 0)
                    for aj, yj in zip(a, y))


@functools.lru_cache(maxsize=None)
def reference(output, cost, z_row, y_row):
    """(C_x, ∂C_x/∂z) of one row: mpmath cost and central differences with h = 10^-150."""
    z = [mp.mpf(v) for v in z_row]
    y = [mp.mpf(v) for v in y_row]
    h = mp.mpf(10) ** -150
    grad = []
    for j in range(len(z)):
        plus, minus = list(z), list(z)
        plus[j] += h
        minus[j] -= h
        grad.append((mp_cost(output, cost, plus, y) - mp_cost(output, cost, minus, y)) / (2 * h))
    return float(mp_cost(output, cost, z, y)), np.array([float(g) for g in grad])


def make_net(output, cost, dtype):
    """One Dense(3, 3) layer with identity weights and zero biases: z^L = x."""
    act = LeakyReLU(SLOPE) if output == "leaky_relu" else output
    layer = Dense(3, 3, act, weights=np.eye(3), biases=np.zeros(3))
    return Network([layer], cost=cost, dtype=dtype,
                   task="classification" if output in ("sigmoid", "softmax") else "regression")


def assert_rows_close(got, ref, dtype, what):
    tiny = np.finfo(dtype).tiny
    for row, (g, r) in enumerate(zip(np.atleast_2d(got), np.atleast_2d(ref))):
        bound = RTOL[dtype] * np.max(np.abs(r)) + tiny
        assert np.all(np.abs(g.astype(np.float64) - r) <= bound), (what, row, g, r)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("output,cost", ACCEPTED)
def test_costs_and_bp1_are_exact_at_every_gap(output, cost, dtype):
    net = make_net(output, cost, dtype)
    for gap in GAPS:
        z, y = rows(gap, cost, output)
        z = z.astype(dtype)  # the reference sees the very numbers the network does
        refs = [reference(output, cost, tuple(map(float, zr)), tuple(map(float, yr))) for zr, yr in zip(z, y)]
        ref_costs = np.array([c for c, _ in refs])
        ref_grads = np.array([g for _, g in refs])
        where = f"{output}+{cost} {np.dtype(dtype).name} gap {gap}"

        # the head alone: per-sample costs and BP1 (the batch-mean delta carries 1/m)
        losses = net.head.losses(z, y.astype(dtype))
        assert_rows_close(losses[:, None], ref_costs[:, None], dtype, f"cost {where}")
        a = net.head.outputs(z)
        delta = net.head.delta(z, a, y.astype(dtype))
        assert_rows_close(delta * 3, ref_grads, dtype, f"delta {where}")

        # through the network: dC/db^L = Σ_x delta^L and the batch-mean cost
        grads = net.backprop(z, y)
        assert_rows_close(grads.biases[0], ref_grads.mean(axis=0), dtype, f"dC/db {where}")
        assert net.total_cost(z, y) == pytest.approx(ref_costs.mean(), rel=RTOL[dtype])


def test_the_issue_example_softmax_cross_entropy_float32():
    """Softmax + cross-entropy in float32 once gave dC/dz = (0, -1.75e29) and C = 107.3."""
    net = Network([Dense(2, 2, "softmax", weights=np.eye(2), biases=np.zeros(2))], cost="cross_entropy")
    grads = net.backprop([[10.0, -10.0]], [[0.0, 1.0]])
    np.testing.assert_allclose(grads.biases[0], [2.0, -2.0], rtol=1e-6)
    assert net.total_cost([[10.0, -10.0]], [[0.0, 1.0]]) == pytest.approx(40.0, rel=1e-6)
    net64 = net.copy(dtype="float64")
    np.testing.assert_allclose(net64.backprop([[20.0, -20.0]], [[0.0, 1.0]]).biases[0], [2.0, -2.0], rtol=1e-12)
    assert net64.total_cost([[20.0, -20.0]], [[0.0, 1.0]]) == pytest.approx(80.0, rel=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_issue_example_sigmoid_cross_entropy_at_saturation(dtype):
    """Two sigmoid outputs at z = ±40: exact mean cost 40 (was 63.67 in float32, 374.2 in float64)."""
    net = Network([Dense(2, 2, "sigmoid", weights=np.eye(2), biases=np.zeros(2))], cost="cross_entropy", dtype=dtype)
    x, y = [[40.0, -40.0], [40.0, -40.0]], [[1.0, 0.0], [0.0, 1.0]]
    assert net.total_cost(x, y) == pytest.approx(40.0, rel=1e-6)
    assert net.evaluate(x, y)["cost"] == pytest.approx(40.0, rel=1e-6)


def test_one_hot_training_delta_writes_the_target_entry_without_cancellation():
    """The training loop's BP1 for one-hot labels (target_index) equals the general head delta,
    and keeps the e^-40-sized gradient of a right, saturated float32 row (1 - a_y rounds to 0)."""
    net = Network([Dense(3, 3, "softmax", weights=np.eye(3), biases=np.zeros(3))])
    z = np.array([[40.0, 0.0, 0.0], [0.0, 40.0, 0.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    labels = np.array([0, 0, 2])
    y = np.eye(3, dtype=np.float32)[labels]
    a = net.head.outputs(z)
    general = net.head.delta(z, a, y)
    shortcut = net.head.delta(z, a, y, target_index=labels + 3 * np.arange(3))
    np.testing.assert_allclose(shortcut, general, rtol=1e-5, atol=0)
    assert shortcut[0, 0] == pytest.approx(-2 * np.exp(-40.0) / 3, rel=1e-5)  # not 0


@pytest.mark.parametrize("m", [1, 5])
def test_the_label_shortcut_equals_the_cost_from_targets_and_leaves_z_alone(m):
    """losses_at_labels (the training loop's running cost) against head.losses, at any gap; z (even
    one row, whose transpose is contiguous) is never written."""
    net = Network([Dense(3, 3, "softmax")], dtype="float64")
    rng = np.random.default_rng(m)
    for gap in GAPS:
        z = rng.standard_normal((m, 3)) * gap
        labels = rng.integers(0, 3, m)
        before = z.copy()
        losses = net.head.losses_at_labels(z, labels)
        assert np.array_equal(z, before) and losses.shape == (m,)
        np.testing.assert_allclose(losses, net.head.losses(z, np.eye(3)[labels]), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_bp1_for_targets_outside_0_1(dtype):
    """Regression targets outside [0, 1] under a sigmoid output, mixed with targets inside
    in one batch (the range is checked entry by entry); a NaN target spoils its own entry only. Compared with the quadratic BP1 (a - y) a (1 - a) / m and the
    sigmoid + cross-entropy BP1 (a - y) / m computed plainly in float64 at moderate z."""
    from bprop.activations import Sigmoid
    from bprop.costs import CrossEntropy, Quadratic
    from bprop.heads import OutputHead

    z = np.array([[0.5, -1.25, 2.0, 0.0], [-3.0, 1.5, 0.25, -0.5]], dtype=dtype)
    y = np.array([[-0.5, 1.75, 0.25, 1.0], [3.0, 0.0, np.nan, -2.0]], dtype=dtype)
    a = 1 / (1 + np.exp(-z.astype(np.float64)))
    for cost, factor in ((Quadratic(), a * (1 - a)), (CrossEntropy(), 1.0)):
        head = OutputHead(Sigmoid(), cost, 4)
        got = head.delta(z, a.astype(dtype), y)
        expected = (a - y) * factor / 2
        assert got.dtype == dtype
        assert np.isnan(got[1, 2]) and np.isnan(expected[1, 2])
        finite = ~np.isnan(expected)
        np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-6 if dtype == np.float32 else 1e-13)
