"""examples/improved_gan.py writes checkpoint.npz, resumes an interrupted comparison bit for bit, keeps it."""

import numpy as np
import pytest
from test_examples import load_example

from minigan import backend
from minigan.gan.guards import TrainingError

TINY = ["--steps", "4", "--batch-size", "16", "--hidden", "8", "--latent-dim", "4", "--reference-size", "4",
        "--minibatch-kernels", "2", "--checkpoint-every", "2", "--quiet"]


@pytest.fixture(scope="module")
def improved():
    return load_example("improved_gan")


def table(capsys, out):
    """The printed table without its timing column (s/run), the folder's name replaced."""
    lines = capsys.readouterr().out.replace(str(out), "OUT").strip().splitlines()
    return [line[:-8] if line.startswith(("ring", "grid", "dataset")) else line for line in lines]


def saved(out):
    """The checkpoint's entries, but for the seconds each run took."""
    arrays = backend.load_npz(str(out / "checkpoint.npz"))
    return {key: value for key, value in arrays.items() if not key.endswith("/seconds")}


# (flags, the run and step at which the invocation is killed, what its checkpoint then holds).
# Runs go dataset by dataset, method by method (plain, the five techniques), seed by seed.
CASES = {
    "mid-run, historical averages": (["--dataset", "both"], 5, 3, ("ring/hist. averaging/seed 0", 2)),
    "between two runs": (["--dataset", "ring", "--seeds", "2"], 3, 1, ("ring/feature matching/seed 0", 4)),
}


@pytest.mark.parametrize("case", CASES)
def test_an_interrupted_comparison_resumes_bit_for_bit(improved, case, tmp_path, monkeypatch, capsys):
    flags, killed_run, killed_step, (in_progress, at_step) = CASES[case]
    flags = TINY + flags
    straight, broken = tmp_path / "straight", tmp_path / "broken"
    expected = improved.main(flags + ["--out", str(straight)])
    expected_table = table(capsys, straight)

    real_check, real_train = improved.check_finite, improved.train
    calls = []

    def killed(loss, name, step, checkpoint=None):
        calls.append(step)
        if len(calls) == 2 * (killed_run * 4 + killed_step) + 1:
            raise KeyboardInterrupt      # killed at this step: the last checkpoint is a little older
        return real_check(loss, name, step, checkpoint)

    monkeypatch.setattr(improved, "check_finite", killed)
    with pytest.raises(KeyboardInterrupt):
        improved.main(flags + ["--out", str(broken)])
    monkeypatch.setattr(improved, "check_finite", real_check)
    capsys.readouterr()
    arrays = backend.load_npz(str(broken / "checkpoint.npz"))
    assert (str(arrays["extra/run"]), int(arrays["step"])) == (in_progress, at_step)

    trained = []

    def train(args, dataset, method, seed, *rest, resume=None):
        trained.append((improved.run_name(dataset, method, seed), resume is not None))
        return real_train(args, dataset, method, seed, *rest, resume=resume)

    monkeypatch.setattr(improved, "train", train)
    result = improved.main(flags + ["--out", str(broken), "--resume", str(broken / "checkpoint.npz")])
    # the runs finished before are not trained again; the one in progress goes on from its checkpoint
    names = [key[:-len("/loss_D")] for key in expected["history"] if key.endswith("/loss_D")]
    assert trained == [(in_progress, True)] + [(name, False) for name in names[names.index(in_progress) + 1:]]

    assert table(capsys, broken) == expected_table
    np.testing.assert_equal(result["metrics"], expected["metrics"])   # NaN (no high-quality sample) equals NaN
    assert result["history"] == expected["history"]
    for picture in ("ring.png", "grid.png"):
        if (straight / picture).exists():
            assert (broken / picture).read_bytes() == (straight / picture).read_bytes(), picture
    a, b = saved(straight), saved(broken)
    assert a.keys() == b.keys() and any(key.startswith("model/") for key in a)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_a_checkpoint_in_out_is_kept_unless_resumed_with_its_flags_or_overwritten(improved, tmp_path, capsys):
    flags = TINY + ["--dataset", "ring", "--compare", "--historical-averaging", "--out", str(tmp_path)]
    improved.main(flags)
    checkpoint = tmp_path / "checkpoint.npz"
    before = checkpoint.read_bytes()
    with pytest.raises(TrainingError, match="already holds a checkpoint; continue it with --resume .*--overwrite"):
        improved.main(flags)
    for other, differ in [(["--lr", "2e-3"], "lr is 0.001 in the checkpoint but 0.002 now"),
                          (["--steps", "6"], "steps is 4 in the checkpoint but 6 now"),
                          (["--dataset", "grid"], "dataset is 'ring' in the checkpoint but 'grid' now")]:
        with pytest.raises(TrainingError, match=f"other hyperparameters \\({differ}\\), so nothing was loaded"):
            improved.main(flags + other + ["--resume", str(checkpoint)])
    assert checkpoint.read_bytes() == before    # nothing lost
    improved.main(flags + ["--overwrite", "--seed", "1"])
    assert checkpoint.read_bytes() != before
