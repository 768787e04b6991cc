"""DCGAN (Radford, Metz and Chintala, 2016) on minigan's bundled digits.

The same game as the vanilla GAN,

    min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))],

played by convolutional networks built with the paper's guidelines:

  * no pooling: D downsamples with strided convolutions (28 -> 14 -> 7), G
    upsamples with transposed convolutions (7 -> 14 -> 28), whose output size
    is (in - 1) * stride - 2 * padding + kernel + output_padding
    = (7 - 1) * 2 - 2 * 2 + 5 + 1 = 14;
  * batchnorm in both networks, except D's input layer and G's output layer;
  * ReLU in G with a tanh output (the digits are scaled to [-1, 1]),
    LeakyReLU with slope 0.2 in D;
  * Adam with learning rate 2e-4 and beta1 = 0.5 (beta1 = 0.9 oscillates);
  * every weight drawn from N(0, 0.02^2) (``nn.init.dcgan_init_``).

and three choices the guidelines leave open, taken from well-known DCGAN code:
5x5 kernels (DCGAN-tensorflow's), a stride-1 transposed convolution at 7x7
before the two that upsample (TensorFlow's DCGAN tutorial), and two G updates
per D update (DCGAN-tensorflow's, "to avoid the fast convergence of D";
``--g-steps 1`` is the paper's). With 4x4 kernels and one G step, G drew 2-4 %
1s and ~20 % 9s: a class KL of 0.15 (measured on the tuning seeds while choosing
the defaults; docs/dcgan.md has the measurements).

At the end, the digit classifier of ``minigan.metrics`` reads 1,000 generated
digits: how many of the 10 classes they cover, the KL of their class histogram
to uniform, an Inception-style score, and a Fréchet distance to the real digits
beside the real-vs-real value.

    python examples/dcgan.py                   # 5000 G steps at --width 32; minutes (docs/results.md#the-digits)
    python examples/dcgan.py --width 64        # the full widths of the reference network (slower)
    python examples/dcgan.py --resume runs/dcgan/checkpoint.npz --steps 6000   # train on from a checkpoint

--steps counts generator steps, as in every example: the default 5000 is
2500 discriminator steps, each followed by --g-steps 2 generator steps.

Measured with the defaults on held-out seeds (1000-1004, none of which chose a
setting): the classes covered, the class KL against the target of 0.05, the
Fréchet distance (real vs real 4.0) and the wall time, as means with their
spread across seeds and the interval one more run should fall in, are on the
results page; a run on another CPU is another draw.
    (numbers: docs/results.md#the-digits)
On the tuning seeds the class KL swung between 0.02 and 0.07 from one
checkpoint to the next after step 1500, so one run is a draw from that range.

It writes samples_XXXXX.png (a grid from fixed noise), training.png (losses and
D's outputs), checkpoint.npz and final.png (ten generated digits per row, one row per class the
classifier reads them as, with how many it read as that class) into --out.
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
from minigan.gan.guards import (
    TrainingError,
    add_run_flags,
    check_finite,
    check_flags,
    hyperparameters,
    resume_or_start,
    run_script,
)
from minigan.metrics import digit_metrics
from minigan.viz import images_by_class, plot_history, save_image_grid


def build_generator(latent_dim=100, width=32):
    """G: z in R^100 -> a 1x28x28 image in [-1, 1].

    Linear to a 2w x 7 x 7 volume, a stride-1 transposed convolution that keeps
    it 7x7, then two stride-2 ones: 7x7 -> 14x14 -> 28x28. All with 5x5
    kernels. Batchnorm and ReLU after every layer but the last, which is
    followed by tanh alone.
    """
    return nn.Sequential(
        nn.Linear(latent_dim, 2 * width * 7 * 7), nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU(),
        nn.Unflatten(1, (2 * width, 7, 7)),
        nn.ConvTranspose2d(2 * width, 2 * width, 5, 1, 2), nn.BatchNorm2d(2 * width), nn.ReLU(),  # 7 -> 7
        nn.ConvTranspose2d(2 * width, width, 5, 2, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),       # 7 -> 14
        nn.ConvTranspose2d(width, 1, 5, 2, 2, 1), nn.Tanh(),                                     # 14 -> 28
    )


def build_discriminator(width=32):
    """D: a 1x28x28 image -> one logit a; D(x) = sigmoid(a).

    Two stride-2 convolutions with 5x5 kernels, 28x28 -> 14x14 -> 7x7, with
    LeakyReLU(0.2); batchnorm on the second only (never on the layer that sees
    the images).
    """
    return nn.Sequential(
        nn.Conv2d(1, width, 5, 2, 2), nn.LeakyReLU(0.2),                                     # 28 -> 14
        nn.Conv2d(width, 2 * width, 5, 2, 2), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),  # 14 -> 7
        nn.Flatten(),
        nn.Linear(2 * width * 7 * 7, 1),
    )


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=5000, help="generator steps (default 5000: 2500 D steps)")
    p.add_argument("--g-steps", type=int, default=2,
                   help="generator updates per discriminator update (default 2, as DCGAN-tensorflow; the paper: 1)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate for D and G (DCGAN: 2e-4)")
    p.add_argument("--beta1", type=float, default=0.5, help="Adam's beta1 (DCGAN: 0.5)")
    p.add_argument("--width", type=int, default=32,
                   help="channels of G's last hidden layer and D's first; the reference network uses 64")
    p.add_argument("--latent-dim", type=int, default=100)
    add_run_flags(p, "runs/dcgan", sample_every=1000, checkpoint_every=1000, unit="generator steps",
                  measure=("--eval-samples", 1000, "generated digits the classifier reads at the end"))
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    images, _ = load_digits()                       # (5000, 1, 28, 28), scaled to [-1, 1]
    images = mg.tensor(images)
    checkpoint = check_flags(args, num_samples=len(images), checkpoint="checkpoint.npz")   # every flag, before training
    if args.checkpoint_every % args.g_steps:     # a D step and its --g-steps G steps go into one checkpoint
        raise TrainingError(f"--checkpoint-every counts generator steps and must be a multiple of --g-steps "
                            f"{args.g_steps}, got {args.checkpoint_every}.")

    mg.manual_seed(args.seed)
    G = nn.init.dcgan_init_(build_generator(args.latent_dim, args.width))   # weights ~ N(0, 0.02^2)
    D = nn.init.dcgan_init_(build_discriminator(args.width))
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
    fixed_z = mg.randn(64, args.latent_dim)        # the same 64 digits, step after step
    models, optimizers = {"G": G, "D": D}, {"G": opt_G, "D": opt_D}   # what the checkpoint holds
    history = {name: [] for name in ("loss_D", "loss_G", "D(x)", "D(G(z))")}
    first = resume_or_start(args, models, optimizers, history)   # 0, or --resume's step (refused if a flag differs)
    if first % args.g_steps:
        raise TrainingError(f"{args.resume} stopped at step {first}, between the --g-steps {args.g_steps} "
                            "generator steps of one discriminator step; resume from a checkpoint at a multiple "
                            f"of {args.g_steps}.")
    pictures, start = [], time.perf_counter()

    for step in tqdm(range(first, args.steps), initial=first, total=args.steps, disable=args.quiet, unit="step"):
        # ---- 1. the discriminator, once per --g-steps generator steps: descend L_D = -[log D(x) + log(1 - D(G(z)))]
        if step % args.g_steps == 0:
            x = images[mg.randint(0, len(images), (args.batch_size,))]   # x ~ p_data
            z = mg.randn(args.batch_size, args.latent_dim)              # z ~ N(0, I)
            with mg.no_grad():                   # this step changes D only: no graph of G needed
                fake = G(z)
            # real and fake go through D as separate batches, so each batchnorm sees one kind of image
            real_logits, fake_logits = D(x), D(fake)
            loss_D = d_loss_minimax(real_logits, fake_logits)
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()

        # ---- 2. the generator: descend the non-saturating L_G = -log D(G(z)), D frozen
        D.requires_grad_(False)
        z = mg.randn(args.batch_size, args.latent_dim)
        loss_G = g_loss(D(G(z)))
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        D.requires_grad_(True)

        done = step + 1
        if done % args.g_steps == 0 or done == args.steps:   # one row per D step, after its G steps
            row = (check_finite(loss_D, "Loss_D", step, checkpoint), check_finite(loss_G, "Loss_G", step, checkpoint),
                   mg.sigmoid(real_logits).mean().item(), mg.sigmoid(fake_logits).mean().item())
            for name, value in zip(history, row):
                history[name].append(value)
        if done % args.sample_every == 0 or done == args.steps:
            path = os.path.join(args.out, f"samples_{done:05d}.png")
            samples = sample(G, fixed_z)             # eval mode: batchnorm uses its running statistics
            pictures.append(save_image_grid(samples, path, nrow=8, title=f"DCGAN, step {done}"))
        if done % args.checkpoint_every == 0 or done == args.steps:
            save_checkpoint(checkpoint, done, models, optimizers, extra=history, hparams=hyperparameters(args))
    seconds = time.perf_counter() - start

    # ---- what the digit classifier reads in the generated digits
    generated = sample(G, mg.randn(args.eval_samples, args.latent_dim), batch_size=500)
    scores = digit_metrics(generated)
    rows, counts = images_by_class(generated, scores["predictions"])   # row c: digits the classifier reads as c
    pictures.append(save_image_grid(rows, os.path.join(args.out, "final.png"), nrow=10,
                                    row_labels=[f"{c} ({n})" for c, n in enumerate(counts)],
                                    title=f"DCGAN: {scores['class_coverage']}/10 classes, "
                                          f"class KL {scores['class_kl']:.3f}"))
    pictures.append(plot_history(history, os.path.join(args.out, "training.png"), title="DCGAN on digits"))

    metrics = {name: scores[name] for name in ("class_coverage", "class_kl", "inception_score",
                                               "frechet_distance", "frechet_distance_real")}
    metrics["train_seconds"] = seconds
    print(f"DCGAN, {args.steps} steps in {seconds:.0f} s: {metrics['class_coverage']}/10 classes, "
          f"class KL {metrics['class_kl']:.3f}, Inception-style score {metrics['inception_score']:.2f}, "
          f"Fréchet distance {metrics['frechet_distance']:.2f} (real vs real {metrics['frechet_distance_real']:.2f})")
    return {"metrics": metrics, "pictures": pictures, "history": history}


if __name__ == "__main__":
    run_script(main)
