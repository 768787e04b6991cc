r"""CycleGAN (Zhu et al., 2017): translate between two unpaired domains of digits.

Domain X is the digits as they are; domain Y is *other* digits drawn with a
thicker pen (a 3x3 dilation), or with ``--domain rotate`` turned by 90 degrees.
X and Y come from disjoint halves of the bundled digits, so no y is the
translation of any x: the model never sees a pair. Two generators and two
discriminators:

    G: X -> Y,   F: Y -> X,   D_Y tells y from G(x),   D_X tells x from F(y)

Each generator step descends, with D_X and D_Y frozen (least squares as in the
paper; ``--loss minimax`` for the log loss of the original GAN),

    L_GAN(G, D_Y) = 1/2 E_x[(D_Y(G(x)) - 1)^2]          G wants D_Y to say "real" (1)
    L_GAN(F, D_X) = 1/2 E_y[(D_X(F(y)) - 1)^2]
    L_cyc(G, F)   = lambda E_x |F(G(x)) - x|_1 + lambda E_y |G(F(y)) - y|_1,   lambda = 10
    L_id(G, F)    = lambda_id E_y |G(y) - y|_1 + lambda_id E_x |F(x) - x|_1     (only with --identity)

    L(G, F) = L_GAN(G, D_Y) + L_GAN(F, D_X) + L_cyc + L_id

then each discriminator descends its own loss

    L(D_Y) = 1/2 E_y[(D_Y(y) - 1)^2] + 1/2 E_x[D_Y(G(x))^2]      (and L(D_X) the same with x and F(y)).

The adversarial terms alone only ask that G(x) look like *some* thick digit;
the cycle term asks that F can undo G, so G must keep what makes x itself.

Because we made the domains, the truth is known: on 250 held-out x we measure
how far G(x) is from the true translation of x, and whether the digit
classifier (trained on upright digits) still reads x's class in G(x) (turned
upright for rotate), in F(G(x)), in F(y) and in G(F(y)).

    python examples/cyclegan.py                                    # thin <-> thick pen, about a minute (below)
    python examples/cyclegan.py --identity 5                       # add the identity loss
    python examples/cyclegan.py --domain rotate --steps 1500       # a geometric change: see it fail

Thicken is a local change, CycleGAN's home ground (horses to zebras): small
convolutions redraw each stroke where it is, and because they cannot move it,
the digit keeps its class. A rotation moves every pixel across the image, so
G needs a fully connected middle, and then nothing ties G(x) to x but F's
ability to undo it: G and F agree on a private code that cycles well (a small
cycle error) while G(x) is neither x rotated nor much of a digit; Chu et al.
(2017) call this "CycleGAN, a master of steganography". The paper's
"Limitations and Discussion" reports little success on geometric changes too.

It writes translation_XXXXX.png (rows x, G(x), F(G(x)), y, F(y), G(F(y)) of
held-out digits), training.png and checkpoint.npz into --out (``--resume
runs/cyclegan/checkpoint.npz --steps 1200`` trains on from it). Left out from the paper, to stay
small: the ResNet generator and 70x70 PatchGAN (ours are 28x28 versions,
below), the buffer of 50 past fakes for the discriminators, and the linear
learning-rate decay.

Measured while choosing the defaults, on tuning seed 0 and the 2-core CPU, one run each
(250 held-out digits per domain; pixel L1 errors in [0, 2]). One run is one draw: another seed or
another CPU moves these numbers, and the results page runs the default on one held-out seed for
its pictures and wall time only.
    (numbers: docs/results.md#the-other-examples-wall-time-for-a-lab-one-seed)

    default (thicken, 600 steps)
        cycle error |F(G(x)) - x| 0.042, |G(F(y)) - y| 0.037; |G(x) - truth| 0.083 (untranslated 0.259)
        class kept: G(x) 0.956 (true thick digits: 0.924), F(G(x)) 0.980, F(y) 0.956, G(F(y)) 0.880
        (the classifier reads 0.984 of the untouched x)
    --loss minimax                cycle 0.045 / 0.038, |G(x) - truth| 0.054, class kept G(x) 0.932, F(G(x)) 0.976
    --identity 5                  cycle 0.044 / 0.037, |G(x) - truth| 0.208: G now thickens only a little
    --domain rotate --steps 1500  cycle 0.138 / 0.137, but |G(x) - truth| 0.443 (untranslated
        0.360) and class kept G(x) 0.140, F(y) 0.088: chance. The cycle holds, the translation is a code.

If OpenBLAS runs with more threads than there are free cores, its threads wait
on each other and a run can take 10-50 times longer; OPENBLAS_NUM_THREADS=1 avoids it.
"""

