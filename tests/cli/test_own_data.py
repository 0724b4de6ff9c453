"""Your own data through the command line: bprop train/evaluate/predict with --data FILE --target COLUMN."""

import os
import subprocess
import sys

import numpy as np
import pytest

import bprop
from bprop.cli import main
from bprop.datasets import read_table


def blobs_csv(path, n=150, seed=0, header=True, labels=("cat", "dog", "emu"), bom=False, crlf=False):
    rng = np.random.default_rng(seed)
    k = rng.integers(0, len(labels), n)
    x = np.array([[3.0 * np.cos(2.1 * c), 3.0 * np.sin(2.1 * c)] for c in k]) + 0.5 * rng.standard_normal((n, 2))
    end = "\r\n" if crlf else "\n"
    lines = (['width,"height, cm",animal'] if header else []) + [f"{a:.6f},{b:.6f},{labels[c]}" for (a, b), c in zip(x, k)]
    path.write_bytes(((b"\xef\xbb\xbf" if bom else b"") + end.join(lines).encode() + end.encode()))
    return x, np.array(labels)[k]


def test_train_evaluate_predict_on_a_csv_with_string_labels(tmp_path, capsys):
    x, y = blobs_csv(tmp_path / "train.csv", bom=True, crlf=True)
    blobs_csv(tmp_path / "test.csv", n=40, seed=1)
    model = tmp_path / "m.npz"
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--target", "animal", "--test-data",
                 str(tmp_path / "test.csv"), "--epochs", "15", "--save", str(model), "--quiet"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy ")[1].split("%")[0])
    assert accuracy > 90, out
    net = bprop.load(model)
    assert net.classes.tolist() == ["cat", "dog", "emu"] and net.sizes == [2, 100, 3]
    assert net.preprocessing.config()["name"] == "standardize"  # --scale standardize, stored in the model

    assert main(["evaluate", str(model), "--data", str(tmp_path / "test.csv"), "--target", "animal", "--report",
                 "--report-png", str(tmp_path / "cm.png")]) == 0
    out = capsys.readouterr().out
    assert f"test.csv: accuracy {accuracy:.2f}%" in out and "confusion matrix" in out and "precision" in out
    assert (tmp_path / "cm.png").read_bytes()[:4] == b"\x89PNG"

    assert main(["predict", str(model), str(tmp_path / "train.csv"), "--target", "animal"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == net.predict(read_table(tmp_path / "train.csv", target="animal").x).tolist()
    assert np.mean(np.array(printed) == y) > 0.9


def test_regression_is_inferred_from_numeric_targets(tmp_path, capsys):
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (200, 3))
    target = x @ [1.5, -2.0, 0.5] + 0.3
    np.savetxt(tmp_path / "r.csv", np.column_stack([x, target]), delimiter=",", header="a,b,c,value", comments="")
    model = tmp_path / "r.npz"
    assert main(["train", "--data", str(tmp_path / "r.csv"), "--target", "value", "--epochs", "40",
                 "--save", str(model), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("validation mse ") and " r2 " in out
    net = bprop.load(model)
    assert net.task.name == "regression" and net.output_activation.name == "identity"
    assert main(["evaluate", str(model), "--data", str(tmp_path / "r.csv"), "--target", "-1"]) == 0
    out = capsys.readouterr().out
    scores = net.evaluate(x, target)
    assert f"r2 {scores['r2']:.4g}" in out
    assert scores["r2"] > 0.9
    assert main(["evaluate", str(model), "--data", str(tmp_path / "r.csv"), "--target", "value", "--report"]) == 2
    assert "--report is for classifiers" in capsys.readouterr().err


def test_npz_and_npy_pairs(tmp_path, capsys):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((80, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    assert main(["train", "--data", str(tmp_path / "d.npz"), "--epochs", "10", "--quiet"]) == 0
    assert "validation accuracy" in capsys.readouterr().out
    assert main(["train", "--data", str(tmp_path / "x.npy"), "--target", str(tmp_path / "y.npy"),
                 "--epochs", "10", "--quiet"]) == 0
    assert "validation accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("content,options,message", [
    ("a,b,label\n1,2,x\n3,,y\n", ["--target", "label"], "missing value at line 3, column 'b'"),
    ("a,b,label\n1,2,x\n3,four,y\n", ["--target", "label"], "column 'b' must hold numbers .* line 3 has 'four'"),
    # a short line's fields fill the columns before: its label was reported as a bad feature value
    ("a,b,c,label\n1,2,3,x\n1,2,y\n5,6,7,x\n", ["--target", "label"], "line 3 has 3 fields where the header has 4"),
    ("a,b,c,label\n1,2,3,x\n\n4,5,6,y\n1,2\n", ["--target", "label"], "line 5 has 2 fields where the header has 4"),
    # lines as the file numbers them, blank ones too (they were counted as data rows: 'line 4')
    ("a,b,label\n1,2,x\n\n\n3,four,y\n", ["--target", "label"], "column 'b' must hold numbers .* line 5 has 'four'"),
    ("a,b,c,label\n1,2,3,\n", ["--target", "label"], "missing target at line 2"),  # empty, not short
    ("1,2,0\n3,4,1\n", ["--target", "label"], "names a column, but the file's first row is all numbers"),
    ("a,b,label\n1,2,x\n", ["--target", "kind"], "no column named 'kind'; the columns are 'a', 'b', 'label'"),
    ("a,b,label\n", ["--target", "label"], "a header row and no data"),
    ("", ["--target", "label"], "the file is empty"),
    ("a,b,label\n1,2,x\n3,4,y\n", [], "--data needs --target"),
    ("a,b,label\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n", ["--target", "label"], r"one class only \('x'\)"),
    ("a,b,label\n1,2,5\n3,4,5\n5,6,5\n7,8,5\n", ["--target", "label"], r"one class only \(5\)"),  # not np.int64(5)
    ("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", ["--target", "label", "--sizes", "3,5,2"], "does not fit the data"),
    ("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", ["--target", "label", "--dataset", "digits"], "not both"),
    ("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", ["--target", "label", "--validation-split", "0.9"],
     r"--validation-split 0.9 of the 4 rows of .*d.csv leaves no training rows"),
])
def test_bad_files_and_options_give_one_line_and_exit_2(tmp_path, capsys, content, options, message):
    (tmp_path / "d.csv").write_text(content)
    save = tmp_path / "m.npz"
    assert main(["train", "--data", str(tmp_path / "d.csv"), *options, "--quiet", "--save", str(save)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bprop train: error: ")
    import re

    assert re.search(message, err), err
    assert not save.exists()


def test_a_large_validation_split_trains_on_what_is_left_without_stratifying(tmp_path, capsys):
    # 3 classes, 12 rows, 0.8 held out (10 rows): 2 training rows cannot hold the 3 classes;
    # this was scikit-learn's "The train_size = 2 should be greater or equal to ..." instead.
    rows = "".join(f"{i},{i % 5},{'xyz'[i % 3]}\n" for i in range(12))
    (tmp_path / "d.csv").write_text("a,b,label\n" + rows)
    assert main(["train", "--data", str(tmp_path / "d.csv"), "--target", "label", "--validation-split", "0.8",
                 "--epochs", "1"]) == 0
    assert "2 training, 10 validation samples" in capsys.readouterr().out



@pytest.mark.parametrize("seed", [0, 3, 12])
def test_a_class_of_one_row_stays_in_training_and_the_others_are_still_stratified(tmp_path, seed):
    """50 'a', 30 'b' and one 'c': the 17 validation rows (ceil(0.2 * 81)) are 11 'a' and 6 'b'
    whatever the seed, and the 'c' row is trained on. The one row used to turn stratification
    off for every class, silently: seed 0 held out 9 'a' and 8 'b', seed 3 12 and 5, and seed 12
    held out the 'c' row, a class the network then never trained on."""
    import argparse

    from bprop.cli.data import own_data

    rows = [f"{i % 7}.5,{i % 3},{'a' if i < 50 else 'b' if i < 80 else 'c'}" for i in range(81)]
    (tmp_path / "d.csv").write_text("u,v,label\n" + "\n".join(rows) + "\n")
    args = argparse.Namespace(data=str(tmp_path / "d.csv"), target="label", header=None, validation_data=None,
                              test_data=None, validation_split=0.2, task=None, seed=seed)
    data = own_data(args)

    def counts(y):
        return {str(label): int(count) for label, count in zip(*np.unique(y, return_counts=True))}

    assert counts(data.validation.y) == {"a": 11, "b": 6}
    assert counts(data.train.y) == {"a": 39, "b": 24, "c": 1}
    assert sorted(map(tuple, np.concatenate([data.train.x, data.validation.x]).tolist())) == sorted(
        (float(f"{i % 7}.5"), float(i % 3)) for i in range(81))



@pytest.mark.parametrize("options, message", [
    (["--data-dir", "MNIST"], "--data-dir is the folder of the MNIST files: add --dataset mnist (without it, digits "
                              "is trained)"),
    (["--test-data", "TEST"], "--test-data is for your own data (--data FILE); the digits data set"),
    (["--validation-data", "TEST", "--validation-split", "0.5"], "--validation-data, --validation-split are for your "
                                                                  "own data (--data FILE)"),
    (["--scale", "none"], "--scale is for your own data"),
    (["--dataset", "digits", "--task", "regression", "--no-header"], "--header/--no-header, --task are for your own data"),
    (["--sizes", "64,10", "--dropout", "0.5"], "--dropout drops hidden neurons, and --sizes 64,10 has no hidden layer"),
    (["--data", "TEST", "--target", "animal", "--validation-data", "TEST", "--validation-split", "0.5"],
     "give --validation-data (a file of validation rows) or --validation-split (a fraction of --data held out), not both"),
    (["--data", "TEST", "--target", "animal", "--data-dir", "MNIST"], "--data-dir is the folder of the MNIST files: "
                                                                       "add --dataset mnist (--data reads your own file)"),
])
def test_options_that_would_be_ignored_are_refused(tmp_path, capsys, options, message):
    """Each of these trained the bundled digits (or the CSV) as if it were not there, exit 0:
    --data-dir without --dataset mnist trained the digits, --test-data reported the digits'
    test set instead of the file, --scale none scaled the pixels by 1/16 all the same, and
    --dropout on a network without a hidden layer trained without dropout, and --validation-split
    beside --validation-data held nothing out."""
    blobs_csv(tmp_path / "test.csv", n=40)
    options = [str(tmp_path / "test.csv") if option == "TEST" else str(tmp_path) if option == "MNIST" else option
               for option in options]
    save = tmp_path / "m.npz"
    assert main(["train", *options, "--epochs", "1", "--quiet", "--save", str(save)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bprop train: error: ") and message in err, err
    assert not save.exists()


def test_header_detection_and_its_override(tmp_path):
    (tmp_path / "n.csv").write_text("1,2,0\n3,4,1\n5,6,0\n")
    table = read_table(tmp_path / "n.csv", target=-1)
    assert table.x.shape == (3, 2) and table.y.tolist() == [0, 1, 0]
    table = read_table(tmp_path / "n.csv", target=-1, header=True)  # a numeric-looking header said to be one
    assert table.x.shape == (2, 2) and table.feature_names == ["1", "2"]
    (tmp_path / "q.csv").write_text('"x, first",y\n"1.5",a\n2.5,b\n')
    table = read_table(tmp_path / "q.csv", target="y")
    assert table.feature_names == ["x, first"] and table.x[:, 0].tolist() == [1.5, 2.5]


def test_predict_on_a_header_only_or_empty_csv_names_the_file(tmp_path, capsys):
    net = bprop.Network([2, 3, 2], seed=0)
    net.save(tmp_path / "m.npz")
    for content, message in (("a,b\n", "a header row and no data"), ("", "the file is empty")):
        (tmp_path / "in.csv").write_text(content)
        assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "in.csv")]) == 2
        assert f"{tmp_path / 'in.csv'}: {message}" in capsys.readouterr().err


def test_a_real_process_trains_on_the_shipped_example(tmp_path):
    """The README's walk-through data, through `python -m bprop` in a subprocess."""
    examples = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
    train, test = os.path.join(examples, "iris_train.csv"), os.path.join(examples, "iris_test.csv")
    done = subprocess.run([sys.executable, "-m", "bprop", "train", "--data", train, "--target", "species",
                           "--test-data", test, "--save", str(tmp_path / "iris.npz"), "--quiet"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.split("test accuracy ")[1].split("%")[0]) >= 90
    assert bprop.load(tmp_path / "iris.npz").classes.tolist() == ["setosa", "versicolor", "virginica"]


def iris_like(path, columns, n=90, seed=0):
    """A CSV whose class is decided by feature 'a' alone (b, c are noise), columns in the given order."""
    rng = np.random.default_rng(seed)
    values = {"a": rng.uniform(-3, 3, n), "b": rng.uniform(-3, 3, n), "c": rng.uniform(-3, 3, n)}
    values["kind"] = np.where(values["a"] > 1, "high", np.where(values["a"] < -1, "low", "mid"))
    lines = [",".join(columns)] + [",".join(str(values[c][i]) for c in columns) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return values


def test_a_file_with_its_columns_in_another_order_is_matched_by_name(tmp_path):
    """evaluate/predict/--test-data once read columns by position: a reordered file scored ~33%
    (and predicted plausible labels) without a word. The names saved in the model match them."""
    from .clirun import bprop as run

    iris_like(tmp_path / "train.csv", ["a", "b", "c", "kind"])
    truth = iris_like(tmp_path / "new.csv", ["kind", "c", "b", "a"], n=60, seed=1)["kind"]
    iris_like(tmp_path / "same.csv", ["a", "b", "c", "kind"], n=60, seed=1)
    model = tmp_path / "m.npz"
    code, out, err = run("train", "--data", tmp_path / "train.csv", "--target", "kind", "--test-data",
                         tmp_path / "new.csv", "--epochs", "60", "--save", model, "--quiet")
    assert code == 0, err
    assert bprop.load(model).feature_names == ["a", "b", "c"]
    tested = float(out.split("test accuracy ")[1].split("%")[0])
    assert tested > 85, out
    code, same, err = run("predict", model, tmp_path / "same.csv", "--target", "kind")
    assert code == 0, err
    code, reordered, err = run("predict", model, tmp_path / "new.csv", "--target", "kind")
    assert code == 0, err
    assert reordered == same
    from sklearn.metrics import accuracy_score

    accuracy = accuracy_score(truth, reordered.split())
    assert accuracy > 0.85
    code, out, err = run("evaluate", model, "--data", tmp_path / "new.csv", "--target", "kind")
    assert code == 0, err
    assert f"accuracy {100 * accuracy:.2f}%" in out


def test_a_file_missing_a_models_column_is_refused_naming_it(tmp_path):
    from .clirun import bprop as run

    iris_like(tmp_path / "train.csv", ["a", "b", "c", "kind"])
    iris_like(tmp_path / "other.csv", ["a", "c", "kind", "b"], n=20)
    (tmp_path / "other.csv").write_text((tmp_path / "other.csv").read_text().replace("a,c,kind,b", "a,c,kind,d", 1))
    model = tmp_path / "m.npz"
    assert run("train", "--data", tmp_path / "train.csv", "--target", "kind", "--epochs", "2", "--save", model,
               "--quiet")[0] == 0
    for command in (["predict", model, tmp_path / "other.csv", "--target", "kind"],
                    ["evaluate", model, "--data", tmp_path / "other.csv", "--target", "kind"]):
        code, out, err = run(*command)
        assert code == 2 and out == ""
        assert "other.csv: its columns do not match" in err and "missing 'b'; not among them: 'd'" in err, err
    history = tmp_path / "h.json"
    code, out, err = run("train", "--data", tmp_path / "train.csv", "--target", "kind", "--test-data",
                         tmp_path / "other.csv", "--epochs", "2", "--history", history, "--quiet")
    assert code == 2 and "missing 'b'" in err and not history.exists()


def test_a_regression_target_with_an_na_is_refused_not_turned_into_classes(tmp_path):
    from .clirun import bprop as run

    rows = "\n".join(f"{i % 7},{i % 5},{1000 + 3.7 * i:.1f}" for i in range(80))
    (tmp_path / "r.csv").write_text(f"a,b,price\n{rows}\n3,4,NA\n")
    code, out, err = run("train", "--data", tmp_path / "r.csv", "--target", "price", "--save", tmp_path / "m.npz")
    assert code == 2 and "missing target at line 82, column 'price' ('NA')" in err, err
    assert not (tmp_path / "m.npz").exists()


def test_a_test_file_whose_word_labels_are_all_numbers_is_scored(tmp_path):
    # Classes "1", "2", "other" (words, as one column held them); a test file holding only "1" and
    # "2" is read as numbers, and was refused: "y has 40 labels outside the network's classes".
    from .clirun import bprop as run

    rng = np.random.default_rng(6)
    def write(path, n, with_other):
        a = rng.uniform(-3, 3, n)
        labels = np.where(a > 1, "other", np.where(a < -1, "1", "2")) if with_other else np.where(a < 0, "1", "2")
        path.write_text("a,b,y\n" + "".join(f"{u},{rng.uniform()},{v}\n" for u, v in zip(a, labels)))
        return labels

    write(tmp_path / "train.csv", 150, True)
    truth = write(tmp_path / "test.csv", 40, False)
    model = tmp_path / "m.npz"
    code, out, err = run("train", "--data", tmp_path / "train.csv", "--target", "y", "--test-data",
                         tmp_path / "test.csv", "--epochs", "5", "--save", model, "--quiet")
    assert code == 0, err
    code, predicted, err = run("predict", model, tmp_path / "test.csv", "--target", "y")
    from sklearn.metrics import accuracy_score

    accuracy = accuracy_score(truth, predicted.split())
    assert f"test accuracy {100 * accuracy:.2f}%" in out
    code, out, err = run("evaluate", model, "--data", tmp_path / "test.csv", "--target", "y")
    assert code == 0 and f"accuracy {100 * accuracy:.2f}% " in out, err


def prices_csv(path, n=400, seed=0):
    """A regression file whose target is far from 0: prices around 1e5."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = 1e5 + 2e4 * (x[:, 0] - 0.5 * x[:, 1]) + 1e3 * rng.standard_normal(n)
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="a,b,c,price", comments="", fmt="%.6f")
    return x, y


def test_regression_targets_are_standardized_by_default_and_predicted_in_their_units(tmp_path, capsys):
    from sklearn.metrics import r2_score

    prices_csv(tmp_path / "train.csv")
    x, y = prices_csv(tmp_path / "test.csv", n=100, seed=1)
    model = tmp_path / "m.npz"
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--target", "price", "--save", str(model),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "on standardized targets" in out
    assert float(out.split("r2 ")[1].split(" ")[0]) > 0.95, out
    net = bprop.load(model)
    assert net.target_preprocessing is not None
    assert net.target_preprocessing.mean[0] == pytest.approx(1e5, rel=0.05)

    # predict prints values in the targets' units; the reported r2 is scikit-learn's on them
    assert main(["predict", str(model), str(tmp_path / "test.csv"), "--target", "price"]) == 0
    predicted = np.array([float(line) for line in capsys.readouterr().out.split()])
    assert r2_score(y, predicted) > 0.95
    assert main(["evaluate", str(model), "--data", str(tmp_path / "test.csv"), "--target", "price"]) == 0
    reported = float(capsys.readouterr().out.split("r2 ")[1].split(" ")[0])
    assert reported == pytest.approx(r2_score(y, predicted), abs=5e-4)  # printed to 4 digits

    assert main(["summary", str(model)]) == 0
    assert "targets standardized" in capsys.readouterr().out

    # --scale-target none trains on the prices as they are: the default 30 Adam epochs do not get there
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--target", "price", "--scale-target", "none",
                 "--quiet"]) == 0
    assert float(capsys.readouterr().out.split("r2 ")[1].split(" ")[0]) < 0


def test_the_epoch_lines_costs_are_said_to_be_on_standardized_targets(tmp_path, capsys):
    """Each epoch line prints "train cost 0.0020 val cost 0.0025" beside R²: numbers on the
    standardized targets, which read as if the model missed prices around 1e5 by 0.05; the
    header says so before the first of them."""
    prices_csv(tmp_path / "train.csv")
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--target", "price", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    header, first_epoch = out.index("costs below are on the standardized targets"), out.index("epoch 1/1")
    assert header < first_epoch, out
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--target", "price", "--epochs", "1",
                 "--scale-target", "none"]) == 0
    assert "standardized" not in capsys.readouterr().out


def test_a_bounded_output_activation_trains_on_the_targets_as_they_are(tmp_path, capsys):
    """Regression with --output-activation sigmoid (targets in (0, 1)): standardized targets are
    negative for half the rows, out of the sigmoid's reach, so the default is --scale-target
    none there, and asking for standardize is refused naming both options."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 3))
    y = 1 / (1 + np.exp(-(x[:, 0] - x[:, 1])))
    np.savetxt(tmp_path / "p.csv", np.column_stack([x, y]), delimiter=",", header="a,b,c,p", comments="",
               fmt="%.6f")
    common = ["train", "--data", str(tmp_path / "p.csv"), "--target", "p", "--task", "regression",
              "--output-activation", "sigmoid", "--quiet"]
    assert main(common + ["--save", str(tmp_path / "m.npz")]) == 0
    assert "standardized" not in capsys.readouterr().out
    assert bprop.load(tmp_path / "m.npz").target_preprocessing is None
    assert main(common + ["--scale-target", "standardize"]) == 2
    err = capsys.readouterr().err
    assert "--scale-target standardize" in err and "sigmoid" in err and "--scale-target none" in err, err


def test_scale_target_on_class_labels_is_refused(tmp_path, capsys):
    blobs_csv(tmp_path / "train.csv")
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--target", "animal", "--scale-target",
                 "standardize", "--quiet"]) == 2
    assert "--scale-target is for regression" in capsys.readouterr().err


def test_evaluate_names_the_file_whose_targets_do_not_fit_the_model(tmp_path, capsys):
    """Words as the targets of a regression model: the error says which file (it said only
    'y must hold numbers')."""
    prices_csv(tmp_path / "train.csv")
    model = tmp_path / "m.npz"
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--target", "price", "--epochs", "1",
                 "--save", str(model), "--quiet"]) == 0
    (tmp_path / "words.csv").write_text("a,b,c,price\n1,2,3,cheap\n2,3,4,dear\n")
    capsys.readouterr()
    assert main(["evaluate", str(model), "--data", str(tmp_path / "words.csv"), "--target", "price"]) == 2
    assert f"{tmp_path / 'words.csv'}: y must hold numbers" in capsys.readouterr().err


def test_evaluate_scores_a_float32_regression_against_the_file_s_targets_as_written(tmp_path, capsys):
    """bprop evaluate goes through Network.evaluate: mse, mae and r2 against the file's targets in
    float64, not rounded to float32. Outputs a = 1e5 + x of a float32 model are multiples of 2^-7
    near 1e5; against the targets rounded to float32 too it printed "mse 0, mae 0, r2 1"."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(300)
    y = 1e5 + x
    np.savetxt(tmp_path / "d.csv", np.column_stack([x, y]), delimiter=",", header="x,y", comments="", fmt="%.17g")
    net = bprop.Network([1, 1], output="identity", task="regression", seed=0, dtype="float32")
    net.weights[0][...] = 1.0
    net.biases[0][...] = 1e5
    net.save(tmp_path / "m.npz")
    assert main(["evaluate", str(tmp_path / "m.npz"), "--data", str(tmp_path / "d.csv"), "--target", "y"]) == 0
    out = capsys.readouterr().out
    residual = net.predict(x.reshape(-1, 1)) - y  # float64, by hand
    mse, mae = np.mean(residual ** 2), np.mean(np.abs(residual))
    assert mse > 1e-6  # (2^-7)^2 / 12 = 5.1e-6
    assert f"mse {mse:.4g}, mae {mae:.4g}, r2 " in out, out


def test_two_classes_train_with_one_sigmoid_output_when_sizes_end_in_1(tmp_path, capsys):
    """--sizes N,H,1 on a two-class target: one sigmoid unit, a^L = P(second class), with
    cross-entropy by default (as in Python); it was refused with '2 classes out'."""
    x, y = blobs_csv(tmp_path / "two.csv", n=200, labels=("no", "yes"))
    model = tmp_path / "m.npz"
    assert main(["train", "--data", str(tmp_path / "two.csv"), "--target", "animal", "--sizes", "2,8,1",
                 "--epochs", "20", "--save", str(model), "--quiet"]) == 0
    net = bprop.load(model)
    assert net.sizes == [2, 8, 1] and net.output_activation.name == "sigmoid" and net.cost.name == "cross_entropy"
    assert net.classes.tolist() == ["no", "yes"]
    np.testing.assert_array_equal(net.predict(x), np.where(net.predict_proba(x)[:, 0] > 0.5, "yes", "no"))
    assert np.mean(net.predict(x) == y) > 0.9
    capsys.readouterr()
    assert main(["train", "--data", str(tmp_path / "two.csv"), "--target", "animal", "--sizes", "2,8,3"]) == 2
    assert "2 classes out (or 1: one sigmoid output for two classes)" in capsys.readouterr().err


def test_target_given_twice_is_refused_naming_both(tmp_path, capsys):
    """argparse kept the last --target and read the first as a feature: '--target price --target
    score' trained on price."""
    blobs_csv(tmp_path / "t.csv")
    with pytest.raises(SystemExit) as stopped:
        main(["train", "--data", str(tmp_path / "t.csv"), "--target", "animal", "--target", "width"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--target given twice ('animal' and 'width')" in err and "an .npz whose y has one column per target" in err
