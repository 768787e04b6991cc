r"""A like-for-like comparison of GAN methods on the 2D ring-8 and grid-25 (the protocol: docs/benchmark.md).

Every method gets the SAME networks, the same continuous latent z ~ N(0, I),
the same data, batch size, optimiser, number of generator steps and learning
rate schedule. Only the method's own step differs, and each is written out in
:func:`train` below:

    vanilla    Goodfellow et al. 2014, non-saturating:
                   L_D = -mean log D(x) - mean log(1 - D(G(z))),   L_G = -mean log D(G(z))
    wgan-gp    Gulrajani et al. 2017, n_critic = 5 critic steps per generator step:
                   L_C = mean C(G(z)) - mean C(x) + 10 E[(||grad C(xhat)|| - 1)^2],   L_G = -mean C(G(z))
    pacgan2    Lin et al. 2018, packing m = 2: D sees two samples side by side, both real or both fake,
                   D([x_1, x_2]) in R^4 -> one logit; the vanilla losses on the packs
    minibatch  Salimans et al. 2016, minibatch discrimination: D's last hidden layer gets B closeness
                   scores of each sample to the rest of its batch; the vanilla losses

The schedule, for every method: ``--steps`` generator steps at Adam lr
``--lr`` (betas 0.5, 0.9), measured; then, with ``--sharpen-steps T``, T more
generator steps of the non-saturating GAN loss with the lr falling linearly
from ``--sharpen-lr`` to 0 (the "sharpening" phase of examples/wgan_gp.py),
measured again. WGAN-GP's critic becomes a discriminator there (its score read
as a logit); for the three others phase 2 keeps their own loss, so for them it
is only the lr decay and the extra steps. The run is measured at the end of
phase 1 without disturbing its random stream, so "method" and "method +
sharpen" come from the same runs: the first is exactly what a run with
``--sharpen-steps 0`` gives.

``--codes K`` puts a one-hot code c ~ U{1..K} in front of z: a discrete latent
that knows the target is a mixture, its own model class (labelled "+ K-way
code"), never the default.

Each run writes ``<out>/<toy>/<label>/seed<N>.json`` (numbers, settings, wall
time, CPU) and ``seed<N>.npz`` (the 2,500 samples behind the numbers, see
minigan.metrics.rescore_samples). ``summary`` writes one markdown table per toy.

    python scripts/benchmark_toys.py run --toys ring --methods vanilla wgan-gp --seeds 1000-1009
    python scripts/benchmark_toys.py run --toys ring grid --seeds 1000-1009 --jobs 2   # child processes
    python scripts/benchmark_toys.py summary --out docs/results/benchmark --page docs/results/benchmark/README.md
    python scripts/benchmark_toys.py rescore --out docs/results/benchmark   # every npz scored again = its json?
    python scripts/benchmark_toys.py compare --out docs/results/benchmark --against runs/benchmark  # your machine
    python scripts/benchmark_toys.py run --toys ring --seeds 0 --steps 20 --sharpen-steps 10 --out /tmp/b  # seconds
"""

import argparse
import concurrent.futures
import importlib.util
import json
import math
import os
import pathlib
import platform
import subprocess
import sys
import time

