"""Reference solution of docs/exercises/conv2d_im2col.py."""

from minigan.backend import xp


def output_size(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def im2col(x, kh, kw, stride=1, padding=0):
    """Every (kh, kw) patch of x as a column: (N, C, H, W) -> (N, C*kh*kw, OH*OW), rows ordered (c, i, j).

    One strided slice per kernel offset (i, j) copies that offset's pixel of every patch at once.
    """
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    padded = xp.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = xp.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = padded[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride]
    return cols.reshape(n, c * kh * kw, oh * ow)


def conv2d(x, weight, stride=1, padding=0):
    r"""y[n] = W (O, C*kh*kw) @ cols[n], that is
    y[n, o, oh, ow] = sum_{c,i,j} w[o, c, i, j] x_pad[n, c, oh s + i, ow s + j].
    """
    o, _, kh, kw = weight.shape
    n, _, h, w = x.shape
    cols = im2col(x, kh, kw, stride, padding)
    y = weight.reshape(o, -1) @ cols
    return y.reshape(n, o, output_size(h, kh, stride, padding), output_size(w, kw, stride, padding))


def col2im(cols, x_shape, kh, kw, stride=1, padding=0):
    """The adjoint of im2col: add each column's values back where they were copied from, then crop the padding."""
    n, c, h, w = x_shape
    oh, ow = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    padded = xp.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride] += cols[:, :, i, j]
    return padded[:, :, padding : padding + h, padding : padding + w]


def conv2d_input_grad(gy, weight, x_shape, stride=1, padding=0):
    r"""dL/dcols = W^T @ dL/dy (per image), and dL/dx = col2im(dL/dcols)."""
    o, _, kh, kw = weight.shape
    gcols = weight.reshape(o, -1).T @ gy.reshape(gy.shape[0], o, -1)
    return col2im(gcols, x_shape, kh, kw, stride, padding)
