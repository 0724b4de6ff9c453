"""tests/ mirrors src/bprop/ (the rule is in tests/README.md).

Checked here: every folder of tests that holds test files is a package of
src/bprop or one of the cross-cutting folders the README explains; every test
file at the top of tests/ is named after a top-level module of bprop
(test_<module>.py or test_<module>_<aspect>.py); every test folder is a Python
package, so that basenames may repeat across folders.
"""

from __future__ import annotations

from pathlib import Path

import bprop

PACKAGE = Path(bprop.__file__).parent
TESTS = Path(__file__).resolve().parents[1]

#: Folders grouped by a promise of the whole library rather than by module (tests/README.md says why).
CROSS_CUTTING = ("bad_input", "heads", "hostile", "layout")


def folders_with_tests():
    return sorted({path.parent for path in TESTS.rglob("test_*.py")})


def top_level_modules() -> set[str]:
    return {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}


def misplaced_file(name: str, modules: set[str]) -> bool:
    """Whether a top-level test file ``name`` (its stem) is not named after one of ``modules``."""
    subject = name.removeprefix("test_")
    return not any(subject == module or subject.startswith(module + "_") for module in modules)


def test_every_test_folder_mirrors_a_package_or_is_cross_cutting():
    stray = []
    for folder in folders_with_tests():
        relative = folder.relative_to(TESTS)
        if relative.parts and relative.parts[0] in CROSS_CUTTING and len(relative.parts) == 1:
            continue
        if not (PACKAGE.joinpath(*relative.parts) / "__init__.py").is_file():
            stray.append(str(relative))
    assert not stray, (f"test folders that are neither a package of src/bprop nor one of the cross-cutting "
                       f"folders {CROSS_CUTTING}: {stray} (see tests/README.md)")


def test_top_level_test_files_are_named_after_a_top_level_module():
    modules = top_level_modules()
    assert {"network", "textbook", "onnx_export"} <= modules
    stray = sorted(path.name for path in TESTS.glob("test_*.py") if misplaced_file(path.stem, modules))
    assert not stray, (f"{', '.join(stray)} in tests/ name no module of src/bprop/ (test_<module>.py or "
                       f"test_<module>_<aspect>.py; tests of a package go in its folder; see tests/README.md)")


def test_the_rule_refuses_what_it_should():
    modules = {"network", "onnx_export", "io"}
    assert not misplaced_file("test_network", modules)
    assert not misplaced_file("test_network_worked_example", modules)
    assert not misplaced_file("test_onnx_export", modules)
    assert misplaced_file("test_networks", modules)  # a prefix must end at a word: network_...
    assert misplaced_file("test_training", modules)  # a package's tests go in its folder
    assert misplaced_file("test_layout", modules)


def test_cross_cutting_folders_exist_and_the_readme_explains_them():
    readme = (TESTS / "README.md").read_text(encoding="utf-8")
    for name in CROSS_CUTTING:
        assert (TESTS / name).is_dir(), name
        assert f"`{name}/`" in readme, f"tests/README.md does not explain the folder {name}/"


def test_every_test_folder_is_a_package():
    folders = {TESTS, *folders_with_tests()}
    missing = sorted(str(folder.relative_to(TESTS.parent)) for folder in folders
                     if not (folder / "__init__.py").is_file())
    assert not missing, f"test folders without __init__.py: {missing}"
