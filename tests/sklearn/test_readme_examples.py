"""The README's scikit-learn and Dask examples run as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bprop

README = Path(__file__).resolve().parents[2] / "README.md"


def examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## With scikit-learn"):text.index("## The four equations")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_section_has_the_two_examples():
    blocks = examples()
    assert len(blocks) == 2 and "MLPClassifier" in blocks[0] and "LocalCluster" in blocks[1]


@pytest.mark.parametrize("index", [0, 1], ids=["scikit-learn", "dask"])
def test_readme_example_runs(tmp_path, index):
    script = tmp_path / "example.py"
    script.write_text(examples()[index], encoding="utf-8")
    # the bprop under test, wherever the example runs from (PYTHONPATH=src is relative)
    source = str(Path(bprop.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    if index == 0:
        assert (tmp_path / "digits.npz").exists() and (tmp_path / "digits.onnx").exists()
        assert "'two' 'eight' 'two'" in result.stdout
    else:
        assert "hidden_layer_sizes" in result.stdout
