"""Keras 3's top-level scopes: `keras.name_scope`, `keras.device`, `keras.StatelessScope`,
`keras.SymbolicScope`, `keras.RematScope` and `keras.remat` (keras/src/backend/common/).

Each scope's stack is a session attribute (`_global_state`), per thread and cleared by
`clear_session()`, as in Keras."""

import collections
import functools
import threading

import numpy as np

from . import _global_state


# -- name_scope ---------------------------------------------------------------------------------

class name_scope:
    """Puts the variables made and the layers built inside the `with` under `name` in their
    paths (`outer/dense/kernel`, `outer/variable`); layer names do not change. Keras:
    `keras.name_scope(name, caller=None, deduplicate=True, override_parent=None)`."""

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name}")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        if override_parent is None and deduplicate and \
                getattr(caller, "_parent_path", None) is not None:
            self.override_parent = caller._parent_path
        self._pop_on_exit = False

    def __enter__(self):
        stack = _stack("name_scope_stack")
        if self.deduplicate and stack and self.caller is not None and \
                self.caller is stack[-1].caller and self.name == stack[-1].name:
            return self   # the same caller entering its own scope again
        stack.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc):
        stack = _stack("name_scope_stack")
        if self._pop_on_exit and stack:
            stack.pop()


def current_path():
    """The path of the open name scopes ("outer/inner"; "" outside any)."""
    parts = []
    for entry in _global_state.get_global_attribute("name_scope_stack") or []:
        if entry.override_parent is not None:
            parts = [p for p in entry.override_parent.split("/") if p]
        parts.append(entry.name)
    return "/".join(parts)


def scoped_name(name):
    """`name` under the open name scopes: the path Keras gives a variable made here."""
    path = current_path()
    return f"{path}/{name}" if path else name


_layers_built_in_scopes = False   # whether any layer was: until then no path needs a look


def note_build_scope(layer):
    """Records, the first time a layer is built or called, the name scope it happens in: Keras
    builds a layer's weights there, so their paths start with it."""
    global _layers_built_in_scopes
    if "_name_scope_path" not in layer.__dict__:
        path = current_path()
        layer.__dict__["_name_scope_path"] = path
        _layers_built_in_scopes = _layers_built_in_scopes or bool(path)


def scoped_path(holder, path):
    """A weight's Keras `path` (as listed from `holder`) under the name scope its outermost
    layer was built in: the layer (or model) its first name is, found from `holder`."""
    if not _layers_built_in_scopes:
        return path
    first = path.split("/", 1)[0]
    for candidate in _named_near(holder):
        if getattr(candidate, "name", None) == first:
            candidate = candidate.__dict__.get("_model", candidate)   # a nested model's view
            prefix = candidate.__dict__.get("_name_scope_path")
            return f"{prefix}/{path}" if prefix else path
    return path


def _named_near(holder):
    """`holder`, the model holding its weights and their layers: where a path's first name is."""
    yield holder
    owners = [holder.__dict__.get(key) for key in ("_owner", "_sequential")]
    for owner in [holder] + [o for o in owners if o is not None]:
        if owner is not holder:
            yield owner
        for layer in owner.__dict__.get("_layers") or []:
            yield layer


# -- device -------------------------------------------------------------------------------------

class device:
    """Places the computations of the `with` on a device. Keras: `keras.device("cpu:0")`. The
    library computes on its one CPU device, so "cpu" and "cpu:0" are accepted; other devices do
    not exist here and are refused as JAX refuses a device it lacks."""

    def __init__(self, device_name):
        from .distribution import list_devices
        if not isinstance(device_name, str):
            raise ValueError(f"Invalid value for argument `device_name`. Expected a string like "
                             f"'gpu:0' or a `jax.Device` instance. Received: "
                             f"device_name='{device_name}'")
        kind, _, index = device_name.lower().partition(":")
        known = list_devices(kind)
        wanted = f"{kind}:{index or 0}"
        if wanted not in known:
            raise ValueError(f"Device not found: {device_name.lower()}")
        self.device_name = wanted

    def __enter__(self):
        return None   # as Keras's (JAX's default_device) gives

    def __exit__(self, *exc):
        return None


# -- StatelessScope -----------------------------------------------------------------------------

