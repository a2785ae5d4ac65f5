"""A model used as a layer of another (functional `Model(x, base(x))`, `Sequential([base, ...])`,
a base shared by two models) holds the same variables as the model using it, as in Keras 3:
training either moves the other's weights at once, a frozen base (or one layer of it) counts at
once and trains as Keras's optimizer built at the next fit, the files keep Keras's paths, and a direct call keeps the `training=` its nested call
recorded. Numbers against real Keras 3 from the same initial weights."""

import numpy as np
import pytest

from conftest import needs, real_keras, summary_lines

pytestmark = needs("keras_model_from_json_sharing", "keras_model_nested_model",
                   "keras_model_set_trainable")

import swiftkeras  # noqa: E402

RNG = np.random.default_rng(7)
X = RNG.normal(size=(32, 4)).astype("float32")
Y = RNG.normal(size=(32, 1)).astype("float32")


def _base(lib, batch_norm=False):
    layers = [lib.Input((4,)), lib.layers.Dense(5, activation="tanh", name="d1")]
    if batch_norm:
        layers.append(lib.layers.BatchNormalization(name="bn"))
    layers.append(lib.layers.Dense(3, name="d2"))
    return lib.Sequential(layers, name="base")


def _functional_base(lib):
    x = lib.Input((4,), name="base_in")
    h = lib.layers.Dense(5, activation="relu", name="f1")(x)
    return lib.Model(x, lib.layers.Dense(3, name="f2")(h), name="fbase")


def _outer(lib, base, name="outer", training=None):
    x = lib.Input((4,), name=f"{name}_in")
    y = base(x) if training is None else base(x, training=training)
    return lib.Model(x, lib.layers.Dense(1, name=f"{name}_head")(y), name=name)


def _same_start(ours, ref):
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def _all_close(ours, ref):
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        _close(a, b)


def _trained_outer_models(make_base, optimizer, epochs):
    """(Keras's base, ours, Keras's outer model, ours): each outer model holds its base,
    both start from Keras's weights and are fit alike."""
    keras = real_keras()
    ref_base, ours_base = make_base(keras), make_base(swiftkeras)
    ref, ours = _outer(keras, ref_base), _outer(swiftkeras, ours_base)
    _same_start(ours, ref)
    for m in (ref, ours):
        m.compile(optimizer=optimizer, loss="mse")
        m.fit(X, Y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)
    return ref_base, ours_base, ref, ours


@pytest.mark.parametrize("make_base", [_base, _functional_base])
def test_fit_of_the_outer_model_trains_the_nested_one_live(make_base):
    ref_base, ours_base, ref, ours = _trained_outer_models(make_base, "sgd", epochs=2)
    # No extra step: the nested model's weights, variables and predictions are the trained ones.
    _all_close(ours_base.get_weights(), ref_base.get_weights())
    _all_close([v.numpy() for v in ours_base.weights], [v.numpy() for v in ref_base.weights])
    _close(ours_base.predict(X, verbose=0), ref_base.predict(X, verbose=0))
    _all_close(ours.get_weights(), ref.get_weights())
    assert [v.path for v in ours.weights] == [v.path for v in ref.weights]


def test_weights_set_on_the_nested_model_reach_the_outer_model_at_once():
    keras = real_keras()
    ref_base, ours_base = _base(keras), _base(swiftkeras)
    ref, ours = _outer(keras, ref_base), _outer(swiftkeras, ours_base)
    _same_start(ours, ref)
    ours.predict(X, verbose=0)   # both library models exist before the change
    new = [np.full(w.shape, 0.1 * (i + 1), "float32") for i, w in enumerate(ref_base.get_weights())]
    for base in (ref_base, ours_base):
        base.set_weights(new)
    _close(ours.predict(X, verbose=0), ref.predict(X, verbose=0))
    kernel = RNG.normal(size=(4, 5)).astype("float32")
    for base in (ref_base, ours_base):
        base.layers[0].kernel.assign(kernel)
    _close(ours.predict(X, verbose=0), ref.predict(X, verbose=0))
    _close(ours.get_weights()[0], kernel)
    # And the other way: set on the outer model, seen by the nested one.
    outer_weights = [w * 0.5 for w in ref.get_weights()]
    for m in (ref, ours):
        m.set_weights(outer_weights)
    _close(ours_base.predict(X, verbose=0), ref_base.predict(X, verbose=0))


