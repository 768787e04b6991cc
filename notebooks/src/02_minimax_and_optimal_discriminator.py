# %% [markdown]
# # Lesson 2 — The minimax game and the optimal discriminator D*
#
# Goodfellow et al. (2014, [arXiv:1406.2661](https://arxiv.org/abs/1406.2661)) write the GAN as a game
#
# $$\min_G \max_D V(D, G) = \mathbb{E}_{x\sim p_{data}}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))].$$
#
# For a fixed generator the best discriminator is
# $D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$, and at it
# $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p_{data} \| p_g)$. This lesson trains a
# discriminator against a *fixed* generator in 1D and compares it with $D^*$,
# which we can write down because both densities are known.
#
# Rests on: [The minimax game](../docs/minimax_game.md),
# [The optimal discriminator](../docs/optimal_discriminator.md),
# [Binary cross-entropy](../docs/bce.md).

# %%
import math
import os

import minigan as mg
from minigan import data, nn, optim, viz
from minigan.gan import d_loss_minimax
from minigan.lab import show

QUICK = os.environ.get("MINIGAN_QUICK") == "1"
plt = viz.pyplot()
mg.manual_seed(0)

# %% [markdown]
# ## Two densities
#
# Real data $p_{data} = \mathcal N(4, 0.5^2)$ (`data.gaussian_1d`); the "generator" is
# fixed: $G(z) = 3 + z$, $z \sim \mathcal N(0, 1)$, so $p_g = \mathcal N(3, 1)$.

# %%
def normal_pdf(x, mean, std):
    return math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def p_data(x):
    return normal_pdf(x, 4.0, 0.5)


def p_g(x):
    return normal_pdf(x, 3.0, 1.0)


def d_star(x):
    return p_data(x) / (p_data(x) + p_g(x))


def sample_fake(n):
    return 3.0 + mg.randn(n, 1)

# %% [markdown]
# ## The discriminator's loss is $-V$
#
# D *maximises* $V$, so it descends $L_D = -V$ (the notes that write $L_D = V$ drop
# this sign; see [the minimax page](../docs/minimax_game.md#from-value-to-loss-the-sign)).
# With logits $a$ and $D = \sigma(a)$: $L_D = -\mathrm{mean}\log\sigma(a_r) - \mathrm{mean}\log\sigma(-a_f)$,
# the binary cross-entropy with target 1 for real and 0 for fake.

# %%
D = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
opt = optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
steps = 1200 if QUICK else 2000
losses = []
for _ in range(steps):
    x = mg.tensor(data.gaussian_1d(256))
    loss = d_loss_minimax(D(x), D(sample_fake(256)))
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(f"L_D after {steps} steps: {sum(losses[-50:]) / 50:.4f}")

# %% [markdown]
# ## The trained D against D*
#
# Where both densities have mass, the trained $D$ should lie on $D^*$. Far out in
# the tails there are no samples, and $D$ is whatever its weights extrapolate to.

# %%
xs = [-1 + 8 * i / 399 for i in range(400)]
with mg.no_grad():
    d_trained = mg.sigmoid(D(mg.tensor([[v] for v in xs]))).numpy().ravel().tolist()
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
ax.plot(xs, [p_data(v) for v in xs], color="tab:green", label="p_data = N(4, 0.5²)")
ax.plot(xs, [p_g(v) for v in xs], color="tab:purple", label="p_g = N(3, 1)")
ax.plot(xs, [d_star(v) for v in xs], "k--", label="D* = p_data / (p_data + p_g)")
ax.plot(xs, d_trained, color="tab:red", label=f"trained D ({steps} steps)")
ax.axhline(0.5, color="grey", lw=0.5)
ax.legend(fontsize=7)
ax.set_title("the discriminator learns D*")
ax2.plot(losses, lw=0.5)

ax2.set_title("L_D during training")
show(fig)

# %% [markdown]
# ## The value at the optimum: $-\log 4 + 2\,\mathrm{JSD}$
#
# Integrate on a fine grid: $V(D^*, G) = \int p_{data}\log D^* + p_g \log(1 - D^*)$, and
# $\mathrm{JSD} = \tfrac12 \mathrm{KL}(p_{data}\|m) + \tfrac12\mathrm{KL}(p_g\|m)$ with $m = (p_{data} + p_g)/2$.
# The trained $D$'s value, estimated on fresh samples, is at most $V(D^*, G)$ (D* is the maximiser),
# so its loss $-V$ is at least $-V(D^*, G)$.

# %%
grid = [-6 + 16 * i / 20000 for i in range(20001)]
dx = grid[1] - grid[0]
v_star = sum(p_data(x) * math.log(d_star(x)) + p_g(x) * math.log(1 - d_star(x)) for x in grid) * dx
m = [(p_data(x) + p_g(x)) / 2 for x in grid]
jsd = 0.5 * sum(p_data(x) * math.log(p_data(x) / mi) + p_g(x) * math.log(p_g(x) / mi)
                for x, mi in zip(grid, m) if p_data(x) > 0 and p_g(x) > 0) * dx
with mg.no_grad():
    n = 20000
    v_trained = -d_loss_minimax(D(mg.tensor(data.gaussian_1d(n))), D(sample_fake(n))).item()
print(f"V(D*, G)           = {v_star:.4f}")
print(f"-log 4 + 2 JSD     = {-math.log(4) + 2 * jsd:.4f}   (JSD = {jsd:.4f} nats)")
print(f"V(trained D, G)    = {v_trained:.4f}   (a sample estimate; at most V(D*, G) up to sampling noise)")
assert abs(v_star - (-math.log(4) + 2 * jsd)) < 1e-6

# %% [markdown]
# ## At equilibrium, D = 1/2
#
# If $p_g = p_{data}$ then $D^* = 1/2$ everywhere, $\mathrm{JSD} = 0$ and $V = -\log 4 \approx -1.386$:
# the discriminator cannot do better than a coin. Train the same D against a generator that
# *is* the data distribution.

# %%
D2 = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
opt2 = optim.Adam(D2.parameters(), lr=2e-3, betas=(0.5, 0.999))
for _ in range(steps // 2):
    loss = d_loss_minimax(D2(mg.tensor(data.gaussian_1d(256))), D2(mg.tensor(data.gaussian_1d(256))))
    opt2.zero_grad()
    loss.backward()
    opt2.step()
with mg.no_grad():
    d_eq = mg.sigmoid(D2(mg.tensor([[v] for v in (3.0, 3.5, 4.0, 4.5, 5.0)]))).numpy().ravel()
print("D(x) at x = 3, 3.5, 4, 4.5, 5:", [round(float(v), 3) for v in d_eq])
print(f"L_D = {loss.item():.4f}  vs  log 4 = {math.log(4):.4f}")

# %% [markdown]
# ## What to try next
#
# * Move $p_g$ far away (`sample_fake` with mean -3): $D^*$ becomes a step, the JSD saturates at $\log 2$,
#   and (lesson 4) the saturating generator loss stops giving gradients.
# * Make D smaller (one hidden unit): how far from $D^*$ does it stay?
# * Read [The optimal discriminator](../docs/optimal_discriminator.md), then lesson 3:
#   [one iteration of the vanilla GAN](03_one_iteration_of_the_vanilla_gan.ipynb).
