"""Keras's lookup of a variable path in a map whose keys are regular expressions (LayoutMap,
DTypePolicyMap): the exact key, else the one key that matches the whole path."""

import re

_MISSING = object()


def lookup(mapping, key, kind, owner, default=None):
    """mapping[key] if present, else the value of the one key that fully matches `key` as a
    regular expression (several matching keys: Keras's ValueError naming `kind` and `owner`),
    else `default`."""
    if key in mapping:
        return mapping[key]
    matching = [pattern for pattern in mapping if re.fullmatch(pattern, key)]
    if len(matching) > 1:
        raise ValueError(f"Path '{key}' matches multiple {kind} specification keys: {matching}. "
                         f"Please make sure each {'tensor/variable ' if kind == 'layout' else ''}"
                         f"path only matches at most one {kind} specification key in the "
                         f"{owner}.")
    return mapping[matching[0]] if matching else default
