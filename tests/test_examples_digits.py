"""The digit examples (DCGAN, cGAN, ACGAN) run for a few steps, draw, and follow their papers' rules."""

import math
import warnings

import numpy as np
import pytest
from test_examples import load_example

import minigan as mg
from minigan import backend, nn


def run_example(name, tmp_path, *flags):
    result = load_example(name).main(["--steps", "3", "--batch-size", "16", "--sample-every", "2",
                                      "--out", str(tmp_path), "--quiet", *flags])
    assert set(result) == {"metrics", "pictures", "history"}
    assert result["metrics"] and all(math.isfinite(v) for v in result["metrics"].values()), result["metrics"]
    assert all(len(values) == 3 and all(math.isfinite(v) for v in values) for values in result["history"].values())
    for path in result["pictures"]:
        assert path.startswith(str(tmp_path)) and path.endswith(".png")
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        assert (tmp_path / path.rsplit("/", 1)[-1]).stat().st_size > 1000, path
    return result


# ------------------------------------------------------------------ DCGAN


def test_dcgan_runs_and_reports_the_digit_metrics(tmp_path):
    # --g-steps 1: one history row per step (with the default 2, a row per D step: tests/test_guards.py)
    result = run_example("dcgan", tmp_path, "--width", "8", "--eval-samples", "50", "--g-steps", "1")
    names = [p.rsplit("/", 1)[-1] for p in result["pictures"]]
    assert names == ["samples_00002.png", "samples_00003.png", "final.png", "training.png"]
    metrics = result["metrics"]
    expected = {"class_coverage", "class_kl", "inception_score", "frechet_distance", "frechet_distance_real"}
    assert expected <= set(metrics)
    assert 0 <= metrics["class_coverage"] <= 10 and 1 <= metrics["inception_score"] <= 10


def test_dcgan_networks_follow_the_guidelines():
    dcgan = load_example("dcgan")
    mg.manual_seed(0)
    G = nn.init.dcgan_init_(dcgan.build_generator(latent_dim=100, width=16))
    D = nn.init.dcgan_init_(dcgan.build_discriminator(width=16))
    g_layers, d_layers = list(G), list(D)

    # G: transposed convolutions up, ReLU inside, batchnorm everywhere but the output, tanh last
    assert isinstance(g_layers[-1], nn.Tanh) and isinstance(g_layers[-2], nn.ConvTranspose2d)
    assert not any(isinstance(m, nn.LeakyReLU) for m in g_layers)
    ups = [m for m in g_layers if isinstance(m, nn.ConvTranspose2d)]
    assert [m.stride for m in ups] == [(1, 1), (2, 2), (2, 2)]
    assert all(m.kernel_size == (5, 5) for m in ups)
    norms = [i for i, m in enumerate(g_layers) if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    assert norms and all(isinstance(g_layers[i - 1], (nn.Linear, nn.ConvTranspose2d)) for i in norms)
    assert all(isinstance(g_layers[i + 1], nn.ReLU) for i in norms)

    # D: strided convolutions down, LeakyReLU(0.2), no batchnorm on the layer that sees the images
    convs = [m for m in d_layers if isinstance(m, nn.Conv2d)]
    assert len(convs) == 2 and all(m.stride == (2, 2) and m.kernel_size == (5, 5) for m in convs)
    assert isinstance(d_layers[0], nn.Conv2d) and isinstance(d_layers[1], nn.LeakyReLU)
    assert all(m.negative_slope == 0.2 for m in d_layers if isinstance(m, nn.LeakyReLU))
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d_layers) == 1
    assert isinstance(d_layers[-1], nn.Linear) and d_layers[-1].weight.shape == (1, 2 * 16 * 7 * 7)

    # shapes, and the N(0, 0.02^2) initialisation
    z = mg.tensor(backend.randn(5, 100))
    assert G(z).shape == (5, 1, 28, 28) and D(G(z)).shape == (5, 1)
    weight = backend.to_numpy(g_layers[0].weight.data)
    assert abs(weight.std() - 0.02) < 0.002 and abs(weight.mean()) < 0.002


