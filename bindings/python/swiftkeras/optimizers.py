"""Optimizers (Keras `keras.optimizers`). Each stores its constructor arguments, which go to
the library as the Keras config; Keras 2 spellings the seeds use (`lr=`, `decay=`) are read
by the library as Keras 2 did.

    sgd = optimizers.SGD(lr=0.02, decay=1e-6, momentum=0.9, nesterov=True)
"""

import numpy as np

from ._objects import KerasObject, make_class, module_serialization, unique_name
from ._variables import Variable, _FreeVariable, assigned_value


class Optimizer(KerasObject):
    """Base of the optimizers; `learning_rate` is the first positional argument."""
    kind = "optimizer"
    _positional = ("learning_rate",)

    def _numbers_names(self) -> bool:
        return True   # Keras's base Optimizer names each one made without a name

    @property
    def name(self):
        """Keras's `optimizer.name`: the name given, else the class's in snake_case, numbered
        per process (`adam`, `adam_1`, ...), as Keras's `auto_name`."""
        return self._config.get("name") or self._default_name()

    def _model(self):
        """The model this optimizer was last compiled into, while it lives and is built."""
        ref = self.__dict__.get("_compiled_into")
        model = ref() if ref is not None else None
        return model if model is not None and model._handle is not None else None

    @property
    def built(self):
        """Keras's `optimizer.built`: its variables were made for a model's trainable variables
        (at the first fit after compile, or when load_model compiled the model)."""
        return (self.__dict__.get("_built_for") is not None
                or bool(self.__dict__.get("_standalone_variables")))

    @property
    def learning_rate(self):
        """The rate the library trains with now (what callbacks and schedules made it) once
        compiled into a built model or applied to variables of no model; else the constructor's
        (the class's default; a schedule's rate at step 0). A rate that is a number comes as
        Keras's: a float32 variable `<name>/learning_rate` (`round`, `float`, `assign`)."""
        rate = self._rate_now()
        return self._variable_object(f"{self.name}/learning_rate", _LearningRate) \
            if isinstance(rate, (int, float, np.number)) else rate

    def _rate_now(self):
        """`learning_rate`'s value: a number, or what the constructor gave (a schedule's rate)."""
        model = self._model()
        if model is not None:
            return model._learning_rate()
        handle = self.__dict__.get("_standalone")
        if handle is not None:   # applied to variables of no model: the next step's rate
            return handle.state()[1]
        rate = self._config.get("learning_rate", self._config.get("lr"))
        if rate is None and "learning_rate" not in self._config and self._is_builtin():
            rate = self.get_config().get("learning_rate")   # the class's default (Adam: 0.001)
        if isinstance(rate, LearningRateSchedule):
            # Keras's: the schedule's rate at the step count (0 before a step), a Python
            # schedule called with the count as Keras's `optimizer.iterations`
            return rate(0) if rate._is_builtin() else rate(self._iterations_variable())
        return rate

    def _variable_object(self, path, cls=None, value=None, position=None):
        """The Variable of optimizer variable `path` (a slot: at `position` of `variables`): one
        object for as long as the variable keeps its shape and dtype, as Keras's optimizer holds
        its variables (`opt.variables[0] is opt.iterations`); it reads and assigns the library's
        value (_OptimizerVariable)."""
        listed = self.__dict__.setdefault("_variable_objects", {})
        key = path if cls is not None else (position, path)
        v = listed.get(key)
        cls = cls or _OptimizerVariable
        if v is None or type(v) is not cls or \
                value is not None and (v.shape != value.shape or v.dtype != str(value.dtype)):
            v = listed[key] = cls(self, path, value, position)
        return v

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, Variable):   # (a variable's value, another optimizer's rate, as Keras's assign)
            value = float(value)
        model = self._model()
        if model is not None:
            model._set_learning_rate(float(value))
        handle = self.__dict__.get("_standalone")
        if handle is not None:
            if isinstance(self._config.get("learning_rate"), LearningRateSchedule):
                raise TypeError("This optimizer was created with a `LearningRateSchedule` object "
                                "as its `learning_rate` constructor argument, hence its learning "
                                "rate is not settable. If you need the learning rate to be "
                                "settable, you should instantiate the optimizer with a float "
                                "`learning_rate` argument.")
            handle.set_learning_rate(float(value))
        self._config["learning_rate"] = value
        ref = self.__dict__.get("_compiled_into")
        unbuilt = ref() if ref is not None and model is None else None
        if unbuilt is not None and unbuilt._compile_config is not None:
            # compiled into a model not built yet: the library compiles it (at its build) from
            # the compile config, which takes the new rate as Keras's variable would
            from ._objects import serialize
            unbuilt._compile_config["optimizer"] = serialize(self)

    @property
    def iterations(self):
        """Keras's `optimizer.iterations`: the steps taken, an int32 variable (`<name>/iteration`,
        as the weights files hold it) with the library's count when read (0 before compile);
        `assign` sets the library's count (a training resumed at a step). With
        `gradient_accumulation_steps`, the updates applied: the count of batches divided by
        the steps (rounded down), an int32 array, as Keras's."""
        counted = self._iterations_variable()
        steps = self._config.get("gradient_accumulation_steps")
        if steps:
            return np.asarray(np.floor_divide(counted.numpy(), np.int32(steps)))
        return counted

    def _iterations_variable(self):
        """The count of batches the optimizer was given (Keras's `optimizer._iterations`, the
        first of its `variables`)."""
        return self._variable_object(f"{self.name}/iteration", _Iterations)

    def _iteration_count(self):
        """The library's count of batches: the model's, or the optimizer's of variables of no
        model; 0 before either."""
        import ctypes

        from . import _lib
        from ._native import check
        model, count = self._model(), ctypes.c_int64(0)
        handle = self.__dict__.get("_standalone")
        if model is not None:
            check(_lib.keras_model_optimizer_iterations(model._handle, ctypes.byref(count)))
        elif handle is not None:
            count.value = handle.state()[0]
        return count.value

    def apply_gradients(self, grads_and_vars):
        """Keras `optimizer.apply_gradients`: the gradients of a `swiftkeras.GradientTape` are
        the library's training step on the batch the tape recorded; arrays of gradients update
        `keras.Variable`s of no model at once (the library's step); gradients computed in Python
        for a model's weights cannot train them: fails naming the routes that do. Returns
        `iterations`, as Keras."""
        pairs = list(grads_and_vars)
        from . import _gradient_tape
        grads, variables = [g for g, _ in pairs], [v for _, v in pairs]
        if not _gradient_tape.apply(self, grads, variables) and \
                not self._apply_to_free_variables(grads, variables):
            self._refuse("apply_gradients")
        return self._iterations_variable()   # (Keras's `_iterations`, as its apply_gradients)

    def apply(self, grads, trainable_variables=None):
        """Keras `optimizer.apply(grads, variables)`: as `apply_gradients`, returning None as
        Keras's does (no read of `iterations` from the library at each batch of a train_step)."""
        from . import _gradient_tape
        grads = list(grads)
        if not _gradient_tape.apply(self, grads, trainable_variables) and \
                not self._apply_to_free_variables(grads, trainable_variables):
            self._refuse("apply")

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """Keras's `stateless_apply(optimizer_variables, grads, trainable_variables)`: the
        updated (trainable_variables, optimizer_variables) of one library step from the values
        given (`optimizer_variables` in `optimizer.variables`'s order), for the variables the
        optimizer was built on (`keras.Variable`s, or the trainable weights of the model whose
        fit built it); the optimizer and those variables keep their own values."""
        if not self.built:
            raise ValueError(f"To call `stateless_apply`, {type(self).__name__} must be built (i.e. "
                             f"its variables must have been created). You can build it via "
                             f"`optimizer.build(trainable_variables)`.")
        grads = list(grads)
        from ._dtypes import as_keras_array
        optimizer_values = [as_keras_array(v) for v in optimizer_variables]
        values = [as_keras_array(v) for v in trainable_variables]
        handle = self.__dict__.get("_standalone")
        if handle is None:
            return self._stateless_apply_compiled(optimizer_values, grads, values)
        built_on = self.__dict__["_standalone_variables"]
        own = [value for _, value in handle.variables()]
        self._check_stateless_lengths(optimizer_values, grads, values, len(own), len(built_on))
        kept = [v.numpy() for v in built_on]
        try:
            handle.set_variables(optimizer_values)
            for variable, value in zip(built_on, values):
                variable.assign(np.reshape(value, variable.shape))
            _step(handle, grads, built_on)
            return [v.numpy() for v in built_on], [value for _, value in handle.variables()]
        finally:
            handle.set_variables(own)
            for variable, value in zip(built_on, kept):
                variable.assign(value)

    def _stateless_apply_compiled(self, optimizer_values, grads, values):
        """``stateless_apply`` of an optimizer a model's fit built (arrays given): one step of
        a library optimizer of this one's config, built on stand-ins of the model's trainable
        weights (the optimizer variables' paths as Keras names them), from the values given;
        the model's optimizer and weights are not touched."""
        model = self._model()
        if model is None:
            raise ValueError(f"To call `stateless_apply`, {type(self).__name__} must be built "
                             f"(i.e. its variables must have been created): the model it was "
                             f"compiled into is gone.")
        weights = list(model.trainable_weights)
        if any(getattr(w, "overwrite_with_gradient", False) for w in weights):
            raise NotImplementedError(
                "optimizer.stateless_apply of a model with float8 layers (weights overwritten "
                "with their gradients): apply it to the model's weights through fit")
        handle, stand_ins, layout = self._built_on_stand_ins(model, weights)
        self._check_stateless_lengths(optimizer_values, grads, values, len(layout), len(weights))
        handle.set_variables([np.reshape(np.asarray(given, dtype), shape)
                              for given, (_, shape, dtype) in zip(optimizer_values, layout)],
                             layout)
        for stand_in, value in zip(stand_ins, values):
            stand_in.assign(np.reshape(np.asarray(value, "float32"), stand_in.shape))
        _step(handle, grads, stand_ins)
        return [v.numpy() for v in stand_ins], \
            [np.reshape(value, given.shape) for (_, value), given in
             zip(handle.variables(), optimizer_values)]

    def _built_on_stand_ins(self, model, weights):
        """A library optimizer of this one's config built on stand-ins (`keras.Variable`s of
        no model) of `model`'s trainable `weights`, which carry the weights' paths: (handle,
        stand-ins, its variables' (path, shape, dtype)). Made once and kept while the model,
        its trainable weights (paths and shapes) and this optimizer's config stay the same:
        each ``stateless_apply`` sets every optimizer variable and stand-in from the values it
        is given, so nothing of one call carries into the next."""
        import weakref

        from ._native import dumps
        from ._objects import serialize
        from ._standalone import OptimizerHandle
        key = (getattr(model._handle, "value", model._handle),
               tuple((w.path, tuple(w.shape)) for w in weights), dumps(serialize(self)))
        kept = self.__dict__.get("_stateless")
        if kept is not None and kept[0]() is model and kept[1] == key:
            return kept[2:]
        handle, stand_ins = OptimizerHandle(self), []
        for weight in weights:
            stand_in = _FreeVariable(np.zeros(weight.shape, "float32"),
                                     name=weight.path.split("/")[-1])
            stand_in.path = weight.path
            stand_ins.append(stand_in)
        handle.apply(None, stand_ins)
        layout = handle.layout()
        self.__dict__["_stateless"] = (weakref.ref(model), key, handle, stand_ins, layout)
        return handle, stand_ins, layout

    def _check_stateless_lengths(self, optimizer_variables, grads, trainable_variables,
                                 n_own, n_built_on):
        """Keras's checks of `stateless_apply`'s arguments against the optimizer's `n_own`
        variables and the `n_built_on` variables it was built on."""
        if len(optimizer_variables) != n_own:
            raise ValueError(f"Argument `optimizer_variables` must be a list of tensors "
                             f"corresponding 1:1 to {type(self).__name__}().variables. Received "
                             f"list with length {len(optimizer_variables)}, but expected "
                             f"{n_own} variables.")
        if len(trainable_variables) != n_built_on:
            raise ValueError(f"Argument `optimizer_variables` must be a list of tensors "
                             f"corresponding 1:1 to the trainable variables list that the "
                             f"optimizer was built with. Received len(trainable_variables) == "
                             f"{len(trainable_variables)} whereas the optimizer was built with "
                             f"{n_built_on} variables.")
        if len(grads) != n_built_on:
            raise ValueError(f"Argument `grads` and `trainable_variables` must have the same "
                             f"length. Received: len(grads)={len(grads)}, "
                             f"len(trainable_variables)={n_built_on}")

    def _apply_to_free_variables(self, grads, variables):
        """Keras's eager update of `keras.Variable`s that belong to no model (each gradient a
        numpy array or anything numpy reads): the library's step (learning rate or schedule,
        clipping, weight decay, the update, the step count) on their values; False for other
        variables (a model's weights train in the library, through fit or a GradientTape)."""
        if variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first.")
            variables = self.__dict__["_standalone_variables"]
        variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"Argument `grads` and `trainable_variables` must have the same "
                             f"length. Received: len(grads)={len(grads)}, "
                             f"len(trainable_variables)={len(variables)}")
        if not variables or not all(isinstance(v, _FreeVariable) for v in variables):
            return False
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]   # Keras skips these
        if kept:
            self._standalone_handle(variables).apply([g for g, _ in kept], [v for _, v in kept])
        return True

    def _standalone_handle(self, variables=None):
        """The library's optimizer for variables of no model, made at the first use (with this
        optimizer's config then); `variables` are recorded as the ones built on."""
        handle = self.__dict__.get("_standalone")
        if handle is None:
            from ._standalone import OptimizerHandle
            handle = self.__dict__["_standalone"] = OptimizerHandle(self)
            self.__dict__["_standalone_variables"] = []
            exclusions = self.__dict__.get("_weight_decay_exclusions")
            if exclusions is not None:
                handle.exclude(*exclusions)
        if variables is not None:
            known = self.__dict__["_standalone_variables"]
            known.extend(v for v in variables if not any(v is k for k in known))
        return handle

    def build(self, variables):
        """Keras's `optimizer.build(variables)`: makes the optimizer's variables (slots) for
        `keras.Variable`s of no model now, rather than at the first step."""
        variables = list(variables)
        if not all(isinstance(v, _FreeVariable) for v in variables):
            raise NotImplementedError("optimizer.build: a model's weights are built on by the "
                                      "model's fit (compile the model with this optimizer)")
        self._standalone_handle(variables).apply(None, variables)

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Keras's `exclude_from_weight_decay(var_list=None, var_names=None)`: these variables,
        and those whose name contains one of `var_names`, are not decayed; before the first step
        only (`keras.Variable`s of no model)."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        variables = list(var_list or [])
        if not all(isinstance(v, _FreeVariable) for v in variables):
            raise NotImplementedError("optimizer.exclude_from_weight_decay(var_list) of a model's "
                                      "weights: give their names as `var_names`")
        self.__dict__["_weight_decay_exclusions"] = (variables, list(var_names or []))
        handle = self.__dict__.get("_standalone")
        if handle is not None:
            handle.exclude(variables, list(var_names or []))

    def scale_loss(self, loss):
        """Keras's `scale_loss(loss)`: the loss times `loss_scale_factor` when it is set."""
        factor = self._config.get("loss_scale_factor")
        return loss if factor is None else loss * factor

    def assign(self, variable, value):
        """Keras's `optimizer.assign(variable, value)`: `variable.assign(value)`."""
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    def set_weights(self, weights):
        """Keras's `optimizer.set_weights(weights)`: every optimizer variable (`variables`'s
        order) from `weights`, once built on `keras.Variable`s of no model."""
        if not self.built or self.__dict__.get("_standalone") is None:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet "
                             "been built. Please call `optimizer.build(trainable_variables)` to "
                             "create the optimizer weights before calling `set_weights()`.")
        self.__dict__["_standalone"].set_variables([np.asarray(w) for w in weights])

    def save_own_variables(self, store):
        """Keras's: `store[str(i)]` = each optimizer variable's value."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Keras's: the optimizer variables from `store` (as save_own_variables wrote them); a
        store of another number of variables is skipped with Keras's warning."""
        import warnings
        variables = self.variables
        if len(store.keys()) != len(variables):
            msg = (f"Skipping variable loading for optimizer '{self.name}', because it has "
                   f"{len(variables)} variables whereas the saved optimizer has "
                   f"{len(store.keys())} variables. ")
            if len(variables) == 0:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        self.set_weights([np.asarray(store[str(i)]) for i in range(len(variables))])

    def finalize_variable_values(self, var_list):
        """Keras's: with `use_ema`, each variable takes its moving average (its value after
        training as Keras leaves it)."""
        if not self._config.get("use_ema") or self.__dict__.get("_standalone") is None:
            return
        averages = {path: value for path, value in self.__dict__["_standalone"].variables()}
        for variable in var_list:
            path = f"{self.name}/{variable.path.replace('/', '_')}_average"
            if path in averages:
                variable.assign(averages[path].reshape(variable.shape))

    @property
    def variables(self):
        """Keras's `optimizer.variables`: `iteration`, `learning_rate` (unless a schedule
        gives it), then the slots of each variable it was built on (`adam/w_momentum`, ...), as
        Keras lists them: the same objects at each access (`iterations` and `learning_rate` among
        them), each reading the library's value when used; `assign` sets it there."""
        kinds = {f"{self.name}/iteration": _Iterations, f"{self.name}/learning_rate": _LearningRate}
        # (a slot by its place too: Adafactor's placeholders share paths, as Keras's)
        return [self._variable_object(path, kinds.get(path), value, i)
                for i, (path, value) in enumerate(self._variable_values())]

    def _variable_values(self):
        """(path, value) of each of `variables`, the values now: the model's optimizer once
        built for it, else the optimizer's own of variables of no model, else Keras's unbuilt
        optimizer's (iteration, learning_rate), from an optimizer made for it alone."""
        model = self._model()
        if model is not None and self.built:
            return self._compiled_variables(model)
        handle = self.__dict__.get("_standalone")
        if handle is None:
            from ._standalone import OptimizerHandle
            return OptimizerHandle(self).variables()
        return handle.variables()

    def _assign_variable(self, position, path, value):
        """Sets the slot variable `path` at `position` of `variables` (_OptimizerVariable.assign):
        every variable written again, this one changed, in the model the optimizer is compiled
        into or the optimizer's own of variables of no model."""
        from . import _lib
        from ._native import check
        from ._standalone import values_json
        pairs = self._variable_values()
        values = [value if i == position else v for i, (_, v) in enumerate(pairs)]
        model, handle = self._model(), self.__dict__.get("_standalone")
        if model is not None and self.built:
            check(_lib.keras_model_set_optimizer_variables(model._handle, values_json(
                [(p, v.shape, str(v.dtype)) for p, v in pairs], values)))
        elif handle is not None:
            handle.set_variables(values)
        else:
            raise ValueError(f"optimizer variable {path}: the optimizer is not built yet (its "
                             f"variables live in the library's model once it trains)")

    def _compiled_variables(self, model):
        """(path, value) pairs of the optimizer compiled into `model`, in Keras's order, as the
        library lists them (keras_model_optimizer_variables): a layout, and the values copied
        into one float32 buffer, of the size the last call needed."""
        from . import _lib
        from ._native import take_layout_and_values
        from ._standalone import entry_value
        adafactor = getattr(self, "class_name", None) == "Adafactor"
        layout, values = take_layout_and_values(_lib.keras_model_optimizer_variables, model._handle,
                                                np.float32, self.__dict__.get("_variables_size", 0))
        self.__dict__["_variables_size"] = values.size
        return [(entry["path"], entry_value(entry, adafactor, values)) for entry in layout]

    def __getstate__(self):
        # (a copy or a pickle starts without the library's state of variables of no model)
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_standalone", "_standalone_variables", "_stateless", "_variable_objects")}

    def _refuse(self, method):
        from ._custom_steps import GRADIENTS_ROUTE
        raise NotImplementedError(GRADIENTS_ROUTE.format(
            what=f"optimizer.{method}(...) was given gradients from Python (a train_step override "
                 f"computing them with a backend)"))


