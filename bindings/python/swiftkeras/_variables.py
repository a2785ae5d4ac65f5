"""Keras 3's `Variable` for a weight the library holds: what `layer.weights`, `model.weights`,
`layer.kernel` (and every weight attribute) return. Its value lives in the library; `numpy()`
reads it, `assign()` writes it, so that assigning through `dense.kernel.assign(w)` changes the
model's predictions as in Keras. Numpy arithmetic and `np.asarray` work on it."""

from __future__ import annotations

import weakref

import numpy as np

from . import _scopes
from ._dtypes import held
from .dtype_policies import DTypePolicy


class Variable(np.lib.mixins.NDArrayOperatorsMixin):
    """One weight of a layer or a model. Keras: `keras.Variable` (`name`, `path`, `shape`,
    `dtype`, `trainable`, `value`, `numpy()`, `assign`, `assign_add`, `assign_sub`).

    `holder` is the Layer or Model whose `_variable_infos()` lists the weight at `position`
    (read again at every access, so that the variable follows a model rebuilt around it) and
    whose `_variable_model()` is the model holding the values."""

    def __new__(cls, *args, **kwargs):
        # `keras.Variable(initializer, shape=..., name=...)` as a user writes it: a value
        # held in Python (_FreeVariable); the library's weights come with their holder.
        if cls is Variable and not (args and isinstance(args[0], LayerBasics)):
            return super().__new__(_FreeVariable)
        return super().__new__(cls)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "assign" in cls.__dict__:   # each class's assign, recorded by a StatelessScope
            cls.assign = _scopes.recorded_in_stateless_scope(cls.__dict__["assign"])

    def __init__(self, holder, position, info, memo=None):
        self._holder, self._position, self._library_name = holder, position, info["name"]
        self._id = info.get("id")
        self._describe(holder, info, memo)

    def _describe(self, holder, info, memo=None):
        """Its path, name, shape, flag and dtype as `holder` (any holder listing it) lists it."""
        self.path = _keras_path(holder, info["name"], memo, info.get("outer_layer"))
        self.name = self.path.split("/")[-1]
        self.shape = tuple(int(d) for d in info["shape"])
        self._trainable = bool(info.get("trainable", True))
        self.dtype = info.get("dtype", "float32")
        adopted = _adopted(holder, info["name"], memo)
        if adopted is not None:   # a keras.Variable a Python layer adopted: its dtype and path
            self.dtype = adopted[0]
            self.path = adopted[1] or self.path

    # -- Keras's Variable attributes ---------------------------------------------------------
    dtype = "float32"
    aggregation = "none"
    synchronization = "auto"
    constraint = None
    regularizer = None

    @property
    def trainable(self):
        return self._trainable

    @property
    def overwrite_with_gradient(self):
        """Whether the optimizer assigns this variable its gradient instead of stepping: a
        float8 layer's scales (shape `()`) and amax histories, as Keras's."""
        return "_holder" in self.__dict__ and self.dtype == "float32" and (
            self.name in ("inputs_amax_history", "kernel_amax_history", "outputs_grad_amax_history")
            or (self.name in ("inputs_scale", "kernel_scale", "outputs_grad_scale") and self.shape == ()))

    @property
    def ndim(self):
        return len(self.shape)

    def _info(self):
        """Its holder's info of it: the one of its library variable (the holder's model may list
        its weights in another order now), else the one at its position (a model rebuilt around
        it, whose variables are new)."""
        infos = self._holder._variable_infos()
        own = self.__dict__.get("_id")
        if own is not None and not (self._position < len(infos) and infos[self._position].get("id") == own):
            found = next((info for info in infos if info.get("id") == own), None)
            if found is not None:
                return found
        if self._position >= len(infos):
            raise ValueError(f"The variable {self.path} no longer exists in its model (the model "
                             f"was changed since it was read)")
        return infos[self._position]

    def numpy(self):
        """The current value, a numpy array of its dtype (a copy)."""
        value = self._holder._variable_model()._get_weight(self._info())
        return value if self.dtype == "float32" else value.astype(held(self.dtype))

    @property
    def value(self):
        return self.numpy()

    @_scopes.recorded_in_stateless_scope
    def assign(self, value):
        """Sets the weight in the library (Keras: `variable.assign(value)`); the shape must be
        the variable's, as in Keras."""
        arr = np.asarray(value).astype(held(self.dtype))
        if arr.shape != self.shape:
            raise ValueError(f"The shape of the target variable and the shape of the target "
                             f"value in `variable.assign(value)` must match. variable.shape="
                             f"{self.shape}, Received: value.shape={arr.shape}. Target "
                             f"variable: {self!r}")
        self._holder._variable_model()._set_weight(self._info(), arr)
        return self

    def assign_add(self, value):
        return self.assign(self.numpy() + np.asarray(value).astype(held(self.dtype)))

    def assign_sub(self, value):
        return self.assign(self.numpy() - np.asarray(value).astype(held(self.dtype)))

    # -- numpy interoperation --------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __jax_array__(self):
        """Its value for jax, as Keras's jax Variables give theirs (`jnp.asarray(v)`,
        `jax.grad(f)(model.trainable_variables)`)."""
        return self.numpy()

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(i.numpy() if isinstance(i, Variable) else i for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __getitem__(self, item):
        return self.numpy()[item]

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())

    def __bool__(self):
        return bool(self.numpy())

    def __round__(self, ndigits=None):
        """`round(variable, n)`: its value rounded, in its dtype (Keras's: an array, not a float)."""
        return np.round(self.numpy(), ndigits or 0)

    @property
    def T(self):
        return self.numpy().T

    def __repr__(self):
        try:
            value = f", value={self.numpy()}"
        except Exception:  # noqa: BLE001 — a repr shows what it can (the model may be gone)
            value = ""
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}{value}>"


