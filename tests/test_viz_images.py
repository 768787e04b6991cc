"""images_by_class: generated digits sorted into one row per class read."""

import numpy as np
import pytest

from minigan.viz import images_by_class, save_image_grid


def labelled_images():
    """Six 1x2x2 images whose every pixel holds the image's own index / 10, labelled 2, 0, 2, 1, 2, 2."""
    images = np.arange(6, dtype="float32")[:, None, None, None] / 10 * np.ones((6, 1, 2, 2), dtype="float32")
    return images, np.array([2, 0, 2, 1, 2, 2])


def test_each_row_holds_the_first_images_of_its_class_and_black_where_too_few():
    images, labels = labelled_images()
    rows, counts = images_by_class(images, labels, n_classes=3, per_class=2)
    assert rows.shape == (6, 1, 2, 2)
    assert counts == [1, 1, 4]
    first_pixels = rows[:, 0, 0, 0]
    np.testing.assert_allclose(first_pixels, [0.1, -1.0, 0.3, -1.0, 0.0, 0.2])  # class 0, class 1, class 2


def test_the_rows_draw_as_a_labelled_grid(tmp_path):
    images, labels = labelled_images()
    rows, counts = images_by_class(images, labels, n_classes=3, per_class=2)
    labels = [f"{c} ({n})" for c, n in enumerate(counts)]
    path = save_image_grid(rows, tmp_path / "by_class.png", nrow=2, row_labels=labels)
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 1]), "one label each"),
    (np.array([0, 1, 2, 3, 0, 1]), r"labels must lie in \[0, 3\)"),
])
def test_mismatched_or_out_of_range_labels_are_refused(labels, message):
    images, _ = labelled_images()
    with pytest.raises(ValueError, match=message):
        images_by_class(images, labels, n_classes=3)
