"""nn.StandardScaler against scikit-learn's (the reference), and its refusals."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import StandardScaler as SkStandardScaler

import nn

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 6).flatmap(lambda w: st.lists(st.lists(finite, min_size=w, max_size=w), min_size=1, max_size=12)))
def test_matches_scikit_learn(X):
    ours = nn.StandardScaler().fit(X)
    ref = SkStandardScaler().fit(np.array(X, dtype=np.float64))
    assert ours.mean_ == pytest.approx(ref.mean_.tolist(), rel=1e-12, abs=1e-9)
    assert ours.scale_ == pytest.approx(ref.scale_.tolist(), rel=1e-9)
    other = [[v * 0.5 + 1.0 for v in row] for row in X]  # a "test split": scaled by the fitted numbers
    expected = ref.transform(np.array(other, dtype=np.float64)).tolist()
    for row, want in zip(ours.transform(other), expected):
        assert row == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_standardized_training_columns_have_mean_0_and_deviation_1():
    rng = random.Random(0)
    X = [[rng.gauss(3.0, 2.0), rng.uniform(-10, 0), 7.0] for _ in range(200)]
    Z = nn.StandardScaler().fit_transform(X)
    for j, column in enumerate(zip(*Z)):
        mean = sum(column) / len(column)
        std = (sum((v - mean) ** 2 for v in column) / len(column)) ** 0.5
        assert abs(mean) < 1e-12
        assert std == pytest.approx(0.0 if j == 2 else 1.0, abs=1e-12)  # a constant feature stays put: all 0


def test_a_constant_feature_is_exactly_zero_and_its_scale_one():
    scaler = nn.StandardScaler().fit([[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]])  # 0.1 * 3 / 3 is not 0.1 in floats
    assert scaler.mean_[0] == 0.1 and scaler.scale_[0] == 1.0
    assert [row[0] for row in scaler.transform([[0.1, 0.0], [0.1, 5.0]])] == [0.0, 0.0]


def test_a_feature_varying_by_a_few_rounding_steps_counts_as_constant():
    a = 1e6
    X = [[a], [a + 2 * a * 2.0**-52]]  # a few rounding steps apart: noise, not a feature
    assert nn.StandardScaler().fit(X).scale_ == [1.0] == SkStandardScaler().fit(np.array(X)).scale_.tolist()


def test_transform_leaves_its_input_alone_and_accepts_numpy():
    X = [[1.0, 2.0], [3.0, 6.0]]
    scaler = nn.StandardScaler().fit(np.array(X))
    assert scaler.transform(X) == [[-1.0, -1.0], [1.0, 1.0]]
    assert X == [[1.0, 2.0], [3.0, 6.0]]
    assert repr(scaler) == "StandardScaler(n_features=2)" and repr(nn.StandardScaler()) == "StandardScaler()"


@pytest.mark.parametrize(("X", "error", "words"), [
    ([], ValueError, "empty"),
    ("abc", TypeError, "list of rows"),
    ([1.0, 2.0], TypeError, "X[0] must be a row"),
    ([[]], ValueError, "X[0] is empty"),
    ([[1.0, 2.0], [3.0]], ValueError, "X[1] has 1 features, but X[0] has 2"),
    ([[1.0], ["2"]], TypeError, "X[1][0] must be a finite number"),
    ([[1.0], [True]], TypeError, "X[1][0] must be a finite number"),
    ([[1.0], [float("nan")]], ValueError, "X[1][0] must be a finite number, got nan"),
])  # fmt: skip
def test_bad_input_is_refused_with_what_was_wrong(X, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        nn.StandardScaler().fit(X)


def test_transform_needs_fit_and_the_fitted_width():
    with pytest.raises(RuntimeError, match="not fitted"):
        nn.StandardScaler().transform([[1.0]])
    with pytest.raises(ValueError, match="fitted on 2"):
        nn.StandardScaler().fit([[1.0, 2.0]]).transform([[1.0, 2.0, 3.0]])
