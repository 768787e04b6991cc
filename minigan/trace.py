r"""The backward pass, op by op: ``mg.trace()`` records what each op's backward received and returned.

``loss.backward()`` visits the ops that made ``loss`` in reverse order. At each
op it hands the gradient of the op's output, :math:`\bar y = \partial L/\partial y`,
to the op's ``backward``, which returns the vector-Jacobian products

.. math::

    \bar x_k = \bar y^T \frac{\partial y}{\partial x_k}, \quad \text{one per input } x_k.

Inside ``with mg.trace() as t:`` each of those calls is written down: the op,
its derivative (the first paragraph of the Function's docstring), and the
shapes and first few values of :math:`\bar y` and of every :math:`\bar x_k`::

    with mg.trace() as t:
        loss.backward()
    print(t)          # one row per op, in the order backward ran them
    t.check()         # each row's vector-Jacobian product against finite differences, in float64

:meth:`Trace.check` re-runs each op's forward on perturbed float64 copies of the
inputs the op saw and compares the numerical derivative of
:math:`s(x) = \sum \bar y \odot f(x)` with :math:`\bar x` from the op's backward
(also in float64). Outside a trace the walk pays one ``is not None`` test per op.
"""

import inspect

from minigan import autograd, backend
from minigan.backend import xp
from minigan.gradcheck import GradcheckError
from minigan.tensor import Tensor, enable_grad, no_grad


class TraceCheckError(GradcheckError):
    """An op's backward disagrees with finite differences of its forward; the message names the op."""


class TraceRow:
    """One op's backward as it ran: ``op`` (its class name), ``formula``, ``grad_output`` and ``grad_inputs``.

    ``grad_output`` is :math:`\\partial L/\\partial y` and ``grad_inputs`` the list of
    :math:`\\partial L/\\partial x_k` (``None`` where no gradient was needed), all host
    NumPy copies. ``status`` is set by :meth:`Trace.check`.
    """

    def __init__(self, fn, gy, input_grads):
        self.function = type(fn)
        self.op = type(fn).__name__
        self.formula = formula_of(type(fn))
        self.grad_output = gy.numpy()
        self.grad_inputs = [None if g is None else g.numpy() for g in input_grads]
        self.needs_input_grad = tuple(fn.needs_input_grad)
        # What check() needs to run the op again: the input arrays as they were (an optimiser
        # step may change a weight in place later) and the forward's parameters.
        self._inputs = [t.data.copy() for t in fn.inputs]
        self._params, self._missing = _forward_params(fn, len(fn.inputs), gy.shape)
        self.status = "not checked"

    @property
    def inputs(self):
        """The op's input arrays as the backward saw them, as host NumPy copies."""
        return [Tensor(a).numpy() for a in self._inputs]

    def __repr__(self):
        return f"<TraceRow {self.op}: {self.status}>"


def formula_of(function):
    """The first paragraph of a Function's docstring, on one line: what its forward and derivative are."""
    doc = inspect.getdoc(function) or ""
    first = doc.split("\n\n")[0]
    return " ".join(first.split()) or "(no docstring)"


def _forward_params(fn, n_inputs, output_shape):
    """The keyword parameters of ``fn.forward`` beyond its arrays, read back from the op.

    A forward keeps its non-tensor facts on ``self`` under their own names
    (``self.axes, self.keepdims = axes, keepdims``); a parameter that is the
    output's shape is read from the gradient's shape. Returns (params, missing names).
    """
    signature = inspect.signature(type(fn).forward)
    params, missing, left = {}, [], n_inputs
    for name, p in list(signature.parameters.items())[1:]:  # [0] is self
        if p.kind is p.VAR_POSITIONAL:
            left = 0
            continue
        if left and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            left -= 1  # filled by an input array
            continue
        if p.kind is p.VAR_KEYWORD:
            continue
        if hasattr(fn, name):
            params[name] = getattr(fn, name)
        elif name == "shape":
            params[name] = tuple(output_shape)
        elif p.default is p.empty:
            missing.append(name)
    return params, missing


def _values(array, n=3):
    flat = array.reshape(-1)
    shown = ", ".join(f"{float(v):.4g}" for v in flat[:n])
    return f"[{shown}{', ...' if flat.size > n else ''}]"


def _shape(array):
    return "x".join(str(s) for s in array.shape) or "scalar"


