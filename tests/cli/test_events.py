"""Issue 18, item 4: events you can see. Early stopping, the restore of the best weights, learning-rate
changes and divergence each print one line (through the callbacks, nothing with verbose=False); the
epoch line shows eta under a schedule; the progress bar's fields; one unwrapped line per epoch in a log."""

import io
import re

import numpy as np
from rich.console import Console

import bprop
from bprop.cli import main
from bprop.training import Callback, EarlyStopping, HalveOnPlateau, History, ProgressBar, StepDecay

from .clirun import bprop as run_bprop

EPOCH = re.compile(r"epoch +(\d+)/40  train cost \d\.\d{4} acc +\d+\.\d\d%  val cost \d\.\d{4} acc +\d+\.\d\d%  "
                   r"eta (\S+)  \d+\.\d\ds")


def test_schedule_early_stopping_and_restore_each_print_one_unwrapped_line_in_a_log():
    # stdout is a pipe (not a terminal) and COLUMNS=40: rich would wrap at 40 columns if it wrapped at all.
    code, out, err = run_bprop("train", "--sizes", "64,8,10", "--eta", "0.5", "--epochs", "40", "--schedule", "step:3",
                               "--early-stopping", "2", COLUMNS="40")
    assert code == 0, err
    lines = out.splitlines()
    body = lines[2:-1]  # between the two banner lines and the final score
    epochs = [EPOCH.fullmatch(line) for line in body if line.startswith("epoch")]
    assert all(epochs), [line for line in body if line.startswith("epoch") and not EPOCH.fullmatch(line)]
    stopped = len(epochs)
    assert 3 < stopped < 40 and [int(m.group(1)) for m in epochs] == list(range(1, stopped + 1))
    events = [line for line in body if not line.startswith("epoch")]
    decays = [line for line in events if line.startswith("eta ")]
    assert len(decays) == stopped // 3
    assert decays[0] == "eta 0.5 -> 0.25 after epoch 3 (StepDecay: x0.5 every 3 epochs)"
    assert [m.group(2) for m in epochs[:4]] == ["0.5", "0.5", "0.5", "0.25"]  # the eta each epoch used
    stop = [line for line in events if line.startswith("early stopping")]
    assert len(stop) == 1 and re.fullmatch(
        rf"early stopping after epoch {stopped}: val_accuracy has not improved for 2 epochs "
        rf"\(best \d+\.\d\d% at epoch {stopped - 2}\)", stop[0])
    assert events[-1] == (f"restored the weights of epoch {stopped - 2}, the best by val_accuracy "
                          f"({stop[0].split('(best ')[1].split(' at')[0]})")
    assert len(events) == len(decays) + 2  # nothing else


