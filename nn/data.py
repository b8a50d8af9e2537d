"""Toy data sets, a train/test split and a mini-batch loader, in plain Python lists."""

from __future__ import annotations

import math
import numbers
import random
import reprlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nn.checks import check_bool, check_int, check_real, from_array, generator, is_finite_real, is_real
from nn.rng_state import get_rng_state, set_rng_state

__all__ = [
    "DATASETS",
    "DataLoader",
    "StandardScaler",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spiral",
    "make_xor",
    "train_test_split",
]

Dataset = tuple[list[list[float]], list[int]]


# ---------------------------------------------------------------------------
# argument checks: each names the argument, what it got and what it allows
# ---------------------------------------------------------------------------

def _check_real(name: str, value: Any, allowed: str) -> float:
    return check_real(name, value, allowed)  # NumPy's numbers pass as Python's, bools never


def _check_noise(name: str, value: Any) -> float:
    noise = _check_real(name, value, "a finite number >= 0 (a standard deviation)")
    if noise < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (a standard deviation), got {value}")
    return noise


def _split_evenly(n: int, parts: int) -> list[int]:
    """n = sum of `parts` counts that differ by at most one (the first ones get the extra)."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def _linspace(start: float, stop: float, num: int, endpoint: bool = True) -> list[float]:
    """`num` evenly spaced numbers from start to stop (stop included when endpoint), like numpy's."""
    if num == 1:
        return [float(start)]
    steps = num - 1 if endpoint else num
    return [start + (stop - start) * i / steps for i in range(num)]


def _finish(X: list[list[float]], y: list[int], shuffle: bool, rng: random.Random) -> Dataset:
    if shuffle:
        order = list(range(len(y)))
        rng.shuffle(order)
        X = [X[i] for i in order]
        y = [y[i] for i in order]
    return X, y


# ---------------------------------------------------------------------------
# generators
# ---------------------------------------------------------------------------