def test_two_models_sharing_a_base_see_each_others_training():
    keras = real_keras()
    ref_base, ours_base = _base(keras), _base(swiftkeras)
    ref_a, ours_a = _outer(keras, ref_base, "a"), _outer(swiftkeras, ours_base, "a")
    ref_b = keras.Sequential([ref_base, keras.layers.Dense(2, name="b_head")], name="b")
    ours_b = swiftkeras.Sequential([ours_base, swiftkeras.layers.Dense(2, name="b_head")], name="b")
    ref_b.build((None, 4))
    ours_b.build((None, 4))
    _same_start(ours_a, ref_a)
    _same_start(ours_b, ref_b)
    before = ours_b.predict(X, verbose=0)
    for m in (ref_a, ours_a):
        m.compile(optimizer="adam", loss="mse")
        m.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    after = ours_b.predict(X, verbose=0)
    assert not np.allclose(before, after)
    _close(after, ref_b.predict(X, verbose=0))
    # Then B trains the base, and A predicts with it.
    yb = RNG.normal(size=(32, 2)).astype("float32")
    for m in (ref_b, ours_b):
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, yb, epochs=1, batch_size=8, shuffle=False, verbose=0)
    _close(ours_a.predict(X, verbose=0), ref_a.predict(X, verbose=0))
    _all_close(ours_base.get_weights(), ref_base.get_weights())


def test_a_frozen_base_takes_effect_at_the_next_compile_as_in_keras():
    keras = real_keras()
    ref_base, ours_base = _base(keras, batch_norm=True), _base(swiftkeras, batch_norm=True)
    ref = keras.Sequential([ref_base, keras.layers.Dense(1, name="head")], name="transfer")
    ours = swiftkeras.Sequential([ours_base, swiftkeras.layers.Dense(1, name="head")], name="transfer")
    ref.build((None, 4))
    ours.build((None, 4))
    _same_start(ours, ref)
    for m in (ref, ours):
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for base in (ref_base, ours_base):
        base.trainable = False
    # The summary counts the new flags at once, as Keras's.
    assert summary_lines(ours)[-3:] == summary_lines(ref)[-3:]
    assert len(ours.trainable_weights) == len(ref.trainable_weights) == 2
    assert len(ours.non_trainable_weights) == len(ref.non_trainable_weights) == 8
    frozen = [w.copy() for w in ours_base.get_weights()]
    for m in (ref, ours):
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    _all_close(ours_base.get_weights(), frozen)   # frozen: BatchNormalization in inference too
    _all_close(ours_base.get_weights(), ref_base.get_weights())
    _all_close(ours.get_weights(), ref.get_weights())
    assert summary_lines(ours)[-3:] == summary_lines(ref)[-3:]
    assert len(ours.trainable_weights) == len(ref.trainable_weights) == 2


