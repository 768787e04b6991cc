"""Speed of minigan next to PyTorch on the CPU: ``python -m benchmarks [--cases gemm,conv]`` from a checkout.

Everything is timed in one process and one run, and the contenders of a row
take turns, so they see the same machine load and their ratio is fair even on
a busy machine. A time is the best of ``--repeat`` samples by default (as
``timeit`` advises: slower calls were slowed by something else), or their
median with ``--stat median``. PyTorch (``pip install -e ".[bench]"``) gets the
same number of threads and float32; without it only minigan's column is filled.

A case is a function ``case(bench) -> list of Row`` listed in :data:`CASES`;
add one by writing the function and listing it. ``bench.row(...)`` times
minigan's and PyTorch's version of the same work with the one timer of this
file. Rows that count FLOPs also time a plain 2048 x 2048 float32 matrix
product in the same rotation: the machine's GEMM rate at that moment, the
yardstick for "% of GEMM".

The cases: the GEMM yardstick; one convolution's forward and gradients; the
training steps of three examples, with the examples' own networks (imported
from examples/, built once with either library's ``nn``); the peak memory of a
DCGAN training process; per-op overhead. A row may carry a target (a largest
minigan/torch ratio or a smallest % of GEMM); the table says whether it is met.
On a busy machine, give the run priority and compare ratios within one run::

    echo -20 > /proc/$$/autogroup; nice -n -20 python -m benchmarks

This folder is not part of the package: nothing under minigan/ imports it, or torch.
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:   # ``python benchmarks/bench.py`` from a checkout, minigan not installed
    sys.path.insert(0, str(ROOT))

import minigan as mg  # noqa: E402
from minigan import backend  # noqa: E402
from minigan.backend import xp  # noqa: E402
from minigan.ops.conv import conv2d  # noqa: E402

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
        a, b = mg.randn(GEMM_SIZE, GEMM_SIZE), mg.randn(GEMM_SIZE, GEMM_SIZE)
        self.gemm = (lambda: a @ b, None)
        if self.torch is not None:
            ta, tb = self.torch_tensor(a), self.torch_tensor(b)
            self.gemm = (self.gemm[0], lambda: ta @ tb)

    def row(self, name, fn, torch_fn=None, setup=None, torch_setup=None, flops=None, yardstick=True, number=1):
        """Time ``fn`` and (when PyTorch is here) ``torch_fn``: a :class:`Row`.

        ``setup`` / ``torch_setup`` run untimed before each sample. A sample
        times ``number`` calls in a row and counts their mean (many calls, for
        ops of a few microseconds). The contenders take turns in blocks
        (``ROUNDS`` rounds; a block is one warm-up sample, then its share of
        ``repeat`` timed samples), so each runs in its own steady state while
        both see the same drift in machine load; a time is the best (or
        median) of its timed samples. With ``flops`` and ``yardstick``, both
        libraries' GEMM join the rounds, and the best of their rates is the
        row's ``gemm_gflops``.
        """
        timers = [_Timer(fn, setup, number)] + self._torch_timers(torch_fn, torch_setup, number)
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

    def _torch_timers(self, torch_fn, torch_setup, number=1):
        return [_Timer(torch_fn, torch_setup, number)] if torch_fn is not None and self.torch is not None else []

    def torch_tensor(self, t, requires_grad=False):
        """A CPU float32 torch tensor, C-contiguous (as torch makes them), with the data of the minigan Tensor ``t``."""
        out = self.torch.from_numpy(backend.to_numpy(t.data).astype("float32", order="C", copy=True))
        return out.requires_grad_(requires_grad)


class _Timer:
    """The one timer of the benchmarks: wall time (``time.perf_counter``) per call, sample by sample."""

    def __init__(self, fn, setup, number=1):
        self.fn, self.setup, self.number, self.times = fn, setup, number, []

    def block(self, samples):
        """A pause, one untimed warm-up sample, then ``samples`` timed ones of ``number`` calls each."""
        time.sleep(SETTLE_S)
        for i in range(samples + 1):
            if self.setup is not None:
                self.setup()
            _synchronize()
            start = time.perf_counter()
            for _ in range(self.number):
                self.fn()
            _synchronize()
            if i > 0:
                self.times.append((time.perf_counter() - start) / self.number)


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


def overhead(bench, number=2000):
    """Per-op overhead: microseconds per call of tiny ops (graph bookkeeping, not arithmetic).

    On 4-element arrays the array math is a fraction of a microsecond, so
    these rows measure what each library adds around it: making Tensors,
    recording the op, walking the graph, running the backward ops. The same
    lines run in both libraries (``randn``, ``*``, ``tanh``, ``@`` and
    ``backward`` are spelled alike); PyTorch on one thread, like minigan.
    """
    minigan_ops = _tiny_ops(mg)
    torch_ops = _tiny_ops(bench.torch) if bench.torch else {}
    threads = bench.torch.get_num_threads() if bench.torch else None
    if bench.torch:
        bench.torch.set_num_threads(1)
    try:
        rows = [bench.row(f"per-op overhead: {name}", fn, torch_ops.get(name), number=number)
                for name, fn in minigan_ops.items()]
    finally:
        if bench.torch:
            bench.torch.set_num_threads(threads)
    for row in rows:   # seconds -> microseconds
        row.minigan, row.torch, row.unit = row.minigan * 1e6, row.torch and row.torch * 1e6, "us"
    return rows


def _tiny_ops(lib):
    """name -> a call of a tiny float32 op (4 elements; a 4x4 matmul), built with ``lib`` (minigan or torch)."""
    a, b, g = lib.randn(4, requires_grad=True), lib.randn(4, requires_grad=True), lib.randn(4)
    m, gm = lib.randn(4, 4, requires_grad=True), lib.randn(4, 4)
    return {
        "mul_forward": lambda: a * b,
        "mul_forward_backward": lambda: (a * b).backward(g),
        "tanh_forward_backward": lambda: a.tanh().backward(g),
        "matmul4x4_forward_backward": lambda: (m @ m).backward(gm),
    }


# --------------------------------------------------------------------- training steps of the examples
#
# The networks are the examples' own: each example builds its networks in
# functions (build_generator, ...) that this file imports without running the
# example. torch.nn and minigan.nn share their layer names and signatures, so
# the same builder makes PyTorch's copy when the example's ``nn`` is torch.nn
# (see build), and that copy starts from minigan's weights (its state_dict).
# The step is written once too, as the examples' loops do it: a fresh fake
# batch made under no_grad for D's step, then G's step(s) with D frozen; both
# libraries spell randn, no_grad, zero_grad(), backward(), step() and
# requires_grad_() the same way.

BATCH = 64
EXAMPLES = ROOT / "examples"


def example(name):
    """The module examples/<name>.py, imported without running it (its training is under ``__main__``)."""
    spec = importlib.util.spec_from_file_location(f"benchmarked_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(module, builder, nn, *args):
    """``module.builder(*args)`` with the example's ``nn`` set to ``nn`` (minigan.nn or torch.nn) while it runs."""
    own = module.nn
    module.nn = nn
    try:
        return getattr(module, builder)(*args)
    finally:
        module.nn = own


