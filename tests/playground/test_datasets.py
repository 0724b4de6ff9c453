"""The playground's data sets, features, CSV reader and settings validation (no server)."""

import numpy as np
import pytest

from bprop.playground import datasets
from bprop.playground.settings import DEFAULTS, MAX_LAYERS, validate


@pytest.mark.parametrize("name", datasets.DATASETS)
def test_every_data_set_is_seeded_and_on_the_plane(name):
    points = datasets.generate(name, 301, 20, seed=3)
    again = datasets.generate(name, 301, 20, seed=3)
    other = datasets.generate(name, 301, 20, seed=4)
    assert points.xy.shape == (301, 2) and points.labels.shape == (301,)
    assert np.array_equal(points.xy, again.xy) and not np.array_equal(points.xy, other.xy)
    assert np.all(np.abs(points.xy) < 2 * datasets.RADIUS)
    if name in datasets.REGRESSION:
        assert points.regression and points.labels.dtype == np.float64
    else:
        assert points.n_classes == datasets.n_classes_of(name) == len(np.unique(points.labels))


def test_noise_free_shapes_have_their_labels_where_they_should():
    xor = datasets.generate("xor", 400, 0, seed=0)
    assert np.array_equal(xor.labels, (xor.xy[:, 0] * xor.xy[:, 1] >= 0).astype(int))
    circle = datasets.generate("circle", 400, 0, seed=0)
    assert np.array_equal(circle.labels, (np.hypot(*circle.xy.T) < 3).astype(int))


@pytest.mark.parametrize("name, rule", [("circle", lambda x1, x2: np.hypot(x1, x2) < 3), ("xor", lambda x1, x2: x1 * x2 >= 0)])
def test_noise_moves_points_across_the_boundary_with_their_labels(name, rule):
    # The circle's labels were read after the jitter (inside radius 3 or not): at any noise its
    # classes stayed separable by that circle, and the noise only filled the gap between them.
    clean = datasets.generate(name, 2000, 0, seed=1)
    noisy = datasets.generate(name, 2000, 50, seed=1)
    assert np.array_equal(clean.labels, noisy.labels)
    wrong_side = np.mean(rule(*noisy.xy.T).astype(int) != noisy.labels)
    assert 0.05 < wrong_side < 0.4


def test_split_and_features():
    train, test = datasets.split(10, 30, seed=1)
    assert len(train) == 3 and len(test) == 7 and sorted(np.concatenate([train, test])) == list(range(10))
    xy = np.array([[1.0, 2.0], [-0.5, 3.0]])
    x = datasets.features(xy, ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"])
    assert np.allclose(x[1], [-0.5, 3.0, 0.25, 9.0, -1.5, np.sin(-0.5), np.sin(3.0)])
    assert datasets.grid(3)[0].tolist() == [-6.0, 6.0]  # top-left first


def test_csv_reader():
    points = datasets.parse_csv("x1,x2,label\n0,1,0\n1,0,1\n2,2,2\n3,1,0\n", regression=False)
    assert points.labels.tolist() == [0, 1, 2, 0] and points.n_classes == 3
    values = datasets.parse_csv("0,1,0.5\n1,0,-1\n2,2,3\n3,1,0\n", regression=True)
    assert values.labels.tolist() == [0.5, -1.0, 3.0, 0.0]
    for text, message in (("0,1,0\n1,0,1\n", "at least 4"), ("0,1,0\n1,0,1\n2,2,1.5\n3,3,0\n", "integers"),
                          ("0,1,1\n1,0,1\n2,2,1\n3,3,1\n", "two classes"), ("0,1\n1,0\n2,2\n3,3\n", "expected 3"),
                          ("0,1,0\n" * 5001, "at most 5000"), ("0,1,0\n" * 200_000, "larger than")):
        with pytest.raises(ValueError, match=message):
            datasets.parse_csv(text, regression=False)


def test_settings_defaults_limits_and_canonical_features():
    assert validate({}) == validate(dict(DEFAULTS))
    assert validate({"features": ["x2", "x1"]})["features"] == ["x1", "x2"]
    assert validate({"hidden": [32] * MAX_LAYERS})["hidden"] == [32] * 8
    with pytest.raises(ValueError, match="regression data set"):
        validate({"dataset": "xor", "problem": "regression"})
    with pytest.raises(ValueError, match="valid values are"):
        validate({"optimizer": "rmsprop"})
