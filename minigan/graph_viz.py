"""Drawing the computation graph: ``draw_graph(loss)`` as DOT text, and as a PNG through Graphviz or matplotlib.

Image grids, training curves and the other pictures are in :mod:`minigan.viz`.
"""

import shutil
import subprocess
from pathlib import Path

from minigan.tensor import Tensor
from minigan.viz import pyplot

# ===================================================================== the computation graph: draw_graph
#
# The graph is already in the Tensors: ``t.grad_fn`` is the op that made t,
# and ``op.inputs`` are the Tensors it was applied to. draw_graph walks those
# links from one tensor back to the leaves. After ``backward(create_graph=True)``
# each leaf's ``.grad`` is a Tensor with a graph of its own, made of the ops the
# backward methods called: that is the backward graph.

_COLOURS = {  # node style -> (fill, border)
    "output": ("#90caf9", "#1565c0"),
    "tensor": ("#e3f2fd", "#64b5f6"),
    "parameter": ("#c8e6c9", "#2e7d32"),
    "constant": ("#f5f5f5", "#9e9e9e"),
    "op": ("#ffe0b2", "#ef6c00"),
    "backward op": ("#e1bee7", "#7b1fa2"),
    "backward tensor": ("#fce4ec", "#c2185b"),
    "gradient": ("#f48fb1", "#ad1457"),
}
_LEGEND = {
    "output": "the tensor drawn from",
    "parameter": "leaf that requires grad",
    "constant": "constant (no grad)",
    "tensor": "intermediate tensor",
    "op": "op (Function)",
    "backward op": "op recorded by backward",
    "backward tensor": "tensor of the backward graph",
    "gradient": "a leaf's .grad",
}
_EDGE_COLOURS = {"forward": "#546e7a", "backward": "#8e24aa", "grad": "#ad1457"}


class _Node:
    def __init__(self, key, kind, style, label, part):
        self.key, self.kind, self.style, self.label, self.part = key, kind, style, label, part


class _Graph:
    """The nodes (tensors and ops) and edges reachable from a tensor, in the order they were found."""

    def __init__(self):
        self.nodes = {}  # id(object) -> _Node
        self.edges = []  # (source key, target key, "forward" | "backward" | "grad")
        self._keep = []  # the walked objects, so that their ids stay unique during the walk
        self._count = {"tensor": 0, "op": 0}

    def walk(self, root, part, root_style=None):
        """Add every tensor and op that ``root`` was computed from (already known nodes keep their part)."""
        self._tensor(root, part, root_style)
        stack = [root]
        while stack:
            t = stack.pop()
            fn = t.grad_fn
            if fn is None or id(fn) in self.nodes:  # a known op: it and what made it are drawn already
                continue
            op = self._op(fn, part)
            self._edge(op, self.nodes[id(t)].key, part)
            for x in fn.inputs or ():
                self._tensor(x, part)
                self._edge(self.nodes[id(x)].key, op, part)
                stack.append(x)

    def leaves(self):
        """The leaves that require grad, in the order found."""
        return [t for t in self._keep if isinstance(t, Tensor) and t.grad_fn is None and t.requires_grad]

    def add_gradient(self, leaf):
        grad = leaf.grad
        role = "gradient" if grad.grad_fn is not None else "gradient (no graph: backward without create_graph)"
        name = f"{leaf.name}.grad" if leaf.name else f"grad of {self.nodes[id(leaf)].label.splitlines()[0]}"
        self._tensor(grad, "backward", "gradient", label=_tensor_label(grad, name, role))
        self._edge(self.nodes[id(leaf)].key, self.nodes[id(grad)].key, "grad")
        self.walk(grad, "backward")

    def _tensor(self, t, part, style=None, label=None):
        if id(t) in self.nodes:
            return self.nodes[id(t)].key
        if style is None:
            style = _tensor_style(t, part)
        key = self._new_key("tensor", "t")
        self.nodes[id(t)] = _Node(key, "tensor", style, label or _tensor_label(t, t.name, _ROLES[style]), part)
        self._keep.append(t)
        return key

    def _op(self, fn, part):
        key = self._new_key("op", "op")
        style = "op" if part == "forward" else "backward op"
        self.nodes[id(fn)] = _Node(key, "op", style, _op_label(fn), part)
        self._keep.append(fn)
        return key

    def _new_key(self, kind, prefix):
        self._count[kind] += 1
        return f"{prefix}{self._count[kind] - 1}"

    def _edge(self, source, target, part):
        self.edges.append((source, target, part))  # twice when an op takes one tensor twice (y * y)