import minigan as mg
from minigan import backend, nn, optim
from minigan.data import toy_dataset
from minigan.gan import (
    MinibatchDiscrimination,
    d_loss_minimax,
    g_loss,
    gradient_penalty,
    sample,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from minigan.gan.guards import check_finite
from minigan.metrics import evaluate_2d_generator, save_samples

ROOT = pathlib.Path(__file__).resolve().parent.parent
METHODS = ("vanilla", "wgan-gp", "pacgan2", "minibatch")
NAMES = {"vanilla": "vanilla GAN", "wgan-gp": "WGAN-GP", "pacgan2": "PacGAN2", "minibatch": "minibatch discr."}
TUNING_SEEDS = tuple(range(0, 10))          # what the examples were tuned and reported on
HELD_OUT_SEEDS = tuple(range(1000, 1010))   # never looked at while choosing a setting
EVAL_SEED_OFFSET = 10_000                   # the measurement draws its noise from seed + this
NUMBERS = ("modes_captured", "modes_captured_strict", "high_quality_fraction", "reverse_kl")


# ---------------------------------------------------------------------------- the networks (one pair for all)


def _load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# examples/wgan_gp.py's own toy networks and latent: the benchmark's G and D are the example's, by construction
WGAN_GP = _load_example("wgan_gp")
mlp = WGAN_GP.toy_mlp        # depth hidden layers of width ReLU units, no normalisation
latent = WGAN_GP.latent      # z ~ N(0, I_latent_dim); with --codes K a one-hot c ~ U{1..K} in front


class Discriminator(nn.Module):
    """D: ``pack`` points side by side (R^(2 pack)) -> one score; with ``kernels`` B, minibatch discrimination.

    The same MLP for every method: only its input width (packing) and the B
    closeness scores appended to its last hidden layer (minibatch
    discrimination) change.
    """

    def __init__(self, width, depth, pack=1, kernels=0, kernel_dim=1, arch="wgan_gp"):
        super().__init__()
        self.pack = pack
        if arch == "pacgan":   # PacGAN's 2D discriminator: 3 maxout layers of 200 units
            width = 200
            self.features = nn.Sequential(Maxout(2 * pack, width), Maxout(width, width), Maxout(width, width))
        else:
            body = mlp(2 * pack, width, width, depth - 1)      # depth - 1 hidden layers, then the last one
            self.features = nn.Sequential(body, nn.ReLU())
        if kernels:
            md = MinibatchDiscrimination(width, kernels, kernel_dim)
            self.head = nn.Sequential(md, nn.Linear(md.out_features, 1))
        else:
            self.head = nn.Linear(width, 1)

    def forward(self, x):
        if self.pack > 1:   # PacGAN: rows (x_1, x_2), (x_3, x_4), ... of the batch become one pack each
            x = x.reshape(x.shape[0] // self.pack, 2 * self.pack)
        return self.head(self.features(x))


class Maxout(nn.Module):
    r"""y_j = max_p (W_p x + b_p)_j: ``pieces`` linear maps per unit, the largest wins (Goodfellow et al., 2013)."""

    def __init__(self, in_features, out_features, pieces=5):
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x):
        return mg.max(self.linear(x).reshape(x.shape[0], self.out_features, self.pieces), axis=2)


def pacgan_generator(in_size):
    """PacGAN's 2D generator: 4 hidden layers of 400 units, each Linear -> BatchNorm1d -> ReLU."""
    layers, size = [], in_size
    for _ in range(4):
        layers += [nn.Linear(size, 400), nn.BatchNorm1d(400), nn.ReLU()]
        size = 400
    return nn.Sequential(*layers, nn.Linear(size, 2))


# ---------------------------------------------------------------------------- one run


def label(method, codes=0, sharpen=False, arch="wgan_gp"):
    """The row name of a model class: "wgan-gp", "wgan-gp+code100", "vanilla+sharpen", "pacgan2+pacgan-arch", ..."""
    return (method + ("+pacgan-arch" if arch == "pacgan" else "") + (f"+code{codes}" if codes else "")
            + ("+sharpen" if sharpen else ""))


def train(args, toy, method, seed, on_phase1_end=None):
    """Train G on ``toy`` with ``method`` from ``seed``; ``on_phase1_end(G)`` is called between the phases.

    Returns G.
    """
    mg.manual_seed(seed)
    z_size = args.codes + args.latent_dim
    G = pacgan_generator(z_size) if args.arch == "pacgan" else mlp(z_size, 2, args.width, args.depth)
    D = Discriminator(args.width, args.depth, pack=2 if method == "pacgan2" else 1,
                      kernels=args.kernels if method == "minibatch" else 0, kernel_dim=args.kernel_dim,
                      arch=args.arch)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.9))
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.9))
    draw_real = toy_dataset(toy).sample

    for step in range(args.steps + args.sharpen_steps):
        if step == args.steps and on_phase1_end is not None:
            on_phase1_end(G)
        wgan = method == "wgan-gp" and step < args.steps         # phase 1 of WGAN-GP; every other step: GAN loss
        if step >= args.steps:                                    # phase 2: lr falls linearly to 0
            opt_G.lr = opt_D.lr = args.sharpen_lr * (1 - (step - args.steps) / args.sharpen_steps)

        # ---- 1. D (the critic for WGAN-GP): n_critic steps for WGAN-GP, else one
        for _ in range(args.n_critic if wgan else 1):
            x = mg.tensor(draw_real(args.batch_size))             # x ~ the mixture, a fresh batch
            with mg.no_grad():
                fake = G(latent(args.batch_size, args))           # G(z) as a constant
            real_scores, fake_scores = D(x), D(fake)              # packs for PacGAN; separate batches for
            if wgan:                                              # minibatch discrimination (it compares within)
                loss_D = wasserstein_critic_loss(real_scores, fake_scores) + gradient_penalty(D, x, fake, lam=10.0)
            else:
                loss_D = d_loss_minimax(real_scores, fake_scores)   # -mean log D(x) - mean log(1 - D(G(z)))
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()

        # ---- 2. G: one step with D frozen
        D.requires_grad_(False)
        scores = D(G(latent(args.batch_size, args)))
        loss_G = wasserstein_generator_loss(scores) if wgan else g_loss(scores)   # -mean C(G(z)) | -mean log D(G(z))
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        D.requires_grad_(True)
        check_finite(loss_D, "Loss_D", step)
        check_finite(loss_G, "Loss_G", step)
    return G