@pytest.mark.parametrize("outer_kind", ["functional", "sequential"])
def test_a_layer_frozen_inside_a_nested_model_counts_at_once_as_in_keras(outer_kind):
    """One layer of the nested model frozen after the outer model was built and compiled: the
    outer model's weight lists and summary show it at once, and its next fit (the first since
    compile, where Keras builds the optimizer) leaves it alone; a flag changed after that fit
    without compiling again is refused as Keras 3 refuses it, and trains after compile."""
    keras = real_keras()
    models = {}
    for lib in (keras, swiftkeras):
        base = _base(lib)
        if outer_kind == "functional":
            outer = _outer(lib, base)
        else:
            outer = lib.Sequential([base, lib.layers.Dense(1, name="head")], name="outer")
            outer.build((None, 4))
        models[lib] = base, outer
    (ref_base, ref), (ours_base, ours) = models[keras], models[swiftkeras]
    _same_start(ours, ref)
    for base, m in ((ref_base, ref), (ours_base, ours)):
        m.predict(X, verbose=0)   # the library model exists before the flag changes
        m.compile(optimizer="sgd", loss="mse")
        base.layers[0].trainable = False

    def paths(vs):
        return [v.path for v in vs]
    assert paths(ours.trainable_weights) == paths(ref.trainable_weights)
    assert paths(ours.non_trainable_weights) == paths(ref.non_trainable_weights)
    assert len(ours.trainable_weights) == 4
    assert summary_lines(ours)[-3:] == summary_lines(ref)[-3:]
    frozen = ours_base.layers[0].get_weights()
    for m in (ref, ours):
        m.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    _all_close(ours_base.layers[0].get_weights(), frozen)
    _all_close(ours.get_weights(), ref.get_weights())
    # Unfrozen, then compiled: trained again.
    for base, m in ((ref_base, ref), (ours_base, ours)):
        base.layers[0].trainable = True
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert not np.allclose(ours_base.layers[0].get_weights()[0], frozen[0])
    _all_close(ours.get_weights(), ref.get_weights())
    # Frozen after that fit, not compiled: the optimizer was built on 6 variables, now 4 train.
    for base in (ref_base, ours_base):
        base.layers[1].trainable = False
    assert paths(ours.trainable_weights) == paths(ref.trainable_weights)
    for m in (ref, ours):
        with pytest.raises(ValueError, match="optimizer was built with 6 variables"):
            m.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)


@pytest.mark.parametrize("outer_kind", ["functional", "sequential"])
def test_add_and_pop_on_a_nested_sequential_reach_the_outer_model_as_in_keras(outer_kind):
    """A Sequential nested in another model, changed by pop and add afterwards: as in Keras 3,
    the outer model runs its new layers from its next call (its weights list them, its fit
    trains them, the base's stay shared, its own head keeps its weights); an optimizer built
    before the change trains them while their number is the same, and refuses another number
    until compile; a change of the base's output width makes the outer model's head refuse its
    inputs."""
    keras = real_keras()
    models = {}
    for lib in (keras, swiftkeras):
        base = _base(lib)
        if outer_kind == "functional":
            outer = _outer(lib, base)
        else:
            outer = lib.Sequential([base, lib.layers.Dense(1, name="head")], name="outer")
            outer.build((None, 4))
        models[lib] = base, outer
    (ref_base, ref), (ours_base, ours) = models[keras], models[swiftkeras]
    _same_start(ours, ref)
    for m in (ref, ours):
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for base in (ref_base, ours_base):
        base.pop()
        base.add(base.layers[0].__class__(3, name="d3"))
    kernel = RNG.normal(size=(5, 3)).astype("float32")
    for base in (ref_base, ours_base):
        base.layers[1].set_weights([kernel, np.zeros(3, "float32")])
    assert [v.path for v in ours.weights] == [v.path for v in ref.weights]
    _all_close(ours.get_weights(), ref.get_weights())
    _close(ours.predict(X, verbose=0), ref.predict(X, verbose=0))
    for m in (ref, ours):   # as many variables as Keras's optimizer was built on: it trains
        m.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    _all_close(ours.get_weights(), ref.get_weights())
    for base, m in ((ref_base, ref), (ours_base, ours)):   # 8 variables now
        base.add(base.layers[0].__class__(3, name="d4"))
        with pytest.raises(ValueError, match="optimizer was built with 6 variables"):
            m.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    # (Keras's model is left unusable by that failure: a fresh pair goes on.)
    models = {}
    for lib in (keras, swiftkeras):
        base = _base(lib)
        outer = _outer(lib, base) if outer_kind == "functional" else \
            lib.Sequential([base, lib.layers.Dense(1, name="head")], name="outer")
        outer.build((None, 4))
        models[lib] = base, outer
    (ref_base, ref), (ours_base, ours) = models[keras], models[swiftkeras]
    _same_start(ours, ref)
    ours.predict(X, verbose=0)
    for base, m in ((ref_base, ref), (ours_base, ours)):
        base.add(base.layers[0].__class__(3, name="d3"))
        base.layers[2].set_weights([kernel[:3], np.ones(3, "float32")])
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    _all_close(ours_base.get_weights(), ref_base.get_weights())   # trained through the outer
    _all_close(ours.get_weights(), ref.get_weights())
    _close(ours_base.predict(X, verbose=0), ref_base.predict(X, verbose=0))
    for base, m in ((ref_base, ref), (ours_base, ours)):
        base.pop()   # the base's output is 3 wide again... and then 5 wide
        base.pop()
        with pytest.raises(ValueError, match="incompatible"):
            m.predict(X, verbose=0)


