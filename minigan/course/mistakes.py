"""The mistake catalogue (teacher only: never copied into a student edition).

For each assignment, the wrong answers students really write, each with the
hint that names it. They are evaluated on the fixed cases into the answer
key; a student's output that matches one gets its hint. Several are one sign
or one factor away from the answer, which is why this file stays home.
"""

import math

import minigan as mg
import minigan.functional as F
from minigan.backend import xp
from minigan.course import checks
from minigan.course.checks import grads_of, t64
from minigan.ops.conv import im2col


def _sig(x):
    return 0.5 + 0.5 * xp.tanh(0.5 * x)


def _sum_to(g, shape):
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return (g.sum(axis=axes, keepdims=True) if axes else g).reshape(shape)


def _t(a):
    return xp.swapaxes(a, -1, -2)


def _sigmoid_backward(c, expected):
    x, gy = c["x"], c["gy"]
    s = _sig(x)
    return {"sigmoid dL/dx": [
        ("dy/dx is y (1 - y), not y: sigmoid is not its own derivative (that is exp).", gy * s),
        ("y (1 - y) needs the output y = sigmoid(x), not the input x: this is x (1 - x).", gy * x * (1 - x)),
        ("the chain rule multiplies by the upstream gradient gy; this is y (1 - y) alone.", s * (1 - s)),
        ("this is y (y - 1): the derivative is y (1 - y), positive everywhere.", gy * s * (s - 1)),
        ("this is 1 - y alone, which is d/dx log sigmoid(x); sigmoid's derivative is y (1 - y).", gy * (1 - s)),
        ("this is y (1 + y): a sign slipped; the derivative of (1 + e^-x)^-1 is y (1 - y).", gy * s * (1 + s)),
        ("this is 1 - y^2, tanh's derivative; sigmoid's is y (1 - y).", gy * (1 - s * s)),
        ("the chain rule multiplies the upstream gradient gy by dy/dx; this adds them.", gy + s * (1 - s)),
        ("this is (1 - y)^2: the derivative of (1 + e^-x)^-1 is e^-x / (1 + e^-x)^2 = y (1 - y), one factor y "
         "and one factor 1 - y.", gy * (1 - s) * (1 - s)),
    ]}


def _leaky_relu_backward(c, expected):
    x, gy, a = c["x"], c["gy"], c["negative_slope"]
    return {"leaky_relu dL/dx": [
        ("at the kink x = 0 the slope is negative_slope (as in PyTorch): the 1 belongs to x > 0 only, "
         "so x >= 0 is one element off.", gy * xp.where(x >= 0, 1.0, a)),
        ("this is ReLU's gradient: for x <= 0 LeakyReLU still passes negative_slope * gy, not 0.", gy * (x > 0)),
        ("the two branches are swapped: dy/dx = 1 where x > 0 and negative_slope where x <= 0.",
         gy * xp.where(x > 0, a, 1.0)),
        ("the chain rule multiplies by the upstream gradient gy; this is dy/dx alone.", xp.where(x > 0, 1.0, a)),
        ("this is gy * y: the gradient is gy times the slope (1 or negative_slope), not times the output.",
         gy * xp.where(x > 0, x, a * x)),
        ("for x > 0 this slope is 1 + negative_slope: a mask of 1s plus a gives 1 + a where x > 0; the slope "
         "there is 1.", gy * xp.where(x > 0, 1.0 + a, a)),
        ("the slope for x <= 0 is +negative_slope, not -negative_slope: y = a x there.", gy * xp.where(x > 0, 1.0, -a)),
        ("for x <= 0 the gradient is negative_slope * gy: the upstream gradient multiplies both branches.",
         xp.where(x > 0, gy, a)),
    ]}


def _softplus_log_sigmoid_backward(c, expected):
    x, gy = c["x"], c["gy"]
    s = _sig(x)
    return {
        "softplus dL/dx": [
            ("this is sigmoid(-x) = 1 - sigmoid(x), the derivative of log-sigmoid; d/dx log(1 + e^x) = sigmoid(x).",
             gy * _sig(-x)),
            ("this is sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)); softplus' is sigmoid(x) itself.", gy * s * (1 - s)),
            ("the chain rule through log(u) divides by u = 1 + e^x: this is e^x.", gy * xp.exp(xp.minimum(x, 700))),
            ("the chain rule multiplies by the upstream gradient gy; this is sigmoid(x) alone.", s),
            ("this is softplus(x) itself, the forward: the backward multiplies gy by the derivative, sigmoid(x).",
             gy * xp.logaddexp(0.0, x)),
        ],
        "log_sigmoid dL/dx": [
            ("this is sigmoid(x), softplus's derivative; d/dx log sigmoid(x) = sigmoid'(x) / sigmoid(x) "
             "= 1 - sigmoid(x).",
             gy * s),
            ("the sign is flipped: log sigmoid increases, its slope 1 - sigmoid(x) is positive.", gy * (s - 1)),
            ("this is 1 / sigmoid(x): d log(u) = du / u, and du/dx = sigmoid(x) (1 - sigmoid(x)) is missing.",
             gy / s),
            ("this is sigmoid'(x); divide it by sigmoid(x) (the log's chain rule).", gy * s * (1 - s)),
            ("the chain rule multiplies by the upstream gradient gy; this is 1 - sigmoid(x) alone.", 1 - s),
            ("this is log sigmoid(x) itself, the forward: the backward multiplies gy by the derivative, "
             "1 - sigmoid(x).", gy * -xp.logaddexp(0.0, -x)),
            ("this is -sigmoid(x): log sigmoid(x) = -softplus(-x), and the chain rule through -x turns "
             "softplus'(-x) = sigmoid(-x) into +sigmoid(-x) = 1 - sigmoid(x).", -gy * s),
        ],
    }


