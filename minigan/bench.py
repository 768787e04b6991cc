"""Speed of minigan next to PyTorch on the CPU: ``python -m minigan.bench [--cases gemm,conv]``.

Everything is timed in one process and one run, and the contenders of a row
take turns, so they see the same machine load and their ratio is fair even on
a busy machine. A time is the best of ``--repeat`` calls by default (as
``timeit`` advises: slower calls were slowed by something else), or their
median with ``--stat median``. PyTorch (the ``bench`` extra, ``pip install
"minigan[bench]"``) gets the same number of threads and float32; without it
only minigan's column is filled.

A case is a function ``case(bench) -> list of Row`` listed in :data:`CASES`;
add one by writing the function and listing it. ``bench.row(...)`` times
minigan's and PyTorch's version of the same work. Rows that count FLOPs also
time a plain 2048 x 2048 float32 matrix product in the same rotation: the
machine's GEMM rate at that moment, the yardstick for "% of GEMM".

The cases: the GEMM yardstick; one convolution's forward and gradients; whole
training steps (DCGAN on MNIST-sized images, an MLP GAN, a WGAN-GP critic
step), each built once from either library's ``nn``; the peak memory of a
DCGAN training process; per-op overhead. A row may carry a target (a largest
minigan/torch ratio or a smallest % of GEMM); the table says whether it is met.
On a busy machine, give the run priority and compare ratios within one run::

    echo -20 > /proc/$$/autogroup; nice -n -20 python -m minigan.bench
"""

import argparse
import os
import statistics
import time
from dataclasses import dataclass

import minigan as mg
from minigan import backend
from minigan.backend import xp
from minigan.ops.conv import conv2d

GEMM_SIZE = 2048
ROUNDS = 5
SETTLE_S = 0.2  # pause before each block: the other library's BLAS/OpenMP threads stop spinning


@dataclass
class Row:
    """One line of the table: minigan's and PyTorch's value (None if not run), in ``unit``.

    Times are in seconds (``unit="s"``, shown as ms); other units (``"us"``,
    ``"MiB"``) are shown as they are. ``flops`` is the arithmetic of one call,
    if counted, and ``gemm_gflops`` the machine's matrix-product rate measured
    alongside.
    """

    name: str
    minigan: float
    torch: float | None = None
    unit: str = "s"
    flops: float | None = None
    gemm_gflops: float | None = None
    max_ratio: float | None = None
    min_gemm_percent: float | None = None

    def target(self):
        """The row's goal as text ("<= 1.0x", ">= 65% GEMM"), or "-"."""
        if self.max_ratio is not None:
            return f"<= {self.max_ratio:.1f}x"
        return f">= {self.min_gemm_percent:.0f}% GEMM" if self.min_gemm_percent is not None else "-"

    def met(self):
        """"yes" or "no" when the row has a target that can be judged from its numbers, else "-"."""
        if self.max_ratio is not None and self.torch:
            return "yes" if self.minigan / self.torch <= self.max_ratio else "no"
        if self.min_gemm_percent is not None and self.flops and self.gemm_gflops:
            percent = 100 * self.flops / self.minigan / 1e9 / self.gemm_gflops
            return "yes" if percent >= self.min_gemm_percent else "no"
        return "-"


