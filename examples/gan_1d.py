r"""Figure 1 of Goodfellow et al. (2014), made live: a GAN learning a 1D Gaussian.

The paper's figure shows, on one axis, the data density p_data (black, dotted),
the generator's density p_g (green) and the discriminator D(x) (blue, dashed);
below, the line z is sampled from and arrows x = G(z). As training goes on,
p_g moves onto p_data and D, which can no longer tell them apart, flattens to

    D*(x) = p_data(x) / (p_data(x) + p_g(x)) = 1/2      where p_g = p_data.

Here p_data = N(4, 0.5^2) (minigan.data.gaussian_1d), z ~ U(-1, 1), and both
players are small MLPs trained by Algorithm 1 with the non-saturating generator
loss: k = 5 discriminator steps per generator step, so that D stays close to
D* (the figure's panel (b)), and learning rates that decay linearly to 0, so
that the game settles instead of jittering (Adam moves the weights by about lr
per step even when the gradients are only sampling noise). With k = 1 and a
constant rate D goes flat long before p_g is right: D(x) ~ 1/2 alone does not
prove p_g = p_data, it can also mean a discriminator that stopped learning
(try --k 1 and compare p_g's std with the data's).

Where p_g puts no mass, D* = 1: G maps the bounded interval (-1, 1) onto a
bounded interval, so the data's far tails stay uncovered and D rises to 1
there. That is why D flattens to 1/2 closely within one std of the mean but
less so at two std, where p_g's tails are thinner (the run prints both).

p_g is drawn as a Gaussian kernel density estimate of G's samples,

    p_g(x) ~ (1/n) sum_i N(x; G(z_i), h^2),   h = 1.06 std(G(z)) n^(-1/5)   (Silverman's rule).

    python examples/gan_1d.py                 # seconds (wall time: docs/results.md)
    python examples/gan_1d.py --steps 6000 --frames 60

It writes frames/step_XXXXX.png (one per snapshot), gan_1d.gif (all of them,
animated), figure1.png (four snapshots side by side, like the paper's (a)-(d))
and training.png into --out (no checkpoint: the run takes seconds), and reports how flat D is over the bulk of the
data (max |D(x) - 1/2| for x in mean +- 2 std, and +- 1 std) and how far p_g's
mean and std are from p_data's. Those printed numbers are one draw: the results
page runs the default on one held-out seed for its pictures and wall time only.
    (numbers: docs/results.md#the-other-examples-wall-time-for-a-lab-one-seed)
"""

import argparse
import math
import os

from tqdm import tqdm

import minigan as mg
from minigan import nn, optim
from minigan.data import gaussian_1d
from minigan.gan import d_loss_minimax, g_loss
from minigan.gan.guards import add_run_flags, check_finite, check_flags, run_script
from minigan.viz import plot_history, pyplot, save_animation

DATA_MEAN, DATA_STD = 4.0, 0.5
X_RANGE = (0.0, 7.0)      # the part of the x axis that is drawn
ARROWS = 21               # z values whose arrow z -> G(z) is drawn, evenly spaced in (-1, 1)


def build_generator(hidden=32):
    """G: z in (-1, 1) -> x in R. It must learn the inverse CDF of p_data, a nonlinear map."""
    return nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))


def build_discriminator(hidden=32):
    """D: x -> one logit a; D(x) = sigmoid(a)."""
    return nn.Sequential(
        nn.Linear(1, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)
    )


def sample_z(n):
    """z ~ U(-1, 1), shape (n, 1): the noise of the figure's lower line."""
    return 2 * mg.rand(n, 1) - 1


def linspace(low, high, n):
    """n evenly spaced float32 numbers from low to high, both included, as a 1D Tensor."""
    step = (high - low) / (n - 1)
    return mg.tensor([low + i * step for i in range(n - 1)] + [high], dtype="float32")


def kde(samples, grid):
    """Gaussian kernel density estimate of 1D ``samples`` on ``grid`` (Silverman's bandwidth), host arrays."""
    n = samples.shape[0]
    h = max(1.06 * float(samples.std()) * n ** (-0.2), 1e-3)
    u = mg.tensor((grid[:, None] - samples[None, :]) / h)
    return (mg.exp(-0.5 * u * u).sum(axis=1) / (n * h * math.sqrt(2 * math.pi))).numpy()


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=3000, help="generator steps, --k D steps each (default 3000)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate for D and G, decayed linearly to 0")
    p.add_argument("--k", type=int, default=5, help="discriminator steps per generator step (Algorithm 1's k)")
    p.add_argument("--hidden", type=int, default=32, help="width of the hidden layers")
    p.add_argument("--frames", type=int, default=30, help="snapshots drawn (denser early in training)")
    p.add_argument("--fps", type=int, default=6, help="frames per second of the GIF")
    add_run_flags(p, "runs/gan_1d")              # a short run: no checkpoints
    return p.parse_args(argv)


