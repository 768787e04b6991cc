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

from minigan.backend import xp
from minigan.tensor import Tensor, enable_grad, no_grad


def _topological_order(roots):
    """Every Function reachable from ``roots``, each before the ops that made its inputs."""
    order, visited = [], set()
    stack = [(t.grad_fn, False) for t in roots if t.grad_fn is not None]
    while stack:
        fn, inputs_done = stack.pop()
        if inputs_done:
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        visited.add(id(fn))
        if fn.inputs is None:
            raise RuntimeError(
                "trying to backward through the graph a second time, but its saved values were freed; "
                "pass retain_graph=True to the first backward() or mg.grad() call."
            )
        stack.append((fn, True))
        stack.extend((t.grad_fn, False) for t in fn.inputs if t.grad_fn is not None)
    order.reverse()
    return order


def _ops_leading_to(order, wanted):
    """ids of the ops in ``order`` whose backward can reach a tensor in ``wanted``."""
    wanted_fns = {id(t.grad_fn) for t in wanted.values() if t.grad_fn is not None}
    useful = set()
    for fn in reversed(order):
        for t in fn.inputs:
            if id(t) in wanted or (t.grad_fn is not None and (id(t.grad_fn) in useful or id(t.grad_fn) in wanted_fns)):
                useful.add(id(fn))
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
    grad = grad if isinstance(grad, Tensor) else Tensor(xp.asarray(grad, dtype=output.dtype))
    if grad.shape != output.shape:
        raise RuntimeError(
            f"the gradient passed for an output has shape {tuple(grad.shape)}, "
            f"but the output has shape {tuple(output.shape)}; they must match."
        )
    return grad


def _add_to(store, key, grad):
    previous = store.get(key)
    store[key] = grad if previous is None else previous + grad


def _add_to_found(found, t, grad):
    previous = found.get(id(t))
    found[id(t)] = (t, grad if previous is None else previous[1] + grad)


def _run(outputs, seeds, wanted, retain_graph, create_graph):
    """Walk the graph once and return {id(tensor): (tensor, gradient)}.

    ``wanted`` maps id -> Tensor for the tensors whose gradient is asked for
    (leaves or not); ``None`` means every leaf that requires grad.
    """
    for out in outputs:
        if not out.requires_grad:
            raise RuntimeError(
                "an output does not require grad, so there is nothing to differentiate; "
                "give an input requires_grad=True and compute outside mg.no_grad()."
            )
    order = _topological_order(outputs)
    useful = None if wanted is None else _ops_leading_to(order, wanted)
    wanted_of_fn = {} if wanted is None else {id(t.grad_fn): t for t in wanted.values() if t.grad_fn is not None}
    found, grad_of_fn = {}, {}

    def send(t, g):
        if t.grad_fn is None:
            if wanted is None or id(t) in wanted:
                _add_to_found(found, t, g)
        elif useful is None or id(t.grad_fn) in useful or id(t.grad_fn) in wanted_of_fn:
            _add_to(grad_of_fn, id(t.grad_fn), g)

    for out, g in zip(outputs, seeds):
        send(out, g)
    with enable_grad() if create_graph else no_grad():
        for fn in order:
            gy = grad_of_fn.pop(id(fn), None)
            if gy is None:
                continue
            if id(fn) in wanted_of_fn:
                _add_to_found(found, wanted_of_fn[id(fn)], gy)
            if useful is not None and id(fn) not in useful:
                continue
            grads = fn.backward(gy)
            if not isinstance(grads, tuple):
                grads = (grads,)
            for t, g, needed in zip(fn.inputs, grads, fn.needs_input_grad):
                if needed and g is not None:
                    send(t, g)
    if not retain_graph:
        for fn in order:
            fn.inputs = None
    return found


def backward(output, grad=None, retain_graph=False, create_graph=False):
    """Accumulate d(output)/d(leaf) into ``leaf.grad`` for every leaf requiring grad."""
    seed = _seed_gradient(output, grad)
    found = _run([output], [seed], None, retain_graph or create_graph, create_graph)
    for leaf, g in found.values():
        if create_graph:
            leaf.grad = g if leaf.grad is None else leaf.grad + g
        else:  # plain arrays: accumulating a gradient needs no graph
            leaf.grad = Tensor(g.data if leaf.grad is None else leaf.grad.data + g.data)


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
    found = _run(outputs, seeds, {id(t): t for t in inputs}, retain, create_graph)
    result = []
    for i, t in enumerate(inputs):
        g = found.get(id(t), (None, None))[1]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} of mg.grad was not used to compute the outputs; pass allow_unused=True to get None for it."
            )
        result.append(g if g is None or create_graph else g.detach())
    return result


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]