def _plain(value):
    """JSON's form of a config (tuples as lists), to compare with Keras's, without the
    automatic names of input layers (numbered per session)."""
    import json
    value = json.loads(json.dumps(value, default=str))
    for entry in value.get("layers", []) if isinstance(value, dict) else value:
        if entry.get("class_name") == "InputLayer":
            entry["config"].pop("name", None)
    return value


@pytest.mark.parametrize("ask", ["inner_layer_first", "outer_first"])
def test_nested_model_layers_report_their_built_configs_as_in_keras(ask):
    """A Sequential block without Input called in a functional model (ConvNeXt's blocks):
    Keras builds it there, so its layers' configs are the built ones (LayerNormalization's axis
    [-1], each layer's build_config), in the block's get_config, the outer model's and the
    layer's own, before anything ran."""
    keras = real_keras()
    configs = {}
    for lib in (keras, swiftkeras):
        block = lib.Sequential([lib.layers.LayerNormalization(name="ln"),
                                lib.layers.Dense(4, name="bd")], name="block")
        x = lib.Input((6,), name="block_in")
        outer = lib.Model(x, block(lib.layers.Dense(4, name="pre")(x)), name="outer_cfg")
        if ask == "inner_layer_first":
            layer = block.layers[0].get_config()
            configs[lib] = layer, block.get_config(), outer.get_config()
        else:
            whole = outer.get_config()
            configs[lib] = block.layers[0].get_config(), block.get_config(), whole
    ours, ref = configs[swiftkeras], configs[keras]
    assert ours[0]["axis"] == ref[0]["axis"] == [-1]
    assert _plain(ours[0]) == _plain(ref[0])
    assert _plain(ours[1]) == _plain(ref[1])
    nested = [e for e in ours[2]["layers"] if e["class_name"] == "Sequential"][0]
    ref_nested = [e for e in ref[2]["layers"] if e["class_name"] == "Sequential"][0]
    assert _plain(nested["config"]["layers"]) == _plain(ref_nested["config"]["layers"])


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5", ".h5"])
def test_files_keep_the_nested_weights_at_keras_paths_both_ways(tmp_path, suffix):
    keras = real_keras()
    _, _, ref, ours = _trained_outer_models(lambda lib: _base(lib, batch_norm=True), "adam", epochs=1)
    _all_close(ours.get_weights(), ref.get_weights())
    ours_file, ref_file = str(tmp_path / f"ours{suffix}"), str(tmp_path / f"ref{suffix}")
    if suffix == ".weights.h5":
        ours.save_weights(ours_file)
        ref.save_weights(ref_file)
        into_keras, into_ours = _outer(keras, _base(keras, True)), _outer(swiftkeras, _base(swiftkeras, True))
        into_keras.load_weights(ours_file)
        into_ours.load_weights(ref_file)
    else:
        ours.save(ours_file)
        ref.save(ref_file)
        into_keras = keras.models.load_model(ours_file, compile=False)
        into_ours = swiftkeras.models.load_model(ref_file, compile=False)
    _all_close(into_keras.get_weights(), ref.get_weights())
    _all_close(into_ours.get_weights(), ref.get_weights())
    _close(into_ours.predict(X, verbose=0), ref.predict(X, verbose=0))
    _close(into_keras.predict(X, verbose=0), ref.predict(X, verbose=0))
    # The loaded model's nested model shares its weights too.
    nested = into_ours.get_layer("base")
    into_ours.compile(optimizer="sgd", loss="mse")
    into_ours.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    _all_close(nested.get_weights(), into_ours.get_weights()[:len(nested.get_weights())])


