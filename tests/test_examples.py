"""Every example runs for a few steps, writes its pictures, and stops clearly on bad input."""

import importlib.util
import os
import pathlib

import numpy as np
import pytest

from minigan import backend
from minigan.gan.guards import TrainingError

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checkpoint_arrays(path):
    return backend.load_npz(str(path))


def test_vanilla_gan_runs_and_draws(tmp_path):
    vanilla = load_example("vanilla_gan")
    result = vanilla.main(["--steps", "4", "--sample-every", "2", "--out", str(tmp_path), "--quiet"])
    history = result["history"]
    assert len(history["loss_D"]) == 4
    assert 1 <= result["metrics"]["class_coverage"] <= 10
    assert all(os.path.exists(p) for p in result["pictures"])
    assert all(np.isfinite(v) for values in history.values() for v in values)
    for name in ("samples_00002.png", "samples_00004.png", "training.png", "checkpoint.npz"):
        assert (tmp_path / name).stat().st_size > 1000, name


def test_vanilla_gan_resume_is_bit_for_bit(tmp_path):
    vanilla = load_example("vanilla_gan")
    straight, halves = tmp_path / "straight", tmp_path / "halves"
    vanilla.main(["--steps", "6", "--k", "2", "--out", str(straight), "--quiet"])
    vanilla.main(["--steps", "3", "--k", "2", "--out", str(halves), "--quiet"])
    vanilla.main(["--steps", "6", "--k", "2", "--out", str(halves), "--quiet",
                  "--resume", str(halves / "checkpoint.npz")])
    a, b = checkpoint_arrays(straight / "checkpoint.npz"), checkpoint_arrays(halves / "checkpoint.npz")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--lr", "0"], "--lr must be a finite number > 0, got 0.0"),
        (["--k", "0"], "--k must be an integer >= 1, got 0"),
        (["--batch-size", "6000"], "larger than the data"),
    ],
)
def test_vanilla_gan_refuses_bad_hyperparameters(tmp_path, flags, message):
    vanilla = load_example("vanilla_gan")
    with pytest.raises(TrainingError, match=message):
        vanilla.main(flags + ["--steps", "2", "--out", str(tmp_path), "--quiet"])


def test_vanilla_gan_stops_on_nan_with_the_step(tmp_path, monkeypatch):
    vanilla = load_example("vanilla_gan")
    images, labels = vanilla.load_digits()
    monkeypatch.setattr(vanilla, "load_digits", lambda: (images * float("nan"), labels))
    with pytest.raises(TrainingError, match=r"Loss_D became nan at step 0; try a smaller learning rate"):
        vanilla.main(["--steps", "3", "--out", str(tmp_path), "--quiet"])
