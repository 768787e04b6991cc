"""Conditional GAN (Mirza and Osindero, 2014) on minigan's bundled digits.

Both players see the label y: G draws a digit of the class it is asked for,
and D judges whether (image, label) is a real pair.

    min_G max_D  V(D, G) = E_{x,y}[log D(x | y)] + E_{z,y}[log(1 - D(G(z | y) | y))]

Conditioning is plain concatenation: the label is looked up in a learned table
(nn.Embedding, 10 classes -> 10 numbers; a one-hot vector is the special case
of a fixed identity table) and that vector is glued to G's noise z and to D's
flattened image before their first layer. Both networks are MLPs.

The number that says it worked: ask G for 100 digits of each class and let
the digit classifier of ``minigan.metrics`` read them; ``class_accuracy`` is
the fraction it reads as the class that was asked for (chance: 0.10).

    python examples/cgan.py                  # 10000 steps; minutes (docs/results.md, wall time)
    python examples/cgan.py --resume runs/cgan/checkpoint.npz --steps 12000   # train on from a checkpoint

It writes samples_XXXXX.png (a 10x10 grid, one row per class, one noise vector
per column), training.png and checkpoint.npz into --out.
"""

import argparse
import os
import time

from tqdm import tqdm

import minigan as mg
from minigan import nn, optim
from minigan.data import load_digits
from minigan.gan import d_loss_minimax, g_loss, sample
from minigan.gan.checkpoint import save_checkpoint
from minigan.gan.guards import add_run_flags, check_finite, check_flags, hyperparameters, resume_or_start, run_script
from minigan.metrics import digit_metrics
from minigan.viz import plot_history, save_image_grid

N_CLASSES = 10


