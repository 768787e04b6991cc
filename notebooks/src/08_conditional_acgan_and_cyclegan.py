# %% [markdown]
# # Lesson 8 — Conditional GAN, ACGAN and CycleGAN, in brief
#
# Three ways to tell a GAN *what* to generate, each on the 2D ring so that a run takes seconds:
#
# * the **conditional GAN** (Mirza and Osindero 2014, [arXiv:1411.1784](https://arxiv.org/abs/1411.1784)):
#   give the label $y$ to both players, $G(z, y)$ and $D(x, y)$;
# * **ACGAN** (Odena, Olah and Shlens 2017, [arXiv:1610.09585](https://arxiv.org/abs/1610.09585)): D gets only $x$
#   and must also *say* the class, with an auxiliary classifier head;
# * **CycleGAN** (Zhu et al. 2017, [arXiv:1703.10593](https://arxiv.org/abs/1703.10593)): no labels and no pairs,
#   two maps $G: X \to Y$, $F: Y \to X$ kept honest by the cycle $F(G(x)) \approx x$.
#
# Rests on: [Conditional GANs](../docs/conditional_gans.md), [CycleGAN](../docs/cyclegan.md).

# %%
import os

import numpy as np  # host-side bookkeeping for the pictures

import minigan as mg
from minigan import data, nn, optim, viz
from minigan.gan import (
    auxiliary_classifier_loss,
    cycle_consistency_loss,
    d_loss_least_squares,
    d_loss_minimax,
    g_loss,
    g_loss_least_squares,
)
from minigan.lab import show

QUICK = os.environ.get("MINIGAN_QUICK") == "1"
plt = viz.pyplot()
mg.manual_seed(0)
K = 8
MODES = mg.tensor(data.ring_modes(K))
EYE = mg.tensor(np.eye(K, dtype="float32"))


def labelled_ring(n):
    """n samples of the ring and the index of the mode each came from: x = mu_k + 0.05 z."""
    k = mg.randint(0, K, (n,)).numpy()
    return MODES[k] + 0.05 * mg.randn(n, 2), k


def mlp(n_in, n_out, width=64):
    return nn.Sequential(nn.Linear(n_in, width), nn.LeakyReLU(0.2), nn.Linear(width, width), nn.LeakyReLU(0.2),
                         nn.Linear(width, n_out))

# %% [markdown]
# ## The conditional GAN: the label goes in as a one-hot vector
#
# $\min_G\max_D\ \mathbb{E}[\log D(x \mid y)] + \mathbb{E}[\log(1 - D(G(z \mid y) \mid y))]$: the same losses,
# each network fed `mg.cat([input, one_hot(y)], axis=1)`. D now rejects a fake that is on the ring
# but at the wrong mode for its label.

# %%
G = mlp(2 + K, 2)
D = mlp(2 + K, 1)
opt_G = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
opt_D = optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
steps, batch = (200, 128) if QUICK else (400, 256)
for _ in range(steps):
    x, k = labelled_ring(batch)
    y = EYE[k]
    with mg.no_grad():  # D's step: no graph into G
        fake = G(mg.cat([mg.randn(batch, 2), y], axis=1))
    loss_D = d_loss_minimax(D(mg.cat([x, y], axis=1)), D(mg.cat([fake, y], axis=1)))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    D.requires_grad_(False)
    k = mg.randint(0, K, (batch,)).numpy()
    loss_G = g_loss(D(mg.cat([G(mg.cat([mg.randn(batch, 2), EYE[k]], axis=1)), EYE[k]], axis=1)))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    D.requires_grad_(True)

fig, ax = plt.subplots(figsize=(4.6, 4.6))
hits = []
for c in range(K):
    with mg.no_grad():
        out = G(mg.cat([mg.randn(200, 2), EYE[[c] * 200]], axis=1)).numpy()
    nearest = ((out[:, None, :] - MODES.numpy()[None]) ** 2).sum(axis=2).argmin(axis=1)
    hits.append(float((nearest == c).mean()))
    ax.scatter(out[:, 0], out[:, 1], s=3, label=f"y = {c}")