class StatelessScope:
    """Variable updates inside the `with` are recorded in the scope, not kept: inside, the
    variables read (and models compute with) the values of `state_mapping` and of the
    assignments made; on exit every variable is back to its value before the scope, and
    `scope.get_current_value(variable)` gives the value it had at the end of the scope (None
    for one neither mapped nor assigned). Keras: `keras.StatelessScope(state_mapping=None,
    collect_losses=False, initialize_variables=True)`. Updates the library makes itself (an
    optimizer step in `fit`) are not seen by the scope."""

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        from ._variables import Variable
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses = []
        self.state_mapping = {}
        self._mapped = []
        for k, v in state_mapping or {}:
            if not isinstance(k, Variable):
                raise ValueError(f"Invalid reference variable in StatelessScope: all keys in "
                                 f"argument `mapping` must be Variable instances. Received "
                                 f"instead: {k}")
            v = np.asarray(v.numpy() if isinstance(v, Variable) else v).astype(k.dtype)
            if tuple(k.shape) != v.shape:
                raise ValueError(f"Invalid variable value in StatelessScope: all values in "
                                 f"argument `mapping` must be tensors with a shape that "
                                 f"matches the corresponding variable shape. For variable {k}, "
                                 f"received invalid value {v} with shape {v.shape}.")
            self.state_mapping[_state_key(k)] = v
            self._mapped.append((k, v))
        self._originals = {}

    def __enter__(self):
        self.original_scope = _global_state.get_global_attribute("stateless_scope")
        _global_state.set_global_attribute("stateless_scope", self)
        for variable, value in self._mapped:   # computations inside see the mapped values
            variable.assign(value)
        return self

    def add_loss(self, loss):
        self.losses.append(loss)

    def add_update(self, update):
        variable, value = update
        self.state_mapping[_state_key(variable)] = value

    def get_current_value(self, variable):
        return self.state_mapping.get(_state_key(variable), None)

    def __exit__(self, *exc):
        _global_state.set_global_attribute("stateless_scope", self.original_scope)
        _assigning.active = True   # putting the values back is no update of an outer scope
        try:
            for variable, value in self._originals.values():
                variable.assign(value)
        finally:
            _assigning.active = False
        self._originals = {}


def in_stateless_scope():
    return get_stateless_scope() is not None


def get_stateless_scope():
    return _global_state.get_global_attribute("stateless_scope")


_assigning = threading.local()


def recorded_in_stateless_scope(assign):
    """Wraps a Variable class's `assign`: inside a StatelessScope the value is recorded in the
    scope and the variable's value before the scope kept, to be put back when the scope ends."""
    @functools.wraps(assign)
    def wrapper(self, value):
        scope = get_stateless_scope()
        if scope is None or getattr(_assigning, "active", False) or _tracing():
            return assign(self, value)
        key = _state_key(self)
        _assigning.active = True
        try:
            if key not in scope._originals:
                scope._originals[key] = (self, self.numpy())
            result = assign(self, value)
            scope.add_update((self, self.numpy()))
        finally:
            _assigning.active = False
        return result
    return wrapper


def _state_key(variable):
    """One key per weight, the same for every Variable object that views it (the library's
    weights are viewed afresh at each listing): its path; a variable made in Python: itself."""
    from ._variables import _FreeVariable
    return ("variable", id(variable)) if isinstance(variable, _FreeVariable) else \
        ("weight", variable.path)


def _tracing():
    from .ops._trace import active
    return active() is not None


# -- SymbolicScope ------------------------------------------------------------------------------

class SymbolicScope:
    """Marks the `with` as symbolic computation (shapes and dtypes only). Keras:
    `keras.SymbolicScope()`."""

    def __enter__(self):
        self.original_scope = get_symbolic_scope()
        _global_state.set_global_attribute("symbolic_scope", self)
        return self

    def __exit__(self, *exc):
        _global_state.set_global_attribute("symbolic_scope", self.original_scope)


def in_symbolic_scope():
    return get_symbolic_scope() is not None


def get_symbolic_scope():
    return _global_state.get_global_attribute("symbolic_scope")


# -- rematerialization --------------------------------------------------------------------------

_REMAT_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
RematMode = collections.namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])


class RematScope:
    """Asks for rematerialization (recomputing activations in the backward pass instead of
    keeping them) of the layers called inside: `mode` "full", "activations", "larger_than"
    (`output_size_threshold`), "list_of_layers" (`layer_names`) or None. Keras:
    `keras.RematScope`. The library keeps a layer's activations for its backward pass; the
    numbers are the same either way, so the scope is recorded and changes no result."""

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _REMAT_MODES:
            raise ValueError(f"Invalid mode '{mode}'. Supported modes are: 'full', "
                             f"'activations', 'larger_than', 'list_of_layers', or  None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []
        self._pop_on_exit = False

    def __enter__(self):
        _stack("remat_scope_stack").append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc):
        stack = _stack("remat_scope_stack")
        if self._pop_on_exit and stack:
            stack.pop()


def get_current_remat_mode():
    """The innermost RematScope's (mode, output_size_threshold, layer_names), or None."""
    stack = _global_state.get_global_attribute("remat_scope_stack")
    if not stack or stack[-1].mode is None:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f):
    """`f` rematerialized: the same results and gradients (the library keeps the activations
    for the backward pass). Keras: `keras.remat(f)`."""
    @functools.wraps(f)
    def rematerialized(*args, **kwargs):
        return f(*args, **kwargs)
    return rematerialized


def _stack(name):
    stack = _global_state.get_global_attribute(name)
    if stack is None:
        stack = []
        _global_state.set_global_attribute(name, stack)
    return stack
