"""`get_vocabulary`, `vocabulary_size` and `set_vocabulary` of the lookup layers (StringLookup,
IntegerLookup, TextVectorization). The library writes a layer's vocabulary (given or adapted) in
its config, which is where these read it."""

from __future__ import annotations

import os

import numpy as np

LAYERS = ("StringLookup", "IntegerLookup", "TextVectorization")


def _config(layer) -> dict:
    owner = layer._owner
    if owner is not None and owner._handle is not None:
        return owner._layers_info()[layer._index]["config"]
    return layer._args


def _special_tokens(layer, config) -> list:
    """The mask and OOV tokens that come first in the vocabulary, as Keras orders them."""
    if layer.class_name == "TextVectorization":
        mask, oov, n = "", "[UNK]", 1
    else:
        mask = config.get("mask_token")
        oov = config.get("oov_token", "[UNK]" if layer.class_name == "StringLookup" else -1)
        n = config.get("num_oov_indices", 1)
    mode = config.get("output_mode", "int")
    return ([mask] if mask is not None and mode == "int" else []) + [oov] * n


def get_vocabulary(self, include_special_tokens=True):
    """The vocabulary in index order, the mask and OOV tokens first. Keras: `get_vocabulary()`."""
    config = _config(self)
    tokens = config.get("vocabulary")
    if isinstance(tokens, (str, os.PathLike)):
        with open(tokens, encoding="utf-8") as f:
            tokens = f.read().splitlines()
    tokens = list(np.asarray(tokens).tolist()) if tokens is not None else []
    special = _special_tokens(self, config)
    if special and tokens[:len(special)] == special:
        tokens = tokens[len(special):]
    return special + tokens if include_special_tokens else tokens


def vocabulary_size(self):
    """The number of indices: mask, OOV and tokens. Keras: `vocabulary_size()`."""
    return len(get_vocabulary(self))


def set_vocabulary(self, vocabulary, idf_weights=None):
    """Replaces the vocabulary (and `tf_idf` weights). Keras: `set_vocabulary`. Here it must
    happen before the layer joins a model."""
    owner = self._owner
    if owner is not None and owner._handle is not None and not getattr(owner, "_single_layer", False):
        raise NotImplementedError(f"{self.class_name} '{self.name}'.set_vocabulary: the layer already belongs to "
                                  f"model '{owner.name}'; set the vocabulary before adding it to a model")
    if not isinstance(vocabulary, (str, os.PathLike)):
        vocabulary = np.asarray(vocabulary).tolist()
    self._args["vocabulary"] = vocabulary
    self._args.pop("vocabulary_size", None)
    if idf_weights is not None:
        self._args["idf_weights"] = np.asarray(idf_weights, dtype="float64").tolist()
    else:
        self._args.pop("idf_weights", None)
    if owner is not None:  # the private model that ran `adapt` or a call: the next one rebuilds from the config
        self._owner = None
