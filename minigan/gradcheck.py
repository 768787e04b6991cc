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
    original = x.data
    x.data = original.copy()  # a contiguous, writable copy to perturb; x gets its own array back at the end
    flat = x.data.reshape(-1)  # a view: writing flat[i] perturbs x
    numeric = xp.zeros(flat.shape, dtype="float64")
    try:
        # The graph stays on: fn may itself take a gradient (gradgradcheck's fn does).
        for i in range(flat.size):
            value = flat[i].item()
            flat[i] = value + eps
            plus = _weighted_sum(_outputs(fn, inputs), weights)
            flat[i] = value - eps
            minus = _weighted_sum(_outputs(fn, inputs), weights)
            flat[i] = value
            numeric[i] = (plus - minus) / (2 * eps)
    finally:
        x.data = original
    return numeric.reshape(x.shape)


def _report(name, x, analytic, numeric, atol, rtol, what, eps):
    a = backend.to_numpy(analytic).reshape(-1)
    n = backend.to_numpy(numeric).reshape(-1)
    error = abs(a - n)
    bad = ~(error <= atol + rtol * abs(n))  # a NaN on either side counts as bad
    bad_indices = bad.nonzero()[0]
    worst = max(bad_indices, key=lambda i: error[i] if error[i] == error[i] else float("inf"))
    others = [i for i in bad_indices if i != worst][:4]
    lines = [
        f"{what} mismatch for {name} (shape {tuple(x.shape)}): "
        f"{len(bad_indices)} of {a.size} elements differ beyond atol={atol}, rtol={rtol}.",
        f"  worst element {divmod_all(worst, x.shape)}: analytic {a[worst]:.8g}  vs  numeric {n[worst]:.8g}",
    ]
    lines += [f"  element {divmod_all(i, x.shape)}: analytic {a[i]:.8g}  vs  numeric {n[i]:.8g}" for i in others]
    if len(bad_indices) > 1 + len(others):
        lines.append(f"  ... and {len(bad_indices) - 1 - len(others)} more.")
    lines.append(
        f"  (analytic: autograd's d(sum(v * f))/dx for random weights v; "
        f"numeric: central differences with eps={eps})"
    )
    return "\n".join(lines)


def divmod_all(flat_index, shape):
    """A flat (row-major) index as a multi-index into ``shape``."""
    index = []
    for n in reversed(shape):
        flat_index, r = divmod(int(flat_index), n)
        index.append(r)
    return tuple(reversed(index))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Compare autograd's gradient of ``fn`` with central differences, for every input requiring grad.

    ``fn(*inputs)`` returns a Tensor or a tuple of Tensors; ``inputs`` are
    Tensors, float64 where they require grad. An element passes when
    |analytic - numeric| <= atol + rtol * |numeric|. Returns True, or raises
    :class:`GradcheckError` naming the input, the element, and the analytic
    and numerical values::

        x = mg.tensor(data, dtype="float64", requires_grad=True)
        mg.gradcheck(lambda x: (x * x).tanh(), [x])
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    return _compare(fn, inputs, eps, atol, rtol, "gradient", [f"input {k}" for k in range(len(inputs))])


def _compare(fn, inputs, eps, atol, rtol, what, names):
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
            raise GradcheckError(_report(names[k], x, g, numeric, atol, rtol, what, eps))
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Check second derivatives: the gradient of ``fn`` must itself pass :func:`gradcheck`.

    Builds g(inputs, v) = d/d(inputs) sum(v * fn(inputs)) with
    ``create_graph=True`` and checks its gradient against finite differences,
    with respect to the inputs and to the weights v (``grad_outputs``, random
    float64 by default). A backward that is numerically right but computes
    with raw arrays instead of minigan ops fails here: its gradient has no
    graph, so the second derivative comes out zero.
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    _check_inputs(inputs)
    targets = [k for k, t in enumerate(inputs) if t.requires_grad]
    if not targets:
        raise ValueError("gradgradcheck: no input requires grad, so there is nothing to check.")
    outputs = _outputs(fn, inputs)
    if grad_outputs is None:
        grad_outputs = [
            Tensor(xp.asarray(backend.generator().standard_normal(o.shape), dtype="float64"), requires_grad=True)
            for o in outputs
        ]
    grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
    n_inputs = len(inputs)

    def first_derivative(*args):
        xs, vs = list(args[:n_inputs]), list(args[n_inputs:])
        outs = _outputs(fn, xs)
        pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        grads = autograd.grad(
            [o for o, _ in pairs], [xs[k] for k in targets], grad_outputs=[v for _, v in pairs],
            create_graph=True, allow_unused=True,
        ) if pairs else [None] * len(targets)
        return tuple(g if g is not None else Tensor(xp.zeros(xs[k].shape)) for g, k in zip(grads, targets))

    names = [f"input {k}" for k in range(n_inputs)] + [f"grad_outputs[{j}]" for j in range(len(grad_outputs))]
    return _compare(first_derivative, inputs + grad_outputs, eps, atol, rtol, "second-derivative", names)