class Bench:
    """What cases share: the timer, PyTorch (or None), and the GEMM yardstick."""

    def __init__(self, repeat=20, threads=None, use_torch=True, stat="min"):
        self.repeat, self.stat = repeat, {"min": min, "median": statistics.median}[stat]
        self.threads = threads or _default_threads()
        self.torch = _import_torch(self.threads) if use_torch else None
        a, b = mg.tensor(backend.randn(GEMM_SIZE, GEMM_SIZE)), mg.tensor(backend.randn(GEMM_SIZE, GEMM_SIZE))
        self.gemm = (lambda: a @ b, None)
        if self.torch is not None:
            ta, tb = self.torch_tensor(a), self.torch_tensor(b)
            self.gemm = (self.gemm[0], lambda: ta @ tb)

    def row(self, name, fn, torch_fn=None, setup=None, torch_setup=None, flops=None, yardstick=True):
        """Time ``fn`` and (when PyTorch is here) ``torch_fn``: a :class:`Row`.

        ``setup`` / ``torch_setup`` run untimed before each call. The
        contenders take turns in blocks (``ROUNDS`` rounds; a block is one
        warm-up call, then its share of ``repeat`` timed calls), so each runs
        in its own steady state while both see the same drift in machine
        load; a time is the best (or median) of its timed calls. With
        ``flops`` and ``yardstick``, both libraries' GEMM join the rounds, and
        the best of their rates is the row's ``gemm_gflops``.
        """
        timers = [_Timer(fn, setup)] + self._torch_timers(torch_fn, torch_setup)
        yard = []
        if flops and yardstick:
            yard = [_Timer(self.gemm[0], None)] + self._torch_timers(self.gemm[1], None)
        rounds = min(ROUNDS, self.repeat)
        for i in range(rounds):
            calls = self.repeat // rounds + (i < self.repeat % rounds)  # repeat calls in all
            for timer in timers:
                timer.block(calls)
            for timer in yard:
                timer.block(1)
        seconds = [self.stat(timer.times) for timer in timers] + [None]
        row = Row(name, seconds[0], seconds[1], flops=flops)
        if yard:
            row.gemm_gflops = max(2.0 * GEMM_SIZE**3 / self.stat(t.times) / 1e9 for t in yard)
        return row

    def _torch_timers(self, torch_fn, torch_setup):
        return [_Timer(torch_fn, torch_setup)] if torch_fn is not None and self.torch is not None else []

    def torch_tensor(self, t, requires_grad=False):
        """A CPU float32 torch tensor, C-contiguous (as torch makes them), with the data of the minigan Tensor ``t``."""
        out = self.torch.from_numpy(backend.to_numpy(t.data).astype("float32", order="C", copy=True))
        return out.requires_grad_(requires_grad)


class _Timer:
    def __init__(self, fn, setup):
        self.fn, self.setup, self.times = fn, setup, []

    def block(self, calls):
        """A pause, one untimed warm-up call, then ``calls`` timed ones."""
        time.sleep(SETTLE_S)
        for i in range(calls + 1):
            if self.setup is not None:
                self.setup()
            _synchronize()
            start = time.perf_counter()
            self.fn()
            _synchronize()
            if i > 0:
                self.times.append(time.perf_counter() - start)


