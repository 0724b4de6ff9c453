"""Issue 18, item 2: nothing lost. Every output path is checked before any work, errors name the
user's path (never a temporary file), and Ctrl-C or SIGTERM during 'bprop train' writes what was asked."""

import json
import os
import sys

import numpy as np
import pytest

import bprop
from bprop.cli import main
from bprop.training import History

from .clirun import SIGINT, SIGTERM, bprop as run_bprop, same_weights, signalled

SMALL = ["--sizes", "64,8,10", "--quiet"]


def test_train_with_a_missing_save_folder_fails_at_once_in_a_subprocess(tmp_path):
    history = tmp_path / "h.json"
    history.write_text("the previous run's history")
    code, out, err = run_bprop("train", "--epochs", "20", "--save", "/nonexistent/m.npz", "--history", history)
    assert code == 2
    assert err == "bprop train: error: cannot write --save /nonexistent/m.npz: the folder /nonexistent does not exist\n"
    assert out == ""  # no data loaded, no epoch trained
    assert history.read_text() == "the previous run's history"


def test_train_into_a_folder_that_takes_no_files_fails_at_once(tmp_path):
    # Root passes os.access on /proc (a read-only folder for anyone else): the run trained every
    # epoch and then lost its weights at --save. A file is now tried in the folder before any work.
    from ..test_io import folder_refusing_new_files

    folder = folder_refusing_new_files(tmp_path)
    code, out, err = run_bprop("train", "--epochs", "20", "--save", f"{folder}/m.npz")
    assert code == 2 and out == "", out  # no data loaded, no epoch trained
    assert err.startswith(f"bprop train: error: cannot write --save {folder}/m.npz: the folder {folder} "), err


@pytest.mark.parametrize("data_option, output_option", [("--data", "--save"), ("--test-data", "--history"),
                                                         ("--data", "--checkpoint"), ("--validation-data", "--history")])
def test_an_output_naming_an_input_data_file_is_refused_and_the_data_kept(tmp_path, data_option, output_option):
    # '--test-data test.csv --history test.csv' replaced the user's test rows by the history, and
    # '--data d.npz --save d.npz' the data by the model, without a word.
    rows = "a,b,label\n" + "".join(f"{i % 7},{(i * 3) % 5},{'xy'[i % 2]}\n" for i in range(40))
    files = {option: tmp_path / f"{option.strip('-')}.csv" for option in ("--data", "--validation-data", "--test-data")}
    for path in files.values():
        path.write_text(rows)
    given = [part for option, path in files.items() for part in (option, path)]
    code, out, err = run_bprop("train", "--target", "label", "--epochs", "1", *given, output_option, files[data_option])
    assert code == 2 and out == "", out
    assert f"{output_option} {files[data_option]} is the {data_option} file" in err, err
    assert all(path.read_text() == rows for path in files.values())


def missing(tmp_path):
    return str(tmp_path / "nowhere" / "out")


@pytest.mark.parametrize("argv, option", [
    (lambda p: ["train", *SMALL, "--epochs", "50", "--save", missing(p) + ".npz"], "--save"),
    (lambda p: ["train", *SMALL, "--epochs", "50", "--history", missing(p) + ".json"], "--history"),
    (lambda p: ["train", *SMALL, "--epochs", "50", "--history", missing(p) + ".csv"], "--history"),
    (lambda p: ["train", *SMALL, "--epochs", "50", "--checkpoint", missing(p) + ".ckpt"], "--checkpoint"),
    (lambda p: ["draw", "-o", missing(p) + ".png"], "-o"),
    (lambda p: ["explain", "--format", "markdown", "-o", missing(p) + ".md"], "-o"),
    (lambda p: ["graph", "-o", missing(p) + ".svg"], "-o"),
    (lambda p: ["graph", "-o", missing(p) + ".dot"], "-o"),
    (lambda p: ["plot", str(p / "h.json"), "-o", missing(p) + ".png"], "-o"),
    (lambda p: ["evaluate", str(p / "m.npz"), "--report-png", missing(p) + ".png"], "--report-png"),
])
def test_every_output_path_is_checked_before_any_work(tmp_path, capsys, argv, option):
    History([{"epoch": 1, "train_cost": 1.0}]).save(tmp_path / "h.json")
    bprop.Network([64, 4, 10], seed=0, preprocessing=bprop.preprocessing.Scale(1 / 16)).save(tmp_path / "m.npz")
    args = argv(tmp_path)
    assert main(args) == 2
    out, err = capsys.readouterr()
    path = args[-1]
    assert err == f"bprop {args[0]}: error: cannot write {option} {path}: the folder {os.path.dirname(path)} does not exist\n"
    assert out == ""  # nothing was computed, loaded or drawn first
    assert sorted(os.listdir(tmp_path)) == ["h.json", "m.npz"]


