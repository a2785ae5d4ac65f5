"""Eager `keras.ops` control flow (cond, switch, fori_loop, while_loop, scan,
associative_scan) returns what real Keras with JAX returns on the same values: the nesting
(tuples, lists, dicts), each number and array as an array (0-d for a scalar) in Keras's dtype,
a loop state the body hands back unchanged as the very object passed in (jax forwards it), and
the same numbers. Checked case by case against real Keras run in this module."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras

F = np.array([1.0, 2.0, 3.0], np.float32)
I = np.array([1, 2, 3], np.int32)


def _scan_step(c, x):
    return c + x, c * 2


CASES = {
    "fori_python_int": lambda o: o.fori_loop(0, 3, lambda i, x: x + i, 0),
    "fori_python_float": lambda o: o.fori_loop(0, 3, lambda i, x: x + 1.0, 0.0),
    "fori_int8_array": lambda o: o.fori_loop(0, 3, lambda i, x: x + i, np.zeros(2, np.int8)),
    "fori_float64_array": lambda o: o.fori_loop(0, 2, lambda i, x: x * 2, np.ones(2)),
    "fori_tuple": lambda o: o.fori_loop(0, 3, lambda i, x: (x[0] + i, x[1] * 2), (0, 1.0)),
    "fori_list_passed_through": lambda o: o.fori_loop(0, 2, lambda i, x: [x[0], x[1] + 1], [0, 1]),
    "fori_no_step": lambda o: o.fori_loop(0, 0, lambda i, x: x + i, 0),
    "fori_no_step_float64": lambda o: o.fori_loop(2, 1, lambda i, x: x + i, np.zeros(2)),
    "while_python_int": lambda o: o.while_loop(lambda i: i < 10, lambda i: i + 1, 0),
    "while_tuple": lambda o: o.while_loop(lambda x, y: x < 10, lambda x, y: (x + 1, y * 1.5), (0, 1.0)),
    "while_list_gives_tuple": lambda o: o.while_loop(lambda x, y: x < 4, lambda x, y: [x + 1, y + 1], [0, 1]),
    "while_one_tuple": lambda o: o.while_loop(lambda x: x < 10, lambda x: (x + 3,), (0,)),
    "while_maximum_iterations": lambda o: o.while_loop(lambda i: i < 10, lambda i: i + 1, 0,
                                                       maximum_iterations=3),
    "while_no_step": lambda o: o.while_loop(lambda i: i < 0, lambda i: i + 1, 0),
    "while_passed_through": lambda o: o.while_loop(lambda x, y: y < 3, lambda x, y: (x, y + 1), (0.5, 0)),
    "while_float16": lambda o: o.while_loop(lambda x: o.sum(x) < 3, lambda x: x + 1, np.zeros(2, np.float16)),
    "while_float64_scalar": lambda o: o.while_loop(lambda i: i < 3, lambda i: i + 1, np.float64(0)),
    "scan_float": lambda o: o.scan(_scan_step, 0.0, F),
    "scan_int": lambda o: o.scan(_scan_step, 0, I),
    "scan_uint8": lambda o: o.scan(_scan_step, np.uint8(1), np.array([1, 2], np.uint8)),
    "scan_float64_xs": lambda o: o.scan(_scan_step, 0.0, F.astype(np.float64)),
    "scan_length": lambda o: o.scan(lambda c, x: (c + 1, c), 0, length=3),
    "scan_no_ys": lambda o: o.scan(lambda c, x: (c + 1, None), 0, length=3),
    "scan_reverse": lambda o: o.scan(lambda c, x: (c + x, c), 0, I, reverse=True),
    "scan_nested": lambda o: o.scan(lambda c, x: ((c[0] + x, c[1]), (x, x * 2)), (0.0, 1), F),
    "scan_dicts": lambda o: o.scan(lambda c, x: ({"a": c["a"] + x["v"]}, {"y": x["v"] * 2}),
                                   {"a": 0.0}, {"v": F}),
    "scan_carry_passed_through": lambda o: o.scan(lambda c, x: (c, x), 0, F),
    "scan_list_carry": lambda o: o.scan(lambda c, x: ([c[0] + x], [x, (x,)]), [0.0], F),
    "scan_empty": lambda o: o.scan(_scan_step, 0.0, np.zeros((0,), np.float32)),
    "associative_scan": lambda o: o.associative_scan(lambda a, b: a + b, I),
    "associative_scan_float64": lambda o: o.associative_scan(lambda a, b: a + b, F.astype(np.float64)),
    "associative_scan_nested": lambda o: o.associative_scan(
        lambda a, b: (a[0] + b[0], a[1] * b[1]), (F, I), reverse=True),
    "cond_python_int": lambda o: o.cond(True, lambda: 1, lambda: 2),
    "cond_float": lambda o: o.cond(np.array(False), lambda: 1.0, lambda: 2.0),
    "cond_bool": lambda o: o.cond(True, lambda: True, lambda: False),
    "cond_float64_array": lambda o: o.cond(True, lambda: np.ones(2), lambda: np.zeros(2)),
    "cond_int64_array": lambda o: o.cond(False, lambda: np.arange(3), lambda: np.arange(3) * 2),
    "cond_tuple": lambda o: o.cond(True, lambda: (1, 2.0), lambda: (3, 4.0)),
    "cond_list": lambda o: o.cond(False, lambda: [1, np.int32(2)], lambda: [3, np.int32(4)]),
    "cond_dict": lambda o: o.cond(True, lambda: {"a": 1, "b": 2.5}, lambda: {"a": 2, "b": 0.5}),
    "cond_none": lambda o: o.cond(True, lambda: None, lambda: None),
    "cond_of_an_op": lambda o: o.cond(True, lambda: o.add(1, 2), lambda: o.add(2, 2)),
    "switch": lambda o: o.switch(1, [lambda x: x + 1, lambda x: x * 2], 3),
    "switch_array": lambda o: o.switch(5, [lambda x: x + 1, lambda x: x * 2], np.ones(2)),
}


def _described(x):
    """(nesting and type, dtype, shape, values) of each leaf; arrays of either side are 'array'."""
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_described(v) for v in x])
    if isinstance(x, dict):
        return ("dict", {k: _described(v) for k, v in x.items()})
    if x is None or isinstance(x, (int, float, bool)):
        return (type(x).__name__, x)
    if isinstance(x, np.ndarray) or type(x).__module__.startswith("jax"):
        a = np.asarray(x)
        return ("array", a.dtype.name, a.shape, a.tolist())
    return (type(x).__name__, np.asarray(x).dtype.name, np.shape(x), np.asarray(x).tolist())


@pytest.fixture(scope="module")
def keras_results():
    ops = real_keras().ops
    return {name: _described(fn(ops)) for name, fn in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_control_flow_result_matches_keras(keras_results, name):
    assert _described(CASES[name](sk.ops)) == keras_results[name]


def test_loop_body_sees_arrays():
    """The body gets the state as arrays (Keras gives jax arrays), so a Python int state is an
    int32 array inside the loop."""
    seen = []
    sk.ops.fori_loop(0, 1, lambda i, x: seen.append(x) or x + 1, 0)
    assert isinstance(seen[0], np.ndarray) and seen[0].dtype == np.int32 and seen[0].shape == ()


def test_associative_scan_of_numbers_is_refused_clearly():
    with pytest.raises(ValueError, match="associative_scan: `elems` must be tensors"):
        sk.ops.associative_scan(lambda a, b: a + b, [1.0, 2.0, 3.0])
