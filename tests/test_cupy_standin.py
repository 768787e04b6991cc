"""The CuPy code path, without a GPU: the strict CPU stand-in for CuPy, and the whole suite run on it.

``tests/cupy_standin`` holds a ``cupy`` (and ``cupyx``) written from CuPy's
documentation: its own array type, no implicit host conversion, no mixing of
host and device arrays, out-of-range integer indices that wrap around. The
first tests check that the stand-in really keeps those rules (else it would
prove nothing); the last runs every backend-agnostic test of the suite with
``MINIGAN_BACKEND=cupy`` on it, so each ``pytest`` run covers the CuPy path.
It proves the code path (types, transfers, mixing rules), not GPU numerics.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
STANDIN = REPO / "tests" / "cupy_standin"
# Left to the NumPy run: the lessons (their own kernels, minutes each) and the files that only read
# text and source code (links in the docs, the layout of the package), where no array is ever made.
NOT_ON_STANDIN = ["tests/test_notebooks.py", "tests/test_docs_links.py", "tests/test_layout.py"]

pytestmark = pytest.mark.numpy_only


@pytest.fixture(scope="module")
def cupy():
    """The stand-in, imported as ``cupy`` (and its ``cupyx``) for this module only."""
    saved = {name: sys.modules.get(name) for name in ("cupy", "cupyx")}
    modules = {}
    for name in ("cupy", "cupyx"):
        spec = importlib.util.spec_from_file_location(name, STANDIN / name / "__init__.py")
        modules[name] = importlib.util.module_from_spec(spec)
        sys.modules[name] = modules[name]
        spec.loader.exec_module(modules[name])
    yield modules["cupy"]
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module


@pytest.fixture(scope="module")
def cupyx(cupy):
    return sys.modules["cupyx"]


def test_its_array_is_its_own_type(cupy):
    a = cupy.asarray([1.0, 2.0])
    assert isinstance(a, cupy.ndarray) and not isinstance(a, np.ndarray)
    assert not issubclass(cupy.ndarray, np.ndarray)


@pytest.mark.parametrize("convert", [np.asarray, np.array, lambda a: np.concatenate([np.zeros(2), a]),
                                     lambda a: memoryview(a)])
def test_no_implicit_conversion_to_the_host(cupy, convert):
    with pytest.raises(TypeError):
        convert(cupy.asarray([1.0, 2.0]))


@pytest.mark.parametrize("mix", [
    lambda a: a + np.ones(2), lambda a: np.ones(2) + a, lambda a: a * [1.0, 2.0],
    lambda a: np.add(a, np.ones(2)), lambda a: a.__iadd__(np.ones(2)),
])
def test_mixing_host_and_device_arrays_raises(cupy, mix):
    with pytest.raises(TypeError):
        mix(cupy.asarray([1.0, 2.0]))


def test_its_functions_refuse_host_arrays_and_ufuncs_refuse_lists(cupy):
    with pytest.raises(TypeError):
        cupy.concatenate([cupy.zeros(2), np.zeros(2)])
    with pytest.raises(TypeError):
        cupy.exp([1.0, 2.0])
    with pytest.raises(TypeError):
        cupy.exp(np.zeros(2))


def test_scalars_and_explicit_transfers_are_allowed(cupy):
    a = cupy.asarray(np.arange(3.0))
    assert isinstance(cupy.asnumpy(a), np.ndarray) and isinstance(a.get(), np.ndarray)
    assert (a * np.float32(2)).tolist() == [0.0, 2.0, 4.0] and (2 * a).tolist() == [0.0, 2.0, 4.0]
    total = a.sum()
    assert isinstance(total, cupy.ndarray) and total.shape == ()  # reductions give 0-d arrays, as CuPy's do
    assert float(total) == 3.0 and total.item() == 3.0 and isinstance(a[0], cupy.ndarray)
    assert isinstance(np.exp(a), cupy.ndarray)  # NumPy's ufuncs dispatch to the device array


def test_setting_items_takes_device_arrays_or_scalars(cupy):
    a = cupy.zeros(3)
    a[...] = cupy.asarray([1.0, 2.0, 3.0])
    a[0] = 5.0
    assert a.tolist() == [5.0, 2.0, 3.0]
    for value in ([1.0, 2.0, 3.0], np.ones(3)):
        with pytest.raises(TypeError):
            a[...] = value


def test_out_of_range_integer_indices_wrap_around(cupy, cupyx):
    a = cupy.asarray([10.0, 20.0, 30.0])
    assert a[cupy.asarray([0, 3, -4])].tolist() == [10.0, 10.0, 30.0]
    b = cupy.zeros((2, 3))
    b[:, [4]] = 1.0
    assert b.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    c = cupy.zeros(3)
    cupyx.scatter_add(c, cupy.asarray([3, 3]), cupy.asarray([1.0, 2.0]))
    assert c.tolist() == [3.0, 0.0, 0.0]


def test_views_write_through(cupy):
    a = cupy.zeros((2, 2))
    a.reshape(4)[1] = 7.0
    a[1] += 1.0
    assert a.tolist() == [[0.0, 7.0], [1.0, 1.0]]


def test_the_library_sees_the_standin_in_a_fresh_interpreter():
    code = (
        "import cupy, minigan as mg, numpy\n"
        "x = mg.tensor([1.0, 2.0])\n"
        "assert cupy.MINIGAN_STANDIN and mg.BACKEND == 'cupy'\n"
        "assert isinstance(x.data, cupy.ndarray) and not isinstance(x.data, numpy.ndarray)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=standin_env(),
                            cwd=REPO, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def standin_env():
    env = dict(os.environ, MINIGAN_BACKEND="cupy")
    env["PYTHONPATH"] = os.pathsep.join([str(STANDIN), str(REPO), env.get("PYTHONPATH", "")])
    env.setdefault("HYPOTHESIS_PROFILE", "ci")
    return env


@pytest.mark.slow
def test_the_whole_suite_passes_on_the_cupy_code_path():
    """Every test not marked numpy_only (or gpu), with MINIGAN_BACKEND=cupy on the stand-in."""
    ignore = [f"--ignore={path}" for path in NOT_ON_STANDIN if (REPO / path).exists()]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not numpy_only",
               "-x", *ignore, str(REPO / "tests")]
    result = subprocess.run(command, capture_output=True, text=True, env=standin_env(), cwd=REPO, timeout=900)
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, f"the suite fails on the CuPy code path:\n{report}"
    assert " passed" in result.stdout


def test_array_functions_refuse_lists_where_cupy_wants_device_arrays(cupy):
    for call in (lambda: cupy.sum([1.0, 2.0]), lambda: cupy.stack([[1.0], [2.0]]),
                 lambda: cupy.concatenate([cupy.zeros(1), [1.0]])):
        with pytest.raises(TypeError):
            call()
    assert cupy.stack([cupy.zeros(2), cupy.ones(2)]).shape == (2, 2)
    assert cupy.zeros((2, 3)).reshape([3, 2]).shape == (3, 2)  # shapes may still be lists