def in_keras_dtype(holder, info, value, memo=None):
    """A weight's value in the dtype Keras gives it, as get_weights() lists it: the library's
    (float32, or int32 for an integer weight, read exactly). `memo`: one dict over the weights of
    one listing (`_adopted`)."""
    adopted = _adopted(holder, info["name"], memo)
    return value if adopted is None or adopted[0] == str(value.dtype) else value.astype(adopted[0])


def _adopted(holder, library_path, memo=None):
    """(dtype, Keras path or None) of the weight at `library_path` when it is a keras.Variable
    a Python layer adopted (_python_layers._adopt_variables), else None. `memo`: as
    `_keras_path`'s (the holder's layers by name, listed once)."""
    parts = library_path.split("/")
    if len(parts) < 2:
        return None
    layer = _layers_by_name(holder, memo).get(parts[-2]) if holder._holds_layers else holder
    meta = getattr(layer, "__dict__", {}).get("_adopted_meta") if layer is not None and \
        layer.name == parts[-2] else None
    return None if not meta else meta.get(parts[-1])


class _FreeVariable(Variable):
    """`keras.Variable(...)` made by user code: its value is a numpy array held here, in
    Keras's dtype (ints int32, floats float32 unless `dtype` says). The library neither
    trains nor saves it: a layer's weights are the ones `add_weight` makes (a layer keeping
    one of these saves it itself, in `save_own_variables`)."""

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, **kwargs):
        from ._objects import unique_name
        if isinstance(initializer, Variable):
            initializer = initializer.numpy()
        if isinstance(initializer, (str, dict)) or callable(initializer) or \
                type(initializer).__module__.endswith("initializers"):
            value = _initial_value(initializer, shape)
        else:
            value = np.asarray(initializer)
            if shape is not None and tuple(shape) != value.shape:
                raise ValueError(f"Initial value has shape {value.shape}, but shape={tuple(shape)}")
        self._value = value.astype(_keras_dtype(value.dtype) if dtype is None else np.dtype(dtype))
        self.dtype = str(self._value.dtype)
        self.shape = self._value.shape
        self.name = name or unique_name("variable")
        self.path = _scopes.scoped_name(self.name)   # under the open name scopes, as Keras's
        self._trainable = bool(trainable)
        self.aggregation, self.synchronization = aggregation, synchronization

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    def numpy(self):
        return self._value.copy()

    def assign(self, value):
        self._value = assigned_value(self, value).astype(self._value.dtype)
        return self

    def assign_add(self, value):
        return self.assign(self._value + np.asarray(value))

    def assign_sub(self, value):
        return self.assign(self._value - np.asarray(value))


