"""keras.tree against real Keras's (optree's semantics) on the same structures: dicts in
sorted key order and rebuilt in their own, OrderedDict / defaultdict / namedtuple / deque
nodes, None as a leaf or not, mismatches refused, MAP_TO_NONE in traverse."""

import collections

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras

Point = collections.namedtuple("Point", "x y")

STRUCTURES = [
    1, None, "ab", np.zeros(2), [], {}, (), [None], [[], {}], (1,), [1, [2, (3, 4)]],
    {"b": 1, "a": 2, "c": [3, 4]}, {"z": {"y": None, "x": (5,)}, "a": Point(6, [7])},
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(list, {"b": 1, "a": [2, 3]}),
    collections.deque([1, (2, 3)], maxlen=4), {1: "x", "a": "y"}, {2: "x", 1: "y"},
    [Point(None, {"k": 1})], {"shape": (None, 3), "other": [(1, 2), [4]]},
]


def _same(mine, theirs):
    assert type(mine) is type(theirs)
    assert repr(mine) == repr(theirs)


def _outcome(fn, *args, **kwargs):
    try:
        return "ok", fn(*args, **kwargs)
    except ValueError:
        return "ValueError", None


@pytest.mark.parametrize("structure", STRUCTURES, ids=range(len(STRUCTURES)))
def test_one_structure_functions_match_keras(structure):
    keras = real_keras()
    ours, theirs = sk.tree, keras.tree
    assert ours.is_nested(structure) == theirs.is_nested(structure)
    _same(ours.flatten(structure), theirs.flatten(structure))
    _same(ours.flatten_with_path(structure), theirs.flatten_with_path(structure))
    count = len(theirs.flatten(structure))
    _same(ours.pack_sequence_as(structure, list(range(count))),
          theirs.pack_sequence_as(structure, list(range(count))))
    for none_is_leaf in (True, False):
        fn = lambda x: ("leaf", x if not isinstance(x, np.ndarray) else x.shape)  # noqa: E731
        _same(ours.map_structure(fn, structure, none_is_leaf=none_is_leaf),
              theirs.map_structure(fn, structure, none_is_leaf=none_is_leaf))
    _same(ours.lists_to_tuples(structure), theirs.lists_to_tuples(structure))
    shape = lambda s: ("shape", tuple(s)) if isinstance(s, (list, tuple)) else repr(s)  # noqa: E731
    _same(ours.map_shape_structure(shape, structure), theirs.map_shape_structure(shape, structure))
    doubled = lambda x: x * 2 if isinstance(x, int) else None  # noqa: E731
    for top_down in (True, False):
        _same(ours.traverse(doubled, structure, top_down=top_down),
              theirs.traverse(doubled, structure, top_down=top_down))
    to_none = lambda x: theirs.MAP_TO_NONE if x == 2 else None  # noqa: E731
    mine_to_none = lambda x: ours.MAP_TO_NONE if x == 2 else None  # noqa: E731
    if not isinstance(structure, np.ndarray):
        _same(ours.traverse(mine_to_none, structure), theirs.traverse(to_none, structure))
    assert _outcome(ours.pack_sequence_as, structure, list(range(count + 1)))[0] == \
        _outcome(theirs.pack_sequence_as, structure, list(range(count + 1)))[0] == "ValueError"


PAIRS = [
    ({"a": 1, "b": 2}, collections.OrderedDict([("b", 1), ("a", 2)])),
    ({"a": 1}, collections.defaultdict(list, {"b": 1, "a": 2})), ([1, 2], (1, 2)),
    ((1, 2), Point(1, 2)), (collections.deque([1, 2]), [1, 2]), ({"a": 1, "b": 2}, {"b": 1, "a": 2}),
    ([1, [2]], [1, 2]), ([1, 2], [1, [2]]), ([1, 2], [1, 2, 3]), (None, None), (None, 1),
    ({"a": [1, (2,)]}, {"a": [3, (4,)]}), (Point(1, 2), Point(3, 4)),
]


@pytest.mark.parametrize("a, b", PAIRS, ids=range(len(PAIRS)))
def test_two_structure_functions_match_keras(a, b):
    keras = real_keras()
    ours, theirs = sk.tree, keras.tree
    for name in ("assert_same_structure", "assert_same_paths"):
        assert _outcome(getattr(ours, name), a, b)[0] == \
            _outcome(getattr(theirs, name), a, b)[0], name
    add = lambda x, y: (x, y)  # noqa: E731
    mine, reference = _outcome(ours.map_structure, add, a, b), \
        _outcome(theirs.map_structure, add, a, b)
    assert mine[0] == reference[0]
    _same(mine[1], reference[1])
    mine, reference = _outcome(ours.map_structure_up_to, a, lambda *p: repr(p), a, b), \
        _outcome(theirs.map_structure_up_to, a, lambda *p: repr(p), a, b)
    assert mine[0] == reference[0]
    _same(mine[1], reference[1])


def test_map_structure_up_to_maps_deeper_parts_and_check_types_warns():
    keras = real_keras()
    args = ([1, {"a": 2}], lambda x: str(x), [[1, 2], {"a": (3, 4)}])
    _same(sk.tree.map_structure_up_to(*args), keras.tree.map_structure_up_to(*args))
    assert sk.tree.map_structure_up_to(*args) == ["[1, 2]", {"a": "(3, 4)"}]
    with pytest.warns(DeprecationWarning, match="check_types"):
        sk.tree.assert_same_structure([1], [2], check_types=False)
    with pytest.raises(ValueError, match="at least one structure"):
        sk.tree.map_structure(lambda x: x)
