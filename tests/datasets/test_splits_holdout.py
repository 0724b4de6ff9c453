"""datasets.splits.holdout_keeping_single_rows: the held-out rows when a class has one row."""

import numpy as np
import pytest

from bprop.datasets.splits import holdout_keeping_single_rows
from bprop.sklearn import MLPClassifier


@pytest.mark.parametrize("seed", [0, 3, 12])
def test_a_class_of_one_row_stays_in_training_and_the_others_are_stratified(seed):
    """50 a, 30 b, 1 c and 17 rows to hold out: 11 a and 6 b (stratified), c trained on. One row
    of c turned stratification off (seed 0 held out 9 a and 8 b; seed 12 held out c itself)."""
    labels = np.array(["a"] * 50 + ["b"] * 30 + ["c"])
    kept, held = holdout_keeping_single_rows(labels, 17, seed)
    assert sorted(np.concatenate([kept, held]).tolist()) == list(range(81))
    assert {label: int(np.sum(labels[held] == label)) for label in "abc"} == {"a": 11, "b": 6, "c": 0}
    assert 80 in kept


def test_no_single_row_class_or_too_few_held_rows_leaves_the_split_to_the_caller():
    assert holdout_keeping_single_rows(np.array([0, 0, 1, 1, 2, 2]), 2, 0) is None  # no class of one row
    assert holdout_keeping_single_rows(np.array([0] * 5 + [1] * 5 + [2]), 1, 0) is None  # 1 row for 2 classes


def test_early_stopping_keeps_a_single_row_class_in_training():
    """MLPClassifier(early_stopping=True) fell back to an unstratified split for a class of one row,
    which could hold that row out: its class was never trained on. The row weighs 1000 here, so the
    L2 term's n (the training part's Σ w) says which part it landed in."""
    rng = np.random.default_rng(0)
    y = np.array([0] * 50 + [1] * 30 + [2])
    X = rng.standard_normal((81, 4)) + 3.0 * np.eye(4)[y]
    weights = np.ones(81)
    weights[80] = 1000.0
    for state in range(20):
        est = MLPClassifier((8,), early_stopping=True, validation_fraction=0.2, random_state=state, max_epochs=1)
        est.fit(X, y, sample_weight=weights)
        n = est.network_.regularizer.n
        assert n == 1000 + 63, (state, n)  # the row of class 2 and 63 others trained on; 17 held out
