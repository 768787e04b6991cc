"""The lab view: its arrows are -dL_G/dx (checked by finite differences in float64), and its pictures are written."""

import math
import shutil

import pytest

import minigan as mg
from minigan import data
from minigan.gan import g_loss
from minigan.lab import Lab, generator_gradient


def _ring_lab(**kw):
    return Lab(lambda n: data.ring_of_gaussians(n), modes=data.ring_modes(), batch_size=32, width=16, **kw)


@pytest.mark.parametrize("saturating", [False, True])
def test_arrows_are_minus_the_generator_loss_gradient_by_finite_differences(saturating):
    lab = _ring_lab()
    lab.run(5)
    lab.D.double()
    fake = lab.fakes().astype("float64")
    arrows = generator_gradient(lab.D, fake, saturating)
    assert arrows.shape == fake.shape

    def loss(points):
        with mg.no_grad():
            return g_loss(lab.D(mg.tensor(points)), saturating=saturating).item()

    eps = 1e-6
    for i in (0, 7, 31):  # one fake sample moved at a time, both coordinates
        for j in (0, 1):
            plus, minus = fake.copy(), fake.copy()
            plus[i, j] += eps
            minus[i, j] -= eps
            numeric = (loss(plus) - loss(minus)) / (2 * eps)
            assert arrows[i, j] == pytest.approx(-numeric, rel=1e-6, abs=1e-10)


def test_saturating_and_non_saturating_arrows_differ_by_the_factor_sigma_over_one_minus_sigma():
    # -dL_G/dx = sigma(a) grad a / N (saturating) and (1 - sigma(a)) grad a / N (non-saturating)
    lab = _ring_lab()
    lab.run(5)
    lab.D.double()
    fake = lab.fakes().astype("float64")
    sat, non = generator_gradient(lab.D, fake, True), generator_gradient(lab.D, fake, False)
    with mg.no_grad():
        logits = lab.D(mg.tensor(fake)).numpy().reshape(-1)
    for i in range(len(fake)):
        d = 1 / (1 + math.exp(-logits[i]))
        assert sat[i].tolist() == pytest.approx((non[i] * d / (1 - d)).tolist(), rel=1e-9, abs=1e-14)


def test_lab_arrows_use_the_lab_loss_and_leave_d_weights_alone():
    lab = _ring_lab(saturating=True)
    before = [p.numpy().copy() for p in lab.D.parameters()]
    assert lab.arrows().tolist() == generator_gradient(lab.D, lab.fakes(), True).tolist()
    assert all(p.grad is None for p in lab.D.parameters())
    assert all((p.numpy() == b).all() for p, b in zip(lab.D.parameters(), before))


def test_moves_count_steps_and_change_only_their_player():
    lab = _ring_lab()
    g_before = [p.numpy().copy() for p in lab.G.parameters()]
    lab.d_step()
    assert (lab.d_steps, lab.g_steps) == (1, 0)
    assert all((p.numpy() == b).all() for p, b in zip(lab.G.parameters(), g_before))
    d_before = [p.numpy().copy() for p in lab.D.parameters()]
    lab.g_step()
    assert (lab.d_steps, lab.g_steps) == (1, 1)
    assert all((p.numpy() == b).all() for p, b in zip(lab.D.parameters(), d_before))
    assert any((p.numpy() != b).any() for p, b in zip(lab.G.parameters(), g_before))
    lab.step(k=3)
    assert (lab.d_steps, lab.g_steps) == (4, 2)


def _image(path):
    from PIL import Image

    return Image.open(path)


@pytest.mark.parametrize("arrows", [None, "both"])
def test_png_is_written_headless_and_is_an_image(tmp_path, arrows):
    lab = _ring_lab()
    path = lab.draw(tmp_path / "lab.png", arrows=arrows)
    image = _image(path)
    assert image.format == "PNG" and image.size[0] > 300 and image.size[1] > 200
    assert len(image.convert("L").getcolors(maxcolors=1 << 16)) > 20  # a picture, not a blank canvas
    assert lab.to_png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_1d_gaussian_draws_too(tmp_path):
    lab = Lab(lambda n: data.gaussian_1d(n), latent_dim=1, batch_size=32, width=16)
    lab.run(2)
    assert _image(lab.draw(tmp_path / "line.png", arrows="both")).format == "PNG"


def test_gif_over_training_has_one_frame_per_stretch(tmp_path):
    lab = _ring_lab()
    path = lab.animate(tmp_path / "training.gif", frames=3, iterations_per_frame=2)
    image = _image(path)
    assert image.format == "GIF" and image.n_frames == 3
    assert (lab.d_steps, lab.g_steps) == (4, 4)


def test_mp4_needs_ffmpeg_and_says_so(tmp_path):
    lab = _ring_lab()
    if shutil.which("ffmpeg") is None:
        with pytest.raises(RuntimeError, match="ffmpeg"):
            lab.animate(tmp_path / "training.mp4", frames=2, iterations_per_frame=1)
    else:
        path = lab.animate(tmp_path / "training.mp4", frames=2, iterations_per_frame=1)
        assert (tmp_path / "training.mp4").stat().st_size > 0 and str(path).endswith(".mp4")
    with pytest.raises(ValueError, match="gif"):
        lab.animate(tmp_path / "training.avi", frames=1)


def test_widget_buttons_step_and_redraw():
    pytest.importorskip("ipywidgets")
    lab = _ring_lab()
    box = lab.widget()
    buttons, picture = box.children[0].children, box.children[-1]
    first = picture.value
    buttons[0].click()  # one D step
    assert (lab.d_steps, lab.g_steps) == (1, 0)
    buttons[1].click()  # one G step
    assert (lab.d_steps, lab.g_steps) == (1, 1)
    assert picture.value != first and picture.value[:4] == b"\x89PNG"
