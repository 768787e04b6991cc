"""Checkpoints: round trip, atomic writes, refusal of pickles and damaged files, clear mismatch errors."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn, optim
from minigan.gan.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, save_checkpoint


def small_model():
    return nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))


def trained_pair(seed=0):
    mg.manual_seed(seed)
    model = small_model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(3):
        loss = (model(mg.tensor(backend.randn(5, 3))) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, opt


def test_round_trip_restores_models_optimisers_step_and_generator(tmp_path):
    model, opt = trained_pair()
    path = save_checkpoint(str(tmp_path / "c.npz"), 7, {"G": model}, {"G": opt}, extra={"loss": [1.0, 0.5]})
    expected_next = backend.randn(4)
    backend.manual_seed(123)  # disturb the generator
    fresh, fresh_opt = small_model(), optim.Adam(small_model().parameters(), lr=1e-2)
    fresh_opt = optim.Adam(fresh.parameters(), lr=1e-2)
    step, extra = load_checkpoint(path, {"G": fresh}, {"G": fresh_opt})
    assert step == 7
    np.testing.assert_array_equal(extra["loss"], [1.0, 0.5])
    for (name, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    for key, value in opt.state_dict().items():
        np.testing.assert_array_equal(value, fresh_opt.state_dict()[key], err_msg=key)
    np.testing.assert_array_equal(backend.to_numpy(backend.randn(4)), backend.to_numpy(expected_next))


def test_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model, opt = trained_pair()
    path = str(tmp_path / "c.npz")
    save_checkpoint(path, 1, {"G": model}, {"G": opt})
    before = open(path, "rb").read()

    def crash(file, arrays):
        file.write(b"half a checkpoint")
        raise KeyboardInterrupt  # the user pressed Ctrl-C mid-write

    monkeypatch.setattr(backend, "save_npz", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, 2, {"G": model}, {"G": opt})
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["c.npz"], "the temporary file must be removed"


def test_kill_mid_write_never_leaves_a_broken_checkpoint(tmp_path):
    path = tmp_path / "c.npz"
    script = textwrap.dedent(f"""
        import minigan as mg
        from minigan import nn
        from minigan.gan.checkpoint import save_checkpoint
        model = nn.Linear(1000, 1000)   # 4 MB of weights: each write takes a while
        step = 0
        while True:
            step += 1
            save_checkpoint({str(path)!r}, step, {{"G": model}})
            if step == 1:
                print("first", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"first"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    step, _ = load_checkpoint(str(path), {"G": nn.Linear(1000, 1000)}, restore_generator=False)
    assert step >= 1


def test_pickled_object_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, step=np.array(1), generator_state=np.array("{}"), payload=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="pickled"):
        read_checkpoint(str(path))


def test_truncated_file_is_a_clear_error(tmp_path):
    model, opt = trained_pair()
    path = str(tmp_path / "c.npz")
    save_checkpoint(path, 1, {"G": model}, {"G": opt})
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(path, {"G": small_model()})


def test_missing_file_says_so(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(str(tmp_path / "nothing.npz"), {"G": small_model()})


def test_checkpoint_of_another_model_names_the_key(tmp_path):
    model, _ = trained_pair()
    path = str(tmp_path / "c.npz")
    save_checkpoint(path, 1, {"G": model})
    other = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    with pytest.raises(CheckpointError, match=r"0\.weight"):
        load_checkpoint(path, {"G": other})
    with pytest.raises(CheckpointError, match="no model named 'D'"):
        load_checkpoint(path, {"D": model})


def test_not_a_minigan_checkpoint(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a minigan checkpoint"):
        read_checkpoint(str(path))
