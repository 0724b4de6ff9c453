"""bprop.state_dicts: the one encoding of model files, checkpoints, optimizer and callback states."""

import numpy as np
import pytest

from bprop import Network, state_dicts
from bprop.io import FileFormatError


def test_nest_and_part_are_inverse_and_a_prefix_ends_at_its_dot():
    state = {"eta": np.array(0.1), "v0": np.zeros(3)}
    nested = {**state_dicts.nest("cb1.", state), **state_dicts.nest("cb10.", {"eta": np.array(9.0)})}
    assert sorted(nested) == ["cb1.eta", "cb1.v0", "cb10.eta"]
    back = state_dicts.part("cb1.", nested)
    assert sorted(back) == ["eta", "v0"] and back["eta"] is state["eta"]


def test_split_separates_arrays_from_json_values():
    best = np.ones(2)
    arrays, values = state_dicts.split({"best0": best, "wait": 2, "best": 0.5, "scalar": np.float64(1.0)})
    assert arrays == {"best0": best}
    assert values == {"wait": 2, "best": 0.5, "scalar": 1.0}


def test_copy_shares_no_memory():
    state = {"v0": np.arange(4.0), "eta": np.array(0.1)}
    copied = state_dicts.copy(state)
    state["v0"][0] = 99
    assert copied["v0"][0] == 0 and not np.shares_memory(copied["v0"], state["v0"])


def net(seed):
    return Network([3, 4, 2], hidden="tanh", seed=seed, dropout=0.2)  # layer 1 (dropout) has no parameters


def test_parameters_round_trip_between_networks():
    source, target = net(0), net(1)
    arrays = state_dicts.parameters(source, "p")
    assert list(arrays) == ["p0.weights", "p0.biases", "p2.weights", "p2.biases"]
    assert arrays["p0.weights"] is source.layers[0].params["weights"]  # the arrays, not copies
    state_dicts.check_parameters(arrays, state_dicts.parameter_specs(target, "p"), "the test")
    state_dicts.set_parameters(target, {k: v.copy() for k, v in arrays.items()}, "p")
    for a, b in zip([*source.weights, *source.biases], [*target.weights, *target.biases]):
        assert np.array_equal(a, b) and a.dtype == b.dtype


def test_parameters_set_from_fortran_ordered_arrays_are_c_ordered():
    """A model file or checkpoint may hold Fortran-ordered arrays (np.save of w.T): the network's
    copies are C-ordered, as every assigned parameter is (Adam's compiled kernel takes only those)."""
    source, target = net(0), net(1)
    arrays = {k: np.asfortranarray(v) for k, v in state_dicts.parameters(source, "p").items()}
    assert not arrays["p0.weights"].flags.c_contiguous
    state_dicts.set_parameters(target, arrays, "p")
    for a, b in zip([*source.weights, *source.biases], [*target.weights, *target.biases]):
        assert np.array_equal(a, b) and b.flags.c_contiguous


@pytest.mark.parametrize("change, message", [
    (lambda a: a.pop("p2.biases"), "the test lacks parameter 'p2.biases'"),
    (lambda a: a.update({"p0.weights": np.zeros((3, 4), np.float32)}), r"'p0.weights' has shape \(3, 4\) float32, "
                                                                       r"expected \(4, 3\) float32"),
    (lambda a: a.update({"p0.weights": a["p0.weights"].astype(np.float64)}), "float64, expected"),
    (lambda a: a["p2.weights"].__setitem__((0, 0), np.inf), "'p2.weights' contains NaN or inf"),
    (lambda a: a["p0.biases"].__setitem__(0, 3e38), "magnitude 3e\\+38"),
])
def test_check_parameters_refuses_and_names_the_array(change, message):
    arrays = {k: v.copy() for k, v in state_dicts.parameters(net(0), "p").items()}
    change(arrays)
    with pytest.raises(ValueError, match=message):
        state_dicts.check_parameters(arrays, state_dicts.parameter_specs(net(0), "p"), "the test")


def params():
    return [np.zeros((2, 3), np.float32), np.zeros(2, np.float32)]


