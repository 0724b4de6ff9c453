"""Fuzzing bprop's readers (issue 16): generated bit flips, truncations and pickle payloads.

Whatever the bytes, loading either succeeds or raises FileFormatError naming the file
(never another exception type, never NumPy's "allow_pickle" hint), a refused
checkpoint leaves the network unchanged, and no pickle payload ever runs.
"""

import os
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import bprop
from bprop import Network
from bprop.io import META_KEY, FileFormatError, load_npy
from bprop.training import History

from .builders import Member, document, meta_bytes, npy_bytes, npy_header, write_zip

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "m.npz"
    Network([6, 5, 3], hidden="tanh", seed=0, dropout=0.2, regularizer=("l2", 1.0)).save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "ck.npz"
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((30, 6)), rng.integers(0, 3, 30)
    Network([6, 5, 3], seed=0).fit(x, y, epochs=1, batch_size=10, optimizer="adam", verbose=False, checkpoint=path)
    return path.read_bytes()


def load_or_refuse(path, load):
    try:
        return load(path)
    except FileFormatError as error:
        assert str(path) in str(error)
        assert "allow_pickle" not in str(error)
        assert "\n" not in str(error) and ": )" not in str(error), str(error)  # one line, a reason given
        return None


def mutate(data: bytes, flips, cut):
    data = bytearray(data)
    for position, bit in flips:
        data[position % len(data)] ^= 1 << bit
    return bytes(data[: max(0, len(data) - cut)])


mutations = dict(flips=st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 7)), min_size=1, max_size=8),
                 cut=st.sampled_from([0, 0, 0, 1, 7, 100, 1000]))


@FUZZ
@given(**mutations)
def test_bit_flips_and_truncations_of_a_model(tmp_path, model_bytes, flips, cut):
    path = tmp_path / "m.npz"
    path.write_bytes(mutate(model_bytes, flips, cut))
    net = load_or_refuse(path, bprop.load)
    if net is not None:  # a flip the format cannot see (e.g. in a float's low bits) must still be a valid net
        assert all(np.all(np.isfinite(w)) for w in net.weights)



def test_a_member_whose_data_ends_early_is_named_with_a_reason(tmp_path, model_bytes):
    """The high byte of the first member's extra-field length (offset 29 of the local header) sends
    the reader past the end: zipfile raises a bare EOFError, once printed as "(member '__bprop__': )"."""
    path = tmp_path / "m.npz"
    path.write_bytes(mutate(model_bytes, [(29, 6)], 0))
    with pytest.raises(FileFormatError, match=r"truncated or corrupt .*: the data ends early\)$"):
        bprop.load(path)

@FUZZ
@given(**mutations)
def test_bit_flips_and_truncations_of_a_checkpoint_change_nothing(tmp_path, checkpoint_bytes, flips, cut):
    path = tmp_path / "ck.npz"
    path.write_bytes(mutate(checkpoint_bytes, flips, cut))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((30, 6)), rng.integers(0, 3, 30)
    net = Network([6, 5, 3], seed=1)
    before = [p.tobytes() for p, _ in net.trainable_parameters()], net.rng.bit_generator.state
    try:
        net.fit(x, y, epochs=2, batch_size=10, optimizer="adam", verbose=False, resume=path)
    except FileFormatError as error:
        assert str(path) in str(error) and "allow_pickle" not in str(error)
        assert ([p.tobytes() for p, _ in net.trainable_parameters()], net.rng.bit_generator.state) == before


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_as_history_and_npy(tmp_path, data):
    for name, load in (("h.json", History.load), ("h.csv", History.load), ("x.npy", load_npy)):
        path = tmp_path / name
        path.write_bytes(data)
        load_or_refuse(path, load)


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=20))
def test_any_json_as_a_model_config_is_refused_cleanly(tmp_path, config):
    arrays = {"layer0.weights": np.zeros((2, 3), np.float32), "layer0.biases": np.zeros(2, np.float32)}
    declared = {n: {"shape": list(a.shape), "dtype": a.dtype.str} for n, a in arrays.items()}
    doc = document(config if isinstance(config, dict) else {"layers": config}, declared)
    path = tmp_path / "m.npz"
    write_zip(path, [Member(META_KEY + ".npy", meta_bytes(doc))] +
              [Member(f"{n}.npy", npy_bytes(a)) for n, a in arrays.items()])
    load_or_refuse(path, bprop.load)


class Marker:
    """Unpickling this creates the file named by MARKER: proof that code ran."""

    def __reduce__(self):
        return (open, (os.environ["BPROP_TEST_MARKER"], "w"))


@pytest.mark.parametrize("place", ["weights member", "metadata member", "checkpoint optimizer state", "predict input",
                                   "member declared <f4 holding a pickle"])
def test_pickle_payloads_never_run(tmp_path, monkeypatch, place):
    marker = tmp_path / "marker"
    monkeypatch.setenv("BPROP_TEST_MARKER", str(marker))
    payload = pickle.dumps(np.array([Marker()], dtype=object))  # what np.save would pickle
    object_member = npy_header((1,), descr="|O") + pickle.dumps([Marker()])
    arrays = {"layer0.weights": np.zeros((2, 3), np.float32), "layer0.biases": np.zeros(2, np.float32)}
    from .builders import small_model_config

    declared = {n: {"shape": list(a.shape), "dtype": a.dtype.str} for n, a in arrays.items()}
    meta = Member(META_KEY + ".npy", meta_bytes(document(small_model_config(), declared)))
    members = [meta] + [Member(f"{n}.npy", npy_bytes(a)) for n, a in arrays.items()]
    path = tmp_path / "m.npz"
    if place == "weights member":
        members[1] = Member("layer0.weights.npy", object_member)
    elif place == "metadata member":
        members[0] = Member(META_KEY + ".npy", object_member)
    elif place == "member declared <f4 holding a pickle":
        members[1] = Member("layer0.weights.npy", npy_header((2, 3)) + payload[:24].ljust(24, b"\0"))
    elif place == "checkpoint optimizer state":
        members[0] = Member(META_KEY + ".npy", meta_bytes(document({}, {**declared, "opt.eta": {"shape": [1], "dtype": "|O"}},
                                                                   kind="checkpoint")))
        members.append(Member("opt.eta.npy", object_member))
    if place == "predict input":
        path = tmp_path / "x.npy"
        path.write_bytes(object_member)
        with pytest.raises(FileFormatError, match="no pickled objects"):
            load_npy(path)
    else:
        write_zip(path, members)
        load = (lambda p: Network([3, 2], seed=0).fit(np.zeros((2, 3)), [0, 1], epochs=1, verbose=False, resume=p)) \
            if place == "checkpoint optimizer state" else bprop.load
        try:
            load(path)
        except FileFormatError:
            pass
    assert not marker.exists()
    pickle.loads(pickle.dumps(Marker()))  # the payload is live: unpickling it does create the marker
    assert marker.exists()