ax.scatter(MODES.numpy()[:, 0], MODES.numpy()[:, 1], marker="x", color="black")
ax.set_aspect("equal")
ax.legend(fontsize=6, markerscale=3)
ax.set_title(f"cGAN after {steps} steps: G(z | y), one colour per y", fontsize=9)
show(fig)
print("fraction of G(z | y) nearest to mode y, per class:", [round(h, 2) for h in hits])

# %% [markdown]
# ## ACGAN: D says the class, and its gradient is softmax minus one-hot
#
# D has two heads: a source logit (real or fake) and $K$ class scores $s$. Both players minimise the
# auxiliary loss $L_C = -\mathbb{E}\log P(C = c \mid x) = -\frac1N\sum_n \mathrm{log\_softmax}(s_n)_{c_n}$, whose
# gradient at the scores is
#
# $$\frac{\partial L_C}{\partial s_{nk}} = \frac{\mathrm{softmax}(s_n)_k - [k = c_n]}{N}.$$

# %%
scores = mg.randn(6, K, dtype="float64", requires_grad=True)
labels = mg.randint(0, K, (6,))
(grad_s,) = mg.grad(auxiliary_classifier_loss(scores, labels), [scores])
s = scores.numpy()
softmax = np.exp(s - s.max(axis=1, keepdims=True))
softmax /= softmax.sum(axis=1, keepdims=True)
by_hand = (softmax - np.eye(K)[labels.numpy()]) / 6
print("largest difference from (softmax - one_hot) / N:", np.abs(grad_s.numpy() - by_hand).max())
assert np.allclose(grad_s.numpy(), by_hand, atol=1e-12)
print("and gradcheck:", mg.gradcheck(lambda t: auxiliary_classifier_loss(t, labels), [scores]))

# %% [markdown]
# A short ACGAN run on the ring: D's trunk is shared by a 1-unit source head and a $K$-unit class head.

# %%
trunk, source, classes = mlp(2, 64), nn.Linear(64, 1), nn.Linear(64, K)
params_D = [*trunk.parameters(), *source.parameters(), *classes.parameters()]
G2 = mlp(2 + K, 2)
opt_G2 = optim.Adam(G2.parameters(), lr=1e-3, betas=(0.5, 0.999))
opt_D2 = optim.Adam(params_D, lr=1e-3, betas=(0.5, 0.999))
for _ in range(steps):
    x, k = labelled_ring(batch)
    kf = mg.randint(0, K, (batch,)).numpy()
    fake = G2(mg.cat([mg.randn(batch, 2), EYE[kf]], axis=1))
    h_real, h_fake = mg.leaky_relu(trunk(x), 0.2), mg.leaky_relu(trunk(fake.detach()), 0.2)
    loss_D = (d_loss_minimax(source(h_real), source(h_fake))
              + auxiliary_classifier_loss(classes(h_real), k) + auxiliary_classifier_loss(classes(h_fake), kf))
    opt_D2.zero_grad()
    loss_D.backward()
    opt_D2.step()
    h = mg.leaky_relu(trunk(fake), 0.2)
    loss_G = g_loss(source(h)) + auxiliary_classifier_loss(classes(h), kf)
    opt_G2.zero_grad()
    loss_G.backward()  # D's weights get a .grad here too, but only opt_G2 steps; opt_D2 zeroes them first
    opt_G2.step()
with mg.no_grad():
    out = G2(mg.cat([mg.randn(800, 2), EYE[[c for c in range(K) for _ in range(100)]]], axis=1)).numpy()
nearest = ((out[:, None, :] - MODES.numpy()[None]) ** 2).sum(axis=2).argmin(axis=1)
asked = np.repeat(np.arange(K), 100)
print("ACGAN: fraction of G(z, c) nearest to mode c:", round(float((nearest == asked).mean()), 2))

