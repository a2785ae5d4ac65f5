"""Keras's data utilities on numpy: pad_sequences, Progbar, image and text datasets read from
a directory of class subfolders (as `NumpyDataset`s of batches), load_img / img_to_array
(with Pillow)."""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from . import _global_state
from ._datasets import NumpyDataset


def enable_interactive_logging():
    """Progress bars and messages to stdout (the default). Keras:
    `keras.config.enable_interactive_logging`."""
    _global_state.set_global_attribute("interactive_logging", True)


def disable_interactive_logging():
    """Progress bars and messages to Python logging (logger "swiftkeras", level INFO) instead
    of stdout, as Keras sends them to absl's. Keras: `keras.config.disable_interactive_logging`."""
    _global_state.set_global_attribute("interactive_logging", False)


def is_interactive_logging_enabled():
    return _global_state.get_global_attribute("interactive_logging", True)


def print_msg(message, line_break=True):
    """What fit, evaluate, predict, summary and callbacks print: to stdout, or to logging when
    interactive logging is disabled. Keras: `io_utils.print_msg`."""
    message = str(message)
    if is_interactive_logging_enabled():
        sys.stdout.write(f"{message}\n" if line_break else message)
        sys.stdout.flush()
    else:
        import logging
        logging.getLogger("swiftkeras").info(message)

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (or truncates) sequences to one length. Keras: `keras.utils.pad_sequences`."""
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths, sample_shape = [], None
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError as e:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: "
                             f"{s}") from e
        if sample_shape is None and len(s):
            sample_shape = np.asarray(s).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = int(np.max(lengths)) if lengths else 0
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood')
    out = np.full((len(sequences), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position {i} is "
                             f"different from expected shape {tuple(sample_shape)}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, -len(kept):] = kept
    return out


class Progbar:
    """A text progress bar. Keras: `keras.utils.Progbar(target, width=20, verbose=1,
    interval=0.05, stateful_metrics=None, unit_name="step")`."""

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._values: dict[str, list] = {}
        self._seen = 0
        self._start = time.time()
        self._last = 0.0

    def update(self, current, values=None, finalize=None):
        """Moves the bar to `current`; `values` are (name, value) pairs averaged over steps
        unless listed in `stateful_metrics`."""
        finalize = (self.target is not None and current >= self.target) if finalize is None \
            else finalize
        for name, value in values or []:
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            else:
                steps = max(current - self._seen, 1)
                total = self._values.setdefault(name, [0.0, 0])
                total[0] += value * steps
                total[1] += steps
        self._seen = current
        now = time.time()
        if self.verbose == 0 or (not finalize and now - self._last < self.interval):
            return
        self._last = now
        if self.verbose == 2 and not finalize:
            return
        metrics = " - ".join(f"{k}: {v[0] / max(v[1], 1):.4f}" for k, v in self._values.items())
        if self.target is not None:
            done = int(self.width * current / max(self.target, 1))
            bar = f"{current}/{self.target} [" + "=" * max(done - 1, 0) + \
                (">" if done < self.width else "=") * (done > 0) + "." * (self.width - done) + "]"
        else:
            bar = f"{current}"
        text = f"\r{bar} {int(now - self._start)}s" + (f" - {metrics}" if metrics else "")
        print_msg(text, line_break=finalize)

    def add(self, n, values=None):
        self.update(self._seen + n, values)


def _index_directory(directory, labels, formats, class_names, shuffle, seed, follow_links):
    """(file paths, integer labels, class names) as Keras's `index_directory` lists them: class
    subfolders in sorted order, files sorted within each, then shuffled with `seed`."""
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(f"The `class_names` passed did not match the names of the "
                                 f"subdirectories of the target directory. Expected: {subdirs} "
                                 f"(or a subset of it), but received: class_names={class_names}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
    paths, found = [], []
    for index, sub in enumerate(subdirs):
        root = os.path.join(directory, sub)
        for dirpath, _, files in sorted(os.walk(root, followlinks=follow_links),
                                        key=lambda w: w[0]):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(dirpath, name))
                    found.append(index)
    if labels == "inferred":
        names = subdirs
        label_list = found
    elif labels is None:
        names, label_list = None, None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files in "
                             f"the target directory. len(labels) is {len(labels)} while we found "
                             f"{len(paths)} files in directory {directory}.")
        names, label_list = [str(v) for v in sorted(set(labels))], list(labels)
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if label_list is not None:
            np.random.RandomState(seed).shuffle(label_list)
    return paths, label_list, names


def _split(items, labels, validation_split, subset):
    if not validation_split:
        return items, labels
    n = int(validation_split * len(items))
    if subset == "training":
        return items[:-n], None if labels is None else labels[:-n]
    if subset == "validation":
        return items[-n:], None if labels is None else labels[-n:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def _label_array(labels, label_mode, num_classes):
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels]
    return labels.astype("int32")


def _dataset_from_directory(directory, load, formats, labels, label_mode, class_names,
                            batch_size, shuffle, seed, validation_split, subset, follow_links,
                            verbose, stack=np.stack):
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f'`label_mode` argument must be one of "int", "categorical", '
                         f'"binary", or None. Received: label_mode={label_mode}')
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    paths, label_list, names = _index_directory(directory, labels, formats, class_names,
                                                shuffle, seed, follow_links)
    if label_mode == "binary" and len(names or []) != 2:
        raise ValueError(f'When passing `label_mode="binary"`, there must be exactly 2 '
                         f'class_names. Received: class_names={names}')
    if verbose:
        print(f"Found {len(paths)} files" + ("." if names is None else
                                             f" belonging to {len(names)} classes."))
    if subset == "both":
        return tuple(_batched(*_split(paths, label_list, validation_split, part), load, label_mode,
                              names, batch_size, stack) for part in ("training", "validation"))
    return _batched(*_split(paths, label_list, validation_split, subset), load, label_mode, names,
                    batch_size, stack)


def _batched(paths, label_list, load, label_mode, names, batch_size, stack):
    """The dataset of the files `paths` (with their labels): batches of `batch_size` samples
    joined by `stack`, or single samples when `batch_size` is None."""
    samples = [load(p) for p in paths]
    size = batch_size or 1      # unbatched: each sample as it is (not padded to the others)
    batches = []
    for i in range(0, len(samples), size):
        x = stack(samples[i:i + size])
        if label_list is None:
            batches.append(x)
        else:
            batches.append((x, _label_array(label_list[i:i + size], label_mode,
                                            len(names or []))))
    if batch_size is None:
        samples_only = [s for b in batches for s in NumpyDataset([b]).unbatch()]
        return NumpyDataset(samples_only, class_names=names, file_paths=paths, batched=False)
    return NumpyDataset(batches, class_names=names, file_paths=paths)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """Batches of (texts, labels) from `directory/<class>/*.txt`. Keras:
    `keras.utils.text_dataset_from_directory` (here a NumpyDataset of string arrays)."""
    def load(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return np.str_(text[:max_length] if max_length is not None else text)

    return _dataset_from_directory(directory, load, (".txt",), labels, label_mode, class_names,
                                   batch_size, shuffle, seed, validation_split, subset,
                                   follow_links, verbose)


def _read_wav(path, output_sequence_length):
    """A 16-bit PCM WAV file as float32 `(samples, channels)` in [-1, 1), as `tf.audio.decode_wav`
    reads it: cut or zero-padded to `output_sequence_length` samples when given."""
    import wave
    try:
        with wave.open(os.fspath(path), "rb") as f:
            channels, width, frames = f.getnchannels(), f.getsampwidth(), f.readframes(f.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"audio_dataset_from_directory: {path} is not a PCM WAV file ({e})") from e
    if width != 2:
        raise ValueError(f"audio_dataset_from_directory: {path} has {8 * width}-bit samples; only "
                         f"16-bit PCM WAV files can be read (as tf.audio.decode_wav)")
    audio = (np.frombuffer(frames, dtype="<i2").reshape(-1, channels) / 32768.0).astype("float32")
    if output_sequence_length is not None:
        audio = audio[:output_sequence_length]
        audio = np.pad(audio, [(0, output_sequence_length - len(audio)), (0, 0)])
    return audio


def _padded_stack(samples):
    """Samples of different lengths as one batch, zero-padded to the longest (tf.data's
    `padded_batch`)."""
    longest = max(len(s) for s in samples)
    return np.stack([np.pad(s, [(0, longest - len(s))] + [(0, 0)] * (s.ndim - 1)) for s in samples])


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 batch_size=32, sampling_rate=None, output_sequence_length=None,
                                 ragged=False, shuffle=True, seed=None, validation_split=None,
                                 subset=None, follow_links=False, verbose=True):
    """Batches of (audio, labels) from `directory/<class>/*.wav`: float32 `(batch, samples,
    channels)`, each batch zero-padded to its longest file (or every file cut or padded to
    `output_sequence_length`). Keras: `keras.utils.audio_dataset_from_directory` (here a
    NumpyDataset; WAV files of 16-bit PCM, read with Python's `wave`)."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError("The `labels` argument should be a list/tuple of integer labels, of the "
                             "same size as the number of audio files in the target directory. If you "
                             "wish to infer the labels from the subdirectory names in the target "
                             'directory, pass `labels="inferred"`. If you wish to get a dataset that '
                             f"only contains audio samples (no labels), pass `labels=None`. Received: "
                             f"labels={labels}")
        if class_names:
            raise ValueError(f'You can only pass `class_names` if `labels="inferred"`. Received: '
                             f"labels={labels}, and class_names={class_names}")
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if ragged:
        raise NotImplementedError("audio_dataset_from_directory: ragged=True (tf.RaggedTensor "
                                  "batches) is not supported; batches are zero-padded instead")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(f"`sampling_rate` should have an integer value. Received: "
                             f"sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError(f"`sampling_rate` should be higher than 0. Received: "
                             f"sampling_rate={sampling_rate}")
        raise NotImplementedError("audio_dataset_from_directory: sampling_rate (resampling, which "
                                  "Keras does with tensorflow_io) is not supported")
    return _dataset_from_directory(directory, lambda p: _read_wav(p, output_sequence_length),
                                   (".wav",), labels, label_mode, class_names, batch_size, shuffle,
                                   seed, validation_split, subset, follow_links, verbose,
                                   stack=_padded_stack)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """Batches of (images, labels) from `directory/<class>/*.png|jpg|...`, resized to
    `image_size`, float32 in [0, 255]. Keras: `keras.utils.image_dataset_from_directory`."""
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise NotImplementedError("image_dataset_from_directory: crop/pad_to_aspect_ratio")

    def load(path):
        return img_to_array(load_img(path, color_mode=color_mode, target_size=tuple(image_size),
                                     interpolation=interpolation))

    return _dataset_from_directory(directory, load, IMAGE_FORMATS, labels, label_mode,
                                   class_names, batch_size, shuffle, seed, validation_split,
                                   subset, follow_links, verbose)


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("Could not import PIL.Image. The use of `load_img` requires PIL "
                          "(pip install pillow).") from e
    return Image


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """A PIL image from a file, converted to `color_mode` and resized to `target_size`
    (height, width). Keras: `keras.utils.load_img`."""
    image_module = _pil()
    img = image_module.open(os.fspath(path))
    modes = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
    if color_mode not in modes:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if img.mode != modes[color_mode]:
        img = img.convert(modes[color_mode])
    if target_size is not None:
        size = (target_size[1], target_size[0])
        if img.size != size:
            methods = {"nearest": image_module.NEAREST, "bilinear": image_module.BILINEAR,
                       "bicubic": image_module.BICUBIC, "lanczos": image_module.LANCZOS}
            if interpolation not in methods:
                raise ValueError(f"Invalid interpolation method {interpolation} specified. "
                                 f"Supported methods are {', '.join(methods)}")
            img = img.resize(size, methods[interpolation])
    return img


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a float32 array (height, width, channels). Keras: `img_to_array`."""
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[:, :, None]
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image from an array (height, width, channels). Keras: `array_to_img`."""
    image_module = _pil()
    x = np.asarray(x, dtype="float32")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        top = x.max()
        if top:
            x = x / top * 255
    x = x.astype("uint8")
    return image_module.fromarray(x[:, :, 0] if x.shape[-1] == 1 else x)


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes an image array to a path or file object (the format from the extension unless
    `file_format`; `kwargs` go to PIL's `Image.save`). Keras: `keras.utils.save_img`."""
    from .backend import image_data_format
    data_format = image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"The `data_format` argument must be one of {{'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = os.path.splitext(os.fspath(path))[1][1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        import warnings
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.",
                      stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)
