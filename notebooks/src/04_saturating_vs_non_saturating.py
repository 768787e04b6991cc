# %% [markdown]
# # Lesson 4 — Saturating vs non-saturating generator loss
#
# The minimax game has G minimise $\log(1 - D(G(z)))$, the term of $V$. Goodfellow et al.
# (2014, [arXiv:1406.2661](https://arxiv.org/abs/1406.2661)) note that early in training this
# "saturates" and suggest maximising $\log D(G(z))$ instead. With $D = \sigma(a)$:
#
# | loss | $L_G$ | $\partial L_G/\partial a$ (per sample, times $1/N$) |
# |---|---|---|
# | saturating | $\mathrm{mean}\,\log\sigma(-a)$ | $-\sigma(a)$ |
# | non-saturating | $-\mathrm{mean}\,\log\sigma(a)$ | $-(1 - \sigma(a))$ |
#
# Same sign, same fixed point, very different sizes when D rejects a fake ($a \ll 0$).
# Here we see it three ways: the two curves, the arrows of the lab view on one frame, and
# two generators trained with plain SGD.
#
# Rests on: [The generator's loss](../docs/generator_loss.md),
# [Failure modes](../docs/failure_modes.md#vanishing-gradients).

# %%
import math
import os

import minigan as mg
from minigan import data, optim, viz
from minigan.gan import g_loss
from minigan.lab import Lab, show

QUICK = os.environ.get("MINIGAN_QUICK") == "1"
plt = viz.pyplot()

# %% [markdown]
# ## The two gradients at the logit, from autograd
#
# A batch of logits from -8 to 4; `mg.grad` of each loss with respect to them, times $N$,
# against the formulas.

# %%
n = 121
a = mg.tensor([[-8 + 12 * i / (n - 1)] for i in range(n)], dtype="float64", requires_grad=True)
(sat,) = mg.grad(g_loss(a, saturating=True), [a])
(non,) = mg.grad(g_loss(a, saturating=False), [a])
sat, non, av = (sat.numpy().ravel() * n).tolist(), (non.numpy().ravel() * n).tolist(), a.numpy().ravel().tolist()
sig = [1 / (1 + math.exp(-v)) for v in av]
assert max(abs(s + q) for s, q in zip(sat, sig)) < 1e-12           # -sigma(a)
assert max(abs(s + 1 - q) for s, q in zip(non, sig)) < 1e-12       # -(1 - sigma(a))
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(av, sat, color="tab:red", label="saturating: -σ(a)")
ax.plot(av, non, color="black", label="non-saturating: -(1 - σ(a))")
ax.axvspan(-8, -3, color="grey", alpha=0.15)
ax.text(-7.8, -0.5, "D rejects the fake\n(early training)", fontsize=8)
ax.set_xlabel("logit a = D's score of a fake")
ax.set_ylabel("N · dL_G/da")
ax.legend(fontsize=8)
show(fig)

# %% [markdown]
# ## The same frame, both arrows
#
# The 1D lab: real data $\mathcal N(4, 0.5^2)$, a generator that starts near 0, and a
# discriminator trained alone for 200 steps, so that it rejects the fakes. At each fake the
# lab draws $-\partial L_G/\partial x$ (from `mg.grad`, with respect to the sample itself) for
# both losses, to the same scale: black non-saturating, red saturating (drawn inside it).

# %%
def make_lab(saturating):
    lab = Lab(lambda n: data.gaussian_1d(n), latent_dim=1, batch_size=128, width=32, saturating=saturating, seed=1)
    lab.opt_G = optim.SGD(lab.G.parameters(), lr=0.02)  # plain SGD: the step is the gradient, not rescaled
    for _ in range(200):
        lab.d_step()
    return lab


lab = make_lab(saturating=False)
show(lab.draw(arrows="both", title="D trained alone for 200 steps: both arrows on one frame"))
sat_len = abs(lab.arrows(saturating=True)).mean()
non_len = abs(lab.arrows(saturating=False)).mean()
print(f"mean arrow length: saturating {sat_len:.2e}, non-saturating {non_len:.2e} (ratio {non_len / sat_len:.0f})")

# %% [markdown]
# ## Training with each loss
#
# Two labs from the same seed, the generator stepped with plain SGD (Adam would rescale
# the tiny saturating gradient and hide the effect: try it). We follow the mean of $G(z)$;
# the data's mean is 4.

# %%
iterations = 300 if QUICK else 1000
curves = {}
for saturating in (True, False):
    lab = make_lab(saturating)
    means = []
    for _ in range(iterations // 10):
        lab.run(10)
        means.append(float(lab.fakes().mean()))
    curves["saturating" if saturating else "non-saturating"] = means
    print(f"{'saturating' if saturating else 'non-saturating':>15}: mean G(z) after {iterations} iterations "
          f"= {means[-1]:.2f}")
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, means in curves.items():
    ax.plot([10 * (i + 1) for i in range(len(means))], means, color="tab:red" if name == "saturating" else "black",
            label=name)
ax.axhline(4, color="tab:green", ls="--", label="data mean")
ax.set_xlabel("iteration (1 D step + 1 G step)")
ax.set_ylabel("mean of G(z)")
ax.legend(fontsize=8)
show(fig)

# %% [markdown]
# ## And in 2D
#
# The ring of eight Gaussians, after a few D steps: the same picture, arrows in the plane.

# %%
ring = Lab(lambda n: data.ring_of_gaussians(n), modes=data.ring_modes(), batch_size=128, seed=2)
for _ in range(100):
    ring.d_step()
show(ring.draw(arrows="both"))

# %% [markdown]
# ## What to try next
#
# * Give both labs Adam for G (delete the `opt_G = optim.SGD(...)` line): does the saturating one still stall? Why not?
# * Train D for 1000 steps first: how short do the red arrows get?
# * Derive $\partial L_G/\partial a$ for the least-squares loss (`minigan.gan.g_loss_least_squares`) and add its curve.
# * Read [The generator's loss](../docs/generator_loss.md); next:
#   [mode collapse on the 2D toys](05_mode_collapse_on_2d_toys.ipynb).
