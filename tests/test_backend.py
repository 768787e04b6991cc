"""The backend switch (MINIGAN_BACKEND), its error messages, the one-importer rule, and seeding.

The switch is read once, at import, so the error paths run either in a fresh
interpreter (a subprocess) or through the backend's internal functions with a
fake environment and a fake ``cupy`` module: the process under test keeps its
real backend.
"""

import ast
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan.backend import BackendError

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "minigan"


def run_python(code, backend_name=None, extra_path=None):
    """Run ``code`` in a fresh interpreter that imports minigan from this checkout."""
    env = dict(os.environ)
    env.pop("MINIGAN_BACKEND", None)
    if backend_name is not None:
        env["MINIGAN_BACKEND"] = backend_name
    paths = [str(p) for p in (extra_path, REPO) if p is not None]
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def one_sentence(message):
    """One sentence: a single full stop, at the end (dots inside quotes such as "minigan[gpu]" aside)."""
    return message.endswith(".") and ". " not in message


# --------------------------------------------------------------------- reading MINIGAN_BACKEND


@pytest.mark.parametrize("value, name", [
    ("numpy", "numpy"), ("NumPy", "numpy"), (" NUMPY ", "numpy"), ("", "numpy"), ("cupy", "cupy"), ("CuPy", "cupy"),
])
def test_backend_name_is_case_insensitive(value, name):
    assert backend._read_backend_name({"MINIGAN_BACKEND": value}) == name


def test_backend_defaults_to_numpy():
    assert backend._read_backend_name({}) == "numpy"


@pytest.mark.parametrize("value", ["torch", "gpu", "numpyy", "cuda"])
def test_unknown_backend_lists_the_valid_values(value):
    with pytest.raises(BackendError) as info:
        backend._read_backend_name({"MINIGAN_BACKEND": value})
    message = str(info.value)
    assert repr(value) in message and "numpy, cupy" in message and one_sentence(message)


def test_unknown_backend_fails_the_import_with_that_message():
    result = run_python("import minigan", backend_name="tensorflow")
    assert result.returncode != 0
    assert "MINIGAN_BACKEND='tensorflow' is not a backend minigan knows; use one of: numpy, cupy." in result.stderr


def test_the_variable_is_read_case_insensitively_at_import():
    result = run_python("import minigan; print(minigan.BACKEND)", backend_name=" NumPy ")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "numpy"


# --------------------------------------------------------------------- cupy missing, or present without a device


def fake_cupy(is_available=True, allocation_error=None):
    module = types.ModuleType("cupy")
    module.is_available = lambda: is_available

    def zeros(*args, **kwargs):
        if allocation_error is not None:
            raise allocation_error
        return np.zeros(*args, **kwargs)

    module.zeros = zeros
    return module


class CUDARuntimeError(RuntimeError):
    """Stands in for cupy_backends.cuda.api.runtime.CUDARuntimeError."""


def test_cupy_not_installed_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    with pytest.raises(BackendError) as info:
        backend._import_cupy()
    message = str(info.value)
    assert 'pip install -e ".[gpu]"' in message and one_sentence(message)


def test_cupy_without_a_device_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(is_available=False))
    with pytest.raises(BackendError) as info:
        backend._import_cupy()
    message = str(info.value)
    assert "no usable CUDA device" in message and one_sentence(message)


def test_cupy_whose_first_allocation_fails_says_so(monkeypatch):
    error = CUDARuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime")
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(is_available=True, allocation_error=error))
    with pytest.raises(BackendError) as info:
        backend._import_cupy()
    message = str(info.value)
    assert "no usable CUDA device" in message and one_sentence(message)


def test_a_working_cupy_is_returned(monkeypatch):
    module = fake_cupy(is_available=True)
    monkeypatch.setitem(sys.modules, "cupy", module)
    assert backend._import_cupy() is module


@pytest.mark.parametrize("package, expected", [
    ('raise ImportError("No module named cupy")', 'pip install -e ".[gpu]"'),
    ("def is_available():\n    return False\n", "no usable CUDA device"),
    (
        "class CUDARuntimeError(RuntimeError):\n    pass\n"
        "def is_available():\n    return True\n"
        "def zeros(*a, **k):\n    raise CUDARuntimeError('cudaErrorInsufficientDriver')\n",
        "no usable CUDA device",
    ),
])
def test_cupy_errors_at_import_in_a_fresh_interpreter(tmp_path, package, expected):
    (tmp_path / "cupy").mkdir()
    (tmp_path / "cupy" / "__init__.py").write_text(textwrap.dedent(package))
    result = run_python("import minigan", backend_name="CUPY", extra_path=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr   # one sentence, not the import traceback
    last_line = lines[0]
    assert last_line.startswith("error: MINIGAN_BACKEND=cupy but")
    assert expected in last_line


# --------------------------------------------------------------------- only backend.py imports numpy or cupy


def imported_array_modules(path):
    """Names of numpy / cupy / cupyx modules that the file at ``path`` imports (statically or via importlib)."""
    banned = {"numpy", "cupy", "cupyx"}
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in banned]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in banned:
                found.append(node.module)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("import_module", "__import__") and str(node.args[0].value).split(".")[0] in banned:
                found.append(node.args[0].value)
    return found


