"""Keras 3's audio names: the STFT initializer (and the Identity/Orthogonal aliases),
STFTSpectrogram, MelSpectrogram, HashedCrossing and utils.audio_dataset_from_directory, each
against real Keras 3 on the same inputs (HashedCrossing against Keras's own test numbers and
TensorFlow's FingerprintCat64, since Keras runs it only through TensorFlow)."""

import os
import wave

import numpy as np
import pytest

from conftest import CORE, keras_compiled, needs, real_keras

import swiftkeras as sk

pytestmark = needs(*CORE)

WINDOWS = ["hann", "hamming", "blackman", "blackmanharris", "nuttall", "flattop", "bartlett",
           "triang", "boxcar", "cosine", "bohman", "barthann"]


def _audio(shape, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype("float32")


def test_initializer_names_match_keras():
    keras = real_keras()
    for name in ("STFT", "STFTInitializer", "stft", "IdentityInitializer", "OrthogonalInitializer"):
        assert hasattr(keras.initializers, name) and hasattr(sk.initializers, name), name
    assert sk.initializers.STFTInitializer is sk.initializers.STFT
    init = sk.initializers.get("stft")
    assert init.get_config() == keras.initializers.STFT().get_config()
    assert sk.initializers.STFT("imag", None, None, True).get_config() == \
        keras.initializers.STFT("imag", None, None, True).get_config()


@pytest.mark.parametrize("window", WINDOWS + [None, "custom"])
def test_stft_initializer_values_match_keras(window):
    """The kernels of STFTSpectrogram are keras.initializers.STFT's values, for each window,
    periodic or symmetric, and each scaling."""
    keras = real_keras()
    frame, fft = 12, 16
    if window == "custom":
        window = list(np.linspace(0.1, 1.0, frame))
    for periodic in (False, True):
        for scaling in ("density", "spectrum", None):
            layer = sk.layers.STFTSpectrogram(mode="stft", frame_length=frame, fft_length=fft,
                                              window=window, periodic=periodic, scaling=scaling)
            layer(_audio((1, 40, 1)))
            real, imag = layer.get_weights()
            for side, ours in (("real", real), ("imag", imag)):
                ref = keras.initializers.STFT(side, window, scaling, periodic)((frame, 1, fft // 2 + 1))
                np.testing.assert_allclose(ours, np.asarray(ref), rtol=1e-5, atol=1e-5,
                                           err_msg=f"{window} {side} {periodic} {scaling}")


MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]


@pytest.mark.parametrize("mode", MODES)
def test_stft_spectrogram_matches_keras(mode):
    keras = real_keras()
    for padding, data_format, expand in (("valid", "channels_last", False), ("same", "channels_last", True),
                                         ("same", "channels_first", False), ("valid", "channels_first", True)):
        kwargs = dict(mode=mode, frame_length=64, frame_step=24, fft_length=128, window="hamming",
                      padding=padding, data_format=data_format, expand_dims=expand)
        x = _audio((2, 3, 500) if data_format == "channels_first" else (2, 500, 3))
        ref = keras.layers.STFTSpectrogram(**kwargs)
        ours = sk.layers.STFTSpectrogram(**kwargs)
        expected = np.asarray(ref(x))
        got = ours(x)
        assert got.shape == expected.shape
        shape = (None,) + x.shape[1:]
        assert tuple(ours.compute_output_shape(shape)) == tuple(ref.compute_output_shape(shape))
        # Each value is a float32 sum of 64 products of order 1, which XLA and this library add
        # in different orders (and the kernels' zeros, sin(πt), are float32 noise of each sinf):
        # equal to 1e-5 relative, 2e-5 absolute. The log of a small magnitude magnifies that
        # noise, so log outputs are compared as magnitudes; angles modulo 2π (±π on the axis).
        if mode == "log":
            got, expected = np.exp(got), np.exp(expected)
        if mode == "angle":   # the phase error times the magnitude: the complex value's error
            magnitude = np.asarray(keras.layers.STFTSpectrogram(**{**kwargs, "mode": "magnitude"})(x))
            turn = (got - expected + np.pi) % (2 * np.pi) - np.pi
            got, expected = turn * magnitude, np.zeros_like(turn)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-5, err_msg=str(kwargs))
        assert ours.get_config() == {**ref.get_config(), "name": ours.name}


def test_stft_spectrogram_default_and_trainable_like_keras():
    keras = real_keras()
    x = _audio((2, 1000, 1), seed=3)
    ref, ours = keras.layers.STFTSpectrogram(name="spec"), sk.layers.STFTSpectrogram(name="spec")
    # log magnitudes of float32 sums of 256 products: compared as magnitudes (see above)
    np.testing.assert_allclose(np.exp(ours(x)), np.exp(np.asarray(ref(x))), rtol=1e-5, atol=3e-5)
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]
    assert len(ours.trainable_weights) == len(ref.trainable_weights) == 2
    frozen = sk.layers.STFTSpectrogram(trainable=False)
    frozen(x)
    assert not frozen.trainable_weights and frozen.get_config()["trainable"] is False