def _matmul_broadcast_backward(c, expected):
    gy = c["gy"]
    if c["kind"] == "matmul":
        a, b = c["a"], c["b"]
        out = {"matmul dL/dA": [], "matmul dL/dB": []}
        tries = {
            "matmul dL/dA": [
                ("B is not transposed: dL/dA = dL/dC B^T (its shape must be A's).", lambda: _sum_to(gy @ b, a.shape)),
                ("the product is in the wrong order: dL/dA = dL/dC B^T, not B^T dL/dC.",
                 lambda: _sum_to(_t(b) @ gy, a.shape)),
                ("the broadcast copies are averaged: each copy of A contributed to C, so sum their gradients.",
                 lambda: _sum_to(gy @ _t(b), a.shape) * (a.size / (gy @ _t(b)).size)),
                ("the gradient was not summed back to A's shape: sum over the axes A was broadcast along.",
                 lambda: gy @ _t(b)),
            ],
            "matmul dL/dB": [
                ("A is not transposed: dL/dB = A^T dL/dC (its shape must be B's).", lambda: _sum_to(a @ gy, b.shape)),
                ("this is (A^T dL/dC)^T = dL/dC^T A, the transposed gradient: dL/dB = A^T dL/dC.",
                 lambda: _sum_to(_t(gy) @ a, b.shape)),
                ("the product is in the wrong order: dL/dB = A^T dL/dC, not dL/dC A^T.",
                 lambda: _sum_to(gy @ _t(a), b.shape)),
                ("the broadcast copies are averaged: each copy of B contributed to C, so sum their gradients.",
                 lambda: _sum_to(_t(a) @ gy, b.shape) * (b.size / (_t(a) @ gy).size)),
                ("the gradient was not summed back to B's shape: sum over the axes B was broadcast along.",
                 lambda: _t(a) @ gy),
            ],
        }
    else:
        x, w = c["x"], c["weight"]
        rows, xr = gy.reshape(-1, gy.shape[-1]), x.reshape(-1, x.shape[-1])
        out = {"linear dL/dx": [], "linear dL/dW": [], "linear dL/db": []}
        tries = {
            "linear dL/dx": [("y = x W^T, so dL/dx = g W, not g W^T.", lambda: gy @ w.T)],
            "linear dL/dW": [
                ("this is x^T g, the transpose of dL/dW = g^T x (W is (out, in)).", lambda: xr.T @ rows),
                ("dL/dW sums over the batch: g^T x, not its mean.", lambda: rows.T @ xr / rows.shape[0]),
            ],
            "linear dL/db": [("b is added to every row: dL/db sums g over the rows, not averages.",
                              lambda: rows.mean(0)),
                             ("dL/db sums g over the rows (the batch, axis 0), not over the output features.",
                              lambda: rows.sum(1)),
                             ("dL/db is summed over every leading axis of g (all the rows), not only the first.",
                              lambda: gy.sum(0))],
        }
    for label, pairs in tries.items():
        for hint, fn in pairs:
            try:
                out[label].append((hint, fn()))
            except ValueError:  # a wrong product that does not even fit this case's shapes
                pass
    return out


def _norm_dx(x, gamma, gy, axes, eps, mean_term=True, xhat_term=True, reduce="mean", xhat_sign=-1.0,
             scale="inv_std", grad_axes=None, gamma_in_xhat_term=True):
    mu = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / xp.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True) + eps)
    xhat = (x - mu) * inv_std
    g = gamma * gy
    ra = axes if grad_axes is None else grad_axes

    def r(t):
        return t.mean(axis=ra, keepdims=True) if reduce == "mean" else t.sum(axis=ra, keepdims=True)

    out = g - r(g) if mean_term else g
    if xhat_term:
        out = out + xhat_sign * xhat * r((g if gamma_in_xhat_term else gy) * xhat)
    factor = {"inv_std": inv_std, "none": 1.0, "sigma": 1.0 / inv_std}[scale]
    return factor * out, xhat


def _batchnorm_backward(c, expected):
    x, w, gy, eps = c["x"], c["weight"], c["gy"], c["eps"]
    if c["kind"] == "batch_norm":
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
    else:
        axes = tuple(range(1, x.ndim))
        shape = (1,) + w.shape
    gamma = w.reshape(shape)

    def dx(**variant):
        return _norm_dx(x, gamma, gy, axes, eps, **variant)[0]

    xhat = _norm_dx(x, gamma, gy, axes, eps)[1]
    param_axes = (0,) + tuple(range(2, x.ndim)) if c["kind"] == "batch_norm" else (0,)
    wrong_axes = []
    if c["kind"] == "batch_norm" and x.ndim > 2:
        wrong_axes.append(("the means run over every normalised axis (N, H and W for an image), not over the batch "
                           "axis alone.", dx(grad_axes=(0,))))
    return {
        "dL/dx": [
            ("sigma = sqrt(var + eps) was treated as a constant: it depends on x too, which adds the term "
             "- xhat mean(g xhat) (g = gamma * gy).", dx(xhat_term=False)),
            ("the mean and sigma were treated as constants: both depend on every x of the batch, "
             "dL/dx = (g - mean(g) - xhat mean(g xhat)) / sigma with g = gamma * gy.",
             dx(mean_term=False, xhat_term=False)),
            ("the mean mu was treated as a constant: it adds the term - mean(gamma * gy).", dx(mean_term=False)),
            ("sums where means belong (a missing 1/N): mu and var are means over the batch.", dx(reduce="sum")),
            ("the xhat term has the wrong sign: dL/dx = (g - mean(g) - xhat mean(g xhat)) / sigma.", dx(xhat_sign=1.0)),
            ("gamma is missing: y = gamma * xhat + beta, so the gradient reaching xhat is gamma * gy.",
             _norm_dx(x, 1.0, gy, axes, eps)[0]),
            ("the division by sigma = sqrt(var + eps) is missing: dL/dx = (g - mean(g) - xhat mean(g xhat)) / sigma.",
             dx(scale="none")),
            ("this multiplies by sigma = sqrt(var + eps) where it divides: dL/dx = (...) / sigma, i.e. times "
             "1 / sqrt(var + eps).", dx(scale="sigma")),
            ("gamma is missing in the xhat term: with g = gamma * gy, both means use g, mean(g) and mean(g xhat).",
             dx(gamma_in_xhat_term=False)),
            *wrong_axes,
        ],
        "dL/dgamma": [
            ("dL/dgamma sums gy * xhat, the normalised input, not gy * x (y = gamma xhat + beta).",
             (gy * x).sum(axis=param_axes).reshape(w.shape)),
            ("dL/dgamma = sum of gy * xhat (y = gamma xhat + beta); xhat is missing.",
             gy.sum(axis=param_axes).reshape(w.shape)),
            ("gamma is shared by the whole batch: sum gy * xhat over it, not mean.",
             (gy * xhat).mean(axis=param_axes).reshape(w.shape)),
        ],
        "dL/dbeta": [("beta is shared by the whole batch: sum gy over it, not mean.",
                      gy.mean(axis=param_axes).reshape(w.shape))],
    }