def make_moons(n_samples: int = 100, noise: float = 0.0, seed: int | None = None,
               shuffle: bool = True) -> Dataset:
    """Two half circles: class 0 is (cos t, sin t), class 1 is (1 - cos t, 1 - sin t - 0.5), t in [0, pi].

    Gaussian noise of standard deviation `noise` is added to every coordinate. Class 0 gets
    n_samples // 2 points, class 1 the rest (scikit-learn's split).
    """
    check_int("n_samples", n_samples, 1)
    noise = _check_noise("noise", noise)
    check_bool("shuffle", shuffle)
    rng = generator(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    X: list[list[float]] = []
    y: list[int] = []
    for t in _linspace(0.0, math.pi, n_outer):
        X.append([math.cos(t), math.sin(t)])
        y.append(0)
    for t in _linspace(0.0, math.pi, n_inner):
        X.append([1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5])
        y.append(1)
    X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in X]
    return _finish(X, y, shuffle, rng)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, seed: int | None = None,
                 shuffle: bool = True) -> Dataset:
    """Two circles: class 0 at radius 1, class 1 at radius `factor`, angles evenly spaced in [0, 2 pi).

    Gaussian noise of standard deviation `noise` is added to every coordinate. The outer circle gets
    n_samples // 2 points, the inner one the rest (scikit-learn's split).
    """
    check_int("n_samples", n_samples, 1)
    noise = _check_noise("noise", noise)
    factor = _check_real("factor", factor, "a number strictly between 0 and 1")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be a number strictly between 0 and 1, got {factor}")
    check_bool("shuffle", shuffle)
    rng = generator(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    X: list[list[float]] = []
    y: list[int] = []
    for label, (count, radius) in enumerate([(n_outer, 1.0), (n_inner, factor)]):
        for t in _linspace(0.0, 2.0 * math.pi, count, endpoint=False):
            X.append([radius * math.cos(t) + rng.gauss(0.0, noise),
                      radius * math.sin(t) + rng.gauss(0.0, noise)])
            y.append(label)
    return _finish(X, y, shuffle, rng)


def make_blobs(n_samples: int = 100, centers: int | Sequence[Sequence[float]] = 3, n_features: int = 2,
               cluster_std: float = 1.0, center_box: tuple[float, float] = (-10.0, 10.0),
               seed: int | None = None, shuffle: bool = True) -> Dataset:
    """Gaussian clusters: class i is centers[i] + N(0, cluster_std^2) in each of n_features coordinates.

    `centers` is either a count (the centers are then drawn uniformly from `center_box` in every
    coordinate) or a list of points with n_features coordinates each.
    """
    check_int("n_samples", n_samples, 1)
    check_int("n_features", n_features, 1)
    std = _check_noise("cluster_std", cluster_std)
    check_bool("shuffle", shuffle)
    if (not isinstance(center_box, (tuple, list)) or len(center_box) != 2
            or not all(is_finite_real(v) for v in center_box)
            or not center_box[0] < center_box[1]):
        raise ValueError(f"center_box must be a pair (low, high) of finite numbers with low < high, "
                         f"got {center_box!r}")
    rng = generator(seed)
    if isinstance(centers, bool) or not isinstance(centers, (numbers.Integral, list, tuple)):
        raise TypeError(f"centers must be an int >= 1 or a list of points, got {centers!r} "
                        f"of type {type(centers).__name__}")
    if isinstance(centers, numbers.Integral):
        centers = check_int("centers", centers, 1)
        low, high = float(center_box[0]), float(center_box[1])
        points = [[rng.uniform(low, high) for _ in range(n_features)] for _ in range(centers)]
    else:
        if len(centers) == 0:
            raise ValueError("centers must be an int >= 1 or a non-empty list of points, got an empty list")
        points = []
        for i, point in enumerate(centers):
            if not isinstance(point, (list, tuple)) or len(point) != n_features:
                raise ValueError(f"centers[{i}] must be a point with n_features={n_features} coordinates, "
                                 f"got {point!r}")
            points.append([_check_real(f"centers[{i}] coordinates", v, "finite numbers") for v in point])
    X: list[list[float]] = []
    y: list[int] = []
    counts = _split_evenly(n_samples, len(points))
    for label, (center, count) in enumerate(zip(points, counts, strict=True)):
        for _ in range(count):
            X.append([c + rng.gauss(0.0, std) for c in center])
            y.append(label)
    return _finish(X, y, shuffle, rng)


def make_spiral(n_samples: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int | None = None,
                shuffle: bool = True) -> Dataset:
    """k spiral arms (CS231n's): arm j is r (sin t, cos t), r from 0 to 1, t = 2 pi j / k + 4 r + noise.

    The radius grows linearly from 0 to 1 along each arm while the angle turns by 4 radians; the
    arms start 2 pi / k apart, and `noise` is the standard deviation of gaussian noise on the angle
    (so every radius stays in [0, 1]).
    """
    check_int("n_samples", n_samples, 1)
    check_int("n_classes", n_classes, 2)
    noise = _check_noise("noise", noise)
    check_bool("shuffle", shuffle)
    rng = generator(seed)
    X: list[list[float]] = []
    y: list[int] = []
    for label, count in enumerate(_split_evenly(n_samples, n_classes)):
        start = 2.0 * math.pi * label / n_classes
        for r in _linspace(0.0, 1.0, count):
            t = start + 4.0 * r + rng.gauss(0.0, noise)
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(label)
    return _finish(X, y, shuffle, rng)


def make_xor(n_samples: int = 100, noise: float = 0.1, seed: int | None = None,
             shuffle: bool = True) -> Dataset:
    """Four gaussian clusters at (+-1, +-1); class = 1 when sign(x1) != sign(x2) of the cluster centre.

    `noise` is the standard deviation of each cluster. The label belongs to the cluster, so with a
    large noise a few points may stray into a neighbouring quadrant.
    """
    check_int("n_samples", n_samples, 1)
    noise = _check_noise("noise", noise)
    check_bool("shuffle", shuffle)
    rng = generator(seed)
    # ordered so the leftover points of an uneven split alternate between the two classes
    corners = [(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0)]
    X: list[list[float]] = []
    y: list[int] = []
    for (cx, cy), count in zip(corners, _split_evenly(n_samples, 4), strict=True):
        label = int((cx > 0) != (cy > 0))
        for _ in range(count):
            X.append([cx + rng.gauss(0.0, noise), cy + rng.gauss(0.0, noise)])
            y.append(label)
    return _finish(X, y, shuffle, rng)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": make_moons,
    "circles": make_circles,
    "blobs": make_blobs,
    "spiral": make_spiral,
    "xor": make_xor,
}


# ---------------------------------------------------------------------------
# splitting and batching
# ---------------------------------------------------------------------------

