"""`keras.saving.KerasFileEditor`: a `.keras` or `.weights.h5` file's weights as nested dicts
of numpy arrays (Keras's object paths: "layers" / "dense" / "0"), to inspect (`summary`),
check against a model (`compare`), edit (rename, delete and add objects and weights) and
write back as a `.weights.h5` file that `load_weights` reads, here and in Keras. Reads and
writes HDF5 with h5py, as Keras's does. Keras: keras/src/saving/file_editor.py."""

import collections
import io
import json
import math
import os
import zipfile


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("KerasFileEditor reads and writes HDF5 files with h5py: "
                          "`pip install h5py`") from None
    return h5py


class KerasFileEditor:
    """`KerasFileEditor(filepath)`: the file's weights (`weights_dict`), its config and metadata
    (a `.keras` file's), printed on opening as Keras prints them (without colours)."""

    def __init__(self, filepath):
        h5py = _h5py()
        filepath = os.fspath(filepath)
        self.filepath = filepath
        self.metadata = None
        self.config = None
        self.model = None
        if filepath.endswith(".keras"):
            with zipfile.ZipFile(filepath, "r") as archive:
                data = archive.read("model.weights.h5")
                self.config = json.loads(archive.read("config.json"))
                self.metadata = json.loads(archive.read("metadata.json"))
            h5 = h5py.File(io.BytesIO(data), "r")
        elif filepath.endswith(".weights.h5"):
            h5 = h5py.File(filepath, "r")
        else:
            raise ValueError(f"Invalid filename: expected a `.keras` `.weights.h5` extension. "
                             f"Received: filepath={filepath}")
        with h5:
            self.weights_dict, self.object_metadata = _extract(h5py, h5)
        print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            print(f"Saved with Keras {self.metadata.get('keras_version')} - date: "
                  f"{self.metadata.get('date_saved')}")

    # -- inspecting ----------------------------------------------------------------------
    def summary(self):
        """Prints the weights' tree: objects, and each weight's shape and dtype."""
        print("Weights structure")
        for line in _tree_lines(self.weights_dict, self.object_metadata, prefix="  "):
            print(line)

    def compare(self, reference_model):
        """Checks the file's weights against `reference_model`'s (the objects and weights each
        has that the other lacks, shapes that differ); prints what differs and returns
        `{"status": "success" | "error", "error_count", "match_count"}` as Keras's."""
        print("Running comparison")
        ref_spec = _weights_of_model(reference_model)
        checked = set()

        def compare(target, ref, inner_path, target_name, ref_name, errors, matches):
            # Keras's counting: a nested object's call starts from the counts so far, which are
            # then added to them again (its match_count is not a count of distinct weights).
            for key, value in ref.items():
                path = f"{inner_path}/{key}"
                if path in checked:
                    continue
                if key not in target:
                    errors += 1
                    checked.add(path)
                    if isinstance(value, dict):
                        print(f"...Object {path} present in {ref_name}, missing from {target_name}")
                        print(f"    In {ref_name}, {path} contains the following keys: "
                              f"{list(value.keys())}")
                    else:
                        print(f"...Weight {path} present in {ref_name}, missing from {target_name}")
                elif isinstance(value, dict):
                    e, m = compare(target[key], value, path, target_name, ref_name, errors, matches)
                    errors, matches = errors + e, matches + m
                elif target[key].shape != value.shape:
                    errors += 1
                    checked.add(path)
                    print(f"...Weight shape mismatch for {path}\n    In {ref_name}: "
                          f"shape={value.shape}\n    In {target_name}: shape={target[key].shape}")
                else:
                    matches += 1
            return errors, matches

        errors, matches = compare(self.weights_dict, ref_spec, "", "saved file", "reference model",
                                  0, 0)
        errors += compare(ref_spec, self.weights_dict, "", "reference model", "saved file", 0, 0)[0]
        print("─────────────────────")
        if errors == 0:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        else:
            print(f"Found {errors} error{'' if errors == 1 else 's'}: saved file is not compatible "
                  f"with the reference model")
        return {"status": "success" if errors == 0 else "error", "error_count": errors,
                "match_count": matches}

    # -- editing -------------------------------------------------------------------------
    def _edit_object(self, edit, source_name, target_name=None):
        """`edit(parent_dict, source_name, target_name)` on the object `source_name`: a full
        path, or a name that occurs once in the tree."""
        if target_name is not None and "/" in target_name:
            raise ValueError(f"Argument `target_name` should be a leaf name, not a full path "
                             f"name. Received: target_name='{target_name}'")
        if "/" in source_name:
            parent = self._parent(source_name, f"Path '{source_name}' not found in model.")
            leaf = source_name.split("/")[-1]
            if leaf not in parent:
                raise ValueError(f"Path '{source_name}' not found in model.")
            edit(parent, leaf, target_name)
            return

        def count(d, found=0):   # as Keras counts (nested counts added to the running count)
            for k in d:
                if isinstance(d[k], dict):
                    found += count(d[k], found)
            return found + (source_name in d)
        occurrences = count(self.weights_dict)
        if occurrences > 1:
            raise ValueError(f"Name '{source_name}' occurs more than once in the model; try "
                             f"passing a complete path")
        if occurrences == 0:
            raise ValueError(f"Source name '{source_name}' does not appear in the model. Use "
                             f"`editor.weights_summary()` to list all objects.")

        def visit(d):
            for k in list(d):
                if k in d and isinstance(d[k], dict):
                    visit(d[k])
            if source_name in d:
                edit(d, source_name, target_name)
        visit(self.weights_dict)

    def _parent(self, path, message):
        d = self.weights_dict
        for element in path.split("/")[:-1]:
            if element not in d:
                raise ValueError(message)
            d = d[element]
        return d

    def rename_object(self, object_name, new_name):
        """Renames the object (a path, or a name that occurs once) to the leaf name `new_name`."""
        def rename(d, source, target):
            d[target] = d.pop(source)
        self._edit_object(rename, object_name, new_name)

    def delete_object(self, object_name):
        """Removes the object and its weights."""
        self._edit_object(lambda d, source, target: d.pop(source), object_name)

    def add_object(self, object_path, weights):
        """Adds an object at `object_path` holding `weights` ({"0": array, ...})."""
        _check_weights(weights)
        if "/" in object_path:
            partial = "/".join(object_path.split("/")[:-1])
            self._parent(object_path, f"Path '{partial}' not found in model.")[
                object_path.split("/")[-1]] = weights
        else:
            self.weights_dict[object_path] = weights

    def delete_weight(self, object_name, weight_name):
        """Removes one weight ("0", "1", ...) of the object."""
        def delete(d, source, target):
            if weight_name not in d[source]:
                raise ValueError(f"Weight {weight_name} not found in object {object_name}. "
                                 f"Weights found: {list(d[source].keys())}")
            d[source].pop(weight_name)
        self._edit_object(delete, object_name)

    def add_weights(self, object_name, weights):
        """Adds (or replaces) weights of the object: {"name": array, ...}."""
        _check_weights(weights)
        self._edit_object(lambda d, source, target: d[source].update(weights), object_name)

    def save(self, filepath):
        """Writes the (edited) weights to a `.weights.h5` file in Keras's layout (each object's
        weights in its group's "vars")."""
        h5py = _h5py()
        filepath = os.fspath(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(f"Invalid `filepath` argument: expected a `.weights.h5` extension. "
                             f"Received: filepath={filepath}")
        with h5py.File(filepath, "w") as h5:
            _write(h5, self.weights_dict, "")

    def resave_weights(self, filepath):
        self.save(filepath)


def _check_weights(weights):
    if not isinstance(weights, dict):
        raise ValueError(f"Argument `weights` should be a dict where keys are weight names "
                         f"(usually '0', '1', etc.) and values are NumPy arrays. Received: "
                         f"type(weights)={type(weights)}")


def _extract(h5py, group, metadata=None, inner_path=""):
    """The group's weights as nested dicts ("vars" groups folded into their object), with the
    attributes of each group by path; links and external or virtual datasets are refused, as
    are datasets too large to read safely (Keras's checks)."""
    metadata = metadata if metadata is not None else {}
    attributes = dict(group.attrs.items())
    if attributes:
        metadata[inner_path] = attributes
    result = collections.OrderedDict()
    for key in group.keys():
        path = f"{inner_path}/{key}"
        link = group.get(key, default=None, getclass=True, getlink=True)
        if link in (h5py.ExternalLink, h5py.SoftLink):
            raise ValueError(f"Not allowed: H5 file with {link.__name__}")
        value = group[key]
        if isinstance(value, h5py.Group):
            if len(value) == 0:
                continue
            if "vars" in value.keys():
                if len(value["vars"]) == 0:
                    continue
                value = value["vars"]
            result[key], metadata = _extract(h5py, value, metadata, path)
            continue
        if not isinstance(value, h5py.Dataset):
            continue
        if value.external:
            raise ValueError(f"Not allowed: H5 file Dataset with external links: {value.external}")
        if value.is_virtual:
            raise ValueError(f"Not allowed: H5 file with virtual Dataset at {path}")
        if any(d < 0 for d in value.shape):
            raise ValueError("Malformed HDF5 dataset shape encountered in .keras file; negative "
                             "dimension detected.")
        if len(value.shape) > 64:
            raise ValueError("Malformed HDF5 dataset shape encountered in .keras file; tensor rank "
                             "exceeds safety limit.")
        size = math.prod(value.shape) * value.dtype.itemsize
        if size > 1 << 32:
            raise ValueError(f"HDF5 dataset too large to load safely ({size} bytes; limit is "
                             f"{1 << 32}).")
        result[key] = value[()]
    return result, metadata


def _write(h5, weights, inner_path):
    """Keras's layout: an object's own weights in `<path>/vars`, its sub-objects under
    `<path>/<name>`; empty objects are left out."""
    own = {}
    for name, value in weights.items():
        if isinstance(value, dict):
            if value:
                _write(h5, value, os.path.join(inner_path, name))
        else:
            own[name] = value
    if own:
        group = h5.require_group(inner_path).require_group("vars") if inner_path else \
            h5.require_group("vars")
        for name, value in own.items():
            import numpy as np
            group[name] = np.asarray(value)


def _tree_lines(weights, object_metadata, prefix="", inner_path="", is_first=True):
    lines = []
    items = list(weights.items())
    for i, (key, value) in enumerate(items):
        inner_path = os.path.join(inner_path, key)
        if is_first:
            is_first, connector = False, "> "
        else:
            connector = "└─ " if i == len(items) - 1 else "├─ "
        if isinstance(value, dict):
            label = f"{prefix}{connector}{key}"
            name = object_metadata.get(inner_path, {}).get("name")
            if name is not None:
                label += f" ('{name}')"
            lines.append(label)
            lines += _tree_lines(value, object_metadata,
                                 prefix + ("    " if i == len(items) - 1 else "│   "),
                                 inner_path, is_first)
        elif hasattr(value, "shape"):
            lines.append(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")
        else:
            lines.append(f"{prefix}{connector}{key}: {value}")
    return lines


def _weights_of_model(model):
    """A model's weights (and its optimizer's, once built) as the nested dicts its
    `.weights.h5` file holds, in Keras's object paths."""
    import tempfile
    h5py = _h5py()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "reference.weights.h5")
        model.save_weights(path)
        with h5py.File(path, "r") as h5:
            spec = _extract(h5py, h5)[0]
    # Keras walks the model's layers in their order (the file lists them by name): the
    # layers' entries, named as the file names them (class name in snake case, numbered), so.
    layers = spec.get("layers")
    if isinstance(layers, dict):
        from ._objects import snake_case
        used, order = {}, []
        for layer in getattr(model, "layers", []):
            name = snake_case(type(layer).__name__ if not hasattr(layer, "class_name") else
                              layer.class_name)
            used[name] = used.get(name, -1) + 1
            order.append(name if used[name] == 0 else f"{name}_{used[name]}")
        ordered = [k for k in order if k in layers]
        spec["layers"] = collections.OrderedDict(
            [(k, layers[k]) for k in ordered] + [(k, v) for k, v in layers.items() if k not in ordered])
    return spec
