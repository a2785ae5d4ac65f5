"""Knowledge distillation (Keras 3 `keras.distillation`): `Distiller(teacher, student,
distillation_losses)` trains a student on a weighted sum of its own loss and of losses between
the teacher's and the student's outputs (`LogitsDistillation`: temperature-scaled logits;
`FeatureDistillation`: outputs compared with a loss).

Written as Keras writes it: the Distiller is a Model whose `compute_loss`, with
`swiftkeras.ops`, is traced into the library's graph (the teacher called there, frozen), and its
three trackers (`student_loss`, `distillation_loss`, `total_loss`) are metrics updated inside
that traced step (_traced_metrics), so fit and evaluate log them as Keras does.

`FeatureDistillation(teacher_layer_name=..., student_layer_name=...)` compares the outputs of
inner layers, as Keras's feature extractors (`Model(model.inputs, {"final_output": ...,
name: layer.output})`) give them. As in Keras, the Distiller's `call` runs the student (y_pred),
and the traced compute_loss calls the student's extractor, over the student's own layers, in
training mode (in fit and evaluate alike): the student runs twice per step, so its
BatchNormalization statistics move twice per training step and once per evaluation step, as
Keras's do, and the gradients flow through both passes. The teacher's extractor is called frozen
inside the traced step, as the teacher is. predict runs no compute_loss in Keras: the state the
traced step's training-mode calls move there is put back (models' `_predict`).
"""

from __future__ import annotations

from . import losses as _losses
from . import ops, tree
from .models import Model, Sequential


def _symbolic_inputs(model):
    """The model's symbolic inputs, None for a subclassed model (Keras's test)."""
    try:
        return getattr(model, "inputs", None)
    except (AttributeError, ValueError):
        return None


def _feature_extractor(model, layer_names):
    """Keras's `_create_feature_extractor`: a model over `model`'s own layers giving its final
    output, then each named layer's output (a list here, in that order); None without names."""
    if not layer_names:
        return None
    if _symbolic_inputs(model) is None:
        raise ValueError(f"Cannot create feature extractor for {model.name}. The model has no "
                         f"symbolic inputs attribute.")
    final = model.layers[-1].output if isinstance(model, Sequential) else model.output
    outputs = [final] + [model.get_layer(name=name).output for name in layer_names]
    return Model(inputs=model.inputs, outputs=outputs,
                 name=f"{model.name}_multi_feature_extractor")


def _convert_loss_to_function(loss_item):
    """Keras's: a string identifier becomes its loss function; others are kept."""
    if loss_item is None:
        return None
    if isinstance(loss_item, str):
        loss_fn = _losses.get(loss_item)
        if loss_fn is None:
            raise ValueError(f"Unknown loss function: '{loss_item}'.")
        return loss_fn
    return loss_item


def _each_loss(fn, loss):
    """`fn` of each loss of `loss` (one, or a list or tuple of them; None stays None): a dict is
    one serialized loss, not a structure to map over."""
    if isinstance(loss, (list, tuple)):
        return type(loss)(_each_loss(fn, item) for item in loss)
    return None if loss is None else fn(loss)


class DistillationLoss:
    """Keras `keras.distillation.DistillationLoss`: the base of a loss between teacher and
    student outputs; a subclass overrides `compute_loss(teacher_outputs, student_outputs)`."""

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        pass

    @classmethod
    def from_config(cls, config):
        """The loss from `get_config()`'s dict, its `loss` entries deserialized."""
        config = dict(config)
        if "loss" in config:
            config["loss"] = _each_loss(_losses.deserialize, config["loss"])
        return cls(**config)


