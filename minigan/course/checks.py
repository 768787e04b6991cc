"""The checks of each assignment: run the engine being graded, compare with the answer key, and test behaviour.

Every assignment has

* ``cases()``: fixed inputs (seeded, float64), the same in every tree;
* ``probe(case)``: runs the graded engine on one case and returns its outputs
  (``{name: array}``): values and autograd gradients of the targets;
* ``live``: checks that need no key: ``mg.gradcheck`` and
  ``mg.gradgradcheck`` on drawn inputs, and, for the training step, behaviour.

The teacher's tree evaluates ``probe`` on the reference engine (the expected
outputs) and the mistake catalogue on the same cases, into the answer key
(:mod:`minigan.course.key`). This module holds no reference formula.
"""

import minigan as mg
import minigan.functional as F
from minigan import backend, nn, optim
from minigan.backend import xp
from minigan.course.checking import CheckFailed, fingerprints_near, randn, seeded
from minigan.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigan.tensor import Tensor

SPECS = {}


class Spec:
    def __init__(self, name, cases, probe, live=(), compare_order=None):
        self.name, self.cases, self.probe, self.live = name, cases, probe, list(live)
        SPECS[name] = self


def t64(a, grad=True):
    return Tensor(xp.asarray(a, dtype="float64").copy(), requires_grad=grad)


def grads_of(fn, arrays, gy=None):
    """(output, [d(sum gy * output)/d(array) ...]) by the graded engine's autograd; None gradients become zeros."""
    ts = [t64(a) for a in arrays]
    out = fn(*ts)
    if not isinstance(out, Tensor) or not out.requires_grad:  # nothing reaches the inputs: every gradient is 0
        return out, [xp.zeros_like(t.data) for t in ts]
    gs = mg.grad(out, ts, grad_outputs=None if gy is None else Tensor(gy), allow_unused=True)
    return out, [xp.zeros_like(t.data) if g is None else g.data for t, g in zip(ts, gs)]


def _grad_checks(label, fn, make_inputs, second=True):
    """[(name, check)] running mg.gradcheck (and mg.gradgradcheck) of ``fn`` on ``make_inputs()`` (seeded)."""

    def first():
        with seeded(7):
            inputs = [t64(a) for a in make_inputs()]
        _run_gradcheck(gradcheck, fn, inputs, "gradient against finite differences")

    def twice():
        with seeded(7):
            inputs = [t64(a) for a in make_inputs()]
        try:
            gradcheck(fn, [t64(a.data) for a in inputs])
        except GradcheckError:
            raise CheckFailed(f"{label}: the first derivative is already wrong (see the gradcheck and the fixed "
                              "cases), so the second one cannot be right either.") from None
        _run_gradcheck(gradgradcheck, fn, inputs, "second derivative against finite differences")

    checks = [(f"{label}: mg.gradcheck", first)]
    if second:
        checks.append((f"{label}: mg.gradgradcheck", twice))
    return checks


def _run_gradcheck(check, fn, inputs, what):
    try:
        check(fn, inputs)
    except GradcheckError as err:
        lines = [line.strip() for line in str(err).splitlines() if line.strip()][:3]
        hint = None
        if "second" in what:
            hint = ("the gradient is right but differentiating it again is not: build backward from minigan "
                    "ops on Tensors (gy, self.inputs, self.output), not from raw arrays (.data) wrapped as constants.")
        raise CheckFailed([f"{what}:", *lines], hint) from None


class _explained:
    """Turn an error of the graded code whose message contains ``words`` into a CheckFailed naming the likely slip."""

    def __init__(self, words, hint, when=True):
        self.words, self.hint, self.when = words, hint, when

    def __enter__(self):
        return self

    def __exit__(self, kind, err, tb):
        if self.when and isinstance(err, (ValueError, RuntimeError)) and self.words in str(err):
            raise CheckFailed(f"it raised {kind.__name__}: {err}", self.hint) from None
        return False


def away_from_zero(*shape, margin=0.05, scale=1.0):
    x = randn(*shape, scale=scale)
    return xp.where(xp.abs(x) < margin, xp.where(x < 0, -2 * margin, 2 * margin), x)


# ------------------------------------------------------------------ elementwise backwards


def _elementwise_cases(shapes, scale=3.0, extreme=False):
    def cases():
        out = []
        for seed, shape in enumerate(shapes):
            with seeded(seed):
                out.append({"x": randn(*shape, scale=scale), "gy": randn(*shape)})
        if extreme:
            x = xp.asarray([-800.0, -50.0, -5.0, -0.5, 0.5, 5.0, 50.0, 800.0])
            with seeded(99):
                out.append({"x": x, "gy": randn(8)})
        return out

    return cases


def _elementwise_probe(*ops):
    def probe(case):
        result = {}
        for label, op in ops:
            _, (gx,) = grads_of(op, [case["x"]], case["gy"])
            result[f"{label} dL/dx"] = gx
        return result

    return probe


