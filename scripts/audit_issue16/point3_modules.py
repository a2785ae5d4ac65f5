"""Issue 16, point 3: the modules and utilities the issue lists exist and behave as Keras's
(each is compared with real Keras in bindings/python/tests; this checks they are all there and
run, and that fit takes PyDataset / Sequence / generators)."""
import os
import tempfile
import numpy as np
from _common import check, done
import swiftkeras as keras

NAMES = ["saving.register_keras_serializable", "saving.custom_object_scope", "saving.get_custom_objects",
         "saving.serialize_keras_object", "saving.deserialize_keras_object", "saving.load_model", "saving.save_model",
         "random.normal", "random.uniform", "random.SeedGenerator", "preprocessing.sequence.pad_sequences",
         "preprocessing.timeseries_dataset_from_array", "preprocessing.text_dataset_from_directory",
         "preprocessing.image_dataset_from_directory", "preprocessing.image.load_img", "preprocessing.image.img_to_array",
         "utils.PyDataset", "utils.Sequence", "utils.timeseries_dataset_from_array", "utils.pad_sequences",
         "utils.text_dataset_from_directory", "utils.image_dataset_from_directory", "utils.load_img",
         "utils.img_to_array", "utils.get_file", "utils.plot_model", "utils.model_to_dot", "utils.Progbar",
         "utils.split_dataset", "backend.set_floatx", "backend.floatx", "backend.set_image_data_format",
         "backend.image_data_format", "config.set_floatx", "datasets.mnist.load_data"]


def resolve(name):
    obj = keras
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


absent = []
for n in NAMES:
    try:
        resolve(n)
    except (AttributeError, ImportError):
        absent.append(n)
print(f"    absent: {absent}")
check(f"all {len(NAMES)} listed names exist", lambda: not absent)
x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
y = (x.sum(1) > 0).astype("float32")


def model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    m.compile(optimizer="sgd", loss="binary_crossentropy")
    return m


class Data(keras.utils.PyDataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return x[i * 10:(i + 1) * 10], y[i * 10:(i + 1) * 10]


def gen():
    while True:
        for i in range(4):
            yield x[i * 10:(i + 1) * 10], y[i * 10:(i + 1) * 10]


check("fit(PyDataset)", lambda: len(model().fit(Data(), epochs=2, verbose=0).history["loss"]) == 2)
check("fit(generator, steps_per_epoch)", lambda: len(model().fit(gen(), steps_per_epoch=4, epochs=2, verbose=0).history["loss"]) == 2)
check("pad_sequences", lambda: keras.utils.pad_sequences([[1, 2], [3]], maxlen=3).tolist() == [[0, 1, 2], [0, 0, 3]])


def text_dirs():
    with tempfile.TemporaryDirectory() as d:
        for label in ("a", "b"):
            os.makedirs(os.path.join(d, label))
            for i in range(3):
                with open(os.path.join(d, label, f"{i}.txt"), "w") as f:
                    f.write(f"{label} text {i}")
        ds = keras.utils.text_dataset_from_directory(d, batch_size=4, shuffle=False)
        batches = list(ds)
        return sum(len(b[1]) for b in batches) == 6


check("text_dataset_from_directory", text_dirs)


def floatx():
    before = keras.backend.floatx()
    keras.backend.set_floatx("float32")
    return before == "float32" and keras.backend.floatx() == "float32"


check("backend.floatx / set_floatx", floatx)
done()
