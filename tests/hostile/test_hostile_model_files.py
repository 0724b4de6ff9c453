"""Crafted model files (issue 16, failures 2, 3 and 6): one clear FileFormatError, bounded memory."""

import json
import os

import numpy as np
import pytest

import bprop
from bprop import Network
from bprop.io import META_KEY, FileFormatError, load_arrays

from .builders import (
    MEASURE,
    Member,
    deflated,
    document,
    meta_bytes,
    model_members,
    npy_bytes,
    npy_header,
    run_cli,
    run_python,
    small_model_arrays,
    small_model_config,
    write_zip,
    zero_bomb,
)


def crafted(tmp_path, members, name="model.npz"):
    path = tmp_path / name
    write_zip(path, members)
    return path


def valid_members(**config_changes):
    config = small_model_config()
    config.update(config_changes)
    return model_members(config, small_model_arrays())


def test_the_builder_makes_a_loadable_model(tmp_path):
    # The hand-built zip is a real model file, so the refusals below are about what each case changes.
    net = bprop.load(crafted(tmp_path, valid_members()))
    assert net.sizes == [3, 2]
    np.testing.assert_array_equal(net.weights[0], small_model_arrays()["layer0.weights"])


def nested_metadata():
    return [Member(META_KEY + ".npy", meta_bytes("[" * 100_000 + "]" * 100_000))]


def huge_shape(shape):
    members = valid_members()
    members[1] = Member("layer0.weights.npy", npy_header(shape) + b"\0" * 24)
    return members


def flagged(flags=0, method=None):
    members = valid_members()
    members[1].flags = flags
    if method is not None:
        members[1].method = method
    return members


def not_npy_metadata():
    members = valid_members()
    members[0] = Member(META_KEY + ".npy", b"hello, I am not an array")
    return members


def metadata_under_another_name():
    members = valid_members()
    members[0] = Member(META_KEY + ".json", b"{}")
    return members


def duplicated_member():
    members = valid_members()
    evil = small_model_arrays()["layer0.weights"] * 0 + 7
    return members + [Member("layer0.weights.npy", npy_bytes(evil))]