def _conv2d_im2col(c, expected):
    x, w, s, p = c["x"], c["weight"], c["stride"], c["padding"]
    flipped = w[:, :, ::-1, ::-1].copy()
    out = {"conv2d y": [("the kernel is flipped: minigan's conv2d (like PyTorch's) is a cross-correlation, "
                         "window (i, j) reads x_pad[s i + a, s j + b] with the same a, b as w[a, b].",
                         F.conv2d(t64(x, False), t64(flipped, False), None, s, p).data)]}
    if p:
        try:
            wrong = F.conv2d(t64(x, False), t64(w, False), None, s, 0).data
            out["conv2d y"].append(("the padding is missing: pad the image with p zeros on each side first.", wrong))
        except ValueError:
            pass
    if s != 1:
        out["conv2d y"].append(("the stride is ignored: window (i, j) starts at pixel (s i, s j), not (i, j).",
                                F.conv2d(t64(x, False), t64(w, False), None, 1, p).data))
    # a column's rows in (a, b, c) order where conv2d_reference's flattened weight expects (c, a, b)
    n, ch, kh, kw = x.shape[0], x.shape[1], w.shape[2], w.shape[3]
    cols = im2col(x, (kh, kw), (s, s), (p, p))
    h_out, w_out = cols.shape[2:]
    abc = cols.reshape(n, ch, kh, kw, h_out, w_out).transpose(0, 2, 3, 1, 4, 5).reshape(n, -1, h_out * w_out)
    out["conv2d y"].append((
        "the rows of a column are ordered (c, a, b), channel first and then the kernel offset, as the weight "
        "(O, C, k_h, k_w) is flattened; this is (a, b, c).",
        (w.reshape(w.shape[0], -1) @ abc).reshape(n, w.shape[0], h_out, w_out)))
    if s != 1:  # the output size is right (h_out), but the windows step by 1: window (i, j) reads (i + a, j + b)
        padded = xp.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        unstrided = xp.stack([padded[:, :, a : a + h_out, b : b + w_out] for a in range(kh) for b in range(kw)], 2)
        unstrided = unstrided.reshape(n, ch * kh * kw, h_out * w_out)
        out["conv2d y"].append((
            "the windows do not step by the stride: window (i, j) starts at pixel (s i, s j), so the slice of "
            "offset (a, b) takes every s-th pixel, not h_out neighbours.",
            (w.reshape(w.shape[0], -1) @ unstrided).reshape(n, w.shape[0], h_out, w_out)))
    # col2im: dL/dx = col2im(W^T dL/dy); slips in the adding back
    gy = c["gy"]
    g_cols = (w.reshape(w.shape[0], -1).T @ gy.reshape(n, w.shape[0], -1)).reshape(n, ch, kh, kw, h_out, w_out)
    copied = xp.zeros((n, ch, x.shape[2] + 2 * p, x.shape[3] + 2 * p))
    for a in range(kh):
        for b in range(kw):
            copied[:, :, a : a + s * h_out : s, b : b + s * w_out : s] = g_cols[:, :, a, b]
    out["conv2d dL/dx"] = [
        ("col2im copies where it must add: a pixel under several windows gets the sum of their gradients (+=).",
         copied[:, :, p : p + x.shape[2], p : p + x.shape[3]]),
    ]
    if p:
        out["conv2d dL/dx"].append(("col2im must crop the padding off: return the H x W inside of the padded image.",
                                    col2im_uncropped(g_cols, x.shape, (kh, kw), s, p)))
        out["conv2d dL/dx"].append(("the crop keeps the top-left H x W of the padded image: the image starts p "
                                    "pixels in, so crop p pixels off every side.",
                                    col2im_uncropped(g_cols, x.shape, (kh, kw), s, p)[:, :, : x.shape[2],
                                                                                      : x.shape[3]]))
    if s != 1:
        h, wd = x.shape[2], x.shape[3]
        unstrided = xp.zeros((n, ch, h + 2 * p + kh, wd + 2 * p + kw))
        for a in range(kh):
            for b in range(kw):
                unstrided[:, :, a : a + h_out, b : b + w_out] += g_cols[:, :, a, b]
        out["conv2d dL/dx"].append(("col2im ignores the stride: window (i, j)'s values go back to pixels "
                                    "(s i + a, s j + b), every s-th pixel, as im2col took them.",
                                    unstrided[:, :, p : p + h, p : p + wd]))
    return out


def col2im_uncropped(g_cols, shape, kernel, s, p):
    n, ch, h, w = shape
    kh, kw = kernel
    h_out, w_out = g_cols.shape[-2:]
    padded = xp.zeros((n, ch, h + 2 * p, w + 2 * p))
    for a in range(kh):
        for b in range(kw):
            padded[:, :, a : a + s * h_out : s, b : b + s * w_out : s] += g_cols[:, :, a, b]
    return padded


def _with_grads(fn, arrays):
    loss, grads = grads_of(fn, arrays)
    return loss.data, grads


def _loss_mistakes(labels, variants, arrays):
    """{label: [(hint, value)]} for the loss and each gradient of every wrong loss in ``variants``."""
    out = {label: [] for label in labels}
    for hint, fn in variants:
        loss, grads = _with_grads(fn, arrays)
        for label, value in zip(labels, [loss, *grads]):
            out[label].append((hint, value))
    return out


def _discriminator_loss_gradient(c, expected):
    def naive_log(a):
        return mg.log(mg.sigmoid(a))

    variants = [
        ("the loss is a mean over each batch, not a sum: a missing 1/N.",
         lambda r, f: -(mg.sum(mg.log_sigmoid(r)) + mg.sum(mg.log_sigmoid(-f)))),
        ("the sign is flipped: D maximises log D(x) + log(1 - D(G(z))), so the loss to minimise is minus that.",
         lambda r, f: mg.mean(mg.log_sigmoid(r)) + mg.mean(mg.log_sigmoid(-f))),
        ("real and fake are swapped: the real logits get log D (target 1), the fakes log(1 - D) (target 0).",
         lambda r, f: -(mg.mean(mg.log_sigmoid(-r)) + mg.mean(mg.log_sigmoid(f)))),
        ("one mean over the real and the fake samples together: each term is a mean over its own batch.",
         lambda r, f: -(mg.sum(mg.log_sigmoid(r)) + mg.sum(mg.log_sigmoid(-f))) / (r.shape[0] + f.shape[0])),
        ("1 - D was written as D's complement inside the log the wrong way: log(1 - sigma(a)) = log sigma(-a), "
         "not -log sigma(a).",
         lambda r, f: -(mg.mean(mg.log_sigmoid(r)) - mg.mean(mg.log_sigmoid(f)))),
        ("log(sigmoid(a)) overflows to -inf for a confident D: use the log-sigmoid op.",
         lambda r, f: -(mg.mean(naive_log(r)) + mg.mean(naive_log(-f)))),
        ("the minus sign covers the real term only: L_D = -(mean log D(x) + mean log(1 - D(G(z)))), both terms "
         "negated (brackets).", lambda r, f: -mg.mean(mg.log_sigmoid(r)) + mg.mean(mg.log_sigmoid(-f))),
        ("the fake term is log D(G(z)), not log(1 - D(G(z))): 1 - sigma(a) = sigma(-a), the fakes' logits enter "
         "with a minus.", lambda r, f: -(mg.mean(mg.log_sigmoid(r)) + mg.mean(mg.log_sigmoid(f)))),
        ("1 - log D(G(z)) is not log(1 - D(G(z))): the 1 - goes inside the log, log(1 - sigma(a)) = log sigma(-a).",
         lambda r, f: -(mg.mean(mg.log_sigmoid(r)) + mg.mean(1 - mg.log_sigmoid(f)))),
    ]
    return _loss_mistakes(["L_D", "dL_D/da_real", "dL_D/da_fake"], variants, [c["a_real"], c["a_fake"]])