def _default_threads():
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _import_torch(threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def _synchronize():
    if backend.BACKEND == "cupy":
        xp.cuda.Stream.null.synchronize()


# --------------------------------------------------------------------- cases


def gemm(bench):
    """A plain float32 matrix product, 2048 x 2048 by 2048 x 2048: the machine's yardstick."""
    row = bench.row(f"matmul {GEMM_SIZE}x{GEMM_SIZE} float32", *bench.gemm, flops=2.0 * GEMM_SIZE**3, yardstick=False)
    row.gemm_gflops = max(row.flops / t / 1e9 for t in (row.minigan, row.torch) if t)
    return [row]


def conv(bench, n=64, c_in=64, size=14, c_out=128, k=4, stride=2, padding=1):
    """Conv2d (64,64,14,14) * (128,64,4,4), stride 2, padding 1: forward, input- and weight-gradient.

    The gradients are timed as in training: a recorded forward (untimed), then
    the backward pass to x alone or to w alone. minigan's weight-gradient
    reuses the im2col columns kept by that forward, so im2col is paid once, in
    the forward.

    The images are stored as each library's own layers leave them, as they
    are in the middle of a network (this is D's second convolution): NCHW for
    PyTorch, channels-last for minigan (see minigan/ops/conv.py). The PyTorch
    tensors are contiguous NCHW copies of the same numbers.
    """
    out = (size + 2 * padding - k) // stride + 1
    flops = 2.0 * n * c_out * out * out * c_in * k * k
    x = mg.tensor(_channels_last(backend.randn(n, c_in, size, size)))
    w = mg.tensor(backend.randn(c_out, c_in, k, k) * 0.05)
    gy = mg.tensor(_channels_last(backend.randn(n, c_out, out, out)))
    title = f"conv2d ({n},{c_in},{size},{size})*({c_out},{c_in},{k},{k}) s{stride} p{padding}"

    torch = bench.torch
    F = torch.nn.functional if torch else None
    tx, tw, tgy = (bench.torch_tensor(t) for t in (x, w, gy)) if torch else (None, None, None)

    def forward():
        with mg.no_grad():
            conv2d(x, w, stride=stride, padding=padding)

    def torch_forward():
        with torch.no_grad():
            F.conv2d(tx, tw, stride=stride, padding=padding)

    def backward(wrt):
        """(setup, run, torch_setup, torch_run): a recorded forward, then the backward to x and/or w."""
        xs, ws = mg.Tensor(x.data, requires_grad="x" in wrt), mg.Tensor(w.data, requires_grad="w" in wrt)
        inputs = [t for t in (xs, ws) if t.requires_grad]
        state = {}

        def setup():
            state["y"] = conv2d(xs, ws, stride=stride, padding=padding)

        def run():
            mg.grad(state["y"], inputs, grad_outputs=[gy])

        if not torch:
            return setup, run, None, None
        txs, tws = tx.detach().requires_grad_("x" in wrt), tw.detach().requires_grad_("w" in wrt)
        torch_inputs = [t for t in (txs, tws) if t.requires_grad]

        def torch_setup():
            state["ty"] = F.conv2d(txs, tws, stride=stride, padding=padding)

        def torch_run():
            torch.autograd.grad(state["ty"], torch_inputs, tgy)

        return setup, run, torch_setup, torch_run

    rows = [bench.row(f"{title} forward", forward, torch_forward, flops=flops)]
    rows[0].min_gemm_percent = 65
    for wrt, label in (("x", "input-gradient"), ("w", "weight-gradient")):
        setup, run, torch_setup, torch_run = backward(wrt)
        rows.append(bench.row(f"{title} {label}", run, torch_run, setup, torch_setup, flops=flops))
    setup, run, torch_setup, torch_run = backward("xw")
    rows.append(
        bench.row(
            f"{title} forward+backward",
            lambda: (setup(), run()),
            None if torch_run is None else (lambda: (torch_setup(), torch_run())),
            flops=3 * flops,
        )
    )
    return rows


def _channels_last(images):
    """The (N, C, H, W) array ``images`` stored channels-last, as minigan's convolutions store their outputs."""
    return xp.ascontiguousarray(images.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def overhead(bench):
    """Per-op overhead: microseconds per call of tiny ops (graph bookkeeping, not arithmetic)."""
    try:
        from minigan._overhead import time_op_overhead
    except ImportError:
        return []
    micros = time_op_overhead()
    return [
        Row(f"per-op overhead: {name}", value, micros.get(f"torch_{name}"), unit="us")
        for name, value in micros.items()
        if not name.startswith("torch_")
    ]


# --------------------------------------------------------------------- training steps
#
# torch.nn and minigan.nn share their layer names and signatures, so each
# network below is built by one function from either library's ``nn``, and
# PyTorch's copy starts from minigan's weights (loaded from the state_dict).
# The steps are written once too: both libraries spell zero_grad(),
# backward(), step(), detach() and requires_grad_() the same way.

LATENT = 100
BATCH = 64


def dcgan_generator(nn):
    """G: z (N, 100) -> Linear + BN1d + ReLU -> (128, 7, 7) -> ConvT 7->14 + BN2d + ReLU -> ConvT 14->28 + Tanh."""
    return nn.Sequential(
        nn.Linear(LATENT, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(),
    )


def dcgan_discriminator(nn):
    """D: (N, 1, 28, 28) -> Conv 28->14 + LeakyReLU(0.2) -> Conv 14->7 + BN2d + LeakyReLU(0.2) -> Linear(6272, 1)."""
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1),
    )


def mlp_generator(nn):
    """G: z (N, 100) -> 256 -> 512 -> 784, LeakyReLU(0.2) between, Tanh at the end."""
    return nn.Sequential(
        nn.Linear(LATENT, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 784), nn.Tanh(),
    )


def mlp_discriminator(nn):
    """D (or a WGAN critic): x (N, 784) -> 512 -> 256 -> 1, LeakyReLU(0.2) between."""
    return nn.Sequential(
        nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1),
    )


def gan_step(G, D, opt_G, opt_D, z, real, d_loss, g_loss):
    """One D step on real and detached fake, then one G step (D frozen) on the same fake."""
    fake = G(z)
    opt_D.zero_grad()
    d_loss(D(real), D(fake.detach())).backward()
    opt_D.step()
    opt_G.zero_grad()
    D.requires_grad_(False)
    g_loss(D(fake)).backward()
    D.requires_grad_(True)
    opt_G.step()


def critic_step(C, opt, real, fake, penalty, lam=10.0):
    """One WGAN-GP critic step: E[C(fake)] - E[C(real)] + lam E[(||grad C(x^)|| - 1)^2], then Adam."""
    opt.zero_grad()
    loss = C(fake).mean() - C(real).mean() + penalty(C, real, fake, lam)
    loss.backward()
    opt.step()


def _minigan_losses():
    from minigan.gan import d_loss_minimax, g_loss

    return d_loss_minimax, g_loss


