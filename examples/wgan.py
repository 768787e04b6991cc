r"""Wasserstein GAN (Arjovsky, Chintala & Bottou, 2017) with weight clipping, on minigan's bundled digits.

The critic C is not a classifier: it outputs an unbounded score, and for a
1-Lipschitz C the Kantorovich-Rubinstein duality says

    W(p_data, p_g) = max_{||C||_L <= 1}  E_x[C(x)] - E_z[C(G(z))]

so a critic trained to maximise the right-hand side *estimates* the
Wasserstein-1 distance (up to the Lipschitz constant K that clipping gives it,
i.e. it estimates K * W). Unlike the GAN's D(x), this number means something:
it falls as the samples improve. The losses, both minimised:

    L_C = E_z[C(G(z))] - E_x[C(x)]                 (the critic: maximise the estimate)
    L_G = -E_z[C(G(z))]                            (the generator: raise the fakes' score)

Algorithm 1 of the paper, for each generator step:
  1. n_critic = 5 times: a step of RMSprop (lr 5e-5) on L_C, then clip every
     critic weight into [-c, c], c = 0.01 (a crude way to keep C Lipschitz);
  2. once: a step of RMSprop on L_G.

    python examples/wgan.py                   # 5,000 generator steps (25,000 critic steps)
    python examples/wgan.py --steps 1500      # shorter: blurry blobs, some digits never appear
    python examples/wgan.py --resume runs/wgan/checkpoint.npz --steps 6000   # train on from a checkpoint

Clipping learns slowly. Measured while choosing the number of steps, on tuning
seed 0 and a 2-core CPU, one run each (not a result: another seed or another
CPU gives other numbers):

    steps   BLAS threads   classes   class KL   Inception-style   Fréchet
    1,500        1          7/10       1.57          1.80            788
    5,000        2         10/10       0.27          4.54            380
    5,000        1         10/10       0.75          3.10            398

The last two differ only in how many threads the matrix products use: float32
sums in a different order, and over 25,000 critic steps the runs part ways.
That is why the results page runs this example on one held-out seed for its
pictures and wall time only, and quotes none of its numbers as a result.
    (numbers: docs/results.md#the-other-examples-wall-time-for-a-lab-one-seed)

(examples/wgan_gp.py, the gradient penalty, trains on the same digits in about
the same time; its numbers over five held-out seeds: docs/results.md#the-digits.)

It writes samples_XXXXX.png (a grid from fixed noise), training.png (the
Wasserstein estimate and G's loss over training) and checkpoint.npz, and prints the final
estimate with the digit metrics of 1,000 samples (class coverage out of 10, KL
of the class histogram to uniform).
"""

import argparse
import os

from tqdm import tqdm

import minigan as mg
from minigan import nn, optim
from minigan.data import load_digits
from minigan.gan import clip_weights_, sample, wasserstein_critic_loss, wasserstein_generator_loss
from minigan.gan.checkpoint import save_checkpoint
from minigan.gan.guards import add_run_flags, check_finite, check_flags, hyperparameters, resume_or_start, run_script
from minigan.metrics import digit_metrics
from minigan.viz import plot_history, save_image_grid

W_ESTIMATE = "W estimate: E[C(x)] - E[C(G(z))]"


def build_generator(latent_dim=100):
    """G: z in R^100 -> an image in [-1, 1]^784 (tanh output, like the scaled data)."""
    return nn.Sequential(
        nn.Linear(latent_dim, 256), nn.ReLU(),
        nn.Linear(256, 512), nn.ReLU(),
        nn.Linear(512, 784), nn.Tanh(),
    )