def assigned_value(variable, value):
    """`value` (an array, a number, a Variable) as an array for `variable.assign`, which Keras
    refuses unless its shape is the variable's."""
    arr = np.asarray(value.numpy() if isinstance(value, Variable) else value)
    if arr.shape != variable.shape:
        raise ValueError(f"The shape of the target variable and the shape of the target "
                         f"value in `variable.assign(value)` must match. variable.shape="
                         f"{variable.shape}, Received: value.shape={arr.shape}. Target "
                         f"variable: {variable!r}")
    return arr


def _layers_by_name(model, memo=None):
    """{name: layer} of `model`'s layers (the first of a name, as a scan finds it), made once
    per `memo` (a dict kept over one listing of its weights)."""
    key = ("layers by name", id(model))
    by_name = None if memo is None else memo.get(key)
    if by_name is None:
        by_name = {}
        for child in model.layers or []:
            by_name.setdefault(child.name, child)
        if memo is not None:
            memo[key] = by_name
    return by_name


def _keras_dtype(dtype):
    """Keras's dtype of a variable made from a value of numpy `dtype`: float32 for floats,
    int32 for ints."""
    if dtype.kind == "f":
        return np.dtype("float32")
    if dtype.kind in "iu":
        return np.dtype("int32")
    return dtype


def _initial_value(initializer, shape):
    """The value of a variable made from an initializer (a name, a config, an initializer or a
    callable) and a shape."""
    from . import initializers
    if shape is None:
        raise ValueError(f"When creating a Variable from an initializer, the `shape` argument "
                         f"should be specified. Received: initializer={initializer} and "
                         f"shape=None")
    if callable(initializer) and not isinstance(initializer, initializers.Initializer):
        return np.asarray(initializer(tuple(shape)), np.float32)
    # (an initializer object draws in the library: `GlorotUniform(seed=1)(shape)`)
    return np.asarray(initializers.get(initializer)(tuple(shape)), np.float32)


def _keras_path(holder, library_path, memo=None, outer=None):
    """Keras's variable path: `_unscoped_keras_path`'s under the name scope its layer was built
    in (keras.name_scope). `outer`: the name of the layer of `holder` (a model) listing it."""
    return _scopes.scoped_path(holder, _unscoped_keras_path(holder, library_path, memo, outer))


def _unscoped_keras_path(holder, library_path, memo=None, outer=None):
    """Keras's variable path: the library's, less the private one-layer model that holds a layer
    called or adapted on its own ("layer_call/dense/kernel" is Keras's "dense/kernel"), and
    under the model's name in a subclassed model ("my_model/dense/kernel"). `memo`: a dict kept
    over the paths of one listing of a model's weights (`variables`), so that the walk of its
    nested layers is done once, not once per weight."""
    model = holder._variable_model()
    if model is not None and getattr(model, "_single_layer", False) and \
            library_path.startswith(model.name + "/"):
        return library_path[len(model.name) + 1:]
    if model is not None and model.__dict__.get("_traced_subclass") and \
            not model.__dict__.get("_built_unscoped") and \
            not library_path.startswith(model.name + "/"):
        # Keras: a subclassed model's layers are under it, and it under the scope it was built
        # in (a layer holding it: "wrap/sub/dense/kernel", the library's "wrap/dense/kernel").
        # (not a layer built before it, outside its scope: a Sequential given its Input where
        # it was made and then held by the model keeps Keras's "seq/dense/kernel")
        parts = library_path.split("/")
        own = {layer.name: layer for layer in model.__dict__.get("_layers") or ()}
        at = next((i for i, part in enumerate(parts[:-1]) if part in own), 0)
        held = own.get(parts[at]) or _functional_holding(own.values(), parts[at])
        if held is None or not _built_outside(held, model):
            library_path = "/".join(parts[:at] + [model.name] + parts[at:])
    if model is not None and "/" in library_path:
        library_path = _under_nested_subclasses(model, library_path, memo, outer)
        alone = _layer_at(model, library_path.split("/")[:-1])
        if alone is not None and alone.__dict__.get("_built_alone"):
            return f"{alone.name}/{library_path.split('/')[-1]}"
    return library_path


