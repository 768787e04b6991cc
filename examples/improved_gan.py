r"""Improved Techniques for Training GANs (Salimans et al., 2016), side by side on the 2D ring and grid.

Five techniques, each a flag, each a formula of the paper:

  --feature-matching          G matches D's mean features instead of fooling D:
                                  L_G = || E_x f(x) - E_z f(G(z)) ||^2     (f: D's last hidden layer)
  --minibatch-discrimination  D's last hidden layer gets B closeness scores of each sample to the batch:
                                  o(x_i)_b = sum_j exp(-|| M_i,b - M_j,b ||_1),  M_i = f(x_i) T
  --label-smoothing           one-sided: real targets 0.9, fake targets 0:
                                  L_D = -mean[0.9 log D(x) + 0.1 log(1 - D(x))] - mean log(1 - D(G(z)))
  --virtual-batch-norm        G's hidden layers normalised with a reference batch z_ref fixed at the start:
                                  mu, sigma^2 = statistics of {h(z_ref), h(z)},  VBN(h) = gamma (h - mu) / sigma + beta
  --historical-averaging      each player adds  lambda || theta - (1/t) sum_i theta[i] ||^2  to its loss

The plain GAN is Goodfellow et al.'s with the non-saturating generator loss:
L_D = -mean log D(x) - mean log(1 - D(G(z))), L_G = -mean log D(G(z)).

On the ring (8 Gaussians, std 0.02) and the grid (25 Gaussians, std 0.05) mode
collapse is visible at a glance: the samples gather at a few of the modes.
The numbers are VEEGAN's (minigan.metrics.mode_metrics, 2,500 samples): modes
captured, the fraction of high-quality samples (within 3 std of a mode), and the
reverse KL of the mode histogram to uniform (0 = all modes equally full, log 8 =
2.08 or log 25 = 3.22 = one mode).

The setting that makes the plain GAN collapse: the generator learns five times
faster than the discriminator (Adam 1e-3 for G, 2e-4 for D, betas (0.5, 0.999)),
so G keeps jumping to wherever D currently says "real" and D never catches up.
With equal rates (--d-lr 1e-3) the plain GAN covered the ring's 8 modes at this
budget (8/8, 37 % high-quality) and 16/25 of the grid, measured on the tuning
seeds while choosing this setting (one machine; not a result).

The comparison at the defaults (2000 steps, batch 256, G and D MLPs of two
hidden layers of 128, z in R^16, minibatch discrimination with B = 8 kernels of
C = 1, VBN with a reference batch of 128) was first run on the tuning seeds 0,
1, 2 (--seeds 3). What it showed there, in words (three seeds on one machine,
with no spread measured: read it as what to look for, not as a result): on the
ring, virtual batch norm and minibatch discrimination undid the collapse and put
a sizeable share of the samples on the modes; feature matching spread G over the
whole circle (every mode, few samples sharp enough). One-sided label smoothing
and historical averaging (lambda 1e-3; 1e-2 and 1e-4 did no better) did not help
here: smoothing only calms D, and the average anchors both players to their
past, random start included; neither slows a generator that outruns its
discriminator. On the grid no method got more than a few percent of its samples
high quality in 2000 steps, so there "modes captured" mostly says how widely G
spreads its samples. VEEGAN reports the plain GAN on the ring at 1 mode and
99.3 % high-quality after far longer training: collapsed, but sharp.

The results page runs this comparison on one held-out seed for its pictures and
wall time only, and quotes none of its numbers (one draw). Minibatch
discrimination against a plain GAN and WGAN-GP, like for like over ten held-out
seeds, with spreads: docs/results/benchmark/README.md.
    (numbers: docs/results.md#the-other-examples-wall-time-for-a-lab-one-seed)

Time: minutes for the default comparison on one CPU core (wall time: the results
page). A step with minibatch discrimination costs several plain steps, as its
N x N x B x C comparison grows with the square of the batch. Set
OMP_NUM_THREADS=1 on a busy machine: OpenBLAS threads fighting over the cores
made these small matrix products up to 100 times slower in our measurements.

    python examples/improved_gan.py                        # --compare: plain + each technique, ring and grid
    python examples/improved_gan.py --seeds 3              # the same, means over seeds 0-2 (tuning seeds)
    python examples/improved_gan.py --minibatch-discrimination --label-smoothing --dataset grid

With technique flags and no --compare, one model is trained with all the
chosen techniques together; with --compare (the default when no flag is
given) the plain GAN and each chosen technique on its own (all five if none is
chosen). It writes ring.png and grid.png (one panel per method, the modes as
red crosses; the last seed's generator) into --out and prints the table. The
training loop is train() below; main() runs it once per dataset, method and seed.

The comparison takes minutes, so it writes checkpoint.npz into --out: the run
in progress (its G, D, optimisers, historical averages and random generator)
every --checkpoint-every steps and at its end, with the results of the runs
finished before it. An interrupted comparison continues with the same flags:

    python examples/improved_gan.py --resume runs/improved_gan/checkpoint.npz

The finished runs are not trained again (their numbers and panels come from
the checkpoint), the interrupted one goes on from its last checkpoint, and the
table is the one an uninterrupted invocation prints, bit for bit (s/run aside;
resuming a finished invocation trains nothing and prints its table again).
Every flag that changes what is trained, --steps included (each run is --steps
long), must be the checkpoint's, or the resume is refused; a fresh start into
an --out that holds a checkpoint needs --overwrite.
"""

