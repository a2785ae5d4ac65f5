"""Dtype policies (Keras 3: `keras.dtype_policies`, and `keras.mixed_precision`'s legacy
names): a policy names the dtype a layer computes in and the dtype of its weights.

The library computes and keeps weights in float32. A policy object can name any of Keras's
float policies (as a description, and to read or write configs), but one that would make a
layer compute or keep weights in another float dtype ("mixed_float16", "mixed_bfloat16",
"float16", "bfloat16", "float64") is refused where it would take effect: as the global policy
and as a layer's `dtype`. A saved file whose layers name such a policy still loads: those
layers compute in float32, and loading warns which ones. A quantized policy
(`QuantizedDTypePolicy`, "int8_from_float32") is what `layer.quantize("int8")` gives Dense,
EinsumDense and Embedding; it is not set by hand (a layer's `dtype`, the global policy).
"""

from collections.abc import MutableMapping

from . import _global_state, _path_maps
from . import backend as _backend
from ._dtypes import standardize_dtype

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
_FLOAT_POLICIES = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}


class DTypePolicy:
    """`DTypePolicy("float32")`: `name`, `compute_dtype`, `variable_dtype`. Keras:
    `keras.dtype_policies.DTypePolicy` (`keras.mixed_precision.Policy`)."""

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. Received: "
                            f"name={name} (of type {type(name)})")
        self._name = name
        self._compute_dtype, self._variable_dtype = _parse(name)
        self._quantization_mode = None

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute_dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    @property
    def quantization_mode(self):
        return self._quantization_mode

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        return type(other) in (DTypePolicy, FloatDTypePolicy) and self._name == other._name

    __hash__ = object.__hash__


