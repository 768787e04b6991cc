"""examples/improved_gan.py and examples/gan_1d.py run for a few steps, draw their pictures and report numbers."""

import math

import pytest
from PIL import Image
from test_examples import load_example

from minigan.gan.guards import TrainingError
from minigan.viz import save_animation

TECHNIQUE_FLAGS = ["--feature-matching", "--minibatch-discrimination", "--label-smoothing",
                   "--virtual-batch-norm", "--historical-averaging"]
FAST = ["--steps", "3", "--batch-size", "32", "--reference-size", "8", "--hidden", "16", "--quiet"]


def check_2d_metrics(metrics, dataset, method):
    modes, hq, kl = (metrics[f"{dataset} {method} {name}"] for name in ("modes", "high-quality", "reverse KL"))
    assert 0 <= modes <= (8 if dataset == "ring" else 25)
    assert 0 <= hq <= 1
    assert math.isfinite(kl) or modes == 0   # the mode histogram's KL is undefined without high-quality samples


def test_improved_gan_compares_every_technique_with_the_plain_gan_on_both_datasets(tmp_path):
    improved = load_example("improved_gan")
    result = improved.main(FAST + ["--out", str(tmp_path)])
    assert set(result) == {"metrics", "pictures", "history"}
    methods = ["plain GAN"] + [improved.SHORT[t] for t in improved.TECHNIQUES]
    assert len(result["metrics"]) == 2 * len(methods) * 3
    for dataset in ("ring", "grid"):
        for method in methods:
            check_2d_metrics(result["metrics"], dataset, method)
        assert (tmp_path / f"{dataset}.png").stat().st_size > 20_000
    assert sorted(result["pictures"]) == sorted(str(tmp_path / f"{d}.png") for d in ("ring", "grid"))
    losses = [v for values in result["history"].values() for v in values]
    assert len(losses) == 2 * len(methods) * 2 * 3 and all(math.isfinite(v) for v in losses)


def test_improved_gan_trains_one_model_with_all_techniques_together(tmp_path):
    improved = load_example("improved_gan")
    result = improved.main(FAST + TECHNIQUE_FLAGS + ["--dataset", "grid", "--out", str(tmp_path)])
    name = " + ".join(improved.SHORT[t] for t in improved.TECHNIQUES)
    check_2d_metrics(result["metrics"], "grid", name)
    assert len(result["metrics"]) == 3 and (tmp_path / "grid.png").stat().st_size > 10_000


def test_improved_gan_compare_with_flags_runs_plain_and_only_those(tmp_path):
    improved = load_example("improved_gan")
    args = improved.parse_args(["--compare", "--label-smoothing", "0.8", "--historical-averaging"])
    assert improved.chosen_methods(args) == [(), ("label_smoothing",), ("historical_averaging",)]
    assert args.label_smoothing == 0.8
    assert improved.parse_args(["--label-smoothing"]).label_smoothing == 0.9


@pytest.mark.parametrize("flags, message", [(["--lr", "0"], "--lr must be a finite number > 0"),
                                            (["--seeds", "0"], "--seeds must be an integer >= 1")])
def test_improved_gan_refuses_bad_settings(tmp_path, flags, message):
    improved = load_example("improved_gan")
    with pytest.raises(TrainingError, match=message):
        improved.main(FAST + flags + ["--out", str(tmp_path)])


def test_gan_1d_draws_figure_1_frames_and_a_gif(tmp_path):
    gan_1d = load_example("gan_1d")
    result = gan_1d.main(["--steps", "6", "--frames", "3", "--batch-size", "32", "--out", str(tmp_path), "--quiet"])
    assert set(result) == {"metrics", "pictures", "history"}
    frames = sorted((tmp_path / "frames").glob("step_*.png"))
    assert [f.name for f in frames] == ["step_00000.png", "step_00002.png", "step_00006.png"]
    for path in [*frames, tmp_path / "figure1.png", tmp_path / "training.png"]:
        assert path.stat().st_size > 10_000, path
        assert str(path) in result["pictures"]
    with Image.open(tmp_path / "gan_1d.gif") as gif:
        assert gif.n_frames == 3
    assert all(math.isfinite(v) for v in result["metrics"].values())
    assert 0 <= result["metrics"]["max |D(x) - 1/2| on the bulk"] <= 0.5
    assert len(result["history"]["loss_D"]) == 6


def test_gan_1d_refuses_bad_settings(tmp_path):
    gan_1d = load_example("gan_1d")
    with pytest.raises(TrainingError, match="--frames must be an integer >= 2"):
        gan_1d.main(["--steps", "3", "--frames", "1", "--out", str(tmp_path), "--quiet"])


def test_save_animation_writes_one_frame_per_call(tmp_path):
    drawn = []

    def draw(fig, i):
        fig.add_subplot(1, 1, 1).plot([0, 1], [i, -i])
        drawn.append(i)

    path = save_animation(draw, 4, tmp_path / "a.gif", fps=2, figsize=(2, 2), dpi=40)
    assert drawn == [0, 1, 2, 3]
    with Image.open(path) as gif:
        assert gif.n_frames == 4
    with pytest.raises(ValueError, match="at least one frame"):
        save_animation(draw, 0, tmp_path / "b.gif")
