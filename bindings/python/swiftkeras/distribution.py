"""keras.distribution: Keras 3's device meshes, tensor layouts and distributions, for the one
device the library computes on ("cpu:0").

A program written for Keras's distribution API runs unchanged: a `DataParallel` or
`ModelParallel` distribution set globally or by `scope()` is recorded, layouts are looked up
as Keras looks them up (a `LayoutMap` key is a regex matched against a variable's path), and on
one device every layout places the whole tensor on it, so the numbers are those of the plain
program, as Keras's are on one device.

    mesh = keras.distribution.DeviceMesh((1,), ["batch"])
    keras.distribution.set_distribution(keras.distribution.DataParallel(device_mesh=mesh))
"""

import collections.abc
import contextlib
import math
import warnings

import numpy as np

from . import _global_state, _path_maps

__all__ = ["DataParallel", "DeviceMesh", "LayoutMap", "ModelParallel", "TensorLayout",
           "distribute_tensor", "distribution", "get_device_count", "initialize", "list_devices",
           "set_distribution"]

_DEVICES = {"cpu": ["cpu:0"]}
DEFAULT_BATCH_DIM_NAME = "batch"
_ATTRIBUTE = "distribution"   # a session setting: clear_session() forgets it, as Keras's does


def list_devices(device_type=None):
    """The devices of `device_type` ("cpu", "gpu", "tpu"; default: the library's own), as
    "type:id" strings. The library computes on the CPU only."""
    kind = "cpu" if device_type is None else str(device_type).lower()
    if kind not in _DEVICES:
        raise RuntimeError(f"Unknown backend: '{device_type}' requested, but no platforms that "
                           f"are instances of {device_type} are present. Platforms present are: "
                           f"{', '.join(_DEVICES)}")
    return list(_DEVICES[kind])


def get_device_count(device_type=None):
    """How many devices of `device_type` there are (see `list_devices`)."""
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Joins a multi-process cluster. The library runs in one process: a cluster of one is
    accepted, more processes are refused by name."""
    if num_processes is not None and int(num_processes) != 1:
        raise ValueError(f"keras.distribution.initialize: num_processes={num_processes}, but "
                         f"this library computes in one process on one device")
    if process_id is not None and int(process_id) != 0:
        raise ValueError(f"keras.distribution.initialize: process_id={process_id}, but the "
                         f"only process is 0")


class DeviceMesh:
    """A grid of devices with named axes (`shape`, `axis_names`, `devices`, by default all
    of `list_devices()`)."""

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(f"Shape and axis_names cannot be empty. Received: shape={shape}, "
                             f"axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(f"Shape and axis_names should have same size. Received: "
                             f"shape={shape}, axis_names={axis_names}")
        devices = np.array(list_devices() if devices is None else devices)
        if math.prod(shape) != devices.size:
            raise ValueError(f"Shape does not match the number of devices. Received: "
                             f"shape={shape}; devices.shape={devices.shape}")
        self._shape, self._axis_names = shape, axis_names
        self._devices = np.reshape(devices, shape)

    shape = property(lambda self: self._shape)
    axis_names = property(lambda self: self._axis_names)
    devices = property(lambda self: self._devices)

    def __repr__(self):
        return f"<{type(self).__name__} shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How a tensor's axes map onto a mesh's axes (`None`: not split)."""

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    axes = property(lambda self: self._axes)

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(f"Cannot override device mesh value. Existing value is "
                             f"{self._device_mesh}")
        self._device_mesh = device_mesh
        self._validate_axes()

    def _validate_axes(self):
        if self._device_mesh:
            valid, named = set(self._device_mesh.axis_names), set(self._axes) - {None}
            if named - valid:
                raise ValueError(f"Invalid axis names for Layout. Valid axis names: {valid}, "
                                 f"Got {named}")

    def __repr__(self):
        return f"<{type(self).__name__} axes={self.axes}, device_mesh={self.device_mesh}>"