@pytest.mark.parametrize("recorded", [True, False])
def test_a_direct_call_keeps_the_training_its_nested_call_recorded(recorded):
    keras = real_keras()
    ref_base, ours_base = _base(keras, batch_norm=True), _base(swiftkeras, batch_norm=True)
    ref = _outer(keras, ref_base, training=recorded)
    ours = _outer(swiftkeras, ours_base, training=recorded)
    _same_start(ours, ref)
    stats = RNG.normal(size=(2, 5)).astype("float32")
    weights = ref.get_weights()
    weights[4], weights[5] = stats[0], np.abs(stats[1]) + 0.5   # moving mean and variance
    for m in (ref, ours):
        m.set_weights(weights)
    assert ours.get_config()["layers"][1]["inbound_nodes"][0]["kwargs"]["training"] is recorded
    # training=None: the recorded flag (batch statistics when True, moving ones when False).
    _close(ours(X[:8]), ref(X[:8]))
    _all_close(ours.get_weights(), ref.get_weights())   # a training call moves the statistics
    # An explicit flag, predict and fit override it.
    _close(ours(X[:8], training=False), ref(X[:8], training=False))
    _close(ours.predict(X, verbose=0), ref.predict(X, verbose=0))
    for m in (ref, ours):
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    _all_close(ours.get_weights(), ref.get_weights())


def test_a_gan_freezing_its_discriminator_trains_as_in_keras():
    """The Keras 2 GAN pattern: the discriminator compiled, then frozen and nested in the GAN;
    the GAN trains the generator alone, and the discriminator, first trained after the freeze,
    trains nothing (Keras 3 builds its optimizer with no trainable variables)."""
    keras = real_keras()
    noise = RNG.normal(size=(8, 2)).astype("float32")
    ones = np.ones((8, 1), "float32")
    models = {}
    for lib in (keras, swiftkeras):
        d = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, activation="sigmoid", name="dd")], name="d")
        d.compile(optimizer="sgd", loss="binary_crossentropy")
        g = lib.Sequential([lib.Input((2,)), lib.layers.Dense(3, name="gd")], name="g")
        d.trainable = False
        gan = lib.Sequential([g, d], name="gan")
        gan.compile(optimizer="sgd", loss="binary_crossentropy")
        models[lib] = (d, g, gan)
    (ref_d, ref_g, ref_gan), (d, g, gan) = models[keras], models[swiftkeras]
    _same_start(gan, ref_gan)
    frozen, start = d.get_weights(), g.get_weights()
    for m in (ref_gan, gan):
        m.train_on_batch(noise, ones)
    for m in (ref_d, d):
        m.train_on_batch(X[:8, :3], ones)
    _all_close(d.get_weights(), frozen)
    assert not np.allclose(g.get_weights()[0], start[0])
    _all_close(g.get_weights(), ref_g.get_weights())
    _all_close(d.get_weights(), ref_d.get_weights())


def test_a_loaded_models_optimizer_is_built_as_in_keras(tmp_path):
    """Keras's load_model compiles the model from its file and builds the optimizer on the
    trainable variables then: a layer frozen before the next fit is refused there, as after a
    first fit, until compile is called again."""
    keras = real_keras()
    results = {}
    for lib in (keras, swiftkeras):
        m = _base(lib)
        m.compile(optimizer="adam", loss="mse")
        assert not m.optimizer.built
        m.fit(X, Y[:, :1].repeat(3, 1), epochs=1, batch_size=8, verbose=0)
        assert m.optimizer.built
        path = str(tmp_path / f"{lib.__name__}.keras")
        m.save(path)
        loaded = lib.models.load_model(path)
        assert loaded.optimizer.built
        loaded.get_layer("d1").trainable = False
        with pytest.raises(ValueError, match="optimizer was built with 4 variables") as e:
            loaded.fit(X, Y[:, :1].repeat(3, 1), epochs=1, batch_size=8, verbose=0)
        results[lib] = str(e.value).split("(")[0]
        again = lib.models.load_model(path)   # untouched flags: the next fit trains as saved
        again.fit(X, Y[:, :1].repeat(3, 1), epochs=1, batch_size=8, verbose=0)
    assert results[swiftkeras] == results[keras]


