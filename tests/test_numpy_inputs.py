"""NumPy arrays and scalars go wherever lists of numbers go, and give bit for bit the same outputs and gradients.

The reference is the same call on Python lists built entry by entry with float() (or int()), not through
`.tolist()`: a float32 entry is the float it widens to, an int64 the int it holds.
"""

import numpy as np
import pytest

import nn
from nn import MLP, DataLoader, Dropout, Layer, Neuron

REAL_DTYPES = [np.float32, np.float64, np.int32, np.int64, np.uint8]
ROWS = [[0.5, -1.25, 2.0], [3.0, 0.1, -0.7], [1.0, 2.0, 3.0], [-2.5, 0.0, 4.0]]


def as_python(a: np.ndarray) -> list:
    """The list a user would type: each entry float() (float dtypes) or int(), row by row."""
    cast = float if a.dtype.kind == "f" else int
    return [as_python(row) for row in a] if a.ndim == 2 else [cast(v) for v in a]


def outputs_and_grads(model, x) -> tuple[list[float], list[float]]:
    out = model(x)
    flat = [out] if not isinstance(out, list) else [v for o in out for v in (o if isinstance(o, list) else [o])]
    model.zero_grad()
    sum(flat[1:], flat[0]).backward()
    return [v.data for v in flat], [p.grad for p in model.parameters()]


@pytest.mark.parametrize("dtype", REAL_DTYPES)
@pytest.mark.parametrize("make", [lambda: MLP(3, [4, 2], seed=1), lambda: Layer(3, 2, seed=1),
                                  lambda: Neuron(3, activation="tanh", seed=1)])  # fmt: skip
@pytest.mark.parametrize("ndim", [1, 2])
def test_a_model_on_an_array_of_any_real_dtype_is_the_model_on_the_list(dtype, make, ndim):
    a = np.array(ROWS if ndim == 2 else ROWS[0]).astype(dtype)
    from_array = outputs_and_grads(make(), a)
    from_list = outputs_and_grads(make(), as_python(a))
    assert from_array == from_list  # bitwise: the same floats


def test_numpy_scalars_and_zero_dimensional_arrays_are_single_inputs():
    model = MLP(1, [3, 1], seed=2)
    expected = model(0.25).data
    for x in (np.float32(0.25), np.float64(0.25), np.array(0.25), np.array(0.25, dtype=np.float32)):
        assert model(x).data == expected
    assert model(np.int64(3)).data == model(3).data
    assert [v.data for v in model(np.array([[0.25], [3.0]]))] == [expected, model(3.0).data]  # a batch of two


def test_dropout_on_an_array_draws_the_same_masks_as_on_the_list():
    a = np.array(ROWS, dtype=np.float32)
    out_array = [[v for v in row] for row in Dropout(0.5, seed=3)(a)]
    out_list = Dropout(0.5, seed=3)(as_python(a))
    assert out_array == out_list and Dropout(0.5, seed=3)(a[0]) == out_list[0]


@pytest.mark.parametrize(("x_dtype", "y_dtype"), [(np.float32, np.int64), (np.float64, np.int32), (np.int64, np.uint8)])
def test_fit_predict_and_accuracy_on_arrays_are_fit_predict_and_accuracy_on_lists(x_dtype, y_dtype):
    X, y = nn.make_moons(24, noise=0.1, seed=4)
    Xa = (np.array(X) * (10 if np.dtype(x_dtype).kind == "i" else 1)).astype(x_dtype)
    ya = np.array(y).astype(y_dtype)
    Xl, yl = as_python(Xa), as_python(ya)
    a, b = MLP(2, [5, 1], seed=4), MLP(2, [5, 1], seed=4)
    ha = nn.fit(a, Xa, ya, loss="hinge", epochs=3, batch_size=8, seed=5, validation=(Xa[:6], ya[:6]), progress=False)
    hb = nn.fit(b, Xl, yl, loss="hinge", epochs=3, batch_size=8, seed=5, validation=(Xl[:6], yl[:6]), progress=False)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert ha.as_dict() == hb.as_dict()
    assert nn.predict(a, Xa) == nn.predict(b, Xl)
    assert nn.accuracy(a, Xa, ya) == nn.accuracy(b, Xl, yl)
    signs = (2 * ya.astype(np.int64) - 1)
    assert nn.accuracy(a, Xa, signs) == nn.accuracy(b, Xl, [2 * t - 1 for t in yl])


def test_fit_with_the_default_loss_and_a_compiled_step_takes_arrays_too():
    X, y = nn.make_blobs(18, centers=3, seed=6)
    a, b = MLP(2, [4, 3], seed=6), MLP(2, [4, 3], seed=6)
    ha = nn.fit(a, np.array(X, dtype=np.float32), np.array(y), epochs=2, progress=False, compile=True)
    hb = nn.fit(b, as_python(np.array(X, dtype=np.float32)), y, epochs=2, progress=False, compile=True)
    assert ha.as_dict() == hb.as_dict()


def test_data_helpers_take_arrays_and_hand_back_python_numbers():
    Xa, ya = np.array(ROWS, dtype=np.float32), np.array([0, 1, 1, 0], dtype=np.int64)
    Xl, yl = as_python(Xa), as_python(ya)
    assert list(DataLoader(Xa, ya, batch_size=3, shuffle=True, seed=7)) == \
        list(DataLoader(Xl, yl, batch_size=3, shuffle=True, seed=7))  # fmt: skip
    split = nn.train_test_split(Xa, ya, test_size=0.5, seed=8)
    assert split == nn.train_test_split(Xl, yl, test_size=0.5, seed=8)
    assert all(type(v) is float for row in split[0] for v in row) and all(type(t) is int for t in split[2])


@pytest.mark.parametrize(("array", "what"), [
    (np.array([True, False, True]), r"dtype bool \(bools\)"),
    (np.array([1j, 2.0, 3.0]), r"dtype complex128 \(complex numbers\)"),
    (np.array(["a", "b", "c"]), r"dtype <U1 \(strings\)"),
])  # fmt: skip
def test_an_array_that_does_not_hold_real_numbers_is_a_type_error_saying_what_is_allowed(array, what):
    allowed = (r"must hold real numbers \(a NumPy array of a float or int dtype, or a list of numbers\), "
               r"got an array of ")
    with pytest.raises(TypeError, match=r"input " + allowed + what):
        MLP(3, [2], seed=9)(array)
    with pytest.raises(TypeError, match=r"input " + allowed + what):
        MLP(3, [2], seed=9)(np.stack([array, array]))
    with pytest.raises(TypeError, match=r"^X " + allowed + what):
        nn.fit(MLP(3, [2], seed=9), np.stack([array] * 3), [0, 1, 0], progress=False)
    with pytest.raises(TypeError, match=r"^y " + allowed + what):
        nn.accuracy(MLP(1, [2], seed=9), [[1.0], [2.0], [3.0]], array)
    with pytest.raises(TypeError, match=r"^X " + allowed + what):
        DataLoader(np.stack([array] * 2), [0, 1])
