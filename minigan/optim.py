r"""Optimisers: SGD, Adam and RMSprop, each update rule written out.

An optimiser holds a list of parameters (Tensors with ``requires_grad``).
After ``loss.backward()`` has filled each ``p.grad``, ``step()`` moves every
parameter against its gradient; ``zero_grad()`` clears the gradients (sets
them to ``None``) before the next backward. The update works on the raw
arrays (``p.data = ...``): an optimiser step is not part of any graph.
The moving averages belong to the optimiser alone, so they are updated in
place (``m *= beta1``: no new array, which is most of the speed); a
parameter gets a new array instead, so whoever still holds the old one (a
``p.detach()``, a graph kept with ``retain_graph``) keeps seeing the old values.

The rules follow PyTorch's definitions (``torch.optim.SGD``, ``Adam``,
``RMSprop``), so the same hyperparameters train the same way. Notation, for
one parameter :math:`\theta` at step :math:`t = 1, 2, ...`:
:math:`g_t` its gradient, :math:`\gamma` the learning rate ``lr``,
:math:`\lambda` the ``weight_decay`` (an L2 penalty :math:`\frac{\lambda}{2}
\|\theta\|^2` added to the loss, hence :math:`g_t \leftarrow g_t + \lambda
\theta_{t-1}`).

``state_dict()`` returns flat ``name -> host NumPy array`` pairs (numbers as
0-d arrays), so it can go straight into an ``.npz`` file that loads with
``allow_pickle=False``::

    num_params                the number of parameters the optimiser holds
    lr, betas, eps, ...       the hyperparameters
    state.<i>.<buffer>        the state of parameter i (its position in the list):
                              step counts and moving averages

``load_state_dict`` checks every key and shape before changing anything, and
restores the hyperparameters too (as PyTorch does), so a resumed run continues
exactly where the saved one stopped.
"""

import math
import numbers

from minigan import backend
from minigan.backend import xp
from minigan.tensor import Tensor


