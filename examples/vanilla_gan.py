"""The GAN of Goodfellow et al. (2014), trained on minigan's bundled digits.

Step through one iteration in a debugger: every line of the loop below is a formula of the paper.

    min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

Algorithm 1 of the paper, for each training step:
  1. k times: sample noise z ~ N(0, I) and a minibatch x of real digits, and
     ascend V in D's weights (here: descend L_D = -V on the minibatch);
  2. once: sample z and descend the generator's loss, with D frozen.

    python examples/vanilla_gan.py                      # 8000 steps, minutes (docs/results.md#the-digits)
    python examples/vanilla_gan.py --saturating         # the loss in V itself: watch G stall
    python examples/vanilla_gan.py --resume runs/vanilla_gan/checkpoint.npz --steps 6000

It writes samples_XXXXX.png (a grid from fixed noise), training.png (losses and diagnostics) and checkpoint.npz
into --out. Measured with the defaults on held-out seeds, with the spread across seeds and machines:
    (numbers: docs/results.md#the-digits)
"""

import argparse
import os

from tqdm import tqdm

import minigan as mg
from minigan import nn, optim
from minigan.data import load_digits
from minigan.gan import d_loss_minimax, g_loss, sample
from minigan.gan.checkpoint import save_checkpoint
from minigan.gan.guards import add_run_flags, check_finite, check_flags, hyperparameters, resume_or_start, run_script
from minigan.metrics import digit_metrics
from minigan.viz import plot_history, save_image_grid


def build_generator(latent_dim=100):
    """G: z in R^100 -> an image in [-1, 1]^784 (tanh output, like the scaled data).

    BatchNorm in the hidden layers is not in the 2014 paper (it came a year
    later); without it the digits stay speckled at this budget: measured at 8000 steps on a tuning seed
    while choosing the default (one run each), class KL 0.14 and Frechet 223 without, 0.038 and 73 with.
    """
    return nn.Sequential(
        nn.Linear(latent_dim, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),
        nn.Linear(256, 512), nn.BatchNorm1d(512), nn.LeakyReLU(0.2),
        nn.Linear(512, 784), nn.Tanh(),
    )


