"""Saving and loading networks: exact round trips, atomic writes, clear errors for bad files."""

import json
import zipfile

import numpy as np
import pytest

import bprop
from bprop import Dense, Dropout, L1, Network
from bprop.activations import LeakyReLU
from bprop.io import load_arrays, save_arrays


def nets():
    yield Network([6, 5, 3], hidden="sigmoid", output="sigmoid", cost="cross_entropy", seed=1)
    yield Network([6, 7, 5, 3], hidden="relu", seed=2, dtype="float64", dropout=0.4, regularizer=("l2", 5.0))
    yield Network(layers=[Dense(6, 4, LeakyReLU(0.2), init="normal"), Dropout(0.1),
                          Dense(4, 3, "softmax", train_biases=False)], regularizer=L1(0.5, n=100), seed=3)


@pytest.mark.parametrize("net", list(nets()), ids=["sigmoid-ce", "relu-dropout-l2", "explicit-layers"])
def test_round_trip_is_exact(tmp_path, net):
    path = tmp_path / "model.npz"
    net.save(path)
    loaded = bprop.load(path)
    assert loaded.config() == net.config()
    assert repr(loaded) == repr(net) and loaded.dtype == net.dtype
    for (p, _), (q, _) in zip(net.trainable_parameters(), loaded.trainable_parameters()):
        assert p.dtype == q.dtype and np.array_equal(p, q)
    x = np.random.default_rng(0).standard_normal((4, 6))
    np.testing.assert_array_equal(loaded.feedforward(x), net.feedforward(x))


def test_loaded_network_keeps_leaky_slope_and_regularizer(tmp_path):
    net = list(nets())[2]
    net.save(tmp_path / "m.npz")
    loaded = bprop.load(tmp_path / "m.npz")
    assert loaded.dense_layers[0].activation.slope == 0.2
    assert not loaded.dense_layers[1].train_biases
    assert isinstance(loaded.regularizer, L1) and loaded.regularizer.n == 100


def test_file_is_plain_npz_without_pickle(tmp_path):
    Network([3, 2], seed=0).save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert set(archive.files) == {"__bprop__", "layer0.weights", "layer0.biases"}


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    Network([3, 2], seed=0).save(path)
    before = path.read_bytes()
    import bprop.io

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(bprop.io.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        Network([3, 4, 2], seed=1).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    Network([30, 20, 2], seed=0).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="m.npz"):
        bprop.load(path)


def test_foreign_and_wrong_kind_files_are_refused(tmp_path):
    np.savez(tmp_path / "foreign.npz", w=np.zeros(3))
    with pytest.raises(ValueError, match="foreign.npz"):
        bprop.load(tmp_path / "foreign.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a bprop file"):
        bprop.load(tmp_path / "text.npz")
    save_arrays(tmp_path / "ck.npz", {"a": np.zeros(2)}, {}, kind="checkpoint")
    with pytest.raises(ValueError, match="ck.npz"):
        bprop.load(tmp_path / "ck.npz")


def rewrite(path, change):
    arrays, config = load_arrays(path, kind="model")
    change(arrays, config)
    save_arrays(path, arrays, config, kind="model")


@pytest.mark.parametrize("change, message", [
    (lambda a, c: c.update(model_version=99), "model version 99"),
    (lambda a, c: c["layers"].append({"type": "conv"}), "unknown layer type 'conv'"),
    (lambda a, c: a.pop("layer1.biases"), "missing"),
    (lambda a, c: a.update({"layer0.weights": np.zeros((2, 2), np.float32)}), "shape"),
    (lambda a, c: a.update({"layer0.weights": a["layer0.weights"].astype(np.float64)}), "float64"),
    (lambda a, c: c.update(cost="hinge"), "unknown cost"),
    (lambda a, c: c.pop("layers"), "bad model config"),
    (lambda a, c: a["layer0.biases"].__setitem__(0, np.nan), "NaN"),
    (lambda a, c: c.update(feature_names=["a", "b"]), "feature_names must be 4 strings"),
    (lambda a, c: c.update(feature_names=[1, 2, 3, 4]), "'feature_names' item 0 must be a string"),
])
def test_inconsistent_model_files_give_one_clear_error(tmp_path, change, message):
    path = tmp_path / "m.npz"
    Network([4, 3, 2], hidden="tanh", seed=0).save(path)
    rewrite(path, change)
    with pytest.raises(ValueError, match=message) as error:
        bprop.load(path)
    assert "m.npz" in str(error.value)


@pytest.mark.parametrize("net", list(nets()), ids=["sigmoid-ce", "relu-dropout-l2", "explicit-layers"])
def test_from_config_rebuilds_the_architecture(net):
    rebuilt = Network.from_config(net.config(), seed=7)
    assert rebuilt.config() == net.config() and rebuilt.seed == 7
    fresh = Network.from_config(net.config(), seed=7)
    for (p, _), (q, _) in zip(rebuilt.trainable_parameters(), fresh.trainable_parameters()):
        assert np.array_equal(p, q)  # initialized from the seed, not copied from net


@pytest.mark.parametrize("config, message", [
    ([6, 5, 3], "must be a dict"),
    ({"layers": [], "cost": "quadratic", "dtype": "float32"}, "layers"),
    ({"layers": [{"type": "dense", "n_in": 3, "n_out": 2, "activation": "tanh"}], "cost": "hinge",
      "dtype": "float32"}, "unknown cost"),
])
def test_from_config_names_the_problem(config, message):
    with pytest.raises(ValueError, match=message):
        Network.from_config(config)


def test_read_model_gives_the_checked_config_and_arrays(tmp_path):
    from bprop import model_file

    net = list(nets())[1]
    net.save(tmp_path / "m.npz")
    config, arrays = model_file.read_model(tmp_path / "m.npz")
    assert config["model_version"] == 1 and config["bprop_version"] == bprop.__version__  # (2: target statistics)
    assert {key: config[key] for key in net.config()} == net.config()
    assert sorted(arrays) == sorted(model_file.expected_arrays(config))
    assert all(np.array_equal(arrays[f"layer{i}.weights"], layer.params["weights"])
               for i, layer in enumerate(net.layers) if layer in net.dense_layers)


def test_serialization_keeps_its_public_names():
    from bprop import model_file, serialization

    assert bprop.load is serialization.load_model
    names = ["save_model", "read_model", "layer_from_config", "check_model_config", "expected_arrays",
             "MODEL_FIELDS", "LAYER_SCHEMAS", "MODEL_VERSION", "PARAMETER_PREFIX", "MAX_PARAMETERS"]
    assert all(getattr(serialization, name) is getattr(model_file, name) for name in names)
    assert all(hasattr(serialization, name) for name in serialization.__all__)
    assert serialization.network_from_config(list(nets())[0].config()).config() == list(nets())[0].config()


def test_feature_names_are_saved_with_the_model(tmp_path):
    net = Network([3, 4, 2], seed=0, feature_names=["height", "weight", "age"])
    net.save(tmp_path / "m.npz")
    assert bprop.load(tmp_path / "m.npz").feature_names == ["height", "weight", "age"]
    Network([3, 4, 2], seed=0).save(tmp_path / "plain.npz")
    assert bprop.load(tmp_path / "plain.npz").feature_names is None
    with pytest.raises(ValueError, match="feature_names must be 3 strings"):
        Network([3, 4, 2], feature_names=["height"])