def _generator_losses(c, expected):
    out = {}
    sat = lambda a: mg.mean(mg.log_sigmoid(-a))  # noqa: E731
    nonsat = lambda a: -mg.mean(mg.log_sigmoid(a))  # noqa: E731
    for label, wrongs in (
        ("saturating", [
            ("saturating and non-saturating are mixed up: saturating=True is the value function's own term "
             "log(1 - D(G(z))), which G minimises.", nonsat),
            ("the sign is flipped: G minimises log(1 - D(G(z))) as it is (it is D who maximises it).",
             lambda a: -mg.mean(mg.log_sigmoid(-a))),
            ("the loss is a mean over the batch, not a sum.", lambda a: mg.sum(mg.log_sigmoid(-a))),
            ("this is log D(G(z)); the saturating loss is log(1 - D(G(z))) = log sigma(-a), the logit with a minus.",
             lambda a: mg.mean(mg.log_sigmoid(a))),
            ("1 - log D(G(z)) is not log(1 - D(G(z))): the 1 - goes inside the log, log(1 - sigma(a)) = log sigma(-a).",
             lambda a: mg.mean(1 - mg.log_sigmoid(a))),
        ]),
        ("non-saturating", [
            ("saturating and non-saturating are mixed up: the non-saturating loss (the default) is -log D(G(z)).",
             sat),
            ("the sign is flipped: G maximises log D(G(z)), so its loss is minus that.",
             lambda a: mg.mean(mg.log_sigmoid(a))),
            ("the loss is a mean over the batch, not a sum.", lambda a: -mg.sum(mg.log_sigmoid(a))),
            ("this is D's loss on the fakes, log(1 - D) with the sign of D's loss: G's non-saturating loss is "
             "-log D(G(z)).", lambda a: -mg.mean(mg.log_sigmoid(-a))),
        ]),
    ):
        part = _loss_mistakes([f"{label} L_G", f"{label} dL_G/da"], wrongs, [c["a_fake"]])
        out.update(part)
    return out


def _wgan_clipping(c, expected):
    out = _loss_mistakes(
        ["L_C", "dL_C/d real", "dL_C/d fake"],
        [("the sign is flipped: the critic maximises E[C(x)] - E[C(G(z))], so the loss it minimises is "
          "E[C(G(z))] - E[C(x)].", lambda r, f: mg.mean(r) - mg.mean(f)),
         ("a WGAN critic's score is not a probability: no sigmoid and no log, the loss is linear in the scores.",
          lambda r, f: -(mg.mean(mg.log_sigmoid(r)) + mg.mean(mg.log_sigmoid(-f)))),
         ("the loss is a mean over each batch, not a sum.", lambda r, f: mg.sum(f) - mg.sum(r)),
         ("the two terms need opposite signs: L_C = E[C(G(z))] - E[C(x)], the fakes' mean minus the reals' mean.",
          lambda r, f: -mg.mean(r) - mg.mean(f))],
        [c["real"], c["fake"]])
    out.update(_loss_mistakes(
        ["L_G", "dL_G/d fake"],
        [("the sign is flipped: G raises the critic's score of its fakes, so its loss is -E[C(G(z))].",
          lambda f: mg.mean(f)),
         ("the loss is a mean over the batch, not a sum.", lambda f: -mg.sum(f)),
         ("a WGAN critic's score is not a probability: no sigmoid and no log, L_G = -E[C(G(z))] is linear in "
          "the scores.", lambda f: -mg.mean(mg.log_sigmoid(f)))],
        [c["fake"]]))
    cc = c["c"]
    out["weight after clipping"] = [
        ("the parameters' values are not clipped: clip p.data itself, in place (not p.grad, and not a copy "
         "that is thrown away).", c["weights"]),
        ("clipped to [0, c] (or only from above): the box is [-c, c].", xp.clip(c["weights"], 0, cc)),
        ("clipped only from above: values below -c must be raised to -c as well, the box is [-c, c].",
         xp.minimum(c["weights"], cc)),
        ("the values are rescaled as a whole (divided by their largest size): clipping caps each value on its own, "
         "w <- min(max(w, -c), c).", c["weights"] / max(1.0, float(abs(c["weights"]).max()) / cc)),
    ]
    out["bias after clipping"] = [
        ("the biases are not clipped: clip every parameter the critic has, biases included, not only the weight "
         "matrices.", c["bias"]),
        ("clipped only from above: values below -c must be raised to -c as well, the box is [-c, c].",
         xp.minimum(c["bias"], cc)),
    ]
    out["weight.grad after clipping"] = [
        ("the gradients were clipped instead of the weights: leave p.grad alone and clip p's values.",
         xp.clip(c["grad"], -cc, cc)),
    ]
    return out


def _feature_matching(c, expected):
    fr, ff = c["f_real"], c["f_fake"]

    def flat(t):
        return t.reshape(t.shape[0], -1)

    variants = [
        ("the squared distance is summed over the features, not averaged: ||mu_r - mu_f||^2.",
         lambda r, f: mg.mean((mg.mean(flat(r), axis=0) - mg.mean(flat(f), axis=0)) ** 2)),
        ("the distance is squared: ||mu_r - mu_f||_2^2, not ||mu_r - mu_f||_2.",
         lambda r, f: mg.sqrt(mg.sum((mg.mean(flat(r), axis=0) - mg.mean(flat(f), axis=0)) ** 2))),
        ("average the features over each batch first, then take the distance of the two means.",
         lambda r, f: mg.sum((flat(r) - flat(f)) ** 2) / r.shape[0]),
        ("this compares the samples one by one (a mean squared error): average each batch's features first, then "
         "take the squared distance of the two means, summed over the features.",
         lambda r, f: mg.mean((flat(r) - flat(f)) ** 2)),
        ("the features of a batch are averaged (a mean over the batch), not summed.",
         lambda r, f: mg.sum((mg.sum(flat(r), axis=0) - mg.sum(flat(f), axis=0)) ** 2)),
        ("this is the L1 distance (absolute values): feature matching takes the squared L2 distance "
         "||mu_r - mu_f||_2^2.", lambda r, f: mg.sum(mg.abs(mg.mean(flat(r), axis=0) - mg.mean(flat(f), axis=0)))),
        ("the mean runs over the wrong axis: average over the batch (axis 0), one mean per feature, not over "
         "each sample's features.", lambda r, f: mg.sum((mg.mean(flat(r), axis=1) - mg.mean(flat(f), axis=1)) ** 2)),
        ("everything was averaged into one number per side: keep one batch mean per feature (axis 0 only), then "
         "sum the squared differences over the features.", lambda r, f: (mg.mean(r) - mg.mean(f)) ** 2),
        ("the real features were detached (or taken as constants): the loss must stay differentiable in both "
         "inputs; which network trains is the caller's business.",
         lambda r, f: mg.sum((mg.mean(flat(r.detach()), axis=0) - mg.mean(flat(f), axis=0)) ** 2)),
    ]
    usable = []
    for hint, fn in variants:
        try:
            fn(t64(fr, False), t64(ff, False))
            usable.append((hint, fn))
        except ValueError:
            pass
    return _loss_mistakes(["L", "dL/df_real", "dL/df_fake"], usable, [fr, ff])


