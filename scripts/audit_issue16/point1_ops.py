"""Issue 16, point 1: keras.ops eagerly on numpy and symbolically; a Python Layer.call and a
subclassed Model.call written with ops are traced once (no Python call per training step); the
C ABI has graph-building entry points."""
import re
import numpy as np
from _common import ROOT, check, done
import swiftkeras as keras
from swiftkeras import ops

x = np.arange(12, dtype="float32").reshape(3, 4) / 10
check("ops eager numpy-like", lambda: np.allclose(np.asarray(ops.matmul(x, x.T)), x @ x.T)
      and np.allclose(np.asarray(ops.mean(ops.square(x), axis=0)), (x ** 2).mean(0)))
check("ops.nn", lambda: np.allclose(np.asarray(ops.nn.relu(x - 0.5)), np.maximum(x - 0.5, 0))
      and np.allclose(np.asarray(ops.nn.softmax(x)).sum(-1), 1, atol=1e-6))
check("ops.linalg basics", lambda: np.allclose(np.asarray(ops.linalg.inv(np.eye(3, dtype="float32") * 2)), np.eye(3) / 2))
check("ops.where / cond / scan", lambda: np.allclose(np.asarray(ops.where(x > 0.5, x, 0.0)), np.where(x > 0.5, x, 0))
      and float(np.asarray(ops.cond(True, lambda: ops.ones(()), lambda: ops.zeros(())))) == 1.0
      and np.allclose(np.asarray(ops.scan(lambda c, v: (c + v, c + v), np.float32(0), np.arange(4, dtype="float32"))[1]),
                      [0, 1, 3, 6]))

calls = {"layer": 0, "model": 0}


class OpsDense(keras.layers.Layer):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.units = units

    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1], self.units), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, z):
        calls["layer"] += 1
        return ops.relu(ops.add(ops.matmul(z, self.w), self.b))


class Sub(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.d1 = OpsDense(8)
        self.d2 = keras.layers.Dense(1)

    def call(self, z):
        calls["model"] += 1
        return self.d2(self.d1(z) + ops.mean(z, axis=-1, keepdims=True))


rng = np.random.default_rng(0)
xs, ys = rng.normal(size=(256, 4)).astype("float32"), rng.normal(size=(256, 1)).astype("float32")


def traced_once():
    m = Sub()
    m.compile(optimizer="adam", loss="mse")
    m.fit(xs, ys, batch_size=16, epochs=3, verbose=0)   # 48 steps
    before = dict(calls)
    h = m.fit(xs, ys, batch_size=16, epochs=3, verbose=0)
    m.predict(xs, verbose=0)
    print(f"    calls after the first fit: {before}; after 48 more steps + predict: {calls}")
    return calls == before and before["model"] <= 3 and np.isfinite(h.history["loss"][-1])


check("subclassed Model + ops layer traced once (no Python call per step)", traced_once)


class CtcScatter(keras.layers.Layer):
    """ctc_loss over 4 time steps of 3 classes and a scatter_update with reduction max, traced."""

    def call(self, z):
        logits = ops.reshape(ops.tile(z, (1, 3)), (-1, 4, 3))
        labels = ops.ones_like(z[:, :2])
        loss = ops.nn.ctc_loss(labels, logits, labels[:, 0] * 2, labels[:, 0] * 4)
        table = ops.scatter_update(ops.transpose(z), np.array([[1], [1]]), ops.transpose(z[:, :2]) * 2.0,
                                   reduction="max")
        return ops.expand_dims(loss, -1) + ops.transpose(table)


def ctc_and_scatter_traced():
    from swiftkeras import _python_layers
    layer = CtcScatter()
    m = keras.Sequential([keras.Input((4,)), layer, keras.layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    h = m.fit(xs, ys, batch_size=64, epochs=1, verbose=0)
    traced = [i.traced for i in _python_layers._instances.values() if i.layer is layer]
    return traced == [True] and np.isfinite(h.history["loss"][-1])


check("ops.nn.ctc_loss and scatter_update(reduction='max') traced", ctc_and_scatter_traced)
header = (ROOT / "include" / "keras.h").read_text()
graph_calls = sorted(set(re.findall(r"\b(keras_layer_builder_\w+)\s*\(", header)))
print(f"    C graph-building calls in include/: {graph_calls[:12]}{' ...' if len(graph_calls) > 12 else ''}")
check("C ABI graph-building entry points exist", lambda: len(graph_calls) > 0)
done()