def _stft_model(lib):
    inputs = lib.Input(shape=(300, 2))
    x = lib.layers.STFTSpectrogram(mode="log", frame_length=32, frame_step=16, fft_length=64,
                                   window="blackman", scaling="spectrum", padding="same")(inputs)
    x = lib.layers.Flatten()(x)
    return lib.Model(inputs, lib.layers.Dense(2)(x))


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_stft_spectrogram_files_load_both_ways(tmp_path, ext):
    keras = real_keras()
    x = _audio((3, 300, 2), seed=4)
    ours = _stft_model(sk)
    ours.compile(optimizer="adam", loss="mse")
    ours.fit(x, np.ones((3, 2), "float32"), epochs=2, verbose=0)   # the kernels train
    ours.save(tmp_path / f"ours{ext}")
    loaded = keras.models.load_model(tmp_path / f"ours{ext}", compile=False)
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), ours.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-4)
    ref = _stft_model(keras)
    ref.save(tmp_path / f"ref{ext}")
    back = sk.models.load_model(tmp_path / f"ref{ext}")
    np.testing.assert_allclose(back.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)),
                               rtol=1e-4, atol=1e-4)


def test_stft_spectrogram_bad_arguments_name_the_value():
    x = _audio((1, 400, 1))
    with pytest.raises(ValueError, match="frame_step=300"):
        sk.layers.STFTSpectrogram(frame_step=300)(x)
    with pytest.raises(ValueError, match="mode='loud'"):
        sk.layers.STFTSpectrogram(mode="loud")(x)
    with pytest.raises(ValueError, match="kaiser"):
        sk.layers.STFTSpectrogram(window="kaiser")(x)
    with pytest.raises(ValueError, match="rank 3"):
        sk.layers.STFTSpectrogram()(_audio((2, 300)))


MEL_CASES = [
    dict(num_mel_bins=64, sampling_rate=8000, sequence_stride=256, fft_length=2048),
    dict(num_mel_bins=40, sampling_rate=16000, sequence_stride=160, fft_length=512, sequence_length=400,
         window="hamming", min_freq=60.0, max_freq=7600.0),
    dict(num_mel_bins=32, fft_length=256, sequence_stride=100, window=None, mag_exp=1.0, top_db=50.0,
         ref_power=2.0),
    dict(num_mel_bins=20, fft_length=128, sequence_stride=64, sequence_length=100,
         window=list(np.linspace(0.2, 1.0, 100)), power_to_db=False),
    # Lengths that are not powers of two: even (the packed transform over Bluestein's) and odd.
    dict(num_mel_bins=24, fft_length=400, sequence_stride=160, sampling_rate=16000),
    dict(num_mel_bins=16, fft_length=255, sequence_stride=100, sequence_length=200, power_to_db=False),
]


