"""The command line, run in-process as a user would call it."""

import re

import pytest

from bprop.cli import main


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("train", "gradcheck", "summary"):
        assert command in out


@pytest.mark.parametrize("command", ["train", "gradcheck", "summary"])
def test_every_subcommand_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert len(capsys.readouterr().out) > 200


def test_summary_counts_seed_004_parameters(capsys):
    assert main(["summary", "8,15,10"]) == 0
    out = capsys.readouterr().out
    assert "295" in out and "(15, 8)" in out


def test_gradcheck_command_passes_and_reports_costs(capsys):
    assert main(["gradcheck", "3,4,2", "--batch-size", "3"]) == 0
    out = capsys.readouterr().out
    assert "passed" in out
    n_params = 3 * 4 + 4 + 4 * 2 + 2
    assert "activations=[relu, softmax]" in out  # the one set of defaults
    assert re.search(rf"finite differences, central\s*│\s*{2 * n_params}\s*│\s*0", out)
    assert re.search(rf"forward differences \(seed 001\)\s*│\s*{n_params + 1}", out)
    assert re.search(r"backprop\s*│\s*1\s*│\s*1", out)


def test_train_on_digits_short_run(capsys):
    assert main(["train", "--epochs", "3", "--sizes", "64,32,10", "--hidden", "relu", "--eta", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "epoch 3/3" in out
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", out).group(1))
    assert accuracy > 80


def test_adam_kernel_numba_trains_the_same_model_as_numpy(tmp_path, capsys):
    """--adam-kernel is a speed choice: the saved weights are the same bits either way."""
    import bprop

    for kernel in ("numpy", "numba"):
        assert main(["train", "--epochs", "2", "--sizes", "64,24,10", "--optimizer", "adam", "--eta", "0.01",
                     "--adam-kernel", kernel, "--save", str(tmp_path / f"{kernel}.npz")]) == 0
    assert "kernel='numba'" in capsys.readouterr().out  # the run says which step it took
    a, b = bprop.load(tmp_path / "numpy.npz"), bprop.load(tmp_path / "numba.npz")
    for x, y in zip(a.weights + a.biases, b.weights + b.biases):
        assert x.tobytes() == y.tobytes()


def test_adam_kernel_numba_without_numba_is_one_line_before_any_work(monkeypatch, tmp_path, capsys):
    from bprop.optimizers import compiled

    monkeypatch.setattr(compiled, "numba", None)
    assert main(["train", "--optimizer", "adam", "--adam-kernel", "numba", "--save", str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert 'pip install "bprop[fast]"' in err and "--adam-kernel numpy" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize(
    "argv,message",
    [
        (["train", "--hidden", "swish"], "valid activations are"),
        (["train", "--cost", "hinge"], "valid costs are"),
        (["train", "--eta", "-1"], "eta must be a positive"),
        (["train", "--epochs", "0"], "epochs must be a positive integer"),
        (["train", "--sizes", "10,5,10"], "64 features but the network expects 10"),
        (["train", "--adam-kernel", "numba"], "--adam-kernel chooses how Adam's step is computed; the optimizer here is sgd"),
    ],
)
def test_train_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_train_checks_settings_before_loading_any_data(monkeypatch, capsys):
    """A bad setting must fail at once, not after loading (or downloading) MNIST."""
    import bprop.cli.train as train_command

    def no_loading(*args, **kwargs):
        raise AssertionError("data was loaded before the settings were checked")

    monkeypatch.setattr(train_command, "load_data", no_loading)
    for argv, message in (
        (["train", "--dataset", "mnist", "--batch-size", "0"], "--batch-size must be a positive integer"),
        (["train", "--dataset", "mnist", "--epochs", "-2"], "--epochs must be a positive integer"),
        (["train", "--dataset", "mnist", "--hidden", "swish"], "valid activations are"),
    ):
        assert main(argv) == 2
        assert message in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train", "--resume", "missing.ckpt"], ["plot", "missing.json"],
                                  ["evaluate", "missing.npz"], ["summary", "missing.npz"]])
def test_a_missing_file_is_named_in_one_line(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"bprop {argv[0]}: error: cannot use '{argv[-1]}': no such file or directory\n"
    assert list(tmp_path.iterdir()) == []
