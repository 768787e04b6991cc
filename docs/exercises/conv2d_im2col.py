"""Exercise: conv2d as im2col + one matrix product, and its input gradient.  Page: docs/exercises/conv2d_im2col.md

Plain functions on backend arrays (``xp`` is NumPy or CuPy). Shapes:
x (N, C, H, W), weight (O, C, kh, kw), y (N, O, OH, OW) with

    OH = (H + 2 padding - kh) // stride + 1,   OW = (W + 2 padding - kw) // stride + 1
    y[n, o, oh, ow] = sum_{c, i, j} weight[o, c, i, j] * x_padded[n, c, oh*stride + i, ow*stride + j]

(x_padded: x with ``padding`` zeros on every side; no flip of the kernel: this
is the cross-correlation every deep-learning library calls conv2d).

1. im2col: copy every patch into a column, cols of shape (N, C*kh*kw, OH*OW);
   row r = (c*kh + i)*kw + j (the order of weight.reshape(O, -1)), column oh*OW + ow.
   Loop over the kh*kw kernel offsets, not over pixels: for a fixed (i, j) the
   pixels of all patches are one strided slice of x_padded.
2. conv2d: y = weight.reshape(O, -1) @ cols, reshaped to (N, O, OH, OW).
3. col2im: the adjoint of im2col, cols -> an array shaped like x: every column
   value is ADDED back where im2col copied it from (patches overlap), then the
   padding is cropped.
4. conv2d_input_grad: dL/dcols = weight.reshape(O, -1).T @ gy.reshape(N, O, -1),
   and dL/dx = col2im(dL/dcols).

Check:  python -m minigan.exercises check conv2d_im2col this_file.py
"""

from minigan.backend import xp  # noqa: F401  (xp.pad, xp.zeros, xp.empty ...)


def im2col(x, kh, kw, stride=1, padding=0):
    # TODO: return cols, shape (N, C*kh*kw, OH*OW).
    raise NotImplementedError


def conv2d(x, weight, stride=1, padding=0):
    # TODO: return y, shape (N, O, OH, OW), using im2col and one matrix product.
    raise NotImplementedError


def col2im(cols, x_shape, kh, kw, stride=1, padding=0):
    # TODO: return an array of shape x_shape.
    raise NotImplementedError


def conv2d_input_grad(gy, weight, x_shape, stride=1, padding=0):
    # TODO: return dL/dx, shape x_shape, given gy = dL/dy.
    raise NotImplementedError