def _built_outside(layer, model):
    """Whether `layer` is a functional model, or a Sequential built where it was made (given its
    Input), outside `model`'s name scope (before it was held by `model`, or in its `__init__`):
    Keras made its weights there, so their paths are not under the model's name."""
    layer = layer.__dict__.get("_model", layer)   # a nested model's layer view: the model
    scope = layer.__dict__.get("_name_scope_path")
    return bool(layer.__dict__.get("_built_where_made")) and scope is not None and \
        scope.split("/")[-1] != model.name


def _functional_holding(layers, name):
    """The functional model among `layers` (a model's own) holding a layer named `name`: the
    library's graph holds its layers inline, without its name in their paths."""
    for layer in layers:
        held = layer.__dict__.get("_model", layer)
        if held.__dict__.get("_functional") is not None and \
                any(getattr(child, "name", None) == name for child in held.__dict__.get("_layers") or ()):
            return held
    return None


def _layer_at(model, names):
    """The layer that the names of a library path (a model's, then its nested models' and the
    layer's) lead to from `model`, or None."""
    layer = model
    for i, name in enumerate(names):
        if i == 0 and name == model.name:
            continue
        holder = layer.__dict__.get("_model", layer)   # a nested model's layer: the model
        children = holder.__dict__.get("_layers") or []
        layer = next((child for child in children if getattr(child, "name", None) == name), None)
        if layer is None:
            return None
    return layer if layer is not model else None


def _under_nested_subclasses(model, path, memo=None, outer=None):
    """`path` with the name of each subclassed model nested in `model` (called by another
    subclassed model's call or a traced layer's) before its layers' names, as Keras builds their
    weights in its scope ("outer/inner/dense/kernel"; the library's graph has no such scope).
    `outer`: the layer of `model` listing the weight; when it is such a model holding the
    path's first layer, that layer is its (two nested models may hold layers of one name)."""
    if memo is None:
        owners, held = _nested_subclass_layers(model)
    else:
        key = ("nested subclass layers", id(model))
        if key not in memo:
            memo[key] = _nested_subclass_layers(model)
        owners, held = memo[key]
    if not owners:
        return path
    parts = path.split("/")
    out = []
    for i, part in enumerate(parts[:-1]):
        owner = outer if i == 0 and part in held.get(outer, ()) else owners.get(part)
        if owner is not None and (not out or out[-1] != owner):
            out.append(owner)
        out.append(part)
    return "/".join(out + parts[-1:])


def _nested_subclass_layers(model):
    """({layer name: the name of the traced subclassed model holding it}, {that model's name:
    the names of its layers}) for the subclassed models nested in `model`'s layers (not
    `model` itself)."""
    from .layers import _tracked_sublayers
    found, held_by, seen = {}, {}, set()

    def visit(layer, depth):
        if id(layer) in seen or depth > 16:
            return
        seen.add(id(layer))
        inner = layer.__dict__.get("_model", layer)   # a model's layer view
        if inner is not model and inner.__dict__.get("_traced_subclass") and \
                not inner.__dict__.get("_built_unscoped"):
            for sub in inner._layers:
                found.setdefault(sub.name, inner.name)
                held_by.setdefault(inner.name, set()).add(sub.name)
        children = getattr(inner, "_layers", None) if hasattr(inner, "_model_config") else None
        for child in children or [item for *_, item in _tracked_sublayers(inner)]:
            visit(child, depth + 1)
    for layer in getattr(model, "_layers", None) or []:
        visit(layer, 0)
    return found, held_by


