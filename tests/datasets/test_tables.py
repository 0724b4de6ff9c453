"""Tests for bprop.datasets.tables: what read_table makes of the CSV files people actually have."""

import re

import numpy as np
import pytest

from bprop.datasets import read_table


def write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("marker", ["NA", "nan", "NaN", "N/A", "null", "?"])
def test_a_missing_marker_in_a_numeric_target_is_refused_not_read_as_class_labels(tmp_path, marker):
    # One "NA" among numeric targets once turned every value into a word: a regression
    # target became classification with one class per distinct value, without a word.
    rows = "\n".join(f"{i},{i * 0.5},{10.0 + 0.37 * i:.2f}" for i in range(60))
    path = write(tmp_path / "r.csv", f"a,b,price\n{rows}\n60,30,{marker}\n")
    with pytest.raises(ValueError, match=re.escape(f"missing target at line 62, column 'price' ({marker!r})")):
        read_table(path, target="price")


def test_words_among_word_labels_stay_labels(tmp_path):
    path = write(tmp_path / "c.csv", "a,region\n1,EU\n2,NA\n3,EU\n")  # NA: North America, a class
    assert read_table(path, target="region").y.tolist() == ["EU", "NA", "EU"]


def test_whole_targets_beyond_exact_integers_stay_floats(tmp_path):
    # float64 -> int64 of values past 2**63 wrapped around (1e20 read as -9.2e18).
    values = [1e20, 2e20, 3e20, 4e20]
    path = write(tmp_path / "big.csv", "a,y\n" + "".join(f"{i},{v:.0f}\n" for i, v in enumerate(values)))
    y = read_table(path, target="y").y
    assert y.dtype == np.float64 and y.tolist() == values
    small = write(tmp_path / "small.csv", "a,y\n1,3\n2,-4\n3,2.0\n")
    y = read_table(small, target="y").y
    assert y.dtype == np.int64 and y.tolist() == [3, -4, 2]


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity"])
def test_an_infinite_feature_or_target_names_its_line_and_column(tmp_path, cell):
    path = write(tmp_path / "f.csv", f"a,b,y\n1,2,0\n3,{cell},1\n")
    with pytest.raises(ValueError, match=rf"f.csv: column 'b' line 3 has {cell!r}: .*finite"):
        read_table(path, target="y")
    path = write(tmp_path / "t.csv", f"a,b,y\n1,2,0.5\n3,4,{cell}\n")
    with pytest.raises(ValueError, match=rf"t.csv: target column 'y' line 3 has {cell!r}: .*finite"):
        read_table(path, target="y")


def test_a_trailing_separator_on_every_line_adds_no_column(tmp_path):
    # Spreadsheet exports often end each line with a comma: an unnamed, empty last column.
    path = write(tmp_path / "t.csv", "a,b,label,\n1,2,x,\n3,4,y,\n")
    table = read_table(path, target=-1)
    assert table.feature_names == ["a", "b"] and table.y.tolist() == ["x", "y"]
    assert read_table(write(tmp_path / "n.csv", "1,2,0,\n3,4,1,\n"), target=-1).y.tolist() == [0, 1]


def test_an_empty_column_with_a_name_is_still_a_missing_value(tmp_path):
    path = write(tmp_path / "e.csv", "a,b,label\n1,,x\n3,,y\n")
    with pytest.raises(ValueError, match="missing value at line 2, column 'b'"):
        read_table(path, target="label")


def test_a_header_name_that_looks_like_a_position_is_the_name(tmp_path):
    # Columns named "0" and "1" (one-hot or year columns): --target 1 is the column named "1".
    path = write(tmp_path / "h.csv", "x,0,1\n5,7,a\n6,8,b\n")
    table = read_table(path, target="1")
    assert table.target_name == "1" and table.y.tolist() == ["a", "b"]
    assert table.feature_names == ["x", "0"] and table.x.tolist() == [[5, 7], [6, 8]]
    assert read_table(path, target=2).target_name == "1"  # an int is always a position


def test_a_target_name_two_columns_share_is_refused(tmp_path):
    path = write(tmp_path / "d.csv", "f,f,label\n1,2,x\n3,4,y\n")
    with pytest.raises(ValueError, match=r"2 columns are named 'f' \(positions 0, 1\)"):
        read_table(path, target="f")
    assert read_table(path, target="label").feature_names == ["f", "f"]


def test_a_decimal_comma_is_named_as_such(tmp_path):
    path = write(tmp_path / "eu.csv", "f1;f2;label\n0,126;-0,132;no\n1,5;2,25;yes\n")
    with pytest.raises(ValueError, match=r"line 2 has '0,126' \(a decimal comma\? bprop reads numbers with a "
                                         r"decimal point, such as 0.126\)"):
        read_table(path, target="label")


def test_a_word_among_fractional_numeric_targets_is_refused(tmp_path):
    # '#VALUE!' among prices made every price a class label: classification, one class per price.
    rows = "".join(f"{i},{10 + 0.25 * i}\n" for i in range(30))
    path = write(tmp_path / "p.csv", f"a,price\n{rows}30,#VALUE!\n")
    with pytest.raises(ValueError, match=r"target column 'price' holds numbers such as 10.25 and words: line 32 has "
                                         r"'#VALUE!'"):
        read_table(path, target="price")
    whole = write(tmp_path / "w.csv", "a,label\n1,1\n2,2\n3,other\n")  # whole numbers and words: labels
    assert read_table(whole, target="label").y.tolist() == ["1", "2", "other"]


def test_a_row_with_more_fields_than_the_header_is_named_on_one_line(tmp_path):
    """pandas's message ends with a newline: 'bprop evaluate' printed it as two lines."""
    (tmp_path / "r.csv").write_text("a,b,c,label\n1,2,3,x\n1,2,3,4,y\n")
    with pytest.raises(ValueError) as caught:
        read_table(tmp_path / "r.csv", target="label")
    assert re.fullmatch(r".*r.csv: not a readable CSV file \(.*Expected 4 fields in line 3, saw 5\)", str(caught.value))
