"""Every example checks its flags before training, refuses to overwrite a checkpoint, and resumes bit for bit."""

import argparse
import os
import subprocess
import sys

import numpy as np
import pytest
from test_examples import EXAMPLES, load_example

import minigan as mg
from minigan import backend, nn, optim
from minigan.gan import guards
from minigan.gan.checkpoint import CheckpointError, save_checkpoint
from minigan.gan.guards import FLAG_RULES, TrainingError, add_run_flags, check_finite, resume_or_start

NAMES = ["vanilla_gan", "dcgan", "wgan", "wgan_gp", "cgan", "acgan", "cyclegan", "gan_1d", "improved_gan"]
MODULES = {}
# a value outside each kind of range (as given on the command line)
BAD = {guards.COUNT: "0", guards.PAIR: "1", guards.COUNT_OR_ZERO: "-1", guards.RATE: "inf", guards.WEIGHT: "-1",
       guards.BETA: "1.5", guards.TARGET: "2"}


def example(name):
    if name not in MODULES:
        MODULES[name] = load_example(name)
    return MODULES[name]


def numeric_flags(name):
    args = example(name).parse_args(["--out", "unused"])
    return [flag for flag, value in vars(args).items()
            if value is not None and not isinstance(value, (bool, str)) or flag == "label_smoothing"]


