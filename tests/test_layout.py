"""The house keeps its plan: one home per op, no import cycles, no string registry of methods.

* every public op's function (``mg.sigmoid``, ``F.sigmoid``) and Tensor method
  (``x.sigmoid()``) are defined in the same file as its Function, a few lines
  below it, so "go to definition" from any of the three lands beside the math;
* ``minigan/__init__.py``, ``minigan/functional.py`` and ``minigan/ops/__init__.py``
  only re-export (they define no function and no class);
* no module of the package imports, directly or around a loop, a module that
  imports it back (function-local imports included).
"""

import ast
import inspect
from pathlib import Path

import pytest

import minigan as mg
import minigan.functional as F
from minigan import ops
from minigan.tensor import Tensor

PACKAGE = Path(mg.__file__).resolve().parent

# (the op's Function, the public function, Tensor methods and operators that are that function)
HOMES = [
    (ops.Add, ops.add, ["__add__", "__radd__"]),
    (ops.Sub, ops.sub, ["__sub__", "__rsub__"]),
    (ops.Mul, ops.mul, ["__mul__", "__rmul__"]),
    (ops.Div, ops.div, ["__truediv__", "__rtruediv__"]),
    (ops.Neg, ops.neg, ["__neg__"]),
    (ops.PowConstant, mg.pow, ["pow", "__pow__", "__rpow__"]),
    (ops.Exp, mg.exp, ["exp"]),
    (ops.Log, mg.log, ["log"]),
    (ops.Sqrt, mg.sqrt, ["sqrt"]),
    (ops.Abs, mg.abs, ["abs", "__abs__"]),
    (ops.Clip, mg.clip, ["clip", "clamp"]),
    (ops.Where, mg.where, []),
    (ops.Maximum, mg.maximum, ["maximum"]),
    (ops.Minimum, mg.minimum, ["minimum"]),
    (ops.MatMul, mg.matmul, ["matmul", "__matmul__", "__rmatmul__"]),
    (ops.Sum, mg.sum, ["sum"]),
    (ops.Sum, mg.mean, ["mean"]),
    (ops.Sum, mg.var, ["var"]),
    (ops.Max, mg.max, ["max"]),
    (ops.Max, mg.min, ["min"]),
    (ops.BroadcastTo, mg.broadcast_to, ["broadcast_to"]),
    (ops.Reshape, mg.reshape, ["reshape", "view"]),
    (ops.Reshape, mg.flatten, ["flatten"]),
    (ops.Reshape, mg.squeeze, ["squeeze"]),
    (ops.Reshape, mg.unsqueeze, ["unsqueeze"]),
    (ops.Permute, mg.permute, ["permute"]),
    (ops.Permute, mg.transpose, ["transpose"]),
    (ops.GetItem, ops.getitem, ["__getitem__"]),
    (ops.Concatenate, mg.cat, []),
    (ops.Concatenate, mg.stack, []),
    (ops.ReLU, F.relu, ["relu"]),
    (ops.LeakyReLU, F.leaky_relu, ["leaky_relu"]),
    (ops.Sigmoid, F.sigmoid, ["sigmoid"]),
    (ops.Tanh, F.tanh, ["tanh"]),
    (ops.Softplus, F.softplus, ["softplus"]),
    (ops.LogSigmoid, F.log_sigmoid, ["log_sigmoid"]),
    (None, F.softmax, ["softmax"]),  # no Function of their own: made of exp, log, max and sum
    (None, F.log_softmax, ["log_softmax"]),
    (None, mg.logsumexp, ["logsumexp"]),
]


def _file(obj):
    return Path(inspect.getsourcefile(obj)).resolve()


@pytest.mark.parametrize("function_class, function, methods", HOMES, ids=lambda v: getattr(v, "__name__", ""))
def test_function_and_methods_live_beside_the_op(function_class, function, methods):
    home = PACKAGE / "ops" / "activation.py" if function_class is None else _file(function_class)
    assert _file(function) == home, f"{function.__name__} is defined in {_file(function)}, its op in {home}"
    for name in methods:
        method = getattr(Tensor, name)
        assert _file(method) == _file(function), f"Tensor.{name} is defined in {_file(method)}"
        if not name.startswith("__r"):  # a reflected operator is a one-line lambda calling the function
            assert method is function, f"Tensor.{name} is not {function.__name__}"
        source_line = inspect.getsourcelines(method)[1]
        function_line = inspect.getsourcelines(function)[1]
        assert 0 <= source_line - function_line < 40, f"Tensor.{name} is attached far from {function.__name__}"


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def test_every_op_function_sits_beside_its_function_class_and_is_its_tensor_method():
    """Without a list: a new op whose function is named like its class (Softsign -> softsign) is checked too."""
    checked = 0
    for name in ops.__all__:
        op = getattr(ops, name)
        if not (isinstance(op, type) and issubclass(op, mg.Function)):
            continue
        function = getattr(ops, _snake(name), None) or getattr(ops, name.lower(), None)
        if function is None:  # an op reached only through another's function (PowConstant, Power: pow)
            continue
        assert _file(function) == _file(op), f"{function.__name__} is not defined beside {name}"
        method = getattr(Tensor, function.__name__, None)
        assert method is None or method is function, f"Tensor.{function.__name__} is not {function.__name__}"
        checked += 1
    assert checked >= 20


def test_mg_and_functional_names_are_the_ops_own_functions():
    for name in F.__all__:
        assert getattr(F, name).__module__.startswith("minigan.ops."), name
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "softplus", "log_sigmoid", "log_softmax", "softmax"):
        assert getattr(mg, name) is getattr(F, name) is getattr(Tensor, name)


@pytest.mark.parametrize("relative", ["__init__.py", "functional.py", "ops/__init__.py", "nn/__init__.py"])
def test_reexport_modules_define_nothing(relative):
    tree = ast.parse((PACKAGE / relative).read_text(encoding="utf-8"))
    defined = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert not defined, f"minigan/{relative} defines {defined}; define them beside their op and re-export here"


def test_no_string_registry_of_tensor_methods():
    for path in (PACKAGE / "ops").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "globals()" not in source and "setattr(Tensor" not in source and "setattr(T," not in source, path


def _import_graph():
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("minigan",) + path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # function-local imports too
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("minigan"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    imported.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names if a.name.startswith("minigan"))
        # a package runs before its submodules, so a submodule importing its own package is no loop
        graph[name] = {m for m in imported if m in modules and m != name and not name.startswith(m + ".")}
    return graph


def test_no_import_cycles():
    graph = _import_graph()
    path_of = {}

    def loop_from(start):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    return path + [start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
        return None

    for module in graph:
        path_of[module] = loop_from(module)
    loops = [" -> ".join(p) for p in path_of.values() if p]
    assert not loops, "import cycles:\n" + "\n".join(loops)
