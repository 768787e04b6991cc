"""ACGAN, the auxiliary classifier GAN (Odena, Olah and Shlens, 2017), on minigan's bundled digits.

G draws a digit of a requested class c from noise z. D has one trunk and two
heads: the source logit a (real or fake?) and ten class logits s (which
digit?). With S the source and C the class, the paper's two log-likelihoods are

    L_S = E[log P(S = real | x_real)] + E[log P(S = fake | x_fake)]
    L_C = E[log P(C = c | x_real)]    + E[log P(C = c | x_fake)]

D maximises L_S + L_C; G maximises L_C - L_S. Written as losses to minimise:

    loss_D = d_loss_minimax(a_real, a_fake) + CE(s_real, c_real) [+ CE(s_fake, c_fake)]
    loss_G = g_loss(a_fake) + CE(s_fake, c_fake)       (non-saturating -log D(G(z, c)), as usual)

where CE = ``auxiliary_classifier_loss``, the cross-entropy -log softmax(s)_c.
It takes the raw class logits s: it applies log_softmax itself, so a softmax in
front of it would be applied twice (a common bug, and a test checks this file
does not do it).

The bracketed term is the paper's; it is off by default and on with
--aux-on-fakes. Trained to classify the fakes too, D learns whatever marks G
puts on them, and G is rewarded for easy-to-classify digits rather than
realistic ones: the two collude, and each class shrinks to a few
stereotyped, often unreadable shapes (Shu et al. 2017 and Gong et al. 2019
analyse this bias). Measured at 1000 steps while choosing the default, on a
tuning seed, one run each: the digit classifier read the requested class in
66 % of the samples with the term, and in 92 % without it, while D's auxiliary
accuracy on the fakes was near 100 % either way. One run is one draw (another seed or CPU moves these numbers); the
results page runs the default on one held-out seed for its pictures and wall
time only.

The networks follow the DCGAN guidelines at a small width, with 4x4 kernels
(examples/dcgan.py adds 5x5 kernels and a stride-1 layer): G starts from
[z, embed(c)]; D's trunk is two strided convolutions.

Reported: D's auxiliary accuracy (argmax s = c) on real digits and on fakes,
and the digit classifier's agreement with the requested class (chance: 0.10).

    python examples/acgan.py                  # 1000 steps; minutes (docs/results.md, wall time)
    python examples/acgan.py --resume runs/acgan/checkpoint.npz --steps 1500   # train on from a checkpoint

It writes samples_XXXXX.png (one row per class), training.png and checkpoint.npz into --out.
"""

import argparse
import os
import time

from tqdm import tqdm

import minigan as mg
from minigan import nn, optim
from minigan.data import load_digits
from minigan.gan import auxiliary_classifier_loss, d_loss_minimax, g_loss, sample
from minigan.gan.checkpoint import save_checkpoint
from minigan.gan.guards import add_run_flags, check_finite, check_flags, hyperparameters, resume_or_start, run_script
from minigan.metrics import digit_metrics
from minigan.viz import plot_history, save_image_grid

N_CLASSES = 10


class Generator(nn.Module):
    """G(z, c): [z, embed(c)] -> Linear -> 2w x 7 x 7 -> ConvT -> w x 14 x 14 -> ConvT -> 1 x 28 x 28, tanh."""

    def __init__(self, latent_dim=100, width=32, embed_dim=10):
        super().__init__()
        self.embed = nn.Embedding(N_CLASSES, embed_dim)
        self.net = nn.Sequential(
            nn.Linear(latent_dim + embed_dim, 2 * width * 7 * 7), nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU(),
            nn.Unflatten(1, (2 * width, 7, 7)),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh(),
        )

    def forward(self, z, labels):
        return self.net(mg.cat([z, self.embed(labels)], axis=1))


class Discriminator(nn.Module):
    """D(x) -> (a, s): one source logit and ten class logits from a shared convolutional trunk.

    Both heads are plain Linear layers: raw scores, no sigmoid and no softmax
    (the losses apply them, in their numerically safe log forms).
    """

    def __init__(self, width=32):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
            nn.Flatten(),
        )
        self.source = nn.Linear(2 * width * 7 * 7, 1)           # a: real or fake
        self.classes = nn.Linear(2 * width * 7 * 7, N_CLASSES)  # s: which digit

    def forward(self, x):
        h = self.trunk(x)
        return self.source(h), self.classes(h)


