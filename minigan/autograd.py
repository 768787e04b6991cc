"""The graph walk: reverse-mode differentiation over Functions.

``backward(y)`` visits the ops that made ``y`` in reverse topological order and
applies the chain rule at each: the gradient with respect to an op's input is
the op's ``backward`` applied to the gradient with respect to its output,
summed over every path (a tensor used twice receives both gradients, added).

The walk is iterative, so a chain of ten thousand ops is fine. Without
``create_graph`` the backward ops run with recording off, so they cost little
more than array math; with it they are recorded, and the gradients are
Tensors with a graph of their own that can be differentiated again.
"""

from minigan import backend
from minigan.backend import xp
from minigan.tensor import Tensor, set_grad_enabled

_tracer = None  # a minigan.trace.Trace while `with mg.trace():` is active: it records each op's backward


def _topological_order(roots):
    """Every op reachable from ``roots``, each listed before the ops that made its inputs.

    An iterative depth-first search: an op is appended after every op below it
    (post-order), then the list is reversed. No recursion, so depth is no limit.
    """
    order, visited = [], set()
    stack = [(t.grad_fn, False) for t in roots if t.grad_fn is not None]
    while stack:
        fn, inputs_done = stack.pop()
        if inputs_done:
            order.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        if fn.inputs is None:
            raise RuntimeError(
                "trying to backward through the graph a second time, but its saved values were freed; "
                "pass retain_graph=True to the first backward() or mg.grad() call."
            )
        stack.append((fn, True))
        for t in fn.inputs:
            if t.grad_fn is not None and t.grad_fn not in visited:
                stack.append((t.grad_fn, False))
    order.reverse()
    return order


def _ops_leading_to(order, wanted):
    """The ops in ``order`` whose backward sends a gradient on towards a tensor in ``wanted``."""
    useful = set()
    for fn in reversed(order):  # the ops that made fn's inputs come first
        for t in fn.inputs:
            if t in wanted or t.grad_fn in useful:
                useful.add(fn)
                break
    return useful


def _seed_gradient(output, grad):
    if grad is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a scalar output, got shape {tuple(output.shape)}; "
                "reduce it first (e.g. .sum() or .mean()) or pass a gradient of the same shape."
            )
        return Tensor(xp.ones_like(output.data))
    grad = grad if isinstance(grad, Tensor) else Tensor(backend.asarray(grad, dtype=output.dtype))
    if grad.data.shape != output.data.shape:
        raise RuntimeError(
            f"the gradient passed for an output has shape {tuple(grad.shape)}, "
            f"but the output has shape {tuple(output.shape)}; they must match."
        )
    return grad


def _run(outputs, seeds, wanted, retain_graph, create_graph):
    """Walk the graph once, from ``outputs`` (with gradients ``seeds``) back to the leaves.

    Returns {tensor: gradient} for every leaf reached (``wanted`` is None: a
    backward() call) or for the tensors in ``wanted`` (a set; mg.grad), leaves
    or not. Tensors and ops are dict keys by identity (their hash is their id).
    """
    for out in outputs:
        if not out.requires_grad:
            raise RuntimeError(
                "an output does not require grad, so there is nothing to differentiate; "
                "give an input requires_grad=True and compute outside mg.no_grad()."
            )
    order = _topological_order(outputs)
    # grads: an op -> the gradient of its output, a leaf -> its gradient, each summed over the uses seen so far.
    # An op's entry is complete when its turn comes: every op that used its output came earlier in `order`.
    grads = {}
    for out, g in zip(outputs, seeds):
        _accumulate(grads, out.grad_fn or out, g)
    if wanted is not None:
        return _run_for(wanted, order, grads, retain_graph, create_graph)
    recording = set_grad_enabled(create_graph)  # backward ops are recorded only for create_graph
    try:
        for fn in order:
            gy = grads.pop(fn, None)
            if gy is None:  # no gradient reaches this op
                continue
            input_grads = fn.backward(gy)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if _tracer is not None:
                _tracer.record(fn, gy, input_grads)
            for t, g, needed in zip(fn.inputs, input_grads, fn.needs_input_grad):
                if needed and g is not None:
                    if g.data.shape != t.data.shape:
                        raise _wrong_shape(fn, t, g)
                    key = t.grad_fn or t  # an op collects the gradient of its output; a leaf, its own
                    grads[key] = grads[key] + g if key in grads else g
    finally:
        set_grad_enabled(recording)
    if not retain_graph:
        _release(order)
    return grads  # every op's entry was popped: what is left are the leaves


