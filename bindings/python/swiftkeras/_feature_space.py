"""`keras.utils.FeatureSpace`: one preprocessing layer per named feature of structured data
(Normalization, Discretization, Rescaling, StringLookup, IntegerLookup, Hashing), adapted on
the data, each integer output one-hot (multi-hot) encoded with CategoryEncoding, joined into
one float vector (`output_mode="concat"`) or kept by name (`"dict"`), as keras.io's
structured-data tutorial uses it. Keras: keras/src/layers/preprocessing/feature_space.py.

Without tf.data, `adapt` takes what the layers' own adapt() takes: a dict of arrays (or a
dataset of dict batches); calling the FeatureSpace on a dict of arrays gives arrays, and
`get_inputs()` / `get_encoded_features()` are the library's symbolic tensors, for a model
that preprocesses its raw features itself. Feature crosses hash their features' preprocessed
values with HashedCrossing (one-hot encoded, or kept as indices with `output_mode="int"`)."""

import numpy as np

from . import layers
from ._objects import unique_name


class Cross:
    """A crossed feature (Keras's `FeatureSpace.cross`)."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of "
                             f"{{'int', 'one_hot'}}. Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """A feature's input dtype, preprocessing layer and output mode ("int", "one_hot",
    "float"). Keras: `FeatureSpace.feature(dtype, preprocessor, output_mode)`."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of "
                             f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode}")
        self.dtype = dtype
        if isinstance(preprocessor, dict) and preprocessor.get("class_name") != "TFDIdentity":
            from .saving import deserialize_keras_object
            preprocessor = deserialize_keras_object(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        from .saving import serialize_keras_object
        preprocessor = self.preprocessor if isinstance(self.preprocessor, dict) else \
            serialize_keras_object(self.preprocessor)
        return {"dtype": self.dtype, "preprocessor": preprocessor, "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _identity_config(name):
    """Keras's config of its pass-through preprocessor (float features): kept for configs;
    the FeatureSpace passes such a feature on unchanged."""
    return {"module": "keras.src.layers.preprocessing.feature_space", "class_name": "TFDIdentity",
            "config": {"name": name, "trainable": True,
                       "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                 "config": {"name": "float32"}, "registered_name": None}},
            "registered_name": "TFDIdentity"}


def _integer_output(preprocessor):
    """Whether the layer gives integer indices (read when used: the layer classes come from the
    library's catalogue, which importing swiftkeras does not load)."""
    return isinstance(preprocessor, (layers.StringLookup, layers.IntegerLookup, layers.Hashing,
                                     layers.Discretization))


class FeatureSpace:
    """Preprocesses a dict of named features. Keras: `keras.utils.FeatureSpace(features,
    output_mode="concat", crosses=None, crossing_dim=32, hashing_dim=32,
    num_discretization_bins=32, name=None)`."""

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or unique_name("float")
        return Feature("float32", _identity_config(f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or unique_name("float_rescaled")
        return Feature("float32", layers.Rescaling(scale=scale, offset=offset,
                                                   name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or unique_name("float_normalized")
        return Feature("float32", layers.Normalization(axis=-1, name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or unique_name("float_discretized")
        return Feature("float32", layers.Discretization(num_bins=num_bins,
                                                        bin_boundaries=bin_boundaries,
                                                        name=f"{name}_preprocessor"), output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        return cls._categorical(layers.IntegerLookup, "int32", name or
                                unique_name("integer_categorical"), max_tokens, num_oov_indices,
                                output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        return cls._categorical(layers.StringLookup, "string", name or
                                unique_name("string_categorical"), max_tokens, num_oov_indices,
                                output_mode)

    @staticmethod
    def _categorical(lookup, dtype, name, max_tokens, num_oov_indices, output_mode):
        return Feature(dtype, lookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                     num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or unique_name("string_hashed")
        return Feature("string", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or unique_name("integer_hashed")
        return Feature("int32", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None):
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.name = name or unique_name("feature_space")
        self.crossing_dim, self.hashing_dim = crossing_dim, hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {n: self._standardize_feature(n, f) for n, f in features.items()}
        self.crosses = []
        for cross in crosses or []:
            if isinstance(cross, dict):
                cross = Cross.from_config(cross.get("config", cross))
            if not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError("When specifying `crosses`, the argument `crossing_dim` "
                                     "(dimensionality of the crossing space) should be "
                                     f"specified as well. Received: crossing_dim={crossing_dim}")
                unknown = [key for key in cross if key not in self.features]
                if unknown:
                    raise ValueError(f"All features referenced in the `crosses` argument should "
                                     f"be present in the `features` dict. Received unknown "
                                     f"features: {cross}")
                cross = Cross(cross, crossing_dim=crossing_dim)
            self.crosses.append(cross)
        self.crosses_by_name = {c.name: c for c in self.crosses}
        # Each cross hashes its features' preprocessed values (Keras's `.crossers`).
        self.crossers = {c.name: layers.HashedCrossing(c.crossing_dim, name=c.name)
                         for c in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of "
                             f"{{'dict', 'concat'}}. Received: output_mode={output_mode}")
        self.output_mode = output_mode
        self.preprocessors = {n: f.preprocessor for n, f in self.features.items()}
        self.inputs = {n: layers.Input(shape=(1,), dtype=f.dtype, name=n)
                       for n, f in self.features.items()}
        self.encoded_features = None
        self.one_hot_encoders = {}
        self._is_adapted = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return Feature.from_config(feature.get("config", feature))
        simple = {"float": self.float, "float_normalized": self.float_normalized,
                  "float_rescaled": self.float_rescaled,
                  "integer_categorical": self.integer_categorical,
                  "string_categorical": self.string_categorical}
        if feature in simple:
            return simple[feature](name=name)
        if feature == "float_discretized":
            return self.float_discretized(name=name, num_bins=self.num_discretization_bins)
        if feature == "integer_hashed":
            return self.integer_hashed(self.hashing_dim, name=name)
        if feature == "string_hashed":
            return self.string_hashed(self.hashing_dim, name=name)
        raise ValueError(f"Invalid feature type: {feature}")

    # -- adapting ------------------------------------------------------------------------
    def _adaptable(self):
        names = []
        for name, p in self.preprocessors.items():
            config = p.get_config() if hasattr(p, "get_config") else {}
            if isinstance(p, layers.Normalization) and p.input_mean is not None or \
                    isinstance(p, (layers.StringLookup, layers.IntegerLookup)) and \
                    config.get("vocabulary") is not None or \
                    isinstance(p, layers.Discretization) and \
                    config.get("bin_boundaries") is not None:
                continue
            if hasattr(p, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Adapts each feature's layer (vocabularies, means and variances, bin boundaries) on
        a dict of arrays, or a dataset whose batches are such dicts."""
        if not isinstance(dataset, dict):
            if hasattr(dataset, "__iter__") and not isinstance(dataset, (str, bytes)):
                batches = [b for b in dataset]
                if not batches or not all(isinstance(b, dict) for b in batches):
                    raise ValueError("`adapt()` takes a dict of arrays or a dataset of dict "
                                     "batches (the features without the labels)")
                dataset = {k: np.concatenate([np.asarray(b[k]) for b in batches])
                           for k in batches[0]}
            else:
                raise ValueError(f"`adapt()` can only be called on a dataset or a dict of "
                                 f"arrays/lists. Received instead: {dataset} (of type "
                                 f"{type(dataset)})")
        for name in self._adaptable():
            if name not in dataset:
                raise ValueError(f"adapt: the data has no feature '{name}' (it has "
                                 f"{sorted(dataset)})")
            self.preprocessors[name].adapt(_column(dataset[name]))
        self._is_adapted = True
        self.get_encoded_features()

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace "
                                 "before you can start using it.")
            self._is_adapted = True

    # -- encoding ------------------------------------------------------------------------
    def _cardinality(self, name):
        p = self.preprocessors.get(name) or self.crossers[name]
        if isinstance(p, (layers.StringLookup, layers.IntegerLookup)):
            return p.vocabulary_size()
        if isinstance(p, layers.Discretization):
            boundaries = p.get_config().get("bin_boundaries")
            return p.num_bins if p.num_bins else len(boundaries) + 1
        if isinstance(p, (layers.Hashing, layers.HashedCrossing)):
            return p.num_bins
        raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a "
                         f"standard feature and the dimensionality of its output space is not "
                         f"known, thus it cannot be one-hot encoded. Try using "
                         f"`output_mode='int'`.")

    def _encode(self, name, out, spec, preprocessor, eager):
        """A preprocessed feature (or cross) `out` one-hot encoded when its spec asks; with
        whether it is left as integer indices."""
        integer = isinstance(preprocessor, layers.HashedCrossing) or _integer_output(preprocessor)
        if spec.output_mode == "one_hot":
            if not integer:
                raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. Thus its "
                                 f"preprocessor should return an integer dtype. Instead it "
                                 f"returns a float32 dtype.")
            if name not in self.one_hot_encoders:
                self.one_hot_encoders[name] = layers.CategoryEncoding(
                    num_tokens=self._cardinality(name), output_mode="multi_hot")
            return self.one_hot_encoders[name](out), False
        if eager:
            out = np.asarray(out).astype("int64" if integer else "float32")
        return out, integer

    def _merged(self, data, eager):
        names = sorted(self.features)
        preprocessed = {}
        for name in names:
            p = self.preprocessors[name]
            # a dict: Keras's pass-through preprocessor
            preprocessed[name] = data[name] if isinstance(p, dict) else p(data[name])
        crossed = {c: self.crossers[c]([preprocessed[n] for n in self.crosses_by_name[c].feature_names])
                   for c in sorted(self.crossers)}
        encoded = {}
        for name, out in [*preprocessed.items(), *crossed.items()]:
            if name in self.features:
                spec, preprocessor = self.features[name], self.preprocessors[name]
            else:
                spec, preprocessor = self.crosses_by_name[name], self.crossers[name]
            out, integer = self._encode(name, out, spec, preprocessor, eager)
            if integer and self.output_mode == "concat":
                raise ValueError(f"Cannot concatenate features because feature '{name}' has not "
                                 f"been encoded (it has dtype int64). Consider using "
                                 f"`output_mode='dict'`.")
            encoded[name] = out
        if self.output_mode == "dict":
            return encoded
        parts = list(encoded.values())
        if eager:
            return np.concatenate([np.asarray(p, "float32") for p in parts], axis=-1)
        return parts[0] if len(parts) == 1 else layers.Concatenate(axis=-1)(parts)

    def get_encoded_features(self):
        """The encoded features of `get_inputs()`, symbolic, for a model that takes the raw
        features (`Model(get_inputs(), head(get_encoded_features()))`). A model trained on
        already encoded features takes `keras.Input(shape=encoded.shape[1:])`: swiftkeras
        builds models from keras.Input tensors, not from a layer's output as Keras's
        tutorial's `Model(inputs=encoded_features, ...)` does."""
        self._check_if_adapted()
        if self.encoded_features is None:
            self.encoded_features = self._merged(self.inputs, eager=False)
        return self.encoded_features

    def get_inputs(self):
        """The raw features' `keras.Input`s by name (shape (1,), the feature's dtype)."""
        self.get_encoded_features()
        return self.inputs

    def __call__(self, data):
        """The encoded features of a dict of arrays (one value per feature for one sample)."""
        self.get_encoded_features()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict. Received: "
                             f"data={data} (of type {type(data)}")
        missing = sorted(set(self.features) - set(data))
        if missing:
            raise ValueError(f"FeatureSpace: the data has no feature(s) {missing}")
        columns, single = {}, False
        for name in self.features:
            x = np.asarray(data[name])
            single = single or x.ndim == 0
            columns[name] = x.reshape(1, 1) if x.ndim == 0 else _column(x)
        merged = self._merged(columns, eager=True)
        if single:
            if self.output_mode == "concat":
                return merged[0]
            return {k: v[0] if v.ndim == 2 and v.shape[0] == 1 else v for k, v in merged.items()}
        return merged

    # -- config --------------------------------------------------------------------------
    def get_config(self):
        return {"features": {n: {"module": "keras.src.layers.preprocessing.feature_space",
                                 "class_name": "Feature", "config": f.get_config(),
                                 "registered_name": "Feature"}
                             for n, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [{"module": "keras.src.layers.preprocessing.feature_space",
                             "class_name": "Cross", "config": c.get_config(),
                             "registered_name": "Cross"} for c in self.crosses],
                "crossing_dim": self.crossing_dim,
                "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def save(self, filepath):
        """Writes the FeatureSpace to a `.keras` file, which `keras.models.load_model` reads
        back as a FeatureSpace ready to use (Keras: `FeatureSpace.save`). Its config.json is
        Keras's (`{"module": "keras.utils", "class_name": "FeatureSpace", ...}`), with what
        adapt learned written into each preprocessor's config (vocabularies, normalization
        mean and variance, bin boundaries), as those layers' arguments hold it."""
        import datetime
        import json
        import os
        import zipfile
        from . import __version__
        path = os.fspath(filepath)
        if not path.endswith(".keras"):
            raise ValueError(f"Invalid `filepath` argument: expected a `.keras` extension. "
                             f"Received: filepath={path}")
        self._check_if_adapted()
        config = self.get_config()
        for name, feature in self.features.items():
            p = feature.preprocessor
            if isinstance(p, layers.Normalization) and p.input_mean is None:
                mean, variance = (np.asarray(w).tolist() for w in p.get_weights()[:2])
                config["features"][name]["config"]["preprocessor"]["config"].update(
                    mean=mean, variance=variance)
        saved = {"module": "keras.utils", "class_name": "FeatureSpace", "config": config,
                 "registered_name": None}
        metadata = {"keras_version": f"swiftkeras {__version__}",
                    "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("metadata.json", json.dumps(metadata))
            archive.writestr("config.json", json.dumps(saved))


def load_saved(config):
    """The FeatureSpace a `.keras` file's config.json describes (`FeatureSpace.save`), or None
    when the file holds something else."""
    if not isinstance(config, dict) or config.get("class_name") != "FeatureSpace":
        return None
    return FeatureSpace.from_config(config["config"])


def _column(x):
    """A feature's values as a (samples, 1) column."""
    x = np.asarray(x)
    return x.reshape(-1, 1) if x.ndim <= 1 else x
