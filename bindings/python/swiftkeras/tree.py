"""Nested structures (Keras 3: `keras.tree`), with the semantics Keras gets from optree: lists,
tuples, namedtuples, dicts (children in sorted key order, rebuilt in the dict's own key
order; OrderedDict in its order; defaultdict keeps its factory) and deques are nodes; None is
a leaf unless `none_is_leaf=False`; anything else (arrays, strings, list subclasses) is a
leaf. Written in Python here: swiftkeras depends on numpy only."""

import collections
import warnings

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"]


class MAP_TO_NONE:
    """Special value for use with `traverse()`: the visited node becomes None."""


_MAPPINGS = (dict, collections.OrderedDict, collections.defaultdict)


def _is_namedtuple(x):
    return isinstance(x, tuple) and type(x) is not tuple and hasattr(type(x), "_fields")


def _node(x, none_is_leaf=True):
    """(keys, children, rebuild) of a node, None for a leaf. `keys` name the children in
    paths: indices, or a mapping's keys in flattening order."""
    kind = type(x)
    if x is None:
        return None if none_is_leaf else ((), [], lambda children: None)
    if kind in (list, tuple) or _is_namedtuple(x) or kind is collections.deque:
        rebuild = {list: list, tuple: tuple}.get(kind) or (
            (lambda c: kind(*c)) if _is_namedtuple(x) else
            (lambda c: collections.deque(c, maxlen=x.maxlen)))
        return tuple(range(len(x))), list(x), rebuild
    if kind in _MAPPINGS:
        keys = list(x)
        if kind is not collections.OrderedDict:
            try:
                keys = sorted(keys)
            except TypeError:       # keys of several types: kept in insertion order
                pass

        def rebuild(children):
            values = dict(zip(keys, children))
            ordered = [(k, values[k]) for k in x]
            if kind is collections.defaultdict:
                return collections.defaultdict(x.default_factory, ordered)
            return kind(ordered)
        return tuple(keys), [x[k] for k in keys], rebuild
    return None


def _children_like(node, x, other):
    """`other`'s children in the order of `x`'s (whose node is `node`), or a ValueError
    saying how the two differ."""
    keys, children, _ = node
    if type(x) in _MAPPINGS:
        if type(other) not in _MAPPINGS:
            raise ValueError(f"Expected an instance of dict, collections.OrderedDict, or "
                             f"collections.defaultdict, got {other!r}.")
        if set(other) != set(keys):
            raise ValueError(f"dictionary key mismatch; expected key(s): {sorted(keys, key=repr)}, "
                             f"got key(s): {sorted(other, key=repr)}; dict: {other!r}.")
        return [other[k] for k in keys]
    if type(other) is not type(x):
        name = type(x).__name__ if type(x) in (list, tuple) else \
            f"{type(x).__module__}.{type(x).__qualname__}"
        raise ValueError(f"Expected an instance of {name}, got {other!r}.")
    if x is None:
        return []
    if len(other) != len(children):
        raise ValueError(f"{type(x).__name__} arity mismatch; expected: {len(children)}, got: "
                         f"{len(other)}; {type(x).__name__}: {other!r}.")
    return list(other)


def _map(func, x, others, none_is_leaf, is_leaf=None):
    node = None if is_leaf is not None and is_leaf(x) else _node(x, none_is_leaf)
    if node is None:
        return func(x, *others)
    columns = [_children_like(node, x, o) for o in others]
    return node[2]([_map(func, c, [col[i] for col in columns], none_is_leaf, is_leaf)
                    for i, c in enumerate(node[1])])


def _leaves(x, path=(), none_is_leaf=True):
    node = _node(x, none_is_leaf)
    if node is None:
        yield path, x
        return
    for key, child in zip(node[0], node[1]):
        yield from _leaves(child, path + (key,), none_is_leaf)


def is_nested(structure):
    """Whether `structure` is a list, tuple, namedtuple, dict or deque (not a leaf)."""
    return _node(structure) is not None


def flatten(structure):
    """The leaves, depth first (a dict's in sorted key order)."""
    return [leaf for _, leaf in _leaves(structure)]


def flatten_with_path(structure):
    """(path, leaf) pairs, a path being the tuple of indices and keys down to the leaf."""
    return list(_leaves(structure))


def map_structure(func, *structures, none_is_leaf=True):
    """`func` of the leaves at each position of structures of one shape, in that shape."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    first, others = structures[0], structures[1:]
    if others:
        def checked(*leaves):
            if any(_node(s, none_is_leaf) is not None for s in leaves):
                raise ValueError("Structures don't have the same nested structure.")
            return func(*leaves)
        return _map(checked, first, others, none_is_leaf)
    return _map(func, first, (), none_is_leaf)


def map_structure_up_to(shallow_structure, func, *structures):
    """`func` of the parts of `structures` found at the leaves of `shallow_structure` (each
    part may itself be nested)."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def without_shallow(shallow, *parts):
        if shallow is None:
            raise ValueError("Structures don't have the same nested structure.")
        return func(*parts)
    return _map(without_shallow, shallow_structure, structures, True)


def assert_same_structure(a, b, check_types=None):
    """Raises ValueError unless `a` and `b` nest the same way with the same node types (list
    and tuple differ; dict, OrderedDict and defaultdict match on their keys)."""
    if check_types is not None:
        warnings.warn(
            "The `check_types` argument is deprecated and no longer has any effect, please "
            "remove." if check_types else
            "The `check_types` argument is deprecated and no longer has any effect. For a looser "
            "check, use `keras.tree.assert_same_paths()`, which considers `list`, `tuple`, "
            "`namedtuple` and `deque` as matching", DeprecationWarning, stacklevel=2)
    map_structure(lambda *_: None, a, b)


def assert_same_paths(a, b):
    """Raises ValueError unless `a` and `b` have the same leaf paths (node types may differ)."""
    a_paths = {p for p, _ in _leaves(a)}
    b_paths = {p for p, _ in _leaves(b)}
    if a_paths != b_paths:
        message = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            message += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            message += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(message)


def pack_sequence_as(structure, flat_sequence):
    """`structure`'s shape filled with the items of `flat_sequence`, in flattening order."""
    flat = list(flat_sequence)
    expected = sum(1 for _ in _leaves(structure))
    if len(flat) != expected:
        raise ValueError(f"Too {'few' if len(flat) < expected else 'many'} leaves for "
                         f"structure; expected: {expected}, got: {len(flat)}.")
    items = iter(flat)
    return _map(lambda _: next(items), structure, (), True)


def traverse(func, structure, top_down=True):
    """Each node and leaf through `func`, top down (a None result visits the children, any
    other replaces the node) or bottom up (after the children); `MAP_TO_NONE` makes None."""
    def children_traversed():
        node = _node(structure)
        if node is None:
            return structure
        return node[2]([traverse(func, c, top_down) for c in node[1]])
    if top_down:
        result = func(structure)
        if result is None:
            return children_traversed()
    else:
        traversed = children_traversed()
        result = func(traversed)
        if result is None:
            return traversed
    return None if result is MAP_TO_NONE else result


def lists_to_tuples(structure):
    """The structure with every list turned into a tuple."""
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure,
                    top_down=False)


def map_shape_structure(func, structure):
    """`func` of each shape (a list or tuple of ints and Nones) in a nested structure."""
    def is_shape(x):
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)
    return _map(func, structure, (), True, is_leaf=is_shape)