def snapshot(G, D, step, grid, z_arrows, z_eval):
    """What the figure needs at this step: D(x) on the grid, p_g as a KDE, and the arrows z -> G(z).

    ``z_eval`` is noise drawn once, so drawing a snapshot takes nothing from the
    random stream of training: the run is the same whatever --frames is.
    """
    with mg.no_grad():                           # (host arrays from here on: what matplotlib draws)
        d_of_x = mg.sigmoid(D(mg.tensor(grid[:, None]))).numpy()[:, 0]    # D(x) = sigmoid(logit)
        samples = G(z_eval).numpy()[:, 0]                                   # x = G(z), z ~ U(-1, 1)
        arrows = G(mg.tensor(z_arrows[:, None])).numpy()[:, 0]
    bulk = abs(grid - DATA_MEAN) <= 2 * DATA_STD                        # the data's bulk: mean +- 2 std
    core = abs(grid - DATA_MEAN) <= DATA_STD                            # and its core: mean +- 1 std
    return {
        "step": step, "D": d_of_x, "p_g": kde(samples, grid), "arrows": arrows,
        "max |D(x) - 1/2|": float(abs(d_of_x[bulk] - 0.5).max()),
        "max |D(x) - 1/2| core": float(abs(d_of_x[core] - 0.5).max()),
        "mean": float(samples.mean()), "std": float(samples.std()),
    }


def draw(ax, snap, grid, p_data, z_arrows, label=None):
    """One panel of Figure 1: p_data, p_g and D(x) above; z -> x = G(z) arrows below."""
    x = grid
    ax.plot(x, p_data, ":", color="black", lw=2, label="p_data")
    ax.plot(x, snap["p_g"], "-", color="tab:green", lw=1.8, label="p_g")
    ax.plot(x, snap["D"], "--", color="tab:blue", lw=1.6, label="D(x)")
    ax.axhline(0.5, color="tab:blue", lw=0.6, alpha=0.4)
    low, high = X_RANGE
    z_line, x_line = -0.42, -0.12
    ax.hlines([z_line, x_line], low, high, color="black", lw=0.8)
    z_drawn = low + (z_arrows + 1) / 2 * (high - low)          # z in (-1, 1), spread over the axis to draw it
    for z0, x0 in zip(z_drawn, snap["arrows"]):
        ax.annotate("", xy=(min(max(x0, low), high), x_line), xytext=(z0, z_line),
                    arrowprops={"arrowstyle": "->", "lw": 0.6, "color": "0.35"})
    ax.text(low, z_line - 0.04, "z", va="top", fontsize=8)
    ax.text(low, x_line + 0.02, "x", va="bottom", fontsize=8)
    ax.set_xlim(low, high)
    ax.set_ylim(-0.5, max(1.05, float(p_data.max()) * 1.05))
    ax.set_yticks([0, 0.5, 1.0])
    ax.tick_params(labelsize=7)
    title = f"step {snap['step']}:  max |D - 1/2| on the bulk = {snap['max |D(x) - 1/2|']:.2f}"
    ax.set_title(f"({label}) {title}" if label else title, fontsize=8)


