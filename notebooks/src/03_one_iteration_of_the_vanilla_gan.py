# %% [markdown]
# # Lesson 3 — One iteration of the vanilla GAN, every gradient checked
#
# One iteration of Algorithm 1 of Goodfellow et al. (2014,
# [arXiv:1406.2661](https://arxiv.org/abs/1406.2661)) with the networks of
# [`examples/vanilla_gan.py`](../examples/vanilla_gan.py): one discriminator step, one
# generator step. At each step we print the gradient at the logits, check it
# by hand against the formula, then record the whole backward pass with
# `mg.trace()` and let `t.check()` compare every op's vector-Jacobian product with
# finite differences in float64.
#
# Rests on: [The minimax game](../docs/minimax_game.md), [Binary cross-entropy](../docs/bce.md),
# [The generator's loss](../docs/generator_loss.md), [Autograd](../docs/autograd.md),
# [Stepping through in a debugger](../docs/stepping_through.md) (the same iteration in pdb and VS Code).

# %%
import os
import sys
from pathlib import Path

import numpy as np  # only to redo the formulas by hand on the host copies

import minigan as mg
from minigan import optim
from minigan.data import load_digits
from minigan.gan import d_loss_minimax, g_loss

QUICK = os.environ.get("MINIGAN_QUICK") == "1"
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "examples" / "vanilla_gan.py").exists())
sys.path.insert(0, str(ROOT / "examples"))
import vanilla_gan as example  # noqa: E402  (its build_generator and build_discriminator)

images, _ = load_digits()
data = mg.tensor(images.reshape(len(images), -1))  # (5000, 784): the MLP sees 784 numbers
mg.manual_seed(0)
G, D = example.build_generator(), example.build_discriminator()
opt_G = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_D = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
N, latent_dim = 64, 100
print(G)
print(D)

# %% [markdown]
# ## 1. The discriminator's step
#
# A batch of real digits $x$, a batch of fakes $G(z)$ made under `no_grad` (this step changes D only),
# the logits $a_r = D(x)$, $a_f = D(G(z))$ and
#
# $$L_D = -\tfrac1N\sum_i \log\sigma(a_{r,i}) - \tfrac1N\sum_i\log\sigma(-a_{f,i}).$$
#
# Its gradient at the logits is "probability minus target, over N":
#
# $$\frac{\partial L_D}{\partial a_{r,i}} = \frac{\sigma(a_{r,i}) - 1}{N},\qquad
#   \frac{\partial L_D}{\partial a_{f,i}} = \frac{\sigma(a_{f,i}) - 0}{N}.$$
#
# The $1/N$ comes from the batch mean: with $N = 64$ a student who checks
# $\sigma(a) - y$ alone finds every number 64 times too large.

# %%
x = data[mg.randint(0, len(data), (N,)).numpy()]  # a batch of real digits
z = mg.randn(N, latent_dim)
with mg.no_grad():  # D's step: no graph into G is needed (the examples make the fakes the same way)
    fake = G(z)
real_logits, fake_logits = D(x), D(fake)
loss_D = d_loss_minimax(real_logits, fake_logits)
print(f"L_D = {loss_D.item():.4f}   (log 4 = {np.log(4):.4f}: an undecided D)")

g_real, g_fake = mg.grad(loss_D, [real_logits, fake_logits], retain_graph=True)
a_r, a_f = real_logits.numpy(), fake_logits.numpy()
sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
by_hand_real, by_hand_fake = (sigmoid(a_r) - 1) / N, (sigmoid(a_f) - 0) / N
print("dL_D/da_r  autograd:", g_real.numpy()[:4, 0], "\n           by hand: ", by_hand_real[:4, 0])
print("dL_D/da_f  autograd:", g_fake.numpy()[:4, 0], "\n           by hand: ", by_hand_fake[:4, 0])
print("largest difference:", max(abs(g_real.numpy() - by_hand_real).max(), abs(g_fake.numpy() - by_hand_fake).max()))
print("and without the 1/N the ratio would be", (sigmoid(a_r) - 1)[0, 0] / g_real.numpy()[0, 0])
assert np.allclose(g_real.numpy(), by_hand_real, atol=1e-7) and np.allclose(g_fake.numpy(), by_hand_fake, atol=1e-7)

# %% [markdown]
# ### The whole backward of $L_D$, op by op
#
# `mg.trace()` records each op's backward as it runs: the op, its derivative (from its
# docstring), the incoming gradient $\partial L/\partial y$ and the outgoing ones. The first rows
# are the loss itself (the mean, the negation, `LogSigmoid`); then D's layers from the top
# (`Linear` 256 → 1) down, once for the real batch and once for the fake one.

# %%
with mg.trace() as t:
    opt_D.zero_grad()
    loss_D.backward()
print(t.table(limit=12))  # print(t) shows all of them

# %% [markdown]
# ### Two rows checked by hand
#
# `LogSigmoid` at the real logits: $y = \log\sigma(a)$, $dy/da = 1 - \sigma(a)$. It receives
# $\partial L/\partial y = -1/N$ (from $-\mathrm{mean}$) and must return $-(1 - \sigma(a_r))/N$.
#
# The top `Linear` of D, $a = h W^T + b$: given $\bar a = \partial L/\partial a$ it returns
# $\bar h = \bar a W$, $\bar W = \bar a^T h$, $\bar b = \sum_i \bar a_i$.