def build_critic():
    """C: an image -> one unbounded score (no sigmoid: C is not a probability). No BatchNorm."""
    return nn.Sequential(
        nn.Linear(784, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1),
    )


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=5000, help="generator steps (default 5000)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=5e-5, help="RMSprop learning rate for C and G (the paper's 5e-5)")
    p.add_argument("--n-critic", type=int, default=5, help="critic steps per generator step")
    p.add_argument("--clip", type=float, default=0.01, help="clip the critic's weights into [-clip, clip]")
    p.add_argument("--latent-dim", type=int, default=100)
    add_run_flags(p, "runs/wgan", sample_every=500, checkpoint_every=500,
                  measure=("--eval-samples", 1000, "samples read by the digit classifier at the end"))
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    images, _ = load_digits()                       # (5000, 1, 28, 28), scaled to [-1, 1]
    data = mg.tensor(images.reshape(len(images), -1))   # the MLP sees 784 numbers
    checkpoint = check_flags(args, num_samples=len(data), checkpoint="checkpoint.npz")   # every flag, before training

    mg.manual_seed(args.seed)
    G, C = build_generator(args.latent_dim), build_critic()
    opt_G = optim.RMSprop(G.parameters(), lr=args.lr)
    opt_C = optim.RMSprop(C.parameters(), lr=args.lr)
    clip_weights_(C.parameters(), args.clip)        # start inside the box too
    fixed_z = mg.randn(64, args.latent_dim)         # the same 64 faces of G, step after step

    models, optimizers = {"G": G, "C": C}, {"G": opt_G, "C": opt_C}   # what the checkpoint holds
    history = {name: [] for name in (W_ESTIMATE, "loss_G")}   # (L_C is minus the estimate: not logged twice)
    start = resume_or_start(args, models, optimizers, history)   # 0, or --resume's step (refused if a flag differs)
    pictures = []
    bar = tqdm(range(start, args.steps), initial=start, total=args.steps, disable=args.quiet, unit="step")
    for step in bar:
        # ---- 1. the critic: n_critic steps of descending L_C = E[C(G(z))] - E[C(x)], each followed by clipping
        for _ in range(args.n_critic):
            x = data[mg.randint(0, len(data), (args.batch_size,))]   # x ~ p_data
            z = mg.randn(args.batch_size, args.latent_dim)          # z ~ N(0, I)
            with mg.no_grad():
                fake = G(z)                  # no graph: this step changes C only
            loss_C = wasserstein_critic_loss(C(x), C(fake))
            opt_C.zero_grad()
            loss_C.backward()
            opt_C.step()
            clip_weights_(C.parameters(), args.clip)   # w <- clip(w, -c, c): keeps C K-Lipschitz for some K

        # ---- 2. the generator: one step of descending L_G = -E[C(G(z))], with C frozen
        C.requires_grad_(False)
        z = mg.randn(args.batch_size, args.latent_dim)
        loss_G = wasserstein_generator_loss(C(G(z)))
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        C.requires_grad_(True)

        # ---- the critic's estimate of W(p_data, p_g) (times K) is minus its loss on the last batch
        estimate = -check_finite(loss_C, "Loss_C", step, checkpoint)
        history[W_ESTIMATE].append(estimate)
        history["loss_G"].append(check_finite(loss_G, "Loss_G", step, checkpoint))
        bar.set_postfix(W=f"{estimate:.4f}")

        done = step + 1
        if done % args.sample_every == 0 or done == args.steps:
            samples = sample(G, fixed_z).reshape(-1, 1, 28, 28)
            pictures.append(save_image_grid(samples, os.path.join(args.out, f"samples_{done:05d}.png"),
                                            title=f"WGAN (clipping), step {done}"))
        if done % args.checkpoint_every == 0 or done == args.steps:
            save_checkpoint(checkpoint, done, models, optimizers, extra=history, hparams=hyperparameters(args))
    bar.close()
    pictures.append(plot_history(history, os.path.join(args.out, "training.png"),
                                 title="WGAN with weight clipping on digits: the critic's estimate of W"))

    # ---- does it work? the estimate (averaged over the last 100 steps) and what a digit classifier reads
    samples = sample(G, mg.randn(args.eval_samples, args.latent_dim)).reshape(-1, 1, 28, 28)
    digits = digit_metrics(samples)
    tail = history[W_ESTIMATE][-100:]
    metrics = {
        "wasserstein_estimate": sum(tail) / len(tail),
        "class_coverage": digits["class_coverage"],
        "class_kl": digits["class_kl"],
        "inception_score": digits["inception_score"],
        "frechet_distance": digits["frechet_distance"],
    }
    print(f"WGAN: {args.steps} steps; Wasserstein estimate {metrics['wasserstein_estimate']:.4f}; "
          f"classes {metrics['class_coverage']}/10, class-KL {metrics['class_kl']:.3f}, "
          f"IS {metrics['inception_score']:.2f}, FD {metrics['frechet_distance']:.1f}; pictures in {args.out}/")
    return {"metrics": metrics, "pictures": pictures, "history": history}


if __name__ == "__main__":
    run_script(main, timed=True)