import argparse
import math
import os
import time

from tqdm import tqdm

import minigan as mg
from minigan import nn, optim
from minigan.data import toy_dataset
from minigan.gan import (
    HistoricalAverage,
    d_loss_minimax,
    d_loss_one_sided_smoothing,
    feature_matching_loss,
    g_loss,
    sample,
)
from minigan.gan.checkpoint import load_checkpoint, read_checkpoint, read_hparams, save_checkpoint
from minigan.gan.guards import TrainingError, check_finite, check_flags, hyperparameters, run_script
from minigan.gan.layers import MinibatchDiscrimination, VirtualBatchNorm
from minigan.metrics import evaluate_2d_generator
from minigan.viz import plot_points_2d

TECHNIQUES = ("feature_matching", "minibatch_discrimination", "label_smoothing", "virtual_batch_norm",
              "historical_averaging")
SHORT = {"feature_matching": "feature matching", "minibatch_discrimination": "minibatch discr.",
         "label_smoothing": "label smoothing", "virtual_batch_norm": "virtual BN",
         "historical_averaging": "hist. averaging"}


class Generator(nn.Module):
    """G: z -> a point in R^2. With ``reference_size`` R, a VirtualBatchNorm follows each hidden Linear."""

    def __init__(self, latent_dim, hidden, reference_size=None):
        super().__init__()
        self.reference_size = reference_size

        def norm():
            return VirtualBatchNorm(hidden, reference_size) if reference_size else nn.Identity()

        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden), norm(), nn.ReLU(),
            nn.Linear(hidden, hidden), norm(), nn.ReLU(),
            nn.Linear(hidden, 2),
        )
        if reference_size:   # z_ref: the reference batch, drawn once and never changed
            self.register_buffer("z_ref", mg.randn(reference_size, latent_dim))

    def forward(self, z):
        if not self.reference_size:
            return self.net(z)
        R = self.reference_size       # VBN: the reference rides along as the first R rows, then is dropped
        return self.net(mg.cat([self.z_ref, z]))[R:]


