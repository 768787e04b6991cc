"""Checker: conv2d as im2col + one matrix product, and its input gradient through col2im."""

from minigan.backend import xp
from minigan.exercises.checking import Mistake, check_against_finite_differences, compare, evaluate, randn

TITLE = "conv2d by im2col + matmul, and its input gradient by col2im  [plain array functions]"
CHECKS = "im2col, conv2d, col2im, the input gradient and finite differences"

FIXED_CASES = [
    {"N": 1, "C": 1, "H": 3, "W": 3, "O": 1, "kh": 2, "kw": 2, "stride": 1, "padding": 0, "seed": 0},
    {"N": 2, "C": 2, "H": 5, "W": 4, "O": 3, "kh": 3, "kw": 3, "stride": 1, "padding": 1, "seed": 1},
    {"N": 1, "C": 2, "H": 5, "W": 5, "O": 2, "kh": 3, "kw": 3, "stride": 2, "padding": 1, "seed": 2},
    {"N": 1, "C": 1, "H": 4, "W": 5, "O": 2, "kh": 2, "kw": 3, "stride": 2, "padding": 0, "seed": 3},
]


def draw_case(draw):
    kh, kw, padding = draw.int(1, 3), draw.int(1, 3), draw.int(0, 2)
    return {
        "N": draw.int(1, 2), "C": draw.int(1, 3),
        "H": draw.int(max(1, kh - 2 * padding), 6), "W": draw.int(max(1, kw - 2 * padding), 6),
        "O": draw.int(1, 3), "kh": kh, "kw": kw, "stride": draw.int(1, 3), "padding": padding,
        "seed": draw.int(0, 2**16),
    }


def _out_size(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def _col2im_assigning(cols, x_shape, kh, kw, stride, padding):
    """The classic slip: col2im with ``=`` where patches overlap, instead of ``+=``."""
    n, c, h, w = x_shape
    oh, ow = _out_size(h, kh, stride, padding), _out_size(w, kw, stride, padding)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    out = xp.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride] = cols[:, :, i, j]
    return out[:, :, padding : padding + h, padding : padding + w]


def _cols_shape_hint(expected, size_hint):
    def hint(received):
        if len(received) != 3:
            return "cols has 3 axes: (N, C*kh*kw, OH*OW)."
        if received[0] != expected[0]:
            return (
                "the batch axis changed size: xp.pad(x, p) pads every axis; "
                "pad only H and W: ((0, 0), (0, 0), (p, p), (p, p))."
            )
        if received[1] != expected[1]:
            return "cols has one row per (c, i, j): C*kh*kw rows."
        return size_hint

    return hint


def check_case(answer, reference, case):
    n, c, h, w, o = case["N"], case["C"], case["H"], case["W"], case["O"]
    kh, kw, s, p = case["kh"], case["kw"], case["stride"], case["padding"]
    oh, ow = _out_size(h, kh, s, p), _out_size(w, kw, s, p)
    x, weight, gy = randn(n, c, h, w), randn(o, c, kh, kw), randn(n, o, oh, ow)
    ref = {name: reference.get(name) for name in ("im2col", "conv2d", "col2im", "conv2d_input_grad")}
    mine = {name: answer.get(name) for name in ref}
    size_hint = (
        f"the output has OH = (H + 2 padding - kh) // stride + 1 = {oh} rows and "
        f"OW = (W + 2 padding - kw) // stride + 1 = {ow} columns of patches (padding on both sides)."
    )

    def patch_context(index):
        _, row, col = index
        ci, i, j = row // (kh * kw), row // kw % kh, row % kw
        r, q = divmod(col, ow)
        return (f"row {row} is (c={ci}, i={i}, j={j}), column {col} is (oh={r}, ow={q}): it should hold "
                f"x_padded[n, {ci}, oh*stride + i, ow*stride + j] = x_padded[n, {ci}, {r * s + i}, {q * s + j}]")

    cols = ref["im2col"](x, kh, kw, s, p)
    compare(
        "im2col(x, kh, kw, stride, padding)", cols, answer.call("im2col", mine["im2col"], x, kh, kw, s, p),
        label="cols", context=patch_context, shape_hint=_cols_shape_hint((n, c * kh * kw, oh * ow), size_hint),
        mistakes=evaluate([
            Mistake("the rows are ordered (i, j, c); they must be (c, i, j), the order of weight.reshape(O, -1).",
                    lambda: cols.reshape(n, c, kh * kw, -1).transpose(0, 2, 1, 3).reshape(cols.shape)),
            Mistake("the columns are ordered (ow, oh); they must be (oh, ow), so that the result "
                    "reshapes to (N, O, OH, OW).",
                    lambda: cols.reshape(n, -1, oh, ow).transpose(0, 1, 3, 2).reshape(cols.shape)),
        ]),
    )
    compare(
        "conv2d(x, weight, stride, padding)", ref["conv2d"](x, weight, s, p),
        answer.call("conv2d", mine["conv2d"], x, weight, s, p), label="y",
        shape_hint=size_hint + " Shape: (N, O, OH, OW).",
        mistakes=evaluate([
            Mistake("the kernel is flipped: deep-learning conv2d is a cross-correlation, "
                    "y[n, o, oh, ow] = sum w[o, c, i, j] x_padded[n, c, oh*stride + i, ow*stride + j].",
                    lambda: ref["conv2d"](x, weight[:, :, ::-1, ::-1], s, p)),
        ]),
    )
    gcols = randn(*cols.shape)
    compare(
        "col2im(cols, x_shape, kh, kw, stride, padding)", ref["col2im"](gcols, x.shape, kh, kw, s, p),
        answer.call("col2im", mine["col2im"], gcols, x.shape, kh, kw, s, p), label="x",
        shape_hint="col2im returns the shape of x: crop the padding off, x_padded[:, :, p:p+H, p:p+W].",
        mistakes=evaluate([
            Mistake("where patches overlap, col2im must add (+=) every patch's value: "
                    "each x element was copied into several columns, so its gradient is their sum.",
                    lambda: _col2im_assigning(gcols, x.shape, kh, kw, s, p)),
        ]),
    )
    expected = ref["conv2d_input_grad"](gy, weight, x.shape, s, p)
    compare(
        "conv2d_input_grad(gy, weight, x_shape, stride, padding)", expected,
        answer.call("conv2d_input_grad", mine["conv2d_input_grad"], gy, weight, x.shape, s, p), label="dL/dx",
        shape_hint="the input gradient has the shape of x.",
        mistakes=evaluate([
            Mistake("the kernel is flipped: with im2col no flip is needed, dcols = W^T @ dy, then col2im.",
                    lambda: ref["conv2d_input_grad"](gy, weight[:, :, ::-1, ::-1], x.shape, s, p)),
            Mistake("col2im overwrote overlapping patches (=) instead of adding them (+=).",
                    lambda: _col2im_assigning(weight.reshape(o, -1).T @ gy.reshape(n, o, -1), x.shape, kh, kw, s, p)),
        ]),
    )
    check_against_finite_differences(
        answer, "conv2d_input_grad",
        lambda x: mine["conv2d"](x, weight, s, p),
        lambda gy, x: (mine["conv2d_input_grad"](gy, weight, x.shape, s, p),),
        [x], wrt=[0],
    )