Spec("sigmoid_backward", _elementwise_cases([(1,), (5,), (2, 3)]), _elementwise_probe(("sigmoid", mg.sigmoid)),
     _grad_checks("sigmoid", mg.sigmoid, lambda: [randn(3, 4, scale=3.0)]))


def _leaky_cases():
    out = []
    for seed, (shape, a) in enumerate((((6,), 0.2), ((2, 3), 0.01), ((3, 2, 2), 0.5))):
        with seeded(seed):
            out.append({"x": randn(*shape, scale=2.0), "gy": randn(*shape), "negative_slope": a})
    with seeded(3):  # the kink: x = 0 exactly, where the slope is negative_slope (as in PyTorch)
        out.append({"x": xp.asarray([-1.5, 0.0, 0.0, 0.75, 2.0]), "gy": randn(5), "negative_slope": 0.2})
    return out


def _leaky_probe(case):
    _, (gx,) = grads_of(lambda x: mg.leaky_relu(x, case["negative_slope"]), [case["x"]], case["gy"])
    return {"leaky_relu dL/dx": gx}


Spec("leaky_relu_backward", _leaky_cases, _leaky_probe,
     _grad_checks("leaky_relu", lambda x: mg.leaky_relu(x, 0.2), lambda: [away_from_zero(3, 4, scale=2.0)]))

Spec("softplus_log_sigmoid_backward", _elementwise_cases([(1,), (2, 3), (4,)], extreme=True),
     _elementwise_probe(("softplus", mg.softplus), ("log_sigmoid", mg.log_sigmoid)),
     _grad_checks("softplus", mg.softplus, lambda: [randn(3, 4, scale=3.0)])
     + _grad_checks("log_sigmoid", mg.log_sigmoid, lambda: [randn(3, 4, scale=3.0)]))


# ------------------------------------------------------------------ matmul and linear

_MATMUL_SHAPES = (((2, 3), (3, 4)), ((3, 3), (3, 3)), ((2, 2, 3), (3, 4)), ((2, 3), (4, 3, 2)),
                  ((2, 1, 2, 3), (3, 3, 2)))
_LINEAR_SHAPES = (((4, 3), 2, True), ((5, 3), 1, True), ((2, 3, 4), 3, False),
                  ((3, 3), 3, True), ((2, 3, 3), 3, True))  # square: a transposed W or g^T x still fits


_BATCHED_T = ("a product's shapes do not fit on a batched input: .T reverses every axis of a tensor with more "
              "than two; B^T and A^T swap only the last two axes (the matrix axes), the batch axes stay put.")


def _matmul_cases():
    out = []
    for seed, (sa, sb) in enumerate(_MATMUL_SHAPES):
        with seeded(seed):
            a, b = randn(*sa), randn(*sb)
            out.append({"kind": "matmul", "a": a, "b": b, "gy": randn(*xp.matmul(a, b).shape)})
    for seed, (sx, out_features, bias) in enumerate(_LINEAR_SHAPES, start=10):
        with seeded(seed):
            case = {"kind": "linear", "x": randn(*sx), "weight": randn(out_features, sx[-1]),
                    "gy": randn(*sx[:-1], out_features)}
            if bias:
                case["bias"] = randn(out_features)
            out.append(case)
    return out


def _matmul_probe(case):
    if case["kind"] == "matmul":
        batched = case["a"].ndim > 2 or case["b"].ndim > 2
        with _explained("returned a gradient of shape", "this is the broadcast shape: sum each gradient back to its "
                        "input's shape, over the axes along which that input was broadcast (each copy contributed)."), \
             _explained("do not fit", _BATCHED_T, when=batched), \
             _explained("do not fit", "a product's shapes do not fit: dL/dA must have A's shape and dL/dB B's; work "
                        "out which factor is transposed, and in which order the two are multiplied, for the shapes "
                        "to fit.", when=not batched), \
             _explained("could not be broadcast", _BATCHED_T, when=batched):
            _, (ga, gb) = grads_of(mg.matmul, [case["a"], case["b"]], case["gy"])
        return {"matmul dL/dA": ga, "matmul dL/dB": gb}
    arrays = [case["x"], case["weight"]] + ([case["bias"]] if "bias" in case else [])
    shape = "x".join(map(str, case["x"].shape))
    with _explained("do not fit",
                    f"a product's shapes do not fit, and x has more than one leading axis here ({shape}): "
                    "dL/dx = g W keeps x's shape, and dL/dW = g^T x needs every leading axis of g and x flattened "
                    "into rows first.", when=case["x"].ndim > 2), \
         _explained("for its input 2", "dL/db must have b's shape (out_features,): b is added to every row, so sum "
                    "g over all the rows (every leading axis)."):
        _, grads = grads_of(F.linear, arrays, case["gy"])
    return dict(zip(("linear dL/dx", "linear dL/dW", "linear dL/db"), grads))