def _run_for(wanted, order, grads, retain_graph, create_graph):
    """The walk for mg.grad: only ops on a path to a wanted tensor run, computing only the gradients needed."""
    useful = _ops_leading_to(order, wanted)
    makes = {t.grad_fn: t for t in wanted if t.grad_fn is not None}  # op -> the wanted non-leaf it made
    found = {t: grads[t] for t in wanted if t in grads}  # a wanted leaf that is an output
    recording = set_grad_enabled(create_graph)
    try:
        for fn in order:
            gy = grads.pop(fn, None)
            if gy is None:
                continue
            if fn in makes:
                _accumulate(found, makes[fn], gy)
            if fn not in useful:
                continue
            needs = fn.needs_input_grad
            # narrow needs_input_grad for this call: no gradient for an input that leads nowhere wanted
            fn.needs_input_grad = tuple(n and (t in wanted or t.grad_fn in useful) for t, n in zip(fn.inputs, needs))
            try:
                input_grads = fn.backward(gy)
            finally:
                fn.needs_input_grad = needs
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if _tracer is not None:
                _tracer.record(fn, gy, input_grads)
            for t, g, needed in zip(fn.inputs, input_grads, needs):
                if needed and g is not None:
                    if g.data.shape != t.data.shape:
                        raise _wrong_shape(fn, t, g)
                    if t.grad_fn is None:
                        if t in wanted:
                            _accumulate(found, t, g)
                    elif t.grad_fn in useful or t.grad_fn in makes:
                        _accumulate(grads, t.grad_fn, g)
    finally:
        set_grad_enabled(recording)
    if not retain_graph:
        _release(order)
    return found


def _wrong_shape(fn, t, g):
    k = next(i for i, x in enumerate(fn.inputs) if x is t)
    return RuntimeError(
        f"{type(fn).__name__}.backward returned a gradient of shape {tuple(g.shape)} for its input {k}, "
        f"which has shape {tuple(t.shape)}; a gradient must have its input's shape (sum_to undoes broadcasting)."
    )


def _accumulate(grads, key, g):
    grads[key] = grads[key] + g if key in grads else g


def _release(order):
    """Drop each op's inputs: the graph's memory is freed, and a second walk raises a clear error."""
    for fn in order:
        fn.inputs = None


def backward(output, grad=None, retain_graph=False, create_graph=False):
    """Accumulate d(output)/d(leaf) into ``leaf.grad`` for every leaf requiring grad: ``output.backward()``.

    ``output`` must be a scalar unless ``grad`` (the gradient of some scalar
    with respect to ``output``, same shape) is given.
    """
    seed = _seed_gradient(output, grad)
    leaf_grads = _run([output], [seed], None, retain_graph or create_graph, create_graph)
    if create_graph:
        for leaf, g in leaf_grads.items():
            leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    handed_out = {id(seed.data)}  # arrays a leaf must not share: the caller's gradient, or another leaf's
    for leaf, g in leaf_grads.items():
        g = g.data
        if g.dtype is not leaf.data.dtype and g.dtype != leaf.data.dtype:
            g = g.astype(leaf.data.dtype)  # a gradient has its tensor's dtype, whatever NEP 50 promoted to
        if leaf.grad is not None:  # accumulate: plain arrays, no graph needed
            g = leaf.grad.data + g
        elif g.base is not None or id(g) in handed_out:  # a view (say, of a broadcast) or shared: own a copy
            g = g.copy()
        leaf.grad = Tensor(g)
        handed_out.add(id(g))


Tensor.backward = backward  # t.backward(): the method is this function


def grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is left alone).

    ``grad_outputs`` weights each output (needed when an output is not a
    scalar). With ``create_graph=True`` the returned gradients are part of the
    graph, so a function of them, such as a gradient penalty, can be
    differentiated in turn.
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    grad_outputs = [None] * len(outputs) if grad_outputs is None else _as_list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; give one per output.")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"input {i} of mg.grad does not require grad; create it with requires_grad=True.")
    seeds = [_seed_gradient(o, g) for o, g in zip(outputs, grad_outputs)]
    retain = create_graph if retain_graph is None else retain_graph
    found = _run(outputs, seeds, set(inputs), retain, create_graph)
    result = []
    for i, t in enumerate(inputs):
        g = found.get(t)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} of mg.grad was not used to compute the outputs; pass allow_unused=True to get None for it."
            )
        result.append(g if g is None or create_graph else g.detach())
    return result


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]
