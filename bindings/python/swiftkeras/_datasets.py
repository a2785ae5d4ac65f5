"""Batched data for fit/evaluate/predict (Keras `keras.utils.PyDataset` / `Sequence`, Python
generators, and the numpy-backed datasets that `timeseries_dataset_from_array`,
`image_dataset_from_directory` and `text_dataset_from_directory` return).

The library trains on arrays, so the batches of an epoch are gathered (in order; with
`workers` > 1 several at once, as Keras's PyDataset fetches them) and handed to it as one
array with the dataset's batch size and no shuffling: the library then steps through exactly
the dataset's batches. A dataset that changes between epochs (`on_epoch_end` overridden) or a
generator is gathered again for each epoch.
"""

from __future__ import annotations

import inspect
import random

import numpy as np


class PyDataset:
    """Base for datasets that return batch `i` from `__getitem__(i)`; `__len__` is the number of
    batches. Keras: `keras.utils.PyDataset(workers=1, use_multiprocessing=False,
    max_queue_size=10)`."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return self.__dict__.get("_workers", 1)

    @property
    def use_multiprocessing(self):
        return self.__dict__.get("_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        return self.__dict__.get("_max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}.__getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__}.__len__")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


Sequence = PyDataset


class NumpyDataset:
    """A finite list of batches held as numpy arrays (what the dataset utilities return in
    place of a `tf.data.Dataset`): iterate it for `(x, y)` batches, or pass it to fit."""

    def __init__(self, batches, class_names=None, file_paths=None, batched=True):
        self._batches = list(batches)
        self._batched = batched
        if class_names is not None:
            self.class_names = class_names
        if file_paths is not None:
            self.file_paths = file_paths

    def __len__(self):
        return len(self._batches)

    def __getitem__(self, index):
        return self._batches[index]

    def __iter__(self):
        return iter(self._batches)

    def take(self, count):
        """The dataset of the first `count` elements, all of them when `count` is -1 (Keras's
        examples' `dataset.take(1)` on a `tf.data.Dataset`)."""
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < -1:
            raise ValueError(f"take: count must be an integer >= -1 (-1: all elements), got {count!r}")
        kept = self._batches if count == -1 else self._batches[:count]
        return NumpyDataset(kept, batched=self._batched)

    def unbatch(self):
        """The dataset of single samples (Keras: `dataset.unbatch()`)."""
        if not self._batched:
            return self
        samples = []
        for batch in self._batches:
            parts = batch if isinstance(batch, tuple) else (batch,)
            for i in range(len(parts[0])):
                samples.append(tuple(p[i] for p in parts) if isinstance(batch, tuple) else batch[i])
        return NumpyDataset(samples, batched=False)

    def batch(self, batch_size, drop_remainder=False):
        """Batches of `batch_size` samples (Keras: `dataset.batch(n)`)."""
        items = list(self.unbatch())
        if drop_remainder:
            items = items[:len(items) - len(items) % batch_size]
        batches = []
        for i in range(0, len(items), batch_size):
            group = items[i:i + batch_size]
            batches.append(tuple(np.stack(c) for c in zip(*group)) if isinstance(group[0], tuple)
                           else np.stack(group))
        return NumpyDataset(batches)


def is_dataset(x) -> bool:
    if isinstance(x, np.ndarray):   # what most fits pass: no Python-level generator check
        return False
    return isinstance(x, (PyDataset, NumpyDataset)) or inspect.isgenerator(x) or \
        (hasattr(x, "__next__") and not isinstance(x, np.ndarray))


def _take(data, steps, shuffle=False):
    """The batches of one epoch, in order; a PyDataset's shuffled with Python's `random` when
    `shuffle`, as Keras's adapter shuffles them (the same order under one set_random_seed)."""
    if isinstance(data, PyDataset):
        order = list(range(len(data)))
        if shuffle:
            random.shuffle(order)
        order = order if steps is None else order[:steps]
        if data.workers > 1:
            import concurrent.futures  # here: it loads threading and logging
            with concurrent.futures.ThreadPoolExecutor(data.workers) as pool:
                return list(pool.map(data.__getitem__, order))
        return [data[i] for i in order]
    if isinstance(data, NumpyDataset):
        if not data._batched:
            raise ValueError("The dataset holds single samples: batch it first (dataset.batch(32))")
        return list(data)[:steps]
    batches = []
    for batch in data:
        batches.append(batch)
        if steps is not None and len(batches) >= steps:
            break
    if not batches:
        raise ValueError("The dataset or generator gave no batch (it is exhausted)")
    return batches


def _concat(parts):
    """The batches' values joined: arrays, and dicts and lists of them by key and position;
    a None entry (the target of an output without a loss) stays None, as with arrays."""
    first = parts[0]
    if first is None:
        return None
    if isinstance(first, dict):
        return {k: _concat([p[k] for p in parts]) for k in first}
    if isinstance(first, (list, tuple)) and not isinstance(first, np.ndarray) and first and \
            all(e is None or hasattr(e, "shape") for e in first) and \
            any(hasattr(e, "shape") for e in first):
        return [_concat([p[i] for p in parts]) for i in range(len(first))]
    return np.concatenate([np.asarray(p) for p in parts])


def _gather(batches):
    """(x, y, sample_weight, batch_size) of a list of batches: `x`, `(x,)`, `(x, y)` or
    `(x, y, sample_weight)`."""
    tuples = [b if isinstance(b, tuple) else (b,) for b in batches]
    width = len(tuples[0])
    if any(len(t) != width for t in tuples) or width > 3:
        raise ValueError("Every batch must be x, (x, y) or (x, y, sample_weight) alike")
    columns = [_concat([t[i] for t in tuples]) for i in range(width)] + [None] * (3 - width)
    x0 = tuples[0][0]
    first = next(iter(x0.values())) if isinstance(x0, dict) else \
        x0[0] if isinstance(x0, (list, tuple)) else x0
    return columns[0], columns[1], columns[2], len(first)


def _changes_per_epoch(data):
    if isinstance(data, NumpyDataset):   # fixed batches (it has no on_epoch_end)
        return False
    return not isinstance(data, PyDataset) or type(data).on_epoch_end is not PyDataset.on_epoch_end \
        or type(data).on_epoch_begin is not PyDataset.on_epoch_begin


def shuffles_batches(data, shuffle):
    """Whether fit takes `data`'s batches in a new order each epoch: a PyDataset's, when
    `shuffle` (ignored for the others, as in Keras). Keras's adapter then draws one order
    first, to peek at a batch for its specs: drawn here too."""
    shuffle = bool(shuffle) and isinstance(data, PyDataset)
    if shuffle:
        random.shuffle(list(range(len(data))))
    return shuffle


def fit(model, data, epochs, steps_per_epoch, validation_data, callbacks, shuffle=False, **options):
    """`model.fit(dataset)`: one library fit over all epochs for a fixed dataset; for a dataset
    whose batches change between epochs (a generator, a PyDataset with its own `on_epoch_end` or
    whose batches Keras shuffles), Keras's loop from Python, one library training step per
    batch, so that the callbacks see one fit (EarlyStopping, ReduceLROnPlateau, on_train_begin
    once)."""
    if isinstance(validation_data, (PyDataset, NumpyDataset)) or \
            inspect.isgenerator(validation_data):
        vx, vy, vw, _ = _gather(_take(validation_data, options.pop("validation_steps", None)))
        validation_data = (vx, vy) if vw is None else (vx, vy, vw)
    options.pop("validation_steps", None)
    if (bool(shuffle) and isinstance(data, PyDataset)) or _changes_per_epoch(data):
        from ._custom_steps import fit_by_steps
        return fit_by_steps(model, data, None, batch_size=None, epochs=epochs,
                            verbose=options.get("verbose", "auto"), callbacks=callbacks,
                            validation_split=0.0, validation_data=validation_data, shuffle=shuffle,
                            class_weight=options.get("class_weight"), sample_weight=None,
                            initial_epoch=options.get("initial_epoch", 0),
                            steps_per_epoch=steps_per_epoch, validation_steps=None,
                            validation_batch_size=None, validation_freq=options.get("validation_freq", 1))
    x, y, sw, batch = _gather(_take(data, steps_per_epoch))
    if y is None:
        raise ValueError("fit: the dataset's batches must be (x, y) or (x, y, sample_weight)")
    model.history = model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, sample_weight=sw,
                              validation_data=validation_data, callbacks=callbacks, **options)
    return model.history