Spec("matmul_broadcast_backward", _matmul_cases, _matmul_probe,
     _grad_checks("matmul (broadcast)", mg.matmul, lambda: [randn(2, 1, 2, 3), randn(3, 3, 2)])
     + _grad_checks("linear", F.linear, lambda: [randn(4, 3), randn(2, 3), randn(2)]))


# ------------------------------------------------------------------ batch norm and layer norm


def _bn(x, w, b):
    return F.batch_norm(x, None, None, w, b, training=True, eps=1e-5)


def _bn_eps(eps):
    return lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=eps)


def _ln(x, w, b):
    return F.layer_norm(x, x.shape[1:], w, b, eps=1e-5)


def _norm_cases():
    out = []
    for seed, (shape, eps) in enumerate((((4, 3), 1e-5), ((2, 1), 1e-5), ((6, 2), 0.1), ((3, 2, 2, 2), 1e-5))):
        with seeded(seed):
            out.append({"kind": "batch_norm", "x": randn(*shape, scale=2.0) + 0.5, "weight": randn(shape[1]) + 1.0,
                        "bias": randn(shape[1]), "gy": randn(*shape), "eps": eps})
    with seeded(9):
        out.append({"kind": "layer_norm", "x": randn(3, 4, scale=2.0), "weight": randn(4) + 1.0, "bias": randn(4),
                    "gy": randn(3, 4), "eps": 1e-5})
    return out


def _norm_probe(case):
    fn = _bn_eps(case["eps"]) if case["kind"] == "batch_norm" else _ln
    with _explained("returned a gradient of shape", "dL/dgamma and dL/dbeta must have gamma's and beta's shapes: sum "
                    "over every axis along which they were broadcast (every normalised axis), keeping their own."):
        _, grads = grads_of(fn, [case["x"], case["weight"], case["bias"]], case["gy"])
    return dict(zip(("dL/dx", "dL/dgamma", "dL/dbeta"), grads))


Spec("batchnorm_backward", _norm_cases, _norm_probe,
     _grad_checks("batch_norm", _bn, lambda: [randn(4, 3, scale=2.0), randn(3) + 1.0, randn(3)])
     + _grad_checks("layer_norm", _ln, lambda: [randn(3, 4, scale=2.0), randn(4) + 1.0, randn(4)]))


# ------------------------------------------------------------------ convolution

_CONV = (((1, 2, 5, 5), (3, 2, 3, 3), 1, 0), ((2, 1, 6, 6), (2, 1, 4, 4), 2, 1), ((1, 3, 4, 5), (2, 3, 2, 3), 1, 2))


def _conv_cases():
    out = []
    for seed, (sx, sw, stride, padding) in enumerate(_CONV):
        with seeded(seed):
            x, w = randn(*sx), randn(*sw)
            h = (sx[2] + 2 * padding - sw[2]) // stride + 1
            wd = (sx[3] + 2 * padding - sw[3]) // stride + 1
            out.append({"x": x, "weight": w, "gy": randn(sx[0], sw[0], h, wd), "stride": stride, "padding": padding})
    return out


def _conv_probe(case):
    s, p = case["stride"], case["padding"]
    with _explained("could not broadcast", "im2col's windows do not fit the padded image: pad H and W (only those two "
                    "axes, not N and C) with p zeros on each side before taking the windows."):
        y = F.conv2d(t64(case["x"], False), t64(case["weight"], False), None, s, p)
    if y.shape != case["gy"].shape:  # a wrong output size: compare the output alone, its shape says the mistake
        return {"conv2d y": y.data}
    with _explained("returned a gradient of shape", "col2im's result is not the image's size: crop p pixels off each "
                    "side, counting from the start (p up to p + H); a slice that ends at -p is empty when p = 0."):
        y, (gx, gw) = grads_of(lambda x, w: F.conv2d(x, w, None, s, p), [case["x"], case["weight"]], case["gy"])
    t = F.conv_transpose2d(t64(case["gy"], False), t64(case["weight"], False),
                           None, s, p)
    return {"conv2d y": y.data, "conv2d dL/dx": gx, "conv2d dL/dw": gw, "conv_transpose2d y": t.data}


Spec("conv2d_im2col", _conv_cases, _conv_probe,
     _grad_checks("conv2d", lambda x, w: F.conv2d(x, w, None, 2, 1), lambda: [randn(1, 2, 5, 5), randn(2, 2, 3, 3)])
     + _grad_checks("conv_transpose2d", lambda x, w: F.conv_transpose2d(x, w, None, 2, 1),
                    lambda: [randn(1, 2, 3, 3), randn(2, 2, 3, 3)], second=False))


# ------------------------------------------------------------------ the GAN losses


_OWN_MEANS = ("the real and the fake batches may have different sizes (N and M): take each term's mean over its own "
              "batch, then combine the two means; never add the two batches element by element.")


