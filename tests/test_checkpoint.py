"""Checkpoints: round trip, atomic writes, refusal of pickles and damaged files, clear mismatch errors."""

import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn, optim
from minigan.gan.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, read_hparams, save_checkpoint


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


# ----------------------------------------------------------------- attacks: nothing lost, nothing half applied


def one_sentence(message):
    """One sentence: ends with a full stop, no line break, no second sentence (paths aside)."""
    return message.endswith(".") and "\n" not in message and ". " not in message.replace(str(os.getcwd()), "")


def good_checkpoint(tmp_path, step=5, **kwargs):
    model, opt = trained_pair()
    path = str(tmp_path / "c.npz")
    save_checkpoint(path, step, {"G": model}, {"G": opt}, **kwargs)
    return path, model, opt


def rewrite(path, change):
    """Rewrite the checkpoint at ``path`` with ``change(arrays)`` applied (written by NumPy, not minigan)."""
    arrays = dict(np.load(path, allow_pickle=False))
    change(arrays)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize(
    "step, extra, match",
    [
        (None, None, r"step must be an integer from 0 to 2\*\*63 - 1, got None"),
        (-1, None, r"got -1"),
        (2**70, None, r"got 1180591620717411303424"),
        (3.0, None, r"got 3\.0"),
        (True, None, r"got True"),
        ("7", None, r"got '7'"),
        (1, {"note": None}, r"extra\['note'\] is NoneType"),
        (1, {"obj": object()}, r"extra\['obj'\] has dtype object"),
        (1, {"nan": float("nan")}, r"extra\['nan'\] holds NaN"),
        (1, {"inf": [1.0, float("inf")]}, r"extra\['inf'\] holds NaN or infinite"),
        (1, {"ragged": [[1.0], [1.0, 2.0]]}, r"extra\['ragged'\] cannot be stored"),
        (1, {"big": 2**70}, r"extra\['big'\]"),
        (1, {"complex": 1j}, r"extra\['complex'\] has dtype complex128"),
        (1, {"d": {"a": 1}}, r"extra\['d'\] is dict"),
        (1, {"b": b"bytes"}, r"extra\['b'\] is bytes"),
        (1, {3: 1.0}, r"the names in extra must be non-empty strings"),
        (1, [1.0], r"extra must be a dict"),
    ],
)
def test_a_save_that_could_not_load_back_is_refused_and_the_good_file_kept(tmp_path, step, extra, match):
    path, model, opt = good_checkpoint(tmp_path)
    before = open(path, "rb").read()
    with pytest.raises(CheckpointError, match=match) as info:
        save_checkpoint(path, step, {"G": model}, {"G": opt}, extra=extra)
    assert one_sentence(str(info.value))
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["c.npz"]


@pytest.mark.parametrize(
    "models, optimizers, match",
    [
        ("list", None, r"models must be a dict naming each one, such as \{'G': G, 'D': D\}, got a list"),
        ({}, None, r"models is empty"),
        ({"G": "not a model"}, None, r"models\['G'\] must be a model"),
        ({"a/b": "model"}, None, r"without '/'"),
        ({"G": "model"}, ["opt"], r"optimizers must be a dict"),
    ],
)
def test_bad_models_or_optimizers_arguments(tmp_path, models, optimizers, match):
    model, opt = trained_pair()
    if models == "list":
        models = [model]
    models = {k: (model if v == "model" else v) for k, v in models.items()} if isinstance(models, dict) else models
    with pytest.raises(CheckpointError, match=match):
        save_checkpoint(str(tmp_path / "c.npz"), 1, models, optimizers)
    assert not os.path.exists(tmp_path / "c.npz")
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(str(tmp_path / "c.npz"), models, optimizers)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("where", ["model", "optimizer"])
def test_non_finite_state_is_not_saved_over_the_last_good_checkpoint(tmp_path, bad, where):
    path, model, opt = good_checkpoint(tmp_path, step=30)
    before = open(path, "rb").read()
    if where == "model":
        model[0].weight.data[0, 0] = bad
        match = r"model 'G' holds NaN or infinite values in '0\.weight' at step 40"
    else:
        opt.state[0]["exp_avg_sq"][0, 0] = bad
        match = r"optimiser 'G' holds NaN or infinite values in 'state\.0\.exp_avg_sq' at step 40"
    with pytest.raises(CheckpointError, match=match) as info:
        save_checkpoint(path, 40, {"G": model}, {"G": opt})
    message = str(info.value)
    assert "went bad" in message and f"the last good checkpoint {path} (step 30) is kept" in message
    assert one_sentence(message)
    assert open(path, "rb").read() == before


