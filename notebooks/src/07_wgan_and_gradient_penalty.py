# %% [markdown]
# # Lesson 7 — WGAN and the gradient penalty: a second-order gradient, made visible
#
# The Wasserstein GAN (Arjovsky, Chintala and Bottou 2017, [arXiv:1701.07875](https://arxiv.org/abs/1701.07875))
# replaces D's probability by a *critic* score $C(x)$ and the JSD by the Wasserstein-1 distance,
# estimated by $\max_{\|C\|_L \le 1} \mathbb{E}[C(x)] - \mathbb{E}[C(G(z))]$. The critic must be
# 1-Lipschitz. WGAN-GP (Gulrajani et al. 2017, [arXiv:1704.00028](https://arxiv.org/abs/1704.00028))
# enforces it softly with
#
# $$P = \lambda\,\mathbb{E}_{\hat x}\big[(\|\nabla_{\hat x} C(\hat x)\|_2 - 1)^2\big],\qquad
#   \hat x = \epsilon x + (1 - \epsilon)\,G(z).$$
#
# $P$ is a function of a *gradient*; the critic's optimiser needs $\partial P/\partial w$: a derivative
# of a derivative. This lesson shows the graph of that first gradient, traces its backward, checks it
# against the formulas written out by hand, and trains a WGAN-GP on the ring.
#
# Rests on: [Wasserstein GAN](../docs/wgan.md), [Autograd](../docs/autograd.md) (`create_graph`).

# %%
import os
import tempfile
from pathlib import Path

import numpy as np  # for the by-hand comparison on host copies