# %%
logsig = [row for row in t if row.op == "LogSigmoid"]
row = next(r for r in logsig if np.allclose(r.inputs[0], a_r))
assert np.allclose(row.grad_output, -1 / N)
assert np.allclose(row.grad_inputs[0], -(1 - sigmoid(a_r)) / N, atol=1e-7)
print("LogSigmoid row: dL/da =", row.grad_inputs[0][:3, 0], " by hand:", (-(1 - sigmoid(a_r)) / N)[:3, 0])

top = next(r for r in t if r.op == "Linear" and r.grad_output.shape == (N, 1))
h, W, _ = top.inputs
a_bar = top.grad_output
for name, got, by_hand in (("dL/dh", top.grad_inputs[0], a_bar @ W), ("dL/dW", top.grad_inputs[1], a_bar.T @ h),
                           ("dL/db", top.grad_inputs[2], a_bar.sum(axis=0))):
    print(f"top Linear {name}: shape {got.shape}, largest difference from the formula {abs(got - by_hand).max():.2e}")
    assert np.allclose(got, by_hand, atol=1e-6)

# %% [markdown]
# ### Every row against finite differences
#
# `t.check()` runs each op's forward again on float64 copies of the inputs it saw and
# compares the numerical derivative of $\sum \bar y \odot f(x)$ with the op's backward.
# It raises, naming the op, if one disagrees.

# %%
t.check()
print(f"{sum(row.status.startswith('ok') for row in t)} of {len(t)} rows agree with finite differences")
D.eval()  # dropout off, so that before and after compare the same function
with mg.no_grad():
    before = d_loss_minimax(D(x), D(fake)).item()
D.train()
opt_D.step()
D.eval()
with mg.no_grad():
    after = d_loss_minimax(D(x), D(fake)).item()
D.train()
print(f"one Adam step on D: L_D on this batch (dropout off) {before:.4f} -> {after:.4f}")

# %% [markdown]
# ## 2. The generator's step, D frozen
#
# `D.requires_grad_(False)`: gradients flow *through* D into G, D's weights stay put.
# The non-saturating loss $L_G = -\mathrm{mean}\log\sigma(a)$ has
#
# $$\frac{\partial L_G}{\partial a_i} = -\frac{1 - \sigma(a_i)}{N}:$$
#
# largest when D rejects the fake ($\sigma(a) \approx 0$), which is why it is the one to train with
# (lesson 4).

# %%
D.requires_grad_(False)
z = mg.randn(N, latent_dim)
gen_logits = D(G(z))
loss_G = g_loss(gen_logits)
(g_gen,) = mg.grad(loss_G, [gen_logits], retain_graph=True)
a = gen_logits.numpy()
print("dL_G/da  autograd:", g_gen.numpy()[:4, 0], "\n         by hand: ", (-(1 - sigmoid(a)) / N)[:4, 0])
assert np.allclose(g_gen.numpy(), -(1 - sigmoid(a)) / N, atol=1e-7)

d_grads = [p.grad.numpy() for p in D.parameters()]  # what the D step left in .grad
with mg.trace() as tg:
    opt_G.zero_grad()
    loss_G.backward()
print(f"{len(tg)} backward calls; the ops: {' '.join(row.op for row in tg)}")
tg.check()
print(f"{sum(row.status.startswith('ok') for row in tg)} of {len(tg)} rows agree with finite differences")
print("D's .grad untouched by L_G:", all((p.grad.numpy() == g).all() for p, g in zip(D.parameters(), d_grads)))
print("G's weights did:", all(p.grad is not None for p in G.parameters()))
opt_G.step()
D.requires_grad_(True)

# %% [markdown]
# ### What reached G
#
# The gradient at G's output image is what D "says" about each pixel. Here it is for the
# first four fakes (the rows of the `Tanh` at G's output), next to the fakes themselves.

# %%
from minigan import viz  # noqa: E402
from minigan.lab import show  # noqa: E402

tanh_row = next(r for r in tg if r.op == "Tanh")
plt = viz.pyplot()
fig, axes = plt.subplots(2, 4, figsize=(8, 4.2))
with mg.no_grad():
    G.eval()
    pictures = G(z).numpy()[:4]
    G.train()
for i in range(4):
    axes[0, i].imshow(pictures[i].reshape(28, 28), cmap="gray")
    axes[1, i].imshow(-tanh_row.grad_output[i].reshape(28, 28), cmap="RdBu")
    axes[0, i].set_title(f"G(z_{i})", fontsize=8)
    axes[1, i].set_title("-dL_G/dG(z)", fontsize=8)
for ax in axes.ravel():
    ax.axis("off")
show(fig)

# %% [markdown]
# ## What to try next
#
# * Replace `g_loss(gen_logits)` by `g_loss(gen_logits, saturating=True)` and redo the check by hand:
#   $\partial L_G/\partial a = -\sigma(a)/N$.
# * Break an op on purpose (a `mg.Function` whose backward forgets a factor) inside D and watch `t.check()` name it.
# * Step through the same iteration in a debugger: [Stepping through](../docs/stepping_through.md).
# * Next: [saturating vs non-saturating](04_saturating_vs_non_saturating.ipynb).