def test_a_first_save_of_nan_weights_says_nothing_was_written(tmp_path):
    model, _ = trained_pair()
    model[2].bias.data[0] = float("nan")
    with pytest.raises(CheckpointError, match=r"no checkpoint existed at .* yet"):
        save_checkpoint(str(tmp_path / "c.npz"), 3, {"G": model})
    assert os.listdir(tmp_path) == []


def test_unwritable_folder_names_the_path(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write into a read-only folder")
    model, _ = trained_pair()
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(CheckpointError, match=r"cannot write checkpoint .*ro/c\.npz: no permission") as info:
            save_checkpoint(str(folder / "c.npz"), 1, {"G": model})
        assert one_sentence(str(info.value))
    finally:
        folder.chmod(0o700)


def test_a_file_in_place_of_the_folder_names_the_path(tmp_path):
    model, _ = trained_pair()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(CheckpointError, match=r"cannot create the folder .*afile for checkpoint"):
        save_checkpoint(str(tmp_path / "afile" / "c.npz"), 1, {"G": model})
    with pytest.raises(CheckpointError, match=r"is a folder"):
        save_checkpoint(str(tmp_path), 1, {"G": model})


def test_a_full_disk_names_the_path_and_keeps_the_good_file(tmp_path, monkeypatch):
    import errno

    path, model, opt = good_checkpoint(tmp_path)
    before = open(path, "rb").read()

    def full(file, arrays):
        file.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backend, "save_npz", full)
    with pytest.raises(CheckpointError, match=r"cannot write checkpoint .*c\.npz: the disk is full; the previous"):
        save_checkpoint(path, 6, {"G": model}, {"G": opt})
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["c.npz"]