def _torch_losses(torch):
    """The same losses as BCE with logits: L_D = BCE(real, 1) + BCE(fake, 0), L_G = BCE(fake, 1)."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def d_loss(real_logits, fake_logits):
        return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))

    def g_loss(fake_logits):
        return bce(fake_logits, torch.ones_like(fake_logits))

    return d_loss, g_loss


def _torch_gradient_penalty(torch):
    def gradient_penalty(critic, real, fake, lam):
        eps = torch.rand(real.shape[0], 1)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
        return lam * ((g.norm(2, dim=1) - 1) ** 2).mean()

    return gradient_penalty


def _torch_copy(bench, model, build):
    """``build(torch.nn)`` holding the weights and buffers of the minigan ``model``."""
    torch = bench.torch
    copy = build(torch.nn)
    copy.load_state_dict({key: torch.from_numpy(value) for key, value in model.state_dict().items()})
    return copy


def _gan_rows(bench, name, build_G, build_D, real_shape, max_ratio):
    """A Row timing :func:`gan_step` with Adam 2e-4 (0.5, 0.999) in both libraries, batch 64."""
    from minigan import nn, optim

    G, D = build_G(nn), build_D(nn)
    z, real = mg.tensor(backend.randn(BATCH, LATENT)), mg.tensor(backend.rand(BATCH, *real_shape) * 2 - 1)
    opts = [optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (G, D)]
    d_loss, g_loss = _minigan_losses()
    torch_fn = None
    if bench.torch:
        torch = bench.torch
        tG, tD = _torch_copy(bench, G, build_G), _torch_copy(bench, D, build_D)
        tz, treal = bench.torch_tensor(z), bench.torch_tensor(real)
        topts = [torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (tG, tD)]
        td_loss, tg_loss = _torch_losses(torch)

        def torch_fn():
            gan_step(tG, tD, *topts, tz, treal, td_loss, tg_loss)

    row = bench.row(name, lambda: gan_step(G, D, *opts, z, real, d_loss, g_loss), torch_fn)
    row.max_ratio = max_ratio
    return [row]


def dcgan(bench):
    """A DCGAN-MNIST training step, batch 64: D on real and detached fake, then G (non-saturating loss)."""
    return _gan_rows(bench, "DCGAN-MNIST training step (batch 64)", dcgan_generator, dcgan_discriminator,
                     (1, 28, 28), max_ratio=1.0)


def mlp_gan(bench):
    """An MLP GAN training step, batch 64: G 100-256-512-784, D 784-512-256-1, LeakyReLU(0.2)."""
    return _gan_rows(bench, "MLP GAN training step (batch 64)", mlp_generator, mlp_discriminator, (784,),
                     max_ratio=0.7)


def wgan_gp(bench):
    """A WGAN-GP critic step, batch 64: MLP critic 784-512-256-1, lambda = 10, Adam 1e-4 (0, 0.9)."""
    from minigan import nn, optim
    from minigan.gan import gradient_penalty

    C = mlp_discriminator(nn)
    real, fake = (mg.tensor(backend.rand(BATCH, 784) * 2 - 1) for _ in range(2))
    opt = optim.Adam(C.parameters(), lr=1e-4, betas=(0.0, 0.9))
    torch_fn = None
    if bench.torch:
        torch = bench.torch
        tC = _torch_copy(bench, C, mlp_discriminator)
        treal, tfake = bench.torch_tensor(real), bench.torch_tensor(fake)
        topt = torch.optim.Adam(tC.parameters(), lr=1e-4, betas=(0.0, 0.9))
        penalty = _torch_gradient_penalty(torch)

        def torch_fn():
            critic_step(tC, topt, treal, tfake, penalty)

    row = bench.row("WGAN-GP critic step (MLP, batch 64)", lambda: critic_step(C, opt, real, fake, gradient_penalty),
                    torch_fn)
    row.max_ratio = 1.0
    return [row]


# --------------------------------------------------------------------- peak memory

MEMORY_STEPS = 20


def memory_child(library, steps=MEMORY_STEPS):
    """Run ``steps`` DCGAN training steps with ``library`` ("minigan" or "torch"); print the peak RSS in MiB.

    Meant for a fresh process (see :func:`memory`); the peak is that of the
    whole process, imports included.
    """
    if library == "torch":
        torch = _import_torch(_default_threads())
        nn, optim, losses = torch.nn, torch.optim, _torch_losses(torch)
        z, real = torch.randn(BATCH, LATENT), torch.rand(BATCH, 1, 28, 28) * 2 - 1
    else:
        from minigan import nn, optim

        losses = _minigan_losses()
        z, real = mg.tensor(backend.randn(BATCH, LATENT)), mg.tensor(backend.rand(BATCH, 1, 28, 28) * 2 - 1)
    G, D = dcgan_generator(nn), dcgan_discriminator(nn)
    opts = [optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (G, D)]
    for _ in range(steps):
        gan_step(G, D, *opts, z, real, *losses)
    print(_peak_rss_mib())


def _peak_rss_mib():
    """This process's peak resident memory in MiB.

    On Linux, VmHWM of /proc/self/status: the high-water mark of this
    program's own memory. ru_maxrss would do elsewhere, but on Linux a child
    started by fork + exec inherits the parent's peak in it (here the parent
    holds PyTorch and every model of the bench, more than either child).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux (bytes on macOS)


