"""Paths that are not regular files, bombs in data files, odd inputs to the CLI (issue 16, failures 2, 3, 4, 7)."""

import gzip
import json
import os
import re

import numpy as np
import pytest

import bprop
from bprop import Network
from bprop.datasets import read_idx
from bprop.datasets.idx import encode_idx
from bprop.io import FileFormatError, load_npy, open_regular
from bprop.training import History

from .builders import MEASURE, gzip_idx_bomb, run_cli, run_python

LIMIT_MIB = 256


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.npz"
    Network([64, 10], seed=0).save(path)
    return path


# --------------------------------------------------------------------------
# Failure 4: hangs. Each risky call runs in a subprocess with a timeout.
# --------------------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.npz"
    os.mkfifo(path)
    return path


def test_open_regular_refuses_a_named_pipe_without_blocking(fifo):
    # Structural: O_NONBLOCK + fstat, so this returns at once even with no writer.
    with pytest.raises(FileFormatError, match="not a regular file \\(a named pipe\\)"):
        open_regular(fifo)


def test_bprop_load_of_a_named_pipe_does_not_hang(fifo):
    code, out, err = run_python(f"""
import bprop
try:
    bprop.load({str(fifo)!r})
except ValueError as error:
    print(type(error).__name__, error)
""", timeout=30)
    assert code == 0, err
    assert "FileFormatError" in out and "not a regular file (a named pipe)" in out


@pytest.mark.parametrize("command", ["predict-model", "predict-input", "evaluate", "plot"])
def test_cli_with_a_named_pipe_does_not_hang(tmp_path, model, command):
    pipe = tmp_path / ("pipe.json" if command == "plot" else "pipe.npy")
    os.mkfifo(pipe)
    argv = {"predict-model": ["predict", pipe, tmp_path / "x.npy"], "predict-input": ["predict", model, pipe],
            "evaluate": ["evaluate", pipe], "plot": ["plot", pipe]}[command]
    np.save(tmp_path / "x.npy", np.zeros((1, 64)))
    code, out, err = run_cli(*argv, timeout=30)
    assert code == 2 and err.count("\n") == 1 and "not a regular file (a named pipe)" in err, err


@pytest.mark.parametrize("device", ["/dev/urandom", "/dev/zero"])
def test_devices_as_model_and_input_are_refused(model, device):
    code, out, err = run_cli("predict", device, device, timeout=30)
    assert code == 2 and "not a regular file (a character device)" in err, err
    code, out, err = run_cli("predict", model, device, timeout=30)
    assert code == 2 and "not a regular file (a character device)" in err, err


def test_checkpoint_and_history_paths_must_be_regular_files(tmp_path):
    x, y = np.zeros((4, 3)), np.array([0, 1, 0, 1])
    with pytest.raises(FileFormatError, match="a directory"):
        Network([3, 2], seed=0).fit(x, y, epochs=1, verbose=False, resume=tmp_path)
    link = tmp_path / "h.json"  # History.load picks the format by suffix: a link named .json to /dev/zero
    link.symlink_to("/dev/zero")
    with pytest.raises(FileFormatError, match="a character device"):
        History.load(link)


# --------------------------------------------------------------------------
# Failure 2: gzip bomb named like an IDX file (predict and the MNIST loader)
# --------------------------------------------------------------------------


