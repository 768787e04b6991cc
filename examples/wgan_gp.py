r"""WGAN-GP (Gulrajani et al., 2017): the Wasserstein GAN with a gradient penalty, on the digits and the 2D toys.

WGAN needs a 1-Lipschitz critic C. Clipping its weights (examples/wgan.py)
does that crudely; WGAN-GP instead asks for what the optimal critic has, a
gradient of norm 1 between the data and the samples, with a penalty:

    L_C = E_z[C(G(z))] - E_x[C(x)] + lambda * E_xhat[(||grad_xhat C(xhat)||_2 - 1)^2]
    xhat = eps x + (1 - eps) G(z),  eps ~ U[0, 1] per sample,  lambda = 10
    L_G = -E_z[C(G(z))]

The penalty is a function of a gradient, so its own gradient (by the critic's
weights) is a second derivative: minigan.gan.gradient_penalty takes it with
``mg.grad(..., create_graph=True)``. The penalty treats every sample on its
own, so the critic has no BatchNorm (which mixes the samples of a batch):
LayerNorm or nothing. minigan warns if it finds a BatchNorm in the critic.

The paper's settings: n_critic = 5 critic steps per generator step, Adam with
lr 1e-4 and betas (0.5, 0.9) for both.

On the 2D toys a run has two phases:

  1. --steps of WGAN-GP (or, with --loss vanilla, of the GAN loss: the baseline),
     at lr 1e-3 rather than the paper's 1e-4, which in 2000 steps left a mode
     of the ring uncovered in 1 of 5 seeds (tuning seeds 0-4, measured while
     choosing the default). The critic's gradient reaches every
     sample, so G spreads over all modes.
  2. --sharpen-steps of the non-saturating GAN loss, lr falling linearly to 0,
     with the critic going on as D (its score read as a logit). A 1-Lipschitz
     critic cannot tell a sample 0.02 from a mode from one 0.06 away (its score
     changes by at most 0.04), while D* = p_data / (p_data + p_g) changes
     sharply at the scale of the modes: phase 2 pulls the samples into them.

G is continuous and N(0, I) is connected, so G(z) leaves a trail of samples
between neighbouring modes. --codes K puts a one-hot code c ~ U{1..K} in front
of z, and each value of c can take its own island (the grid's default: 100).

    python examples/wgan_gp.py --dataset ring                  # 8 Gaussians on a circle
    python examples/wgan_gp.py --dataset grid                  # 25 Gaussians on a 5x5 grid
    python examples/wgan_gp.py --dataset ring --loss vanilla   # Goodfellow's GAN, same MLPs, same data
    python examples/wgan_gp.py --dataset grid --seeds 5        # means +- std, seeds 0-4 (tuning; --seed 1000: held-out)
    python examples/wgan_gp.py --dataset ring --sharpen-steps 0  # WGAN-GP alone
    python examples/wgan_gp.py --dataset digits                # MLPs on the bundled digits

On the toys it reports VEEGAN's numbers on 2,500 samples (modes captured, the
fraction of high-quality samples within 3 std of a mode, the reverse KL of the
mode histogram) beside the published ones, and draws the samples over the modes
(points.png). On the digits it reports what the digit classifier reads (class
coverage, class KL) and writes a sample grid. training.png shows the critic's
estimate of the Wasserstein distance, the penalty and the losses.

Measured with the defaults on held-out seeds (1000-1009 on the toys, 1000-1004
on the digits; the defaults were chosen on seeds 0-9): modes, strict modes, high
quality, reverse KL, whether every seed has every mode, and the wall time, as
means with their spread and the interval one more run should fall in; one seed's
numbers change from one CPU to another.
    (numbers: docs/results.md#the-toys-ring-8-and-grid-25)
    (numbers: docs/results.md#the-digits)
Whether the ring's and the grid's targets are met: docs/results.md#targets.

Each run writes its checkpoint into --out (checkpoint.npz; with --seeds N,
checkpoint_seed<k>.npz for each seed k). An interrupted run continues with

    python examples/wgan_gp.py --dataset ring --resume runs/wgan_gp_ring/checkpoint.npz
"""

