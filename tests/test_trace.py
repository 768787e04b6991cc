"""mg.trace(): the rows are the derivatives worked by hand, and check() catches a wrong backward."""

import math

import pytest

import minigan as mg
import minigan.functional as F
from minigan import autograd, nn
from minigan.gan import g_loss
from minigan.trace import TraceCheckError, formula_of


def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


def _rows(t, op):
    return [row for row in t if row.op == op]


def test_sigmoid_bce_rows_match_the_derivatives_worked_by_hand():
    # L = mean(softplus(a) - a y): dL/da = (sigmoid(a) - y) / N, made of sigmoid(a)/N (softplus) and -y/N (a * y).
    logits, targets = [0.5, -1.0, 2.0, 0.1], [1.0, 0.0, 1.0, 0.0]
    n = len(logits)
    a = mg.tensor([[v] for v in logits], dtype="float64", requires_grad=True)
    y = mg.tensor([[v] for v in targets], dtype="float64")
    loss = F.binary_cross_entropy_with_logits(a, y)
    with mg.trace() as t:
        loss.backward()
    (softplus,) = _rows(t, "Softplus")
    assert "dy/dx = sigmoid(x)" in softplus.formula
    assert softplus.grad_output.ravel().tolist() == pytest.approx([1 / n] * n)
    assert softplus.grad_inputs[0].ravel().tolist() == pytest.approx([_sigmoid(v) / n for v in logits])
    # the row of a * y: its gradient for a is -y / N
    (times_target,) = [row for row in _rows(t, "Mul") if row.grad_output.shape == (n, 1)]
    assert times_target.grad_inputs[0].ravel().tolist() == pytest.approx([-v / n for v in targets])
    # the two paths add up to the textbook's probability minus target, over N
    assert a.grad.numpy().ravel().tolist() == pytest.approx([(_sigmoid(v) - w) / n for v, w in zip(logits, targets)])
    assert t.check()
    assert all(row.status.startswith("ok") for row in t)


def test_tanh_times_weight_rows_in_the_order_backward_ran():
    x = mg.tensor([0.3, -0.7, 1.2], dtype="float64", requires_grad=True)
    w = mg.tensor([2.0, -1.0, 0.5], dtype="float64", requires_grad=True)
    loss = (x.tanh() * w).sum()
    with mg.trace() as t:
        loss.backward()
    assert [row.op for row in t] == ["Sum", "Mul", "Tanh"]
    tanh = [math.tanh(v) for v in (0.3, -0.7, 1.2)]
    assert t[0].grad_inputs[0].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert t[1].grad_inputs[0].tolist() == pytest.approx([2.0, -1.0, 0.5])  # d/d tanh = w
    assert t[1].grad_inputs[1].tolist() == pytest.approx(tanh)  # d/dw = tanh(x)
    assert t[2].grad_inputs[0].tolist() == pytest.approx([g * (1 - h * h) for g, h in zip([2.0, -1.0, 0.5], tanh)])
    assert t[2].formula == formula_of(type(x.tanh().grad_fn)) and "dy/dx = 1 - y^2" in t[2].formula
    text = t.table()
    assert "Tanh" in text and "dy/dx = 1 - y^2" in text and "dL/dx0" in text


class _WrongSquare(mg.Function):
    r"""y = x^2.    dy/dx = 2 x  (but backward below returns x: a deliberate slip)."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * self.inputs[0]  # should be 2 x gy


class _RightSquare(_WrongSquare):
    r"""y = x^2.    dy/dx = 2 x."""

    def backward(self, gy):
        return gy * self.inputs[0] * 2


@pytest.mark.parametrize("size", [5, 400])  # element by element, and along directions for a large input
@pytest.mark.parametrize("scale", [3.0, 1e-7])  # a tiny dL/dy (a GAN's 1/N, deep in a net) must not hide the slip
def test_check_passes_on_a_correct_op_and_fails_on_a_wrong_backward(size, scale):
    data = mg.randn(size).numpy().astype("float64")
    for function, should_pass in ((_RightSquare, True), (_WrongSquare, False)):
        x = mg.tensor(data, requires_grad=True)
        loss = (function.apply(x.tanh()) * scale).sum()
        with mg.trace() as t:
            loss.backward()
        if should_pass:
            assert t.check()
        else:
            with pytest.raises(TraceCheckError, match="_WrongSquare"):
                t.check()
            assert [row.status for row in t if row.op == "_WrongSquare"] == ["FAILED"]


def test_check_works_in_float64_on_a_float32_gan_step():
    mg.manual_seed(0)
    D = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    G = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    fake = G(mg.randn(16, 3))
    loss = g_loss(D(fake))
    with mg.trace() as t:
        loss.backward()
    ops = [row.op for row in t]
    assert "LeakyReLU" in ops and "Tanh" in ops and "LogSigmoid" in ops
    assert str(t.rows[0].grad_output.dtype) == "float32"
    assert t.check()


def test_a_parameter_the_op_does_not_keep_is_skipped_not_failed():
    class Scale(mg.Function):
        """y = c x.    dy/dx = c."""

        def forward(self, x, c):  # c is not kept on self, so check() cannot rerun the forward
            return x * c

        def backward(self, gy):
            return gy * 2.0

    x = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    with mg.trace() as t:
        Scale.apply(x, c=2.0).sum().backward()
    assert t.check()
    assert "skipped" in t[-1].status and "c" in t[-1].status


def test_trace_records_mg_grad_and_costs_nothing_outside():
    x = mg.tensor([0.5, 1.5], dtype="float64", requires_grad=True)
    y = (x * x).sum()
    assert autograd._tracer is None
    with mg.trace() as t:
        (g,) = mg.grad(y, [x])
    assert autograd._tracer is None
    assert [row.op for row in t] == ["Sum", "Mul"]
    assert g.numpy().tolist() == pytest.approx([1.0, 3.0])
    with pytest.raises(ValueError):
        with mg.trace():
            raise ValueError("the trace is closed even when its block raises")
    assert autograd._tracer is None
    z = (x * 2).sum()
    z.backward()  # no trace active: nothing recorded anywhere
    assert len(t) == 2