class Discriminator(nn.Module):
    """D(x) = head(features(x)): a logit. ``features`` is the layer feature matching compares."""

    def __init__(self, hidden, minibatch_kernels=0, kernel_dim=1):
        super().__init__()
        self.features = nn.Sequential(
            nn.Linear(2, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
        )
        if minibatch_kernels:
            md = MinibatchDiscrimination(hidden, minibatch_kernels, kernel_dim)
            self.head = nn.Sequential(md, nn.Linear(md.out_features, 1))
        else:
            self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.features(x))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=2000, help="generator steps per run, one D step each (default 2000)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate of G")
    p.add_argument("--d-lr", type=float, default=2e-4,
                   help="Adam learning rate of D (default 2e-4: G outruns D, and the plain GAN collapses)")
    p.add_argument("--latent-dim", type=int, default=16)
    p.add_argument("--hidden", type=int, default=128, help="width of the hidden layers of G and D")
    p.add_argument("--dataset", choices=("ring", "grid", "both"), default="both")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", type=int, default=1, help="train each method with seeds seed, seed+1, ...; report means")
    p.add_argument("--out", default="runs/improved_gan", help="directory for the pictures and the checkpoint")
    p.add_argument("--checkpoint-every", type=int, default=500, help="write the checkpoint every N steps of a run")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue an interrupted invocation from its checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace a checkpoint already in --out (a fresh start)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--compare", action="store_true",
                   help="plain GAN and each chosen technique on its own (the default when no technique is chosen)")
    p.add_argument("--feature-matching", action="store_true", help="G's loss: || E f(x) - E f(G(z)) ||^2")
    p.add_argument("--minibatch-discrimination", action="store_true", help="a MinibatchDiscrimination layer in D")
    p.add_argument("--minibatch-kernels", type=int, default=8, help="B, the closeness scores it appends")
    p.add_argument("--kernel-dim", type=int, default=1, help="C, the length of each kernel's rows M_i,b")
    p.add_argument("--label-smoothing", type=float, nargs="?", const=0.9, default=None, metavar="ALPHA",
                   help="one-sided label smoothing: real targets ALPHA (0.9 if no value is given)")
    p.add_argument("--virtual-batch-norm", action="store_true", help="VirtualBatchNorm in G's hidden layers")
    p.add_argument("--reference-size", type=int, default=128, help="R, the size of VBN's reference batch")
    p.add_argument("--historical-averaging", action="store_true", help="penalise the distance to the mean past weights")
    p.add_argument("--history-weight", type=float, default=1e-3, help="lambda of historical averaging")
    return p.parse_args(argv)


def chosen_methods(args):
    """The runs to make: each a tuple of techniques; () is the plain GAN."""
    chosen = tuple(t for t in TECHNIQUES if getattr(args, t) not in (False, None))
    if args.compare or not chosen:
        return [()] + [(t,) for t in (chosen or TECHNIQUES)]
    return [chosen]


def method_name(method):
    return " + ".join(SHORT[t] for t in method) or "plain GAN"


def run_name(dataset, method, seed):
    """A run's name, the prefix of its entries in the history and in the checkpoint."""
    return f"{dataset}/{method_name(method)}/seed {seed}"


def checkpoint_hparams(args):
    """The flags a checkpoint records and a resume must repeat: --steps too, as every run is --steps long."""
    return {**hyperparameters(args), "steps": args.steps}