def _logit_cases():
    out = []
    for seed, (n, m) in enumerate(((3, 3), (4, 2), (1, 5))):
        with seeded(seed):
            out.append({"a_real": randn(n, scale=2.0), "a_fake": randn(m, scale=2.0)})
    out.append({"a_real": xp.asarray([40.0, -3.0]), "a_fake": xp.asarray([-1.0, 40.0])})  # log(1 - s(40)) = log 0
    out.append({"a_real": xp.asarray([-800.0, 2.0]), "a_fake": xp.asarray([800.0, -1.0])})  # log s(-800) = log 0
    return out


def _d_loss_probe(case):
    from minigan.gan import d_loss_minimax

    with _explained("could not be broadcast", _OWN_MEANS):
        loss, (gr, gf) = grads_of(d_loss_minimax, [case["a_real"], case["a_fake"]])
    return {"L_D": loss.data, "dL_D/da_real": gr, "dL_D/da_fake": gf}


def _d_loss_live():
    from minigan.gan import d_loss_minimax

    return _grad_checks("d_loss_minimax", d_loss_minimax, lambda: [randn(4, scale=2.0), randn(3, scale=2.0)])


Spec("discriminator_loss_gradient", _logit_cases, _d_loss_probe, _d_loss_live())


def _g_cases():
    out = []
    for seed, n in enumerate((3, 5, 1)):
        with seeded(seed):
            out.append({"a_fake": randn(n, scale=3.0)})
    out.append({"a_fake": xp.asarray([-9.2, -40.0, 3.0])})  # D(G(z)) ~ 1e-4: where the two losses differ most
    out.append({"a_fake": xp.asarray([40.0, -800.0, 0.5])})  # log(1 - s(40)) and log s(-800) are log 0
    return out


def _g_probe(case):
    from minigan.gan import g_loss

    out = {}
    for saturating in (True, False):
        label = "saturating" if saturating else "non-saturating"
        loss, (g,) = grads_of(lambda a, s=saturating: g_loss(a, saturating=s), [case["a_fake"]])
        out[f"{label} L_G"] = loss.data
        out[f"{label} dL_G/da"] = g
    return out


Spec("generator_losses", _g_cases, _g_probe)


# ------------------------------------------------------------------ WGAN


def _wgan_cases():
    out = []
    for seed, (n, m) in enumerate(((3, 3), (4, 2))):
        with seeded(seed):
            out.append({"real": randn(n, scale=2.0), "fake": randn(m, scale=2.0), "weights": randn(3, 4, scale=0.05),
                        "bias": randn(4, scale=0.05), "grad": randn(3, 4, scale=0.05), "c": 0.01 * (seed + 1)})
    return out


def _wgan_probe(case):
    from minigan.gan import clip_weights_, wasserstein_critic_loss, wasserstein_generator_loss

    with _explained("could not be broadcast", _OWN_MEANS):
        loss_c, (gr, gf) = grads_of(wasserstein_critic_loss, [case["real"], case["fake"]])
    loss_g, (gg,) = grads_of(wasserstein_generator_loss, [case["fake"]])
    w, b = nn.Parameter(xp.asarray(case["weights"]).copy()), nn.Parameter(xp.asarray(case["bias"]).copy())
    w.grad = Tensor(xp.asarray(case["grad"]).copy())
    before = w.grad.data.copy()
    clip_weights_([w, b], c=case["c"])
    grad_after = before if w.grad is None else (w.grad.data if isinstance(w.grad, Tensor) else w.grad)
    return {"L_C": loss_c.data, "dL_C/d real": gr, "dL_C/d fake": gf, "L_G": loss_g.data, "dL_G/d fake": gg,
            "weight after clipping": w.data, "bias after clipping": b.data, "weight.grad after clipping": grad_after}


Spec("wgan_clipping", _wgan_cases, _wgan_probe)


# ------------------------------------------------------------------ Improved GAN


def _fm_cases():
    out = []
    for seed, (sr, sf) in enumerate((((4, 3), (4, 3)), ((5, 3), (2, 3)), ((3, 2, 2, 2), (3, 2, 2, 2)))):
        with seeded(seed):
            out.append({"f_real": randn(*sr), "f_fake": randn(*sf)})
    return out


def _fm_probe(case):
    from minigan.gan import feature_matching_loss

    loss, (gr, gf) = grads_of(feature_matching_loss, [case["f_real"], case["f_fake"]])
    return {"L": loss.data, "dL/df_real": gr, "dL/df_fake": gf}


def _fm_live():
    from minigan.gan import feature_matching_loss

    return _grad_checks("feature_matching_loss", feature_matching_loss, lambda: [randn(3, 4), randn(2, 4)], False)


Spec("feature_matching", _fm_cases, _fm_probe, _fm_live())


def _mbd_cases():
    out = []
    for seed, (n, a, b, c) in enumerate(((3, 4, 2, 3), (4, 2, 3, 2), (1, 3, 2, 2))):
        with seeded(seed):
            out.append({"features": randn(n, a), "T": randn(a, b * c, scale=0.5), "num_kernels": b,
                        "gy": randn(n, b)})
    return out