def _minibatch_discrimination(c, expected):
    f, T, b, gy = c["features"], c["T"], c["num_kernels"], c["gy"]
    n = f.shape[0]

    def M(f_, T_):
        return mg.matmul(f_, T_).reshape(n, b, -1)

    def diff(f_, T_):
        m = M(f_, T_)
        return m.unsqueeze(1) - m.unsqueeze(0)

    variants = [
        ("the distance is L1, the sum of absolute differences, not the Euclidean (L2) one.",
         lambda f_, T_: mg.sum(mg.exp(-mg.sqrt(mg.sum(diff(f_, T_) ** 2, axis=3) + 1e-300)), axis=1)),
        ("the sum over j includes j = i (a term e^0 = 1), as in the paper's formula.",
         lambda f_, T_: mg.sum(mg.exp(-mg.sum(mg.abs(diff(f_, T_)), axis=3)), axis=1) - 1.0),
        ("o(x_i) sums c_b(x_i, x_j) over the batch, not averages.",
         lambda f_, T_: mg.mean(mg.exp(-mg.sum(mg.abs(diff(f_, T_)), axis=3)), axis=1)),
        ("c_b = exp(-distance): the minus sign is missing.",
         lambda f_, T_: mg.sum(mg.exp(mg.sum(mg.abs(diff(f_, T_)), axis=3)), axis=1)),
        ("this is the squared L2 distance: c_b uses the L1 distance, the sum of absolute differences.",
         lambda f_, T_: mg.sum(mg.exp(-mg.sum(diff(f_, T_) ** 2, axis=3)), axis=1)),
        ("the L1 distance is a sum of absolute differences over the C columns, not their mean.",
         lambda f_, T_: mg.sum(mg.exp(-mg.mean(mg.abs(diff(f_, T_)), axis=3)), axis=1)),
        ("M_n = f_n T is reshaped to B rows (kernels) of C numbers, (N, B, C), not (N, C, B): kernel b is a row.",
         lambda f_, T_: mg.sum(mg.exp(-mg.sum(mg.abs(wrong_rows(f_, T_)), axis=2)), axis=1)),
        ("the L1 distance runs over the wrong axis: sum |M_i,b - M_j,b| over the C columns of each kernel b "
         "(the last axis), one distance per kernel.",
         lambda f_, T_: mg.sum(mg.exp(-mg.sum(mg.abs(diff(f_, T_)), axis=2)), axis=1)),
        ("M_n = f_n T must be reshaped into B rows of C numbers (N, B, C): one L1 distance per kernel b, so o has "
         "B numbers per sample.",
         lambda f_, T_: mg.sum(mg.exp(-mg.sum(mg.abs(mg.matmul(f_, T_).unsqueeze(1) - mg.matmul(f_, T_).unsqueeze(0)),
                                              axis=2)), axis=1)),
        ("return o alone, one row of B numbers per sample: the layer that uses it concatenates it to the features.",
         lambda f_, T_: mg.cat([f_, mg.sum(mg.exp(-mg.sum(mg.abs(diff(f_, T_)), axis=3)), axis=1)], axis=1)),
    ]

    def wrong_rows(f_, T_):
        m = mg.matmul(f_, T_).reshape(n, -1, b)
        return m.unsqueeze(1) - m.unsqueeze(0)

    out = {"o": [], "dL/dfeatures": [], "dL/dT": []}
    for hint, fn in variants:
        o = fn(t64(f, False), t64(T, False))
        if tuple(o.shape) != tuple(gy.shape):  # a wrong shape: the output alone says it
            out["o"].append((hint, o.data))
            continue
        o, (gf, gt) = grads_of(fn, [f, T], gy)
        for label, v in zip(out, (o.data, gf, gt)):
            out[label].append((hint, v))
    return out


def _penalty_by_hand(c, expected):
    """Slips in the hand-written penalty of an MLP critic (the docstring's formulas), each with its hint."""
    layers = sum(1 for k in c if k.startswith("W"))
    weights = [c[f"W{k}"] for k in range(layers)]
    biases = [c[f"b{k}"] for k in range(layers)]
    x_hat, slope, lam = c["x_hat"], c["slope"], c["lam"]

    def by_hand(r_factor=2.0, per_n=True, mask_slope=slope, divide_by_norm=True, transposed=False):
        n = x_hat.shape[0]
        h, masks = x_hat, []
        for W, b in zip(weights[:-1], biases[:-1]):
            z = h @ W.T + b
            m = xp.where(z > 0, 1.0, mask_slope)
            masks.append(m)
            h = z * m
        deltas = [None] * layers
        deltas[-1] = xp.ones((n, 1))
        for k in range(layers - 2, -1, -1):
            deltas[k] = (deltas[k + 1] @ weights[k + 1]) * masks[k]
        g = deltas[0] @ weights[0]
        norm = xp.sqrt((g * g).sum(axis=1, keepdims=True) + 1e-12)
        penalty = lam * float(((norm - 1) ** 2).mean())
        r = (r_factor * lam / (n if per_n else 1)) * (norm - 1) * (g / norm if divide_by_norm else g)
        qs = [r]
        for W, m in zip(weights[:-1], masks):
            qs.append((qs[-1] @ W.T) * m)
        gw = [(qs[k].T @ deltas[k]) if transposed else (deltas[k].T @ qs[k]) for k in range(layers)]
        return [xp.asarray(penalty)] + gw

    variants = [
        ("dP/dg misses the 2 of the square's derivative: d/dg (||g|| - 1)^2 = 2 (||g|| - 1) g / ||g||.",
         by_hand(r_factor=1.0)),
        ("dP/dg misses the 1/N of the mean over the samples: r = (2 lam / N) (||g_n|| - 1) g_n / ||g_n||.",
         by_hand(per_n=False)),
        ("the chain rule through the norm is missing: d||g||/dg = g / ||g||, so r = (2 lam / N) (||g|| - 1) "
         "g / ||g||.", by_hand(divide_by_norm=False)),
        ("the masks are ReLU's: the critic's LeakyReLU has slope `slope` (not 0) where z <= 0.",
         by_hand(mask_slope=0.0)),
        ("dP/dW_l is transposed: it has W_l's shape (out, in), delta_l^T q_{l-1} summed over the samples.",
         by_hand(transposed=True)),
    ]
    labels = ["penalty (by hand)"] + [f"dP/dW{k} (by hand)" for k in range(layers)]
    out = {label: [] for label in labels}
    for hint, values in variants:
        for label, v in zip(labels, values):
            out[label].append((hint, v))
    return out