import argparse
import os

from tqdm import tqdm

import minigan as mg
from minigan import nn, optim
from minigan.classifier import classify_digits, digit_split
from minigan.data import load_digits
from minigan.gan import (
    cycle_consistency_loss,
    d_loss_least_squares,
    d_loss_minimax,
    g_loss,
    g_loss_least_squares,
    identity_loss,
    sample,
)
from minigan.gan.checkpoint import save_checkpoint
from minigan.gan.guards import add_run_flags, check_finite, check_flags, hyperparameters, resume_or_start, run_script
from minigan.viz import plot_history, save_image_grid

# ---------------------------------------------------------------- the two domains


def thicken(images):
    """X -> Y for ``--domain thicken``: a 3x3 dilation, y[i, j] = max of x over the 3x3 square around (i, j)."""
    black_row = images[:, :, :1] * 0 - 1                             # a frame of -1 (black) around each image
    padded = mg.cat([black_row, images, black_row], axis=2)
    black_column = padded[:, :, :, :1] * 0 - 1
    padded = mg.cat([black_column, padded, black_column], axis=3)
    h, w = images.shape[2:]
    shifted = [padded[:, :, i : i + h, j : j + w] for i in range(3) for j in range(3)]
    return mg.max(mg.stack(shifted), axis=0)


def rotate(images):
    """X -> Y for ``--domain rotate``: turn each (N, 1, 28, 28) digit 90 degrees counter-clockwise.

    y[i, j] = x[j, W - 1 - i]: mirror the columns, then swap rows and columns.
    """
    return images[:, :, :, ::-1].transpose(2, 3)


def unrotate(images):
    """Y -> upright for ``--domain rotate``: turn back 90 degrees clockwise, so the classifier can read it.

    x[i, j] = y[W - 1 - j, i]: swap rows and columns, then mirror the columns.
    """
    return images.transpose(2, 3)[:, :, :, ::-1]


def make_domains(images, labels, to_y):
    """Unpaired training sets X and Y, and held-out test sets (x, labels) and (y, labels).

    The classifier's training digits are shuffled and cut in two: X is the
    first half as is, Y is made from the second half, so no digit is in both.
    The test sets come the same way from the digits the classifier never saw.
    """
    train, test = (mg.tensor(index) for index in digit_split(len(images)))
    train, test = train[mg.randperm(len(train))], test[mg.randperm(len(test))]
    half, test_half = len(train) // 2, len(test) // 2
    x_train, y_train = images[train[:half]], to_y(images[train[half:]])
    x_test, y_test = images[test[:test_half]], to_y(images[test[test_half:]])
    return x_train, y_train, (x_test, labels[test[:test_half]]), (y_test, labels[test[test_half:]])


# ---------------------------------------------------------------- the networks


def build_local_generator(width=32):
    """A 28x28 -> 28x28 net that sees about 10x10 pixels around each output pixel; tanh output.

        Conv(1->w, 4, s2) 28->14, Conv(w->w, 3) at 14x14, ConvT(w->1, 4, s2) 14->28, tanh

    The paper's ResNet generator in miniature: enough to redraw a stroke
    thicker or thinner where it is, and no way to move it across the image.
    BatchNorm stands in for the paper's InstanceNorm (which minigan does not have).
    """
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, width, 3, 1, 1), nn.BatchNorm2d(width), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh(),
    )