def train(args, dataset, method, seed, bar, checkpoint=None, kept=None, resume=None):
    """Train one GAN on ``dataset`` with the techniques in ``method``; returns (G, history, seconds of training).

    Writes ``checkpoint`` every --checkpoint-every steps and at the end, with the
    entries of ``kept`` (the runs finished before) beside this run's; with
    ``resume``, continues this run from that checkpoint.
    """
    sample_real = toy_dataset(dataset).sample
    use = set(method)
    mg.manual_seed(seed)
    G = Generator(args.latent_dim, args.hidden, args.reference_size if "virtual_batch_norm" in use else None)
    D = Discriminator(args.hidden, args.minibatch_kernels if "minibatch_discrimination" in use else 0, args.kernel_dim)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.d_lr, betas=(0.5, 0.999))
    models, state = {"G": G, "D": D}, {"G": opt_G, "D": opt_D}   # state: what a checkpoint keeps beside the weights
    if "historical_averaging" in use:      # theta_bar starts at the initial weights
        average_G, average_D = HistoricalAverage(G.parameters()), HistoricalAverage(D.parameters())
        state.update(average_G=average_G, average_D=average_D)
    alpha = args.label_smoothing if args.label_smoothing is not None else 0.9

    run, start, seconds = run_name(dataset, method, seed), 0, 0.0
    history = {"loss_D": [], "loss_G": []}
    if resume:           # weights, optimisers, averages and the random generator as they were at the checkpoint
        start, extra = load_checkpoint(resume, models, state, hparams=checkpoint_hparams(args))
        history = {series: [float(v) for v in extra[f"{run}/{series}"]] for series in history}
        seconds = float(extra[f"{run}/seconds"])
        bar.update(start)
    t0 = time.perf_counter()
    for step in range(start, args.steps):
        # ---- 1. the discriminator: descend L_D on a real and a fake batch
        x = mg.tensor(sample_real(args.batch_size))                       # x ~ p_data
        z = mg.randn(args.batch_size, args.latent_dim)                    # z ~ N(0, I)
        with mg.no_grad():                                                # this step changes D only
            fake = G(z)
        real_logits, fake_logits = D(x), D(fake)    # separate batches: minibatch discrimination compares within each
        if "label_smoothing" in use:
            loss_D = d_loss_one_sided_smoothing(real_logits, fake_logits, alpha)  # targets alpha for x, 0 for G(z)
        else:
            loss_D = d_loss_minimax(real_logits, fake_logits)   # -mean log D(x) - mean log(1 - D(G(z)))
        if "historical_averaging" in use:
            loss_D = loss_D + args.history_weight * average_D.penalty()   # + lambda ||theta_D - theta_D_bar||^2
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
        if "historical_averaging" in use:
            average_D.update()                  # theta_D_bar <- theta_D_bar + (theta_D - theta_D_bar) / t

        # ---- 2. the generator: one step with D frozen
        D.requires_grad_(False)
        z = mg.randn(args.batch_size, args.latent_dim)
        fake = G(z)
        if "feature_matching" in use:          # || E_x f(x) - E_z f(G(z)) ||^2, the real side a constant target
            loss_G = feature_matching_loss(D.features(x).detach(), D.features(fake))
        else:
            loss_G = g_loss(D(fake))             # -mean log D(G(z))
        if "historical_averaging" in use:
            loss_G = loss_G + args.history_weight * average_G.penalty()
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        D.requires_grad_(True)
        if "historical_averaging" in use:
            average_G.update()

        history["loss_D"].append(check_finite(loss_D, "Loss_D", step, checkpoint))
        history["loss_G"].append(check_finite(loss_G, "Loss_G", step, checkpoint))
        bar.update(1)
        done = step + 1
        if checkpoint and (done % args.checkpoint_every == 0 or done == args.steps):
            entries = {f"{run}/{series}": values for series, values in history.items()}
            entries[f"{run}/seconds"] = seconds + time.perf_counter() - t0
            save_checkpoint(checkpoint, done, models, state, extra={**(kept or {}), **entries, "run": run},
                            hparams=checkpoint_hparams(args))
    return G, history, seconds + time.perf_counter() - t0


# ---- the record of a finished run, as flat checkpoint entries "<run>/<name>"

SCORES = ("modes_captured", "high_quality_fraction", "reverse_kl", "n_modes")


def record(run, score, history, panel, seconds):
    """A finished run's entries. A checkpoint holds no NaN, so an undefined reverse KL is left out."""
    entries = {f"{run}/{name}": score[name] for name in SCORES if not math.isnan(score[name])}
    entries.update({f"{run}/{series}": values for series, values in history.items()})
    entries.update({f"{run}/panel": panel, f"{run}/seconds": seconds})
    return entries


def recall(entries, run):
    """(score, history, panel, seconds) of a finished run from its entries: the inverse of :func:`record`."""
    score = {name: float(entries.get(f"{run}/{name}", math.nan)) for name in SCORES}
    score["modes_captured"], score["n_modes"] = int(score["modes_captured"]), int(score["n_modes"])
    history = {series: [float(v) for v in entries[f"{run}/{series}"]] for series in ("loss_D", "loss_G")}
    return score, history, entries[f"{run}/panel"], float(entries[f"{run}/seconds"])


def read_progress(path, hparams):
    """The run the checkpoint at ``path`` was training, and the entries of the runs finished before it.

    Refused first when its flags differ from ``hparams``: other flags make
    other runs (or other runs of the same names), and none may be reused.
    """
    saved = read_hparams(path)
    differ = [f"{name} is {saved.get(name)!r} in the checkpoint but {hparams.get(name)!r} now"
              for name in sorted(set(saved) | set(hparams)) if saved.get(name) != hparams.get(name)]
    if differ:
        raise TrainingError(f"{path} was trained with other hyperparameters ({'; '.join(differ)}), so nothing was "
                            "loaded; resume with the checkpoint's values, or start a fresh run.")
    entries = {name[len("extra/"):]: value for name, value in read_checkpoint(path).items()
               if name.startswith("extra/")}
    return str(entries.pop("run")), entries