def _library_optimizers():
    """The library's built-in optimizer classes with their first argument (the positional one:
    `learning_rate`, or LossScaleOptimizer's `inner_optimizer`), from its catalogue."""
    from ._catalog import builtin_objects
    out = {}
    for name, entry in builtin_objects("optimizers").items():
        args = entry.get("args") or [{"name": "learning_rate"}]
        out[name] = args[0]["name"]
    return out


_FIRST_ARGUMENTS = _library_optimizers()
_NAMES = list(_FIRST_ARGUMENTS)
for _n, _first in _FIRST_ARGUMENTS.items():
    if _n != "LossScaleOptimizer":   # its own class below
        globals()[_n] = make_class(Optimizer, _n, (_first,), module=__name__)

class LossScaleOptimizer(Optimizer):
    """Keras `LossScaleOptimizer(inner_optimizer, initial_scale=2.0**15,
    dynamic_growth_steps=2000, name=None)` (also `keras.mixed_precision.LossScaleOptimizer`):
    the loss is multiplied by a dynamic scale before the gradients, which are divided by it
    again; a step with non-finite gradients is skipped and halves the scale, and every
    `dynamic_growth_steps` finite steps double it. The library computes in float32, where this
    trains as Keras's under a float32 policy. Its state (Keras's optimizer variables
    `step_counter` and `dynamic_scale`, then the inner optimizer's) is saved with the model."""
    class_name = "LossScaleOptimizer"
    _positional = ("inner_optimizer", "initial_scale", "dynamic_growth_steps", "name")
    _base_defaults = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                      "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                      "ema_overwrite_frequency": None, "loss_scale_factor": None,
                      "gradient_accumulation_steps": None}

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                             "simply set `loss_scale_factor` directly on the `inner_optimizer`.")
        for arg, default in self._base_defaults.items():   # Keras's older configs carry these
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set "
                                 f"`{arg}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: "
                             f"`{'`, `'.join(kwargs.keys())}`.")
        if isinstance(inner_optimizer, (str, dict)):
            inner_optimizer = get(inner_optimizer)
        super().__init__(inner_optimizer, initial_scale=initial_scale,
                         dynamic_growth_steps=dynamic_growth_steps,
                         name=name or unique_name("loss_scale_optimizer"))

    def get_config(self):
        """Keras's: name, the inner optimizer's serialized form, initial_scale,
        dynamic_growth_steps."""
        return {"name": self._config["name"],
                "inner_optimizer": serialize(self._config["inner_optimizer"]),
                "initial_scale": self._config["initial_scale"],
                "dynamic_growth_steps": self._config["dynamic_growth_steps"]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = config.pop("inner_optimizer")
        return cls(deserialize(inner) if isinstance(inner, dict) else inner, **config)


class OptimizerMap(KerasObject):
    """Keras `OptimizerMap(default_optimizer, optimizer_map=None)`: variable paths (exact, or
    regular expressions matching the whole path) to optimizers, for `MultiOptimizer`."""
    kind = "optimizer"
    class_name = "OptimizerMap"
    _positional = ("default_optimizer", "optimizer_map")


_ALIASES = {n.lower(): n for n in _NAMES}
_ALIASES["adam_w"] = "AdamW"


def get(identifier):
    """An optimizer from a name ('adam'), a config dict or an optimizer (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = globals().get(_ALIASES.get(identifier.lower(), identifier))
        if cls is None:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    from ._objects import serialize as _s
    return _s(optimizer)


def deserialize(config):
    cls = globals().get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Could not interpret optimizer config: {config}")
    return cls.from_config(config.get("config", {}))


class LearningRateSchedule(KerasObject):
    """Base of the learning rate schedules (Keras `keras.optimizers.schedules`): one given as an
    optimizer's `learning_rate` goes to the library in its Keras config, and the library
    computes the rate at each step. A subclass written in Python (its `__call__(step)` with
    `keras.ops`, as the Transformer tutorials' warm-up schedule) is traced once into the
    library's op graph of the step and runs natively at each step (_traced_regularizers); it is
    saved as Keras saves a custom object, `get_config()` its config."""
    kind = "schedule"

    def __call__(self, step):
        """Keras's `schedule(step)`: the float32 learning rate at `step`, the library's (the
        rate an optimizer given this schedule steps with at that count)."""
        if _schedule_base(type(self)) is None:
            raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                      f"override `__call__(self, step)`.")
        from ._standalone import schedule_call
        if not self._is_builtin():   # a Python subclass keeping its base's rate
            return schedule_call(_schedule_base(type(self))(**self.get_config()), step)
        return schedule_call(self, step)

    def get_config(self):
        """Keras's: a built-in's arguments; a Python subclass of one, its base's config; of the
        base class, Keras's NotImplementedError (its own get_config is expected)."""
        base = _schedule_base(type(self))
        if base is None:
            raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                      f"override `get_config()` in order to be serializable.")
        if base is not type(self):
            from ._objects import builtin_config
            given = self._given_arguments()
            return builtin_config(self.kind, base.class_name, given) or given
        return super().get_config()

    def __getattr__(self, name):
        # `self.decay_steps` of a Python subclass of ExponentialDecay: given, else Keras's default
        base = _schedule_base(type(self))
        if not name.startswith("_") and base is not None and base is not type(self):
            config = LearningRateSchedule.get_config(self)
            if name in config:
                return config[name]
        return super().__getattr__(name)

    def _custom_entry(self):
        if not _written_in_python(type(self)):
            return None
        from . import _traced_regularizers
        return _traced_regularizers.entry(self, "schedule")


def _written_in_python(cls):
    """Whether the schedule class `cls` is a user's (a subclass written in Python)."""
    return cls.__module__.split(".")[0] != __name__.split(".")[0]


def _schedule_base(cls):
    """The library's built-in schedule class that `cls` is or extends; None for the base class
    and its subclasses written from it alone."""
    for klass in cls.__mro__:
        if klass.__dict__.get("class_name") and not _written_in_python(klass):
            return klass
    return None


def _schedules_module():
    """`keras.optimizers.schedules`: the library's schedule classes (its catalogue's, with their
    arguments positional in Keras's order), importable as a module as in Keras."""
    import sys
    import types
    from ._catalog import builtin_objects
    module = types.ModuleType(__name__ + ".schedules", LearningRateSchedule.__doc__)
    module.LearningRateSchedule = LearningRateSchedule
    names = []
    for name, entry in builtin_objects("schedules").items():
        args = tuple(a["name"] for a in entry.get("args", []))
        setattr(module, name, make_class(LearningRateSchedule, name, args, module=module.__name__))
        names.append(name)
    module.serialize, module.deserialize = module_serialization(
        "optimizers.schedules", lambda name: getattr(module, name))
    module.__all__ = ["LearningRateSchedule"] + names + ["serialize", "deserialize"]
    sys.modules[module.__name__] = module
    return module


schedules = _schedules_module()

__all__ = _NAMES + ["Optimizer", "OptimizerMap", "get", "serialize", "deserialize", "schedules"]


def _step(handle, grads, variables):
    """One step of the library optimizer `handle` on `variables` with `grads`; a None gradient's
    variable is left out, as Keras skips it."""
    stepped = [(g, v) for g, v in zip(grads, variables) if g is not None]
    if stepped:
        handle.apply([g for g, _ in stepped], [v for _, v in stepped])


class _OptimizerVariable(Variable):
    """One of `optimizer.variables`, the same object at each access (Keras's optimizer holds its
    Variables): its value is the library's when read; `assign` (and `assign_add`) sets it there
    (Optimizer._assign_variable)."""

    def __init__(self, optimizer, path, value, position=None):
        self._optimizer, self.path, self.name = optimizer, path, path.split("/")[-1]
        self.shape, self.dtype, self._trainable = tuple(value.shape), str(value.dtype), False
        self._position = position

    def numpy(self):
        pairs = self._optimizer._variable_values()
        if self._position is None or self._position >= len(pairs) or pairs[self._position][0] != self.path:
            raise ValueError(f"The optimizer variable {self.path} no longer exists (the optimizer "
                             f"was built again on other variables)")
        return pairs[self._position][1]

    def assign(self, value):
        self._write(assigned_value(self, value).astype(self.dtype))
        return self

    def _write(self, value):
        self._optimizer._assign_variable(self._position, self.path, value)


class _LearningRate(_OptimizerVariable):
    """`optimizer.learning_rate` of a rate that is a number: a float32 variable reading the
    rate the optimizer has now; `assign` sets it, as `optimizer.learning_rate = value`."""

    def __init__(self, optimizer, path, value=None, position=None):
        super().__init__(optimizer, path, np.float32(0))

    def numpy(self):
        return np.asarray(self._optimizer._rate_now(), np.float32)

    def _write(self, value):
        self._optimizer.learning_rate = float(value)


class _Iterations(_OptimizerVariable):
    """`optimizer.iterations`: an int32 variable (a count past int32 wraps, as Keras's does)
    reading the library's count; `assign` (and `assign_add`) sets it."""

    def __init__(self, optimizer, path, value=None, position=None):
        super().__init__(optimizer, path, np.int32(0))

    def numpy(self):
        return np.array(self._optimizer._iteration_count(), np.int64).astype(np.int32)

    def _write(self, value):
        import ctypes

        from . import _lib
        from ._native import check
        model = self._optimizer._model()
        if model is None and self._optimizer.__dict__.get("_standalone") is not None:
            self._optimizer._standalone_handle().set_iterations(int(value))
            return
        if model is None:
            raise ValueError("optimizer.iterations.assign: the optimizer is not compiled into a "
                             "built model yet (its count lives in the library's model); compile "
                             "the model and build it (call it on data) first")
        check(_lib.keras_model_set_optimizer_iterations(model._handle, ctypes.c_int64(int(value))))
