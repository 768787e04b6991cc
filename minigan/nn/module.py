"""Module, Parameter and the containers: how layers hold their weights.

A :class:`Module` notices what is assigned to it. ``self.weight = Parameter(...)``
registers a trainable tensor, ``self.fc = Linear(...)`` a child module, and
``self.register_buffer("running_mean", t)`` a tensor that is state but not
trained. Everything else (``parameters()``, ``state_dict()``, ``to()``,
``train()``) walks those three registries, recursing into the children, so
the names come out dotted: ``"net.1.bias"``.
"""

import operator
from collections import OrderedDict, namedtuple

from minigan import backend
from minigan.backend import xp
from minigan.tensor import ShapeError, Tensor, tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A Tensor that a Module trains: it requires grad, and assigning it to a Module registers it."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(tensor(data).data, requires_grad=False)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model. Subclasses set attributes in ``__init__`` and define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() before setting {name}.")
        if isinstance(value, Parameter):
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in self._parameters:
            self._parameters[name] = _checked(value, Parameter, "a parameter", name)
        elif name in self._modules:
            self._modules[name] = _checked(value, Module, "a submodule", name)
        elif name in self._buffers:
            self._buffers[name] = _checked(value, Tensor, "a buffer", name)
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        for registry in (self.__dict__, self._parameters, self._buffers, self._modules):
            registry.pop(name, None)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry, {})
            if name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot register a {type(param).__name__} as parameter {name!r}; wrap it in nn.Parameter.")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor):
        """Register a Tensor that is state but not trained (e.g. BatchNorm's running mean); saved in state_dict."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot register a {type(tensor).__name__} as buffer {name!r}; pass a Tensor or None.")
        self._forget(name)
        self._buffers[name] = tensor

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module, so it cannot be added as {name!r}.")
        self._forget(name)
        self._modules[name] = module

    # ------------------------------------------------------------ walking the tree

    def named_children(self):
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix=""):
        """Every module in the tree, this one first (name ""), each once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def _named_tensors(self, registry, prefix="", recurse=True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for prefix, module in modules:
            for name, t in getattr(module, registry).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{prefix}.{name}" if prefix else name), t

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs, e.g. ("0.weight", ...); a parameter shared by two layers comes once."""
        return self._named_tensors("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        return self._named_tensors("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and on this one; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ modes and gradients

    def train(self, mode=True):
        """Training mode: BatchNorm uses batch statistics, Dropout drops. Returns self."""
        self.training = bool(mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Evaluation mode: BatchNorm uses its running statistics, Dropout passes through. Returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Forget the accumulated gradient of every parameter: ``.grad = None`` (or zeros)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor(xp.zeros_like(p.grad.data))

    def requires_grad_(self, requires_grad=True):
        """Switch gradient tracking of every parameter on or off (off freezes the module). Returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # ------------------------------------------------------------ saving and loading

    def _state_items(self, prefix=""):
        """(key, tensor) in PyTorch's order: a module's parameters, then its buffers, then each child's."""
        for name, t in list(self._parameters.items()) + list(self._buffers.items()):
            if t is not None:
                yield prefix + name, t
        for name, module in self.named_children():
            yield from module._state_items(prefix + name + ".")

    def state_dict(self):
        """An OrderedDict of dotted name -> host NumPy array (a copy) for every parameter and buffer."""
        return OrderedDict((key, backend.to_numpy(t.data).copy()) for key, t in self._state_items())

    def load_state_dict(self, state_dict, strict=True):
        """Copy the arrays of ``state_dict`` into this module's parameters and buffers.

        Every shape must match. With ``strict`` (the default) the keys must match
        exactly too; otherwise missing and unexpected keys are returned, not raised.
        """
        own = OrderedDict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = _host_array(state_dict[key])
            if value.dtype.kind not in "biuf":
                what = _KIND_NAMES.get(value.dtype.kind, f"dtype {value.dtype}")
                kind = type(state_dict[key]).__name__
                errors.append(f"{key}: expected numbers, the state_dict holds {what} (a {kind})")
            elif tuple(value.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: the state_dict has shape {tuple(value.shape)}, "
                    f"the model has shape {tuple(target.shape)}"
                )
        if strict:
            if missing:
                errors.append("missing keys: " + ", ".join(repr(k) for k in missing))
            if unexpected:
                errors.append("unexpected keys: " + ", ".join(repr(k) for k in unexpected))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n  " + "\n  ".join(errors)
            )
        for key, target in own.items():
            if key in state_dict:
                target.data = backend.asarray(_host_array(state_dict[key]), dtype=target.dtype).copy()
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ dtype

    def to(self, dtype):
        """Convert floating-point parameters and buffers to ``dtype`` in place (integer ones stay). Returns self."""
        try:
            dtype = backend.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"Module.to takes a dtype such as 'float32' or 'float64', got {dtype!r} "
                "(minigan picks the device with MINIGAN_BACKEND, not with to())."
            ) from None
        if not backend.is_floating(dtype):
            raise TypeError(f"Module.to: can only convert to a floating-point dtype, got {dtype}.")
        for t in list(self.parameters()) + list(self.buffers()):
            if backend.is_floating(t.dtype):
                t.data = t.data.astype(dtype)
                if t.grad is not None:
                    t.grad = Tensor(t.grad.data.astype(dtype))
        return self

    def double(self):
        """float64 parameters and buffers (for gradient checks). Returns self."""
        return self.to("float64")

    def float(self):
        """float32 parameters and buffers (minigan's default). Returns self."""
        return self.to("float32")

    # ------------------------------------------------------------ calling and printing

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward().")

    def __call__(self, *args, **kwargs):
        try:
            return self.forward(*args, **kwargs)
        except ShapeError as err:  # a functional op found a bad input shape: say which layer was given it
            raise shape_error(self, err.expected, err.shape) from None

    def extra_repr(self):
        """The text inside the parentheses of this module's repr (its settings)."""
        return ""

    def __repr__(self):
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = ([self.extra_repr()] if self.extra_repr() else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


def shape_error(layer, expected, x):
    """The ValueError of a layer given bad input ``x`` (a Tensor or a shape): the layer, what it expected, x's shape."""
    shape = tuple(x.shape) if hasattr(x, "shape") else tuple(x)
    return ValueError(f"{layer!r}: expected {expected}, got shape {shape}.")


def positive_sizes(owner, **sizes):
    """The configured sizes of layer ``owner`` (``in_features=784``, ...) as ints, each checked to be at least 1."""
    checked = []
    for name, value in sizes.items():
        try:
            if isinstance(value, bool):
                raise TypeError
            value = operator.index(value)
        except TypeError:
            raise TypeError(f"{owner}: {name} must be a positive integer, got {value!r}.") from None
        if value < 1:
            raise ValueError(f"{owner}: {name} must be a positive integer (a layer needs at least one), got {value}.")
        checked.append(value)
    return checked


def _checked(value, kind, what, name):
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"cannot assign a {type(value).__name__} as {what} {name!r}; use a {kind.__name__} or None.")
    return value


_KIND_NAMES = {"U": "strings", "S": "bytes", "O": "Python objects", "c": "complex numbers"}


def _host_array(value):
    """A state_dict value (NumPy or CuPy array, Tensor, anything array-like such as a torch tensor) on the host."""
    if isinstance(value, Tensor):
        value = value.data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return backend.to_numpy(value)


# ------------------------------------------------------------------ containers


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``; named "0", "1", ..."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_checked_index(self, index)]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (named "0", "1", ...); it has no forward."""

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return list(self._modules.values())[_checked_index(self, index)]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


def _checked_index(container, index):
    if not -len(container) <= index < len(container):
        raise IndexError(f"index {index} is out of range for {type(container).__name__} of length {len(container)}.")
    return index