def _mbd_probe(case):
    from minigan.gan import minibatch_discrimination

    o = minibatch_discrimination(t64(case["features"], False), t64(case["T"], False), case["num_kernels"])
    if tuple(getattr(o, "shape", ())) != tuple(case["gy"].shape):  # a wrong shape: compare o alone, its shape says it
        return {"o": o.data if isinstance(o, Tensor) else o}
    o, (gf, gt) = grads_of(lambda f, t: minibatch_discrimination(f, t, case["num_kernels"]),
                           [case["features"], case["T"]], case["gy"])
    return {"o": o.data, "dL/dfeatures": gf, "dL/dT": gt}


Spec("minibatch_discrimination", _mbd_cases, _mbd_probe)


# ------------------------------------------------------------------ the gradient penalty


def _tanh_critic(w1, b1, w2):
    """A critic of elementwise ops only (so this assignment needs no other): sum over a sample of tanh(x w1 + b1) w2."""
    def critic(x):
        return mg.sum((mg.tanh(x * w1 + b1) * w2).reshape(x.shape[0], -1), axis=1)

    return critic


def _gp_cases():
    out = []
    for seed, shape in enumerate(((4, 3), (3, 2, 3), (2, 5))):
        with seeded(seed):
            out.append({"kind": "autograd", "real": randn(*shape), "fake": randn(*shape),
                        "eps": backend.rand(shape[0], dtype="float64"), "w1": randn(*shape[1:]),
                        "b1": randn(*shape[1:]), "w2": randn(*shape[1:]), "lam": 10.0 if seed != 2 else 1.0})
    for seed, sizes in enumerate(((3, 4, 1), (2, 3, 3, 1)), start=5):
        with seeded(seed):
            weights = [randn(o, i) for i, o in zip(sizes[:-1], sizes[1:])]
            biases = [randn(o) for o in sizes[1:]]
            case = {"kind": "by hand", "x_hat": randn(4, sizes[0]), "slope": 0.2, "lam": 10.0}
            case.update({f"W{k}": w for k, w in enumerate(weights)})
            case.update({f"b{k}": b for k, b in enumerate(biases)})
            out.append(case)
    return out


def _gp_probe(case):
    from minigan.gan import gradient_penalty, gradient_penalty_mlp_by_hand

    if case["kind"] == "autograd":
        def penalty(w1, b1, w2):
            return gradient_penalty(_tanh_critic(w1, b1, w2), t64(case["real"], False), t64(case["fake"], False),
                                    lam=case["lam"], eps=case["eps"])

        with _explained("could not be broadcast", "eps holds one number per sample (shape (N,)): give it the shape "
                        "(N, 1, 1, ...) so that it broadcasts over each sample's axes."):
            p, (g1, gb, g2) = grads_of(penalty, [case["w1"], case["b1"], case["w2"]])
        return {"penalty": p.data, "dP/dw1": g1, "dP/db1": gb, "dP/dw2": g2}
    layers = sum(1 for k in case if k.startswith("W"))
    weights = [xp.asarray(case[f"W{k}"]).copy() for k in range(layers)]
    biases = [xp.asarray(case[f"b{k}"]).copy() for k in range(layers)]
    p, gw, gb = gradient_penalty_mlp_by_hand(weights, biases, case["slope"], xp.asarray(case["x_hat"]).copy(),
                                             lam=case["lam"])
    out = {"penalty (by hand)": xp.asarray(float(p))}
    out.update({f"dP/dW{k} (by hand)": g for k, g in enumerate(gw)})
    out.update({f"dP/db{k} (by hand)": g for k, g in enumerate(gb)})
    return out


def _gp_live():
    from minigan.gan import gradient_penalty

    def penalty_of_weights(w1, b1, w2):
        with seeded(3):
            real, fake = t64(randn(3, 2), False), t64(randn(3, 2), False)
        return gradient_penalty(_tanh_critic(w1, b1, w2), real, fake, eps=xp.asarray([0.2, 0.5, 0.9]))

    def eps_per_sample():
        seen = []

        def critic(x):
            seen.append(backend.to_numpy(x.data).copy())
            return mg.sum((x * x).reshape(x.shape[0], -1), axis=1)

        with seeded(11):
            real, fake = randn(4, 2, 3), randn(4, 2, 3) + 3.0
            gradient_penalty(critic, t64(real, False), t64(fake, False))
        if not seen:
            raise CheckFailed("with eps=None, the critic was never called.",
                              "the penalty evaluates the critic at x_hat.")
        t = (seen[0] - backend.to_numpy(fake)) / backend.to_numpy(real - fake)   # x_hat = t x + (1 - t) G(z)
        spread = (t.reshape(4, -1).max(axis=1) - t.reshape(4, -1).min(axis=1)).max()
        if spread > 1e-6 or t.min() < -1e-9 or t.max() > 1 + 1e-9:
            raise CheckFailed(
                "with eps=None, x_hat is not eps x + (1 - eps) G(z) with one eps in [0, 1] per sample "
                f"(within one sample, eps spreads over {spread:.3g}).",
                "draw eps once per sample, of shape (N, 1, 1, ...), broadcast over the sample's axes: one number "
                "per element puts x_hat off the line between a real sample and its fake.")
        per_sample = t.reshape(4, -1)[:, 0]
        if float(per_sample.max() - per_sample.min()) < 1e-12:
            raise CheckFailed(f"with eps=None, every sample got the same eps ({float(per_sample[0]):.6g}).",
                              "draw one eps per sample (N numbers, shape (N, 1, 1, ...)), not one for the whole batch: "
                              "each x_hat is its own random point between its real and its fake sample.")

    return _grad_checks("the penalty as a function of the critic's weights", penalty_of_weights,
                        lambda: [randn(2), randn(2), randn(2)], second=False) + [
        ("with eps=None: one eps per sample, x_hat on the line from G(z) to x", eps_per_sample)]