class FloatDTypePolicy(DTypePolicy):
    """Keras's older name of `DTypePolicy`."""


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer: int8 weights, computed from its `source_name` float
    policy (`name` "int8_from_float32"). Keras: `keras.dtype_policies.QuantizedDTypePolicy`."""

    def __init__(self, mode, source_name=None):
        source = source_name or dtype_policy().name
        if mode not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                             f"Received: mode={mode}")
        DTypePolicy.__init__(self, source)
        self._name = f"{mode}_from_{source}"
        self._source_name = source
        self._quantization_mode = mode

    def get_config(self):
        return {"mode": self._quantization_mode, "source_name": self._source_name}

    def __repr__(self):   # (and the subclasses')
        return f'<{type(self).__name__} "{self._name}">'

    def __eq__(self, other):
        return isinstance(other, type(self)) and self._name == other._name

    __hash__ = object.__hash__


class Int4DTypePolicy(QuantizedDTypePolicy):
    """The policy of an int4 layer: `mode` is `"int4/<block_size>"` (-1: one scale per output
    channel; a positive size: groups of that many along the contracted axis), named
    `"int4/128_from_float32"`. Keras: `keras.dtype_policies.Int4DTypePolicy`."""

    def __init__(self, mode, source_name=None):
        parts = mode.split("/")
        expected_format = "'int4/<block_size>'"
        if len(parts) != 2 or parts[0] != "int4":
            raise ValueError(f"Invalid mode for Int4DTypePolicy. Expected format {expected_format}, "
                             f"but got '{mode}'.")
        try:
            block_size = int(parts[1])
        except ValueError:
            raise ValueError(f"Invalid mode for Int4DTypePolicy. <block_size> must be an integer. "
                             f"Expected format {expected_format}, but got '{mode}'.") from None
        if block_size < -1 or block_size == 0:
            raise ValueError(f"Invalid block_size in mode. Supported values are -1 (per-channel) or a "
                             f"positive integer (sub-channel), but got {block_size} from '{mode}'.")
        super().__init__("int4", source_name)
        self._name = f"{mode}_from_{self._source_name}"
        self.mode = "int4"
        self.block_size = block_size

    def get_config(self):
        return {"mode": f"int4/{self.block_size}", "source_name": self._source_name}


class _BitsAndGroupPolicy(QuantizedDTypePolicy):
    """A policy whose mode is `"<kind>/<weight_bits>/<group_size>"` (GPTQ's and AWQ's), parsed
    and refused with Keras's messages; a subclass names its kind, the bits it takes and the
    words of its messages."""
    _kind = _class = _bits_message = _group_words = None
    _bits = ()

    def __init__(self, mode, source_name=None):
        parts = mode.split("/")
        expected_format = f"'{self._kind}/<weight_bits>/<group_size>'"
        if len(parts) != 3 or parts[0] != self._kind:
            raise ValueError(f"Invalid mode for {self._class}. Expected format {expected_format}, "
                             f"but got '{mode}'.")
        try:
            weight_bits, group_size = int(parts[1]), int(parts[2])
        except ValueError:
            raise ValueError(f"Invalid mode for {self._class}. <weight_bits> and <group_size> must "
                             f"be integers. Expected format {expected_format}, but got '{mode}'.") from None
        if weight_bits not in self._bits:
            raise ValueError(f"Invalid weight_bits in mode. {self._bits_message}, but "
                             f"got {weight_bits} from '{mode}'.")
        if group_size < -1 or group_size == 0:
            raise ValueError(f"Invalid group_size in mode. Supported values are -1 ({self._group_words}) or a "
                             f"positive integer, but got {group_size} from '{mode}'.")
        super().__init__(self._kind, source_name)
        self._name = f"{mode}_from_{source_name}"   # as Keras: "..._from_None" when not given
        self.mode = self._kind
        self.weight_bits = weight_bits
        self.group_size = group_size

    def get_config(self):
        return {"mode": f"{self._kind}/{self.weight_bits}/{self.group_size}", "source_name": self._source_name}


class GPTQDTypePolicy(_BitsAndGroupPolicy):
    """The policy of a GPTQ layer: `mode` is `"gptq/<weight_bits>/<group_size>"` (bits 2, 3, 4
    or 8; group size -1 for one group, or a positive integer), named
    `"gptq/4/128_from_float32"`. Keras: `keras.dtype_policies.GPTQDTypePolicy`."""
    _kind, _class, _bits = "gptq", "GPTQDTypePolicy", (2, 3, 4, 8)
    _bits_message, _group_words = "Supported values are 2, 3, 4, and 8", "whole-tensor"


class AWQDTypePolicy(_BitsAndGroupPolicy):
    """The policy of an AWQ layer: `mode` is `"awq/<weight_bits>/<group_size>"` (4 bits only;
    group size -1 for per channel, or a positive integer), named `"awq/4/128_from_float32"`.
    Keras: `keras.dtype_policies.AWQDTypePolicy`."""
    _kind, _class, _bits = "awq", "AWQDTypePolicy", (4,)
    _bits_message, _group_words = "AWQ only supports 4-bit quantization", "per-channel"


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """The policy of a float8 layer (`quantize("float8")`, Dense and EinsumDense), named
    "float8_from_float32": `amax_history_length` (1024 by default) steps of delayed scaling.
    Keras: `keras.dtype_policies.QuantizedFloat8DTypePolicy`."""

    default_amax_history_length = 1024

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode, source_name)
        if not isinstance(amax_history_length, int):
            raise TypeError(f"`amax_history_length` must be an integer. "
                            f"Received: amax_history_length={amax_history_length}")
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        """The length of the amax history window."""
        return self._amax_history_length

    def get_config(self):
        config = super().get_config()
        config.update({"amax_history_length": self.amax_history_length})
        return config

    def __repr__(self):
        return f'<QuantizedFloat8DTypePolicy "{self._name}">'

    def __eq__(self, other):
        return (isinstance(other, QuantizedFloat8DTypePolicy) and self._name == other._name
                and self._amax_history_length == other._amax_history_length)

    __hash__ = object.__hash__


QUANTIZED_POLICY_CLASSES = ("QuantizedDTypePolicy", "Int4DTypePolicy", "GPTQDTypePolicy", "AWQDTypePolicy",
                            "QuantizedFloat8DTypePolicy")


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Layer paths (or regular expressions matching a whole path) to policies, with a default
    for the paths none matches. Keras: `keras.dtype_policies.DTypePolicyMap(default_policy=None,
    policy_map=None)`; `name` is "map_" and the default's name, `compute_dtype` and
    `variable_dtype` the default's. A layer given one computes in float32 (the only policy the
    library honours), so every policy in it must be float32 there."""

    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(f"If specified, `policy_map` must be a dict. Received: "
                            f"policy_map={policy_map} of type {type(policy_map)}")
        self._default_policy_arg = default_policy
        self._default_policy = get(default_policy)
        self._policy_map = policy_map or {}

    @property
    def name(self):
        return f"map_{self.default_policy._name}"

    @property
    def default_policy(self):
        """The default policy (the global one when none was given)."""
        return get(self._default_policy)

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    @property
    def quantization_mode(self):
        return self.default_policy.quantization_mode

    def __getitem__(self, key):
        """The policy of the path `key`: its exact entry, else the one entry whose key matches
        the whole path as a regular expression (more than one is an error), else the default."""
        return _path_maps.lookup(self._policy_map, key, "dtype policy", "DTypePolicyMap",
                                 self.default_policy)

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(f"{key} already exist in the DTypePolicyMap with value "
                             f"{self._policy_map[key]}. Please make sure to not use duplicated "
                             f"keys.")
        try:
            policy = get(policy)
        except Exception:
            raise ValueError(f"Cannot interpret the assigned value by `keras.dtype_policies.get`. "
                             f"Received: {policy} of type {type(policy)}") from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key):
        return key in self._policy_map

    def __len__(self):
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    def get_config(self):
        """Keras's form. Without a default policy given, the entries are written without their
        names (`{"name": None}`), so that loading makes them the global policy then, as Keras's
        (which also clears the names of the entries themselves; these keep theirs)."""
        keep_names = self._default_policy_arg is not None
        return {"default_policy": self._default_policy_arg,
                "policy_map": {k: {"module": "keras", "class_name": type(v).__name__,
                                   "config": {**v.get_config(),
                                              **({} if keep_names else {"name": None})},
                                   "registered_name": None}
                               for k, v in self._policy_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["policy_map"] = {k: deserialize(v, custom_objects)
                                for k, v in (config.get("policy_map") or {}).items()}
        return cls(**config)

    def __repr__(self):
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return (f"<DTypePolicyMap at {hex(id(self))} default_policy="
                f"{self._default_policy.name}, mapping={mapping}>")

    __eq__ = object.__eq__
    __hash__ = object.__hash__


def _parse(name):
    if name in _FLOAT_POLICIES:
        return _FLOAT_POLICIES[name]
    try:
        dtype = standardize_dtype(name)
    except ValueError:
        raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid "
                         f"policies include 'mixed_float16', 'mixed_bfloat16', and the name of "
                         f"any float dtype such as 'float32'.") from None
    return dtype, dtype


def unhonoured(policy):
    """Why the library cannot compute under `policy` (a DTypePolicy), or None when it can."""
    floats = {policy.compute_dtype, policy.variable_dtype}
    if all(d == "float32" or not d.startswith(("float", "bfloat")) for d in floats):
        return None
    return (f"the dtype policy '{policy.name}' (compute dtype {policy.compute_dtype}, variable "
            f"dtype {policy.variable_dtype}) cannot be honoured: swiftkeras computes and keeps "
            f"weights in float32 only. Use 'float32' (the default)")


def _refuse_quantized(name):
    if isinstance(name, str) and name.startswith(QUANTIZATION_MODES):
        raise ValueError(f"The dtype policy '{name}' is a quantized policy: a layer gets it from "
                         f"`quantize(\"int8\")` or `quantize(\"int4\")` (Dense, EinsumDense and "
                         f"Embedding) or `quantize(\"float8\")` (Dense, EinsumDense), not as its "
                         f"dtype or the global policy.")


def set_dtype_policy(policy):
    """Sets the policy layers created afterwards get (Keras:
    `keras.config.set_dtype_policy`, `keras.mixed_precision.set_global_policy`); only float32
    ones are accepted (see the module's description)."""
    if not isinstance(policy, DTypePolicy):
        if not isinstance(policy, str):
            raise ValueError(f"Invalid `policy` argument. Expected the string name of a policy "
                             f"(such as 'mixed_float16') or a `DTypePolicy` instance. Received: "
                             f"policy={policy} (of type {type(policy)})")
        _refuse_quantized(policy)
        policy = DTypePolicy(policy)
    reason = unhonoured(policy)
    if reason:
        raise ValueError(f"set_dtype_policy: {reason}.")
    _global_state.set_global_attribute("dtype_policy", policy)


def dtype_policy():
    """The global policy (float32 unless set). Keras: `keras.config.dtype_policy`,
    `keras.mixed_precision.global_policy`."""
    policy = _global_state.get_global_attribute("dtype_policy")
    if policy is None:
        policy = DTypePolicy(_backend.floatx())
        _global_state.set_global_attribute("dtype_policy", policy)
    return policy


def serialize(dtype_policy):
    """Keras's form: `{"module": "keras", "class_name": "DTypePolicy", "config": {"name":
    ...}, "registered_name": None}`."""
    module = "keras.dtype_policies" if isinstance(dtype_policy, (DTypePolicyMap, QuantizedDTypePolicy)) \
        else "keras"
    return {"module": module, "class_name": type(dtype_policy).__name__,
            "config": dtype_policy.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The policy a serialized form (or its legacy `{"class_name": "Policy", ...}`) names."""
    if isinstance(config, DTypePolicy):
        return config
    if not isinstance(config, dict) or "config" not in config:
        raise ValueError(f"Could not interpret a dtype policy config: {config!r}")
    class_name = config.get("class_name")
    found = (custom_objects or {}).get(class_name) or \
        {"DTypePolicy": DTypePolicy, "FloatDTypePolicy": FloatDTypePolicy,
         "Policy": DTypePolicy, "DTypePolicyMap": DTypePolicyMap,
         "QuantizedDTypePolicy": QuantizedDTypePolicy, "Int4DTypePolicy": Int4DTypePolicy,
         "GPTQDTypePolicy": GPTQDTypePolicy, "AWQDTypePolicy": AWQDTypePolicy,
         "QuantizedFloat8DTypePolicy": QuantizedFloat8DTypePolicy}.get(class_name)
    if found is None:
        _refuse_quantized((config.get("config") or {}).get("name"))
        raise ValueError(f"Unknown dtype policy class '{class_name}': swiftkeras has "
                         f"DTypePolicy, FloatDTypePolicy, QuantizedDTypePolicy, Int4DTypePolicy, "
                         f"GPTQDTypePolicy, AWQDTypePolicy, QuantizedFloat8DTypePolicy and DTypePolicyMap.")
    if found is DTypePolicyMap:
        return found.from_config(config["config"], custom_objects)
    return found.from_config(config["config"])


def get(identifier):
    """A policy from None (the global one), a name, a dtype, a serialized form or a policy.
    Keras: `keras.dtype_policies.get`."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        _refuse_quantized(identifier)
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(standardize_dtype(identifier))
    except ValueError:
        raise ValueError(f"Cannot interpret `dtype` argument. Expected a string or an instance "
                         f"of DTypePolicy. Received: dtype={identifier}") from None


def layer_dtype(dtype, layer_name):
    """The dtype name a layer keeps for its `dtype` argument: a float policy the library cannot
    honour is refused, naming the layer and the policy; one read from a saved config (a dict)
    becomes float32, which loading reports."""
    if dtype is None:
        return None
    if isinstance(dtype, dict):
        if dtype.get("class_name") in QUANTIZED_POLICY_CLASSES:   # a quantized layer's (the library's)
            return (dtype.get("config") or {}).get("source_name") or "float32"
        name = (dtype.get("config") or {}).get("name")
        policy = _parse_or_none(name)
        return "float32" if policy is not None and unhonoured(policy) else name
    if isinstance(dtype, str):
        _refuse_quantized(dtype)
    if isinstance(dtype, DTypePolicyMap):   # each path's policy: all must be float32 here
        for policy in [dtype.default_policy, *dtype.values()]:
            reason = unhonoured(policy)
            if reason:
                raise ValueError(f"Layer '{layer_name}': its DTypePolicyMap holds {reason}.")
        return dtype.default_policy.name
    policy = dtype if isinstance(dtype, DTypePolicy) else _parse_or_none(dtype)
    if policy is None:
        return getattr(dtype, "name", dtype)    # not a policy name: the library checks it
    reason = unhonoured(policy)
    if reason:
        raise ValueError(f"Layer '{layer_name}': {reason}.")
    return policy.name


def _parse_or_none(name):
    try:
        return DTypePolicy(name)
    except (TypeError, ValueError):
        return None


def saved_policies_not_kept(config):
    """(layer name, policy name) of each layer in a saved model config whose float policy the
    library computes in float32 instead."""
    found = []
    if isinstance(config, dict) and config.get("class_name") == "__numpy__":
        return found   # an array in a config (Constant's value): its dtype is the array's
    if isinstance(config, dict):
        inner = config.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("dtype"), (dict, str)):
            dtype = inner["dtype"]
            name = (dtype.get("config") or {}).get("name") if isinstance(dtype, dict) else dtype
            policy = _parse_or_none(name)
            if policy is not None and unhonoured(policy) and config.get("class_name") != "InputLayer":
                found.append((inner.get("name"), name))
        for value in config.values():
            found += saved_policies_not_kept(value)
    elif isinstance(config, list):
        for value in config:
            found += saved_policies_not_kept(value)
    return found


__all__ = ["AWQDTypePolicy", "DTypePolicy", "DTypePolicyMap", "FloatDTypePolicy", "GPTQDTypePolicy", "Int4DTypePolicy", "QuantizedDTypePolicy",
           "QuantizedFloat8DTypePolicy", "serialize",
           "deserialize", "get"]