def _gradient_penalty(c, expected):
    if c["kind"] != "autograd":
        return _penalty_by_hand(c, expected)
    real, fake, eps, lam = c["real"], c["fake"], c["eps"], c["lam"]
    n = real.shape[0]
    per = (n,) + (1,) * (real.ndim - 1)
    e = eps.reshape(per)

    def penalty(w1, b1, w2, x_hat=None, norm="all", square_root=True, scale=lam, create_graph=True, reduce="mean",
                outer="square"):
        x = t64(e * real + (1 - e) * fake if x_hat is None else x_hat)
        critic = checks._tanh_critic(w1, b1, w2)
        (g,) = mg.grad(mg.sum(critic(x)), x, create_graph=create_graph)
        if norm == "all":
            sq = mg.sum((g * g).reshape(n, -1), axis=1)
        elif norm == "batch":
            sq = mg.sum(g * g)
        elif norm == "axis 1":
            sq = mg.sum(g * g, axis=1)
        else:
            sq = mg.sum(g * g, axis=-1)
        nm = mg.sqrt(sq + 1e-12) if square_root else sq
        per_sample = {"square": (nm - 1.0) ** 2, "none": nm - 1.0, "one-sided": mg.relu(nm - 1.0) ** 2,
                      "abs": mg.abs(nm - 1.0), "norm squared": nm * nm}[outer]
        return scale * (mg.mean(per_sample) if reduce == "mean" else mg.sum(per_sample))

    variants = [
        ("the weights get no gradient: the input-gradient must be taken with create_graph=True, so the penalty "
         "can be differentiated into the critic's weights.", lambda *w: penalty(*w, create_graph=False)),
        ("eps and 1 - eps are swapped: x_hat = eps x + (1 - eps) G(z), eps multiplies the real sample.",
         lambda *w: penalty(*w, x_hat=(1 - e) * real + e * fake)),
        ("the penalty is on the gradient's norm ||g||_2, not on its square ||g||^2.",
         lambda *w: penalty(*w, square_root=False)),
        ("lambda is missing: P = lam E[(||g|| - 1)^2].", lambda *w: penalty(*w, scale=1.0) if lam != 1 else
         penalty(*w, scale=10.0)),
        ("the penalty is a mean over the samples, not a sum.", lambda *w: penalty(*w, reduce="sum")),
        ("the norm is taken over the whole batch at once: each sample n has its own gradient norm ||g_n||, "
         "penalised on its own, then averaged.", lambda *w: penalty(*w, norm="batch")),
        ("(||g|| - 1) must be squared: P = lam E[(||g|| - 1)^2], a penalty that is never negative.",
         lambda *w: penalty(*w, outer="none")),
        ("this is |  ||g|| - 1 |, not its square: P = lam E[(||g|| - 1)^2].", lambda *w: penalty(*w, outer="abs")),
        ("this penalises ||g||^2, pushing the gradient to 0: WGAN-GP pulls its norm to 1, P = lam E[(||g|| - 1)^2].",
         lambda *w: penalty(*w, outer="norm squared")),
        ("this is the one-sided penalty max(0, ||g|| - 1)^2: WGAN-GP's is two-sided, (||g|| - 1)^2, which also "
         "pulls norms below 1 up.", lambda *w: penalty(*w, outer="one-sided")),
        ("the gradient is taken at the real samples: it must be taken at x_hat = eps x + (1 - eps) G(z), on the "
         "line between a real and a fake sample.", lambda *w: penalty(*w, x_hat=real)),
        ("the gradient is taken at the fake samples: it must be taken at x_hat = eps x + (1 - eps) G(z), on the "
         "line between a real and a fake sample.", lambda *w: penalty(*w, x_hat=fake)),
    ]
    if real.ndim > 2:
        variants.append(("the norm runs over all of a sample's axes, not over its last axis only.",
                         lambda *w: penalty(*w, norm="last")))
        variants.append(("the norm runs over all of a sample's axes (flatten each sample first), not over axis 1 "
                         "only.", lambda *w: penalty(*w, norm="axis 1")))
    out = {"penalty": [], "dP/dw1": [], "dP/db1": [], "dP/dw2": []}
    for hint, fn in variants:
        try:
            p, grads = grads_of(fn, [c["w1"], c["b1"], c["w2"]])
        except Exception:  # a variant that does not apply to this case
            continue
        for label, v in zip(out, (p.data, *grads)):
            out[label].append((hint, v))
    return out


def _adam(c, variant):
    b1, b2 = c["betas"]
    lr, eps, wd = c["lr"], c["eps"], c["weight_decay"]
    theta, m, v = c["param"].copy(), xp.zeros_like(c["param"]), xp.zeros_like(c["param"])
    ps, ms, vs = [], [], []
    for t, g in enumerate(c["grads"], start=1):
        if wd and variant != "no weight decay":
            g = g + wd * theta
        if variant == "corrected state":
            m = (b1 * m * (1 - b1 ** (t - 1)) + (1 - b1) * g) / (1 - b1 ** t)
            v = (b2 * v * (1 - b2 ** (t - 1)) + (1 - b2) * g * g) / (1 - b2 ** t)
            mh, vh = m, v
        elif variant == "corrected state, forgetting":
            m, v = (b1 * m + (1 - b1) * g) / (1 - b1 ** t), (b2 * v + (1 - b2) * g * g) / (1 - b2 ** t)
            mh, vh = m, v
        else:
            c1, c2 = (b2, b1) if variant == "betas swapped" else (b1, b2)
            m = c1 * m + (g if variant == "no 1 - b1" else (1 - c1) * g)
            if variant == "swapped b1":
                m = (1 - b1) * (m - g) / b1 + b1 * g if b1 else g
            v = c2 * v + (1 - c2) * (g if variant == "v of g" else g * g)
            tt = t + 1 if variant == "t off by one" else t
            if variant == "no correction":
                mh, vh = m, v
            elif variant == "(1 - b)^t":
                mh, vh = m / (1 - c1) ** tt, v / (1 - c2) ** tt
            else:
                mh, vh = m / (1 - c1 ** tt), v / (1 - c2 ** tt)
            if variant == "v uncorrected":
                vh = v
            if variant == "m uncorrected":
                mh = m
            if variant == "g for m_hat":
                mh = g
        if variant == "m / 1 - b":
            mh, vh = m - b1 ** t, v - b2 ** t
        if variant == "eps inside":
            denom = xp.sqrt(vh + eps)
        elif variant == "no sqrt":
            denom = vh + eps
        else:
            denom = xp.sqrt(vh) + eps
        if variant == "eps added to the step":
            theta = theta - (lr * mh / xp.sqrt(vh) + eps)
        else:
            theta = theta + lr * mh / denom if variant == "uphill" else theta - lr * mh / denom
        if variant == "m v swapped":  # returned as (theta, v, m): the optimiser stores them the wrong way round
            m, v = v, m
        ps.append(theta.copy())
        ms.append(m.copy())
        vs.append(v.copy())
    return xp.stack(ms), xp.stack(vs), xp.stack(ps)


