"""keras.io examples as the test (a tenth set): each example's model code as the tutorial
writes it (Keras 3 versions, `keras.ops` where an older version wrote `tf.*`; only the import
differs), on small synthetic data of the example's shapes and dtypes, run on swiftkeras and on
real Keras 3 (JAX backend): the same summary and parameter count, the same predictions and fit
from the same weights, and `.keras` files loaded both ways.

Sources (keras-team/keras-io):
examples/timeseries/timeseries_weather_forecasting.py
(https://keras.io/examples/timeseries/timeseries_weather_forecasting/: windows of a normalized
multivariate series made by `keras.preprocessing.timeseries_dataset_from_array` with a
sampling rate and targets shifted by the forecast horizon, LSTM(32) and Dense(1), EarlyStopping
and a save_best_only weights checkpoint on val_loss; Keras's own function returns a
tf.data.Dataset, and TensorFlow is not installed beside the reference Keras, so its windows are
checked against the same windows cut by numpy, which then feed Keras),
examples/timeseries/timeseries_classification_from_scratch.py
(https://keras.io/examples/timeseries/timeseries_classification_from_scratch/: the fully
convolutional network, Conv1D, BatchNormalization and ReLU three times, GlobalAveragePooling1D,
a softmax Dense, `validation_split`, ModelCheckpoint of the best `.keras` model,
ReduceLROnPlateau and EarlyStopping, the best model loaded back),
examples/keras_recipes/antirectifier.py
(https://keras.io/examples/keras_recipes/antirectifier/: a layer whose call centres its input,
concatenates relu of both signs and multiplies by its kernel, its initializer serialized in its
config; RMSprop, SparseCategoricalCrossentropy(from_logits=True), validation_split),
examples/nlp/bidirectional_lstm_imdb.py
(https://keras.io/examples/nlp/bidirectional_lstm_imdb/: Input(shape=(None,), dtype="int32"),
Embedding, two Bidirectional LSTMs, a sigmoid Dense; padded integer reviews),
examples/keras_recipes/endpoint_layer_pattern.py
(https://keras.io/examples/keras_recipes/endpoint_layer_pattern/: a layer taking the targets and
sample weights as inputs that adds its loss with `add_loss`, a model compiled with no loss fit
on a dict of inputs, the inference model without targets given the trained weights, and the
subclassed LogReg that calls the endpoint with dict inputs),
examples/vision/captcha_ocr.py
(https://keras.io/examples/vision/captcha_ocr/: the CNN-RNN OCR model, two named inputs (the
image and a float label of unknown length), Conv2D/MaxPooling2D, Reshape to time steps,
Bidirectional LSTMs, the CTCLayer endpoint adding the CTC loss with `add_loss`, compile with no
loss, the prediction model cut from `model.input[0]` to `get_layer("dense2").output`, and
greedy `ops.ctc_decode`; the example's `ctc_batch_cost` builds a tf.SparseTensor for
`tf.compat.v1.nn.ctc_loss`, TensorFlow only: its Keras 3 equivalent `ops.ctc_loss` is used).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import numpy as np

from conftest import needs, CORE
from test_keras_io_examples_3 import _both, _close, _fits_alike, _loads_both_ways, _same_weights
from test_keras_io_examples_8 import _same_summary
from test_keras_io_guides_3 import narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


def test_dataset_take_keeps_the_first_elements():
    """`dataset.take(count)` (the examples' `for batch in dataset.take(1)`) is tf.data's: the
    first `count` batches, all of them for -1 or a count past the end; a count that is not an
    integer >= -1 is refused naming it."""
    import swiftkeras
    import pytest
    x = np.arange(40, dtype="float32").reshape(20, 2)
    dataset = swiftkeras.utils.timeseries_dataset_from_array(x, np.arange(20), sequence_length=3,
                                                            batch_size=4)
    batches = list(dataset)
    assert len(batches) == 5
    taken = list(dataset.take(2))
    assert len(taken) == 2
    for (a, b), (c, d) in zip(taken, batches):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert len(list(dataset.take(-1))) == len(list(dataset.take(9))) == 5
    assert list(dataset.take(0)) == []
    assert len(list(dataset.unbatch().take(3))) == 3
    for bad in (-2, 1.5, "1", True):
        with pytest.raises(ValueError, match="take: count must be an integer >= -1"):
            dataset.take(bad)