def gan_step(lib, G, D, opt_G, opt_D, real, latent_dim, d_loss, g_loss, g_steps=1):
    """One D step on real and a fresh fake batch (made under no_grad), then ``g_steps`` G steps with D frozen."""
    z = lib.randn(len(real), latent_dim)
    with lib.no_grad():
        fake = G(z)
    opt_D.zero_grad()
    d_loss(D(real), D(fake)).backward()
    opt_D.step()
    D.requires_grad_(False)
    for _ in range(g_steps):
        opt_G.zero_grad()
        g_loss(D(G(lib.randn(len(real), latent_dim)))).backward()
        opt_G.step()
    D.requires_grad_(True)


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


def _torch_copy(torch, model, module, builder, *args):
    """The example's ``builder(*args)`` built with torch.nn, holding the weights and buffers of minigan's ``model``."""
    copy = build(module, builder, torch.nn, *args)
    copy.load_state_dict({key: torch.from_numpy(value) for key, value in model.state_dict().items()})
    return copy


# (example, generator builder and its arguments, discriminator builder and its arguments, latent size,
#  one real image's shape, generator steps per D step, the DCGAN init): the rows that time an example's step
GAN_EXAMPLES = {
    "dcgan": ("dcgan", ("build_generator", 100, 32), ("build_discriminator", 32), 100, (1, 28, 28), 2, True),
    "vanilla_gan": ("vanilla_gan", ("build_generator", 100), ("build_discriminator",), 100, (784,), 1, False),
}


def _networks(nn, spec, init=None):
    module_name, (g_builder, *g_args), (d_builder, *d_args), *_ = spec
    module = example(module_name)
    G, D = build(module, g_builder, nn, *g_args), build(module, d_builder, nn, *d_args)
    if init is not None:
        G, D = init(G), init(D)
    return module, G, D


def _gan_rows(bench, name, spec, max_ratio):
    """A Row timing :func:`gan_step` of an example's networks with its Adam 2e-4 (0.5, 0.999), batch 64."""
    from minigan import nn, optim

    module_name, (g_builder, *g_args), (d_builder, *d_args), latent, real_shape, g_steps, dcgan_init = spec
    module, G, D = _networks(nn, spec, nn.init.dcgan_init_ if dcgan_init else None)
    real = mg.rand(BATCH, *real_shape) * 2 - 1
    opts = [optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (G, D)]
    d_loss, g_loss = _minigan_losses()
    torch_fn = None
    if bench.torch:
        torch = bench.torch
        tG, tD = _torch_copy(torch, G, module, g_builder, *g_args), _torch_copy(torch, D, module, d_builder, *d_args)
        treal = bench.torch_tensor(real)
        topts = [torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (tG, tD)]
        td_loss, tg_loss = _torch_losses(torch)

        def torch_fn():
            gan_step(torch, tG, tD, *topts, treal, latent, td_loss, tg_loss, g_steps)

    row = bench.row(name, lambda: gan_step(mg, G, D, *opts, real, latent, d_loss, g_loss, g_steps), torch_fn)
    row.max_ratio = max_ratio
    return [row]


