"""benchmarks/: outside the package, timing the examples' own networks with one timer."""

import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import minigan as mg
from minigan import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks import bench  # noqa: E402


def test_no_module_of_the_package_imports_torch_or_the_benchmarks():
    for path in (ROOT / "minigan").rglob("*.py"):
        source = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(torch|benchmarks)\b", source, re.M), path


def test_the_rows_build_the_examples_own_networks():
    for name, spec in bench.GAN_EXAMPLES.items():
        module = bench.example(spec[0])
        _, G, D = bench._networks(nn, spec)
        (g_builder, *g_args), (d_builder, *d_args) = spec[1], spec[2]
        assert G.state_dict().keys() == getattr(module, g_builder)(*g_args).state_dict().keys(), name
        assert D.state_dict().keys() == getattr(module, d_builder)(*d_args).state_dict().keys(), name
        assert module.nn is nn   # build() puts the example's own nn back


def test_a_torch_copy_computes_what_the_minigan_network_computes():
    torch = pytest.importorskip("torch")
    module = bench.example("wgan_gp")
    C = bench.build(module, "build_digit_critic", nn)
    tC = bench._torch_copy(torch, C, module, "build_digit_critic")
    x = mg.rand(5, 784)
    np.testing.assert_allclose(tC(torch.from_numpy(x.numpy())).detach().numpy(), C(x).numpy(), rtol=1e-4, atol=1e-5)


def test_one_timer_counts_seconds_per_call():
    calls = []
    b = bench.Bench(repeat=2, use_torch=False)
    row = b.row("sleep", lambda: calls.append(1), number=10)
    assert len(calls) == 10 * (2 + 2)   # two blocks, each one warm-up sample and one timed sample of 10 calls
    assert 0 < row.minigan < 0.01 and row.torch is None


def test_the_command_runs_from_a_checkout():
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--no-torch", "--repeat", "1", "--cases", "overhead"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "per-op overhead: mul_forward_backward" in out.stdout and "torch not used" in out.stdout
