"""examples/wgan.py and examples/wgan_gp.py run for a few steps, draw their pictures and report finite numbers."""

import math

import pytest
from test_examples import load_example

from minigan.gan.guards import TrainingError


def assert_pictures(result):
    assert result["pictures"], "no pictures written"
    for path in result["pictures"]:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", path
        assert len(open(path, "rb").read()) > 5000, f"{path} looks empty"


def test_wgan_runs_clips_and_reports(tmp_path):
    wgan = load_example("wgan")
    result = wgan.main(["--steps", "3", "--n-critic", "2", "--batch-size", "16", "--sample-every", "2",
                        "--eval-samples", "50", "--out", str(tmp_path), "--quiet"])
    metrics = result["metrics"]
    assert set(metrics) >= {"wasserstein_estimate", "class_coverage", "class_kl"}
    assert all(math.isfinite(v) for v in metrics.values())
    assert 1 <= metrics["class_coverage"] <= 10
    assert len(result["history"][wgan.W_ESTIMATE]) == 3
    assert {p.split("/")[-1] for p in result["pictures"]} == {"samples_00002.png", "samples_00003.png", "training.png"}
    assert_pictures(result)


def test_wgan_refuses_a_non_positive_clip(tmp_path):
    wgan = load_example("wgan")
    with pytest.raises(TrainingError, match="--clip must be a finite number > 0"):
        wgan.main(["--steps", "1", "--clip", "0", "--out", str(tmp_path), "--quiet"])


def test_wgan_gp_on_the_ring_reports_mode_metrics_for_each_seed(tmp_path, capsys):
    wgan_gp = load_example("wgan_gp")
    result = wgan_gp.main(["--dataset", "ring", "--steps", "3", "--sharpen-steps", "2", "--seeds", "2", "--width", "16",
                           "--batch-size", "32", "--eval-samples", "200", "--out", str(tmp_path), "--quiet"])
    metrics = result["metrics"]
    for name in ("modes_captured", "high_quality_fraction"):
        assert math.isfinite(metrics[name]) and math.isfinite(metrics[name + "_std"])
    assert 0 <= metrics["high_quality_fraction"] <= 1 and 0 <= metrics["modes_captured"] <= 8
    history = result["history"]                    # 3 WGAN-GP steps, then 2 steps of the GAN loss
    assert len(history["penalty"]) == len(history[wgan_gp.W_ESTIMATE]) == 3 and len(history["loss_G"]) == 5
    assert all(v >= 0 for v in history["penalty"])
    assert {p.split("/")[-1] for p in result["pictures"]} == {"training.png", "points.png"}
    assert_pictures(result)
    out = capsys.readouterr().out
    assert "mean of 2 seeds" in out and "PacGAN Table 1 PacGAN2: 7.9" in out


def test_wgan_gp_vanilla_baseline_on_the_grid(tmp_path):
    wgan_gp = load_example("wgan_gp")
    result = wgan_gp.main(["--dataset", "grid", "--loss", "vanilla", "--steps", "3", "--sharpen-steps", "1",
                           "--width", "16", "--batch-size", "32", "--eval-samples", "200",
                           "--out", str(tmp_path), "--quiet"])
    history = result["history"]
    assert not history["penalty"] and len(history["loss_C"]) == len(history["loss_G"]) == 4
    assert 0 <= result["metrics"]["modes_captured"] <= 25
    assert_pictures(result)


def test_wgan_gp_on_digits(tmp_path):
    wgan_gp = load_example("wgan_gp")
    result = wgan_gp.main(["--dataset", "digits", "--steps", "2", "--n-critic", "2", "--batch-size", "16",
                           "--eval-samples", "50", "--out", str(tmp_path), "--quiet"])
    metrics = result["metrics"]
    assert all(math.isfinite(metrics[name]) for name in ("class_coverage", "class_kl", "frechet_distance"))
    assert {p.split("/")[-1] for p in result["pictures"]} == {"training.png", "samples_seed0.png"}
    assert_pictures(result)


def test_wgan_gp_critics_have_no_batchnorm():
    wgan_gp = load_example("wgan_gp")
    from minigan import nn

    for critic in (wgan_gp.build_digit_critic(), wgan_gp.build_toy_critic(8, 2)):
        kinds = {type(m) for m in critic.modules()}
        assert not kinds & {nn.BatchNorm1d, nn.BatchNorm2d}


def test_wgan_gp_latent_code_is_one_hot_in_front_of_z():
    wgan_gp = load_example("wgan_gp")
    import numpy as np

    args = wgan_gp.parse_args(["--dataset", "grid", "--codes", "7", "--latent-dim", "3"])
    z = wgan_gp.latent(500, args).numpy()
    assert z.shape == (500, 10)
    code = z[:, :7]
    assert set(np.unique(code)) == {0.0, 1.0} and (code.sum(axis=1) == 1).all()
    assert len(set(code.argmax(axis=1))) == 7, "500 draws should use every one of 7 codes"
    assert abs(z[:, 7:].std() - 1) < 0.1                 # the Gaussian part is untouched
    no_code = wgan_gp.parse_args(["--dataset", "ring", "--latent-dim", "3"])
    assert no_code.codes == 0 and wgan_gp.latent(4, no_code).shape == (4, 3)


def test_wgan_gp_grid_trains_with_codes(tmp_path):
    wgan_gp = load_example("wgan_gp")
    result = wgan_gp.main(["--dataset", "grid", "--codes", "5", "--steps", "2", "--sharpen-steps", "2",
                           "--width", "16", "--batch-size", "32", "--eval-samples", "100",
                           "--out", str(tmp_path), "--quiet"])
    assert len(result["history"]["loss_G"]) == 4 and 0 <= result["metrics"]["modes_captured"] <= 25


@pytest.mark.parametrize("flag, value", [("--codes", "-1"), ("--sharpen-steps", "-5"), ("--sharpen-lr", "0")])
def test_wgan_gp_refuses_bad_phase_flags(tmp_path, flag, value):
    wgan_gp = load_example("wgan_gp")
    with pytest.raises(TrainingError, match=flag):
        wgan_gp.main(["--dataset", "ring", flag, value, "--steps", "1", "--out", str(tmp_path), "--quiet"])