class ConditionalGenerator(nn.Module):
    """G(z | y): [z, embed(y)] -> 256 -> 512 -> 784 pixels in [-1, 1]."""

    def __init__(self, latent_dim=100, embed_dim=10):
        super().__init__()
        self.embed = nn.Embedding(N_CLASSES, embed_dim)
        self.net = nn.Sequential(
            nn.Linear(latent_dim + embed_dim, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.BatchNorm1d(512), nn.LeakyReLU(0.2),
            nn.Linear(512, 784), nn.Tanh(),
        )

    def forward(self, z, labels):
        h = mg.cat([z, self.embed(labels)], axis=1)          # (N, latent_dim + embed_dim)
        return self.net(h).reshape(-1, 1, 28, 28)


class ConditionalDiscriminator(nn.Module):
    """D(x | y): [x flattened, embed(y)] -> 512 -> 256 -> one logit a; D = sigmoid(a)."""

    def __init__(self, embed_dim=10):
        super().__init__()
        self.embed = nn.Embedding(N_CLASSES, embed_dim)
        self.net = nn.Sequential(
            nn.Linear(784 + embed_dim, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
        )

    def forward(self, x, labels):
        h = mg.cat([x.reshape(len(x), 784), self.embed(labels)], axis=1)   # (N, 784 + embed_dim)
        return self.net(h)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=10000, help="generator steps (default 10000)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate for D and G")
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--embed-dim", type=int, default=10, help="size of the learned label vector")
    add_run_flags(p, "runs/cgan", sample_every=2000, checkpoint_every=1000,
                  measure=("--eval-per-class", 100, "generated digits per class the classifier reads"))
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    images, labels = load_digits()                  # (5000, 1, 28, 28) in [-1, 1], and (5000,) classes
    images, labels = mg.tensor(images), mg.tensor(labels)
    checkpoint = check_flags(args, num_samples=len(images), checkpoint="checkpoint.npz")   # every flag, before training

    mg.manual_seed(args.seed)
    G, D = ConditionalGenerator(args.latent_dim, args.embed_dim), ConditionalDiscriminator(args.embed_dim)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    # the picture: row c asks for class c, column j uses noise z_j in every row
    grid_labels = mg.tensor([c for c in range(N_CLASSES) for _ in range(N_CLASSES)])
    grid_z = mg.cat([mg.randn(N_CLASSES, args.latent_dim)] * N_CLASSES, axis=0)
    models, optimizers = {"G": G, "D": D}, {"G": opt_G, "D": opt_D}   # what the checkpoint holds
    history = {name: [] for name in ("loss_D", "loss_G", "D(x|y)", "D(G(z|y)|y)")}
    first = resume_or_start(args, models, optimizers, history)   # 0, or --resume's step (refused if a flag differs)
    pictures, start = [], time.perf_counter()

    for step in tqdm(range(first, args.steps), initial=first, total=args.steps, disable=args.quiet, unit="step"):
        # ---- 1. the discriminator: descend L_D = -[log D(x|y) + log(1 - D(G(z|y')|y'))]
        index = mg.randint(0, len(images), (args.batch_size,))
        x, y = images[index], labels[index]                                   # (x, y) ~ p_data
        z = mg.randn(args.batch_size, args.latent_dim)                        # z ~ N(0, I)
        y_fake = mg.randint(0, N_CLASSES, (args.batch_size,))                 # y' ~ uniform over classes
        with mg.no_grad():                       # this step changes D only: no graph of G needed
            fake = G(z, y_fake)
        real_logits, fake_logits = D(x, y), D(fake, y_fake)   # D judges each image with its label
        loss_D = d_loss_minimax(real_logits, fake_logits)
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()

        # ---- 2. the generator: descend -log D(G(z|y')|y'), D frozen
        D.requires_grad_(False)
        z = mg.randn(args.batch_size, args.latent_dim)
        y_fake = mg.randint(0, N_CLASSES, (args.batch_size,))
        loss_G = g_loss(D(G(z, y_fake), y_fake))
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        D.requires_grad_(True)

        row = (check_finite(loss_D, "Loss_D", step, checkpoint), check_finite(loss_G, "Loss_G", step, checkpoint),
               mg.sigmoid(real_logits).mean().item(), mg.sigmoid(fake_logits).mean().item())
        for name, value in zip(history, row):
            history[name].append(value)

        done = step + 1
        if done % args.sample_every == 0 or done == args.steps:
            samples = sample(G, grid_z, grid_labels)     # eval mode: BatchNorm's running statistics
            path = os.path.join(args.out, f"samples_{done:05d}.png")
            pictures.append(save_image_grid(samples, path, nrow=N_CLASSES, title=f"cGAN, step {done}",
                                            row_labels=[str(c) for c in range(N_CLASSES)]))
        if done % args.checkpoint_every == 0 or done == args.steps:
            save_checkpoint(checkpoint, done, models, optimizers, extra=history, hparams=hyperparameters(args))
    seconds = time.perf_counter() - start

    # ---- does G draw the class it was asked for? The digit classifier reads them.
    requested = [c for c in range(N_CLASSES) for _ in range(args.eval_per_class)]
    generated = sample(G, mg.randn(len(requested), args.latent_dim), mg.tensor(requested))
    scores = digit_metrics(generated)
    metrics = {"class_accuracy": sum(p == c for p, c in zip(scores["predictions"], requested)) / len(requested)}
    metrics.update({name: scores[name] for name in ("class_coverage", "class_kl", "inception_score",
                                                    "frechet_distance", "frechet_distance_real")})
    metrics["train_seconds"] = seconds
    pictures.append(plot_history(history, os.path.join(args.out, "training.png"), title="cGAN on digits"))
    print(f"cGAN, {args.steps} steps in {seconds:.0f} s: the classifier reads the requested class in "
          f"{100 * metrics['class_accuracy']:.1f} % of {len(requested)} digits; Inception-style score "
          f"{metrics['inception_score']:.2f}, Fréchet distance {metrics['frechet_distance']:.2f} "
          f"(real vs real {metrics['frechet_distance_real']:.2f})")
    return {"metrics": metrics, "pictures": pictures, "history": history}


if __name__ == "__main__":
    run_script(main)