@pytest.mark.parametrize("freeze_at", [0, 2])
def test_a_flag_changed_by_a_callback_during_fit_as_in_keras(freeze_at):
    """A layer frozen in on_epoch_end is listed at once; the next epoch fails with a ValueError
    (Keras's optimizer, built on the fit's trainable variables, cannot train another number of
    them: jax's trainer fails there), so the weights stay those of the epoch before. Frozen after
    the last epoch, the fit ends as usual and the next fit is refused until compile."""
    keras = real_keras()
    seen, snapshots, errors, models = {}, {}, {}, {}
    for lib in (keras, swiftkeras):
        m = _base(lib)
        m.compile(optimizer="sgd", loss="mse")
        models[lib] = m
    _same_start(models[swiftkeras], models[keras])
    for lib, m in models.items():
        class Freeze(lib.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None, lib=lib):
                snapshots.setdefault(lib, []).append([np.array(w) for w in self.model.get_weights()])
                if epoch == freeze_at:
                    self.model.get_layer("d1").trainable = False
                    seen[lib] = [v.path for v in self.model.trainable_weights]
        try:
            m.fit(X, Y[:, :1].repeat(3, 1), epochs=3, batch_size=8, shuffle=False, verbose=0,
                  callbacks=[Freeze()])
            errors[lib] = None
        except ValueError:
            errors[lib] = ValueError
    assert seen[swiftkeras] == seen[keras] == ["base/d2/kernel", "base/d2/bias"]
    assert errors[swiftkeras] is errors[keras] is (ValueError if freeze_at < 2 else None)
    assert len(snapshots[swiftkeras]) == len(snapshots[keras]) == freeze_at + 1
    for ours, ref in zip(snapshots[swiftkeras], snapshots[keras]):
        _all_close(ours, ref)
    if freeze_at == 2:
        _all_close(models[swiftkeras].get_weights(), models[keras].get_weights())
        with pytest.raises(ValueError, match="optimizer was built with 4 variables"):
            models[swiftkeras].fit(X, Y[:, :1].repeat(3, 1), epochs=1, verbose=0)


def test_time_distributed_over_a_sequential_like_keras(tmp_path):
    """`TimeDistributed(Sequential([...]))`: the wrapped model's config, predictions, a fit and
    the `.keras` file (loaded here and by real Keras) as Keras's."""
    keras = real_keras()
    seq = RNG.normal(size=(6, 3, 4)).astype("float32")
    target = RNG.normal(size=(6, 3, 2)).astype("float32")
    models = {}
    for lib in (keras, swiftkeras):
        inner = lib.Sequential([lib.Input((4,)), lib.layers.Dense(5, activation="tanh", name="t1"),
                                lib.layers.Dense(2, name="t2")], name="inner")
        x = lib.Input((3, 4), name="seq")
        models[lib] = lib.Model(x, lib.layers.TimeDistributed(inner, name="td")(x), name="outer")
    ours, ref = models[swiftkeras], models[keras]
    _same_start(ours, ref)
    wrapped = ours.get_config()["layers"][1]["config"]["layer"]
    expected = ref.get_config()["layers"][1]["config"]["layer"]
    assert (wrapped["class_name"], wrapped["config"]["name"]) == (expected["class_name"], "inner")
    assert [(entry["class_name"], entry["config"]["name"]) for entry in wrapped["config"]["layers"][1:]] == \
        [(entry["class_name"], entry["config"]["name"]) for entry in expected["config"]["layers"][1:]] == \
        [("Dense", "t1"), ("Dense", "t2")]   # (after the InputLayer, named by a count of its own)
    _close(ours.predict(seq, verbose=0), ref.predict(seq, verbose=0))
    for m in (ours, ref):
        m.compile(optimizer="sgd", loss="mse")
        m.fit(seq, target, epochs=2, batch_size=3, shuffle=False, verbose=0)
    _all_close(ours.get_weights(), ref.get_weights())
    path = str(tmp_path / "td.keras")
    ours.save(path)
    loaded, by_keras = swiftkeras.models.load_model(path), keras.models.load_model(path)
    for m in (loaded, by_keras):
        _close(m.predict(seq, verbose=0), ref.predict(seq, verbose=0))
    assert loaded.get_layer("td").layer.name == "inner"