def summarise(scores):
    """Means over seeds; the reverse KL over the seeds where it is defined (some high-quality sample)."""
    kls = [s["reverse_kl"] for s in scores if not math.isnan(s["reverse_kl"])]
    return {
        "modes_captured": sum(s["modes_captured"] for s in scores) / len(scores),
        "high_quality_fraction": sum(s["high_quality_fraction"] for s in scores) / len(scores),
        "reverse_kl": sum(kls) / len(kls) if kls else math.nan,
        "n_modes": scores[0]["n_modes"],
    }


def main(argv=None):
    args = parse_args(argv)
    check_flags(args, checkpoint="checkpoint.npz")   # every flag, before any training; a checkpoint is not replaced
    checkpoint = os.path.join(args.out, "checkpoint.npz")
    methods = chosen_methods(args)
    datasets = ["ring", "grid"] if args.dataset == "both" else [args.dataset]
    seeds = [args.seed + k for k in range(args.seeds)]
    in_progress, finished = None, {}          # finished: the entries of the runs done (see record)
    if args.resume:
        in_progress, finished = read_progress(args.resume, checkpoint_hparams(args))

    metrics, pictures, history, rows = {}, [], {}, []
    bar = tqdm(total=len(datasets) * len(methods) * len(seeds) * args.steps, disable=args.quiet, unit="step")
    for dataset in datasets:
        modes = toy_dataset(dataset).modes
        panels = {}
        for method in methods:
            name, scores, seconds = method_name(method), [], 0.0
            for seed in seeds:
                run = run_name(dataset, method, seed)
                if f"{run}/panel" in finished:       # finished before the resume: the checkpoint holds its record
                    bar.update(args.steps)
                else:
                    bar.set_description(f"{dataset}: {name} (seed {seed})")
                    G, runs, took = train(args, dataset, method, seed, bar, checkpoint, finished,
                                          resume=args.resume if run == in_progress else None)
                    score = evaluate_2d_generator(lambda n: sample(G, mg.randn(n, args.latent_dim)), dataset)  # noqa: B023
                    panel = sample(G, mg.randn(1000, args.latent_dim))   # the picture shows the last seed's panel
                    finished.update(record(run, score, runs, panel.data, took))
                score, runs, panel, took = recall(finished, run)
                scores.append(score)
                seconds += took
                for series, values in runs.items():
                    history[f"{run}/{series}"] = values
            last = scores[-1]   # the panel shows the generator of the last seed
            title = f"{name}\n{last['modes_captured']}/{last['n_modes']} modes, " \
                    f"{100 * last['high_quality_fraction']:.0f}% HQ"
            panels[title] = panel
            row = summarise(scores)
            row.update(dataset=dataset, method=name, seconds=seconds / len(seeds))
            rows.append(row)
            metrics[f"{dataset} {name} modes"] = row["modes_captured"]
            metrics[f"{dataset} {name} high-quality"] = row["high_quality_fraction"]
            metrics[f"{dataset} {name} reverse KL"] = row["reverse_kl"]
        path = os.path.join(args.out, f"{dataset}.png")
        limit = 3.5 if dataset == "ring" else 6.5
        plot_points_2d(panels, path, modes=modes(), title=f"{dataset}: {args.steps} steps", limit=limit)
        pictures.append(path)
    bar.close()

    print(f"\n{'dataset':8s}{'method':20s}{'modes':>9s}{'high-quality':>14s}{'reverse KL':>12s}{'s/run':>8s}")
    for r in rows:
        print(f"{r['dataset']:8s}{r['method']:20s}{r['modes_captured']:6.1f}/{r['n_modes']:<2d}"
              f"{100 * r['high_quality_fraction']:13.1f}%{r['reverse_kl']:12.3f}{r['seconds']:8.1f}")
    print(f"means over {len(seeds)} seed(s); pictures in {args.out}/")
    return {"metrics": metrics, "pictures": pictures, "history": history}


if __name__ == "__main__":
    run_script(main, timed=True)