def dcgan(bench):
    """examples/dcgan.py's training step, batch 64: one D step, then its two G steps (--g-steps 2), width 32."""
    return _gan_rows(bench, "dcgan.py step: 1 D + 2 G steps (batch 64)", GAN_EXAMPLES["dcgan"], max_ratio=1.0)


def mlp_gan(bench):
    """examples/vanilla_gan.py's training step, batch 64: its MLPs (BatchNorm in G, Dropout in D), k = 1."""
    return _gan_rows(bench, "vanilla_gan.py step: 1 D + 1 G step (batch 64)", GAN_EXAMPLES["vanilla_gan"],
                     max_ratio=0.7)


def wgan_gp(bench):
    """examples/wgan_gp.py's critic step on digits, batch 64: its MLP critic with LayerNorm, lambda 10, Adam 1e-4."""
    from minigan import nn, optim
    from minigan.gan import gradient_penalty

    module = example("wgan_gp")
    C = build(module, "build_digit_critic", nn)
    real, fake = (mg.rand(BATCH, 784) * 2 - 1 for _ in range(2))
    opt = optim.Adam(C.parameters(), lr=1e-4, betas=(0.5, 0.9))
    torch_fn = None
    if bench.torch:
        torch = bench.torch
        tC = _torch_copy(torch, C, module, "build_digit_critic")
        treal, tfake = bench.torch_tensor(real), bench.torch_tensor(fake)
        topt = torch.optim.Adam(tC.parameters(), lr=1e-4, betas=(0.5, 0.9))
        penalty = _torch_gradient_penalty(torch)

        def torch_fn():
            critic_step(tC, topt, treal, tfake, penalty)

    row = bench.row("wgan_gp.py critic step (digits, batch 64)",
                    lambda: critic_step(C, opt, real, fake, gradient_penalty), torch_fn)
    row.max_ratio = 1.0
    return [row]


# --------------------------------------------------------------------- peak memory

MEMORY_STEPS = 20


def memory_child(library, steps=MEMORY_STEPS):
    """Run ``steps`` training steps of examples/dcgan.py with ``library`` ("minigan" or "torch"); print the peak RSS.

    In MiB. Meant for a fresh process (see :func:`memory`); the peak is that
    of the whole process, imports included.
    """
    spec = GAN_EXAMPLES["dcgan"]
    latent, real_shape, g_steps = spec[3], spec[4], spec[5]
    if library == "torch":
        lib = _import_torch(_default_threads())
        nn, optim, losses = lib.nn, lib.optim, _torch_losses(lib)
        real = lib.rand(BATCH, *real_shape) * 2 - 1
    else:
        from minigan import nn, optim

        lib, losses = mg, _minigan_losses()
        real = mg.rand(BATCH, *real_shape) * 2 - 1
    _, G, D = _networks(nn, spec)
    opts = [optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (G, D)]
    for _ in range(steps):
        gan_step(lib, G, D, *opts, real, latent, *losses, g_steps)
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
    """Peak resident memory (MiB) of a fresh process that runs dcgan.py training steps, minigan vs PyTorch.

    Each library runs in its own ``python -c`` subprocess, so this process's
    memory does not count. Both import benchmarks.bench (which imports
    minigan; PyTorch only in the torch child); nothing is subtracted.
    """
    import subprocess

    def peak(library):
        code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from benchmarks.bench import memory_child; " \
               f"memory_child({library!r}, {steps})"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return float(out.stdout.split()[-1])

    row = Row(f"peak RSS, {steps} dcgan.py steps (fresh process)", peak("minigan"),
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
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(names), help=f"comma-separated, from: {', '.join(names)}")
    parser.add_argument("--repeat", type=int, default=20, help="timed samples per contender and row")
    parser.add_argument("--stat", choices=("min", "median"), default="min", help="best or median of those samples")
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
        torch_note = "torch not used" if args.no_torch else 'torch not installed (pip install -e ".[bench]")'
    print(f"minigan {mg.__version__}, backend {backend.BACKEND}, {bench.threads} threads, {torch_note}; "
          f"{args.stat} of {args.repeat} samples")
    rows = []
    for case in CASES:
        if case.__name__ in chosen:
            rows += case(bench)
    if rows:
        print(format_table(rows))


if __name__ == "__main__":
    main()