def build_global_generator(width=16, bottleneck=128):
    """A 28x28 -> 28x28 encoder-decoder with a fully connected middle; tanh output.

        Conv(1->w, 4, s2) 28->14, Conv(w->2w, 4, s2) 14->7, Linear(2w*7*7 -> 128 -> 2w*7*7),
        ConvT(2w->w, 4, s2) 7->14, ConvT(w->1, 4, s2) 14->28, tanh

    A rotation moves every pixel across the image, which a few small
    convolutions cannot do: the fully connected middle lets every output pixel
    see the whole input.
    """
    c = 2 * width
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, c, 4, 2, 1), nn.BatchNorm2d(c), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(c * 7 * 7, bottleneck), nn.LeakyReLU(0.2),
        nn.Linear(bottleneck, c * 7 * 7), nn.Unflatten(1, (c, 7, 7)), nn.BatchNorm2d(c), nn.ReLU(),
        nn.ConvTranspose2d(c, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh(),
    )


def build_discriminator(width=16):
    """A PatchGAN: a 7x7 grid of scores, each judging an 18x18 patch of the 28x28 input (the paper's 70x70).

        Conv(1->w, 4, s2) 28->14, Conv(w->2w, 4, s2) 14->7, Conv(2w->1, 3) 7->7

    No sigmoid: the least-squares loss reads raw scores, the minimax loss logits.
    """
    return nn.Sequential(
        nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * width, 1, 3, 1, 1),
    )


# --domain: (make Y from an upright digit, turn a Y image upright for the classifier, the generator for G and F)
DOMAINS = {
    "thicken": (thicken, lambda images: images, build_local_generator),
    "rotate": (rotate, unrotate, build_global_generator),
}
# --loss: (discriminator loss, generator loss), both on raw scores / logits
LOSSES = {
    "lsgan": (d_loss_least_squares, g_loss_least_squares),
    "minimax": (d_loss_minimax, g_loss),
}


# ---------------------------------------------------------------- evaluation


def translate(net, images):
    """net(images) in eval mode (BatchNorm on its running statistics), without a graph, 250 images at a time."""
    return sample(net, images, batch_size=250)


def accuracy(images, labels):
    """The fraction of images the digit classifier reads as their label."""
    _, probs = classify_digits(images)
    return float((probs.argmax(axis=1) == labels.data).mean())


def evaluate(G, F, x_test, y_test, to_y, to_upright):
    """The headline numbers on the held-out digits (pixels in [-1, 1], so an L1 error lies in [0, 2])."""
    (x, x_labels), (y, y_labels) = x_test, y_test
    g_x, f_y = translate(G, x), translate(F, y)
    f_g_x, g_f_y = translate(F, g_x), translate(G, f_y)
    return {
        "cycle_error_x": mg.abs(f_g_x - x).mean().item(),             # mean |F(G(x)) - x|
        "cycle_error_y": mg.abs(g_f_y - y).mean().item(),             # mean |G(F(y)) - y|
        "G_error_vs_truth": mg.abs(g_x - to_y(x)).mean().item(),      # mean |G(x) - the true translation of x|
        "untranslated_error": mg.abs(x - to_y(x)).mean().item(),      # the same for G = identity, for scale
        "class_kept_G": accuracy(to_upright(g_x), x_labels),          # does the classifier read G(x) as x's class?
        "class_kept_FG": accuracy(f_g_x, x_labels),
        "class_kept_F": accuracy(f_y, y_labels),
        "class_kept_GF": accuracy(to_upright(g_f_y), y_labels),
        "classifier_on_x": accuracy(x, x_labels),                     # the yardsticks: untouched x,
        "classifier_on_true_G": accuracy(to_upright(to_y(x)), x_labels),   # and the true translation of x
    }


