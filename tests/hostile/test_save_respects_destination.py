"""Saving never loses data (issue 16, failure 5): write-protected files, symlinks, modes, stale temp files."""

import os
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

import bprop
from bprop import Network
from bprop.io import atomic_open

from .builders import SRC


def temp_files(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_a_write_protected_model_is_not_replaced(tmp_path):
    path = tmp_path / "m.npz"
    Network([3, 2], seed=0).save(path)
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="write-protected"):
        Network([3, 2], seed=1).save(path)
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert temp_files(tmp_path) == []


def test_saving_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real" / "m.npz"
    target.parent.mkdir()
    Network([3, 2], seed=0).save(target)
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    net = Network([3, 2], seed=1)
    net.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(bprop.load(target).weights[0], net.weights[0])
    assert temp_files(tmp_path) == [] and temp_files(target.parent) == []


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "m.npz"
    Network([3, 2], seed=0).save(path)
    path.chmod(0o640)
    Network([3, 2], seed=1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_saving_over_a_directory_or_device_is_refused(tmp_path):
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(ValueError, match="not a regular file"):
        Network([3, 2], seed=0).save(tmp_path / "d.npz")


def test_stale_temp_files_of_a_killed_writer_are_removed_on_the_next_save(tmp_path):
    path = tmp_path / "m.npz"
    stale = tmp_path / ".m.npz.0123abcd.tmp"
    stale.write_bytes(b"half a model" * 1000)
    empty_old = tmp_path / ".m.npz.89abcdef.tmp"
    empty_old.write_bytes(b"")
    old = time.time() - 3600
    os.utime(empty_old, (old, old))
    other = tmp_path / ".other.npz.0123abcd.tmp"  # another destination's: not ours to judge
    other.write_bytes(b"x")
    Network([3, 2], seed=0).save(path)
    assert temp_files(tmp_path) == [other.name]


def test_a_live_writers_temp_file_is_left_alone(tmp_path):
    path = tmp_path / "m.npz"
    with atomic_open(path) as f:  # a writer in progress holds its temporary file
        f.write(b"in progress")
        (live,) = temp_files(tmp_path)
        Network([3, 2], seed=0).save(path)  # a second writer to the same path
        assert live in temp_files(tmp_path)
    assert path.read_bytes() == b"in progress" and temp_files(tmp_path) == []


WRITER = """
import sys
import numpy as np
from bprop.io import save_arrays
big = np.random.default_rng(0).standard_normal(3_000_000)
print("ready", flush=True)
while True:
    save_arrays(sys.argv[1], {"w": big}, {}, kind="model")
"""


def test_kill_9_during_saves_leaves_a_whole_file_and_no_temp_after_the_next_save(tmp_path):
    path = tmp_path / "m.npz"
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC))
    left = 0
    for attempt in range(5):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=env, stdout=subprocess.PIPE)
        assert writer.stdout.readline().strip() == b"ready"
        time.sleep(0.15 + 0.05 * attempt)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        left += len(temp_files(tmp_path))
        if path.exists():  # whole: the writer's last complete save, or ours from the round before
            assert bprop.io.load_arrays(path, kind="model")[0]["w"].shape in ((3_000_000,), (3,))
        bprop.io.save_arrays(path, {"w": np.zeros(3)}, {}, kind="model")
        # Every temp file with data is gone. A writer killed between creating its temp file and
        # locking it leaves an empty one, which may belong to a live writer until it is
        # STALE_EMPTY_SECONDS old (removed then); nothing is lost either way.
        assert [name for name in temp_files(tmp_path) if (tmp_path / name).stat().st_size > 0] == []
    print(f"temp files left by 5 kill -9s: {left}")
