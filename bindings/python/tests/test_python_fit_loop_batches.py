"""fit's loop from Python (a PyDataset whose batches change between epochs, one library training
step per batch): each batch's arrays reach the library through the descriptors of the batch
before, pointed at the new arrays (ArrayPack.holding), so batches of another shape (a short last
batch), read-only, non-contiguous or integer ones must train exactly as the same batches given
as arrays; and the batch hooks, skipped where no callback has them, give Keras's logs (sorted
names, Python floats, running through the epoch: the last batch's are the epoch's) where one
has them."""

import numpy as np

from conftest import CORE, needs

import swiftkeras as sk
from swiftkeras import _native

pytestmark = needs(*CORE, "keras_model_train_batch_values")

RS = np.random.RandomState(3)
X = RS.normal(size=(30, 5)).astype("float32")
Y = RS.randint(0, 3, 30)   # int64 targets: made float32 at each batch


class Batches(sk.utils.PyDataset):
    """Batches of 8, 8, 8 and 6 rows: the second read-only, the third a non-contiguous view."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        x, y = X[i * 8:(i + 1) * 8], Y[i * 8:(i + 1) * 8]
        if i == 1:
            x = x.copy()
            x.flags.writeable = False
        if i == 2:
            x = np.asfortranarray(x)[:, :]
        return x, y

    def on_epoch_end(self):   # (the batches may change: fit's loop from Python)
        pass


def _model():
    sk.utils.set_random_seed(4)
    model = sk.Sequential([sk.Input((5,)), sk.layers.Dense(4, activation="tanh"),
                           sk.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_changing_batches_train_as_the_same_arrays():
    on_dataset, on_arrays = _model(), _model()
    history = on_dataset.fit(Batches(), epochs=3, shuffle=False, verbose=0)
    expected = on_arrays.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-6)
    for got, want in zip(on_dataset.get_weights(), on_arrays.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_batch_hooks_get_kerass_logs():
    seen = []

    class Hooks(sk.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_train_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs))

    history = _model().fit(Batches(), epochs=2, verbose=0, callbacks=[Hooks()])
    assert [s[:2] for s in seen] == [(h, b) for _ in range(2) for b in range(4) for h in ("begin", "end")]
    ends = [s[2] for s in seen if s[0] == "end"]
    assert all(list(logs) == ["accuracy", "loss"] and all(type(v) is float for v in logs.values())
               for logs in ends)
    for epoch in range(2):
        assert ends[4 * epoch + 3] == {k: v[epoch] for k, v in history.history.items()}


def test_a_pack_holding_the_next_batch():
    first = [np.zeros((8, 5), np.float32), np.zeros(8, np.float32)]
    pack = _native.pack(first)
    following = [np.ones((6, 5), np.float32), np.ones(6, np.float32)]
    again = pack.holding(following)
    assert again is pack and again.arrays is following
    for struct, array in zip(again.structs, following):
        assert struct.data == array.__array_interface__["data"][0]
        assert [struct.shape[d] for d in range(struct.ndim)] == list(array.shape)
    assert pack.holding(first[:1]) is not pack            # another number of arrays: a new pack
    assert pack.holding([None, first[1]]).structs[0].data is None   # an absent entry