@pytest.mark.parametrize("option", ["--save", "--history", "--checkpoint"])
def test_train_refuses_a_folder_or_a_write_protected_file_as_an_output(tmp_path, capsys, option):
    folder = tmp_path / ("out.json" if option == "--history" else "out.npz")
    folder.mkdir()
    assert main(["train", *SMALL, "--epochs", "50", option, str(folder)]) == 2
    assert f"cannot write {option} {folder}: it is a folder" in capsys.readouterr().err
    protected = tmp_path / ("p.json" if option == "--history" else "p.npz")
    protected.write_bytes(b"keep me")
    protected.chmod(0o444)
    assert main(["train", *SMALL, "--epochs", "50", option, str(protected)]) == 2
    out, err = capsys.readouterr()
    assert "write-protected" in err and str(protected) in err and out == ""
    assert protected.read_bytes() == b"keep me"


def test_two_outputs_naming_one_file_are_refused(tmp_path, capsys):
    path = str(tmp_path / "run.npz")
    assert main(["train", *SMALL, "--save", path, "--checkpoint", path]) == 2
    assert "--save and --checkpoint name the same file" in capsys.readouterr().err


def test_api_saves_name_the_users_path_and_change_nothing(tmp_path):
    net = bprop.Network([2, 3, 2], seed=0)
    before = [param.copy() for param, _ in net.trainable_parameters()]
    state = net.rng.bit_generator.state
    target = tmp_path / "missing" / "dir" / "x.ckpt"
    x, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    with pytest.raises(ValueError, match=f"cannot write the checkpoint {target}: the folder .* does not exist"):
        net.fit(x, y, epochs=1, batch_size=5, checkpoint=target, verbose=False)
    assert all(np.array_equal(a, p) for a, (p, _) in zip(before, net.trainable_parameters()))
    assert net.rng.bit_generator.state == state
    for save, name in ((net.save, "m.npz"), (History([{"epoch": 1}]).save, "h.json"), (History().save, "h.csv")):
        with pytest.raises(ValueError, match=f"cannot write {tmp_path / 'no' / name}: the folder"):
            save(tmp_path / "no" / name)
    assert os.listdir(tmp_path) == []