Spec("gradient_penalty", _gp_cases, _gp_probe, _gp_live())


# ------------------------------------------------------------------ Adam


def _adam_cases():
    out = []
    settings = (((3,), 0.001, (0.9, 0.999), 1e-8, 3, 0.0), ((2, 3), 0.1, (0.5, 0.9), 0.1, 4, 0.0),
                ((1,), 0.01, (0.0, 0.99), 1e-3, 3, 0.0), ((2,), 0.01, (0.8, 0.5), 1e-3, 3, 0.1))
    for seed, (shape, lr, betas, eps, steps, wd) in enumerate(settings):
        with seeded(seed):
            out.append({"param": randn(*shape), "grads": randn(steps, *shape), "lr": lr, "betas": list(betas),
                        "eps": eps, "weight_decay": wd})
    return out


def _adam_probe(case):
    p = nn.Parameter(xp.asarray(case["param"]).copy())
    opt = optim.Adam([p], lr=case["lr"], betas=tuple(case["betas"]), eps=case["eps"], weight_decay=case["weight_decay"])
    params, ms, vs = [], [], []
    for g in case["grads"]:
        p.grad = Tensor(xp.asarray(g).copy())
        opt.step()
        if not params and not bool(xp.isfinite(p.data).all()):
            raise CheckFailed(
                f"after the first step (t = 1) the parameter holds {p.data.reshape(-1)[:3].tolist()}.",
                "at t = 1 the bias correction divides by 1 - beta^t = 1 - beta: is t counted from 0 (1 - beta^0 = 0), "
                "or is a bracket missing (v / 1 - beta2^t is v - beta2^t, negative under the square root)?")
        state = opt.state.get(0, {})
        params.append(p.data.copy())
        ms.append(xp.asarray(state.get("exp_avg", xp.full(p.shape, float("nan")))).copy())
        vs.append(xp.asarray(state.get("exp_avg_sq", xp.full(p.shape, float("nan")))).copy())
    return {"state exp_avg (m, step by step)": xp.stack(ms), "state exp_avg_sq (v, step by step)": xp.stack(vs),
            "parameter (step by step)": xp.stack(params)}


Spec("adam_update", _adam_cases, _adam_probe)


# ------------------------------------------------------------------ the training step (behaviour)


class _TinyD(nn.Module):
    """D(x) = sum_i x_i w_i + b: elementwise ops only, so the training-step checks need no other assignment."""

    def __init__(self, w, b):
        super().__init__()
        self.w, self.b = nn.Parameter(xp.asarray(w).copy()), nn.Parameter(xp.asarray(b).copy())

    def forward(self, x):
        return mg.sum(x * self.w, axis=1) + self.b


class _TinyG(nn.Module):
    """G(z) = z a + c, elementwise."""

    def __init__(self, a, c):
        super().__init__()
        self.a, self.c = nn.Parameter(xp.asarray(a).copy()), nn.Parameter(xp.asarray(c).copy())

    def forward(self, z):
        return z * self.a + self.c


def _toy_d_loss(real_logits, fake_logits):
    """A loss of the check's own (not a GAN loss, so it gives nothing away): mean r^2 / 2 + mean f."""
    return mg.mean(real_logits * real_logits) * 0.5 + mg.mean(fake_logits)


def _toy_g_loss(fake_logits):
    return -mg.mean(fake_logits) + mg.mean(fake_logits * fake_logits) * 0.25


def _step_cases():
    out = []
    for seed, k in enumerate((1, 2, 3)):
        with seeded(seed):
            out.append({"k": k, "lr": 0.1, "real": randn(k, 4, 2), "z": randn(k + 1, 4, 2), "w": randn(2),
                        "b": randn(1), "a": randn(2), "c": randn(2)})
    return out


class _Counting:
    """An optimizer wrapper that counts its steps and zero_grads (and passes them on)."""

    def __init__(self, opt, log, name):
        self.opt, self.log, self.name = opt, log, name
        self.params = opt.params

    def step(self):
        self.log.append(f"{self.name}.step")
        self.opt.step()

    def zero_grad(self):
        self.log.append(f"{self.name}.zero_grad")
        self.opt.zero_grad()