def main(argv=None):
    args = parse_args(argv)
    check_flags(args)                            # every flag, before any training (a short run: no checkpoints)
    mg.manual_seed(args.seed)
    G, D = build_generator(args.hidden), build_discriminator(args.hidden)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))

    grid = linspace(*X_RANGE, 400)
    p_data = (mg.exp(-0.5 * ((grid - DATA_MEAN) / DATA_STD) ** 2) / (DATA_STD * math.sqrt(2 * math.pi))).numpy()
    grid, z_arrows = grid.numpy(), linspace(-1, 1, ARROWS + 2).numpy()[1:-1]   # host arrays, for the pictures
    # snapshots at t_k = T (k / (F - 1))^2: denser early, where p_g moves fast
    snap_steps = sorted({round(args.steps * (k / (args.frames - 1)) ** 2) for k in range(args.frames)})
    z_eval = sample_z(5000)
    snaps = [snapshot(G, D, 0, grid, z_arrows, z_eval)]

    history = {name: [] for name in ("loss_D", "loss_G", "D(x)", "D(G(z))")}
    for step in tqdm(range(1, args.steps + 1), disable=args.quiet, unit="step"):
        opt_D.lr = opt_G.lr = args.lr * (1 - (step - 1) / args.steps)   # linear decay: lr_t = lr (1 - t/T)
        # ---- 1. the discriminator: k steps of descending L_D = -[log D(x) + log(1 - D(G(z)))]
        for _ in range(args.k):
            x = mg.tensor(gaussian_1d(args.batch_size, DATA_MEAN, DATA_STD))    # x ~ p_data
            fake = G(sample_z(args.batch_size)).detach()                        # x = G(z), z ~ U(-1, 1)
            real_logits, fake_logits = D(x), D(fake)
            loss_D = d_loss_minimax(real_logits, fake_logits)
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()

        # ---- 2. the generator: descend L_G = -log D(G(z)) with D frozen
        D.requires_grad_(False)
        loss_G = g_loss(D(G(sample_z(args.batch_size))))
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        D.requires_grad_(True)

        history["loss_D"].append(check_finite(loss_D, "Loss_D", step))
        history["loss_G"].append(check_finite(loss_G, "Loss_G", step))
        history["D(x)"].append(mg.sigmoid(real_logits).mean().item())
        history["D(G(z))"].append(mg.sigmoid(fake_logits).mean().item())
        if step in snap_steps:
            snaps.append(snapshot(G, D, step, grid, z_arrows, z_eval))

    # ---- pictures: every snapshot as a PNG and a GIF frame, four of them as the paper's (a)-(d)
    os.makedirs(os.path.join(args.out, "frames"), exist_ok=True)
    pictures = []

    def frame(fig, i):
        ax = fig.add_subplot(1, 1, 1)
        draw(ax, snaps[i], grid, p_data, z_arrows)
        ax.legend(loc="upper left", fontsize=7)
        fig.tight_layout()
        path = os.path.join(args.out, "frames", f"step_{snaps[i]['step']:05d}.png")
        fig.savefig(path, dpi=90)
        pictures.append(path)

    gif = save_animation(frame, len(snaps), os.path.join(args.out, "gan_1d.gif"), fps=args.fps)
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.4))
    chosen = [snaps[round(q * (len(snaps) - 1))] for q in (0.05, 0.2, 0.5, 1.0)]
    for ax, snap, label in zip(axes, chosen, "abcd"):
        draw(ax, snap, grid, p_data, z_arrows, label)
    axes[0].legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    figure1 = os.path.join(args.out, "figure1.png")
    fig.savefig(figure1, dpi=100)
    plt.close(fig)
    training = plot_history(history, os.path.join(args.out, "training.png"), title="GAN on N(4, 0.5^2)")
    history["snapshot steps"] = [s["step"] for s in snaps]
    history["max |D(x) - 1/2| on the bulk"] = [s["max |D(x) - 1/2|"] for s in snaps]
    pictures = [figure1, gif, training] + pictures

    last = snaps[-1]
    metrics = {
        "max |D(x) - 1/2| on the bulk": last["max |D(x) - 1/2|"],
        "max |D(x) - 1/2| on mean +- 1 std": last["max |D(x) - 1/2| core"],
        "peak max |D(x) - 1/2| during training": max(s["max |D(x) - 1/2|"] for s in snaps),
        "|mean(p_g) - mean(p_data)|": abs(last["mean"] - DATA_MEAN),
        "|std(p_g) - std(p_data)|": abs(last["std"] - DATA_STD),
        "mean(p_g)": last["mean"],
        "std(p_g)": last["std"],
    }
    print(f"done: {args.steps} steps; max |D(x) - 1/2| over mean +- 2 std {last['max |D(x) - 1/2|']:.3f}, "
          f"over mean +- 1 std {last['max |D(x) - 1/2| core']:.3f} "
          f"(peak during training {metrics['peak max |D(x) - 1/2| during training']:.3f})")
    print(f"p_g: mean {last['mean']:.3f}, std {last['std']:.3f}; p_data: {DATA_MEAN}, {DATA_STD}; "
          f"pictures in {args.out}/")
    return {"metrics": metrics, "pictures": pictures, "history": history}


if __name__ == "__main__":
    run_script(main, timed=True)