def memory(bench, steps=MEMORY_STEPS):
    """Peak resident memory (MiB) of a fresh process that runs DCGAN training steps, minigan vs PyTorch.

    Each library runs in its own ``python -c`` subprocess, so this process's
    memory does not count. Both import minigan.bench (about 4 MiB on top of
    PyTorch's import); nothing is subtracted.
    """
    import subprocess
    import sys

    def peak(library):
        code = f"from minigan.bench import memory_child; memory_child({library!r}, {steps})"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return float(out.stdout.split()[-1])

    row = Row(f"peak RSS, {steps} DCGAN steps (fresh process)", peak("minigan"),
              peak("torch") if bench.torch else None, unit="MiB")
    row.max_ratio = 0.5
    return [row]


CASES = [gemm, conv, dcgan, mlp_gan, wgan_gp, memory, overhead]


# --------------------------------------------------------------------- the table


def format_table(rows):
    """The rows as an aligned text table: values, the minigan/torch ratio, GFLOP/s and % of GEMM."""
    header = ["case", "minigan", "torch", "minigan/torch", "minigan GFLOP/s", "torch GFLOP/s", "GEMM GFLOP/s",
              "minigan % GEMM", "target", "met"]
    lines = [header]
    for r in rows:
        rate = r.flops / r.minigan / 1e9 if r.flops else None
        torch_rate = r.flops / r.torch / 1e9 if r.flops and r.torch else None
        lines.append([
            r.name,
            _show(r.minigan, r.unit),
            _show(r.torch, r.unit),
            f"{r.minigan / r.torch:.2f}x" if r.torch else "-",
            f"{rate:.1f}" if rate else "-",
            f"{torch_rate:.1f}" if torch_rate else "-",
            f"{r.gemm_gflops:.1f}" if r.gemm_gflops else "-",
            f"{100 * rate / r.gemm_gflops:.0f}%" if rate and r.gemm_gflops else "-",
            r.target(),
            r.met(),
        ])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = []
    for i, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(line[1:], widths[1:])]
        text.append("  ".join(cells))
        if i == 0:
            text.append("  ".join("-" * w for w in widths))
    return "\n".join(text)


def _show(value, unit):
    if value is None:
        return "-"
    return f"{value * 1e3:.2f} ms" if unit == "s" else f"{value:.1f} {unit}"


def main(argv=None):
    names = [case.__name__ for case in CASES]
    parser = argparse.ArgumentParser(prog="python -m minigan.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(names), help=f"comma-separated, from: {', '.join(names)}")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per contender and row")
    parser.add_argument("--stat", choices=("min", "median"), default="min", help="best or median of those calls")
    parser.add_argument("--threads", type=int, default=None, help="threads for PyTorch (default: as BLAS)")
    parser.add_argument("--no-torch", action="store_true", help="time minigan only")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in names]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from: {', '.join(names)}")

    bench = Bench(repeat=args.repeat, threads=args.threads, use_torch=not args.no_torch, stat=args.stat)
    if bench.torch:
        torch_note = f"torch {bench.torch.__version__} (CPU, float32)"
    else:
        torch_note = "torch not used" if args.no_torch else 'torch not installed (pip install "minigan[bench]")'
    print(f"minigan {mg.__version__}, backend {backend.BACKEND}, {bench.threads} threads, {torch_note}; "
          f"{args.stat} of {args.repeat} calls")
    rows = []
    for case in CASES:
        if case.__name__ in chosen:
            rows += case(bench)
    if rows:
        print(format_table(rows))


if __name__ == "__main__":
    main()