def _players(case, log=None):
    D, G = _TinyD(case["w"], case["b"]), _TinyG(case["a"], case["c"])
    opt_d, opt_g = optim.SGD(D.parameters(), lr=case["lr"]), optim.SGD(G.parameters(), lr=case["lr"])
    if log is not None:
        opt_d, opt_g = _Counting(opt_d, log, "opt_d"), _Counting(opt_g, log, "opt_g")
    return D, G, opt_d, opt_g


def _batches(case, log=None):
    reals = iter([t64(r, False) for r in case["real"]])
    zs = iter([t64(z, False) for z in case["z"]])

    def real_iter():
        for r in reals:
            if log is not None:
                log.append("next(real)")
            yield r

    def sample_z():
        if log is not None:
            log.append("sample_z")
        return next(zs)

    return real_iter(), sample_z


def _step_probe(case):
    from minigan.gan.step import train_step

    D, G, opt_d, opt_g = _players(case)
    real_batches, sample_z = _batches(case)
    d_losses, g_value = train_step(D, G, opt_d, opt_g, real_batches, sample_z, k=case["k"],
                                   d_loss=_toy_d_loss, g_loss=_toy_g_loss)
    return {"D's weights after train_step": xp.concatenate([D.w.data, D.b.data]),
            "G's weights after train_step": xp.concatenate([G.a.data, G.c.data]),
            "the k discriminator losses": xp.asarray([float(v) for v in d_losses]),
            "the generator loss": xp.asarray(float(g_value))}


def _grads_untouched(module, who, during):
    for name, p in module.named_parameters():
        g = p.grad
        if g is not None and bool(xp.any((g.data if isinstance(g, Tensor) else g) != 0)):
            hint = ("detach the fakes (G(z).detach()) in D's step: no gradient may flow back into G during D's step."
                    if who == "G" else
                    "freeze D during G's step (D.requires_grad_(False)), and unfreeze it afterwards.")
            raise CheckFailed(f"after {during}, {who}'s parameter {name} has a gradient (it should have none).", hint)


def _weights(module):
    return [p.data.copy() for p in module.parameters()]


def _unchanged(module, before, who, during, hint):
    for (name, p), old in zip(module.named_parameters(), before):
        if not bool(xp.all(p.data == old)):
            raise CheckFailed(f"{who}'s {name} moved during {during} (it must not move).", hint)


def _run_step(step, args, kwargs, no_graph_hint):
    """Call the student's step; a loss without a graph to the weights it should train fails with ``no_graph_hint``."""
    try:
        step(*args, **kwargs)
    except RuntimeError as err:
        if "does not require grad" not in str(err):
            raise
        raise CheckFailed(f"{step.__name__} raised: {err}", no_graph_hint) from None


def _check_d_step_leaves_g_alone():
    from minigan.gan.step import discriminator_step

    case = _step_cases()[0]
    D, G, opt_d, _ = _players(case)
    g_before, d_before = _weights(G), _weights(D)
    _run_step(discriminator_step, (D, G, opt_d, t64(case["real"][0], False), t64(case["z"][0], False)),
              {"d_loss": _toy_d_loss},
              "D's loss has no graph back to D's weights: only the fakes G(z) are made without a graph "
              "(no_grad or detach); D's scores and loss must be recorded.")
    _grads_untouched(G, "G", "discriminator_step")
    _unchanged(G, g_before, "G", "discriminator_step",
               "D's step updates D only: step opt_d (D's optimiser), never opt_g, and give G no gradient.")
    if all(bool(xp.all(p.data == old)) for p, old in zip(D.parameters(), d_before)):
        raise CheckFailed("after discriminator_step, D's weights have not moved.",
                          "D's step must compute D's loss and its gradient, then step D's optimiser: gradients are "
                          "zeroed before the backward (zero_grad after backward wipes the gradient), and a step "
                          "before the backward has no gradient to use.")


def _check_g_step_leaves_d_alone():
    from minigan.gan.step import generator_step

    case = _step_cases()[0]
    D, G, _, opt_g = _players(case)
    d_before, g_before = _weights(D), _weights(G)
    _run_step(generator_step, (D, G, opt_g, t64(case["z"][0], False)), {"g_loss": _toy_g_loss},
              "G's loss has no graph back to G's weights: in G's step, G(z) must not be detached or "
              "computed under no_grad (only D is frozen).")
    _grads_untouched(D, "D", "generator_step")
    _unchanged(D, d_before, "D", "generator_step",
               "G's step updates G only: step opt_g, not opt_d, with D frozen (D.requires_grad_(False)).")
    frozen = [name for name, p in D.named_parameters() if not p.requires_grad]
    if frozen:
        raise CheckFailed(f"after generator_step, D's {', '.join(frozen)} no longer require grad.",
                          "unfreeze D after G's step (D.requires_grad_(True)), or D never trains again.")
    if all(bool(xp.all(p.data == old)) for p, old in zip(G.parameters(), g_before)):
        raise CheckFailed("after generator_step, G's weights have not moved.",
                          "G's step must compute G's loss through D and its gradient, then step G's optimiser "
                          "(gradients zeroed before the backward, the step after it); and G(z) must not be detached.")