WRITE_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, like a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
from bprop.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_write_that_fails_midway_names_the_users_file_not_a_temporary_one(tmp_path):
    """The whole kind: any OSError while the temporary file is written is reported for the user's path."""
    import subprocess

    from .clirun import environment

    done = subprocess.run([sys.executable, "-c", WRITE_LIMITED, "train", "--epochs", "1", *SMALL, "--save", "m.npz"],
                          capture_output=True, text=True, timeout=90, env=environment(), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "bprop train: error: [Errno 27] cannot write m.npz: File too large\n"
    assert os.listdir(tmp_path) == []  # neither the model nor a temporary file


# -- Ctrl-C and SIGTERM during training ------------------------------------------------------


def reference(tmp_path, args, epochs):
    """The model and history of the same run stopped after ``epochs`` epochs (in this process)."""
    model, history = tmp_path / f"ref{epochs}.npz", tmp_path / f"ref{epochs}.json"
    assert main(["train", *args, "--quiet", "--epochs", str(epochs), "--save", str(model),
                 "--history", str(history)]) == 0
    return bprop.load(model), json.loads(history.read_text())["epochs"]


def finished_epochs(out):
    line = next(line for line in out.splitlines() if line.startswith("bprop train: interrupted by"))
    return int(line.split("; ")[1].split()[0])


def without_seconds(rows):
    return [{key: value for key, value in row.items() if key != "seconds"} for row in rows]


def test_sigterm_writes_the_checkpoint_the_best_model_and_the_history_and_exits_143(tmp_path, capsys):
    args = ["--sizes", "64,16,10", "--batch-size", "2", "--eta", "0.1", "--early-stopping", "100"]
    code, out, err = signalled([*args, "--epochs", "1000", "--checkpoint", "run.ckpt", "--save", "m.npz",
                                "--history", "h.json"], [SIGTERM], cwd=tmp_path)
    assert code == 143, out + err
    done = finished_epochs(out)
    assert done >= 1
    lines = out[out.index("bprop train: interrupted by SIGTERM"):].splitlines()
    assert lines[1].startswith("  checkpoint run.ckpt: written (at ")
    assert lines[2].startswith("  model m.npz: written, the weights of epoch ")
    assert "the best so far by val_accuracy" in lines[2]
    assert lines[3] == f"  history h.json: written, {'epoch 1' if done == 1 else f'epochs 1-{done}'}"
    assert lines[4] == "continue with: bprop train --resume run.ckpt"
    # The model is the best epoch's so far: what a run of exactly `done` epochs restores at its end.
    net, rows = reference(tmp_path, args, done)
    capsys.readouterr()
    assert same_weights(bprop.load(tmp_path / "m.npz"), net)
    assert without_seconds(json.loads((tmp_path / "h.json").read_text())["epochs"]) == without_seconds(rows)


def test_ctrl_c_without_a_checkpoint_still_writes_the_model_and_history_and_exits_130(tmp_path, capsys):
    args = ["--sizes", "64,16,10", "--batch-size", "2", "--eta", "0.1"]
    code, out, err = signalled([*args, "--epochs", "1000", "--save", "m.npz", "--history", "h.csv"], [SIGINT],
                               cwd=tmp_path)
    assert code == 130, out + err
    done = finished_epochs(out)
    assert "  no checkpoint: this run has no --checkpoint, so it cannot be resumed" in out
    assert f"  model m.npz: written, the weights after epoch {done}, the last finished" in out
    assert "continue with" not in out and err == ""
    net, rows = reference(tmp_path, args, done)
    capsys.readouterr()
    assert same_weights(bprop.load(tmp_path / "m.npz"), net)
    assert len(History.load(tmp_path / "h.csv")) == done == len(rows)
    assert sorted(os.listdir(tmp_path)) == sorted(["m.npz", "h.csv", f"ref{done}.npz", f"ref{done}.json"])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process state from /proc")
def test_a_second_signal_stops_at_once_and_names_the_existing_checkpoint(tmp_path):
    # Ctrl-C, then SIGTERM while the first is being handled (both arrive together: see clirun.signalled).
    # The handler is the one of any second signal; a second SIGINT takes the same path, exit status 130.
    code, out, err = signalled(["--sizes", "64,100,10", "--batch-size", "2", "--epochs", "1000",
                                "--checkpoint", "run.ckpt", "--save", "m.npz", "--history", "h.json"],
                               [SIGINT, SIGTERM], wait_for=tmp_path / "run.ckpt", together=True, cwd=tmp_path)
    assert code == 143, out + err
    assert err.startswith("bprop train: stopped at once by SIGTERM; not written: --save m.npz, --history h.json\n")
    assert "the checkpoint run.ckpt (last written at " in err
    assert err.rstrip().endswith("is intact; continue with: bprop train --resume run.ckpt")
    assert "interrupted by" not in out  # the first signal's writes never happened
    assert sorted(os.listdir(tmp_path)) == ["run.ckpt"]
    assert bprop.training.read_checkpoint(tmp_path / "run.ckpt")["epoch"] >= 1  # a whole epoch's checkpoint


def test_a_second_ctrl_c_stops_fit_at_once_even_inside_a_callback(tmp_path):
    """Two SIGINTs in a row (sent to this process): the first asks for a clean stop, the second,
    arriving during a callback, stops at once (KeyboardInterrupt, not TrainingInterrupted)."""
    import signal

    class CtrlCTwice(bprop.training.Callback):
        def on_batch_end(self, trainer, batch, n_batches):
            if trainer.epoch == 1 and batch == 2:
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGINT)

    x, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    with pytest.raises(KeyboardInterrupt) as stopped:
        bprop.Network([3, 4, 2], seed=0).fit(x, y, epochs=3, batch_size=4, verbose=False, callbacks=[CtrlCTwice()],
                                             checkpoint=tmp_path / "c.ckpt")
    assert type(stopped.value) is KeyboardInterrupt and stopped.value.args == ("SIGINT",)
    assert bprop.training.read_checkpoint(tmp_path / "c.ckpt")["epoch"] == 1  # the last whole epoch's, intact
