"""Draw the figures of docs/ into docs/img/, computing what they show with minigan itself.

    python scripts/make_doc_figures.py          # about 20 seconds on a laptop CPU

Run it from the repository root with minigan importable (``pip install -e .``).

* generator_loss_gradients.png (docs/generator_loss.md): the saturating and
  non-saturating generator losses, their gradients with respect to D's logit
  (by minigan's autograd), and a 1-D GAN trained with each;
* optimal_discriminator.png (docs/optimal_discriminator.md): a discriminator
  trained with minigan against a fixed p_g, beside D* = p_data / (p_data + p_g),
  and the same at p_g = p_data, where D* = 1/2;
* jsd_vs_wasserstein.png (docs/wgan.md): as two narrow distributions move
  apart, the Jensen-Shannon divergence saturates at log 2 while the
  Wasserstein-1 distance keeps growing.

Everything is seeded: running the script again redraws the same pictures.
"""

import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigan as mg  # noqa: E402
from minigan import nn, optim  # noqa: E402
from minigan.gan import d_loss_minimax, g_loss  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs", "img")
SAT, NON_SAT = "#d62728", "#1f77b4"


def normal_pdf(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def trapezoid(y, x):
    """The trapezoid rule (numpy renamed np.trapz to np.trapezoid in 2.0, so it is written out)."""
    return float(((y[1:] + y[:-1]) * np.diff(x)).sum() / 2)


def logit_gradient(a, saturating):
    """dL_G/da for each logit, by minigan's autograd (times N: g_loss averages over the batch)."""
    logits = mg.tensor(a, requires_grad=True, dtype="float64")
    (g,) = mg.grad(g_loss(logits, saturating=saturating), [logits])
    return g.numpy() * len(a)


def discriminator():
    return nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))


def train_1d_gan(saturating, mu0=5.0, head_start=300, steps=1000, seed=0):
    """p_data = N(0, 1), G(z) = mu + z. D trains alone for ``head_start`` steps (it wins), then both alternate.

    Returns the generator's mean mu after every step.
    """
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = discriminator()
    mu = mg.tensor(np.array([mu0], dtype="float32"), requires_grad=True)
    opt_d = optim.Adam(D.parameters(), lr=5e-3, betas=(0.5, 0.999))
    opt_g = optim.SGD([mu], lr=0.05)
    history = []
    for step in range(steps):
        x = mg.tensor(rng.normal(0, 1, (128, 1)).astype("float32"))
        z = mg.tensor(rng.normal(0, 1, (128, 1)).astype("float32"))
        loss_d = d_loss_minimax(D(x), D((mu + z).detach()))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        if step >= head_start:
            D.requires_grad_(False)
            loss_g = g_loss(D(mu + z), saturating=saturating)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            D.requires_grad_(True)
        history.append(float(mu.data[0]))
    return np.array(history)