class LayerBasics:
    """What Keras's Layer and Model share here: the weight lists, as Variables (the class
    defines `_variable_infos()`, its weights' infos, and `_variable_model()`, the model holding
    them), the dtype policy, and the backend methods refused, naming what to use."""

    #: True for a model: its variables are its layers' (ModelAPI).
    _holds_layers = False

    #: How many times a layer's or a model's `trainable` flag has changed in Python: a model
    #: whose library took the flags at another count takes them again before it next lists its
    #: weights, prints its summary or trains (Model._take_trainable_flags).
    trainable_flag_changes = 0

    @property
    def trainable(self):
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value):
        if self.__dict__.get("_trainable", True) != bool(value):
            LayerBasics.trainable_flag_changes += 1
        self.__dict__["_trainable"] = bool(value)

    @property
    def weights(self):
        return variables(self)

    @property
    def trainable_weights(self):
        return variables(self, trainable=True) if self.trainable else []

    @property
    def non_trainable_weights(self):
        """Non-trainable weights (BatchNormalization's moving statistics); all of them when the
        holder is frozen (`trainable = False`)."""
        return self.weights if not self.trainable else variables(self, trainable=False)

    @property
    def variables(self):
        """Keras's `variables`: the weights and the states of the SeedGenerators held (Keras
        3 lists a layer's own weights, then its generators' states, then each sublayer's
        variables, at any depth: a Dropout inside a layer written in Python)."""
        if not self._holds_layers:
            subs = _python_sublayers(self)
            if not any(_holds_seed_states(layer) for layer in subs):
                return self.weights + _seed_states(self)
            inner = {v.path for layer in subs for v in layer.weights}
            return _joined([v for v in self.weights if v.path not in inner] + _seed_states(self),
                           subs, self.weights)
        # The weights first: they make the library's model, whose generators are then listed.
        weights = self.weights
        own = _seed_states(self)      # a subclassed model's own generators come first
        layers = list(self.layers or [])
        if not own and not any(_holds_seed_states(layer) for layer in layers):
            return weights
        return _joined(own, layers, weights)

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        """Keras's: the non-trainable weights and the SeedGenerator states (all variables when
        frozen)."""
        if not self.trainable:
            return self.variables
        return [v for v in self.variables if not v.trainable]

    # What the library computes in: float32 weights and computation (Keras's "float32" policy),
    # or int8 / packed int4 kernels once quantized ("int8_from_float32", "int4/128_from_float32").
    @property
    def dtype_policy(self):
        from ._quantize import quantized_policy
        return quantized_policy(self) or DTypePolicy(self.dtype)

    @property
    def quantization_mode(self):
        """"int8" or "int4" once `quantize` made the layer's kernel quantized, else None. Keras:
        `layer.quantization_mode`."""
        from ._quantize import quantization_mode
        return quantization_mode(self)

    @property
    def compute_dtype(self):
        return self.dtype

    @property
    def variable_dtype(self):
        return self.dtype

    @property
    def input_dtype(self):
        return self.dtype

    def compute_mask(self, inputs, previous_mask=None):
        """Keras `compute_mask`: the mask passed on (Keras's base Layer returns it as given)."""
        return previous_mask

    def add_metric(self, *args, **kwargs):
        raise NotImplementedError(ADD_METRIC_MESSAGE)   # Keras 3's own refusal

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantizes the layer's weights (Keras: `layer.quantize(mode)`): Dense, EinsumDense and
        Embedding in "int8" (int8 kernel and per-channel scale, not trainable)."""
        from ._quantize import quantize_layer
        quantize_layer(self, mode, config, type_check)

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Keras's `stateless_call(trainable_variables, non_trainable_variables, *args,
        return_losses=False, **kwargs)`: the call's outputs and the non-trainable variables'
        values after it (BatchNormalization's moving statistics in training), computed by the
        library with the values given; the layer keeps its own (a StatelessScope)."""
        if not self.built and not self.weights:   # (a model given its Input is built, as Keras's)
            raise ValueError(f"To call stateless_call, {type(self).__name__} must be built (i.e. "
                             f"its variables must have been already created). You can build it "
                             f"by calling it on some data.")
        own_trainable, own_other = self.trainable_variables, self.non_trainable_variables
        for given, own, which in ((trainable_variables, own_trainable, "trainable_variables"),
                                  (non_trainable_variables, own_other, "non_trainable_variables")):
            if len(given) != len(own):
                raise ValueError(f"Argument `{which}` must be a list of tensors corresponding 1:1 "
                                 f"to {type(self).__name__}().{which}. Received list with length "
                                 f"{len(given)}, but expected {len(own)} variables.")
        mapping = list(zip(own_trainable, trainable_variables)) + \
            list(zip(own_other, non_trainable_variables))
        with _scopes.StatelessScope(state_mapping=mapping, collect_losses=return_losses):
            outputs = self(*args, **kwargs)
            # (read, not recorded: the library updates moving statistics itself)
            after = [v.numpy() for v in own_other]
            losses = list(getattr(self, "losses", None) or []) if return_losses else None
        return (outputs, after, losses) if return_losses else (outputs, after)