import minigan as mg
from minigan import data, nn, optim, viz
from minigan.gan import (
    gradient_penalty,
    gradient_penalty_mlp_by_hand,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from minigan.graph_viz import draw_graph
from minigan.lab import show

QUICK = os.environ.get("MINIGAN_QUICK") == "1"
OUT = Path(tempfile.mkdtemp(prefix="minigan_lesson07_"))
plt = viz.pyplot()
mg.manual_seed(0)


def mlp(n_in, n_out, width=64):
    return nn.Sequential(nn.Linear(n_in, width), nn.LeakyReLU(0.2), nn.Linear(width, width), nn.LeakyReLU(0.2),
                         nn.Linear(width, n_out))

# %% [markdown]
# ## Step by step: the first gradient is a graph
#
# $g = \nabla_{\hat x} \sum_n C(\hat x_n)$ with `create_graph=True`: the backward of each op is
# recorded, so $g$ has a `grad_fn` and a graph of its own, made of the ops the backward methods called.
# The drawing below is the graph of $P$. Look for the critic's forward ops: they are not there. The
# backward of a `Linear` is a `MatMul` by its weight, the backward of a LeakyReLU a `Mul` by a constant
# mask (1 or 0.2), so $g^T = W_1^T M_1 W_2^T M_2 W_3^T$ is built from the weights (green) and the masks
# (grey) alone: exactly the product that `gradient_penalty_mlp_by_hand` writes out below.

# %%
critic = mlp(2, 1, width=8)
real = mg.tensor(data.ring_of_gaussians(16))
fake = mg.randn(16, 2) * 0.5
eps = mg.rand(16, 1)
x_hat = mg.tensor((eps * real + (1 - eps) * fake).numpy(), requires_grad=True)
(g,) = mg.grad(critic(x_hat).sum(), [x_hat], create_graph=True)
print("g.requires_grad:", g.requires_grad, "  g.grad_fn:", g.grad_fn)
norm = ((g * g).sum(axis=1) + 1e-12).sqrt()
P = 10.0 * ((norm - 1.0) ** 2).mean()
print(f"P = {P.item():.4f}   mean ||g|| = {norm.mean().item():.4f}")
draw_graph(P, OUT / "penalty_graph.png")
show(OUT / "penalty_graph.png")

# %% [markdown]
# ## Its backward, op by op
#
# `P.backward()` now runs backward through the backward: `mg.trace()` shows the ops, among them the
# `Where`/`Mul` that LeakyReLU's backward was made of, and the `Linear`-shaped matmuls that carried
# $g$ through the transposed weights. `t.check()` checks each one against finite differences.

# %%
with mg.trace() as t:
    P.backward()
print(f"{len(t)} backward calls: " + " ".join(row.op for row in t))
t.check()
print(f"{sum(row.status.startswith('ok') for row in t)} of {len(t)} agree with finite differences")

# %% [markdown]
# ## Against the derivation written out by hand
#
# [`gradient_penalty_mlp_by_hand`](../minigan/gan/penalty.py) computes $P$ and $\partial P/\partial W_l$ for an
# MLP critic with explicit formulas (masks, $\delta$'s, the direction $r = \partial P/\partial g$ pushed forward:
# double backpropagation written out; see [the WGAN page](../docs/wgan.md#the-penaltys-gradient-a-second-derivative)).
# In float64 the two agree to rounding. The biases get no gradient from $P$: $g$ does not contain them
# (autograd finds no path at all, so `.grad` stays `None`; the formula says 0).

# %%
critic64 = mlp(2, 1, width=8).double()
x64 = mg.tensor(x_hat.numpy().astype("float64"))
linears = [m for m in critic64 if isinstance(m, nn.Linear)]
P_hand, gW_hand, gb_hand = gradient_penalty_mlp_by_hand(
    [m.weight.data for m in linears], [m.bias.data for m in linears], 0.2, x64.data)
critic64.zero_grad()
x_leaf = mg.tensor(x64.numpy(), requires_grad=True)
(g64,) = mg.grad(critic64(x_leaf).sum(), [x_leaf], create_graph=True)
P64 = 10.0 * ((((g64 * g64).sum(axis=1) + 1e-12).sqrt() - 1.0) ** 2).mean()
P64.backward()
print(f"P: autograd {P64.item():.12f}   by hand {P_hand:.12f}")
for i, (m, gw) in enumerate(zip(linears, gW_hand)):
    diff = np.abs(m.weight.grad.numpy() - mg.tensor(gw).numpy()).max()
    bias = "None: no path from b to P" if m.bias.grad is None else f"max |.| {np.abs(m.bias.grad.numpy()).max():.1e}"
    print(f"layer {i}: dP/dW largest difference from the formula {diff:.1e};   dP/db {bias}")
    assert diff < 1e-10

# %% [markdown]
# ## Training a WGAN-GP on the ring
#
# Five critic steps per generator step, each with the penalty, Adam with $\beta = (0.5, 0.9)$ as in the
# paper. Then the critic's input-gradient norm over the plane: near 1 where the penalty was applied,
# between the real and generated samples.

# %%
mg.manual_seed(1)
G, C = mlp(2, 2), mlp(2, 1)
opt_G = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
opt_C = optim.Adam(C.parameters(), lr=1e-3, betas=(0.5, 0.9))
iterations, n_critic, batch = (60, 5, 128) if QUICK else (100, 5, 256)
for _it in range(iterations):
    for _ in range(n_critic):
        x = mg.tensor(data.ring_of_gaussians(batch))
        with mg.no_grad():  # the critic's step: no graph into G
            fake = G(mg.randn(batch, 2))
        loss_C = wasserstein_critic_loss(C(x), C(fake)) + gradient_penalty(C, x, fake)
        opt_C.zero_grad()
        loss_C.backward()
        opt_C.step()
    C.requires_grad_(False)
    loss_G = wasserstein_generator_loss(C(G(mg.randn(batch, 2))))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    C.requires_grad_(True)
print(f"after {iterations} generator steps: critic loss {loss_C.item():.3f}, generator loss {loss_G.item():.3f}")

side = [-2.6 + 5.2 * i / 59 for i in range(60)]
points = mg.tensor([[u, v] for v in side for u in side], requires_grad=True)
(grad_x,) = mg.grad(C(points).sum(), [points])
grad_norm = np.sqrt((grad_x.numpy() ** 2).sum(axis=1)).reshape(60, 60)
with mg.no_grad():
    samples = G(mg.randn(500, 2)).numpy()
real_np = mg.tensor(data.ring_of_gaussians(500)).numpy()
fig, ax = plt.subplots(figsize=(5.5, 4.6))
mesh = ax.pcolormesh(side, side, grad_norm, cmap="viridis", shading="auto", vmin=0, vmax=2)
fig.colorbar(mesh, ax=ax, label="||grad_x C(x)||")
ax.scatter(real_np[:, 0], real_np[:, 1], s=3, color="white", label="real")
ax.scatter(samples[:, 0], samples[:, 1], s=3, color="tab:red", label="G(z)")
ax.set_xlim(-2.6, 2.6)
ax.set_ylim(-2.6, 2.6)
ax.set_aspect("equal")
ax.legend(fontsize=7, loc="lower left")
ax.set_title("the critic's gradient norm (target 1 between the two)", fontsize=9)
show(fig)

# %% [markdown]
# ## What to try next
#
# * Replace the penalty by weight clipping (`minigan.gan.clip_weights_(C.parameters(), 0.01)` after each critic step)
#   and redraw the gradient-norm map: clipping pushes the critic towards the box's corners.
# * `mg.gradgradcheck` on a tiny critic: `mg.gradgradcheck(lambda x: critic64(x).sum(), [x_leaf])`.
# * Put a `BatchNorm1d` into the critic and read the warning `gradient_penalty` gives. Why is it right?
# * Read [Wasserstein GAN](../docs/wgan.md); next:
#   [conditional GAN, ACGAN, CycleGAN](08_conditional_acgan_and_cyclegan.ipynb).