def test_only_backend_py_imports_numpy_or_cupy():
    offenders = {}
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        if path == PACKAGE / "backend.py":
            continue
        names = imported_array_modules(path)
        if names:
            offenders[str(path.relative_to(REPO))] = names
    assert not offenders, f"only minigan/backend.py may import numpy or cupy (use minigan.backend.xp): {offenders}"


def test_the_import_scan_catches_every_form(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text(
        "import numpy as np\nfrom cupy import ndarray\nimport cupyx.scipy\nimport importlib\n"
        "importlib.import_module('numpy.linalg')\nfrom . import numpy\nimport os\n"
    )
    assert imported_array_modules(source) == ["numpy", "cupy", "cupyx.scipy", "numpy.linalg"]


# --------------------------------------------------------------------- seeding and helpers


def test_manual_seed_makes_random_draws_reproducible():
    def draws():
        return [backend.to_numpy(a) for a in (backend.randn(2, 3), backend.rand(4), backend.randint(0, 10, (5,)),
                                                backend.permutation(6))]

    mg.manual_seed(1234)
    first = draws()
    mg.manual_seed(1234)
    second = draws()
    mg.manual_seed(4321)
    third = draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], third[0])
    assert first[0].dtype == np.float32 and first[2].dtype == np.int64
    assert sorted(first[3].tolist()) == list(range(6))


def test_generator_state_round_trip():
    mg.manual_seed(7)
    backend.randn(3)
    state = backend.generator_state()
    expected = backend.to_numpy(backend.randn(4))
    backend.randn(10)
    backend.set_generator_state(state)
    np.testing.assert_array_equal(backend.to_numpy(backend.randn(4)), expected)


def test_backend_name_and_array_module():
    assert mg.BACKEND in backend.VALID_BACKENDS
    assert isinstance(mg.tensor([1.0]).data, backend.xp.ndarray)
    assert isinstance(mg.tensor([1.0]).numpy(), np.ndarray)


def test_scatter_add_adds_repeated_indices():
    target = backend.xp.zeros(3)
    backend.scatter_add(target, backend.asarray([0, 2, 0]), backend.asarray([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(backend.to_numpy(target), [4.0, 0.0, 2.0])


# --------------------------------------------------------------------- device arrays in lists, index bounds


def test_lists_of_backend_arrays_are_stacked_without_numpy_asarray():
    a, b = mg.tensor([1.0, 2.0]).data, mg.tensor([3.0, 4.0]).data
    stacked = backend.asarray([a, b])
    assert isinstance(stacked, backend.xp.ndarray) and stacked.shape == (2, 2)
    np.testing.assert_array_equal(backend.to_numpy(stacked), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(backend.to_numpy([a.sum(), b.sum()]), [3.0, 7.0])  # a loss history of 0-d arrays
    np.testing.assert_array_equal(backend.to_numpy([[a[0], 5.0]]), [[1.0, 5.0]])  # mixed with numbers, nested
    assert mg.tensor([a, b]).shape == (2, 2)
    assert backend.asarray([a[0], b[1]], dtype="float64").dtype == backend.dtype("float64")


def test_library_helpers_take_histories_of_backend_arrays(tmp_path):
    from minigan import viz
    from minigan.data import DataLoader

    history = {"d_loss": [mg.tensor(0.5).data, mg.tensor(0.25).data] * 30}
    viz.plot_history(history, str(tmp_path / "h.png"))
    assert (tmp_path / "h.png").stat().st_size > 0
    rows = [mg.tensor([float(i), 0.0]).data for i in range(6)]
    x = next(iter(DataLoader(rows, batch_size=6, shuffle=False)))
    np.testing.assert_array_equal(backend.to_numpy(x)[:, 0], range(6))


@pytest.mark.parametrize("index", [[0, 3], [-4], (slice(None), [5]), (Ellipsis, [9]), (None, [3])])
def test_out_of_range_integer_indices_raise_on_every_backend(index):
    x = mg.tensor([[1.0, 2.0, 3.0]] * 3, requires_grad=True)
    parts = index if isinstance(index, tuple) else (index,)
    index = tuple(backend.asarray(p) if isinstance(p, list) else p for p in parts)
    with pytest.raises(IndexError, match="out of bounds"):
        x[index]


def test_index_bounds_checked_in_the_scatter_of_backward_too():
    target = backend.xp.zeros(3)
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        backend.scatter_add(target, backend.asarray([0, 3]), backend.asarray([1.0, 1.0]))
    assert backend.to_numpy(target).tolist() == [0.0, 0.0, 0.0]


def test_in_range_fancy_indices_still_work_and_add_up_in_backward():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[backend.asarray([0, 0, -1])]
    y.sum().backward()
    assert backend.to_numpy(y.data).tolist() == [1.0, 1.0, 3.0]
    assert backend.to_numpy(x.grad.data).tolist() == [2.0, 0.0, 1.0]
    mask = x[backend.asarray([True, False, True])]
    assert backend.to_numpy(mask.data).tolist() == [1.0, 3.0]


def test_a_script_with_an_unknown_backend_ends_with_one_error_line():
    """Not the import traceback: one line naming the variable and the valid values, exit status 1."""
    result = run_python("import minigan", backend_name="tpu")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: MINIGAN_BACKEND='tpu' is not a backend minigan knows; use one of: numpy, cupy."
    ]
