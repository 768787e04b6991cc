"""The one piece of ``cupyx`` that minigan uses, for the CPU stand-in of CuPy (see ``cupy/__init__.py``)."""

import cupy as _cupy
import numpy as _np


def scatter_add(a, slices, value):
    """``a[slices] += value`` with repeated indices adding up; out-of-range integer indices wrap (as CuPy's do)."""
    if not isinstance(a, _cupy.ndarray):
        raise TypeError(f"cupyx.scatter_add takes a cupy.ndarray, got {type(a)!r}")
    index = _cupy._device_index(slices, a.shape)
    if isinstance(value, _np.ndarray):
        _cupy._host_refused(value)
    _np.add.at(a._a, index, value._a if isinstance(value, _cupy.ndarray) else value)