def _check_pair(X: Any, y: Any) -> int:
    """len(X), once X and y are checked to be lists (NumPy arrays are converted first) of the same length > 0."""
    for name, value in (("X", X), ("y", y)):
        if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
            raise TypeError(f"{name} must be a list (one entry per sample), got {type(value).__name__}")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got len(X)={len(X)} and len(y)={len(y)}")
    if len(X) == 0:
        raise ValueError("X and y must hold at least one sample, got empty lists")
    return len(X)


def train_test_split(X: Sequence[Any], y: Sequence[Any], test_size: float | int = 0.25, shuffle: bool = True,
                     seed: int | None = None) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Split into X_train, X_test, y_train, y_test with n_test = ceil(test_size * n) (scikit-learn's rule).

    A float test_size in (0, 1) is a fraction of the samples, an int is a count. Without shuffle the
    test set is the last n_test samples. The rows themselves are shared, not copied.
    """
    X, y = from_array(X, "X"), from_array(y, "y")  # NumPy arrays as lists of Python numbers
    n = _check_pair(X, y)
    check_bool("shuffle", shuffle)
    rng = generator(seed)
    if not is_real(test_size):
        raise TypeError(f"test_size must be a float in (0, 1) or an int count, got {test_size!r} "
                        f"of type {type(test_size).__name__}")
    if isinstance(test_size, numbers.Integral):
        test_size = int(test_size)
        if not 1 <= test_size < n:
            raise ValueError(f"test_size as an int count must be in [1, {n - 1}] for {n} samples, "
                             f"got {test_size}")
        n_test = test_size
    else:
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a float must be strictly between 0 and 1, got {test_size}")
        n_test = math.ceil(test_size * n)
    n_train = n - n_test
    if n_train == 0:
        raise ValueError(f"test_size={test_size} with {n} samples leaves an empty training set; "
                         f"use a smaller test_size or more samples")
    order = list(range(n))
    if shuffle:
        rng.shuffle(order)
        test_idx, train_idx = order[:n_test], order[n_test:]
    else:
        train_idx, test_idx = order[:n_train], order[n_train:]
    return ([X[i] for i in train_idx], [X[i] for i in test_idx],
            [y[i] for i in train_idx], [y[i] for i in test_idx])


class DataLoader:
    """Mini-batches (X_batch, y_batch) of batch_size samples; a fresh order each epoch when shuffle.

    `len(loader)` is the number of batches: ceil(n / batch_size), or n // batch_size with drop_last
    (the last, smaller batch is then left out).
    """

    def __init__(self, X: Sequence[Any], y: Sequence[Any], batch_size: int = 1, shuffle: bool = False,
                 seed: int | None = None, drop_last: bool = False) -> None:
        X, y = from_array(X, "X"), from_array(y, "y")  # NumPy arrays as lists of Python numbers
        n = _check_pair(X, y)
        self.X = X
        self.y = y
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.shuffle = check_bool("shuffle", shuffle)
        self.drop_last = check_bool("drop_last", drop_last)
        if drop_last and batch_size > n:
            raise ValueError(f"batch_size={batch_size} is larger than the {n} samples, so drop_last=True "
                             f"would leave no batch at all; use batch_size <= {n} or drop_last=False")
        self._rng = generator(seed)

    def __len__(self) -> int:
        """Number of batches per epoch: n // batch_size with drop_last, else ceil(n / batch_size)."""
        n = len(self.y)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[list[Any], list[Any]]]:
        """One epoch: every sample once (bar a dropped last batch), reshuffled when shuffle=True."""
        order = list(range(len(self.y)))
        if self.shuffle:
            self._rng.shuffle(order)
        size = self.batch_size
        for b in range(len(self)):
            idx = order[b * size:(b + 1) * size]
            yield [self.X[i] for i in idx], [self.y[i] for i in idx]

    def state_dict(self) -> dict[str, Any]:
        """{"rng_state": the shuffling generator's state, as JSON}: what decides the orders of the coming epochs.

        Taken between epochs and loaded into a new DataLoader over the same samples, the new one yields the
        batches the old one would have yielded next (a state taken mid-epoch resumes at the next epoch). The
        names are those of torchdata's StatefulDataLoader.
        """
        return {"rng_state": get_rng_state(self._rng)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state_dict(); a TypeError or ValueError saying what is wrong, and nothing changed, if it is
        not one."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        if set(state_dict) != {"rng_state"}:
            raise ValueError(f"DataLoader state_dict must have the one key 'rng_state', "
                             f"got {reprlib.repr(sorted(state_dict, key=repr))}")  # fmt: skip
        set_rng_state(self._rng, state_dict["rng_state"], "DataLoader's rng_state")

    def __repr__(self) -> str:
        return (f"DataLoader(n_samples={len(self.y)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")


class StandardScaler:
    """Each feature moved to mean 0 and scaled to standard deviation 1: x' = (x - mean_) / scale_.

    `fit(X_train)` measures mean_ and scale_ (the standard deviation over the samples, ddof=0; 1.0 for a
    feature that is constant, or varies only within the rounding of its mean) and `transform` applies them,
    as scikit-learn's StandardScaler. Fit it on the training split only and transform the test split with the
    same numbers: the test set must not leak into training. Features of similar size let one learning rate
    suit every weight, so training takes fewer epochs.
    """

    def __init__(self) -> None:
        self.mean_: list[float] | None = None
        self.scale_: list[float] | None = None

    def fit(self, X: Sequence[Sequence[float]]) -> StandardScaler:
        """Measure each feature's mean and standard deviation on X (one row per sample); returns self."""
        rows = _rows(X, None)
        columns = list(zip(*rows))
        n = len(rows)
        self.mean_ = [c[0] if min(c) == max(c) else math.fsum(c) / n for c in columns]  # a constant's mean is itself
        self.scale_ = []
        for c, m in zip(columns, self.mean_):
            std = math.sqrt(math.fsum((v - m) ** 2 for v in c) / n)
            # spread within the rounding of the mean: constant (scikit-learn's test), not scaled up to ±1
            self.scale_.append(std if std > n * abs(m) * sys.float_info.epsilon else 1.0)  # (0 > 0 is False too)
        return self

    def transform(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        """X with each feature standardized by the numbers fit() measured: new lists, X is left as it was."""
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("this StandardScaler is not fitted yet: call fit(X_train) before transform()")
        mean, scale = self.mean_, self.scale_
        return [[(v - m) / s for v, m, s in zip(row, mean, scale)] for row in _rows(X, len(mean))]

    def fit_transform(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        """fit(X), then transform(X)."""
        return self.fit(X).transform(X)

    def __repr__(self) -> str:
        return "StandardScaler()" if self.mean_ is None else f"StandardScaler(n_features={len(self.mean_)})"


def _rows(X: Any, width: int | None) -> list[list[float]]:
    """X as rows of floats, once checked: a non-empty list of rows of finite real numbers, all `width` long
    (the first row's width when None)."""
    X = from_array(X, "X")
    if not isinstance(X, Sequence) or isinstance(X, (str, bytes)):
        raise TypeError(f"X must be a list of rows (one per sample), got {type(X).__name__}")
    if not X:
        raise ValueError("X is empty: it must hold at least one row (one per sample)")
    rows = []
    expected = width
    for i, row in enumerate(X):
        if not isinstance(row, Sequence) or isinstance(row, (str, bytes)):
            raise TypeError(f"X[{i}] must be a row of numbers (one per feature), got {type(row).__name__}")
        expected = len(row) if expected is None else expected
        if not row:
            raise ValueError(f"X[{i}] is empty: a row holds one number per feature, at least one")
        if len(row) != expected:
            against = "X[0] has" if width is None else "the scaler was fitted on"
            raise ValueError(f"X[{i}] has {len(row)} features, but {against} {expected}: every row must have "
                             "the same number of features")  # fmt: skip
        # a finite float as it is; anything else through check_real (an int made a float, else its error)
        rows.append([v if type(v) is float and math.isfinite(v) else check_real(f"X[{i}][{j}]", v)
                     for j, v in enumerate(row)])  # fmt: skip
    return rows


# ---------------------------------------------------------------------------
# a real data set
# ---------------------------------------------------------------------------

def load_digits(normalize: bool = True) -> Dataset:
    """The 8x8 handwritten digits (1,797 images, 10 classes): X rows of 64 pixels (/ 16 when normalize).

    Taken from scikit-learn, which is an optional extra: `pip install scikit-learn` (or
    `pip install "chaingrad[notebooks]"`).
    """
    check_bool("normalize", normalize)
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as err:
        raise ImportError("load_digits needs scikit-learn, which is not installed: run "
                          "`pip install scikit-learn` (or `pip install \"chaingrad[notebooks]\"`)") from err
    digits = sklearn_load_digits()
    scale = 16.0 if normalize else 1.0
    X = [[float(v) / scale for v in row] for row in digits.data.tolist()]
    y = [int(t) for t in digits.target.tolist()]
    return X, y
