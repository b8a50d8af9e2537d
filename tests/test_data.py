"""Specification of nn.data: toy data-set geometry, seeding, splitting, batching and the digits."""

import math
import random
import sys
from collections import Counter
from itertools import pairwise

import pytest
import sklearn.datasets
import torch
from sklearn.model_selection import train_test_split as sk_train_test_split

from nn.data import (
    DATASETS,
    DataLoader,
    load_digits,
    make_blobs,
    make_circles,
    make_moons,
    make_spiral,
    make_xor,
    train_test_split,
)

GENERATORS = [make_moons, make_circles, make_blobs, make_spiral, make_xor]


# --------------------------------------------------------------------------- geometry (hand-derived)

@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_noise_free_moons_lie_exactly_on_their_two_unit_half_circles(n):
    X, y = make_moons(n, noise=0.0, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        if label == 0:  # upper half circle centred at (0, 0)
            assert math.isclose(a * a + b * b, 1.0, abs_tol=1e-12)
            assert b >= -1e-12
        else:  # lower half circle centred at (1, 0.5)
            assert math.isclose((a - 1.0) ** 2 + (b - 0.5) ** 2, 1.0, abs_tol=1e-12)
            assert b <= 0.5 + 1e-12
    # sklearn's split: n // 2 outer points, the rest inner
    assert (y.count(0), y.count(1)) == (n // 2, n - n // 2)


def test_noise_free_moons_span_the_whole_half_circles_from_end_to_end():
    X, y = make_moons(50, noise=0.0, seed=1)
    outer = sorted(tuple(p) for p, label in zip(X, y, strict=True) if label == 0)
    inner = sorted(tuple(p) for p, label in zip(X, y, strict=True) if label == 1)
    # t = 0 and t = pi are both included: outer ends (-1, 0) and (1, 0); inner ends (0, 0.5) and (2, 0.5)
    assert outer[0] == pytest.approx((-1.0, 0.0), abs=1e-12)
    assert outer[-1] == pytest.approx((1.0, 0.0), abs=1e-12)
    assert inner[0] == pytest.approx((0.0, 0.5), abs=1e-12)
    assert inner[-1] == pytest.approx((2.0, 0.5), abs=1e-12)


def test_noisy_moons_scatter_with_the_requested_standard_deviation():
    X, y = make_moons(4000, noise=0.1, seed=3)
    # the radial distance to its own circle of each point is ~ N(0, 0.1^2) to first order
    dev = [math.hypot(a, b) - 1.0 if label == 0 else math.hypot(a - 1.0, b - 0.5) - 1.0
           for (a, b), label in zip(X, y, strict=True)]
    std = math.sqrt(sum(d * d for d in dev) / len(dev))
    assert 0.09 < std < 0.11


@pytest.mark.parametrize("factor", [0.1, 0.5, 0.8])
def test_noise_free_circles_sit_at_radius_one_and_factor(factor):
    X, y = make_circles(60, noise=0.0, factor=factor, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        assert math.isclose(math.hypot(a, b), 1.0 if label == 0 else factor, abs_tol=1e-12)
    assert Counter(y) == {0: 30, 1: 30}


def test_circle_points_are_evenly_spaced_in_angle():
    X, y = make_circles(16, noise=0.0, factor=0.5, seed=0)
    outer = [p for p, label in zip(X, y, strict=True) if label == 0]
    angles = sorted(math.atan2(b, a) % (2 * math.pi) for a, b in outer)
    gaps = [b - a for a, b in pairwise(angles)]
    assert gaps == pytest.approx([2 * math.pi / 8] * 7, abs=1e-12)


def test_xor_labels_follow_the_quadrant_rule():
    X, y = make_xor(400, noise=0.1, seed=5)
    for (a, b), label in zip(X, y, strict=True):
        assert label == int((a > 0) != (b > 0))


def test_noise_free_xor_puts_every_point_on_a_corner():
    X, y = make_xor(8, noise=0.0, seed=0)
    assert sorted(map(tuple, X)) == sorted([(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0)] * 2)
    assert Counter(y) == {0: 4, 1: 4}


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_spiral_radii_grow_from_zero_to_one_along_each_arm(n_classes):
    X, y = make_spiral(90, n_classes=n_classes, noise=0.3, seed=2)
    for label in range(n_classes):
        radii = sorted(math.hypot(a, b) for (a, b), c in zip(X, y, strict=True) if c == label)
        assert all(0.0 <= r <= 1.0 + 1e-12 for r in radii)
        assert radii[0] == pytest.approx(0.0, abs=1e-12)
        assert radii[-1] == pytest.approx(1.0, abs=1e-12)


def test_noise_free_spiral_arm_turns_four_radians_from_its_start_angle():
    k = 3
    X, y = make_spiral(30, n_classes=k, noise=0.0, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        r = math.hypot(a, b)
        if r == 0.0:
            continue
        t = 2 * math.pi * label / k + 4 * r  # the point is r (sin t, cos t)
        assert a == pytest.approx(r * math.sin(t), abs=1e-12)
        assert b == pytest.approx(r * math.cos(t), abs=1e-12)


def test_blobs_scatter_around_given_centers_with_cluster_std():
    centers = [[0.0, 0.0, 0.0], [5.0, -5.0, 2.0]]
    X, y = make_blobs(6000, centers=centers, n_features=3, cluster_std=0.5, seed=4)
    for label, center in enumerate(centers):
        pts = [p for p, c in zip(X, y, strict=True) if c == label]
        assert len(pts) == 3000
        for d in range(3):
            col = [p[d] for p in pts]
            mean = sum(col) / len(col)
            std = math.sqrt(sum((v - mean) ** 2 for v in col) / len(col))
            assert abs(mean - center[d]) < 0.05
            assert 0.47 < std < 0.53


def test_blob_centers_drawn_from_center_box():
    X, y = make_blobs(300, centers=4, n_features=2, cluster_std=0.0, center_box=(2.0, 3.0), seed=8)
    assert all(2.0 <= v <= 3.0 for p in X for v in p)
    # with cluster_std 0 every class is a single point and the classes are distinct points
    by_class = {c: {tuple(p) for p, cc in zip(X, y, strict=True) if cc == c} for c in range(4)}
    assert all(len(points) == 1 for points in by_class.values())
    assert len(set.union(*by_class.values())) == 4


# --------------------------------------------------------------------------- shapes, balance, seeds

@pytest.mark.parametrize("name, k", [("moons", 2), ("circles", 2), ("blobs", 3), ("spiral", 3), ("xor", 2)])
@pytest.mark.parametrize("n", [1, 5, 99, 100, 101])
def test_every_generator_returns_float_rows_int_labels_and_balanced_classes(name, k, n):
    X, y = DATASETS[name](n_samples=n, seed=0)
    assert len(X) == len(y) == n
    assert all(len(row) == 2 and all(type(v) is float for v in row) for row in X)
    assert all(type(c) is int and 0 <= c < k for c in y)
    counts = [Counter(y)[c] for c in range(k)]
    assert sum(counts) == n and max(counts) - min(counts) <= 1


def test_datasets_registry_names_the_five_generators():
    assert DATASETS == {"moons": make_moons, "circles": make_circles, "blobs": make_blobs,
                        "spiral": make_spiral, "xor": make_xor}


@pytest.mark.parametrize("gen", GENERATORS)
def test_same_seed_reproduces_and_other_seed_differs(gen):
    assert gen(n_samples=50, seed=11) == gen(n_samples=50, seed=11)
    assert gen(n_samples=50, seed=11) != gen(n_samples=50, seed=12)


@pytest.mark.parametrize("gen", GENERATORS)
def test_generators_shuffle_the_samples_unless_told_not_to(gen):
    X_plain, y_plain = gen(n_samples=60, seed=0, shuffle=False)
    X, y = gen(n_samples=60, seed=0)
    # the same samples (the noise is drawn before the shuffle), in another order
    assert sorted(zip(X, y, strict=True)) == sorted(zip(X_plain, y_plain, strict=True))
    assert X != X_plain and y != y_plain
    # unshuffled, the classes come in blocks of consecutive samples (at most one block per corner)
    blocks = 1 + sum(a != b for a, b in pairwise(y_plain))
    assert blocks <= 4 and blocks < 1 + sum(a != b for a, b in pairwise(y))


def test_global_random_state_is_left_untouched():
    random.seed(1234)
    state = random.getstate()
    for gen in GENERATORS:
        gen(n_samples=30, seed=1)
        gen(n_samples=30)
    train_test_split(list(range(20)), list(range(20)), seed=3)
    loader = DataLoader(list(range(20)), list(range(20)), batch_size=3, shuffle=True, seed=3)
    list(loader)
    assert random.getstate() == state


# --------------------------------------------------------------------------- train_test_split

@pytest.mark.parametrize("n", [2, 3, 10, 17, 100, 101])
@pytest.mark.parametrize("test_size", [0.1, 0.2, 0.25, 1 / 3, 0.5, 0.7, 1])
def test_train_test_split_sizes_match_scikit_learn(n, test_size):
    X = [[float(i)] for i in range(n)]
    y = list(range(n))
    try:
        sk_X_train, sk_X_test, _, _ = sk_train_test_split(X, y, test_size=test_size, random_state=0)
    except ValueError:  # sklearn refuses (an empty train set): so must we
        with pytest.raises(ValueError, match="test_size"):
            train_test_split(X, y, test_size=test_size, seed=0)
        return
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=0)
    assert (len(X_train), len(X_test)) == (len(sk_X_train), len(sk_X_test))
    assert (len(y_train), len(y_test)) == (len(sk_X_train), len(sk_X_test))


def test_train_test_split_is_a_partition_that_keeps_rows_and_labels_together():
    X = [[float(i), -float(i)] for i in range(37)]
    y = [i % 3 for i in range(37)]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=9)
    assert sorted(X_train + X_test) == sorted(X)
    for row, label in zip(X_train + X_test, y_train + y_test, strict=True):
        assert label == int(row[0]) % 3
    assert X_train + X_test != X  # it was shuffled


def test_train_test_split_without_shuffle_keeps_the_order_and_tests_on_the_tail():
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    sk = sk_train_test_split(X, y, test_size=0.25, shuffle=False)
    assert list(train_test_split(X, y, test_size=0.25, shuffle=False)) == [list(part) for part in sk]


def test_train_test_split_seed_reproduces_and_differs():
    X, y = make_moons(40, seed=0)
    assert train_test_split(X, y, seed=1) == train_test_split(X, y, seed=1)
    assert train_test_split(X, y, seed=1) != train_test_split(X, y, seed=2)


# --------------------------------------------------------------------------- DataLoader

@pytest.mark.parametrize("n, batch_size", [(10, 1), (10, 3), (10, 5), (10, 10), (7, 4), (100, 32)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_length_and_batch_sizes_match_torch(n, batch_size, drop_last):
    X = [[float(i)] for i in range(n)]
    y = list(range(n))
    ours = DataLoader(X, y, batch_size=batch_size, drop_last=drop_last)
    ref = torch.utils.data.DataLoader(list(range(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(ref)
    assert [len(yb) for _, yb in ours] == [len(b) for b in ref]
    assert [yb for _, yb in ours] == [b.tolist() for b in ref]  # same order without shuffle


def test_dataloader_yields_every_sample_exactly_once_per_epoch_and_reshuffles():
    X = [[float(i), 2.0 * i] for i in range(23)]
    y = list(range(23))
    loader = DataLoader(X, y, batch_size=4, shuffle=True, seed=0)
    epochs = []
    for _ in range(3):
        order = []
        for xb, yb in loader:
            assert len(xb) == len(yb) <= 4
            assert all(row == X[label] for row, label in zip(xb, yb, strict=True))
            order.extend(yb)
        assert sorted(order) == y
        epochs.append(order)
    assert epochs[0] != epochs[1] and epochs[1] != epochs[2]
    assert epochs[0] != y


def test_dataloader_seed_reproduces_the_sequence_of_epochs():
    X, y = make_xor(30, seed=0)

    def two_epochs(seed):
        loader = DataLoader(X, y, batch_size=8, shuffle=True, seed=seed)
        return [list(loader), list(loader)]

    assert two_epochs(5) == two_epochs(5)
    assert two_epochs(5) != two_epochs(6)


def test_dataloader_drop_last_leaves_out_only_the_short_batch():
    loader = DataLoader(list(range(10)), list(range(10)), batch_size=4, shuffle=True, seed=1, drop_last=True)
    batches = [yb for _, yb in loader]
    assert len(batches) == len(loader) == 2
    assert all(len(b) == 4 for b in batches)
    assert len(set(sum(batches, []))) == 8


# --------------------------------------------------------------------------- digits

def test_load_digits_equals_scikit_learn_exactly():
    ref = sklearn.datasets.load_digits()
    X, y = load_digits()
    assert len(X) == 1797 and all(len(row) == 64 for row in X)
    assert X == (ref.data / 16.0).tolist()
    assert y == ref.target.tolist()
    assert sorted(set(y)) == list(range(10))
    assert all(type(v) is float for v in X[0]) and all(type(c) is int for c in y)
    X_raw, _ = load_digits(normalize=False)
    assert X_raw == ref.data.tolist()
    assert max(map(max, X)) == 1.0 and max(map(max, X_raw)) == 16.0


def test_load_digits_without_scikit_learn_says_how_to_install_it(monkeypatch):
    for name in list(sys.modules):
        if name == "sklearn" or name.startswith("sklearn."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn...` raise ImportError
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        load_digits()


# --------------------------------------------------------------------------- bad input

BAD_GENERATOR_CALLS = [
    (make_moons, {"n_samples": 0}, ValueError, "n_samples"),
    (make_moons, {"n_samples": -3}, ValueError, "n_samples"),
    (make_moons, {"n_samples": 10.0}, TypeError, "n_samples"),
    (make_moons, {"n_samples": True}, TypeError, "n_samples"),
    (make_moons, {"noise": -0.1}, ValueError, "noise"),
    (make_moons, {"noise": float("nan")}, ValueError, "noise"),
    (make_moons, {"noise": "0.1"}, TypeError, "noise"),
    (make_moons, {"seed": 1.5}, TypeError, "seed"),
    (make_moons, {"seed": "abc"}, TypeError, "seed"),
    (make_moons, {"shuffle": 1}, TypeError, "shuffle"),
    (make_circles, {"n_samples": 0}, ValueError, "n_samples"),
    (make_circles, {"noise": -1}, ValueError, "noise"),
    (make_circles, {"factor": 0.0}, ValueError, "factor"),
    (make_circles, {"factor": 1.0}, ValueError, "factor"),
    (make_circles, {"factor": 1.5}, ValueError, "factor"),
    (make_circles, {"factor": "big"}, TypeError, "factor"),
    (make_blobs, {"n_samples": 0}, ValueError, "n_samples"),
    (make_blobs, {"centers": 0}, ValueError, "centers"),
    (make_blobs, {"centers": 2.5}, TypeError, "centers"),
    (make_blobs, {"centers": []}, ValueError, "centers"),
    (make_blobs, {"centers": [[0.0, 0.0], [1.0]]}, ValueError, "centers"),
    (make_blobs, {"n_features": 0}, ValueError, "n_features"),
    (make_blobs, {"cluster_std": -1.0}, ValueError, "cluster_std"),
    (make_blobs, {"center_box": (1.0, -1.0)}, ValueError, "center_box"),
    (make_blobs, {"center_box": (0.0,)}, ValueError, "center_box"),
    (make_spiral, {"n_samples": 0}, ValueError, "n_samples"),
    (make_spiral, {"n_classes": 1}, ValueError, "n_classes"),
    (make_spiral, {"n_classes": 3.0}, TypeError, "n_classes"),
    (make_spiral, {"noise": -0.2}, ValueError, "noise"),
    (make_xor, {"n_samples": 0}, ValueError, "n_samples"),
    (make_xor, {"noise": -0.1}, ValueError, "noise"),
]


@pytest.mark.parametrize("gen, kwargs, error, name", BAD_GENERATOR_CALLS)
def test_bad_generator_arguments_raise_an_error_naming_the_argument_and_value(gen, kwargs, error, name):
    with pytest.raises(error) as info:
        gen(**kwargs)
    message = str(info.value)
    value = next(iter(kwargs.values()))
    assert name in message and "got" in message
    if not isinstance(value, list):  # a scalar is quoted back as received
        assert repr(value) in message or str(value) in message


@pytest.mark.parametrize("X, y, kwargs, error, needle", [
    ([[0.0]] * 5, [0] * 4, {}, ValueError, "len(X)=5 and len(y)=4"),
    ([], [], {}, ValueError, "at least one"),
    ("abc", [0, 1, 2], {}, TypeError, "X"),
    ([[0.0]] * 5, [0] * 5, {"test_size": 0.0}, ValueError, "test_size"),
    ([[0.0]] * 5, [0] * 5, {"test_size": 1.0}, ValueError, "test_size"),
    ([[0.0]] * 5, [0] * 5, {"test_size": 5}, ValueError, "test_size"),
    ([[0.0]] * 5, [0] * 5, {"test_size": 0}, ValueError, "test_size"),
    ([[0.0]] * 5, [0] * 5, {"test_size": "half"}, TypeError, "test_size"),
    ([[0.0]] * 2, [0] * 2, {"test_size": 0.9}, ValueError, "empty training set"),
    ([[0.0]] * 5, [0] * 5, {"shuffle": "yes"}, TypeError, "shuffle"),
    ([[0.0]] * 5, [0] * 5, {"seed": 0.5}, TypeError, "seed"),
])
def test_bad_train_test_split_arguments_raise_clear_errors(X, y, kwargs, error, needle):
    with pytest.raises(error, match=needle.replace("(", r"\(").replace(")", r"\)")):
        train_test_split(X, y, **kwargs)


@pytest.mark.parametrize("X, y, kwargs, error, needle", [
    ([[0.0]] * 3, [0] * 2, {}, ValueError, "len(X)=3 and len(y)=2"),
    ([[0.0]] * 3, [0] * 3, {"batch_size": 0}, ValueError, "batch_size"),
    ([[0.0]] * 3, [0] * 3, {"batch_size": 2.0}, TypeError, "batch_size"),
    ([[0.0]] * 3, [0] * 3, {"shuffle": None}, TypeError, "shuffle"),
    ([[0.0]] * 3, [0] * 3, {"drop_last": 1}, TypeError, "drop_last"),
    ([[0.0]] * 3, [0] * 3, {"batch_size": 4, "drop_last": True}, ValueError, "no batch"),
    ([[0.0]] * 3, [0] * 3, {"seed": "s"}, TypeError, "seed"),
])
def test_bad_dataloader_arguments_raise_clear_errors(X, y, kwargs, error, needle):
    with pytest.raises(error, match=needle.replace("(", r"\(").replace(")", r"\)")):
        DataLoader(X, y, **kwargs)


def test_load_digits_rejects_a_non_bool_normalize():
    with pytest.raises(TypeError, match="normalize"):
        load_digits(normalize="yes")


def test_numpy_numbers_give_the_same_data_as_python_numbers_and_bools_are_still_refused():
    np = pytest.importorskip("numpy")
    assert make_moons(np.int64(20), noise=np.float32(0.25), seed=np.int64(1)) == make_moons(20, noise=0.25, seed=1)
    assert (make_blobs(10, centers=np.int32(2), center_box=(np.float32(-1), 1.0), seed=0)
            == make_blobs(10, centers=2, center_box=(-1.0, 1.0), seed=0))  # fmt: skip
    X, y = list(range(10)), list(range(10))
    assert train_test_split(X, y, test_size=np.int64(3), seed=0) == train_test_split(X, y, test_size=3, seed=0)
    assert [b for _, b in DataLoader(X, y, batch_size=np.int64(4))] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    with pytest.raises(TypeError, match="n_samples"):
        make_moons(True)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0.*too large for a float"):
        make_moons(10, noise=10**400)
    with pytest.raises(ValueError, match="center_box"):
        make_blobs(10, center_box=(0, 10**400))
