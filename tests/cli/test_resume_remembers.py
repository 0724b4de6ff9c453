"""Issue 18, item 3: resume that remembers. A checkpoint of 'bprop train' stores the data source, the
output files and the settings; '--resume CKPT' continues all of them, refuses options that cannot
change, honours those that can, and warns when the BLAS thread count differs."""

import hashlib
import os

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import bprop
from bprop.cli import main
from bprop.training import BlasThreadsWarning, blas_threads, read_checkpoint

from .clirun import bprop as run_bprop, same_weights
from .test_cli_training_toolkit import mnist_dir  # noqa: F401 (a fixture)


def write_csv(path, n=120, seed=0):
    """A CSV with a header and string labels: 5 features, 3 classes that depend on them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    names = np.array(["setosa", "versicolor", "virginica"])[np.argmax(x[:, :3], axis=1)]
    rows = ["f1,f2,f3,f4,f5,species"] + [",".join(f"{v:.5f}" for v in row) + f",{label}" for row, label in zip(x, names)]
    path.write_text("\n".join(rows) + "\n")


TRAIN = ["--target", "species", "--sizes", "5,6,3", "--batch-size", "8", "--eta", "0.01", "--quiet"]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def first_two_epochs(tmp_path):
    """A run of 2 epochs on a CSV (with one BLAS thread) that wrote a checkpoint, a model and a history."""
    (tmp_path / "data").mkdir()
    (tmp_path / "run").mkdir()
    write_csv(tmp_path / "data" / "train.csv")
    code, out, err = run_bprop("train", "--data", "../data/train.csv", *TRAIN, "--epochs", "2",
                               "--checkpoint", "run.ckpt", "--save", "m.npz", "--history", "h.json",
                               cwd=tmp_path / "run", OPENBLAS_NUM_THREADS="1")
    assert code == 0, err
    return tmp_path


def test_resume_from_another_folder_continues_the_checkpoint_model_and_history(first_two_epochs, tmp_path):
    run = tmp_path / "run"
    config = read_checkpoint(run / "run.ckpt")
    settings = config["settings"]
    assert config["blas_threads"] == 1
    assert settings["data"] == str(tmp_path / "data" / "train.csv")  # stored absolute
    assert (settings["save"], settings["history"], settings["checkpoint"]) == (
        str(run / "m.npz"), str(run / "h.json"), str(run / "run.ckpt"))
    (tmp_path / "elsewhere").mkdir()
    code, out, err = run_bprop("train", "--resume", "../run/run.ckpt", "--epochs", "4", "--quiet",
                               cwd=tmp_path / "elsewhere", OPENBLAS_NUM_THREADS="1")
    assert code == 0, err
    assert err == ""  # the same BLAS thread count: no warning
    assert f"model saved to {run / 'm.npz'}" in out and f"history saved to {run / 'h.json'}" in out
    assert read_checkpoint(run / "run.ckpt")["epoch"] == 4  # it kept writing the checkpoint
    assert len(bprop.training.History.load(run / "h.json")) == 4  # the history of all four epochs
    assert os.listdir(tmp_path / "elsewhere") == []
    # Bit-identical to an uninterrupted run of four epochs at the same thread count.
    with threadpool_limits(1, user_api="blas"):
        assert main(["train", "--data", str(tmp_path / "data" / "train.csv"), *TRAIN, "--epochs", "4",
                     "--save", str(tmp_path / "straight.npz")]) == 0
    assert same_weights(bprop.load(run / "m.npz"), bprop.load(tmp_path / "straight.npz"))


def test_options_that_cannot_change_are_refused_before_anything_is_written(first_two_epochs, tmp_path):
    run = tmp_path / "run"
    write_csv(tmp_path / "data" / "other.csv", seed=1)
    before = {name: digest(run / name) for name in ("run.ckpt", "m.npz", "h.json")}
    code, out, err = run_bprop("train", "--resume", "run.ckpt", "--epochs", "5", "--eta", "0.5", "--sizes", "5,9,3",
                               "--data", "../data/other.csv", "--seed", "0", "--save", "new.npz", cwd=run)
    assert code == 2 and out == ""
    assert err.startswith("bprop train: error: --sizes, --eta, --data cannot change when resuming: the run in "
                          "run.ckpt has --sizes 5,6,3; --eta 0.01; --data ")
    assert "only --epochs, --data-dir, --save, --history, --checkpoint may be given anew" in err
    assert {name: digest(run / name) for name in before} == before
    assert not (run / "new.npz").exists()
    # The same values as the run's, a relative path to the same data included, are accepted.
    code, out, err = run_bprop("train", "--resume", "run.ckpt", "--epochs", "3", "--eta", "0.01", "--sizes", "5,6,3",
                               "--data", "../data/train.csv", "--quiet", cwd=run)
    assert code == 0, err


def test_a_new_save_path_and_another_blas_thread_count(first_two_epochs, tmp_path, capsys):
    run = tmp_path / "run"
    old_model = digest(run / "m.npz")
    with threadpool_limits(2, user_api="blas"):
        assert blas_threads() == 2
        code = main(["train", "--resume", str(run / "run.ckpt"), "--epochs", "3", "--save", str(tmp_path / "new.npz"),
                     "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err == (f"bprop train: warning: {run / 'run.ckpt'} was written with 1 BLAS thread, this process uses 2: "
                   "the resumed run will not be bit-identical to an uninterrupted one (BLAS sums in another order); "
                   "set OPENBLAS_NUM_THREADS=1 (or OMP_NUM_THREADS / MKL_NUM_THREADS) to match\n")
    assert digest(run / "m.npz") == old_model  # the new --save path was honoured instead
    assert bprop.load(tmp_path / "new.npz").sizes == [5, 6, 3]
    config = read_checkpoint(run / "run.ckpt")
    assert config["epoch"] == 3 and config["settings"]["save"] == str(tmp_path / "new.npz")
    assert config["blas_threads"] == 2


def test_fit_warns_when_resuming_under_another_thread_count(tmp_path):
    x, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    with threadpool_limits(1, user_api="blas"):
        bprop.Network([3, 4, 2], seed=0).fit(x, y, epochs=1, batch_size=8, checkpoint=tmp_path / "c.ckpt",
                                             verbose=False)
    with threadpool_limits(2, user_api="blas"), pytest.warns(BlasThreadsWarning, match="not be bit-identical"):
        bprop.Network([3, 4, 2], seed=0).fit(x, y, epochs=2, batch_size=8, resume=tmp_path / "c.ckpt", verbose=False)


def test_an_mnist_run_resumes_without_its_data_dir(tmp_path, mnist_dir, monkeypatch, capsys):  # noqa: F811
    common = ["--sizes", "784,8,10", "--batch-size", "20", "--quiet"]
    assert main(["train", "--dataset", "mnist", "--data-dir", str(mnist_dir), *common, "--epochs", "1",
                 "--checkpoint", str(tmp_path / "ck.npz")]) == 0
    monkeypatch.chdir(mnist_dir.parent.parent)
    assert main(["train", "--resume", str(tmp_path / "ck.npz"), "--epochs", "2", "--save", str(tmp_path / "m.npz"),
                 "--quiet"]) == 0, capsys.readouterr().err
    assert read_checkpoint(tmp_path / "ck.npz")["epoch"] == 2
    assert main(["train", "--dataset", "mnist", "--data-dir", str(mnist_dir), *common, "--epochs", "2",
                 "--save", str(tmp_path / "straight.npz")]) == 0
    assert same_weights(bprop.load(tmp_path / "m.npz"), bprop.load(tmp_path / "straight.npz"))


def test_resume_after_the_csv_was_edited_is_refused_naming_the_files(first_two_epochs, tmp_path):
    """The checkpoint's data digest refuses a CSV edited since it was written; the message names
    the run's data file (a command-line user gave no x, y or sample_weight), and nothing is written.
    The unchanged CSV resumes."""
    run, data = tmp_path / "run", tmp_path / "data" / "train.csv"
    original = data.read_text()
    lines = original.splitlines()
    lines[5] = lines[5].replace(",", ",1", 1)  # one feature of one row changed
    data.write_text("\n".join(lines) + "\n")
    before = {name: digest(run / name) for name in ("run.ckpt", "m.npz", "h.json")}
    code, out, err = run_bprop("train", "--resume", "run.ckpt", "--epochs", "3", cwd=run, OPENBLAS_NUM_THREADS="1")
    assert code == 2, (out, err)
    assert "other data" in err and str(data) in err and "changed since" in err and "sample_weight" not in err, err
    assert {name: digest(run / name) for name in before} == before
    data.write_text(original)
    code, out, err = run_bprop("train", "--resume", "run.ckpt", "--epochs", "3", cwd=run, OPENBLAS_NUM_THREADS="1")
    assert code == 0, err