class FeatureDistillation(DistillationLoss):
    """Keras `FeatureDistillation(loss="mse", teacher_layer_name=None, student_layer_name=None)`:
    the mean of `loss(teacher_features, student_features)` per output, summed."""

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = tree.map_structure(_convert_loss_to_function, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError("The `loss` argument in `FeatureDistillation` must contain at least "
                             "one non-`None` value.")

    def validate_model_compatibility(self, teacher, student):
        """Keras's: named layers need Functional or Sequential models that have them."""
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [what for what, model in (("teacher", teacher), ("student", student))
                          if _symbolic_inputs(model) is None]
            if subclassed:
                raise ValueError(
                    f"FeatureDistillation with specific layer names requires Functional or "
                    f"Sequential models. The {' and '.join(subclassed)} model(s) appear to be "
                    f"subclassed (no symbolic inputs/outputs). Either use Functional/Sequential "
                    f"models, or use FeatureDistillation without layer names (to distill final "
                    f"outputs only), or use LogitsDistillation instead.")
        for what, model, name in (("teacher", teacher, self.teacher_layer_name),
                                  ("student", student, self.student_layer_name)):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as e:
                    raise ValueError(f"In {what} model: {e}") from e

    def validate_outputs(self, teacher_outputs, student_outputs):
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as e:
            raise ValueError(f"Loss structure mismatch. Loss structure: {self.loss!r}, "
                             f"Output structure: {teacher_outputs!r}. Error: {e}") from e

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        def apply_loss(loss_fn, teacher_features, student_features):
            if loss_fn is None:
                return 0.0
            return ops.mean(loss_fn(teacher_features, student_features))

        flat = tree.flatten(tree.map_structure(apply_loss, self.loss, teacher_outputs,
                                               student_outputs))
        return ops.sum(ops.stack(flat))

    def get_config(self):
        return {"loss": _each_loss(_losses.serialize, self.loss),
                "teacher_layer_name": self.teacher_layer_name,
                "student_layer_name": self.student_layer_name}


class LogitsDistillation(DistillationLoss):
    """Keras `LogitsDistillation(temperature=3.0, loss="kl_divergence")`: both outputs divided
    by the temperature, then `mean(loss(teacher, student))`; a `KLDivergence` instance compares
    their softmaxes and is scaled by temperature², while the default `"kl_divergence"` (a
    function) is applied to the scaled logits themselves, as in Keras."""

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = tree.map_structure(_convert_loss_to_function, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError("At least one loss must be non-`None`.")
        if not isinstance(self.temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(self.temperature)}")
        if self.temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        teacher_scaled = tree.map_structure(lambda x: ops.divide(x, self.temperature),
                                            teacher_outputs)
        student_scaled = tree.map_structure(lambda x: ops.divide(x, self.temperature),
                                            student_outputs)

        def apply_loss(loss_fn, teacher_logits, student_logits):
            if loss_fn is None:
                return 0.0
            if isinstance(loss_fn, _losses.Loss) and loss_fn.class_name == "KLDivergence":
                teacher_probs = ops.softmax(teacher_logits, axis=-1)
                student_probs = ops.softmax(student_logits, axis=-1)
                return ops.mean(loss_fn(teacher_probs, student_probs)) * (self.temperature ** 2)
            return ops.mean(loss_fn(teacher_logits, student_logits))

        flat = tree.flatten(tree.map_structure(apply_loss, self.loss, teacher_scaled,
                                               student_scaled))
        return ops.sum(ops.stack(flat))

    def get_config(self):
        return {"temperature": self.temperature,
                "loss": _each_loss(_losses.serialize, self.loss)}


class Distiller(Model):
    """Keras `keras.distillation.Distiller(teacher, student, distillation_losses,
    distillation_loss_weights=None, student_loss_weight=0.5, name="distiller")`: a model that
    calls the student, trained on `student_loss_weight * student_loss + (1 - student_loss_weight)
    * distillation_loss` (the weighted sum of the distillation losses), the teacher frozen.
    `compile(optimizer, loss, metrics)` takes the student's loss; fit and evaluate log `loss`,
    the compiled metrics, `student_loss`, `distillation_loss` and `total_loss`."""

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        self._validate_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if not isinstance(student_loss_weight, (int, float)):
            raise ValueError(f"student_loss_weight must be a number, got "
                             f"{type(student_loss_weight)}")
        if student_loss_weight < 0.0 or student_loss_weight > 1.0:
            raise ValueError(f"student_loss_weight must be between 0.0 and 1.0, got "
                             f"{student_loss_weight}")
        self.student_loss_weight = student_loss_weight
        if distillation_losses is None:
            raise ValueError("'distillation_losses' cannot be `None`. Provide a distillation loss "
                             "(e.g., LogitsDistillation or FeatureDistillation) or a list of "
                             "distillation losses.")
        if not isinstance(distillation_losses, (list, tuple)):
            self.distillation_losses = [distillation_losses]
            self.distillation_loss_weights = [1.0]
        else:
            self.distillation_losses = list(distillation_losses)
            if distillation_loss_weights is None:
                self.distillation_loss_weights = [1.0] * len(distillation_losses)
            else:
                if len(distillation_loss_weights) != len(distillation_losses):
                    raise ValueError(f"Number of distillation_loss_weights "
                                     f"({len(distillation_loss_weights)}) must match number of "
                                     f"distillation_losses ({len(distillation_losses)})")
                self.distillation_loss_weights = list(distillation_loss_weights)
        for distillation_loss in self.distillation_losses:
            distillation_loss.validate_model_compatibility(teacher, student)
        self.teacher.trainable = False
        self._create_multi_feature_extractors()
        from .metrics import Mean
        self.student_loss_tracker = Mean(name="student_loss")
        self.distillation_loss_tracker = Mean(name="distillation_loss")
        self.total_loss_tracker = Mean(name="total_loss")

    def _validate_models(self, teacher, student):
        from ._model_api import ModelAPI
        for what, model in (("Teacher", teacher), ("Student", student)):
            if not isinstance(model, (Model, Sequential, ModelAPI)):
                raise ValueError(f"{what} must be a keras.Model, got {type(model)}")
        for attribute, context in (("inputs", "input"), ("outputs", "output")):
            try:
                a, b = getattr(teacher, attribute, None), getattr(student, attribute, None)
            except (AttributeError, ValueError):
                continue
            if a is None or b is None:
                continue
            tree.map_structure(lambda t, s: self._assert_shapes_are_compatible(
                tuple(t.shape), tuple(s.shape), context), a, b)

    @staticmethod
    def _assert_shapes_are_compatible(shape1, shape2, context):
        if len(shape1) != len(shape2):
            raise ValueError(f"Teacher and student {context} shapes have different dimensions. "
                             f"Teacher: {shape1}, Student: {shape2}.")
        for dim1, dim2 in zip(shape1, shape2):
            if dim1 is not None and dim2 is not None and dim1 != dim2:
                raise ValueError(f"Teacher and student {context} shapes are incompatible. "
                                 f"Teacher: {shape1}, Student: {shape2}. All dimensions must "
                                 f"match.")

    def _create_multi_feature_extractors(self):
        """Keras's: one extractor per model over the layers the distillation losses name."""
        def names(attribute):
            found = []
            for loss in self.distillation_losses:
                name = getattr(loss, attribute, None)
                if name and name not in found:
                    found.append(name)
            return found
        self._teacher_feature_names = names("teacher_layer_name")
        self._student_feature_names = names("student_layer_name")
        self._teacher_feature_extractor = _feature_extractor(self.teacher, self._teacher_feature_names)
        self._student_feature_extractor = _feature_extractor(self.student, self._student_feature_names)

    def _extract_all_teacher_features(self, x):
        if self._teacher_feature_extractor is None:
            return {"final_output": self.teacher(x, training=False)}
        outputs = self._teacher_feature_extractor(x, training=False)
        return dict(zip(["final_output"] + self._teacher_feature_names, outputs))

    def _extract_all_student_features(self, x, y_pred):
        if self._student_feature_extractor is None:
            return {"final_output": y_pred}
        features = list(self._student_feature_extractor(x, training=True))[1:]
        return dict(zip(["final_output"] + self._student_feature_names, [y_pred] + features))

    @staticmethod
    def _get_distillation_loss_features(distillation_loss, all_features, is_teacher):
        name = (distillation_loss.teacher_layer_name if is_teacher else
                distillation_loss.student_layer_name) or "final_output"
        if name not in all_features:
            raise ValueError(f"Layer '{name}' not found in extracted features. "
                             f"Available: {list(all_features.keys())}")
        return all_features[name]

    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """Keras's: `loss` is the student's (required); the model is compiled without a loss,
        the traced `compute_loss` giving it."""
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        self._student_loss = tree.map_structure(_convert_loss_to_function, loss)
        self._student_loss_for_serialization = loss
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs, training=None):
        return self.student(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            loss_values = tree.map_structure(lambda l, o, o_pred: l(o, o_pred),
                                             self._student_loss, y, y_pred)
            flat = tree.flatten(loss_values)
            student_loss = ops.sum(ops.stack(flat)) if len(flat) > 1 else flat[0]
            if hasattr(student_loss, "shape") and len(student_loss.shape) > 0:
                student_loss = ops.mean(student_loss)
        distillation_loss = 0.0
        if self.student_loss_weight < 1.0:
            teacher_features = self._extract_all_teacher_features(x)
            student_features = self._extract_all_student_features(x, y_pred)
            for loss_fn, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                if getattr(loss_fn, "teacher_layer_name", None) is not None:
                    try:
                        teacher_output = self._get_distillation_loss_features(
                            loss_fn, teacher_features, is_teacher=True)
                        student_output = self._get_distillation_loss_features(
                            loss_fn, student_features, is_teacher=False)
                    except ValueError as e:
                        raise RuntimeError(
                            f"Failed to extract features for {type(loss_fn).__name__} targeting "
                            f"teacher layer '{loss_fn.teacher_layer_name}' and student layer "
                            f"'{loss_fn.student_layer_name}'. Original error: {e}") from e
                else:
                    teacher_output, student_output = teacher_features["final_output"], y_pred
                loss_fn.validate_outputs(teacher_output, student_output)
                current = loss_fn.compute_loss(teacher_output, student_output)
                if hasattr(current, "shape") and len(current.shape) > 0:
                    raise ValueError(f"Distillation loss {type(loss_fn).__name__} returned a "
                                     f"non-scalar loss with shape {current.shape}. The "
                                     f"compute_loss method must return a scalar tensor.")
                distillation_loss = ops.add(distillation_loss, ops.multiply(weight, current))
        total_loss = ops.add(ops.multiply(self.student_loss_weight, student_loss),
                             ops.multiply(ops.subtract(1.0, self.student_loss_weight),
                                          distillation_loss))
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total_loss)
        return total_loss

    def reset_metrics(self):
        super().reset_metrics()
        self.student_loss_tracker.reset_state()
        self.distillation_loss_tracker.reset_state()
        self.total_loss_tracker.reset_state()