def test_numbered_arrays_in_order():
    state = {"v1": np.ones(2, np.float32), "v0": np.ones((2, 3), np.float32), "v01": np.ones(1), "mu": np.array(0.9)}
    found = state_dicts.numbered(state, "v", params(), "optimizer state")
    assert [a.shape for a in found] == [(2, 3), (2,)]  # "v01" is no number of the sequence
    assert state_dicts.numbered({}, "v", params(), "optimizer state") == []  # none yet: fine


@pytest.mark.parametrize("state, message", [
    ({"v0": np.ones((2, 3), np.float32), "v2": np.ones(2, np.float32)}, "v0, v1, ... are not numbered 0..k-1"),
    ({"v0": np.ones((2, 3), np.float32)}, "has 1 v arrays for 2 parameters"),
    ({"v0": np.ones((2, 3), np.int32), "v1": np.ones(2, np.int32)}, "v0 must hold finite floats, got int32"),
    ({"v0": np.ones((3, 2), np.float32), "v1": np.ones(2, np.float32)}, r"v0 has shape \(3, 2\) float32, the "
                                                                        r"parameter is \(2, 3\) float32"),
    ({"v0": np.ones((2, 3), np.float32), "v1": np.full(2, np.nan, np.float32)}, "v1 must hold finite floats"),
])
def test_numbered_refuses(state, message):
    with pytest.raises(ValueError, match=message):
        state_dicts.numbered(state, "v", params(), "Thing")


@pytest.mark.parametrize("value, spec, message", [
    (np.ones(2), ("number", 0.0, None), "'x' must be a number, got an array of shape"),
    (np.array(0.0), ("number", 0.0, None), "'x' must be finite and > 0"),
    (np.array(np.inf), ("number", 0.0, None), "'x' must be finite"),
    (np.array(1.0), ("fraction", 0.0, 1.0), r"'x' must be finite and in \[0, 1\)"),
    (np.array(2.5), ("int", 0, None), "'x' must be an integer >= 0"),
    (np.array(-1), ("int", 0, None), "'x' must be an integer >= 0, got -1"),
])
def test_scalar_refuses(value, spec, message):
    with pytest.raises(ValueError, match=message):
        state_dicts.scalar("x", value, spec, "state")


def test_scalar_gives_python_numbers():
    assert state_dicts.scalar("t", np.array(3, np.int64), ("int", 0, None), "state") == 3
    assert type(state_dicts.scalar("mu", np.array(0.5, np.float32), ("fraction", 0.0, 1.0), "state")) is float


def test_check_a_state_of_scalars_and_numbered_arrays():
    specs = {"eta": ("number", 0.0, None)}
    state = {"eta": np.array(0.1), "v0": np.zeros((2, 3), np.float32), "v1": np.zeros(2, np.float32)}
    checked = state_dicts.check(state, scalars=specs, numbered_prefixes=("v",), params=params(), what="s", owner="O")
    assert checked["scalars"] == {"eta": 0.1} and len(checked["arrays"]["v"]) == 2
    with pytest.raises(ValueError, match=r"s has unknown entries \['v01', 'w'\] for O"):
        state_dicts.check({**state, "w": np.zeros(1), "v01": np.zeros(1)}, scalars=specs, numbered_prefixes=("v",),
                          what="s", owner="O")
    with pytest.raises(ValueError, match="s lacks 'eta'"):
        state_dicts.check({}, scalars=specs, what="s", owner="O")
    with pytest.raises(ValueError, match="s must be a dict of arrays, got list"):
        state_dicts.check([], scalars=specs, what="s", owner="O")


@pytest.mark.parametrize("error, message", [
    (ValueError("eta is -1"), "f.npz: eta is -1"),
    (KeyError("totals"), "f.npz: damaged file \\(KeyError\\('totals'\\)\\)"),
    (TypeError("list indices"), "f.npz: damaged file"),
])
def test_refusing_names_the_file(error, message):
    with pytest.raises(FileFormatError, match=message):
        with state_dicts.refusing("f.npz", "damaged file"):
            raise error


def test_refusing_lets_other_errors_and_file_errors_through():
    with pytest.raises(FileFormatError, match="^other.npz: bad$"):
        with state_dicts.refusing("f.npz", "damaged file"):
            raise FileFormatError("other.npz", "bad")
    with pytest.raises(ZeroDivisionError):
        with state_dicts.refusing("f.npz", "damaged file"):
            1 / 0
