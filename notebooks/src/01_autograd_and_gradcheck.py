# %% [markdown]
# # Lesson 1 — Autograd and gradcheck
#
# Every gradient in a GAN is computed by one small engine: reverse-mode
# differentiation, one op at a time. This lesson builds a tiny graph, runs it
# backwards, compares each gradient with the formula worked by hand, and then
# lets `mg.gradcheck` compare them with finite differences.
#
# Rests on: [Autograd](../docs/autograd.md),
# [Broadcasting and matmul](../docs/broadcasting_and_matmul.md).
# Run the cells top to bottom (in VS Code or Jupyter: *Run All*).

# %%
import math
import os
import tempfile
from pathlib import Path

import minigan as mg
from minigan import viz
from minigan.graph_viz import draw_graph
from minigan.lab import show

QUICK = os.environ.get("MINIGAN_QUICK") == "1"  # the test suite sets this to shrink the runs
plt = viz.pyplot()
OUT = Path(tempfile.mkdtemp(prefix="minigan_lesson01_"))  # pictures written by minigan go here
mg.manual_seed(0)

# %% [markdown]
# ## A neuron, by hand and by autograd
#
# $y = \tanh(w x + b)$. The chain rule gives
# $\partial y/\partial w = (1 - y^2)\,x$, $\partial y/\partial b = 1 - y^2$,
# $\partial y/\partial x = (1 - y^2)\,w$.

# %%
x = mg.tensor(0.5, dtype="float64", requires_grad=True)
w = mg.tensor(-1.5, dtype="float64", requires_grad=True)
b = mg.tensor(0.2, dtype="float64", requires_grad=True)
y = (w * x + b).tanh()
y.backward()

yv = y.item()
by_hand = {"w": (1 - yv**2) * x.item(), "b": 1 - yv**2, "x": (1 - yv**2) * w.item()}
for name, t in (("w", w), ("b", b), ("x", x)):
    print(f"dy/d{name}: autograd {t.grad.item():+.10f}   by hand {by_hand[name]:+.10f}")
    assert abs(t.grad.item() - by_hand[name]) < 1e-12

# %% [markdown]
# ## The graph is in the tensors
#
# `y.grad_fn` is the op that made `y`; its `inputs` are the tensors it was applied
# to. `backward()` walks these links in reverse. `draw_graph` (from `minigan.graph_viz`) draws them
# (a layered layout with matplotlib, or Graphviz when installed). Draw before a
# plain `backward()`, which frees the graph.

# %%
y = (w * x + b).tanh()
print(y.grad_fn, "<-", [t.grad_fn for t in y.grad_fn.inputs])
draw_graph(y, OUT / "graph.png")
show(OUT / "graph.png")

# %% [markdown]
# ## Watching backward run: `mg.trace`
#
# Inside `with mg.trace() as t:` each op's backward is recorded: the op, its
# derivative (the first line of its docstring), the gradient it received
# ($\partial L/\partial y$) and the gradients it returned ($\partial L/\partial x_k$).

# %%
with mg.trace() as t:
    y.backward()
print(t)

# %% [markdown]
# ## Vector-Jacobian products, for arrays
#
# For $L = \sum_i v_i \tanh(x_i)$ the gradient is $\bar x = v \odot (1 - \tanh^2 x)$:
# the Jacobian of `tanh` is diagonal, and backward never builds it.

# %%
xs = mg.randn(5, dtype="float64", requires_grad=True)
v = mg.tensor([1.0, -2.0, 0.5, 3.0, 1.0], dtype="float64")
(mg.tanh(xs) * v).sum().backward()
expected = [vi * (1 - math.tanh(xi) ** 2) for vi, xi in zip(v.tolist(), xs.tolist())]
print("autograd:", [round(g, 6) for g in xs.grad.tolist()])
print("by hand: ", [round(g, 6) for g in expected])

# %% [markdown]
# ## gradcheck: finite differences, in float64
#
# $\partial s/\partial x_i \approx (s(x_i + \varepsilon) - s(x_i - \varepsilon)) / 2\varepsilon$
# for $s = \sum v \odot f(x)$ with random $v$. The error is $O(\varepsilon^2)$, so
# with $\varepsilon = 10^{-6}$ in float64 the two agree to about $10^{-10}$; in
# float32 rounding alone is larger than the step.

# %%
a = mg.randn(3, 4, dtype="float64", requires_grad=True)
c = mg.randn(4, 2, dtype="float64", requires_grad=True)
print("matmul + sigmoid:", mg.gradcheck(lambda a, c: mg.sigmoid(a @ c), [a, c]))

# %% [markdown]
# Now an op with a slip in its backward: `d/dx x^3` written as `2 x^2`.
# gradcheck names the element and both values.

# %%
class Cube(mg.Function):
    """y = x^3.    dy/dx = 3 x^2 (the backward below says 2 x^2: a slip)."""

    def forward(self, x):
        return x**3

    def backward(self, gy):
        x = self.inputs[0]
        return gy * 2 * x * x


try:
    mg.gradcheck(lambda x: Cube.apply(x), [a])
except mg.GradcheckError as err:
    print(err)

# %% [markdown]
# ## Gradients of gradients: `create_graph=True`
#
# Each backward is written with minigan's own ops, so with `create_graph=True`
# the gradient is itself a tensor with a graph, and can be differentiated again.
# For $\tanh$: $\tanh' = 1 - \tanh^2$ and $\tanh'' = -2\tanh\,(1 - \tanh^2)$.
# WGAN-GP (lesson 7) needs exactly this.

# %%
n = 41 if QUICK else 201
grid = [-3 + 6 * i / (n - 1) for i in range(n)]
first, second = [], []
for value in grid:
    x = mg.tensor(value, dtype="float64", requires_grad=True)
    (g,) = mg.grad(mg.tanh(x), [x], create_graph=True)
    (gg,) = mg.grad(g, [x])
    first.append(g.item())
    second.append(gg.item())
th = [math.tanh(v) for v in grid]
assert max(abs(f - (1 - t * t)) for f, t in zip(first, th)) < 1e-12
assert max(abs(s - (-2 * t * (1 - t * t))) for s, t in zip(second, th)) < 1e-12

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(grid, th, label="tanh x")
ax.plot(grid, first, label="autograd: d/dx")
ax.plot(grid, second, label="autograd: d²/dx²")
ax.plot(grid, [-2 * t * (1 - t * t) for t in th], "k:", label="-2 tanh (1 - tanh²), by hand")
ax.legend(fontsize=8)
ax.set_title("first and second derivatives from the same engine")
show(fig)

# %% [markdown]
# ## What to try next
#
# * Write `class Square(mg.Function)` with a right backward and pass it to `mg.gradcheck`.
# * Run gradcheck in float32 (`dtype="float32"`): which message do you get, and why?
# * `mg.gradgradcheck` checks second derivatives: try it on `Cube` with the slip fixed.
# * Read [Autograd](../docs/autograd.md) on `create_graph`, then lesson 2:
#   [the minimax game and D*](02_minimax_and_optimal_discriminator.ipynb).