CRAFTED = {
    # failure 3: tracebacks from crafted model files
    "metadata of 100,000 nested lists": (nested_metadata, "nested 100000 levels deep"),
    "npy header shape (2^40,)": (lambda: huge_shape((2**40,)), "needs 4,398,046,511,104 bytes"),
    "npy header shape (10^30,)": (lambda: huge_shape((10**30,)), "needs 4,000,000,000,000,000,000,000,000,000,000 bytes"),
    "npy header shape (2^63, 2^63)": (lambda: huge_shape((2**63, 2**63)), "needs .* bytes of data"),
    "npy header negative shape": (lambda: huge_shape((-1,)), "not a valid .npy|invalid shape"),
    "zip encryption flag": (lambda: flagged(flags=1), "encrypted"),
    "compression method 9": (lambda: flagged(method=9), "compression method 9"),
    "compression method 99": (lambda: flagged(method=99), "compression method 99"),
    "metadata member that is not .npy": (not_npy_metadata, "not a valid .npy array"),
    "metadata member named .json": (metadata_under_another_name, "is not a .npy array"),
    "pickled object array": (lambda: valid_members()[:1] + [
        Member("layer0.weights.npy", npy_header((2, 3), descr="|O") + b"\x80\x04N."),
        valid_members()[2]], "no pickled objects"),
    "structured dtype": (lambda: valid_members()[:1] + [
        Member("layer0.weights.npy", npy_header((2, 3), descr=[("a", "<f4")]) + b"\0" * 24),
        valid_members()[2]], "only bool, integer, float and complex"),
    # failure 6: lax model checks
    "duplicated zip member": (duplicated_member, "appears twice"),
    "model_version true": (lambda: valid_members(model_version=True), "model_version.*integer"),
    "model_version -5": (lambda: valid_members(model_version=-5), "model_version.*must be in"),
    "model_version 99": (lambda: valid_members(model_version=99), "newer than this bprop"),
    "train_biases 'no'": (lambda: model_members(small_model_config(train_biases="no"), small_model_arrays()),
                          "train_biases.*true or false"),
    "unknown activation": (lambda: model_members(small_model_config(activation="evil"), small_model_arrays()),
                           "unknown activation 'evil'"),
    "layers that do not chain": (lambda: model_members(
        {**small_model_config(), "sizes": [3, 2, 2], "layers": [small_model_config()["layers"][0],
                                                                   {**small_model_config()["layers"][0], "n_in": 5}]},
        small_model_arrays()), "do not chain"),
    "weights of 3e38": (lambda: model_members(small_model_config(), {
        **small_model_arrays(), "layer0.weights": np.full((2, 3), 3e38, np.float32)}), "magnitude 3e\\+38"),
    "weights NaN": (lambda: model_members(small_model_config(), {
        **small_model_arrays(), "layer0.weights": np.full((2, 3), np.nan, np.float32)}), "NaN"),
    "deep config": (lambda: model_members({**small_model_config(), "extra": json.loads("[" * 70 + "]" * 70)},
                                          small_model_arrays()), "nested 72 levels deep"),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_model_file_gives_one_clear_error(tmp_path, case):
    build, message = CRAFTED[case]
    path = crafted(tmp_path, build())
    with pytest.raises(FileFormatError, match=message) as info:
        bprop.load(path)
    assert str(path) in str(info.value)
    assert "pickle" not in str(info.value).replace("no pickled objects", "")


@pytest.mark.parametrize("case", ["metadata of 100,000 nested lists", "npy header shape (10^30,)",
                                  "zip encryption flag", "compression method 99", "metadata member that is not .npy"])
def test_crafted_model_file_is_one_line_and_exit_2_in_the_cli(tmp_path, case):
    path = crafted(tmp_path, CRAFTED[case][0]())
    code, out, err = run_cli("predict", path, path)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("bprop predict: error: ") and "Traceback" not in err


def test_unknown_config_keys_are_kept_out_of_the_way(tmp_path):
    # A newer writer may add keys: the loader ignores what it does not know.
    members = model_members({**small_model_config(), "calibration": {"t": 1.5}, "notes": ["x"]}, small_model_arrays())
    assert bprop.load(crafted(tmp_path, members)).sizes == [3, 2]


def test_known_extension_keys_are_checked_by_their_schema(tmp_path):
    config = {**small_model_config(), "task": "classification", "classes": ["cat", "dog"],
              "preprocessing": {"name": "scale", "factor": 0.5}}
    net = bprop.load(crafted(tmp_path, model_members(config, small_model_arrays())))
    assert list(net.classes) == ["cat", "dog"]
    for change, message in (({"task": "evil"}, "'task' must be one of"),
                            ({"classes": [{"a": 1}, "dog"]}, "'classes' item 0 must be a string or a number"),
                            ({"preprocessing": {"name": "scale", "factor": -1}}, "'factor' must be > 0"),
                            ({"preprocessing": {"name": "standardize", "mean": [0, 0, 0], "std": [1, 0, 1]}},
                             "'std' item 1 must be > 0"),
                            ({"preprocessing": "scale"}, "must be a JSON object")):
        path = crafted(tmp_path, model_members({**config, **change}, small_model_arrays()), name="bad.npz")
        with pytest.raises(FileFormatError, match=message):
            bprop.load(path)


# --------------------------------------------------------------------------
# Failure 2: small files, huge memory (each measured in a fresh process)
# --------------------------------------------------------------------------

LIMIT_MIB = 256


def measure(code):
    status, out, err = run_python(MEASURE + code, timeout=120)
    assert status == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_deflate_bomb_declared_in_the_metadata_is_refused_before_inflating(tmp_path):
    n = 3 << 30  # 3 GiB of zeros in a 3 MB member
    header = npy_header((n // 4,))
    declared = {"layer0.weights": {"shape": [n // 4], "dtype": "<f4"}}
    members = [Member(META_KEY + ".npy", meta_bytes(document({}, declared))),
               Member("layer0.weights.npy", method=8, stored=zero_bomb(n, header), crc=0, file_size=len(header) + n)]
    path = crafted(tmp_path, members)
    assert os.path.getsize(path) < 4 << 20
    result = measure(f"from bprop.io import load_arrays\nreport(lambda: load_arrays({str(path)!r}, kind='model'))")
    assert result["error"][0] == "FileFormatError" and "decompression bomb" in result["error"][1]
    assert result["peak_mib"] < LIMIT_MIB


def test_deflate_member_that_inflates_past_its_declared_size_stops_there(tmp_path):
    # The directory says 4 KB; the stream holds 1 GiB of zeros. Reading stops at 4 KB: CRC mismatch.
    header = npy_header((1000,))
    stream = zero_bomb(1 << 30, header)
    members = [Member(META_KEY + ".npy", meta_bytes(document({}, {"w": {"shape": [1000], "dtype": "<f4"}}))),
               Member("w.npy", method=8, stored=stream, crc=0, file_size=len(header) + 4000)]
    path = crafted(tmp_path, members)
    result = measure(f"from bprop.io import load_arrays\nreport(lambda: load_arrays({str(path)!r}, kind='model'))")
    assert result["error"][0] == "FileFormatError" and "truncated or corrupt" in result["error"][1]
    assert result["peak_mib"] < LIMIT_MIB


def test_huge_layer_in_a_small_model_file_is_refused_before_building(tmp_path):
    config = small_model_config(n_in=30000, n_out=30000)
    config["sizes"] = [30000, 30000]
    declared = {"layer0.weights": {"shape": [30000, 30000], "dtype": "<f4"},
                "layer0.biases": {"shape": [30000], "dtype": "<f4"}}
    members = [Member(META_KEY + ".npy", meta_bytes(document(config, declared))),
               Member("layer0.weights.npy", npy_header((30000, 30000)) + b"\0" * 100),
               Member("layer0.biases.npy", npy_header((30000,)) + b"\0" * 100)]
    path = crafted(tmp_path, members)
    assert os.path.getsize(path) < 4096
    result = measure(f"import bprop\nreport(lambda: bprop.load({str(path)!r}))")
    assert result["error"][0] == "FileFormatError" and "needs 3,600,000,000 bytes" in result["error"][1]
    assert result["peak_mib"] < LIMIT_MIB


def test_huge_config_with_small_arrays_builds_nothing(tmp_path):
    # A 1 KB valid container whose config declares a 30000 x 30000 layer: main built the
    # randomly initialized network first (10.6 GB measured) and then compared shapes.
    config = small_model_config(n_in=30000, n_out=30000)
    config["sizes"] = [30000, 30000]
    path = crafted(tmp_path, model_members(config, small_model_arrays()))
    result = measure(f"import bprop\nreport(lambda: bprop.load({str(path)!r}))")
    assert result["error"][0] == "FileFormatError" and "the config's layers need (30000, 30000)" in result["error"][1]
    assert result["peak_mib"] < LIMIT_MIB


def test_compressed_metadata_may_not_amplify(tmp_path):
    config = {f"k{i}": 0 for i in range(300_000)}  # 4 MB of JSON deflating to 0.7 MB
    path = crafted(tmp_path, [deflated(META_KEY + ".npy", meta_bytes(document(config)))])
    with pytest.raises(FileFormatError, match="compressed metadata of .* bytes"):
        bprop.load(path)


def test_metadata_filling_a_9_mb_file_parses_in_bounded_memory(tmp_path):
    # Parsed JSON takes several times its text: the worst stored case, many keys, stays bounded.
    config = {f"k{i}": 0 for i in range(650_000)}
    path = crafted(tmp_path, [Member(META_KEY + ".npy", meta_bytes(document(config)))])
    assert os.path.getsize(path) < 10_000_000
    result = measure(f"import bprop\nreport(lambda: bprop.load({str(path)!r}))")
    assert result["error"][0] == "FileFormatError" and "lacks the key 'model_version'" in result["error"][1]
    assert result["peak_mib"] < LIMIT_MIB


def test_dev_zero_as_a_model_path_is_not_read():
    with pytest.raises(FileFormatError, match="not a regular file \\(a character device\\)"):
        bprop.load("/dev/zero")
    with pytest.raises(FileFormatError, match="not a regular file \\(a character device\\)"):
        bprop.load("/dev/urandom")


def test_a_directory_as_a_model_path(tmp_path):
    with pytest.raises(FileFormatError, match="not a regular file \\(a directory\\)"):
        bprop.load(tmp_path)


def test_summary_of_a_huge_network_counts_without_allocating():
    code, out, err = run_python(MEASURE + """
from bprop.cli import main
report(lambda: main(["summary", "100000,100000"]))
""")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["error"] is None and "10,000,100,000" in out
    assert result["peak_mib"] < LIMIT_MIB


def test_expansion_limit_has_an_override(tmp_path, monkeypatch):
    net = Network([20, 10], seed=0)
    net.save(tmp_path / "m.npz")
    monkeypatch.setenv("BPROP_MAX_FILE_BYTES", "100")
    with pytest.raises(FileFormatError, match="more than the limit of 100 .*BPROP_MAX_FILE_BYTES"):
        bprop.load(tmp_path / "m.npz")
    monkeypatch.setenv("BPROP_MAX_FILE_BYTES", "1000000")
    assert bprop.load(tmp_path / "m.npz").sizes == [20, 10]