def generator_loss_figure(path):
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))

    d = np.linspace(1e-3, 1 - 1e-3, 500)
    ax = axes[0]
    ax.plot(d, np.log(1 - d), color=SAT, label=r"saturating: $\log(1 - D(G(z)))$")
    ax.plot(d, -np.log(d), color=NON_SAT, label=r"non-saturating: $-\log D(G(z))$")
    ax.axvspan(0, 0.1, color="0.9")
    ax.text(0.015, -4.6, "early training:\nD rejects the fakes", fontsize=9)
    ax.set(xlabel=r"$D(G(z))$", ylabel="generator loss (minimised)", ylim=(-5, 5),
           title="(a) two losses, one fixed point")
    ax.legend(loc="upper right", fontsize=9)

    a = np.linspace(-12, 6, 400)
    d = 1 / (1 + np.exp(-a))
    ax = axes[1]
    ax.loglog(d, np.abs(logit_gradient(a, True)), color=SAT, label=r"saturating: $|-\sigma(a)|$")
    ax.loglog(d, np.abs(logit_gradient(a, False)), color=NON_SAT, label=r"non-saturating: $|-(1-\sigma(a))|$")
    ax.axvspan(d[0], 0.1, color="0.9")
    ax.set(xlabel=r"$D(G(z)) = \sigma(a)$", ylabel=r"$|\partial L_G / \partial a|$ (minigan autograd)",
           title="(b) gradient with respect to the logit", ylim=(1e-6, 2))
    ax.legend(loc="lower right", fontsize=9)

    ax = axes[2]
    head_start = 300
    for saturating, color, label in ((True, SAT, "saturating"), (False, NON_SAT, "non-saturating")):
        mu = train_1d_gan(saturating, head_start=head_start)
        ax.plot(np.arange(len(mu)) - head_start, mu, color=color, label=label)
    ax.axhline(0, color="0.5", lw=0.8, ls="--")
    ax.set(xlabel="generator steps (after D's 300-step head start)", ylabel=r"mean of $G(z) = \mu + z$",
           title=r"(c) 1-D GAN, $p_{data} = \mathcal{N}(0, 1)$, $\mu_0 = 5$", xlim=(0, 700))
    ax.legend(fontsize=9)

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def train_discriminator(gen_mean, gen_std, steps=1500, batch=256, lr=1e-2, seed=0):
    """D (1-16-16-1 tanh MLP, Adam, cosine-decayed lr) against p_data = N(0, 1) and a fixed p_g."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = optim.Adam(D.parameters(), lr=lr)
    for step in range(steps):
        opt.lr = lr * max(0.5 * (1 + math.cos(math.pi * step / steps)), 0.01)
        real = mg.tensor(rng.normal(0, 1, (batch, 1)).astype("float32"))
        fake = mg.tensor(rng.normal(gen_mean, gen_std, (batch, 1)).astype("float32"))
        loss = d_loss_minimax(D(real), D(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return D


def optimal_discriminator_figure(path):
    x = np.linspace(-4, 6, 400)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.3), sharey=True)
    for ax, (gen_mean, gen_std), title in (
        (axes[0], (1.0, 1.5), r"(a) $p_g = \mathcal{N}(1, 1.5^2)$, G fixed"),
        (axes[1], (0.0, 1.0), r"(b) equilibrium: $p_g = p_{data}$"),
    ):
        p_data, p_g = normal_pdf(x, 0, 1), normal_pdf(x, gen_mean, gen_std)
        D = train_discriminator(gen_mean, gen_std)
        with mg.no_grad():
            d = mg.sigmoid(D(mg.tensor(x[:, None].astype("float32")))).numpy()[:, 0]
        ax.fill_between(x, p_data, color="k", alpha=0.12, label=r"$p_{data} = \mathcal{N}(0, 1)$")
        ax.plot(x, p_g, color="g", label=r"$p_g$")
        ax.plot(x, p_data / (p_data + p_g), color="k", lw=3, alpha=0.35, label=r"$D^* = p_{data}/(p_{data}+p_g)$")
        ax.plot(x, d, color=NON_SAT, ls="--", label="D trained with minigan (1,500 Adam steps)")
        ax.axvspan(-2, 3, color="y", alpha=0.07)
        ax.set(xlabel="x", title=title, ylim=(0, 1.02))
        ax.legend(fontsize=8, loc="upper right")
    axes[0].set_ylabel("density / probability 'real'")
    axes[0].text(-1.95, 0.03, "tested in [-2, 3]", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def jsd_vs_wasserstein_figure(path, std=0.3):
    x = np.linspace(-3, 10, 130_001)
    shifts = np.linspace(0, 6, 121)
    jsd = []
    for s in shifts:
        log_p = -0.5 * (x / std) ** 2
        log_q = -0.5 * ((x - s) / std) ** 2
        norm = std * math.sqrt(2 * math.pi)
        p, q = np.exp(log_p) / norm, np.exp(log_q) / norm
        log_m = np.logaddexp(log_p, log_q) - math.log(2)
        jsd.append(0.5 * trapezoid(p * (log_p - log_m), x) + 0.5 * trapezoid(q * (log_q - log_m), x))
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.plot(shifts, jsd, color=SAT, label=r"JSD$(p_{data} \| p_g)$ (flat once apart: no gradient for G)")
    ax.axhline(math.log(2), color=SAT, lw=0.8, ls=":")
    ax.text(4.1, math.log(2) + 0.06, r"$\log 2$", color=SAT)
    ax.plot(shifts, shifts, color=NON_SAT, label=r"$W_1(p_{data}, p_g) = \theta$ (slope 1 everywhere)")
    ax.set(xlabel=r"shift $\theta$: $p_{data} = \mathcal{N}(0, 0.3^2)$, $p_g = \mathcal{N}(\theta, 0.3^2)$",
           ylabel="distance", ylim=(0, 3), xlim=(0, 6), title="Why WGAN: JSD saturates, W1 does not")
    ax.legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, draw in (
        ("generator_loss_gradients.png", generator_loss_figure),
        ("optimal_discriminator.png", optimal_discriminator_figure),
        ("jsd_vs_wasserstein.png", jsd_vs_wasserstein_figure),
    ):
        path = os.path.normpath(os.path.join(OUT, name))
        draw(path)
        print("wrote", path)


if __name__ == "__main__":
    main()