def test_gzip_bomb_idx_stops_at_the_declared_size(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    gzip_idx_bomb(path, n_images=100, extra_zero_bytes=6 << 30)  # 100 images declared, 6 GiB of zeros follow
    assert os.path.getsize(path) < 8 << 20
    code, out, err = run_python(MEASURE + f"""
from bprop.datasets import read_idx
report(lambda: read_idx({str(path)!r}))
""", timeout=60)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["error"][0] == "FileFormatError" and "trailing bytes" in result["error"][1]
    assert result["peak_mib"] < LIMIT_MIB


def test_gzip_bomb_idx_declaring_a_huge_shape_is_refused_before_reading(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    gzip_idx_bomb(path, n_images=2_000_000, extra_zero_bytes=16 << 20)  # declares 1.6 GB
    code, out, err = run_python(MEASURE + f"""
from bprop.datasets import read_idx
report(lambda: read_idx({str(path)!r}))
""", timeout=60)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["error"][0] == "FileFormatError" and "decompression bomb" in result["error"][1]
    assert result["peak_mib"] < LIMIT_MIB


def test_gzip_bomb_in_bprop_predict_and_the_mnist_loader(tmp_path):
    model = tmp_path / "m.npz"
    Network([784, 10], seed=0).save(model)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, n in (("train-images-idx3-ubyte", 50), ("t10k-images-idx3-ubyte", 50)):
        gzip_idx_bomb(folder / f"{name}.gz", n_images=n, extra_zero_bytes=3 << 30)
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        (folder / f"{name}.gz").write_bytes(gzip.compress(encode_idx(np.zeros(50, np.uint8))))
    code, out, err = run_python(MEASURE + f"""
from bprop.cli import main
report(lambda: main(["predict", {str(model)!r}, {str(folder / 't10k-images-idx3-ubyte.gz')!r}]))
from bprop.datasets import load_mnist
report(lambda: load_mnist({str(folder)!r}, download=False, verify=False))
""", timeout=120)
    predict, loader = (json.loads(line) for line in out.strip().splitlines()[-2:])
    assert "trailing bytes" in err and predict["error"] is None  # main printed one line and returned 2
    assert loader["error"][0] == "FileFormatError" and "trailing bytes" in loader["error"][1]
    assert max(predict["peak_mib"], loader["peak_mib"]) < LIMIT_MIB


def test_real_sized_gzip_idx_still_reads(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (500, 28, 28), dtype=np.uint8)
    path = tmp_path / "imgs-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(encode_idx(images)))
    np.testing.assert_array_equal(read_idx(path), images)


# --------------------------------------------------------------------------
# Failure 3: deeply nested history for 'bprop plot'
# --------------------------------------------------------------------------


def test_plot_of_a_deeply_nested_history_is_one_line(tmp_path):
    path = tmp_path / "h.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    code, out, err = run_cli("plot", path)
    assert code == 2 and err.count("\n") == 1 and "nested 100000 levels deep" in err, err


@pytest.mark.parametrize("text, message", [
    ('{"format": "bprop-history", "version": true, "epochs": []}', "version must be an integer"),
    ('{"format": "bprop-history", "version": 1, "epochs": [{"train_cost": "low"}]}', "number or null"),
    ('[{"train_cost": [1]}]', "number or null"),
])
def test_history_rows_are_typed(tmp_path, text, message):
    path = tmp_path / "h.json"
    path.write_text(text)
    with pytest.raises(FileFormatError, match=message):
        History.load(path)


# --------------------------------------------------------------------------
# Failure 7: odd data files in the CLI
# --------------------------------------------------------------------------


def write(path, data: bytes):
    path.write_bytes(data)
    return path


def npy_file(tmp_path, array, name="x.npy"):
    path = tmp_path / name
    np.save(path, array)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda p: npy_file(p, np.array(3.0)), "a single number \\(a 0-d array\\)"),
    (lambda p: npy_file(p, np.zeros((0, 8, 8))), "holds no samples \\(shape \\(0, 8, 8\\)\\)"),
    (lambda p: npy_file(p, np.zeros((3, 0))), "samples without features"),
    (lambda p: npy_file(p, np.array(["a", "b"])), "only bool, integer, float and complex"),
    (lambda p: write(p / "x.csv", "1,2\n3,4\n".encode("utf-16")), "not UTF-8 text.*UTF-16"),
    (lambda p: write(p / "x.csv", "caf\u00e9,1\n1,2\n".encode("latin-1")), "not UTF-8 text: byte 0xe9"),
    (lambda p: write(p / "x.csv", b"1,2\nthree,4\n"), "must hold numbers.*line 2 has .three."),
    (lambda p: write(p / "t10k-labels-idx1-ubyte", encode_idx(np.zeros(10000, np.uint8))),
     "10000 single values \\(a labels file\\?\\)"),
    (lambda p: write(p / "x.npy", b"\x93NUMPY\x01\x00" + b"\xff" * 20), "not a valid .npy"),
])
def test_odd_input_files_give_one_line_naming_the_file(tmp_path, model, make, message):
    path = make(tmp_path)
    code, out, err = run_cli("predict", model, path)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and str(path) in err, err
    assert re.search(message, err), err
    assert "allow_pickle" not in err


@pytest.mark.parametrize("name", ["data.npy", "data.npz", "data.csv"])
def test_training_data_files_are_read_safely(tmp_path, name):
    from bprop.datasets import read_table

    pipe = tmp_path / name
    os.mkfifo(pipe)
    with pytest.raises(ValueError, match="not a regular file \\(a named pipe\\)"):
        read_table(pipe)


def test_npz_data_with_a_lying_header_is_refused_before_reading(tmp_path):
    from bprop.datasets import read_table

    from .builders import Member, npy_header, write_zip

    write_zip(tmp_path / "d.npz", [Member("x.npy", npy_header((10**6, 10**6)) + b"\0" * 64)])
    with pytest.raises(ValueError, match="needs 4,000,000,000,000 bytes"):
        read_table(tmp_path / "d.npz")


def test_load_npy_checks_the_header_against_the_file_size(tmp_path):
    path = npy_file(tmp_path, np.zeros((4, 4)))
    data = path.read_bytes()
    path.write_bytes(data[:-8])
    with pytest.raises(FileFormatError, match="truncated or corrupt .npy"):
        load_npy(path)
    header_claims_more = data.replace(b"(4, 4)", b"(9, 4)")
    path.write_bytes(header_claims_more)
    with pytest.raises(FileFormatError, match="needs 288 bytes"):
        load_npy(path)
