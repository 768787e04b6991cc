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


def test_points_panels_wrap_into_rows_of_the_given_columns(tmp_path):
    import matplotlib.image

    from minigan.viz import plot_points_2d
    panels = {f"seed {k}": np.random.default_rng(k).normal(size=(50, 2)) for k in range(7)}
    one_row = matplotlib.image.imread(plot_points_2d(panels, tmp_path / "row.png"))
    wrapped = matplotlib.image.imread(plot_points_2d(panels, tmp_path / "rows.png", columns=5))
    assert one_row.shape[1] > 6 * one_row.shape[0]                 # 7 panels side by side
    assert wrapped.shape[0] > 1.8 * one_row.shape[0]               # two rows
    assert wrapped.shape[1] < 0.8 * one_row.shape[1]               # of at most 5 panels