@pytest.mark.parametrize("case", range(len(MEL_CASES)))
def test_mel_spectrogram_matches_keras(case):
    keras = real_keras()
    kwargs = MEL_CASES[case]
    ref = keras.layers.MelSpectrogram(**kwargs)
    for x in (_audio((3, 4000), seed=case), _audio((3000,), seed=case + 7)):
        ours = sk.layers.MelSpectrogram(**kwargs)
        expected = np.asarray(keras_compiled(ref)(x))
        got = ours(x)
        assert got.shape == expected.shape
        if kwargs.get("power_to_db", True):
            # Decibels: float32 FFTs differ by ~1e-6 of the largest bin, which at top_db
            # below it is a few 1e-4 dB; above that floor the values agree to 1e-5 relative.
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-3)
            loud = expected > expected.max() - 40
            np.testing.assert_allclose(got[loud], expected[loud], rtol=1e-5, atol=1e-4)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    assert ours.get_config() == {**ref.get_config(), "name": ours.name}
    fresh = sk.layers.MelSpectrogram(**kwargs)
    if kwargs["fft_length"] % 2 == 0:
        # (An odd fft_length: Keras's compute_output_shape counts one frame more than its call gives.)
        assert tuple(fresh.compute_output_shape((None, 4000))) == tuple(ref.compute_output_shape((None, 4000)))