class Optimizer:
    """Base class: the parameter list, ``zero_grad``, ``step`` and the state dict.

    A subclass lists its hyperparameters in ``hyperparameters`` and defines
    ``_update(theta, g, state)``: the new value of one parameter from its
    current value ``theta``, its gradient ``g`` (both arrays) and its state
    (a dict the subclass fills with arrays and step counts).
    """

    hyperparameters = ("lr", "weight_decay")

    def __init__(self, params, **hyper):
        self.params = _parameter_list(params, type(self).__name__)
        self._set_hyperparameters(hyper)
        self.state = {}  # parameter position -> {buffer name: array or int}

    # ------------------------------------------------------------ the loop's two calls

    def zero_grad(self):
        """Forget the gradients of the last backward: ``p.grad = None`` for every parameter."""
        for p in self.params:
            p.grad = None

    def step(self):
        """Update every parameter that has a gradient (those whose ``.grad`` is None are left alone)."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad.data if isinstance(p.grad, Tensor) else p.grad
            if g.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}: the gradient of parameter {i} has shape {tuple(g.shape)}, "
                    f"but the parameter has shape {tuple(p.data.shape)}; they must match."
                )
            p.data = xp.asarray(self._update(p.data, g, self.state.setdefault(i, {})))  # (a 0-d one stays an array)

    def _update(self, theta, g, state):
        raise NotImplementedError

    # ------------------------------------------------------------ hyperparameters

    def _set_hyperparameters(self, hyper):
        self._check(**hyper)
        for name in self.hyperparameters:
            setattr(self, name, hyper[name])

    def _check(self, lr, weight_decay, **others):
        """Raise a clear error for a hyperparameter that cannot work (subclasses check their own)."""
        name = type(self).__name__
        if not _is_number(lr) or not lr > 0:
            raise ValueError(f"{name}: lr (the learning rate) must be a positive number, got {lr!r}.")
        _check_range(name, "weight_decay", weight_decay, 0.0, math.inf)

    def _buffers(self):
        """The names of the per-parameter state entries this optimiser keeps (with its hyperparameters)."""
        raise NotImplementedError

    # ------------------------------------------------------------ saving and resuming

    def state_dict(self):
        """Hyperparameters and per-parameter state as flat ``name -> host NumPy array`` pairs."""
        sd = {"num_params": backend.to_numpy(len(self.params))}
        for name in self.hyperparameters:
            sd[name] = backend.to_numpy(getattr(self, name))
        for i in sorted(self.state):
            for buffer, value in self.state[i].items():
                sd[f"state.{i}.{buffer}"] = backend.to_numpy(value).copy()
        return sd

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned. Every key and shape is checked first.

        Raises ValueError naming the first key that is missing, unexpected or of
        the wrong shape; the optimiser is left unchanged in that case.
        """
        owner = type(self).__name__
        sd = dict(state_dict)
        hyper = self._read_hyperparameters(sd, owner)
        previous = {name: getattr(self, name) for name in self.hyperparameters}
        self._set_hyperparameters(hyper)  # _buffers() below depends on e.g. momentum
        try:
            state = self._read_state(sd, owner)
        except ValueError:
            self._set_hyperparameters(previous)
            raise
        self.state = state

    def _read_hyperparameters(self, sd, owner):
        missing = [k for k in ("num_params", *self.hyperparameters) if k not in sd]
        if missing:
            raise ValueError(
                f"{owner}.load_state_dict: key {missing[0]!r} is missing; "
                f"it was saved by another kind of optimiser (its keys: {_key_list(sd)})."
            )
        count = int(sd["num_params"])
        if count != len(self.params):
            raise ValueError(
                f"{owner}.load_state_dict: key 'num_params': the state dict is for {count} parameters, "
                f"but this optimiser holds {len(self.params)}; load it into an optimiser over the same model."
            )
        hyper = {}
        for name in self.hyperparameters:
            current, saved = getattr(self, name), sd[name]
            if getattr(saved, "shape", ()) != backend.to_numpy(current).shape:
                raise ValueError(
                    f"{owner}.load_state_dict: key {name!r} has shape {tuple(saved.shape)}, "
                    f"expected {backend.to_numpy(current).shape}."
                )
            if isinstance(current, bool):
                hyper[name] = bool(saved)
            elif isinstance(current, tuple):
                hyper[name] = tuple(float(v) for v in backend.to_numpy(saved))
            else:
                hyper[name] = backend.to_numpy(saved).item()
        return hyper

    def _read_state(self, sd, owner):
        buffers = self._buffers()
        state = {}
        for key, value in sd.items():
            if key == "num_params" or key in self.hyperparameters:
                continue
            parts = key.split(".")
            if len(parts) != 3 or parts[0] != "state" or not parts[1].isdigit() or parts[2] not in buffers:
                raise ValueError(
                    f"{owner}.load_state_dict: unexpected key {key!r}; a {owner} with these hyperparameters "
                    f"keeps 'state.<i>.<name>' for name in {buffers}."
                )
            i, buffer = int(parts[1]), parts[2]
            if i >= len(self.params):
                raise ValueError(
                    f"{owner}.load_state_dict: key {key!r} names parameter {i}, but there are {len(self.params)}."
                )
            state.setdefault(i, {})[buffer] = self._read_buffer(key, buffer, value, self.params[i], owner)
        for i, entries in state.items():
            for buffer in buffers:
                if buffer not in entries:
                    raise ValueError(f"{owner}.load_state_dict: key 'state.{i}.{buffer}' is missing.")
        return state

    @staticmethod
    def _read_buffer(key, buffer, value, p, owner):
        shape = tuple(getattr(value, "shape", ()))
        if buffer == "step":
            if shape != ():
                raise ValueError(f"{owner}.load_state_dict: key {key!r} (a step count) has shape {shape}, expected ().")
            return int(value)
        if shape != tuple(p.data.shape):
            raise ValueError(
                f"{owner}.load_state_dict: key {key!r} has shape {shape}, "
                f"but parameter {key.split('.')[1]} has shape {tuple(p.data.shape)}."
            )
        return backend.asarray(value, dtype=p.data.dtype).copy()

    def __repr__(self):
        hyper = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyperparameters)
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum (PyTorch's ``torch.optim.SGD``).

    For each parameter, at step t:

    .. math::

        g_t &\leftarrow g_t + \lambda \theta_{t-1}                      && \text{(if weight\_decay } \lambda \ne 0)\\
        b_t &\leftarrow g_t \text{ at } t = 1, \quad
              \mu b_{t-1} + (1 - \tau) g_t \text{ after}                 && \text{(if momentum } \mu \ne 0)\\
        g_t &\leftarrow g_t + \mu b_t \text{ (nesterov) or } b_t       && \text{(if momentum } \mu \ne 0)\\
        \theta_t &\leftarrow \theta_{t-1} - \gamma g_t

    with :math:`\tau` the ``dampening``. Note where the learning rate sits:
    the buffer :math:`b` sums raw gradients and :math:`\gamma` multiplies it
    at the end (Sutskever et al. put :math:`\gamma` inside the buffer; the two
    differ once :math:`\gamma` changes during training).
    """

    hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, dampening=0.0, nesterov=False):
        super().__init__(
            params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
        )

    def _check(self, lr, weight_decay, momentum, dampening, nesterov):
        super()._check(lr, weight_decay)
        _check_range("SGD", "momentum", momentum, 0.0, 1.0)
        _check_range("SGD", "dampening", dampening, 0.0, 1.0, high_inclusive=True)
        if nesterov and (momentum == 0 or dampening != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                f"dampening={dampening}."
            )

    def _buffers(self):
        return ("momentum_buffer",) if self.momentum != 0 else ()

    def _update(self, theta, g, state):
        if self.weight_decay != 0:
            g = g + self.weight_decay * theta                    # g <- g + lambda theta
        if self.momentum != 0:
            if "momentum_buffer" not in state:
                b = g.copy()                                     # b_1 = g_1
            else:
                b = state["momentum_buffer"]                     # the optimiser's own array: updated in place
                b *= self.momentum
                b += (1 - self.dampening) * g                    # b_t = mu b + (1 - tau) g
            state["momentum_buffer"] = b
            g = g + self.momentum * b if self.nesterov else b
        return theta - self.lr * g                               # theta <- theta - gamma g


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), as PyTorch's ``torch.optim.Adam`` defines it.

    For each parameter, at step t = 1, 2, ... (with :math:`m_0 = v_0 = 0`):

    .. math::

        g_t &\leftarrow g_t + \lambda \theta_{t-1}              && \text{(if weight\_decay } \lambda \ne 0)\\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t              && \text{first moment: mean of } g\\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2            && \text{second moment: mean of } g^2\\
        \hat m_t &= m_t / (1 - \beta_1^t), \quad
        \hat v_t = v_t / (1 - \beta_2^t)                        && \text{bias correction}\\
        \theta_t &= \theta_{t-1} - \gamma \, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    Why the bias correction: the averages start at 0, so early on they are too
    small. :math:`m_t` is a weighted sum of :math:`g_1 .. g_t` whose weights
    add up to :math:`1 - \beta_1^t`, not 1; dividing by that sum makes
    :math:`\hat m_t` an average again (at t = 1, :math:`\hat m_1 = g_1`).

    The GAN papers (DCGAN and after) use ``betas=(0.5, 0.999)``: a shorter
    memory for the mean, because the other player keeps moving the target.
    ``weight_decay`` is the classic L2 form added to the gradient (AdamW
    decouples it; that is a different optimiser).
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _check(self, lr, weight_decay, betas, eps):
        super()._check(lr, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}.")
        _check_range("Adam", "betas[0]", betas[0], 0.0, 1.0)
        _check_range("Adam", "betas[1]", betas[1], 0.0, 1.0)
        _check_range("Adam", "eps", eps, 0.0, math.inf)

    def _set_hyperparameters(self, hyper):
        if isinstance(hyper.get("betas"), list):
            hyper = {**hyper, "betas": tuple(hyper["betas"])}
        super()._set_hyperparameters(hyper)

    def _buffers(self):
        return ("step", "exp_avg", "exp_avg_sq")

    def _update(self, theta, g, state):
        if self.weight_decay != 0:
            g = g + self.weight_decay * theta                    # g <- g + lambda theta
        if not state:
            state["step"], state["exp_avg"], state["exp_avg_sq"] = 0, xp.zeros_like(theta), xp.zeros_like(theta)
        state["step"] += 1
        theta, state["exp_avg"], state["exp_avg_sq"] = adam_update_fast(
            theta, g, state["exp_avg"], state["exp_avg_sq"], state["step"], self.lr, self.betas, self.eps
        )
        return theta


def adam_update(theta, g, m, v, t, lr, betas, eps):
    r"""One Adam step for one parameter at step t = 1, 2, ...: returns the new (theta, m, v).

    m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2,
    m^ = m / (1 - b1^t),     v^ = v / (1 - b2^t),
    theta = theta - lr m^ / (sqrt(v^) + eps).
    """
    b1, b2 = betas
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return theta - lr * m_hat / (xp.sqrt(v_hat) + eps), m, v


def adam_update_fast(theta, g, m, v, t, lr, betas, eps):
    """:func:`adam_update`, fast: m and v (the optimiser's own arrays) are updated in place, with one temporary.

    Returns (new theta, m, v), the same arrays m and v it was given.
    """
    beta1, beta2 = betas
    m *= beta1
    m += (1 - beta1) * g                                     # m_t = beta1 m_{t-1} + (1 - beta1) g
    scratch = xp.multiply(g, g, out=xp.empty_like(g))      # g^2 (an array even when g is 0-d)
    scratch *= 1 - beta2
    v *= beta2
    v += scratch                                             # v_t = beta2 v_{t-1} + (1 - beta2) g^2
    denom = xp.divide(v, 1 - beta2**t, out=scratch)          # v^_t: bias correction of the second moment
    xp.sqrt(denom, out=denom)
    denom += eps                                             # sqrt(v^_t) + eps
    step = xp.divide(m, denom, out=denom)
    step *= lr / (1 - beta1**t)                              # lr m^_t / (...), m^_t = m_t / (1 - beta1^t)
    return theta - step, m, v                                # theta_t = theta_{t-1} - lr m^_t / (...)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), as PyTorch's ``torch.optim.RMSprop`` defines it.

    For each parameter, at step t (with :math:`v_0 = 0`, :math:`b_0 = 0`, :math:`\bar g_0 = 0`):

    .. math::

        g_t &\leftarrow g_t + \lambda \theta_{t-1}                   && \text{(if weight\_decay } \lambda \ne 0)\\
        v_t &= \alpha v_{t-1} + (1 - \alpha) g_t^2                   && \text{mean square of } g\\
        \tilde v_t &= v_t, \text{ or } v_t - \bar g_t^2 \text{ with }
            \bar g_t = \alpha \bar g_{t-1} + (1 - \alpha) g_t        && \text{(if centered: a variance)}\\
        b_t &= \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon),
            \quad \theta_t = \theta_{t-1} - \gamma b_t               && \text{(if momentum } \mu > 0)\\
        \theta_t &= \theta_{t-1} - \gamma \, g_t / (\sqrt{\tilde v_t} + \epsilon)  && \text{(otherwise)}

    :math:`\epsilon` is added *after* the square root (TensorFlow adds it
    inside). No bias correction: early steps are larger than later ones. The
    WGAN paper trains its critic with RMSprop, lr = 5e-5.
    """

    hyperparameters = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(
            params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered
        )

    def _check(self, lr, weight_decay, alpha, eps, momentum, centered):
        super()._check(lr, weight_decay)
        _check_range("RMSprop", "alpha", alpha, 0.0, 1.0)
        _check_range("RMSprop", "eps", eps, 0.0, math.inf)
        _check_range("RMSprop", "momentum", momentum, 0.0, 1.0)

    def _buffers(self):
        return ("step", "square_avg") + (("momentum_buffer",) if self.momentum > 0 else ()) + (
            ("grad_avg",) if self.centered else ()
        )

    def _update(self, theta, g, state):
        if self.weight_decay != 0:
            g = g + self.weight_decay * theta                    # g <- g + lambda theta
        if not state:
            state["step"], state["square_avg"] = 0, xp.zeros_like(theta)
            if self.momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(theta)
            if self.centered:
                state["grad_avg"] = xp.zeros_like(theta)
        state["step"] += 1
        v = state["square_avg"]                                             # the optimiser's own arrays are
        v *= self.alpha                                                     # updated in place
        v += (1 - self.alpha) * (g * g)                                     # v_t = alpha v + (1 - alpha) g^2
        if self.centered:
            g_avg = state["grad_avg"]
            g_avg *= self.alpha
            g_avg += (1 - self.alpha) * g                                   # running mean of g
            v = v - g_avg * g_avg                                           # variance = E[g^2] - E[g]^2
        denom = xp.sqrt(v)
        denom += self.eps                                                   # eps after the sqrt
        step = g / denom
        if self.momentum > 0:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += step                                                       # b_t = mu b + g / (sqrt(v) + eps)
            step = b
        return theta - self.lr * step


# ---------------------------------------------------------------- argument checks


def _parameter_list(params, owner):
    if isinstance(params, Tensor):
        raise TypeError(f"{owner} needs an iterable of parameters, got a single Tensor; pass [tensor].")
    if hasattr(params, "parameters") and callable(params.parameters):
        raise TypeError(f"{owner} got a model; pass its parameters: {owner}(model.parameters(), ...).")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"{owner} needs an iterable of parameters (such as model.parameters()), got a {type(params).__name__}."
        ) from None
    if not params:
        raise ValueError(
            f"{owner} got an empty parameter list: the model has no parameters, or the iterator "
            "(model.parameters()) was already used up; pass a fresh model.parameters()."
        )
    seen = set()
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: parameter {i} is a {type(p).__name__}, not a minigan Tensor.")
        if not backend.is_floating(p.dtype):
            raise TypeError(f"{owner}: parameter {i} has dtype {p.dtype}; only floating-point tensors can be trained.")
        if id(p) in seen:
            raise ValueError(f"{owner}: parameter {i} appears twice in the list; it would be updated twice per step.")
        seen.add(id(p))
    return params


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_range(owner, name, value, low, high, high_inclusive=False):
    """low <= value < high (or <= high when ``high_inclusive``), else a clear error."""
    inside = _is_number(value) and low <= value and (value <= high if high_inclusive else value < high)
    if not inside:
        bracket = "]" if high_inclusive else ")"
        raise ValueError(f"{owner}: {name} must be a number in [{low}, {high}{bracket}, got {value!r}.")


def _key_list(sd):
    keys = sorted(sd)
    return ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