class Distribution:
    """The base of the distributions: a mesh, the axis data is split on, and a scope that
    makes the distribution current."""

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self.auto_shard_dataset = auto_shard_dataset

    device_mesh = property(lambda self: self._device_mesh)
    batch_dim_name = property(lambda self: self._batch_dim_name)
    num_processes = property(lambda self: 1)

    @property
    def num_model_replicas(self):
        raise NotImplementedError()

    @property
    def data_shard_id(self):
        return 0   # (the one process)

    def get_data_layout(self, data_shape):
        """Input data is split along its first axis over the batch axis of the mesh."""
        axes = [None] * len(data_shape)
        axes[0] = self.batch_dim_name
        return TensorLayout(axes, self.device_mesh)

    def get_variable_layout(self, variable):
        raise NotImplementedError()

    def get_tensor_layout(self, path):
        raise NotImplementedError()

    @contextlib.contextmanager
    def scope(self):
        """Makes this the current distribution inside the `with` block."""
        before = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(before)

    def distribute_dataset(self, dataset):
        """The dataset each process reads: with one process, the whole dataset."""
        return dataset

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


def _replicated(variable, mesh):
    return getattr(variable, "_layout", None) or TensorLayout([None] * len(variable.shape), mesh)


class DataParallel(Distribution):
    """Data parallelism: variables are replicated, data split along the batch axis; made from
    a 1-D `device_mesh`, a list of `devices`, or all devices."""

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(f"Expect `mesh` to be an instance of `DeviceMesh`. Received: "
                                 f"mesh={device_mesh} (of type {type(device_mesh)})")
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            if device_mesh.devices.ndim != 1:
                warnings.warn(f"Expect the input mesh to be 1D, but received "
                              f"mesh.devices.ndim={device_mesh.devices.ndim}. The first axis "
                              f"will be used for data-parallel sharding.", stacklevel=2)
            return
        devices = np.array(devices if devices else list_devices())
        mesh = DeviceMesh(devices.shape, [DEFAULT_BATCH_DIM_NAME], devices)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size

    def get_variable_layout(self, variable):
        return _replicated(variable, self.device_mesh)

    def get_tensor_layout(self, path):
        return None


class ModelParallel(Distribution):
    """Variables split as a `LayoutMap` says (by their paths), data along `batch_dim_name`
    (default: the mesh's first axis)."""

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True,
                 **kwargs):
        kwargs.pop("device_mesh", None)
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(f"Argument `layout_map` must be a `LayoutMap` instance. Received: "
                             f"layout_map={layout_map}")
        mesh = layout_map.device_mesh
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0], auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def num_model_replicas(self):
        return self.device_mesh.shape[self.device_mesh.axis_names.index(self.batch_dim_name)]

    def get_variable_layout(self, variable):
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        return self._layout_map[variable.path] or _replicated(variable, self.device_mesh)

    def get_tensor_layout(self, path):
        return self._layout_map[path]


class LayoutMap(collections.abc.MutableMapping):
    """Variable paths to `TensorLayout`s. A key is a regex: a path with no exact key gets the
    layout of the one key that fully matches it (several matching keys are an error, none gives
    None). A tuple of axis names is taken as a layout on this map's mesh."""

    def __init__(self, device_mesh):
        self._layout_map = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key):
        return _path_maps.lookup(self._layout_map, key, "layout", "LayoutMap")

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(f"{key} already exist in the LayoutMap with value "
                             f"{self._layout_map[key]}. Please make sure to not use "
                             f"duplicated keys.")
        if isinstance(layout, tuple):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(f"{layout} should be a TensorLayout type, got {type(layout)}")
        if layout.device_mesh is None and self.device_mesh is not None:
            layout.device_mesh = self.device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    device_mesh = property(lambda self: self._device_mesh)


def distribute_tensor(tensor, layout):
    """`tensor` laid out as `layout` says: on one device, the same values (a symbolic tensor
    is returned as it is, as in Keras)."""
    from .layers import KerasTensor
    if isinstance(tensor, KerasTensor):
        return tensor
    if not isinstance(layout, TensorLayout):
        raise ValueError(f"distribute_tensor: `layout` must be a keras.distribution."
                         f"TensorLayout, got {type(layout).__name__}")
    value = np.asarray(tensor)
    if len(layout.axes) != value.ndim:
        raise ValueError(f"distribute_tensor: a layout of {len(layout.axes)} axes "
                         f"{layout.axes} for a tensor of shape {value.shape}")
    return tensor


def distribution():
    """The current distribution (None when none is set)."""
    return _global_state.get_global_attribute(_ATTRIBUTE)


def set_distribution(value):
    """Makes `value` (a Distribution, or None) the current distribution."""
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(f"set_distribution: expected a keras.distribution.Distribution or None, "
                         f"got {type(value).__name__}")
    _global_state.set_global_attribute(_ATTRIBUTE, value)