_ROLES = {
    "output": "",
    "tensor": "",
    "parameter": "requires grad",
    "constant": "constant",
    "backward tensor": "",
    "gradient": "gradient",
}


def _tensor_style(t, part):
    if t.grad_fn is None:
        return "parameter" if t.requires_grad else "constant"
    return "tensor" if part == "forward" else "backward tensor"


def _tensor_label(t, name, role):
    if type(t).__name__ == "Parameter":
        role = "parameter"
    elif role == "constant" and t.data.size == 1:
        role = f"constant {float(t.data.reshape(-1)[0]):.4g}"
    lines = [name] if name else []
    lines.append(f"{tuple(t.shape) if t.ndim else 'scalar'} {t.dtype}")
    if role:
        lines.append(role)
    return "\n".join(lines)


def _op_label(fn):
    """The op's class name, and the small facts it keeps (an axis, a slope) on a second line."""
    facts = []
    for name, value in vars(fn).items():
        if name.startswith("_") or name in ("inputs", "needs_input_grad"):
            continue
        if isinstance(value, (bool, int, float, str)) or (
            isinstance(value, tuple) and len(value) <= 4 and all(isinstance(v, (int, float)) for v in value)
        ):
            facts.append(f"{name}={value}")
    label = type(fn).__name__
    if fn.inputs is None:
        label += "\n(inputs freed by backward)"
    return label + ("\n" + ", ".join(facts[:2]) if facts else "")


