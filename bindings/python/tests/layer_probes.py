"""Small Python layers that more than one test file builds, in swiftkeras and in real Keras."""


def probe_layer(lib, seen=None, name="MaskProbe", package="masks"):
    """A layer class of `lib` (swiftkeras or real Keras) named `name`, registered under
    `package`: its call scales the input by a weight ("scale", ones) and zeroes the masked steps
    when it gets a mask, appending to the list `seen` (when given) whether the mask was None."""
    ops = lib.ops

    class MaskProbe(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs, mask=None):
            if seen is not None:
                seen.append(mask is None)
            if mask is None:
                return inputs * self.scale
            return inputs * self.scale * ops.expand_dims(ops.cast(mask, "float32"), -1)

    MaskProbe.__name__ = MaskProbe.__qualname__ = name
    return lib.saving.register_keras_serializable(package=package)(MaskProbe)


def mask_marker(lib, name, package=None):
    """A layer class of `lib` (swiftkeras or real Keras) named `name`, registered under `package`
    when given, whose output tells the mask apart: the input + 10 without a mask, the input
    times the mask with one."""
    ops = lib.ops

    class MaskMarker(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, x, mask=None):
            if mask is None:
                return x + 10.0
            return x * ops.expand_dims(ops.cast(mask, x.dtype), -1)

    MaskMarker.__name__ = MaskMarker.__qualname__ = name
    if package is None:
        return MaskMarker
    return lib.saving.register_keras_serializable(package=package)(MaskMarker)


# A layer counting its calls in an int32 weight (assign_add in its traced call), for
# conftest.exec_layers (swiftkeras or real Keras as `keras`).
COUNTER_SOURCE = """
class Counter(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones", name="w")
        self.count = self.add_weight(shape=(), dtype="int32", trainable=False,
                                     initializer="zeros", name="count")

    def call(self, x):
        self.count.assign_add(1)
        return keras.ops.matmul(x, self.w)
"""
