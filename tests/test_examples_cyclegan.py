"""examples/cyclegan.py: the domains are unpaired and correct, and a few steps train, draw and report."""

import math

import numpy as np
import pytest
from test_examples import load_example

import minigan as mg
from minigan.data import load_digits
from minigan.gan.guards import TrainingError

cyclegan = load_example("cyclegan")


def test_rotate_and_unrotate_are_inverse_quarter_turns():
    host = np.arange(2 * 28 * 28, dtype="float32").reshape(2, 1, 28, 28)
    images = mg.tensor(host)
    turned = cyclegan.rotate(images).numpy()
    np.testing.assert_array_equal(turned, np.rot90(host, 1, axes=(2, 3)))   # counter-clockwise, as NumPy turns
    assert turned[0, 0, 27, 0] == host[0, 0, 0, 0]                         # top-left goes to bottom-left
    back = cyclegan.unrotate(cyclegan.rotate(images))
    np.testing.assert_array_equal(back.numpy(), host)


def test_thicken_is_a_three_by_three_dilation():
    image = np.full((1, 1, 28, 28), -1.0, dtype="float32")
    image[0, 0, 10, 20] = 1.0
    thick = cyclegan.thicken(mg.tensor(image)).numpy()
    expected = np.full_like(image, -1.0)
    expected[0, 0, 9:12, 19:22] = 1.0
    np.testing.assert_array_equal(thick, expected)


def test_domains_share_no_digit_and_hold_out_the_classifiers_test_split():
    images, labels = (mg.tensor(a) for a in load_digits())
    mg.manual_seed(0)
    x_train, y_train, (x_test, x_labels), (y_test, y_labels) = cyclegan.make_domains(images, labels, cyclegan.rotate)
    assert len(x_train) == len(y_train) == 2250 and len(x_test) == len(y_test) == 250
    key = lambda batch: {bytes(img) for img in batch.numpy()}   # noqa: E731
    x_set, y_set = key(x_train), key(cyclegan.unrotate(y_train))
    assert not x_set & y_set                                   # no x has its rotation in Y: no pairs
    held_out = key(images[::10])                               # metrics.digit_split holds out every 10th digit
    assert key(x_test) | key(cyclegan.unrotate(y_test)) <= held_out
    assert not (x_set | y_set) & held_out
    assert len(set(x_labels.numpy().tolist())) == 10 and len(set(y_labels.numpy().tolist())) == 10


def test_a_few_steps_train_draw_and_report(tmp_path):
    result = cyclegan.main(["--steps", "3", "--batch-size", "8", "--sample-every", "5", "--identity", "5",
                            "--out", str(tmp_path), "--quiet"])
    assert set(result) == {"metrics", "pictures", "history"}
    pictures = [tmp_path / "translation_00003.png", tmp_path / "training.png"]
    assert [str(p) for p in result["pictures"]] == [str(p) for p in pictures]
    for path in pictures:
        assert path.stat().st_size > 1000, path.name
    metrics = result["metrics"]
    assert {"cycle_error_x", "cycle_error_y", "class_kept_G", "class_kept_FG", "G_error_vs_truth"} <= set(metrics)
    assert all(math.isfinite(v) for v in metrics.values())
    assert 0 <= metrics["cycle_error_x"] <= 2 and 0 <= metrics["class_kept_G"] <= 1
    assert metrics["classifier_on_x"] > 0.9                    # the yardstick itself works on untouched digits
    assert all(len(v) == 3 and all(map(math.isfinite, v)) for v in result["history"].values())
    assert result["history"]["loss_identity"][0] > 0


def test_minimax_loss_and_rotate_domain_run(tmp_path):
    result = cyclegan.main(["--steps", "1", "--batch-size", "4", "--loss", "minimax", "--domain", "rotate",
                            "--out", str(tmp_path), "--quiet"])
    assert "loss_identity" not in result["history"]
    assert all(math.isfinite(v) for v in result["metrics"].values())


def test_bad_batch_size_is_refused(tmp_path):
    with pytest.raises(TrainingError, match="larger than the data"):
        cyclegan.main(["--steps", "2", "--batch-size", "3000", "--out", str(tmp_path), "--quiet"])