def measure(G, args, toy, seed, path, numbers):
    """Score 2,500 samples of G (noise from seed + 10,000), save them beside the numbers; training's noise untouched."""
    state = backend.generator_state()                 # the training stream goes on as if nothing was drawn
    mg.manual_seed(EVAL_SEED_OFFSET + seed)
    drawn = {}

    def draw(n):
        drawn["samples"] = sample(G, latent(n, args))
        return drawn["samples"]

    m = evaluate_2d_generator(draw, toy, n=args.eval_samples)
    backend.set_generator_state(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_samples(path.with_suffix(".npz"), drawn["samples"], toy, seed=seed, **{k: m[k] for k in NUMBERS})
    record = {**numbers, "metrics": {k: m[k] for k in (*NUMBERS, "n_modes", "mode_counts")}}
    path.with_suffix(".json").write_text(json.dumps(record, indent=1))
    return record


def machine():
    """What the numbers may depend on: the CPU model, NumPy's version and the BLAS threads."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "numpy": backend.numpy.__version__, "backend": mg.BACKEND,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
            "blas_coretype": os.environ.get("OPENBLAS_CORETYPE", "auto")}


def run_one(args, toy, method, seed):
    """One training run; writes its phase-1 record and, with sharpening, its phase-2 record. Returns them."""
    settings = {name: getattr(args, name) for name in ("steps", "sharpen_steps", "lr", "sharpen_lr", "batch_size",
                                                       "latent_dim", "width", "depth", "n_critic", "codes",
                                                       "kernels", "kernel_dim", "eval_samples", "arch")}
    base = {"toy": toy, "method": method, "seed": seed, "settings": settings, "machine": machine()}
    out = pathlib.Path(args.out) / toy
    records, start = [], time.perf_counter()

    def record(G, sharpened):
        name, steps = label(method, args.codes, sharpened, args.arch), args.steps + sharpened * args.sharpen_steps
        numbers = {**base, "label": name, "generator_steps": steps, "seconds": time.perf_counter() - start}
        records.append(measure(G, args, toy, seed, out / name / f"seed{seed}", numbers))

    G = train(args, toy, method, seed, on_phase1_end=(lambda G: record(G, False)) if args.sharpen_steps else None)
    record(G, bool(args.sharpen_steps))
    return records


# ---------------------------------------------------------------------------- the summary tables


def mean_se(values):
    """(mean, standard error = sample std / sqrt(n)) of the finite values, and how many were finite."""
    finite = [v for v in values if not math.isnan(v)]
    n = len(finite)
    if n == 0:
        return math.nan, math.nan, 0
    mean = sum(finite) / n
    se = math.sqrt(sum((v - mean) ** 2 for v in finite) / (n - 1) / n) if n > 1 else math.nan
    return mean, se, n


def load_records(out):
    """toy -> label -> the records of its runs, sorted by seed."""
    table = {}
    for path in sorted(pathlib.Path(out).glob("*/*/seed*.json")):
        record = json.loads(path.read_text())
        table.setdefault(record["toy"], {}).setdefault(record["label"], []).append(record)
    for rows in table.values():
        for records in rows.values():
            records.sort(key=lambda r: r["seed"])
    return table


def _cell(values, fmt, scale=1.0):
    mean, se, n = mean_se([scale * v for v in values])
    if n == 0:
        return "undefined (no high-quality sample)"
    text = format(mean, fmt) + (f" ± {format(se, fmt)}" if n > 1 else "")
    return text + (f" ({n} of {len(values)} seeds¹)" if n < len(values) else "")


def row_label(name):
    method, *extras = name.split("+")
    text = NAMES.get(method, method)
    for extra in extras:
        if extra == "pacgan-arch":
            text += " (PacGAN's networks)"
        else:
            text += " + sharpen" if extra == "sharpen" else f" + {extra.removeprefix('code')}-way code"
    return text


def summary_tables(out):
    """The markdown tables, one per toy: a column per number, mean ± standard error over the held-out seeds."""
    lines = []
    for toy, rows in sorted(load_records(out).items(), key=lambda item: item[0] != "ring"):
        n_modes = next(iter(rows.values()))[0]["metrics"]["n_modes"]
        lines += [f"### {toy} ({n_modes} modes)", "",
                  "| method | seeds | generator steps | modes | strict modes | high quality (%) | reverse KL "
                  "| seeds with every mode (lenient / strict) | wall time per run |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name in sorted(rows, key=_order):
            records = rows[name]
            m = [r["metrics"] for r in records]
            seeds = [r["seed"] for r in records]
            every = sum(x["modes_captured"] == n_modes for x in m)
            every_strict = sum(x["modes_captured_strict"] == n_modes for x in m)
            wall, _, _ = mean_se([r["seconds"] for r in records])
            lines.append(
                f"| {row_label(name)} | {_seed_range(seeds)} | {records[0]['generator_steps']} "
                f"| {_cell([x['modes_captured'] for x in m], '.1f')} "
                f"| {_cell([x['modes_captured_strict'] for x in m], '.1f')} "
                f"| {_cell([x['high_quality_fraction'] for x in m], '.1f', 100)} "
                f"| {_cell([x['reverse_kl'] for x in m], '.3f')} "
                f"| {every} / {every_strict} of {len(m)} | {wall:.0f} s |")
        lines.append("")
    return lines


def _order(name):
    method = name.split("+")[0]
    return (METHODS.index(method) if method in METHODS else len(METHODS), name)


def _seed_range(seeds):
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _without_code(name):
    """The row name without its "+codeK" part: the same model with the continuous latent only."""
    return "+".join(part for part in name.split("+") if not part.startswith("code"))


def paired_ranking(out, numbers=("modes_captured_strict", "high_quality_fraction")):
    """Which rankings hold across the seeds: paired comparisons, seed by seed, of rows run on the same seeds.

    Within each group of rows (without sharpening; with it) the rows are
    ranked by their mean; each neighbour pair in that order, each method
    against its own "+ sharpen" row and each "+ K-way code" row against the
    same row without the code, is compared on the seeds both ran:
    d_s = A_s - B_s, and the ranking *holds* when mean(d) > 2 se(d) (and A is
    ahead on more seeds than it is behind). Returns lines of markdown.
    """
    lines = []
    for toy, rows in sorted(load_records(out).items(), key=lambda item: item[0] != "ring"):
        for number in numbers:
            value = {name: {r["seed"]: r["metrics"][number] for r in records} for name, records in rows.items()}
            pairs = []
            for sharpened in (False, True):
                group = [name for name in rows if name.endswith("+sharpen") == sharpened]
                group.sort(key=lambda name: -mean_se(list(value[name].values()))[0])
                pairs += list(zip(group, group[1:]))
            pairs += [(name + "+sharpen", name) for name in rows if name + "+sharpen" in rows]
            pairs += [(name, _without_code(name)) for name in rows if _without_code(name) in rows.keys() - {name}]
            done = set()
            for a, b in pairs:
                common = sorted(set(value[a]) & set(value[b]))
                d = [value[a][s] - value[b][s] for s in common]
                if len(d) < 2 or any(math.isnan(x) for x in d) or frozenset((a, b)) in done:
                    continue
                done.add(frozenset((a, b)))
                if sum(d) < 0:                         # say it the way round that is ahead
                    a, b, d = b, a, [-x for x in d]
                mean, se, n = mean_se(d)
                ahead, behind = sum(x > 0 for x in d), sum(x < 0 for x in d)
                holds = mean > 2 * se and ahead > behind if se > 0 else ahead == n
                unit = 100 if number == "high_quality_fraction" else 1
                lines.append(f"- {toy}, {number.replace('_', ' ')}: {row_label(a)} over {row_label(b)}: "
                             f"{unit * mean:+.2f} ± {unit * se:.2f} per seed, ahead on {ahead}, behind on {behind} "
                             f"of {n}: {'holds' if holds else 'not resolved by these seeds'}")
    return lines


def write_page(out, page, title="The like-for-like benchmark on ring-8 and grid-25: results"):
    """Write ``page`` (markdown): the settings and machines of the records in ``out``, the tables, the rankings,
    and one picture per toy (the samples of the first seed of each row)."""
    from minigan.backend import load_npz
    from minigan.viz import plot_points_2d

    table = load_records(out)
    page = pathlib.Path(page)
    records = [r for rows in table.values() for records in rows.values() for r in records]
    if not records:
        raise SystemExit(f"no records under {out}: run `benchmark_toys.py run --out {out}` first")
    settings = sorted({json.dumps(r["settings"], sort_keys=True) for r in records})
    cpus = sorted({f"{r['machine']['cpu']} (NumPy {r['machine']['numpy']}, "
                   f"OPENBLAS_NUM_THREADS={r['machine']['blas_threads']}, "
                   f"OPENBLAS_CORETYPE={r['machine'].get('blas_coretype', 'auto')})" for r in records})
    lines = [
        f"# {title}",
        "",
        "Written by `python scripts/benchmark_toys.py summary --out "
        f"{os.path.relpath(out, ROOT)} --page {os.path.relpath(page, ROOT)}` from the records (json) and samples "
        "(npz) in this folder; the protocol and what each number means are in "
        f"[docs/benchmark.md]({os.path.relpath(ROOT / 'docs' / 'benchmark.md', page.parent)}). "
        "Every cell is the mean ± standard error over the seeds named in its row (se = sample std / sqrt(n)); "
        "the seeds with every mode are counted under the lenient (VEEGAN's) and "
        "the strict rule. A \"+ sharpen\" row is the same runs as the row above it, measured again after the "
        "sharpening phase; its generator steps include phase 1.",
        "",
        "Settings of the runs: " + "; ".join(f"`{text}`" for text in settings) + ".",
        "",
        "Machines: " + "; ".join(cpus) + ". The numbers of one seed change from one CPU to another (see the "
        "protocol); the wall times are this machine's, with two runs at a time.",
        "",
    ]
    lines += summary_tables(out)
    lines += ["¹ the reverse KL of the mode histogram is undefined (0/0) for a seed with no high-quality sample; "
              "the cell is then the mean over the seeds where it is defined, and says how many.", "",
              "## Which rankings hold across the seeds", "",
              "Paired by seed: for two rows run on the same seeds, d = A - B seed by seed; a ranking *holds* when "
              "the mean of d is more than twice its standard error. Strict modes, then high quality (in "
              "percentage points).", ""]
    lines += paired_ranking(out) + [""]
    for toy, rows in sorted(table.items(), key=lambda item: item[0] != "ring"):
        for sharpened in (False, True):
            panels, modes = {}, None
            for name in sorted((name for name in rows if name.endswith("+sharpen") == sharpened), key=_order):
                first = rows[name][0]
                arrays = load_npz(pathlib.Path(out) / toy / name / f"seed{first['seed']}.npz")
                modes = arrays["modes"]
                m = first["metrics"]
                title = (f"{row_label(name)}\nseed {first['seed']}: {m['modes_captured']} / "
                         f"{m['modes_captured_strict']} strict, {100 * m['high_quality_fraction']:.0f}% HQ")
                panels[title] = arrays["samples"]
            if not panels:
                continue
            picture = page.parent / f"{toy}_points{'_sharpen' if sharpened else ''}.png"
            plot_points_2d(panels, picture, modes=modes, limit=3.5 if toy == "ring" else 6.5,
                           title=f"{toy}{' after sharpening' if sharpened else ''}: the first seed of each row "
                                 "(modes lenient / strict)")
            lines += [f"![{toy}]({os.path.relpath(picture, page.parent)})", ""]
    page.write_text("\n".join(lines))
    return page


# ---------------------------------------------------------------------------- command line


def seed_list(text):
    """ "1000-1009" -> 1000 .. 1009; "0,3,5" -> 0, 3, 5."""
    seeds = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    return seeds


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=("run", "summary", "rescore", "compare"),
                   help="run: train and record; summary: the tables (--page: the page); rescore: check the npz "
                        "files; compare: --out against --against, seed by seed")
    p.add_argument("--toys", nargs="+", choices=("ring", "grid"), default=["ring", "grid"])
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    p.add_argument("--seeds", type=seed_list, default=list(HELD_OUT_SEEDS),
                   help="e.g. 1000-1009 (the held-out seeds, default) or 0,1,2 (tuning seeds)")
    p.add_argument("--steps", type=int, default=2000, help="phase 1: generator steps of the method (default 2000)")
    p.add_argument("--sharpen-steps", type=int, default=4000,
                   help="phase 2: generator steps of the GAN loss, lr falling to 0 (0: none; default 4000)")
    p.add_argument("--lr", type=float, default=1e-3, help="phase 1 Adam lr of G and D (default 1e-3)")
    p.add_argument("--sharpen-lr", type=float, default=3e-4, help="phase 2 lr at its start (default 3e-4)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--latent-dim", type=int, default=2, help="size of the continuous z (default 2)")
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--depth", type=int, default=3, help="hidden layers of G and of D (default 3)")
    p.add_argument("--n-critic", type=int, default=5, help="WGAN-GP's critic steps per generator step")
    p.add_argument("--codes", type=int, default=0, help="a K-way one-hot code in front of z (default 0: none)")
    p.add_argument("--kernels", type=int, default=8, help="minibatch discrimination: B closeness scores")
    p.add_argument("--kernel-dim", type=int, default=1, help="minibatch discrimination: C, each kernel's length")
    p.add_argument("--arch", choices=("wgan_gp", "pacgan"), default="wgan_gp",
                   help="the networks: examples/wgan_gp.py's MLPs (--width, --depth; default), or PacGAN's 2D ones "
                        "(G 4x400 with BatchNorm, D 3x200 maxout with 5 pieces; --width/--depth unused)")
    p.add_argument("--eval-samples", type=int, default=2500)
    p.add_argument("--out", default=str(ROOT / "runs" / "benchmark"), help="folder of the records (json, npz)")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time, each in its own process, one BLAS thread")
    p.add_argument("--force", action="store_true", help="rerun runs whose record already exists")
    p.add_argument("--against", help="compare: a second study's folder (another machine, another BLAS kernel)")
    p.add_argument("--title", help="summary: the page's title")
    p.add_argument("--page", help="summary: also write this markdown page (and a picture per toy beside it)")
    args = p.parse_args(argv)
    for name in ("steps", "batch_size", "latent_dim", "width", "depth", "n_critic", "kernels", "kernel_dim",
                 "eval_samples", "jobs"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.sharpen_steps < 0 or args.codes < 0:
        p.error("--sharpen-steps and --codes must be 0 or more")
    if not (0 < args.lr < 1 and 0 < args.sharpen_lr < 1):
        p.error("--lr and --sharpen-lr must lie in (0, 1)")
    if "pacgan2" in args.methods and args.batch_size % 2:
        p.error(f"PacGAN2 packs pairs: --batch-size must be even, got {args.batch_size}")
    return args


def final_record_path(args, toy, method, seed):
    name = label(method, args.codes, bool(args.sharpen_steps), args.arch)
    return pathlib.Path(args.out) / toy / name / f"seed{seed}.json"


def child_argv(args, toy, method, seed):
    argv = [sys.executable, __file__, "run", "--toys", toy, "--methods", method, "--seeds", str(seed), "--force"]
    for name in ("steps", "sharpen_steps", "lr", "sharpen_lr", "batch_size", "latent_dim", "width", "depth",
                 "n_critic", "codes", "kernels", "kernel_dim", "eval_samples", "arch", "out"):
        argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    return argv


def compare(out, other):
    """Seed by seed, the rows of two studies (two machines, two BLAS kernels) side by side (lines of markdown).

    For each row and number: the mean absolute difference between the two over
    the seeds both ran, how many seeds differ at all, and whether the samples
    are bit-identical.
    """
    a, b = load_records(out), load_records(other)
    heads = ("modes", "strict modes", "high quality (points)", "reverse KL")
    lines = ["| toy | row | seeds | bit-identical samples | " + " | ".join(f"mean abs diff, {h}" for h in heads)
             + " |", "|---|---|---|---|" + "---|" * len(heads)]
    for toy in sorted(set(a) & set(b)):
        for name in sorted(set(a[toy]) & set(b[toy]), key=_order):
            ra, rb = ({r["seed"]: r for r in rows[toy][name]} for rows in (a, b))
            seeds = sorted(set(ra) & set(rb))
            same = sum(bool((load_samples(out, toy, name, s) == load_samples(other, toy, name, s)).all())
                       for s in seeds)
            cells = []
            for n in NUMBERS:
                pairs = [(ra[s]["metrics"][n], rb[s]["metrics"][n]) for s in seeds]
                d = [0.0 if x == y or (math.isnan(x) and math.isnan(y)) else abs(x - y) for x, y in pairs]
                scale = 100 if n == "high_quality_fraction" else 1
                cells.append(f"{scale * mean_se(d)[0]:.3g}")
            lines.append(f"| {toy} | {row_label(name)} | {_seed_range(seeds)} | {same} of {len(seeds)} | "
                         + " | ".join(cells) + " |")
    return lines


def load_samples(out, toy, name, seed):
    from minigan.backend import load_npz

    return load_npz(pathlib.Path(out) / toy / name / f"seed{seed}.npz")["samples"]


def rescore_all(out):
    """Score every saved .npz under ``out`` again and compare with its json; returns the mismatches (lines)."""
    from minigan.metrics import rescore_samples

    problems, count = [], 0
    for path in sorted(pathlib.Path(out).glob("*/*/seed*.json")):
        stored = json.loads(path.read_text())["metrics"]
        again = rescore_samples(path.with_suffix(".npz"))
        count += 1
        for name in NUMBERS:
            a, b = stored[name], again[name]
            if not (a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))):
                problems.append(f"{path}: {name} is {a} in the record but {b} from the samples")
    return problems, count


def main(argv=None):
    args = parse_args(argv)
    if args.command == "compare":
        print("\n".join(compare(args.out, args.against)))
        return
    if args.command == "rescore":
        problems, count = rescore_all(args.out)
        print("\n".join(problems) or f"all {count} records under {args.out} agree with their samples")
        sys.exit(1 if problems else 0)
    if args.command == "summary":
        print("\n".join(summary_tables(args.out) + paired_ranking(args.out)))
        if args.page:
            print(f"wrote {write_page(args.out, args.page, *([args.title] if args.title else []))}")
        return
    # seed by seed, so that a study stopped early has every method on its first seeds
    todo = [(toy, method, seed) for toy in args.toys for seed in args.seeds for method in args.methods
            if args.force or not final_record_path(args, toy, method, seed).exists()]
    if args.jobs > 1:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}

        def child(job):
            done = subprocess.run(child_argv(args, *job), env=env, capture_output=True, text=True)
            print(f"== {' '.join(map(str, job))}: exit {done.returncode} {done.stdout.strip()}"
                  f"{done.stderr[-1000:]}", flush=True)
            return done.returncode

        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            failed = [job for job, code in zip(todo, pool.map(child, todo)) if code]
        if failed:
            sys.exit(f"these runs failed: {failed}")
        return
    for toy, method, seed in todo:
        for r in run_one(args, toy, method, seed):
            m = r["metrics"]
            print(f"{toy} {r['label']} seed {seed}: {m['modes_captured']}/{m['n_modes']} modes "
                  f"({m['modes_captured_strict']} strict), {100 * m['high_quality_fraction']:.1f} % HQ, "
                  f"reverse KL {m['reverse_kl']:.3f}, {r['seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
