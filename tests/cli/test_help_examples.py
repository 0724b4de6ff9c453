"""Every example a command's --help gives runs as written; the one set of defaults; settings that
would be silently ignored are refused."""

import re

import pytest

from bprop.cli import build_parser, main


def help_examples():
    parser = build_parser()
    commands = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"][0].choices
    examples = []
    for name, command in commands.items():
        text = command.description or ""
        start = text.find("Example")
        if start >= 0:
            examples += [(name, example) for example in re.findall(r"'(bprop [^']+)'", text[start:])]
    return examples


def test_most_commands_give_examples():
    assert {name for name, _ in help_examples()} >= {"summary", "explain", "draw", "graph", "train"}


@pytest.mark.parametrize("command,example", help_examples())
def test_every_help_example_runs_as_written(tmp_path, monkeypatch, capsys, command, example):
    monkeypatch.chdir(tmp_path)
    assert main(example.split()[1:]) == 0, capsys.readouterr().err


def test_momentum_without_a_momentum_optimizer_is_refused(capsys):
    assert main(["train", "--momentum", "0.5", "--epochs", "1"]) == 2
    assert "--momentum is the coefficient of --optimizer momentum or nesterov" in capsys.readouterr().err


def test_the_digits_banner_says_what_it_trains_on(capsys):
    assert main(["train", "--epochs", "1", "--sizes", "64,8,10"]) == 0
    assert "training: 1079 images and 4 one-pixel shifts of each" in capsys.readouterr().out


def test_summary_describes_what_train_builds(capsys):
    assert main(["summary", "64,256,10"]) == 0
    summary = capsys.readouterr().out
    assert "relu" in summary and "softmax" in summary and "log_likelihood" in summary