ADD_METRIC_MESSAGE = ("Layer `add_metric()` method is deprecated. Add your metric in "
                      "`Model.compile(metrics=[...])`, or create metric trackers in init() or "
                      "build() when subclassing the layer or model, then call "
                      "`metric.update_state()` whenever necessary.")


def _seed_states(layer):
    from .random import seed_generators
    return [g.state for g in seed_generators(layer)]


def _python_sublayers(layer):
    """The layers a layer written in Python holds as attributes (Keras's tracked `_layers`);
    none for a built-in layer (the library lists its parts)."""
    from .layers import _BuiltinLayer, _tracked_sublayers
    if isinstance(layer, _BuiltinLayer) or not hasattr(layer, "__dict__"):
        return []
    found = []
    for *_, item in _tracked_sublayers(layer):
        if not any(item is f for f in found):
            found.append(item)
    return found


def _holds_seed_states(layer, depth=0):
    """Whether `layer` or a layer it holds (a layer written in Python's, at any depth) has a
    SeedGenerator."""
    return bool(_seed_states(layer)) or (depth < 16 and any(
        _holds_seed_states(s, depth + 1) for s in _python_sublayers(layer)))


def _joined(first, layers, weights):
    """`first`, then each layer's `variables` (Keras's order), then the rest of `weights`,
    each variable once (by path)."""
    out, seen = list(first), {v.path for v in first}
    for layer in layers:
        for v in layer.variables:
            if v.path not in seen:
                seen.add(v.path)
                out.append(v)
    out.extend(v for v in weights if v.path not in seen)
    return out


#: The Variable of each library variable (its id, keras_model_weight_ids) that a model or a
#: layer listed: one object per weight wherever it is listed, as in Keras (`model.weights[0] is
#: dense.kernel`, a nested model's and a shared layer's weights). Weak: the holders' listings and
#: the user's references keep them, so a model dropped leaves nothing behind here.
_BY_ID = weakref.WeakValueDictionary()


def variables(holder, trainable=None):
    """`holder`'s weights as Variables, all or those with this `trainable` flag. Before the
    library holds any, the `keras.Variable`s assigned to its attributes (Keras tracks them;
    the library adopts them when it builds the layer), trainable ones first as Keras lists."""
    parts = _parts_without_call(holder)
    if parts is not None:
        return _parts_variables(parts, trainable)
    kept = _kept_listing(holder, trainable)
    if kept is not None:
        return kept
    own = holder.__dict__.get("_weight_objects") or {} if hasattr(holder, "__dict__") else {}
    # The Variables listed before, one object per weight, as Keras's layer holds its variables
    # (`model.layers[1].kernel is dense.kernel`); each read again from the library's listing.
    listed = holder.__dict__.setdefault("_variable_objects", {}) if hasattr(holder, "__dict__") else {}
    infos = holder._variable_infos()
    out, memo = [], {}
    for i, info in enumerate(infos):
        if trainable is not None and bool(info.get("trainable", True)) != trainable:
            continue
        if i in own and own[i].name == info["name"].split("/")[-1]:   # a Python add_weight's
            v = own[i]
            v._describe(holder, info, memo)
        else:
            v = _listed_elsewhere(holder, info, memo)
            if v is not None:
                v._describe(holder, info, memo)   # (its path, flag and dtype as listed here)
            else:
                v = listed.get(i)
                if v is None or v._library_name != info["name"] or \
                        v.shape != tuple(int(d) for d in info["shape"]):
                    v = Variable(holder, i, info, memo)
                else:
                    v.__init__(holder, i, info, memo)   # (its path, flag and dtype as listed now)
            listed[i] = v
        if info.get("id") is not None:
            _BY_ID[info["id"]] = v
        out.append(v)
    if infos and holder._holds_layers:
        _keep_listing(holder, trainable, out)
    if infos or not hasattr(holder, "__dict__"):
        return out
    free = [v for v in vars(holder).values()
            if isinstance(v, _FreeVariable) and v.dtype in ("float32", "int32")]
    return [v for v in sorted(free, key=lambda v: not v.trainable)
            if trainable is None or v.trainable == trainable]