class Trace:
    """The record of one or more backward walks; use as ``with mg.trace() as t: loss.backward()``."""

    def __init__(self):
        self.rows = []
        self._previous = None

    # --- recording (called by minigan.autograd while this trace is active)
    def __enter__(self):
        self._previous = autograd._tracer
        autograd._tracer = self
        return self

    def __exit__(self, *exc):
        autograd._tracer = self._previous
        return False

    def record(self, fn, gy, input_grads):
        self.rows.append(TraceRow(fn, gy, input_grads))

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    # --- reading
    def table(self, values=3, limit=None):
        """The rows as text: op, derivative, and dL/dy and each dL/dx_k with shape and first ``values`` values.

        ``limit`` shows only the first rows (and says how many were left out).
        """
        lines = [f"{'#':>3}  {'op':<14} {'gradient':<10} {'shape':<10} values"]
        shown = self.rows if limit is None else self.rows[:limit]
        for i, row in enumerate(shown):
            status = "" if row.status == "not checked" else f"   [check: {row.status}]"
            lines.append(f"{i:>3}  {row.op:<14} {row.formula}{status}")
            lines.append(f"{'':>3}  {'':<14} {'in dL/dy':<10} {_shape(row.grad_output):<10} "
                         f"{_values(row.grad_output, values)}")
            for k, g in enumerate(row.grad_inputs):
                if g is not None:
                    lines.append(f"{'':>3}  {'':<14} {f'out dL/dx{k}':<10} {_shape(g):<10} {_values(g, values)}")
        if len(shown) < len(self.rows):
            lines.append(f"... and {len(self.rows) - len(shown)} more rows")
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def __repr__(self):
        return f"<Trace of {len(self.rows)} backward calls>"

    # --- checking
    def check(self, eps=1e-6, atol=1e-5, rtol=1e-3, max_elements=200, directions=3):
        """Check every row's vector-Jacobian product against central finite differences in float64.

        For row i with op f, inputs x_k and incoming gradient g = dL/dy (scaled
        to a largest entry of 1: the product is linear in g), the
        analytic side is the op's backward applied to g (run again in float64),
        the numeric side is d/dx_k of s(x) = sum(g * f(x)):
        element by element for inputs of at most ``max_elements`` elements,
        else along ``directions`` fixed pseudo-random directions u
        (d/dh s(x + h u) against <dL/dx_k, u>). Returns True, or raises
        :class:`TraceCheckError` naming each op that fails.
        """
        failures = []
        previous, autograd._tracer = autograd._tracer, None  # the check's own backward calls are not recorded
        try:
            for i, row in enumerate(self.rows):
                message = _check_row(row, eps, atol, rtol, max_elements, directions)
                if message:
                    failures.append(f"row {i} ({row.op}): {message}")
        finally:
            autograd._tracer = previous
        if failures:
            raise TraceCheckError("backward disagrees with finite differences of forward:\n  " + "\n  ".join(failures))
        return True


def _float64(array):
    return array.astype("float64") if array.dtype.kind == "f" else array


def _check_row(row, eps, atol, rtol, max_elements, directions):
    """Check one row; set ``row.status`` and return an error message, or None when it passes."""
    if row._missing:
        row.status = f"skipped (forward parameter {', '.join(row._missing)} is not kept on the op)"
        return None
    arrays = [_float64(a) for a in row._inputs]
    gy = _float64(backend.asarray(row.grad_output))
    # A vector-Jacobian product is linear in dL/dy: check it for dL/dy scaled to a largest entry of 1, so that
    # atol means the same for a gradient of 1e-5 (deep in a GAN, with its 1/N) as for one of order 1.
    largest = float(xp.abs(gy).max()) if gy.size else 0.0
    gy = gy / largest if largest > 0 else gy
    wanted = [k for k, (a, n) in enumerate(zip(arrays, row.needs_input_grad)) if n and a.dtype.kind == "f"]
    if not wanted:
        row.status = "skipped (no float input needs a gradient)"
        return None

    def s(values):  # sum(g * f(x)): its gradient w.r.t. x_k is the vector-Jacobian product
        with no_grad():
            y = row.function.apply(*[Tensor(v) for v in values], **row._params)
        return float((y.data * gy).sum())

    inputs = [Tensor(a, requires_grad=k in wanted) for k, a in enumerate(arrays)]
    with enable_grad():
        y = row.function.apply(*inputs, **row._params)
        analytic = autograd.grad([y], [inputs[k] for k in wanted], grad_outputs=[Tensor(gy)], allow_unused=True)
    how = []
    for k, g in zip(wanted, analytic):
        g = xp.zeros(arrays[k].shape) if g is None else g.data
        if arrays[k].size <= max_elements:
            numeric = _numeric_elementwise(s, arrays, k, eps)
            bad = ~(xp.abs(g - numeric) <= atol + rtol * xp.abs(numeric))
            how.append("elementwise")
            if bool(bad.any()):
                j = int(xp.argmax(xp.abs(g - numeric).reshape(-1)))
                row.status = "FAILED"
                return (f"dL/dx{k}: {int(bad.sum())} of {g.size} elements differ; element {j}: "
                        f"backward {float(g.reshape(-1)[j]):.8g} vs numeric {float(numeric.reshape(-1)[j]):.8g}")
        else:
            how.append(f"{directions} directions")
            for d in range(directions):
                u = xp.sin(xp.arange(g.size, dtype="float64") * (1.618 + d) + 0.5 + d).reshape(g.shape)
                numeric = _numeric_directional(s, arrays, k, u, eps)
                value = float((g * u).sum())
                if not abs(value - numeric) <= atol + rtol * abs(numeric):
                    row.status = "FAILED"
                    return f"dL/dx{k} along direction {d}: backward {value:.8g} vs numeric {numeric:.8g}"
    row.status = "ok (" + ", ".join(how) + ")"
    return None


def _numeric_elementwise(s, arrays, k, eps):
    x = arrays[k].copy()
    values = list(arrays)
    values[k] = x
    flat = x.reshape(-1)
    numeric = xp.zeros(flat.shape, dtype="float64")
    for i in range(flat.size):
        v = float(flat[i])
        flat[i] = v + eps
        plus = s(values)
        flat[i] = v - eps
        minus = s(values)
        flat[i] = v
        numeric[i] = (plus - minus) / (2 * eps)
    return numeric.reshape(x.shape)


def _numeric_directional(s, arrays, k, u, eps):
    values = list(arrays)
    values[k] = arrays[k] + eps * u
    plus = s(values)
    values[k] = arrays[k] - eps * u
    minus = s(values)
    return (plus - minus) / (2 * eps)


def trace():
    """A :class:`Trace` to use as a context manager: every backward run inside it is recorded."""
    return Trace()
