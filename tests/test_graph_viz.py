"""draw_graph: DOT text of the forward (and backward) graph, and a PNG through matplotlib or Graphviz."""

import re
import shutil
import subprocess
import sys

import pytest

import minigan as mg
from minigan import graph_viz

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def parse_dot(dot):
    """({key: label}, [(source label, target label, colour)]) of a DOT text written by draw_graph."""
    labels = {k: v.replace("\\n", "\n") for k, v in re.findall(r'^\s+(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M)}
    edges = [(labels[a], labels[b], c) for a, b, c in re.findall(r'^\s+(\w+) -> (\w+) \[color="([^"]+)"', dot, re.M)]
    return labels, edges


def small_expression():
    x = mg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, dtype="float64")
    w = mg.tensor([[0.3], [-0.7]], requires_grad=True, dtype="float64")
    x.name, w.name = "x", "w"
    h = (x @ w).tanh()
    loss = (h * h).sum()
    loss.name = "loss"
    return x, w, loss


def first_line(label):
    return label.splitlines()[0]


def test_dot_has_the_ops_the_tensors_and_the_edges_of_a_small_expression():
    x, w, loss = small_expression()
    dot = graph_viz.draw_graph(loss)
    labels, edges = parse_dot(dot)
    assert dot.startswith("digraph minigan {") and dot.rstrip().endswith("}")
    ops = sorted(first_line(v) for k, v in labels.items() if k.startswith("op"))
    assert ops == ["MatMul", "Mul", "Sum", "Tanh"]
    assert "x\n(2, 2) float64\nrequires grad" in labels.values()
    assert "w\n(2, 1) float64\nrequires grad" in labels.values()
    named = {(first_line(a), first_line(b)) for a, b, _ in edges}
    assert ("x", "MatMul") in named and ("w", "MatMul") in named
    assert ("Sum", "loss") in named
    # MatMul -> its output (2, 1) -> Tanh -> (2, 1) -> Mul, which takes h twice (h * h)
    assert ("MatMul", "(2, 1) float64") in named and ("(2, 1) float64", "Tanh") in named
    assert sum(1 for a, b, _ in edges if first_line(b) == "Mul") == 2
    assert "cluster_backward" not in dot


def test_op_facts_and_constants_are_labelled():
    x = mg.tensor([1.0, -2.0], requires_grad=True, dtype="float64")
    labels, _ = parse_dot(graph_viz.draw_graph((x.leaky_relu(0.2) * 3.0).sum(axis=0)))
    values = list(labels.values())
    assert any(v.startswith("LeakyReLU\nnegative_slope=0.2") for v in values)
    assert any("constant 3" in v for v in values)
    assert any(v.startswith("Sum\naxes=(0,)") for v in values)


def test_backward_graph_appears_after_backward_with_create_graph():
    x, w, loss = small_expression()
    loss.backward(create_graph=True)
    dot = graph_viz.draw_graph(loss, show_backward=True)
    labels, edges = parse_dot(dot)
    assert "cluster_backward" in dot
    assert "x.grad\n(2, 2) float64\ngradient" in labels.values()
    assert "w.grad\n(2, 1) float64\ngradient" in labels.values()
    grad_edges = {(first_line(a), first_line(b)) for a, b, c in edges if c == graph_viz._EDGE_COLOURS["grad"]}
    assert grad_edges == {("x", "x.grad"), ("w", "w.grad")}
    backward_ops = [first_line(labels[k]) for k in re.findall(r"^\s+(op\d+) \[.*#e1bee7", dot, re.M)]
    assert "MatMul" in backward_ops and "Permute" in backward_ops  # dL/dx = g @ w^T: the backward's own ops
    # the backward graph reads the forward values: an edge from a forward tensor into a backward op
    assert any(c == graph_viz._EDGE_COLOURS["backward"] and first_line(a) == "w" for a, b, c in edges)
    assert graph_viz.draw_graph(loss) == graph_viz.draw_graph(loss, show_backward=False) != dot


def test_gradients_without_create_graph_are_drawn_as_plain_tensors():
    x, w, loss = small_expression()
    loss.backward(retain_graph=True)
    labels, _ = parse_dot(graph_viz.draw_graph(loss, show_backward=True))
    grads = [v for v in labels.values() if v.startswith("x.grad")]
    assert grads and "no graph" in grads[0]


def test_a_freed_graph_says_so():
    x, w, loss = small_expression()
    loss.backward()
    assert "(inputs freed by backward)" in graph_viz.draw_graph(loss)


def test_a_leaf_alone_and_bad_arguments():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    labels, edges = parse_dot(graph_viz.draw_graph(x))
    assert list(labels.values()) == ["(2,) float32\nrequires grad"] and edges == []
    with pytest.raises(TypeError, match="minigan Tensor"):
        graph_viz.draw_graph([1, 2])
    with pytest.raises(ValueError, match="engine"):
        graph_viz.draw_graph(x, engine="tikz")


def test_png_through_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    x, w, loss = small_expression()
    forward = tmp_path / "forward.png"
    graph_viz.draw_graph(loss, forward, engine="matplotlib")
    loss.backward(create_graph=True)
    both = tmp_path / "both.png"
    graph_viz.draw_graph(loss, both, show_backward=True, engine="matplotlib")
    for path in (forward, both):
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5000
    assert both.stat().st_size > forward.stat().st_size  # more to draw


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_png_through_graphviz(tmp_path):
    x, w, loss = small_expression()
    loss.backward(create_graph=True)
    path = tmp_path / "graph.png"
    graph_viz.draw_graph(loss, path, show_backward=True, engine="graphviz")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_importing_viz_does_not_import_matplotlib():
    code = "import sys, minigan.viz, minigan.graph_viz; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