def accuracy(class_logits, labels):
    """The fraction of rows whose largest class logit is the label."""
    return float((class_logits.data.argmax(axis=1) == labels.data).mean())


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=1000, help="generator steps (default 1000)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate for D and G")
    p.add_argument("--width", type=int, default=32, help="channels of G's last hidden layer and D's first")
    p.add_argument("--aux-on-fakes", action="store_true",
                   help="D also learns to classify the fakes (the paper's L_C; see the docstring for why not)")
    p.add_argument("--latent-dim", type=int, default=100)
    add_run_flags(p, "runs/acgan", sample_every=250, checkpoint_every=250,
                  measure=("--eval-per-class", 100, "digits per class for the final accuracies"))
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    images, labels = load_digits()                  # (5000, 1, 28, 28) in [-1, 1], and (5000,) classes
    images, labels = mg.tensor(images), mg.tensor(labels)
    checkpoint = check_flags(args, num_samples=len(images), checkpoint="checkpoint.npz")   # every flag, before training

    mg.manual_seed(args.seed)
    G = nn.init.dcgan_init_(Generator(args.latent_dim, args.width))
    D = nn.init.dcgan_init_(Discriminator(args.width))
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    grid_labels = mg.tensor([c for c in range(N_CLASSES) for _ in range(N_CLASSES)])   # row c: class c
    grid_z = mg.cat([mg.randn(N_CLASSES, args.latent_dim)] * N_CLASSES, axis=0)        # column j: z_j
    models, optimizers = {"G": G, "D": D}, {"G": opt_G, "D": opt_D}   # what the checkpoint holds
    history = {name: [] for name in ("loss_D", "loss_G", "D(x)", "D(G(z,c))", "aux acc real", "aux acc fake")}
    first = resume_or_start(args, models, optimizers, history)   # 0, or --resume's step (refused if a flag differs)
    pictures, start = [], time.perf_counter()

    for step in tqdm(range(first, args.steps), initial=first, total=args.steps, disable=args.quiet, unit="step"):
        # ---- 1. the discriminator: descend -(L_S + L_C)
        index = mg.randint(0, len(images), (args.batch_size,))
        x, c_real = images[index], labels[index]                             # (x, c) ~ p_data
        z = mg.randn(args.batch_size, args.latent_dim)                       # z ~ N(0, I)
        c_fake = mg.randint(0, N_CLASSES, (args.batch_size,))                # c ~ uniform over classes
        with mg.no_grad():                       # this step changes D only: no graph of G needed
            fake = G(z, c_fake)
        a_real, s_real = D(x)
        a_fake, s_fake = D(fake)
        loss_S = d_loss_minimax(a_real, a_fake)                               # -L_S
        # -L_C: cross-entropy on the raw class logits s (log_softmax is inside; no softmax here)
        loss_C = auxiliary_classifier_loss(s_real, c_real)
        if args.aux_on_fakes:                                                 # the paper's second term of L_C
            loss_C = loss_C + auxiliary_classifier_loss(s_fake, c_fake)
        loss_D = loss_S + loss_C
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()

        # ---- 2. the generator: descend -log D(G(z, c)) - log P(C = c | G(z, c)), D frozen
        D.requires_grad_(False)
        z = mg.randn(args.batch_size, args.latent_dim)
        c_gen = mg.randint(0, N_CLASSES, (args.batch_size,))
        a_gen, s_gen = D(G(z, c_gen))
        loss_G = g_loss(a_gen) + auxiliary_classifier_loss(s_gen, c_gen)
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        D.requires_grad_(True)

        row = (check_finite(loss_D, "Loss_D", step, checkpoint), check_finite(loss_G, "Loss_G", step, checkpoint),
               mg.sigmoid(a_real).mean().item(), mg.sigmoid(a_fake).mean().item(),
               accuracy(s_real, c_real), accuracy(s_fake, c_fake))
        for name, value in zip(history, row):
            history[name].append(value)

        done = step + 1
        if done % args.sample_every == 0 or done == args.steps:
            samples = sample(G, grid_z, grid_labels)     # eval mode: batchnorm on its running statistics
            path = os.path.join(args.out, f"samples_{done:05d}.png")
            pictures.append(save_image_grid(samples, path, nrow=N_CLASSES, title=f"ACGAN, step {done}",
                                            row_labels=[str(c) for c in range(N_CLASSES)]))
        if done % args.checkpoint_every == 0 or done == args.steps:
            save_checkpoint(checkpoint, done, models, optimizers, extra=history, hparams=hyperparameters(args))
    seconds = time.perf_counter() - start

    # ---- the final accuracies, with G and D in eval mode (batchnorm on running statistics)
    requested = [c for c in range(N_CLASSES) for _ in range(args.eval_per_class)]
    generated = sample(G, mg.randn(len(requested), args.latent_dim), mg.tensor(requested))
    D.eval()
    with mg.no_grad():
        index = mg.randint(0, len(images), (len(requested),))
        aux_real = accuracy(D(images[index])[1], labels[index])
        aux_fake = accuracy(D(generated)[1], mg.tensor(requested))
    D.train()
    scores = digit_metrics(generated)
    metrics = {
        "aux_accuracy_real": aux_real,
        "aux_accuracy_fake": aux_fake,
        "class_accuracy": sum(p == c for p, c in zip(scores["predictions"], requested)) / len(requested),
    }
    metrics.update({name: scores[name] for name in ("class_coverage", "class_kl", "inception_score",
                                                    "frechet_distance", "frechet_distance_real")})
    metrics["train_seconds"] = seconds
    pictures.append(plot_history(history, os.path.join(args.out, "training.png"), title="ACGAN on digits"))
    print(f"ACGAN, {args.steps} steps in {seconds:.0f} s: D's auxiliary accuracy {100 * aux_real:.1f} % on real "
          f"digits, {100 * aux_fake:.1f} % on fakes; the digit classifier reads the requested class in "
          f"{100 * metrics['class_accuracy']:.1f} %; Inception-style score {metrics['inception_score']:.2f}, "
          f"Fréchet distance {metrics['frechet_distance']:.2f} (real vs real {metrics['frechet_distance_real']:.2f})")
    return {"metrics": metrics, "pictures": pictures, "history": history}


if __name__ == "__main__":
    run_script(main)