import argparse
import math
import os
import time

from tqdm import tqdm

import minigan as mg
from minigan import nn, optim
from minigan.data import load_digits, toy_dataset
from minigan.gan import (
    d_loss_minimax,
    g_loss,
    gradient_penalty,
    sample,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from minigan.gan.checkpoint import save_checkpoint
from minigan.gan.guards import TrainingError, check_finite, check_flags, hyperparameters, resume_or_start, run_script
from minigan.metrics import REFERENCE_POINTS, digit_metrics, mode_metrics, save_samples
from minigan.viz import plot_history, plot_points_2d, save_image_grid

# the defaults of a run on each dataset (the flags override them; the toys' MLP sizes are not used on digits)
DEFAULTS = {
    "digits": dict(steps=1500, sharpen_steps=0, lr=1e-4, codes=0, batch_size=64, latent_dim=100, width=128, depth=3),
    "ring": dict(steps=2000, sharpen_steps=12000, lr=1e-3, codes=0, batch_size=256, latent_dim=2, width=128, depth=3),
    "grid": dict(steps=4000, sharpen_steps=40000, lr=1e-3, codes=100, batch_size=256, latent_dim=2, width=128, depth=3),
}
W_ESTIMATE = "W estimate: E[C(x)] - E[C(G(z))]"


# ---------------------------------------------------------------------------- the networks


def latent(n, args):
    """n latent vectors z ~ N(0, I_latent_dim); with ``--codes K``, a one-hot code c ~ U{1..K} in front.

    G is continuous, so from the connected N(0, I) it can only reach a connected
    set: between two modes it must leave a trail of samples. A discrete code
    lets each of the K values of c take its own island (DeLiGAN, Gurumurthy et
    al. 2017, and "Disconnected manifold learning", Khayatkhoei et al. 2018).
    """
    z = mg.randn(n, args.latent_dim)
    if not args.codes:
        return z
    c = mg.randint(0, args.codes, (n,))                                   # c ~ U{0 .. K-1}
    one_hot = mg.where(c.reshape(-1, 1) == mg.tensor(list(range(args.codes))).reshape(1, -1), 1.0, 0.0)
    return mg.cat([one_hot, z], axis=1)


def toy_mlp(in_size, out_size, width, depth):
    """``depth`` hidden layers of ``width`` ReLU units between in_size inputs and out_size outputs, no normalisation."""
    layers, size = [], in_size
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.ReLU()]
        size = width
    return nn.Sequential(*layers, nn.Linear(size, out_size))


def build_toy_generator(latent_dim, width, depth):
    """G: z in R^latent_dim -> a point in R^2."""
    return toy_mlp(latent_dim, 2, width, depth)


def build_toy_critic(width, depth):
    """C: a point in R^2 -> one score."""
    return toy_mlp(2, 1, width, depth)


def build_digit_generator(latent_dim):
    """G: z in R^latent_dim -> an image in [-1, 1]^784 (tanh output, like the scaled data)."""
    return nn.Sequential(
        nn.Linear(latent_dim, 256), nn.ReLU(),
        nn.Linear(256, 512), nn.ReLU(),
        nn.Linear(512, 784), nn.Tanh(),
    )


