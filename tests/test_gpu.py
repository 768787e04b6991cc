"""The core ops on CuPy, compared with NumPy.

One script (``SCRIPT`` below) computes, for each core op on seeded float64
inputs, the forward value, the first derivatives (a vector-Jacobian product)
and second derivatives (through ``create_graph=True``), and runs
``mg.gradcheck`` / ``mg.gradgradcheck``. It runs in a fresh interpreter once
with ``MINIGAN_BACKEND=numpy`` and once with ``MINIGAN_BACKEND=cupy``; the
results must agree.

The tests marked ``gpu`` are skipped (by tests/conftest.py) where CuPy or a
CUDA device is missing. The script itself is exercised on NumPy everywhere,
so it cannot rot unnoticed on machines without a GPU.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPT = r'''
import sys
import numpy  # the script (not minigan) may use NumPy to save its results on the host
import minigan as mg
from minigan import backend

mg.manual_seed(0)


def randn(*shape, positive=False, away_from_zero=False):
    a = backend.randn(*shape, dtype="float64")
    if positive:
        a = abs(a) + 0.5
    if away_from_zero:
        a = a + 0.2 * backend.xp.sign(a)
    return mg.tensor(a, requires_grad=True)


CASES = {
    "add": (lambda a, b: a + b, [(2, 3), (3,)]),
    "sub": (lambda a, b: a - b, [(2, 1), (1, 3)]),
    "mul": (lambda a, b: a * b, [(2, 3), (2, 3)]),
    "div": (lambda a, b: a / b, [(2, 3), ("+", 3)]),
    "neg": (lambda a: -a, [(4,)]),
    "pow": (lambda a: a**3, [(4,)]),
    "pow_half": (lambda a: a**0.5, [("+", 4)]),
    "pow_tensor": (lambda a, b: a**b, [("+", 3), (3,)]),
    "exp": (mg.exp, [(2, 2)]),
    "log": (mg.log, [("+", 2, 2)]),
    "sqrt": (mg.sqrt, [("+", 3)]),
    "abs": (mg.abs, [("0", 5)]),
    "matmul": (lambda a, b: a @ b, [(2, 3), (3, 4)]),
    "matmul_batched": (lambda a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)]),
    "matmul_vec": (lambda a, b: a @ b, [(3,), (3,)]),
    "sum": (lambda a: a.sum(axis=1, keepdims=True), [(2, 3)]),
    "mean": (lambda a: a.mean(axis=(0, 2)), [(2, 3, 2)]),
    "var": (lambda a: a.var(axis=0), [(3, 2)]),
    "max": (lambda a: a.max(axis=-1), [(3, 4)]),
    "min": (lambda a: mg.min(a), [(5,)]),
    "logsumexp": (lambda a: mg.logsumexp(a, axis=1), [(2, 3)]),
    "softmax": (lambda a: mg.softmax(a, axis=-1), [(2, 3)]),
    "log_softmax": (lambda a: mg.log_softmax(a, axis=0), [(3, 2)]),
    "reshape": (lambda a: a.reshape(3, -1), [(2, 3)]),
    "permute": (lambda a: a.permute(2, 0, 1), [(2, 3, 2)]),
    "transpose": (lambda a: a.T, [(2, 3)]),
    "getitem_basic": (lambda a: a[1:, ::2], [(3, 4)]),
    "getitem_repeats": (lambda a: a[[0, 2, 0, 0]], [(3, 2)]),
    "getitem_mask": (lambda a: a[a.data > 0], [(3, 3)]),
    "cat": (lambda a, b: mg.cat([a, b], axis=1), [(2, 1), (2, 3)]),
    "stack": (lambda a, b: mg.stack([a, b], axis=-1), [(2, 3), (2, 3)]),
    "where": (lambda a, b: mg.where(a.data > b.data, a, b), [(2, 3), (3,)]),
    "clip": (lambda a: a.clip(-0.5, 0.5), [(6,)]),
    "maximum": (lambda a, b: mg.maximum(a, b), [(2, 3), (3,)]),
    "minimum": (lambda a, b: mg.minimum(a, b), [(2, 3), (2, 3)]),
    "relu": (mg.relu, [("0", 6)]),
    "leaky_relu": (lambda a: mg.leaky_relu(a, 0.2), [("0", 6)]),
    "sigmoid": (mg.sigmoid, [(6,)]),
    "tanh": (mg.tanh, [(6,)]),
    "softplus": (mg.softplus, [(6,)]),
    "log_sigmoid": (mg.log_sigmoid, [(6,)]),
    "broadcast_to": (lambda a: a.broadcast_to((2, 3, 2)), [(3, 1)]),
    "squeeze_unsqueeze_flatten": (lambda a: a.unsqueeze(0).squeeze(0).flatten(), [(2, 1, 3)]),
}

results = {}
for name, (fn, specs) in CASES.items():
    inputs = []
    for spec in specs:
        kind = spec[0] if isinstance(spec[0], str) else ""
        shape = spec[1:] if kind else spec
        inputs.append(randn(*shape, positive=kind == "+", away_from_zero=kind == "0"))
    out = fn(*inputs)
    v = mg.tensor(backend.randn(*out.shape, dtype="float64"))
    grads = mg.grad(out, inputs, grad_outputs=[v], create_graph=True)
    w = [mg.tensor(backend.randn(*x.shape, dtype="float64")) for x in inputs]
    total = sum((g * wi).sum() for g, wi in zip(grads, w) if g.requires_grad)
    second = mg.grad(total, inputs, allow_unused=True) if not isinstance(total, int) else [None] * len(inputs)
    results[name + "/out"] = out.numpy()
    for i, (g, s) in enumerate(zip(grads, second)):
        results[f"{name}/grad{i}"] = g.numpy()
        results[f"{name}/second{i}"] = numpy.zeros(inputs[i].shape) if s is None else s.numpy()
    assert mg.gradcheck(fn, inputs), name
    assert mg.gradgradcheck(fn, inputs), name

numpy.savez(sys.argv[1], **results)
print(mg.BACKEND, type(out.data).__module__.split(".")[0], len(CASES))
'''


def run_script(backend_name, path):
    env = dict(os.environ, MINIGAN_BACKEND=backend_name)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, env=env,
                            cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split()


def test_the_comparison_script_runs_on_numpy(tmp_path):
    """Runs everywhere: the script the GPU tests rely on works, and its gradient checks pass on NumPy."""
    backend_name, array_module, n_cases = run_script("numpy", tmp_path / "numpy.npz")
    assert (backend_name, array_module) == ("numpy", "numpy") and int(n_cases) > 40
    with np.load(tmp_path / "numpy.npz") as results:
        assert all(np.all(np.isfinite(results[k])) for k in results.files)


@pytest.mark.gpu
def test_core_op_gradients_on_cupy_match_numpy(tmp_path):
    assert run_script("cupy", tmp_path / "cupy.npz")[:2] == ["cupy", "cupy"]
    run_script("numpy", tmp_path / "numpy.npz")
    with np.load(tmp_path / "numpy.npz") as expected, np.load(tmp_path / "cupy.npz") as actual:
        assert sorted(expected.files) == sorted(actual.files)
        for key in expected.files:
            np.testing.assert_allclose(actual[key], expected[key], rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.gpu
def test_cupy_backend_basics():
    code = (
        "import minigan as mg, numpy\n"
        "x = mg.tensor([1.0, 2.0], requires_grad=True)\n"
        "y = (x * x).sum(); y.backward()\n"
        "assert type(x.data).__module__.startswith('cupy') and isinstance(x.numpy(), numpy.ndarray)\n"
        "assert x.grad.numpy().tolist() == [2.0, 4.0] and x.dtype == numpy.float32\n"
        "print(mg.BACKEND)\n"
    )
    env = dict(os.environ, MINIGAN_BACKEND="cupy")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "cupy"
