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
        """A CPU float32 torch tensor holding the data of the minigan Tensor ``t``."""
        out = self.torch.from_numpy(backend.to_numpy(t.data).astype("float32", copy=True))
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
    """
    out = (size + 2 * padding - k) // stride + 1
    flops = 2.0 * n * c_out * out * out * c_in * k * k
    x = mg.tensor(backend.randn(n, c_in, size, size))
    w = mg.tensor(backend.randn(c_out, c_in, k, k) * 0.05)
    gy = mg.tensor(backend.randn(n, c_out, out, out))
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


CASES = [gemm, conv, overhead]


# --------------------------------------------------------------------- the table


def format_table(rows):
    """The rows as an aligned text table: values, the minigan/torch ratio, GFLOP/s and % of GEMM."""
    header = ["case", "minigan", "torch", "minigan/torch", "minigan GFLOP/s", "torch GFLOP/s", "GEMM GFLOP/s",
              "minigan % GEMM"]
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