def build_digit_critic():
    """C: an image -> one score. LayerNorm (per sample) where a DCGAN would put BatchNorm (per batch)."""
    return nn.Sequential(
        nn.Linear(784, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LayerNorm(256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1),
    )


# ---------------------------------------------------------------------------- arguments


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", choices=("digits", "ring", "grid"), default="ring")
    p.add_argument("--loss", choices=("wgan-gp", "vanilla"), default="wgan-gp",
                   help="the loss of phase 1: wgan-gp, or Goodfellow's GAN (the baseline, same MLPs and schedule)")
    p.add_argument("--steps", type=int, help="phase 1: generator steps of --loss (default: 1500 digits, 2000 ring, "
                   "4000 grid)")
    p.add_argument("--sharpen-steps", type=int, help="phase 2: generator steps of the GAN loss that sharpen the "
                   "modes (default: 0 digits, 12000 ring, 40000 grid)")
    p.add_argument("--lr", type=float,
                   help="phase 1 Adam learning rate of both (default: the paper's 1e-4 on digits, 1e-3 on toys)")
    p.add_argument("--sharpen-lr", type=float, default=3e-4,
                   help="phase 2 learning rate, falling linearly to 0 over the phase (default 3e-4)")
    p.add_argument("--codes", type=int, help="a one-hot code with this many values in front of z (default: 0, "
                   "none; 100 grid)")
    p.add_argument("--batch-size", type=int, help="default: 64 on digits, 256 on the toys")
    p.add_argument("--n-critic", type=int, default=5, help="critic steps per generator step (WGAN-GP only)")
    p.add_argument("--lam", type=float, default=10.0, help="the penalty's weight lambda")
    p.add_argument("--width", type=int, help="units per hidden layer of the toy MLPs (default 128)")
    p.add_argument("--depth", type=int, help="hidden layers of the toy MLPs (default 3)")
    p.add_argument("--latent-dim", type=int, help="size of z (default: 2 on the toys, 100 on digits)")
    p.add_argument("--seed", type=int, default=0, help="the first seed")
    p.add_argument("--seeds", type=int, default=1, help="train this many seeds (seed, seed+1, ...) and report means")
    p.add_argument("--out", help="directory for pictures and checkpoints (default runs/wgan_gp_<dataset>[_vanilla])")
    p.add_argument("--checkpoint-every", type=int, default=1000, help="write the run's checkpoint every N steps")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue an interrupted run (one seed) from its checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace a checkpoint already in --out (a fresh run)")
    p.add_argument("--eval-samples", type=int, default=2500, help="samples measured at the end")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    for name, default in DEFAULTS[args.dataset].items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.out is None:
        args.out = os.path.join("runs", f"wgan_gp_{args.dataset}" + ("_vanilla" if args.loss == "vanilla" else ""))
    return args


# ---------------------------------------------------------------------------- one training run


def train(args, seed, data=None, checkpoint=None):
    """Train G (and C) from ``seed``: phase 1 (WGAN-GP, or the baseline's GAN loss), then phase 2 (sharpening).

    Writes ``checkpoint`` every --checkpoint-every steps; with --resume, continues from that checkpoint.
    Returns G and the history of the run.
    """
    mg.manual_seed(seed)
    z_size = args.codes + args.latent_dim
    if args.dataset == "digits":
        G, C = build_digit_generator(z_size), build_digit_critic()
    else:
        G, C = build_toy_generator(z_size, args.width, args.depth), build_toy_critic(args.width, args.depth)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.9))
    opt_C = optim.Adam(C.parameters(), lr=args.lr, betas=(0.5, 0.9))

    def real_batch(n):
        if data is not None:
            return data[mg.randint(0, len(data), (n,))]                  # x ~ the bundled digits
        return mg.tensor(toy_dataset(args.dataset).sample(n))             # x ~ the mixture, fresh each time

    history = {name: [] for name in (W_ESTIMATE, "penalty", "loss_C", "loss_G")}
    total = args.steps + args.sharpen_steps
    models, optimizers = {"G": G, "C": C}, {"G": opt_G, "C": opt_C}
    hparams = {**hyperparameters(args), "steps": args.steps}   # --steps too: it is where phase 2 begins
    start = resume_or_start(args, models, optimizers, history, steps=total, hparams=hparams,   # 0, or --resume's
                            schedule="--steps + --sharpen-steps")
    bar = tqdm(range(start, total), initial=start, total=total, disable=args.quiet, unit="step", desc=f"seed {seed}")
    for step in bar:
        wgan = args.loss == "wgan-gp" and step < args.steps      # phase 1 with WGAN-GP; else the GAN loss
        if step >= args.steps:                                    # phase 2: lr falls linearly to 0
            opt_G.lr = opt_C.lr = args.sharpen_lr * (1 - (step - args.steps) / args.sharpen_steps)

        # ---- 1. the critic: n_critic steps on L_C = E[C(G(z))] - E[C(x)] + lambda E[(||grad C(xhat)|| - 1)^2]
        for _ in range(args.n_critic if wgan else 1):
            x = real_batch(args.batch_size)
            with mg.no_grad():
                fake = G(latent(args.batch_size, args))    # G(z), z ~ N(0, I)
            real_scores, fake_scores = C(x), C(fake)
            if wgan:
                penalty = gradient_penalty(C, x, fake, lam=args.lam)    # xhat = eps x + (1 - eps) G(z), inside
                loss_C = wasserstein_critic_loss(real_scores, fake_scores) + penalty
            else:                                                        # C's score is D's logit now
                loss_C = d_loss_minimax(real_scores, fake_scores)        # -[log D(x) + log(1 - D(G(z)))]
            opt_C.zero_grad()
            loss_C.backward()                  # WGAN-GP: through the penalty, a second derivative of C
            opt_C.step()

        # ---- 2. the generator: one step on L_G = -E[C(G(z))] (GAN loss: -E[log D(G(z))]), C frozen
        C.requires_grad_(False)
        gen_scores = C(G(latent(args.batch_size, args)))
        loss_G = wasserstein_generator_loss(gen_scores) if wgan else g_loss(gen_scores)
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        C.requires_grad_(True)

        # ---- diagnostics, from the last critic step: W-hat = E[C(x)] - E[C(G(z))], the critic's estimate of W
        row = {"loss_C": check_finite(loss_C, "Loss_C", step, checkpoint),
               "loss_G": check_finite(loss_G, "Loss_G", step, checkpoint)}
        if wgan:
            row[W_ESTIMATE] = (mg.mean(real_scores) - mg.mean(fake_scores)).item()
            row["penalty"] = penalty.item()
        for name, value in row.items():
            history[name].append(value)
        bar.set_postfix({name.split(":")[0]: f"{value:.3f}" for name, value in row.items()})
        done = step + 1
        if checkpoint and (done % args.checkpoint_every == 0 or done == total):
            save_checkpoint(checkpoint, done, models, optimizers, extra=history, hparams=hparams)
    bar.close()
    return G, history