def _check_steps_start_from_zero_gradients():
    """Leftover gradients (from an earlier step) must not change a step: each step zeroes them first."""
    from minigan.gan.step import discriminator_step, generator_step

    case = _step_cases()[0]
    real, z = t64(case["real"][0], False), t64(case["z"][0], False)
    for who, run in (("D", lambda D, G, od, og: discriminator_step(D, G, od, real, z, d_loss=_toy_d_loss)),
                     ("G", lambda D, G, od, og: generator_step(D, G, og, z, g_loss=_toy_g_loss))):
        results = []
        for leftover in (False, True):
            D, G, opt_d, opt_g = _players(case)
            if leftover:
                for p in (D if who == "D" else G).parameters():
                    p.grad = Tensor(xp.ones_like(p.data))
            run(D, G, opt_d, opt_g)
            results.append(_weights(D if who == "D" else G))
        if any(not bool(xp.allclose(a, b)) for a, b in zip(*results)):
            opt = "opt_d" if who == "D" else "opt_g"
            raise CheckFailed(f"{who}'s step with gradients left over from an earlier step moves {who} differently "
                              "than from zero gradients.",
                              f"{who}'s gradients accumulate from step to step: {opt}.zero_grad() before "
                              f"{who}'s backward.")


def _check_k_steps():
    from minigan.gan.step import train_step

    for case in _step_cases()[1:]:
        # three times the batches Algorithm 1 needs, so a loop that takes too many is counted, not cut short
        case = dict(case, real=xp.concatenate([case["real"]] * 3), z=xp.concatenate([case["z"]] * 3))
        k, log = case["k"], []
        D, G, opt_d, opt_g = _players(case, log)
        real_batches, sample_z = _batches(case, log)
        calls = {"d_loss": 0, "g_loss": 0}

        def d_loss(r, f, calls=calls):
            calls["d_loss"] += 1
            return _toy_d_loss(r, f)

        def g_loss(f, calls=calls):
            calls["g_loss"] += 1
            return _toy_g_loss(f)

        train_step(D, G, opt_d, opt_g, real_batches, sample_z, k=k, d_loss=d_loss, g_loss=g_loss)
        counts = {
            "opt_d.step()": (log.count("opt_d.step"), k), "opt_g.step()": (log.count("opt_g.step"), 1),
            "real batches taken": (log.count("next(real)"), k), "noise batches drawn": (log.count("sample_z"), k + 1),
            "d_loss calls": (calls["d_loss"], k), "g_loss calls": (calls["g_loss"], 1),
        }
        for what, (received, expected) in counts.items():
            if received != expected:
                raise CheckFailed(
                    f"train_step with k={k}: {what}: expected {expected}, received {received}.",
                    "Algorithm 1 runs k discriminator steps, each on a fresh real batch and fresh noise, then one "
                    "generator step on fresh noise.")
        steps = [e for e in log if e.endswith(".step")]
        if steps != ["opt_d.step"] * k + ["opt_g.step"]:
            raise CheckFailed(f"train_step with k={k}: the optimiser steps ran in the order {steps}.",
                              "first the k steps of D, then the one step of G.")


Spec("training_step", _step_cases, _step_probe,
     [("D's step: no gradient reaches G, G's weights do not move", _check_d_step_leaves_g_alone),
      ("G's step: D's weights do not move and get no gradient; D unfrozen afterwards", _check_g_step_leaves_d_alone),
      ("k discriminator steps per generator step", _check_k_steps),
      ("each step zeroes the gradients left from an earlier one", _check_steps_start_from_zero_gradients)])


# ------------------------------------------------------------------ pen and paper (checked by fingerprint)


def _pen_cases():
    from minigan.course import pen_and_paper

    return [{"question": q} for q in pen_and_paper.QUESTION_NAMES]


def _pen_probe(case):
    from minigan.course import pen_and_paper

    return {case["question"]: getattr(pen_and_paper, case["question"])()}


def check_number(question, value, key_case):
    """Compare a pen-and-paper answer with the key's fingerprints; raise CheckFailed with the mistake if known."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise CheckFailed(f"{question}: received {value!r}, not a number.", "return a float (or an int).") from None
    near = fingerprints_near(question, value)
    if key_case["answer"] in near:
        return
    hint = next((h for fp, h in key_case["mistakes"] if fp in near), None)
    raise CheckFailed(f"{question}: received {value:.6g}, which is not the answer (to 3 significant digits).",
                      hint or "work it out again from the formula on the docs page the question names.")


Spec("pen_and_paper", _pen_cases, _pen_probe)