def _listing_key(model):
    """What a model's listing of its weights follows: its library model, the layers' infos read
    from it (read again after each change: a build, new trainable flags taken, quantize, a
    load), and the trainable flags changed in Python."""
    return (model.__dict__.get("_handle_ref"), model.__dict__.get("_layers_cache"),
            LayerBasics.trainable_flag_changes)


def _keep_listing(model, trainable, listed):
    """Keeps a model's listing of its weights (`model.weights`, `trainable_variables`, ...) for
    the next reads while `_listing_key` stays the same: a custom train_step reads
    `self.trainable_variables` at every batch, and listing them again costs tens of
    microseconds a weight (each one's Keras path worked out)."""
    described = [(v, v.path, v._trainable, v.dtype) for v in listed]
    model.__dict__.setdefault("_weight_listings", {})[trainable] = (_listing_key(model), described)


def _kept_listing(holder, trainable):
    """A copy of the model's listing kept by `_keep_listing`, or None when there is none, the
    model changed since, or another listing has described one of its Variables otherwise
    since (a layer's listing of a weight it shares)."""
    if not getattr(holder, "_holds_layers", False):
        return None
    kept = holder.__dict__.get("_weight_listings", {}).get(trainable)
    if kept is None:
        return None
    (handle, infos, flags), now = kept[0], _listing_key(holder)
    if handle is not now[0] or infos is not now[1] or flags != now[2]:
        return None
    if any(v.path != path or v._trainable != flag or v.dtype != dtype
           for v, path, flag, dtype in kept[1]):
        return None
    return [v for v, *_ in kept[1]]


def _parts_without_call(holder):
    """The layers and models held by a Model subclass that defines no `call` (keras.io's VAE
    and GANs: their train_step calls the parts), never traced into a graph of its own: Keras
    lists their weights as its own. None for any other holder."""
    from .models import Model, Sequential
    if not isinstance(holder, Model) or isinstance(holder, Sequential) or \
            holder.__dict__.get("_handle") is not None or holder._functional is not None:
        return None
    from ._custom_steps import overrides
    return None if overrides(holder, "call") else _python_sublayers(holder)


def _parts_variables(parts, trainable):
    """Each part's variables in turn (Keras's order), each once; a frozen part's count as
    non-trainable, as in Keras."""
    out = []
    for part in parts:
        listed = part.weights if trainable is None else \
            part.trainable_weights if trainable else part.non_trainable_weights
        out += [v for v in listed if not any(v is o for o in out)]
    return out


def _listed_elsewhere(holder, info, memo):
    """The Variable of `info`'s library variable that another listing made: the one listed
    before, else, for a model's weight, the one its layer lists (Keras's `model.weights` are its
    layers' variables; a Python layer's are its add_weight objects); None when none did."""
    key = info.get("id")
    if key is None:
        return None
    v = _BY_ID.get(key)
    if v is not None or not holder._holds_layers or not info.get("outer_layer"):
        return v
    layer = _layers_by_name(holder, memo).get(info["outer_layer"])
    listed = memo.setdefault("layers listed", set())
    if layer is None or layer is holder or id(layer) in listed:
        return None
    listed.add(id(layer))
    layer.weights   # (lists them: each in _BY_ID)
    return _BY_ID.get(key)