def test_quiet_prints_no_event(capsys):
    assert main(["train", "--sizes", "64,8,10", "--epochs", "40", "--schedule", "step:3", "--early-stopping", "2",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("test accuracy")



def test_the_final_score_names_the_epoch_early_stopping_restored(tmp_path, capsys):
    """Under --quiet the restore is not announced, and the history's last row is another epoch:
    the final line said 'test accuracy 94.15% (cost 0.2055) on 359 samples' for the weights of
    epoch 6 of 8, with nothing to tell it from epoch 8's 91.09%."""
    history = tmp_path / "h.json"
    assert main(["train", "--sizes", "64,30,10", "--epochs", "30", "--early-stopping", "2", "--quiet",
                 "--history", str(history)]) == 0
    out = capsys.readouterr().out
    rows = History.load(history).epochs
    best = max(range(len(rows)), key=lambda index: (rows[index]["val_accuracy"], -index))
    assert best + 1 < len(rows)  # early stopping put back an earlier epoch
    final = re.fullmatch(r"test accuracy (\S+)% \(cost \S+\) on 359 samples \(the weights of epoch (\d+) of (\d+), "
                         r"the best by val_accuracy\); trained in \S+s", out.splitlines()[0])
    assert final, out
    assert (int(final.group(2)), int(final.group(3))) == (best + 1, len(rows))
    assert main(["train", "--sizes", "64,30,10", "--epochs", "3", "--quiet"]) == 0  # without early stopping: as ever
    assert re.fullmatch(r"test accuracy \S+% \(cost \S+\) on 359 samples; trained in \S+s\n", capsys.readouterr().out)


def test_divergence_prints_one_line_then_the_error():
    code, out, err = run_bprop("train", "--sizes", "64,8,10", "--epochs", "3", "--eta", "1e30")
    assert code == 1
    events = [line for line in out.splitlines()[2:]]
    assert len(events) == 1 and re.fullmatch(
        r"diverged in epoch 1, batch \d+ of 540: the training cost is (nan|inf); the weights went back to the "
        r"start of epoch 1", events[0]), out
    assert err.startswith("bprop train: error: training diverged in epoch 1")


class Collect(Callback):
    def __init__(self):
        self.messages = []

    def on_message(self, trainer, message):
        self.messages.append(message)


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    return x, (x[:, 0] + x[:, 1] > 0).astype(int)


def test_verbose_false_prints_nothing_while_callbacks_still_get_the_events(capsys):
    x, y = data()
    collect = Collect()
    net = bprop.Network([4, 6, 2], seed=0)
    net.fit(x[:200], y[:200], epochs=30, batch_size=10, eta=0.5, validation=(x[200:], y[200:]), verbose=False,
            callbacks=[HalveOnPlateau(patience=1, max_halvings=1), EarlyStopping(patience=50), collect])
    assert capsys.readouterr() == ("", "")
    assert collect.messages[0].startswith("eta halved after epoch ") and "(1 of 1): 0.5 -> 0.25; val_accuracy" in \
        collect.messages[0]
    assert collect.messages[1].startswith("stopping after epoch ")
    assert "and eta was already halved 1 time" in collect.messages[1]


def test_the_progress_bar_shows_running_scores_speed_and_both_etas():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5000, 4))  # more rows than a scoring block (4,096): a running cost mid-epoch
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    buffer = io.StringIO()
    bar = ProgressBar(Console(file=buffer, force_terminal=True, width=200, color_system=None))
    bar.REDRAW_SECONDS = 0  # draw at once (a real bar waits a quarter of a second)
    bprop.Network([4, 6, 2], seed=0).fit(x, y, epochs=2, batch_size=50, eta=0.1, verbose=False,
                                         callbacks=[StepDecay(1), bar])
    screen = buffer.getvalue()
    drawn = re.findall(r"epoch 1/2 \S+ +(\d+)/100 batches  cost (\d\.\d{4})  acc (\d+\.\d\d)%  ([\d,]+) samples/s  "
                       r"ETA epoch (\d:\d\d:\d\d), run (\d:\d\d:\d\d)", screen)
    assert drawn, screen[-2000:]
    assert "-:--:--" not in screen  # every frame drawn with its own fields (none with an epoch's blank ones)
    for done, cost, acc, speed, epoch_eta, run_eta in drawn:
        assert int(done) >= 4096 // 50 and 0 < float(cost) < 1 and 50 < float(acc) <= 100
        assert int(speed.replace(",", "")) > 0
        assert run_eta >= epoch_eta  # h:mm:ss strings of one width compare as times
    lines = [line for line in re.split(r"[\r\n]", screen) if line.startswith("epoch ") and "train cost" in line]
    assert len(lines) == 2 and all("eta " in line for line in lines)  # a schedule: the epoch lines show eta


def test_a_line_longer_than_the_console_is_not_wrapped():
    x, y = data()
    buffer = io.StringIO()
    console = Console(file=buffer, width=30)  # not a terminal: no bar
    bprop.Network([4, 6, 2], seed=0).fit(x, y, epochs=2, batch_size=10, verbose=False,
                                         validation=(x[:50], y[:50]), callbacks=[ProgressBar(console)])
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith("epoch ") and len(line) > 60 for line in lines)