def _adam_update(c, expected):
    hints = {
        "corrected state": "the state keeps the bias-corrected moments m_hat, v_hat: store the raw averages m, v "
                           "(exp_avg, exp_avg_sq) and correct them only where the step uses them.",
        "corrected state, forgetting": "the state keeps the bias-corrected moments: the next step then averages "
                                       "m_hat instead of m. Store m and v, correct only for the step.",
        "no 1 - b1": "m = beta1 m + (1 - beta1) g: the (1 - beta1) on g is missing.",
        "v of g": "v averages the squared gradient: v = beta2 v + (1 - beta2) g^2.",
        "no correction": "the bias correction is missing: m_hat = m / (1 - beta1^t) and v_hat = v / (1 - beta2^t).",
        "t off by one": "the bias correction uses the wrong step: t counts from 1 at the first step.",
        "eps inside": "eps is added outside the square root: theta -= lr m_hat / (sqrt(v_hat) + eps).",
        "uphill": "the step goes uphill: theta = theta - lr m_hat / (sqrt(v_hat) + eps).",
        "no weight decay": "weight_decay is ignored: with lambda != 0, g <- g + lambda theta first.",
        "v uncorrected": "only m is bias-corrected: v needs its correction too, v_hat = v / (1 - beta2^t), "
                         "and the step divides by sqrt(v_hat).",
        "m uncorrected": "only v is bias-corrected: m needs its correction too, m_hat = m / (1 - beta1^t), "
                         "and the step uses m_hat.",
        "betas swapped": "beta1 and beta2 are swapped: beta1 (0.9) averages g into m, beta2 (0.999) averages g^2 "
                         "into v.",
        "(1 - b)^t": "the correction divides by 1 - beta^t (beta to the power t, then 1 minus it), not by "
                     "(1 - beta)^t.",
        "no sqrt": "the step divides by the square root of v_hat (an RMS of the gradient), not by v_hat itself.",
        "m / 1 - b": "m / 1 - beta1^t is (m / 1) - beta1^t: the correction divides by the whole of (1 - beta1^t) "
                     "(brackets).",
        "eps added to the step": "eps belongs in the denominator, sqrt(v_hat) + eps: here it is added to the whole "
                                 "step (lr m_hat / sqrt(v_hat) + eps, brackets).",
        "m v swapped": "the new state comes back in the order (theta, m, v): here m and v are swapped.",
        "g for m_hat": "the step uses the raw gradient g where the averaged m_hat belongs: "
                       "theta -= lr m_hat / (sqrt(v_hat) + eps).",
    }
    out = {"state exp_avg (m, step by step)": [], "state exp_avg_sq (v, step by step)": [],
           "parameter (step by step)": []}
    for variant, hint in hints.items():
        for label, v in zip(out, _adam(c, variant)):
            out[label].append((hint, v))
    return out


def _training_step(c, expected):
    """Wrong steps, run on the case's tiny players: each yields the weights and losses it would leave."""
    from minigan.course.checks import _batches, _players, _toy_d_loss, _toy_g_loss

    def run(variant):
        D, G, opt_d, opt_g = _players(c)
        reals, sample_z = _batches(c)
        d_losses, real, z = [], None, None
        for _ in range(c["k"]):
            if real is None or variant != "same real":
                real = next(reals)
            if z is None or variant != "same z":
                z = sample_z()
            fake = G(z).detach()
            if variant == "swapped":
                loss = _toy_d_loss(D(fake), D(real))
            elif variant == "detached scores":
                loss = _toy_d_loss(D(real), D(fake).detach())
            else:
                loss = _toy_d_loss(D(real), D(fake))
            if variant not in ("no zero_grad", "no zero_grad in D"):
                opt_d.zero_grad()
            loss.backward()
            opt_d.step()
            d_losses.append(float(loss))
        if variant != "same z":
            z = sample_z()
        D.requires_grad_(False)
        loss = _toy_g_loss(D(G(z)))
        if variant not in ("no zero_grad", "no zero_grad in G"):
            opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        D.requires_grad_(True)
        return {"D's weights after train_step": xp.concatenate([D.w.data, D.b.data]),
                "G's weights after train_step": xp.concatenate([G.a.data, G.c.data]),
                "the k discriminator losses": xp.asarray(d_losses),
                "the generator loss": xp.asarray(float(loss))}

    hints = {
        "no zero_grad": "the gradients accumulate from step to step: call zero_grad() before each backward.",
        "no zero_grad in D": "D's gradients accumulate from step to step: opt_d.zero_grad() before D's backward.",
        "no zero_grad in G": "G's gradients accumulate from step to step: opt_g.zero_grad() before G's backward.",
        "swapped": "real and fake are swapped in D's loss: d_loss(D(real), D(fake)).",
        "same real": "every D step must take a fresh real batch (next(real_batches)), not reuse the first.",
        "same z": "every step draws fresh noise (sample_z()), one batch per D step and one for G's step.",
        "detached scores": "D's scores on the fakes were detached: detach the fakes G(z) (the input of D), not "
                           "D(G(z)), or D never learns from its fake term.",
    }
    out = {}
    for variant, hint in hints.items():
        try:
            values = run(variant)
        except Exception:
            continue
        for label, v in values.items():
            out.setdefault(label, []).append((hint, v))
    return out


_CATALOGUE = {
    "sigmoid_backward": _sigmoid_backward,
    "leaky_relu_backward": _leaky_relu_backward,
    "softplus_log_sigmoid_backward": _softplus_log_sigmoid_backward,
    "matmul_broadcast_backward": _matmul_broadcast_backward,
    "batchnorm_backward": _batchnorm_backward,
    "conv2d_im2col": _conv2d_im2col,
    "discriminator_loss_gradient": _discriminator_loss_gradient,
    "generator_losses": _generator_losses,
    "wgan_clipping": _wgan_clipping,
    "feature_matching": _feature_matching,
    "minibatch_discrimination": _minibatch_discrimination,
    "gradient_penalty": _gradient_penalty,
    "adam_update": _adam_update,
    "training_step": _training_step,
}