def test_dcgan_refuses_fewer_than_one_generator_step(tmp_path):
    with pytest.raises(mg.gan.guards.TrainingError, match="--g-steps must be an integer >= 1, got 0"):
        run_example("dcgan", tmp_path, "--g-steps", "0")


# ------------------------------------------------------------------ cGAN


def test_cgan_runs_and_reports_its_class_accuracy(tmp_path):
    result = run_example("cgan", tmp_path, "--eval-per-class", "5")
    names = [p.rsplit("/", 1)[-1] for p in result["pictures"]]
    assert names == ["samples_00002.png", "samples_00003.png", "training.png"]
    assert 0 <= result["metrics"]["class_accuracy"] <= 1


def test_cgan_both_players_see_the_label():
    cgan = load_example("cgan")
    mg.manual_seed(0)
    G, D = cgan.ConditionalGenerator(latent_dim=8), cgan.ConditionalDiscriminator()
    G.eval()
    z = mg.tensor(backend.randn(4, 8))
    zeros, sevens = np.zeros(4, dtype="int64"), np.full(4, 7, dtype="int64")
    with mg.no_grad():
        images_0, images_7 = G(z, backend.asarray(zeros)), G(z, backend.asarray(sevens))
        scores_0, scores_7 = D(images_0, backend.asarray(zeros)), D(images_0, backend.asarray(sevens))
    assert images_0.shape == (4, 1, 28, 28)
    assert not np.allclose(images_0.numpy(), images_7.numpy())   # same noise, other class: another image
    assert not np.allclose(scores_0.numpy(), scores_7.numpy())    # same image, other label: another verdict


# ------------------------------------------------------------------ ACGAN


def test_acgan_runs_and_reports_auxiliary_accuracies(tmp_path):
    result = run_example("acgan", tmp_path, "--width", "8", "--eval-per-class", "5")
    metrics = result["metrics"]
    for name in ("aux_accuracy_real", "aux_accuracy_fake", "class_accuracy"):
        assert 0 <= metrics[name] <= 1, name
    assert {"aux acc real", "aux acc fake"} <= set(result["history"])


def looks_like_softmax_output(scores):
    """Every row in [0, 1] and summing to 1: what a softmax returns, and what raw logits almost never are."""
    return bool(((scores >= 0) & (scores <= 1)).all() and np.allclose(scores.sum(axis=1), 1.0, atol=1e-4))


def spy_on_auxiliary_loss(module, monkeypatch):
    """Replace the example's auxiliary_classifier_loss by a wrapper that records each class_logits it gets."""
    seen, real = [], module.auxiliary_classifier_loss

    def spy(class_logits, labels):
        seen.append(class_logits.numpy())
        return real(class_logits, labels)

    monkeypatch.setattr(module, "auxiliary_classifier_loss", spy)
    return seen


def test_acgan_feeds_logits_not_probabilities_to_the_auxiliary_loss(tmp_path, monkeypatch):
    acgan = load_example("acgan")
    seen = spy_on_auxiliary_loss(acgan, monkeypatch)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*look like probabilities")
        acgan.main(["--steps", "2", "--batch-size", "8", "--width", "4", "--eval-per-class", "2", "--aux-on-fakes",
                    "--out", str(tmp_path), "--quiet"])
    assert len(seen) == 2 * 3   # per step: real and fake in D's loss (fake with --aux-on-fakes), fake in G's
    for scores in seen:
        assert scores.shape == (8, 10)
        assert not looks_like_softmax_output(scores)


def test_the_softmax_check_catches_the_bug(tmp_path, monkeypatch):
    """The check above is not vacuous: an ACGAN whose D ends in a softmax is caught by it."""
    acgan = load_example("acgan")
    seen = spy_on_auxiliary_loss(acgan, monkeypatch)
    forward = acgan.Discriminator.forward
    monkeypatch.setattr(acgan.Discriminator, "forward",
                        lambda self, x: (lambda a, s: (a, mg.softmax(s, axis=1)))(*forward(self, x)))
    with pytest.warns(UserWarning, match="look like probabilities"):
        acgan.main(["--steps", "1", "--batch-size", "8", "--width", "4", "--eval-per-class", "2",
                    "--out", str(tmp_path), "--quiet"])
    assert seen and all(looks_like_softmax_output(scores) for scores in seen)