def build_discriminator(dropout=0.3):
    """D: an image -> one logit a; D(x) = sigmoid(a) is the probability that x is real.

    Dropout, as in the paper's discriminator, keeps D from memorising 5000
    digits: without it D's accuracy stayed near 0.87 and G covered 8 of 10 classes (one run, a tuning seed).
    """
    return nn.Sequential(
        nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Dropout(dropout),
        nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(dropout),
        nn.Linear(256, 1),
    )


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=8000, help="generator steps (default 8000)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate for D and G")
    p.add_argument("--k", type=int, default=1, help="discriminator steps per generator step (Algorithm 1's k)")
    p.add_argument("--saturating", action="store_true", help="G minimises log(1 - D(G(z))) instead of -log D(G(z))")
    p.add_argument("--latent-dim", type=int, default=100)
    add_run_flags(p, "runs/vanilla_gan", sample_every=500, checkpoint_every=500)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    images, _ = load_digits()                       # (5000, 1, 28, 28), scaled to [-1, 1]
    data = mg.tensor(images.reshape(len(images), -1))   # the MLP sees 784 numbers
    checkpoint = check_flags(args, num_samples=len(data), checkpoint="checkpoint.npz")   # every flag, before training

    mg.manual_seed(args.seed)
    G, D = build_generator(args.latent_dim), build_discriminator()
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    fixed_z = mg.randn(64, args.latent_dim)         # the same 64 faces of G, step after step

    models, optimizers = {"G": G, "D": D}, {"G": opt_G, "D": opt_D}   # what the checkpoint holds
    history = {name: [] for name in ("loss_D", "loss_G", "D(x)", "D(G(z))", "D accuracy", "|grad G|")}
    start = resume_or_start(args, models, optimizers, history)   # 0, or --resume's step (refused if a flag differs)
    pictures = []

    bar = tqdm(range(start, args.steps), initial=start, total=args.steps, disable=args.quiet, unit="step")
    for step in bar:
        # ---- 1. the discriminator: k steps of descending L_D = -[log D(x) + log(1 - D(G(z)))]
        for _ in range(args.k):
            x = data[mg.randint(0, len(data), (args.batch_size,))]   # x ~ p_data
            z = mg.randn(args.batch_size, args.latent_dim)          # z ~ N(0, I)
            # no_grad: this step changes D only, so G's graph is not needed. Every example makes the fake
            # batch of D's step this way: .detach() would give the same numbers but first record G's graph
            # and then cut it (cyclegan.py detaches, because it reuses the fakes of G's step).
            with mg.no_grad():
                fake = G(z)
            real_logits, fake_logits = D(x), D(fake)                # a = logit, D(.) = sigmoid(a)
            loss_D = d_loss_minimax(real_logits, fake_logits)
            opt_D.zero_grad()
            loss_D.backward()                # dL_D/da = (sigmoid(a) - y)/N for each of the N logits of a batch
                                             # mean, y = 1 for real and 0 for fake
            opt_D.step()

        # ---- 2. the generator: one step with D frozen
        D.requires_grad_(False)              # gradients flow *through* D into G, but D's weights stay put
        z = mg.randn(args.batch_size, args.latent_dim)
        gen_logits = D(G(z))
        # non-saturating: -log D(G(z)); saturating (--saturating): log(1 - D(G(z))), the term in V
        loss_G = g_loss(gen_logits, saturating=args.saturating)
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        D.requires_grad_(True)

        # ---- diagnostics: the numbers Goodfellow's Figure 1 talks about
        d_real, d_fake = mg.sigmoid(real_logits).mean().item(), mg.sigmoid(fake_logits).mean().item()
        accuracy = 0.5 * ((real_logits.data > 0).mean() + (fake_logits.data < 0).mean()).item()
        grad_norm = sum(float((p.grad.data ** 2).sum()) for p in G.parameters()) ** 0.5
        row = (check_finite(loss_D, "Loss_D", step, checkpoint), check_finite(loss_G, "Loss_G", step, checkpoint),
               d_real, d_fake, accuracy, grad_norm)
        for name, value in zip(history, row):
            history[name].append(value)
        bar.set_postfix(loss_D=f"{row[0]:.3f}", loss_G=f"{row[1]:.3f}", Dx=f"{d_real:.2f}", DGz=f"{d_fake:.2f}")

        done = step + 1
        if done % args.sample_every == 0 or done == args.steps:
            samples = sample(G, fixed_z).reshape(-1, 1, 28, 28)   # eval mode: BatchNorm's running statistics
            pictures.append(os.path.join(args.out, f"samples_{done:05d}.png"))
            save_image_grid(samples, pictures[-1], title=f"step {done}")
        if done % args.checkpoint_every == 0 or done == args.steps:
            save_checkpoint(checkpoint, done, models, optimizers, extra=history, hparams=hyperparameters(args))
    bar.close()
    pictures.append(plot_history(history, os.path.join(args.out, "training.png"), title="vanilla GAN on digits"))

    # ---- did it work? A digit classifier reads 1000 samples: all ten classes, evenly?
    samples = sample(G, mg.randn(1000, args.latent_dim)).reshape(-1, 1, 28, 28)
    metrics = digit_metrics(samples)
    metrics = {k: metrics[k] for k in ("class_coverage", "class_kl", "inception_score", "frechet_distance",
                                       "frechet_distance_real")}
    metrics["D accuracy (last 100 steps)"] = sum(history["D accuracy"][-100:]) / len(history["D accuracy"][-100:])
    print(f"done: {args.steps} steps; " + ", ".join(f"{k} {v:.3g}" for k, v in metrics.items()))
    print(f"pictures in {args.out}/")
    return {"metrics": metrics, "pictures": pictures, "history": history}


if __name__ == "__main__":
    run_script(main, timed=True)