def catalogue(name, case, expected):
    """{output label: [(hint, wrong values), ...]} for one case of assignment ``name``."""
    fn = _CATALOGUE.get(name)
    return fn(case, expected) if fn else {}


_LOG4 = math.log(4)
_PEN = {
    "optimal_discriminator": [
        ("p_g is in the numerator: D*(x) = p_data(x) / (p_data(x) + p_g(x)), the probability that x is real.", 0.25),
        ("D* is the ratio p_data / (p_data + p_g), not p_data / p_g.", 3.0),
        ("1/2 is D* only where p_g = p_data (at the equilibrium); here the densities differ: "
         "D*(x) = p_data(x) / (p_data(x) + p_g(x)).", 0.5),
        ("this is p_data(x) alone: D* normalises it, p_data(x) / (p_data(x) + p_g(x)).", 0.6),
        ("this is p_g / p_data, upside down: D*(x) = p_data(x) / (p_data(x) + p_g(x)).", 0.2 / 0.6),
        ("a percentage: D* is a probability, a number between 0 and 1.", 75.0),
    ],
    "value_at_the_optimal_discriminator": [
        ("this is 2 JSD alone: V(G, D*) = -log 4 + 2 JSD(p_data || p_g).", 1.5 * math.log(4 / 3)),
        ("this is JSD alone: V(G, D*) = -log 4 + 2 JSD(p_data || p_g).", 0.75 * math.log(4 / 3)),
        ("-log 4 is the value only when p_g = p_data; here the two densities differ.", -_LOG4),
        ("the sign of V: V(G, D*) = -log 4 + 2 JSD, at most 0.", 0.9547712524422194),
        ("this is in bits (log base 2): the question asks for nats, natural logarithms.",
         math.log2(2 / 3) + 0.5 * math.log2(1 / 3)),
        ("this is E_{p_data}[log D*] alone: V also has the term E_{p_g}[log(1 - D*)].", math.log(2 / 3)),
        ("this is E_{p_g}[log(1 - D*)] alone: V also has the term E_{p_data}[log D*].", 0.5 * math.log(1 / 3)),
        ("the expectation over p_g weighs each x by p_g(x) = 1/2 on [0, 2]: E_{p_g}[log(1 - D*)] = "
         "1/2 log(1/3) on [0, 1] (and 0 on (1, 2], where D* = 0).", math.log(2 / 3) + math.log(1 / 3)),
    ],
    "saturating_gradient": [
        ("the sign: log(1 - sigma(a)) decreases in a, its slope is -sigma(a).", 1e-4),
        ("this is -1: either the non-saturating gradient -(1 - sigma(a)), or the derivative by D, "
         "d/dD log(1 - D) = -1/(1 - D), instead of by the logit a; the saturating one is -sigma(a), tiny here.",
         -0.9999),
        ("d/da sigma(a) = sigma(a)(1 - sigma(a)) is the sigmoid's slope; differentiate log(1 - sigma(a)).",
         1e-4 * 0.9999),
    ],
    "non_saturating_gradient": [
        ("this is the saturating gradient -sigma(a); the non-saturating one is -(1 - sigma(a)).", -1e-4),
        ("the sign: -log sigma(a) decreases in a, its slope is -(1 - sigma(a)).", 0.9999),
        ("this is -1 / sigma(a), the derivative by D (d/dD -log D = -1/D): the question asks for the derivative "
         "by the logit a, so multiply by sigma'(a) = sigma(a)(1 - sigma(a)).", -1e4),
    ],
    "transposed_conv_output_size": [
        ("this is the size of a *convolution*'s output; a transposed convolution maps the other way: "
         "H_out = (H - 1) s - 2p + k + output_padding.", 3),
        ("the padding is taken off both sides, 2p, and output_padding is 0 here: H_out = (H - 1) s - 2p + k.", 15),
        ("the padding is subtracted, not added: (H - 1) s - 2p + k.", 18),
        ("the stride is missing: a transposed convolution multiplies (H - 1) by s, H_out = (H - 1) s - 2p + k.", 8),
        ("this is the number of pixels, H_out x W_out: the question asks for the height alone.", 14 * 14),
        ("the padding is missing (or H s came where (H - 1) s belongs): H_out = (H - 1) s - 2p + k.", 16),
    ],
    "conv_output_size": [
        ("floor((H + 2p - k) / s) + 1: the padding counts on both sides, and the + 1 (the first window) "
         "is easy to forget.", 13),
        ("the stride divides: floor((H + 2p - k) / s) + 1.", 27),
        ("this is the number of pixels, H_out x W_out: the question asks for the height alone.", 14 * 14),
        ("this is the input's size: a stride of 2 about halves it, floor((H + 2p - k) / s) + 1.", 28),
    ],
    "adam_first_step": [
        ("without the bias correction the first step is lr (1 - b1) / sqrt(1 - b2) times larger: "
         "m_hat = m / (1 - b1^t).", -0.001 * 0.1 / math.sqrt(0.001)),
        ("the sign: Adam steps against the gradient.", 0.001),
        ("this counts learning rates: the question asks for the parameter's change itself, lr times "
         "m_hat / sqrt(v_hat).", -1.0),
        ("Adam's first step does not scale with g: m_hat / sqrt(v_hat) = g / |g| at t = 1.", -0.0005),
        ("only m is bias-corrected: v_hat = v / (1 - b2^t) as well, and then m_hat / sqrt(v_hat) = g / |g| at t = 1.",
         -0.001 / math.sqrt(0.001)),
        ("only v is bias-corrected: m_hat = m / (1 - b1^t) as well, and then m_hat / sqrt(v_hat) = g / |g| at t = 1.",
         -0.001 * 0.1),
    ],
    "discriminator_loss_value": [
        ("the fake term is log(1 - D(G(z))): D's output on a fake is its probability that the fake is real.",
         -(math.log(0.8) + math.log(0.3))),
        ("the sign: L_D is minus the value function, and logs of probabilities are negative, so L_D > 0.",
         math.log(0.8) + math.log(0.7)),
        ("log base 10 or 2? The docs' losses are in nats: natural logarithms.",
         -(math.log10(0.8) + math.log10(0.7))),
        ("this is in bits (log base 2): the docs' losses are in nats, natural logarithms.",
         -(math.log2(0.8) + math.log2(0.7))),
        ("the real term is log D(x) = log 0.8, D's probability that a real sample is real; 1 - D belongs to the "
         "fakes only.", -(math.log(0.2) + math.log(0.7))),
        ("this is half the loss: L_D adds the two means, -(mean log D(x) + mean log(1 - D(G(z)))); it does not "
         "average them.", -(math.log(0.8) + math.log(0.7)) / 2),
    ],
}


def pen_and_paper(question):
    """[(hint, wrong number)] for one pen-and-paper question."""
    return _PEN.get(question, [])
