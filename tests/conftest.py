"""Shared test set-up: hypothesis profiles, the GPU marker and the numpy_only marker.

* ``gpu`` tests need CuPy on a real CUDA device; they are skipped elsewhere,
  including under the CPU stand-in for CuPy (``tests/cupy_standin``).
* ``numpy_only`` tests are about the NumPy backend itself (or start the
  stand-in run); they are skipped when ``MINIGAN_BACKEND`` is not numpy.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def _cupy_usable():
    try:
        import cupy

        if getattr(cupy, "MINIGAN_STANDIN", False):
            return False  # the CPU stand-in proves the code path, not a device
        cupy.zeros(1).sum().item()
        return True
    except Exception:
        return False


def _backend_name():
    import minigan

    return minigan.BACKEND


def pytest_collection_modifyitems(config, items):
    skip_gpu = None if _cupy_usable() else pytest.mark.skip(reason="needs CuPy and a usable CUDA device")
    skip_numpy = None if _backend_name() == "numpy" else pytest.mark.skip(reason="about the NumPy backend only")
    for item in items:
        # get_closest_marker, not `in item.keywords`: a parameter id "gpu" matches that
        if skip_gpu is not None and item.get_closest_marker("gpu") is not None:
            item.add_marker(skip_gpu)
        if skip_numpy is not None and item.get_closest_marker("numpy_only") is not None:
            item.add_marker(skip_numpy)