def save_translations(G, F, x, y, path, title):
    """Rows x, G(x), F(G(x)) and y, F(y), G(F(y)), for the first 12 held-out digits of each domain."""
    x, y = x[:12], y[:12]
    g_x, f_y = translate(G, x), translate(F, y)
    rows = [x, g_x, translate(F, g_x), y, f_y, translate(G, f_y)]
    labels = ["x", "G(x)", "F(G(x))", "y", "F(y)", "G(F(y))"]
    return save_image_grid(mg.cat(rows, axis=0), path, nrow=12, title=title, row_labels=labels)


# ---------------------------------------------------------------- training


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=600, help="generator steps (each: a G/F step, then a D_X and D_Y step)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate for all four networks (the paper's)")
    p.add_argument("--domain", choices=sorted(DOMAINS), default="thicken", help="how domain Y is made from digits")
    p.add_argument("--loss", choices=sorted(LOSSES), default="lsgan", help="adversarial loss (the paper: lsgan)")
    p.add_argument("--cycle", type=float, default=10.0, help="lambda of the cycle-consistency loss (the paper: 10)")
    p.add_argument("--identity", type=float, default=0.0, help="lambda_id of the identity loss (0: off)")
    add_run_flags(p, "runs/cyclegan", sample_every=200, checkpoint_every=200, picture="a translation picture")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    images, labels = load_digits()                              # (5000, 1, 28, 28) in [-1, 1], and labels
    images, labels = mg.tensor(images), mg.tensor(labels)
    to_y, to_upright, build_generator = DOMAINS[args.domain]
    x_size = len(digit_split(len(images))[0]) // 2   # X (and Y) hold half of the classifier's training digits
    checkpoint = check_flags(args, num_samples=x_size, checkpoint="checkpoint.npz")   # every flag, before training
    mg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = make_domains(images, labels, to_y)   # 2250 x and 2250 other y: no pairs

    G, F = build_generator(), build_generator()                 # G: X -> Y, F: Y -> X
    D_X, D_Y = build_discriminator(), build_discriminator()
    d_loss, gen_loss = LOSSES[args.loss]
    opt_GF = optim.Adam(list(G.parameters()) + list(F.parameters()), lr=args.lr, betas=(0.5, 0.999))
    opt_D_X = optim.Adam(D_X.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_D_Y = optim.Adam(D_Y.parameters(), lr=args.lr, betas=(0.5, 0.999))
    models = {"G": G, "F": F, "D_X": D_X, "D_Y": D_Y}
    optimizers = {"GF": opt_GF, "D_X": opt_D_X, "D_Y": opt_D_Y}

    names = ("loss_GAN_G", "loss_GAN_F", "loss_cycle", "loss_identity", "loss_D_X", "loss_D_Y")
    history, pictures = {name: [] for name in names}, []
    start = resume_or_start(args, models, optimizers, history)   # 0, or --resume's step (refused if a flag differs)
    bar = tqdm(range(start, args.steps), initial=start, total=args.steps, disable=args.quiet, unit="step")
    for step in bar:
        x = x_train[mg.randint(0, len(x_train), (args.batch_size,))]   # x ~ p_X
        y = y_train[mg.randint(0, len(y_train), (args.batch_size,))]   # an unrelated y ~ p_Y

        # ---- 1. G and F: one step on L_GAN(G, D_Y) + L_GAN(F, D_X) + L_cyc (+ L_id), discriminators frozen
        D_X.requires_grad_(False)
        D_Y.requires_grad_(False)
        fake_y, fake_x = G(x), F(y)                              # G(x), F(y)
        loss_gan_G = gen_loss(D_Y(fake_y))                       # 1/2 E (D_Y(G(x)) - 1)^2
        loss_gan_F = gen_loss(D_X(fake_x))                       # 1/2 E (D_X(F(y)) - 1)^2
        loss_cycle = (cycle_consistency_loss(x, F(fake_y), lam=args.cycle)      # lambda E |F(G(x)) - x|
                      + cycle_consistency_loss(y, G(fake_x), lam=args.cycle))   # lambda E |G(F(y)) - y|
        loss_id = mg.tensor(0.0)
        if args.identity > 0:
            loss_id = (identity_loss(y, G(y), lam=args.identity)                # lambda_id E |G(y) - y|
                       + identity_loss(x, F(x), lam=args.identity))             # lambda_id E |F(x) - x|
        loss_GF = loss_gan_G + loss_gan_F + loss_cycle + loss_id
        opt_GF.zero_grad()
        loss_GF.backward()
        opt_GF.step()
        D_X.requires_grad_(True)
        D_Y.requires_grad_(True)

        # ---- 2. D_Y: real y against G(x); D_X: real x against F(y). The fakes of step 1 are reused, so they
        #      are detached here (the other examples draw fresh fakes for D under no_grad): no gradient into G or F
        loss_D_Y = d_loss(D_Y(y), D_Y(fake_y.detach()))         # 1/2 E (D_Y(y) - 1)^2 + 1/2 E D_Y(G(x))^2
        opt_D_Y.zero_grad()
        loss_D_Y.backward()
        opt_D_Y.step()
        loss_D_X = d_loss(D_X(x), D_X(fake_x.detach()))         # 1/2 E (D_X(x) - 1)^2 + 1/2 E D_X(F(y))^2
        opt_D_X.zero_grad()
        loss_D_X.backward()
        opt_D_X.step()

        row = [check_finite(loss, name, step, checkpoint)
               for loss, name in zip((loss_gan_G, loss_gan_F, loss_cycle, loss_id, loss_D_X, loss_D_Y), names)]
        for name, value in zip(names, row):
            history[name].append(value)
        bar.set_postfix(cycle=f"{row[2]:.3f}", G=f"{row[0]:.3f}", F=f"{row[1]:.3f}", D_X=f"{row[4]:.3f}",
                        D_Y=f"{row[5]:.3f}")

        done = step + 1
        if done % args.sample_every == 0 or done == args.steps:
            path = os.path.join(args.out, f"translation_{done:05d}.png")
            title = f"CycleGAN ({args.domain}), step {done}"
            pictures.append(save_translations(G, F, x_test[0], y_test[0], path, title))
        if done % args.checkpoint_every == 0 or done == args.steps:
            save_checkpoint(checkpoint, done, models, optimizers, extra=history, hparams=hyperparameters(args))
    bar.close()

    if args.identity == 0:
        del history["loss_identity"]
    pictures.append(plot_history(history, os.path.join(args.out, "training.png"), title=f"CycleGAN ({args.domain})"))
    metrics = evaluate(G, F, x_test, y_test, to_y, to_upright)
    print(f"cycle error |F(G(x)) - x| {metrics['cycle_error_x']:.3f}, |G(F(y)) - y| {metrics['cycle_error_y']:.3f}; "
          f"|G(x) - truth| {metrics['G_error_vs_truth']:.3f} (untranslated {metrics['untranslated_error']:.3f})")
    print(f"class kept: G(x) {metrics['class_kept_G']:.3f} (truth {metrics['classifier_on_true_G']:.3f}), "
          f"F(G(x)) {metrics['class_kept_FG']:.3f}, F(y) {metrics['class_kept_F']:.3f}, "
          f"G(F(y)) {metrics['class_kept_GF']:.3f} (x itself {metrics['classifier_on_x']:.3f})")
    print(f"pictures in {args.out}/")
    return {"metrics": metrics, "pictures": pictures, "history": history}


if __name__ == "__main__":
    run_script(main, timed=True)
