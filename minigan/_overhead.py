"""How much a tiny op costs: the Python overhead of the graph, not the arithmetic.

On 4-element arrays the array math is a fraction of a microsecond, so these
timings measure what minigan adds around it: making Tensors, recording the
op, walking the graph, running the backward ops. ``python -m minigan.bench``
prints them; PyTorch's numbers for the same lines are given beside them when
PyTorch is installed (``pip install "minigan[bench]"``).
"""

import time

from minigan import backend
from minigan.tensor import Tensor, tensor


def _best_microseconds(step, repeats, rounds=5):
    """Microseconds of CPU time per call, from the fastest of ``rounds`` rounds.

    CPU time of this process (not wall time), so that other processes on a
    busy machine do not inflate it; the fastest round is the least disturbed.
    """
    per_round = max(1, repeats // rounds)
    for _ in range(min(100, per_round)):  # warm up
        step()
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(per_round):
            step()
        best = min(best, (time.process_time() - start) / per_round)
    return best * 1e6


def _minigan_steps():
    a = tensor(backend.randn(4), requires_grad=True)
    b = tensor(backend.randn(4), requires_grad=True)
    g = Tensor(backend.randn(4))
    m = tensor(backend.randn(4, 4), requires_grad=True)
    gm = Tensor(backend.randn(4, 4))

    def mul_forward():
        a * b

    def mul_forward_backward():
        (a * b).backward(g)

    def tanh_forward_backward():
        a.tanh().backward(g)

    def matmul_forward_backward():
        (m @ m).backward(gm)

    return mul_forward, mul_forward_backward, tanh_forward_backward, matmul_forward_backward


def _torch_steps(torch):
    a = torch.randn(4, requires_grad=True)
    b = torch.randn(4, requires_grad=True)
    g = torch.randn(4)
    m = torch.randn(4, 4, requires_grad=True)
    gm = torch.randn(4, 4)

    def mul_forward():
        a * b

    def mul_forward_backward():
        (a * b).backward(g)

    def tanh_forward_backward():
        a.tanh().backward(g)

    def matmul_forward_backward():
        (m @ m).backward(gm)

    return mul_forward, mul_forward_backward, tanh_forward_backward, matmul_forward_backward


NAMES = ("mul_forward", "mul_forward_backward", "tanh_forward_backward", "matmul4x4_forward_backward")


def time_op_overhead(repeats=20000):
    """Microseconds per call for tiny float32 ops (4 elements; a 4x4 matmul).

    Returns a dict with keys ``mul_forward`` (``a * b``),
    ``mul_forward_backward`` (``(a * b).backward(g)``),
    ``tanh_forward_backward`` and ``matmul4x4_forward_backward``; and the
    same keys prefixed ``torch_`` when PyTorch can be imported (on the CPU,
    one thread, for a like-for-like comparison).
    """
    timings = {name: _best_microseconds(step, repeats) for name, step in zip(NAMES, _minigan_steps())}
    try:
        import torch
    except ImportError:
        return timings
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name, step in zip(NAMES, _torch_steps(torch)):
            timings["torch_" + name] = _best_microseconds(step, repeats)
    finally:
        torch.set_num_threads(threads)
    return timings


if __name__ == "__main__":
    for key, value in time_op_overhead().items():
        print(f"{key:34s} {value:7.2f} us")