# ---------------------------------------------------------------------------- measuring and reporting


def sampler(G, args):
    """n -> n samples G(z), z drawn by :func:`latent`, in eval mode and without a graph."""
    return lambda n: sample(G, latent(n, args))


def measure(args, G, seed):
    """The headline numbers of one trained generator: VEEGAN's on the toys, the classifier's on the digits.

    On the toys the samples behind the numbers are kept in --out as
    samples_seed<k>.npz, so anyone can score them again
    (``minigan.metrics.rescore_samples``).
    """
    draw = sampler(G, args)
    if args.dataset == "digits":
        m = digit_metrics(draw(args.eval_samples).reshape(-1, 1, 28, 28))
        return {name: m[name] for name in ("class_coverage", "class_kl", "inception_score", "frechet_distance")}
    toy = toy_dataset(args.dataset)
    samples = draw(args.eval_samples)
    m = mode_metrics(samples, toy.modes(), toy.std)
    numbers = {name: m[name] for name in ("modes_captured", "modes_captured_strict", "high_quality_fraction",
                                          "reverse_kl")}
    save_samples(os.path.join(args.out, f"samples_seed{seed}.npz"), samples, args.dataset, seed=seed,
                 method="WGAN-GP" if args.loss == "wgan-gp" else "vanilla GAN", **numbers)
    return numbers


def summarise(runs):
    """name -> mean over the runs, plus name_std -> their standard deviation when there are several."""
    summary, n = {}, len(runs)
    for name in runs[0]:
        values = [float(run[name]) for run in runs]
        mean = sum(values) / n                       # NaN (a reverse KL with no good sample) stays NaN: honest
        summary[name] = mean
        if n > 1:
            summary[f"{name}_std"] = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return summary