def test_stale_temporaries_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "c.npz"
    script = textwrap.dedent(f"""
        import sys
        from minigan import nn, backend
        from minigan.gan.checkpoint import save_checkpoint
        def hang(file, arrays):
            file.write(b"half")
            file.flush()
            print("writing", flush=True)
            sys.stdin.read()      # killed here, mid-write
        backend.save_npz = hang
        save_checkpoint({str(path)!r}, 1, {{"G": nn.Linear(2, 2)}})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stale = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(stale) == 1 and stale[0].startswith(".checkpoint-")
    (tmp_path / ".checkpoint-oldstyle.tmp").write_bytes(b"x" * 100)  # left by an older minigan
    (tmp_path / "keep.tmp").write_bytes(b"not ours")
    save_checkpoint(str(path), 2, {"G": nn.Linear(2, 2)})
    assert sorted(os.listdir(tmp_path)) == ["c.npz", "keep.tmp"]


def test_a_symlink_target_is_replaced_never_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "c.npz"
    link.symlink_to(victim)
    model, _ = trained_pair()
    save_checkpoint(str(link), 1, {"G": model})
    assert victim.read_text() == "precious"
    assert not link.is_symlink()
    assert load_checkpoint(str(link), {"G": small_model()})[0] == 1


# ----------------------------------------------------------------- attacks on loading: one message per failure class


def test_random_bytes_and_text_are_not_a_checkpoint_and_not_pickled(tmp_path):
    for name, raw in [("random.npz", os.urandom(4096)), ("notes.npz", b"step = 5\nthis is a text file\n" * 20)]:
        path = tmp_path / name
        path.write_bytes(b"\x00" + raw if name == "random.npz" else raw)
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(str(path), {"G": small_model()})
        message = str(info.value)
        assert "is not a minigan checkpoint" in message and "pickle" not in message
        assert str(path) in message and one_sentence(message)


def test_empty_file_and_folder_and_device(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty \(0 bytes\)"):
        load_checkpoint(str(tmp_path / "empty.npz"), {"G": small_model()})
    with pytest.raises(CheckpointError, match=r"is a folder, not a checkpoint"):
        load_checkpoint(str(tmp_path), {"G": small_model()})
    if os.path.exists("/dev/zero"):
        with pytest.raises(CheckpointError, match=r"not a regular file"):
            load_checkpoint("/dev/zero", {"G": small_model()})


def test_a_raw_pickle_file_is_called_pickled(tmp_path):
    import pickle

    path = tmp_path / "c.npz"
    path.write_bytes(pickle.dumps({"step": 1}))
    with pytest.raises(CheckpointError, match="pickled"):
        load_checkpoint(str(path), {"G": small_model()})


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_truncated_anywhere_is_called_truncated(tmp_path, cut):
    path, _, _ = good_checkpoint(tmp_path)
    raw = open(path, "rb").read()
    open(path, "wb").write(raw[: int(len(raw) * cut)])
    model = small_model()
    before = model.state_dict()
    with pytest.raises(CheckpointError, match=r"is truncated or damaged") as info:
        load_checkpoint(path, {"G": model})
    assert one_sentence(str(info.value))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def npy_member(header_dict, payload=b""):
    """The bytes of a .npy file with a hand-written header (to plant malicious shapes)."""
    header = repr(header_dict).encode("latin1")
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, raw in members:
            z.writestr(name, raw)


def test_a_header_declaring_a_trillion_elements_is_refused_before_reading(tmp_path):
    path = tmp_path / "c.npz"
    good, _, _ = good_checkpoint(tmp_path / "good" if (tmp_path / "good").mkdir() is None else tmp_path)
    with zipfile.ZipFile(good) as z:
        members = [(n, z.read(n)) for n in z.namelist() if n != "model/G/0.weight.npy"]
    huge = npy_member({"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)}, b"\x00" * 48)
    write_zip(path, members + [("model/G/0.weight.npy", huge)])
    with pytest.raises(CheckpointError, match=r"is damaged: .*0\.weight\.npy.* declares shape \(1000000, 1000000\)"):
        load_checkpoint(str(path), {"G": small_model()})


def test_object_dtype_header_is_pickled_and_duplicated_names_refused(tmp_path):
    good, _, _ = good_checkpoint(tmp_path)
    with zipfile.ZipFile(good) as z:
        members = [(n, z.read(n)) for n in z.namelist()]
    obj = npy_member({"descr": "|O", "fortran_order": False, "shape": (1,)}, b"\x80\x04N.")
    write_zip(tmp_path / "obj.npz", members + [("extra/x.npy", obj)])
    with pytest.raises(CheckpointError, match="pickled"):
        load_checkpoint(str(tmp_path / "obj.npz"), {"G": small_model()})
    with pytest.warns(UserWarning, match="Duplicate name"):
        write_zip(tmp_path / "dup.npz", members + [members[0]])
    with pytest.raises(CheckpointError, match=r"more than once"):
        load_checkpoint(str(tmp_path / "dup.npz"), {"G": small_model()})


def test_fortran_order_weights_load_correctly(tmp_path):
    path, model, _ = good_checkpoint(tmp_path)
    rewrite(path, lambda a: a.update({"model/G/0.weight": np.asfortranarray(a["model/G/0.weight"])}))
    fresh = small_model()
    load_checkpoint(path, {"G": fresh}, restore_generator=False)
    np.testing.assert_array_equal(fresh.state_dict()["0.weight"], model.state_dict()["0.weight"])


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda a: a.update(step=np.array(np.nan)), r"damaged field 'step' \(nan, dtype float64\)"),
        (lambda a: a.update(step=np.array(-3)), r"damaged field 'step' \(-3"),
        (lambda a: a.update(step=np.array([1, 2])), r"damaged field 'step'"),
        (lambda a: a.update(step=np.array("5")), r"damaged field 'step'"),
        (lambda a: a["model/G/0.weight"].__setitem__((0, 0), np.nan), r"'model/G/0\.weight': it holds NaN"),
        (lambda a: a.update({"model/G/0.weight": a["model/G/0.weight"] * 1j}), r"holds complex numbers"),
        (lambda a: a.update({"model/G/0.weight": np.full((4, 3), "w")}), r"holds <U1 values, not numbers"),
        (lambda a: a.update({"optim/G/state.0.exp_avg": a["optim/G/state.0.exp_avg"] + np.inf}), r"NaN or infinite"),
        (lambda a: a.update({"optim/G/lr": np.array(np.nan)}), r"'optim/G/lr': it holds NaN"),
        (lambda a: a.update(generator_state=np.array("not json")), r"'generator_state': .*not valid JSON"),
        (lambda a: a.update(generator_state=np.array('{"bit_generator": "os.system"}')), r"expected one of PCG64"),
        (lambda a: a.update(generator_state=np.array('{"bit_generator": "default_rng"}')), r"bit generator"),
        (lambda a: a.update(generator_state=np.array('{"bit_generator": "PCG64", "state": 3}')), r"PCG64 .*damaged"),
        (lambda a: a.update(generator_state=np.array("[1, 2]")), r"'generator_state'"),
        (lambda a: a.update(generator_state=np.array(7)), r"damaged field 'generator_state'"),
        (lambda a: a.update(hparams=np.array("[1]")), r"damaged field 'hparams'"),
        (lambda a: a.update(hparams=np.array('{"lr": {"nested": 1}}')), r"damaged field 'hparams'"),
        (lambda a: a.update(step=np.array(2**63 + 4, dtype="uint64")), r"damaged field 'step' \(9223372036854775812"),
        (lambda a: a.update({"optim/G/state.0.step": np.array(-5)}), r"'optim/G/state\.0\.step' \(-5, .*a step count"),
        (lambda a: a.update({"optim/G/state.0.step": np.array(2.5)}), r"'optim/G/state\.0\.step' \(2\.5"),
        (lambda a: a.update({"optim/G/num_params": np.array([6])}), r"'optim/G/num_params' \(\[6\]"),
        (lambda a: a.update({"model/G/0.weight": np.zeros((4, 3), dtype=[("a", "<f4")])}), r"not numbers"),
        (lambda a: a.update({"extra/note": np.array([1 + 2j])}), r"'extra/note': it holds complex numbers"),
        (lambda a: a.pop("step"), r"has no 'step' entry, so it is not a minigan checkpoint"),
        (lambda a: a.update(weights=np.zeros(3)), r"holds an entry 'weights' that minigan does not write"),
    ],
)
def test_a_damaged_field_is_named_and_nothing_is_applied(tmp_path, change, match):
    path, _, _ = good_checkpoint(tmp_path)
    rewrite(path, change)
    mg.manual_seed(99)
    model = small_model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    before = model.state_dict()
    expected_draw = backend.to_numpy(backend.randn(3))
    mg.manual_seed(99)
    small_model()
    with pytest.raises(CheckpointError, match=match) as info:
        load_checkpoint(path, {"G": model}, {"G": opt})
    assert path in str(info.value) and one_sentence(str(info.value))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert opt.state == {} and opt.lr == 1e-2
    np.testing.assert_array_equal(backend.to_numpy(backend.randn(3)), expected_draw)  # generator untouched


def test_the_generator_loader_never_calls_arbitrary_numpy_functions(tmp_path, monkeypatch):
    called = []
    monkeypatch.setattr(np.random, "evil", lambda: called.append(1), raising=False)
    path, _, _ = good_checkpoint(tmp_path)
    rewrite(path, lambda a: a.update(generator_state=np.array('{"bit_generator": "evil"}')))
    with pytest.raises(CheckpointError, match="damaged field 'generator_state'"):
        load_checkpoint(path, {"G": small_model()})
    assert called == []


def test_every_listed_bit_generator_round_trips():
    for name, cls in backend.BIT_GENERATORS.items():
        expected = np.random.Generator(cls(3))
        backend.set_generator(np.random.Generator(cls(3)))
        restored = backend.generator_from_state(backend.generator_state())
        assert type(restored.bit_generator) is cls, name
        np.testing.assert_array_equal(restored.random(5), expected.random(5), err_msg=name)


def test_a_load_that_fails_on_d_leaves_g_untouched(tmp_path):
    mg.manual_seed(0)
    G, D = small_model(), small_model()
    path = str(tmp_path / "c.npz")
    save_checkpoint(path, 3, {"G": G, "D": D})
    fresh_G = small_model()
    wrong_D = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    before = fresh_G.state_dict()
    with pytest.raises(CheckpointError, match=r"does not fit model 'D': key '0\.weight' has shape \(4, 3\)"):
        load_checkpoint(path, {"G": fresh_G, "D": wrong_D})
    for key, value in fresh_G.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_a_load_whose_optimizer_does_not_fit_leaves_models_untouched(tmp_path):
    path, _, _ = good_checkpoint(tmp_path)
    rewrite(path, lambda a: a.update({"optim/G/state.9.exp_avg": np.zeros((4, 3), "float32")}))
    model = small_model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    before = model.state_dict()
    with pytest.raises(CheckpointError, match=r"does not fit optimiser 'G': .*state\.9\.exp_avg"):
        load_checkpoint(path, {"G": model}, {"G": opt})
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert opt.state == {}


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda a: a.pop("model/G/2.bias"), r"missing keys '2\.bias'"),
        (lambda a: a.update({"model/G/9.weight": np.zeros(2, "float32")}), r"unexpected keys '9\.weight'"),
        (lambda a: a.update({"model/G/0.weight": np.array(1.0, "float32")}), r"has shape \(\) in the file"),
        (lambda a: a.update({"model/G/0.weight": np.zeros((4, 3), "int64")}), r"holds int64 values"),
        (lambda a: a.update({"optim/G/num_params": np.array(7)}), r"does not fit optimiser 'G'.*7 parameters"),
    ],
)
def test_wrong_model_is_named(tmp_path, change, match):
    path, _, _ = good_checkpoint(tmp_path)
    rewrite(path, change)
    model = small_model()
    with pytest.raises(CheckpointError, match=match) as info:
        load_checkpoint(path, {"G": model}, {"G": optim.Adam(model.parameters(), lr=1e-2)})
    assert one_sentence(str(info.value))


def test_extra_models_in_the_file_may_be_left_out(tmp_path):
    mg.manual_seed(0)
    G, D = small_model(), small_model()
    path = str(tmp_path / "c.npz")
    save_checkpoint(path, 3, {"G": G, "D": D, "E": small_model()})
    fresh = small_model()
    assert load_checkpoint(path, {"G": fresh})[0] == 3  # sampling needs G only
    np.testing.assert_array_equal(fresh.state_dict()["0.weight"], G.state_dict()["0.weight"])


def test_hparams_are_stored_compared_and_listed_when_they_differ(tmp_path):
    hp = {"lr": 2e-4, "batch_size": 64, "loss": "ns", "smooth": False}
    path, _, _ = good_checkpoint(tmp_path, hparams=hp)
    assert read_hparams(path) == hp
    model = small_model()
    assert load_checkpoint(path, {"G": model}, hparams=dict(hp))[0] == 5
    changed = {**hp, "lr": 1e-3, "smooth": 0, "new": 1}
    changed.pop("loss")
    before = model.state_dict()
    model[0].weight.data[:] = 0.0
    before = model.state_dict()
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, {"G": model}, hparams=changed)
    message = str(info.value)
    assert "lr is 0.0002 in the checkpoint but 0.001 now" in message
    assert "smooth is False in the checkpoint but 0 now" in message
    assert "loss is 'ns' in the checkpoint but not given now" in message
    assert "new is not recorded in the checkpoint but is 1 now" in message
    assert "batch_size" not in message and one_sentence(message)
    assert "written by another script" in message          # flags this script does not have: another script's file
    np.testing.assert_array_equal(model.state_dict()["0.weight"], before["0.weight"])
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, {"G": model}, hparams={**hp, "lr": 1e-3})
    assert "trained with other hyperparameters (lr is 0.0002" in str(info.value)
    assert "another script" not in str(info.value) and one_sentence(str(info.value))


@pytest.mark.parametrize("hparams", [{"lr": float("nan")}, {"lr": None}, {"lr": [1, 2]}, {1: 2}, ["lr"]])
def test_bad_hparams_are_refused_before_writing(tmp_path, hparams):
    model, _ = trained_pair()
    with pytest.raises(CheckpointError, match="hparams"):
        save_checkpoint(str(tmp_path / "c.npz"), 1, {"G": model}, hparams=hparams)
    assert os.listdir(tmp_path) == []


def test_extra_holds_a_loss_history_of_tensors_data_and_strings(tmp_path):
    model, _ = trained_pair()
    history = [mg.tensor(1.5).data, mg.tensor(0.5).data]  # 0-d backend arrays (device arrays on CuPy)
    path = save_checkpoint(str(tmp_path / "c.npz"), 1, {"G": model}, extra={"d_loss": history, "note": "hello",
                                                                            "count": 3, "flag": True})
    _, extra = load_checkpoint(path, {"G": small_model()}, restore_generator=False)
    np.testing.assert_array_equal(extra["d_loss"], [1.5, 0.5])
    assert str(extra["note"]) == "hello" and int(extra["count"]) == 3 and bool(extra["flag"]) is True


def test_no_permission_names_the_path_even_as_root(tmp_path, monkeypatch):
    import errno
    import tempfile

    path, model, _ = good_checkpoint(tmp_path)

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(CheckpointError, match=r"cannot write checkpoint .*c\.npz: no permission to write there in"):
        save_checkpoint(path, 6, {"G": model})


def test_a_compressed_npz_of_the_same_arrays_loads(tmp_path):
    path, model, opt = good_checkpoint(tmp_path)
    np.savez_compressed(tmp_path / "z.npz", **dict(np.load(path)))
    fresh = small_model()
    assert load_checkpoint(str(tmp_path / "z.npz"), {"G": fresh}, {"G": optim.Adam(fresh.parameters())})[0] == 5
    np.testing.assert_array_equal(fresh.state_dict()["0.weight"], model.state_dict()["0.weight"])


@pytest.mark.parametrize("member, match", [
    (npy_member({"descr": "zz", "fortran_order": False, "shape": (1,)}, b"0000"), r"not a valid \.npy array"),
    (b"\x93NUMPY\x01\x00" + struct.pack("<H", 20) + b"__import__('os')   \n", r"not a valid \.npy array"),
    (npy_member({"descr": "<f4", "fortran_order": False, "shape": (-1,)}), r"declares shape \(-1,\)"),
    (b"\x93NUMPY\x03\x00" + struct.pack("<I", 10) + b"{}        ", r"format version \(3, 0\)"),
])
def test_malformed_npy_headers_are_damaged_never_evaluated(tmp_path, member, match):
    good, _, _ = good_checkpoint(tmp_path)
    with zipfile.ZipFile(good) as z:
        members = [(n, member if n == "model/G/0.weight.npy" else z.read(n)) for n in z.namelist()]
    write_zip(tmp_path / "m.npz", members)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(str(tmp_path / "m.npz"), {"G": small_model()})


def test_a_plain_npy_a_gzipped_checkpoint_and_a_zip_of_text_are_not_checkpoints(tmp_path):
    path, _, _ = good_checkpoint(tmp_path)
    np.save(tmp_path / "x.npy", np.zeros(3))
    (tmp_path / "c.npz.gz").write_bytes(__import__("gzip").compress(open(path, "rb").read()))
    write_zip(tmp_path / "t.npz", [("readme.txt", b"hello")])
    for name in ("x.npy", "c.npz.gz", "t.npz"):
        with pytest.raises(CheckpointError, match="is not a minigan checkpoint"):
            load_checkpoint(str(tmp_path / name), {"G": small_model()})