def test_mel_spectrogram_model_loads_in_keras(tmp_path):
    keras = real_keras()
    inputs = sk.Input(shape=(2000,))
    outputs = sk.layers.Dense(3)(sk.layers.Flatten()(sk.layers.MelSpectrogram(
        num_mel_bins=16, fft_length=256, sequence_stride=128, power_to_db=True)(inputs)))
    model = sk.Model(inputs, outputs)
    x = _audio((2, 2000), seed=9)
    model.save(tmp_path / "mel.keras")
    loaded = keras.models.load_model(tmp_path / "mel.keras")
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), model.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-3)
    again = sk.models.load_model(tmp_path / "mel.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def _fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64 (tensorflow/core/platform/fingerprint.h)."""
    mask, mul = (1 << 64) - 1, 0xC6A4A7935BD1E995

    def shift_mix(v):
        return v ^ (v >> 47)
    result = fp1 ^ mul
    result ^= (shift_mix((fp2 * mul) & mask) * mul) & mask
    result = (result * mul) & mask
    result = (shift_mix(result) * mul) & mask
    return shift_mix(result)


def test_hashed_crossing_matches_keras_and_tensorflow():
    # keras/src/layers/preprocessing/hashed_crossing_test.py: test_correctness.
    feat1 = np.array(["A", "B", "A", "B", "A"])
    feat2 = np.array([101, 101, 101, 102, 102])
    np.testing.assert_array_equal(sk.layers.HashedCrossing(num_bins=5)((feat1, feat2)), [1, 4, 1, 1, 3])
    one_hot = sk.layers.HashedCrossing(num_bins=5, output_mode="one_hot")((feat1, feat2))
    np.testing.assert_array_equal(one_hot, np.eye(5)[[1, 4, 1, 1, 3]])
    # Integers enter tf.sparse.cross_hashed as themselves: the cross is FingerprintCat64 folded
    # over them from the default key 0xDECAFCAFFE, modulo the bins.
    a, b, c = np.array([[3], [-7], [12]]), np.array([[5], [5], [900]]), np.array([[0], [1], [2]])
    expected = [[_fingerprint_cat64(_fingerprint_cat64(_fingerprint_cat64(0xDECAFCAFFE, x % 2**64),
                                                       y % 2**64), z % 2**64) % 1000]
                for x, y, z in zip(a[:, 0].tolist(), b[:, 0].tolist(), c[:, 0].tolist())]
    np.testing.assert_array_equal(sk.layers.HashedCrossing(num_bins=1000)([a, b, c]), expected)


def test_hashed_crossing_config_and_model(tmp_path):
    layer = sk.layers.HashedCrossing(num_bins=7, name="cross")
    # Keras's get_config (keras/src/layers/preprocessing/hashed_crossing.py).
    # (the binding's configs add the base `trainable` to every built-in layer's)
    config = {k: v for k, v in layer.get_config().items() if k != "trainable"}
    assert config == {"num_bins": 7, "output_mode": "int", "sparse": False, "name": "cross", "dtype": "int64"}
    clone = sk.layers.HashedCrossing.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x1 = sk.Input(shape=(1,), dtype="string")
    x2 = sk.Input(shape=(1,), dtype="int64")
    out = sk.layers.HashedCrossing(num_bins=4, output_mode="one_hot")([x1, x2])
    model = sk.Model([x1, x2], out)
    data = [np.array([["A"], ["B"], ["A"]]), np.array([[101], [101], [102]])]
    got = model.predict(data, verbose=0)
    bins = sk.layers.HashedCrossing(num_bins=4)(data)
    np.testing.assert_array_equal(got, np.eye(4)[np.asarray(bins).astype(int).reshape(-1)])
    model.save(tmp_path / "cross.keras")
    np.testing.assert_array_equal(sk.models.load_model(tmp_path / "cross.keras").predict(data, verbose=0), got)
    with pytest.raises(ValueError, match="at least two"):
        sk.layers.HashedCrossing(num_bins=3)([np.array([1])])


def _write_wav(path, samples, channels=1, rate=8000):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def test_audio_dataset_from_directory_like_keras(tmp_path):
    real_keras()
    from keras.src.utils import dataset_utils
    rng = np.random.RandomState(0)
    written = {}
    for cls, n in (("no", 3), ("yes", 4)):
        (tmp_path / cls).mkdir()
        for i in range(n):
            length = 50 + 13 * i + (7 if cls == "yes" else 0)
            pcm = rng.randint(-32768, 32767, (length, 2)).astype("int16")
            _write_wav(tmp_path / cls / f"{i}.wav", pcm.reshape(-1), channels=2)
            written[str(tmp_path / cls / f"{i}.wav")] = pcm.astype("float32") / 32768.0
    (tmp_path / "no" / "notes.txt").write_text("not audio")
    paths, labels, names = dataset_utils.index_directory(str(tmp_path), "inferred", formats=(".wav",),
                                                         shuffle=True, seed=5)
    ds = sk.utils.audio_dataset_from_directory(tmp_path, batch_size=3, seed=5, verbose=False)
    assert ds.class_names == names == ["no", "yes"] and ds.file_paths == paths
    batches = list(ds)
    assert [len(b[0]) for b in batches] == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), labels)
    for k, (x, y) in enumerate(batches):
        assert x.dtype == np.float32 and y.dtype == np.int32
        longest = max(len(written[p]) for p in paths[3 * k:3 * k + 3])
        assert x.shape == (len(y), longest, 2)     # padded_batch: to the batch's longest
        for j, p in enumerate(paths[3 * k:3 * k + 3]):
            np.testing.assert_array_equal(x[j, :len(written[p])], written[p])
            assert not x[j, len(written[p]):].any()
    fixed = sk.utils.audio_dataset_from_directory(tmp_path, batch_size=None, shuffle=False,
                                                  output_sequence_length=60, label_mode="categorical",
                                                  verbose=False)
    samples = list(fixed)
    assert len(samples) == 7 and all(s[0].shape == (60, 2) for s in samples)
    np.testing.assert_array_equal(samples[0][1], [1.0, 0.0])
    np.testing.assert_array_equal(samples[0][0][:50], written[str(tmp_path / "no" / "0.wav")])
    train, val = sk.utils.audio_dataset_from_directory(tmp_path, validation_split=0.3, subset="both",
                                                       seed=1, verbose=False)
    assert sum(len(b[0]) for b in train) == 5 and sum(len(b[0]) for b in val) == 2
    with pytest.raises(ValueError, match="ragged"):
        sk.utils.audio_dataset_from_directory(tmp_path, ragged=True, output_sequence_length=10)
    with wave.open(str(tmp_path / "no" / "wide.wav"), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(1)
        f.setframerate(8000)
        f.writeframes(bytes([128, 128]))
    with pytest.raises(ValueError, match="16-bit"):
        sk.utils.audio_dataset_from_directory(tmp_path, verbose=False)