def no_training(monkeypatch, module):
    """Make the example's progress bar (the start of its training loop) fail the test if it is ever reached."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started before the flags were checked")
    monkeypatch.setattr(module, "tqdm", refuse)


CASES = [(name, flag) for name in NAMES for flag in numeric_flags(name)]


@pytest.mark.parametrize("name", NAMES)
def test_every_numeric_flag_of_every_example_has_a_range(name, tmp_path):
    args = example(name).parse_args(["--out", str(tmp_path)])
    guards.check_flags(args)   # the defaults pass, and no numeric flag is without a rule (that would be a KeyError)
    assert set(numeric_flags(name)) <= set(FLAG_RULES)


@pytest.mark.parametrize("name, flag", CASES, ids=[f"{n}--{f}" for n, f in CASES])
def test_a_value_out_of_range_is_refused_before_training(name, flag, tmp_path, monkeypatch):
    module = example(name)
    no_training(monkeypatch, module)
    option, bad = "--" + flag.replace("_", "-"), BAD[FLAG_RULES[flag]]
    with pytest.raises(TrainingError, match=f"^{option} must be .*, got"):
        module.main([option, bad, "--out", str(tmp_path / "out"), "--quiet"])


@pytest.mark.parametrize("name", ["vanilla_gan", "dcgan", "wgan", "wgan_gp", "cyclegan", "gan_1d", "improved_gan"])
@pytest.mark.parametrize("value, shown", [("nan", "nan"), ("-1e-3", "-0.001"), ("0", "0.0")])
def test_a_learning_rate_that_is_not_a_positive_number_is_refused(name, value, shown, tmp_path, monkeypatch):
    module = example(name)
    no_training(monkeypatch, module)
    with pytest.raises(TrainingError, match=f"--lr must be a finite number > 0, got {shown}"):
        module.main([f"--lr={value}", "--out", str(tmp_path), "--quiet"])


@pytest.mark.parametrize("name", NAMES)
def test_out_must_be_a_folder_not_a_file(name, tmp_path, monkeypatch):
    module = example(name)
    no_training(monkeypatch, module)
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    with pytest.raises(TrainingError, match="is a file, not a folder"):
        module.main(["--out", str(a_file), "--quiet"])
    with pytest.raises(TrainingError, match="cannot be created"):
        module.main(["--out", str(a_file / "below"), "--quiet"])


# ------------------------------------------------------------------ checkpoints: overwrite and resume

TINY = {
    "vanilla_gan": ["--batch-size", "8", "--k", "2"],
    "dcgan": ["--width", "4", "--batch-size", "8", "--eval-samples", "20"],
    "wgan": ["--n-critic", "2", "--batch-size", "8", "--eval-samples", "20"],
    "cgan": ["--batch-size", "8", "--eval-per-class", "2"],
    "acgan": ["--width", "4", "--batch-size", "8", "--eval-per-class", "2"],
    "cyclegan": ["--batch-size", "4"],
}


def run(name, out, steps, *flags):
    return example(name).main(TINY[name] + ["--steps", str(steps), "--sample-every", "100", "--checkpoint-every", "2",
                                            "--out", str(out), "--quiet", *flags])


@pytest.mark.parametrize("name", ["dcgan", "wgan", "cgan", "cyclegan"])
def test_resume_continues_bit_for_bit(name, tmp_path):
    straight, halves = tmp_path / "straight", tmp_path / "halves"
    run(name, straight, 4)
    run(name, halves, 2)
    run(name, halves, 4, "--resume", str(halves / "checkpoint.npz"))
    a, b = (backend.load_npz(str(path / "checkpoint.npz")) for path in (straight, halves))
    assert a.keys() == b.keys() and any(key.startswith("model/") for key in a)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_a_fresh_run_refuses_to_replace_a_checkpoint_unless_told(tmp_path, monkeypatch):
    run("acgan", tmp_path, 2)
    before = (tmp_path / "checkpoint.npz").read_bytes()
    with pytest.raises(TrainingError, match="already holds a checkpoint; continue it with --resume .*--overwrite"):
        run("acgan", tmp_path, 2)
    assert (tmp_path / "checkpoint.npz").read_bytes() == before   # nothing lost
    run("acgan", tmp_path, 2, "--overwrite", "--seed", "1")
    assert (tmp_path / "checkpoint.npz").read_bytes() != before


def test_a_resume_into_another_runs_folder_refuses_to_replace_its_checkpoint(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    run("cgan", first, 2)
    run("cgan", second, 2, "--seed", "1")
    before = (second / "checkpoint.npz").read_bytes()
    with pytest.raises(TrainingError, match="holds another run's checkpoint"):
        run("cgan", second, 4, "--resume", str(first / "checkpoint.npz"))
    assert (second / "checkpoint.npz").read_bytes() == before


def test_a_resume_must_train_on_and_keep_the_training_flags(tmp_path):
    run("vanilla_gan", tmp_path, 4)
    checkpoint = str(tmp_path / "checkpoint.npz")
    for steps in ("4", "2"):
        with pytest.raises(TrainingError, match=f"already at step 4, so --steps {steps} leaves nothing to train"):
            run("vanilla_gan", tmp_path, steps, "--resume", checkpoint)
    differs = r"other hyperparameters \(lr is 0.0002 in the checkpoint but 0.001 now\)"
    with pytest.raises(CheckpointError, match=differs):
        run("vanilla_gan", tmp_path, 6, "--resume", checkpoint, "--lr", "1e-3")


def test_dcgan_checkpoints_whole_discriminator_steps(tmp_path):
    with pytest.raises(TrainingError, match="--checkpoint-every .* multiple of --g-steps 2, got 3"):
        example("dcgan").main(["--checkpoint-every", "3", "--out", str(tmp_path), "--quiet"])


# ------------------------------------------------------------------ the NaN guard and the one-line error

def test_the_nan_guard_offers_a_resume_only_from_a_checkpoint_that_exists(tmp_path):
    with pytest.raises(TrainingError, match=r"Loss_D became nan at step 3; try .* NaNs\.$"):
        check_finite(float("nan"), "Loss_D", 3)
    missing = str(tmp_path / "checkpoint.npz")
    with pytest.raises(TrainingError, match=r"NaNs\.$"):
        check_finite(float("nan"), "Loss_D", 3, missing)
    open(missing, "wb").close()
    with pytest.raises(TrainingError, match=f"resume from the last good checkpoint with --resume {missing}"):
        check_finite(float("inf"), "Loss_G", 3, missing)


def test_gan_1d_writes_no_checkpoint_so_does_not_offer_one(tmp_path, monkeypatch):
    gan_1d = example("gan_1d")
    monkeypatch.setattr(gan_1d, "gaussian_1d", lambda n, mean, std: backend.randn(n, 1) * float("nan"))
    with pytest.raises(TrainingError, match=r"became nan at step 1; .*NaNs\.$"):
        gan_1d.main(["--steps", "3", "--out", str(tmp_path), "--quiet"])


def test_a_bad_flag_ends_the_script_with_one_error_line(tmp_path):
    out = subprocess.run([sys.executable, str(EXAMPLES / "wgan.py"), "--lr", "inf", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLES.parent),
                                                                           os.environ.get("PYTHONPATH", "")])})
    assert out.returncode == 1
    assert out.stderr.strip() == "error: --lr must be a finite number > 0, got inf."


def test_an_interrupted_wgan_gp_run_resumes_bit_for_bit(tmp_path, monkeypatch):
    wgan_gp = example("wgan_gp")
    flags = ["--dataset", "ring", "--steps", "2", "--sharpen-steps", "2", "--width", "8", "--depth", "1",
             "--n-critic", "2", "--batch-size", "16", "--eval-samples", "100", "--checkpoint-every", "2", "--quiet"]
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    wgan_gp.main(flags + ["--out", str(straight)])

    real_check = wgan_gp.check_finite

    def stop_at_step_3(loss, name, step, checkpoint=None):
        if step == 3:
            raise KeyboardInterrupt   # the run is killed after its checkpoint at step 2
        return real_check(loss, name, step, checkpoint)

    monkeypatch.setattr(wgan_gp, "check_finite", stop_at_step_3)
    with pytest.raises(KeyboardInterrupt):
        wgan_gp.main(flags + ["--out", str(broken)])
    monkeypatch.setattr(wgan_gp, "check_finite", real_check)
    assert int(backend.load_npz(str(broken / "checkpoint.npz"))["step"]) == 2
    wgan_gp.main(flags + ["--out", str(broken), "--resume", str(broken / "checkpoint.npz")])
    a, b = (backend.load_npz(str(path / "checkpoint.npz")) for path in (straight, broken))
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    with pytest.raises(TrainingError, match="--resume continues one run; give --seeds 1"):
        wgan_gp.main(flags + ["--out", str(broken), "--seeds", "2", "--resume", str(broken / "checkpoint.npz")])


# ------------------------------------------------------------------ the shared plumbing: run flags and resuming

def options(parser):
    return [(action.option_strings[0], action.default, action.help) for action in parser._actions[1:]]


def test_add_run_flags_adds_the_run_management_flags_in_the_order_help_lists_them():
    p = argparse.ArgumentParser()
    add_run_flags(p, "runs/x", sample_every=5, checkpoint_every=10, unit="generator steps",
                  measure=("--eval-samples", 3, "samples measured at the end"))
    assert options(p) == [
        ("--seed", 0, None),
        ("--out", "runs/x", "directory for pictures and checkpoints"),
        ("--sample-every", 5, "write a sample grid every N generator steps"),
        ("--checkpoint-every", 10, "write the checkpoint every N generator steps"),
        ("--resume", None, "continue from a checkpoint written by this script"),
        ("--overwrite", False, "replace a checkpoint already in --out (a fresh run)"),
        ("--eval-samples", 3, "samples measured at the end"),
        ("--quiet", False, "no progress bar"),
    ]
    args = p.parse_args(["--resume", "a.npz", "--eval-samples", "7", "--quiet"])
    assert (args.resume, args.eval_samples, args.quiet, args.overwrite) == ("a.npz", 7, True, False)


def test_a_run_without_checkpoints_gets_no_resume_flags():
    p = argparse.ArgumentParser()
    add_run_flags(p, "runs/y", sample_every=2, picture="a translation picture")
    assert options(p) == [("--seed", 0, None), ("--out", "runs/y", "directory for the pictures"),
                          ("--sample-every", 2, "write a translation picture every N steps"),
                          ("--quiet", False, "no progress bar")]


def test_check_flags_returns_the_checkpoints_path(tmp_path):
    p = argparse.ArgumentParser()
    add_run_flags(p, str(tmp_path), checkpoint_every=1)
    args = p.parse_args([])
    assert guards.check_flags(args, checkpoint="checkpoint.npz") == os.path.join(str(tmp_path), "checkpoint.npz")
    assert guards.check_flags(args) is None


def resumable(tmp_path, *flags):
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--lr", type=float, default=0.1)
    add_run_flags(p, str(tmp_path), checkpoint_every=2)
    mg.manual_seed(0)
    model = nn.Linear(3, 2)
    return p.parse_args(list(flags)), {"M": model}, {"M": optim.SGD(model.parameters(), lr=0.1)}


def test_resume_or_start_starts_a_fresh_run_at_step_0_and_leaves_the_history_alone(tmp_path):
    args, models, optimizers = resumable(tmp_path)
    history = {"loss": []}
    assert resume_or_start(args, models, optimizers, history) == 0
    assert history == {"loss": []}


def test_resume_or_start_loads_the_checkpoint_and_its_history(tmp_path):
    args, models, optimizers = resumable(tmp_path)
    path = str(tmp_path / "checkpoint.npz")
    weight = models["M"].weight.numpy().copy()
    save_checkpoint(path, 2, models, optimizers, extra={"loss": [0.5, 0.25], "other": [1.0]},
                    hparams=guards.hyperparameters(args))
    args, models, optimizers = resumable(tmp_path, "--resume", path)
    models["M"].weight.data[...] = 0
    history = {"loss": []}
    assert resume_or_start(args, models, optimizers, history) == 2
    assert history == {"loss": [0.5, 0.25]}                  # the series the loop keeps, as plain floats
    np.testing.assert_array_equal(models["M"].weight.numpy(), weight)
    with pytest.raises(TrainingError, match="already at step 2, so --steps 2 leaves nothing to train"):
        resume_or_start(resumable(tmp_path, "--resume", path, "--steps", "2")[0], models, optimizers, history)
    with pytest.raises(TrainingError, match="--steps 1 leaves nothing"):   # the run's own length, where it has one
        resume_or_start(args, models, optimizers, history, steps=1)
    with pytest.raises(TrainingError, match=r"already at step 2, the end of its schedule \(--steps \+ "
                                            r"--sharpen-steps = 2\), .* a longer schedule is a fresh run"):
        resume_or_start(args, models, optimizers, history, steps=2, schedule="--steps + --sharpen-steps")
    with pytest.raises(CheckpointError, match=r"lr is 0.1 in the checkpoint but 0.2 now"):
        resume_or_start(resumable(tmp_path, "--resume", path, "--lr", "0.2")[0], models, optimizers, history)
    with pytest.raises(CheckpointError, match="written by another script, or another version of this one: "
                                              "its flags differ \\(steps is not recorded in the checkpoint"):
        resume_or_start(args, models, optimizers, history, hparams={**guards.hyperparameters(args), "steps": 4})


def test_run_script_returns_mains_result_and_says_how_long_it_took_when_asked(capsys):
    assert guards.run_script(lambda: 7) == 7 and capsys.readouterr().out == ""
    assert guards.run_script(lambda: 8, timed=True) == 8 and capsys.readouterr().out == "took 0 s\n"