def _dot_text(graph, title):
    def quote(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    def node_line(node):
        fill, border = _COLOURS[node.style]
        shape = "box" if node.kind == "tensor" else "ellipse"
        style = '"rounded,filled"' if node.kind == "tensor" else "filled"
        pen = ", penwidth=2" if node.style == "output" else ""
        return (
            f"    {node.key} [label={quote(node.label)}, shape={shape}, style={style}, "
            f'fillcolor="{fill}", color="{border}"{pen}];'
        )

    lines = [
        "digraph minigan {",
        f"  label={quote(title)}; labelloc=t; fontname=Helvetica; rankdir=TB;",
        "  node [fontname=Helvetica, fontsize=10];",
        "  edge [arrowsize=0.7];",
    ]
    for part, caption, colour in (
        ("forward", "forward graph", "#90a4ae"),
        ("backward", "backward graph (recorded by backward(create_graph=True))", "#ce93d8"),
    ):
        members = [n for n in graph.nodes.values() if n.part == part]
        if members:
            lines.append(f'  subgraph cluster_{part} {{ label={quote(caption)}; style=dashed; color="{colour}";')
            lines += [node_line(n) for n in members]
            lines.append("  }")
    for source, target, kind in graph.edges:
        extra = ', style=dashed, label=".grad", fontsize=9' if kind == "grad" else ""
        lines.append(f'  {source} -> {target} [color="{_EDGE_COLOURS[kind]}"{extra}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_graph(tensor, path=None, show_backward=False, engine=None):
    """The computation graph that produced ``tensor``, as DOT text; with ``path``, also drawn as a PNG.

    Boxes are tensors (name if ``t.name`` is set, shape, dtype; leaves that
    require grad in green, constants in grey), ellipses are ops (the Function's
    class). With ``show_backward=True`` and after ``backward(create_graph=True)``,
    each leaf's ``.grad`` and the graph that computed it are drawn too, in
    purple: the graph a gradient penalty differentiates. Draw before a plain
    ``backward()``, which frees the forward graph.

    The PNG comes from Graphviz's ``dot`` when it is installed, else from a
    layered layout drawn with matplotlib; ``engine`` ("graphviz" or
    "matplotlib") picks one.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph needs a minigan Tensor, got a {type(tensor).__name__}.")
    if engine not in (None, "graphviz", "matplotlib"):
        raise ValueError(f"engine={engine!r} is not known; use 'graphviz', 'matplotlib' or None (either).")
    graph = _Graph()
    graph.walk(tensor, "forward", root_style="output" if tensor.grad_fn is not None else None)
    if show_backward:
        for leaf in graph.leaves():
            if leaf.grad is not None:
                graph.add_gradient(leaf)
    title = "forward and backward graphs" if show_backward else "forward graph"
    dot = _dot_text(graph, title)
    if path is not None:
        dot_program = shutil.which("dot") if engine != "matplotlib" else None
        if engine == "graphviz" and dot_program is None:
            raise RuntimeError("engine='graphviz' needs Graphviz's `dot` on the PATH (e.g. apt install graphviz).")
        if dot_program is None or not _render_with_graphviz(dot_program, dot, path):
            _render_with_matplotlib(graph, title, path)
    return dot


def _render_with_graphviz(dot_program, dot, path):
    try:
        subprocess.run(
            [dot_program, "-Tpng", "-Gdpi=110", "-o", str(path)], input=dot.encode(), capture_output=True,
            check=True, timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return Path(path).exists()


def _layers(graph):
    """Each node's layer: the longest path to it from a leaf (so every arrow points down)."""
    keys = [n.key for n in graph.nodes.values()]
    parents = {k: [] for k in keys}
    for source, target, _ in graph.edges:
        parents[target].append(source)
    layer = {}

    def depth(key):
        stack = [key]
        while stack:
            k = stack[-1]
            todo = [p for p in parents[k] if p not in layer]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            layer[k] = 1 + max((layer[p] for p in parents[k]), default=-1)
        return layer[key]

    for k in keys:
        depth(k)
    children = {k: [] for k in keys}
    for source, target, _ in graph.edges:
        children[source].append(target)
    for k in keys:  # a leaf sits just above its first consumer, not up in the top row
        if not parents[k] and children[k]:
            layer[k] = min(layer[c] for c in children[k]) - 1
    return layer, parents, children


def _positions(graph):
    """(x, y) of each node: layers top to bottom, each ordered by the mean x of its neighbours (a few sweeps)."""
    layer, parents, children = _layers(graph)
    rows = {}
    # forward nodes first, so the backward graph starts on the right
    for node in sorted(graph.nodes.values(), key=lambda n: n.part == "backward"):
        rows.setdefault(layer[node.key], []).append(node.key)
    x = {}

    def place():
        for row in rows.values():
            for i, k in enumerate(row):
                x[k] = i - (len(row) - 1) / 2

    place()
    for sweep in range(6):
        for depth in sorted(rows, reverse=sweep % 2 == 1):
            neighbours = parents if sweep % 2 == 0 else children
            row = rows[depth]
            row.sort(key=lambda k: sum(x[n] for n in neighbours[k]) / len(neighbours[k]) if neighbours[k] else x[k])
            place()
    return {k: (x[k], -layer[k]) for k in layer}, len(rows), max(len(r) for r in rows.values())


def _render_with_matplotlib(graph, title, path):
    plt = pyplot()
    from matplotlib.patches import Patch

    positions, n_layers, width = _positions(graph)
    dx, dy = 2.3, 1.25
    size = (min(60.0, max(6.0, 1.9 * width + 1.5)), min(60.0, max(3.0, 1.0 * n_layers + 1.2)))
    fig, ax = plt.subplots(figsize=size)  # capped: a graph of a whole network is better read in Graphviz
    texts = {}
    for node in graph.nodes.values():
        fill, border = _COLOURS[node.style]
        box = "round,pad=0.35,rounding_size=0.2" if node.kind == "tensor" else "round,pad=0.45,rounding_size=0.9"
        x, y = positions[node.key]
        texts[node.key] = ax.text(
            x * dx, y * dy, node.label, ha="center", va="center", fontsize=7.5, zorder=3,
            fontweight="bold" if node.kind == "op" else "normal",
            bbox=dict(boxstyle=box, fc=fill, ec=border, lw=2.0 if node.style == "output" else 1.0),
        )
    drawn = set()
    for source, target, kind in graph.edges:
        if kind == "grad":  # the gradient's box names its leaf; a long dashed arrow back up would only clutter
            continue
        again = (source, target) in drawn
        drawn.add((source, target))
        ax.annotate(
            # drawn after the boxes (zorder), so each arrow is clipped to where its boxes were just drawn
            "", xy=texts[target].get_position(), xytext=texts[source].get_position(), zorder=4,
            arrowprops=dict(
                arrowstyle="-|>", color=_EDGE_COLOURS[kind], lw=1.0, linestyle="--" if kind == "grad" else "-",
                patchA=texts[source].get_bbox_patch(), patchB=texts[target].get_bbox_patch(),
                shrinkA=1, shrinkB=1, mutation_scale=10, connectionstyle=f"arc3,rad={0.35 if again else 0.0}",
            ),
        )
    xs = [p[0] * dx for p in positions.values()]
    ys = [p[1] * dy for p in positions.values()]
    ax.set_xlim(min(xs) - dx * 0.75, max(xs) + dx * 0.75)
    ax.set_ylim(min(ys) - dy * 0.6, max(ys) + dy * 0.6)
    ax.axis("off")
    used = {n.style for n in graph.nodes.values()}
    handles = [Patch(fc=_COLOURS[s][0], ec=_COLOURS[s][1], label=_LEGEND[s]) for s in _LEGEND if s in used]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_title(f"{title} (arrows point from inputs to outputs)", fontsize=9)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