def main(argv=None):
    args = parse_args(argv)
    data = None
    if args.dataset == "digits":
        images, _ = load_digits()                    # (5000, 1, 28, 28), scaled to [-1, 1]
        data = mg.tensor(images.reshape(len(images), -1))   # the MLPs see 784 numbers
    if args.resume and args.seeds > 1:
        raise TrainingError(f"--resume continues one run; give --seeds 1 and that run's --seed, "
                            f"got --seeds {args.seeds}.")
    checkpoint_name = "checkpoint.npz" if args.seeds == 1 else "checkpoint_seed{}.npz"   # one checkpoint per seed
    check_flags(args, num_samples=len(data) if data is not None else None,   # every flag, before any training
                checkpoint=checkpoint_name.format(args.seed))
    method = "WGAN-GP" if args.loss == "wgan-gp" else "vanilla GAN"

    runs, panels, pictures, seconds = [], {}, [], []
    for seed in range(args.seed, args.seed + args.seeds):
        start = time.perf_counter()
        G, history = train(args, seed, data, os.path.join(args.out, checkpoint_name.format(seed)))
        seconds.append(time.perf_counter() - start)
        mg.manual_seed(10_000 + seed)                # the measurement draws its own noise
        runs.append(measure(args, G, seed))
        if seed == args.seed:
            pictures.append(plot_history(history, os.path.join(args.out, "training.png"),
                                         title=f"{method} on {args.dataset}, seed {seed}"))
            first_history = history
        if args.dataset == "digits":
            samples = sampler(G, args)(64).reshape(-1, 1, 28, 28)     # sampler runs without a graph
            pictures.append(save_image_grid(samples, os.path.join(args.out, f"samples_seed{seed}.png"),
                                            title=f"{method}, {args.steps} steps, seed {seed}"))
        else:
            mg.manual_seed(20_000 + seed)
            r = runs[-1]
            panels[f"seed {seed}: {r['modes_captured']} modes, {100 * r['high_quality_fraction']:.0f}% HQ"] = (
                sampler(G, args)(args.eval_samples))
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in runs[-1].items()) + f" ({seconds[-1]:.0f} s)")

    if args.dataset != "digits":
        toy = toy_dataset(args.dataset)
        pictures.append(plot_points_2d({"real data": toy.sample(args.eval_samples), **panels},
                                       os.path.join(args.out, "points.png"), modes=toy.modes(),
                                       title=f"{method} on {args.dataset}"))
    metrics = summarise(runs)
    metrics["seconds_per_run"] = sum(seconds) / len(seconds)
    report(args, method, metrics)
    return {"metrics": metrics, "pictures": pictures, "history": first_history}


def report(args, method, metrics):
    """Print the headline numbers (means +- std over the seeds) and, on the toys, the published ones beside them."""
    def show(name, fmt):
        value = format(metrics[name], fmt)
        return value + (f" +- {format(metrics[name + '_std'], fmt)}" if name + "_std" in metrics else "")

    over = f"mean of {args.seeds} seeds" if args.seeds > 1 else f"seed {args.seed}"
    steps = f"{args.steps} steps" + (f" + {args.sharpen_steps} sharpening steps" if args.sharpen_steps else "")
    if args.dataset == "digits":
        print(f"{method} on digits ({over}, {steps}): classes {show('class_coverage', '.1f')}/10, "
              f"class-KL {show('class_kl', '.3f')}, IS {show('inception_score', '.2f')}, "
              f"FD {show('frechet_distance', '.1f')}; {metrics['seconds_per_run']:.0f} s per run")
        return
    n_modes = len(toy_dataset(args.dataset).modes())
    print(f"{method} on {args.dataset} ({over}, {steps}, {args.eval_samples} samples): "
          f"modes {show('modes_captured', '.1f')}/{n_modes} (strict {show('modes_captured_strict', '.1f')}), "
          f"high-quality {show('high_quality_fraction', '.3f')}, reverse KL {show('reverse_kl', '.3f')}; "
          f"{metrics['seconds_per_run']:.0f} s per run")
    print("published (modes, high-quality): " + "; ".join(
        f"{table} {method_}: {modes:g}, {hq:.3f}" for table, dataset, method_, modes, hq in REFERENCE_POINTS
        if dataset == args.dataset))


if __name__ == "__main__":
    t0 = time.perf_counter()
    run_script(main)
    print(f"took {time.perf_counter() - t0:.0f} s")
