"""Shared test set-up: hypothesis profiles and the GPU marker."""

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

        cupy.zeros(1).sum().item()
        return True
    except Exception:
        return False


def pytest_collection_modifyitems(config, items):
    if _cupy_usable():
        return
    skip = pytest.mark.skip(reason="needs CuPy and a usable CUDA device")
    for item in items:
        if item.get_closest_marker("gpu") is not None:  # not `in item.keywords`: a parameter id "gpu" matches that
            item.add_marker(skip)
