"""Pictures of what minigan computes: image grids, training curves, 2D point clouds, GIFs.

The computation graph is drawn by :mod:`minigan.graph_viz` (``draw_graph``).
Each drawing function imports matplotlib inside itself, with the Agg backend,
so ``import minigan.viz`` is cheap and works without a display.
"""

import shutil

from minigan import backend
from minigan.tensor import Tensor


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt

# ===================================================================== training pictures: samples and curves


def _host_images(images):
    """(N, C, H, W) or (N, H, W) images as a host array of (N, H, W) or (N, H, W, 3) in [0, 1]."""
    array = backend.to_numpy(images.data if isinstance(images, Tensor) else images).astype("float32")
    if array.ndim == 4:
        array = array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1)
    if array.ndim not in (3, 4):
        raise ValueError(f"save_image_grid expects images shaped (N, C, H, W) or (N, H, W), got {array.shape}.")
    low, high = (-1.0, 1.0) if array.min() < 0 else (0.0, 1.0)  # tanh outputs or [0, 1] pixels
    return ((array - low) / (high - low)).clip(0.0, 1.0)


def save_image_grid(images, path, nrow=None, title=None, row_labels=None):
    """Save a grid of images (values in [-1, 1] or [0, 1]) as a PNG; ``nrow`` images per row."""
    plt = pyplot()
    pictures = _host_images(images)
    n = len(pictures)
    nrow = nrow or max(1, int(round(n**0.5)))
    rows = (n + nrow - 1) // nrow
    height, width = pictures.shape[1:3]
    pad = 2
    canvas_shape = (rows * (height + pad) + pad, nrow * (width + pad) + pad) + pictures.shape[3:]
    canvas = backend.numpy_zeros(canvas_shape) + 0.5
    for i, picture in enumerate(pictures):
        top, left = pad + (i // nrow) * (height + pad), pad + (i % nrow) * (width + pad)
        canvas[top : top + height, left : left + width] = picture
    fig, ax = plt.subplots(figsize=(max(2.0, nrow * 0.45), max(2.0, rows * 0.45) + (0.3 if title else 0)))
    ax.imshow(canvas, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    if row_labels is not None:
        ax.set_yticks([pad + r * (height + pad) + height / 2 for r in range(rows)], labels=list(row_labels)[:rows])
        ax.set_xticks([])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
    else:
        ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def images_by_class(images, labels, n_classes=10, per_class=10):
    """Images (N, C, H, W) arranged one row per class, for ``save_image_grid(..., nrow=per_class)``.

    Returns ``(rows, counts)``: host images of shape (n_classes * per_class, C, H, W) whose row c
    holds the first ``per_class`` images with label c (cells left over stay at -1, black), and
    how many of the N images carry each label.
    """
    array = backend.to_numpy(images.data if isinstance(images, Tensor) else images)
    labels = backend.to_numpy(labels).astype("int64").reshape(-1)
    if array.ndim != 4 or len(labels) != len(array):
        raise ValueError(f"images_by_class needs images (N, C, H, W) and one label each, "
                         f"got images {array.shape} and {len(labels)} labels.")
    if len(labels) and not 0 <= labels.min() <= labels.max() < n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}), got {labels.min()} to {labels.max()}.")
    rows = backend.numpy_zeros((n_classes * per_class,) + array.shape[1:]) - 1.0
    for c in range(n_classes):
        chosen = array[labels == c][:per_class]
        rows[c * per_class : c * per_class + len(chosen)] = chosen
    return rows, [int((labels == c).sum()) for c in range(n_classes)]


def plot_history(history, path, title=None, smooth=50):
    """Plot each series of ``history`` (name -> list of numbers per step) in its own panel.

    A running mean over ``smooth`` steps is drawn over the raw, noisy values.
    """
    plt = pyplot()
    names = [name for name, values in history.items() if len(values)]
    if not names:
        raise ValueError("plot_history got no values to plot.")
    cols = min(3, len(names))
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        values = backend.to_numpy(backend.asarray(history[name], dtype="float64"))
        ax.plot(values, lw=0.6, alpha=0.35, color="tab:blue")
        if len(values) > smooth:
            running = values.cumsum()
            running = (running[smooth:] - running[:-smooth]) / smooth
            ax.plot(range(smooth, len(values)), running, lw=1.4, color="tab:blue")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_points_2d(panels, path, modes=None, title=None, limit=None, columns=None):
    """Scatter 2D samples, one panel per entry of ``panels`` (title -> (N, 2) array), with the modes marked.

    Mode collapse is visible at a glance: the samples gather at a few of the
    red crosses instead of all of them. The panels sit in one row, or in rows
    of ``columns`` panels.
    """
    plt = pyplot()
    columns = min(columns or len(panels), len(panels))
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")                                  # the last row's empty places
    centres = None if modes is None else backend.to_numpy(modes.data if isinstance(modes, Tensor) else modes)
    for ax, (name, points) in zip(axes.flat, panels.items()):
        points = backend.to_numpy(points.data if isinstance(points, Tensor) else points)
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, color="tab:blue")
        if centres is not None:
            ax.scatter(centres[:, 0], centres[:, 1], marker="x", s=30, color="tab:red", lw=1.2)
        if limit is not None:
            ax.set_xlim(-limit, limit)
            ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def save_animation(draw_frame, n_frames, path, fps=5, figsize=(6.4, 4.0), dpi=90):
    """Save an animation: ``draw_frame(fig, i)`` draws frame i (0 <= i < n_frames) on a cleared figure.

    A path ending in ``.gif`` is written with matplotlib's PillowWriter (Pillow
    comes with matplotlib, so no ffmpeg is needed); ``.mp4`` needs ffmpeg on the
    PATH and says so if it is missing. ``draw_frame`` may also ``fig.savefig``
    the frame as a PNG.
    """
    plt = pyplot()
    from matplotlib.animation import FFMpegWriter, PillowWriter

    path = str(path)
    if n_frames < 1:
        raise ValueError(f"save_animation needs at least one frame, got n_frames={n_frames}.")
    if path.endswith(".gif"):
        writer = PillowWriter(fps=fps)
    elif path.endswith(".mp4"):
        if shutil.which("ffmpeg") is None:
            raise RuntimeError("writing an MP4 needs ffmpeg on the PATH; install it, or give a .gif path.")
        writer = FFMpegWriter(fps=fps)
    else:
        raise ValueError(f"save_animation writes a .gif or an .mp4, got {path!r}.")
    fig = plt.figure(figsize=figsize)
    with writer.saving(fig, path, dpi):
        for i in range(n_frames):
            fig.clf()
            draw_frame(fig, i)
            writer.grab_frame()
    plt.close(fig)
    return path