# %% [markdown]
# ## CycleGAN: translation without pairs
#
# Domain $X$: the ring. Domain $Y$: the same ring turned by 22.5° and stretched 1.5 times. No sample of $X$ is
# paired with one of $Y$. Two maps and two least-squares critics, and the cycle loss
# $\lambda\,\mathbb{E}\|F(G(x)) - x\|_1 + \lambda\,\mathbb{E}\|G(F(y)) - y\|_1$ that forbids $G$ from sending every
# $x$ to the same good-looking $y$.

# %%
angle = np.pi / 8
turn = mg.tensor((1.5 * np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])).astype("float32"))


def sample_y(n):
    return labelled_ring(n)[0] @ turn


G_xy, F_yx, D_x, D_y = mlp(2, 2, 32), mlp(2, 2, 32), mlp(2, 1, 32), mlp(2, 1, 32)
opt_maps = optim.Adam([*G_xy.parameters(), *F_yx.parameters()], lr=1e-3, betas=(0.5, 0.999))
opt_critics = optim.Adam([*D_x.parameters(), *D_y.parameters()], lr=1e-3, betas=(0.5, 0.999))
cycle_steps = 200 if QUICK else 400
for _ in range(cycle_steps):
    x, y = labelled_ring(batch)[0], sample_y(batch)
    fake_y, fake_x = G_xy(x), F_yx(y)
    D_x.requires_grad_(False)
    D_y.requires_grad_(False)
    loss_maps = (g_loss_least_squares(D_y(fake_y)) + g_loss_least_squares(D_x(fake_x))
                 + cycle_consistency_loss(x, F_yx(fake_y)) + cycle_consistency_loss(y, G_xy(fake_x)))
    opt_maps.zero_grad()
    loss_maps.backward()
    opt_maps.step()
    D_x.requires_grad_(True)
    D_y.requires_grad_(True)
    loss_critics = (d_loss_least_squares(D_y(y), D_y(fake_y.detach()))
                    + d_loss_least_squares(D_x(x), D_x(fake_x.detach())))
    opt_critics.zero_grad()
    loss_critics.backward()
    opt_critics.step()

x, k = labelled_ring(400)
with mg.no_grad():
    gx = G_xy(x)
    back = F_yx(gx)
fig, ax = plt.subplots(figsize=(4.8, 4.8))
ax.scatter(*x.numpy().T, s=3, c=k, cmap="tab10", label="x (colour: its mode)")
ax.scatter(*sample_y(400).numpy().T, s=3, color="lightgrey", label="samples of Y")
ax.scatter(*gx.numpy().T, s=6, c=k, cmap="tab10", marker="^", label="G(x)")
ax.set_aspect("equal")
ax.legend(fontsize=6, markerscale=2)
ax.set_title(f"CycleGAN after {cycle_steps} steps: X -> Y", fontsize=9)
show(fig)
print(f"cycle error mean |F(G(x)) - x| = {float(np.abs(back.numpy() - x.numpy()).mean()):.3f}")

# %% [markdown]
# ## What to try next
#
# * Drop the cycle loss from `loss_maps`: does $G$ still send each mode of $X$ to one mode of $Y$,
#   or do modes swap and merge?
# * In the cGAN, give $D$ no label (only $G$ gets it): which class does $G(z \mid y)$ draw now?
# * The digit versions: [`examples/cgan.py`](../examples/cgan.py), [`examples/acgan.py`](../examples/acgan.py),
#   [`examples/cyclegan.py`](../examples/cyclegan.py); their pictures and wall time, one held-out seed each, are in
#   [the measured results](../docs/results.md#the-other-examples-wall-time-for-a-lab-one-seed) (one draw: their printed
#   numbers are not results).
# * Read [Conditional GANs](../docs/conditional_gans.md) and [CycleGAN](../docs/cyclegan.md); then go back to
#   [lesson 1](01_autograd_and_gradcheck.ipynb) and write your own op.