def evaluate(model, data, steps, **options):
    x, y, sw, batch = _gather(_take(data, steps))
    return model.evaluate(x, y, batch_size=batch, sample_weight=sw, **options)


def predict(model, data, steps, **options):
    x, _, _, batch = _gather(_take(data, steps))
    return model.predict(x, batch_size=batch, **options)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Windows of `sequence_length` steps (every `sampling_rate`-th step), starting every
    `sequence_stride` steps, with the target at each window's start, batched.
    Keras: `keras.utils.timeseries_dataset_from_array` (its numpy-backed form)."""
    data = np.asarray(data)
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0 or value >= len(data):
            raise ValueError(f"`{name}` must be higher than 0 and lower than the length of the "
                             f"data. Received: {name}={value}, for data of length {len(data)}")
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    if not 0 <= start < len(data) or not start < end <= len(data):
        raise ValueError(f"start_index={start_index} and end_index={end_index} must satisfy "
                         f"0 <= start_index < end_index < {len(data)}")
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    positions = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(positions)
    window = np.arange(0, sequence_length * sampling_rate, sampling_rate)
    part = data[start:end]
    xs = part[positions[:, None] + window[None, :]] if len(positions) else part[:0]
    ys = None if targets is None else np.asarray(targets)[start:][positions]
    size = len(positions) if batch_size is None else batch_size
    batches = []
    for i in range(0, len(positions), max(size, 1)):
        batches.append(xs[i:i + size] if ys is None else (xs[i:i + size], ys[i:i + size]))
    return NumpyDataset(batches)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits arrays (or a tuple of arrays, or a dataset's samples) into two datasets of
    samples. Keras: `keras.utils.split_dataset`; sizes are counts or fractions."""
    if isinstance(dataset, NumpyDataset):
        samples = list(dataset.unbatch())
        arrays = tuple(np.stack(c) for c in zip(*samples)) if isinstance(samples[0], tuple) \
            else np.stack(samples)
    else:
        arrays = dataset
    columns = arrays if isinstance(arrays, (tuple, list)) else (arrays,)
    columns = [np.asarray(c) for c in columns]
    n = len(columns[0])
    if left_size is None and right_size is None:
        raise TypeError("you must specify either `left_size` or `right_size`")

    def count(size):
        if size is None:
            return None
        if isinstance(size, float):
            if not 0 < size < 1:
                raise ValueError(f"a fractional split size must be in (0, 1), got {size}")
            return round(size * n)
        return int(size)

    left, right = count(left_size), count(right_size)
    left = n - right if left is None else left
    right = n - left if right is None else right
    if left + right > n:
        raise ValueError(f"left_size + right_size ({left + right}) exceeds the {n} samples")
    order = np.arange(n)
    if shuffle:
        np.random.RandomState(seed if seed is not None else np.random.randint(1e6)).shuffle(order)

    def part(idx):
        samples = [tuple(c[i] for c in columns) if isinstance(arrays, (tuple, list))
                   else columns[0][i] for i in idx]
        return NumpyDataset(samples, batched=False)

    return part(order[:left]), part(order[left:left + right])
