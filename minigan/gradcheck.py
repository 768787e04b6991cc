"""Check analytic gradients against central finite differences.

For a function f of tensors, pick a random weight v for each output element
and look at the scalar s = sum(v * f(inputs)). Its gradient with respect to an
input element x_i is, by autograd, the vector-Jacobian product (v^T J)_i, and
by central differences

    ds/dx_i ~ (s(x_i + eps) - s(x_i - eps)) / (2 eps)

with an error of order eps^2. The two must agree for every element. A random
v makes a wrong Jacobian entry show up with probability 1. Work in float64:
in float32, eps = 1e-6 is below the rounding error of the function itself.
"""

from minigan import autograd, backend
from minigan.backend import xp
from minigan.tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree; the message says where."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _weighted_sum(outputs, weights):
    total = 0.0
    for out, w in zip(outputs, weights):
        total = total + float((backend.to_numpy(out.data).astype("float64") * w).sum())
    return total


def _check_inputs(inputs):
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck input {i} is a {type(t).__name__}; pass minigan Tensors.")
        if t.requires_grad and t.dtype != backend.dtype("float64"):
            raise TypeError(
                f"gradcheck input {i} has dtype {t.dtype}; use float64 "
                "(mg.tensor(data, dtype='float64', requires_grad=True)) so finite differences are accurate."
            )


def _numeric_gradient(fn, inputs, k, weights, eps):
    x = inputs[k]
    x.data = xp.ascontiguousarray(x.data)  # so the flat view below writes into x itself
    flat = x.data.reshape(-1)
    numeric = xp.zeros(flat.shape, dtype="float64")
    # The graph stays on: fn may itself take a gradient (gradgradcheck's fn does).
    for i in range(flat.size):
        original = flat[i].item()
        flat[i] = original + eps
        plus = _weighted_sum(_outputs(fn, inputs), weights)
        flat[i] = original - eps
        minus = _weighted_sum(_outputs(fn, inputs), weights)
        flat[i] = original
        numeric[i] = (plus - minus) / (2 * eps)
    return numeric.reshape(x.shape)


def _report(k, x, analytic, numeric, atol, rtol, what):
    a, n = backend.to_numpy(analytic), backend.to_numpy(numeric)
    bad = abs(a - n) > atol + rtol * abs(n)
    worst = abs(a - n).argmax() if not bad.any() else (abs(a - n) * bad).argmax()
    index = tuple(int(i) for i in divmod_all(worst, a.shape))
    lines = [
        f"{what} mismatch for input {k} (shape {tuple(x.shape)}): "
        f"{int(bad.sum())} of {a.size} elements differ beyond atol={atol}, rtol={rtol}.",
        f"  worst element {index}: analytic {a.flat[worst]:.8g}  vs  numeric {n.flat[worst]:.8g}",
    ]
    for flat_index in bad.reshape(-1).nonzero()[0][:5]:
        if flat_index == worst:
            continue
        idx = tuple(int(i) for i in divmod_all(flat_index, a.shape))
        lines.append(f"  element {idx}: analytic {a.flat[flat_index]:.8g}  vs  numeric {n.flat[flat_index]:.8g}")
    return "\n".join(lines)


def divmod_all(flat_index, shape):
    """Unravel a flat index into a multi-index for ``shape`` (row-major)."""
    index = []
    for n in reversed(shape):
        flat_index, r = divmod(int(flat_index), n)
        index.append(r)
    return tuple(reversed(index))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, what="gradient"):
    """Compare autograd's gradient of ``fn`` with central differences, for every input requiring grad.

    ``fn(*inputs)`` returns a Tensor or a tuple of Tensors. Returns True, or
    raises :class:`GradcheckError` naming the input, the element, and the
    analytic and numerical values.
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    _check_inputs(inputs)
    targets = [k for k, t in enumerate(inputs) if t.requires_grad]
    if not targets:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check.")
    outputs = _outputs(fn, inputs)
    weights = [backend.generator().standard_normal(out.shape) for out in outputs]
    differentiable = [(o, w) for o, w in zip(outputs, weights) if o.requires_grad]
    if differentiable:
        analytic = autograd.grad(
            [o for o, _ in differentiable],
            [inputs[k] for k in targets],
            grad_outputs=[Tensor(xp.asarray(w, dtype=o.dtype)) for o, w in differentiable],
            allow_unused=True,
        )
    else:
        analytic = [None] * len(targets)
    for k, g in zip(targets, analytic):
        x = inputs[k]
        g = xp.zeros(x.shape, dtype="float64") if g is None else g.data
        numeric = _numeric_gradient(fn, inputs, k, weights, eps)
        close = xp.abs(g - numeric) <= atol + rtol * xp.abs(numeric)
        if not bool(close.all()):
            raise GradcheckError(_report(k, x, g, numeric, atol, rtol, what))
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Check second derivatives: the gradient of ``fn`` must itself pass :func:`gradcheck`.

    Builds g(inputs, v) = d/d(inputs) sum(v * fn(inputs)) with
    ``create_graph=True`` and checks its gradient against finite differences,
    with respect to the inputs and to the weights v (``grad_outputs``).
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    _check_inputs(inputs)
    outputs = _outputs(fn, inputs)
    if grad_outputs is None:
        grad_outputs = [
            Tensor(xp.asarray(backend.generator().standard_normal(o.shape), dtype="float64"), requires_grad=True)
            for o in outputs
        ]
    grad_outputs = list(grad_outputs)
    n_inputs = len(inputs)
    targets = [k for k, t in enumerate(inputs) if t.requires_grad]

    def first_derivative(*args):
        xs, vs = list(args[:n_inputs]), list(args[n_inputs:])
        outs = _outputs(fn, xs)
        pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        grads = autograd.grad(
            [o for o, _ in pairs], [xs[k] for k in targets], grad_outputs=[v for _, v in pairs],
            create_graph=True, allow_unused=True,
        )
        return tuple(g if g is not None else Tensor(xp.zeros(xs[k].shape)) for g, k in zip(grads, targets))

    return gradcheck(first_derivative, inputs + grad_outputs, eps, atol, rtol, what="second-derivative")
