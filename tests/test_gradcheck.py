"""mg.gradcheck and mg.gradgradcheck: they pass right derivatives and catch wrong ones, with a readable report."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
from minigan import backend
from minigan.tensor import Function, Tensor


def t64(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


class WrongSquare(Function):
    """y = x^2 with a planted bug: backward says 3x instead of 2x."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * self.inputs[0] * 3.0


class WrongProductForB(Function):
    """z = a * b with a planted bug in the gradient of the second input only, at one element."""

    def forward(self, a, b):
        return a * b

    def backward(self, gz):
        a, b = self.inputs
        off = np.zeros(b.shape)
        off[(1,) * b.ndim] = 0.5  # element (1, 1) of b gets a wrong gradient
        return gz * b, gz * a + gz * Tensor(backend.asarray(off))  # moved to the device beside gz


class RawArraySquare(Function):
    """y = x^2 whose backward is numerically right but computes 2x as a raw array constant.

    The first derivative is correct; the gradient it returns carries no graph
    back to x, so the second derivative comes out as zero instead of 2.
    """

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * Tensor(2.0 * self.inputs[0].data)


# --------------------------------------------------------------------- correct ops pass


@given(data=st.data())
def test_gradcheck_and_gradgradcheck_pass_on_correct_ops(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    elements = st.floats(-2, 2, allow_nan=False, allow_subnormal=False)
    a = t64(data.draw(hnp.arrays(np.float64, shape, elements=elements)))
    b = t64(data.draw(hnp.arrays(np.float64, shape, elements=elements)))
    fn = lambda a, b: (mg.tanh(a) * b + mg.exp(b * 0.5)).sum(axis=0) if a.ndim else mg.tanh(a) * b  # noqa: E731
    assert mg.gradcheck(fn, [a, b]) is True
    assert mg.gradgradcheck(fn, [a, b]) is True


def test_gradcheck_with_several_outputs_and_a_constant_input():
    a, c = t64([0.5, -1.0]), t64([2.0, 3.0], requires_grad=False)
    assert mg.gradcheck(lambda a, c: (a * c, mg.exp(a).sum(), a > 0), [a, c])
    assert mg.gradgradcheck(lambda a, c: (a * a * c, a**3), [a, c])


def test_gradcheck_accepts_a_single_tensor_and_leaves_it_unchanged():
    x = t64([[1.0, 2.0], [3.0, 4.0]]).T  # not contiguous
    before = x.numpy()
    data = x.data
    assert mg.gradcheck(lambda x: x**3, x)
    assert x.data is data
    np.testing.assert_array_equal(x.numpy(), before)


def test_gradgradcheck_works_for_a_0d_output():
    x = t64(1.5)
    assert mg.gradgradcheck(lambda x: (x * x * x).sum(), [x])
    assert x.shape == ()


# --------------------------------------------------------------------- wrong ops are caught, with a readable report


def test_a_wrong_backward_raises_with_input_element_and_both_values():
    x = t64([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda x: WrongSquare.apply(x), [x])
    report = str(info.value)
    assert report.startswith("gradient mismatch for input 0 (shape (2, 2)): 4 of 4 elements differ")
    match = re.search(r"worst element \((\d), (\d)\): analytic (\S+)  vs  numeric (\S+)", report)
    assert match, report
    analytic, numeric = float(match.group(3)), float(match.group(4))
    assert analytic == pytest.approx(1.5 * numeric, rel=1e-6)  # 3x against 2x
    assert "central differences with eps=1e-06" in report
    assert isinstance(info.value, AssertionError)  # so a bare `assert mg.gradcheck(...)` reads naturally in pytest


def test_the_report_names_the_wrong_input_and_element():
    a, b = t64(np.ones((2, 3)) * 0.5), t64(np.full((2, 3), 2.0))
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda a, b: WrongProductForB.apply(a, b), [a, b])
    report = str(info.value)
    assert "mismatch for input 1 (shape (2, 3)): 1 of 6 elements differ" in report
    assert "worst element (1, 1):" in report


def test_gradcheck_refuses_float32_inputs_clearly():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"gradcheck input 0 has dtype float32; use float64"):
        mg.gradcheck(lambda x: x * x, [x])
    with pytest.raises(TypeError, match=r"input 0 has dtype float32; use float64"):
        mg.gradgradcheck(lambda x: x * x, [x])


def test_gradcheck_refuses_inputs_that_are_not_tensors_or_need_no_grad():
    with pytest.raises(TypeError, match="gradcheck input 0 is a ndarray; pass minigan Tensors"):
        mg.gradcheck(lambda x: x, [np.ones(2)])
    with pytest.raises(ValueError, match="no input requires grad"):
        mg.gradcheck(lambda x: x * 2, [t64([1.0], requires_grad=False)])


def test_gradgradcheck_catches_a_backward_not_built_from_ops():
    x = t64([0.5, -1.5, 2.0])
    assert mg.gradcheck(lambda x: RawArraySquare.apply(x), [x])  # first order is right ...
    with pytest.raises(mg.GradcheckError) as info:  # ... the second is missing
        mg.gradgradcheck(lambda x: RawArraySquare.apply(x), [x])
    report = str(info.value)
    assert report.startswith("second-derivative mismatch for input 0 (shape (3,))")
    assert "analytic 0  vs  numeric" in report


def test_gradgradcheck_names_grad_outputs_in_its_report():
    class RawGradOutput(Function):
        """y = 2x whose backward computes 2 gy on the raw array: right in value, but cut from gy's graph."""

        def forward(self, x):
            return 2.0 * x

        def backward(self, gy):
            return Tensor(gy.data * 2.0)

    x = t64([1.0, 2.0])
    assert mg.gradcheck(lambda x: RawGradOutput.apply(x), [x])
    # the first derivative 2v does not depend on x (0 = 0), but its derivative with respect to v is 2, not 0
    with pytest.raises(mg.GradcheckError, match=r"second-derivative mismatch for grad_outputs\[0\] \(shape \(2,\)\)"):
        mg.gradgradcheck(lambda x: RawGradOutput.apply(x), [x])


def test_a_nan_gradient_is_reported_not_hidden():
    class NanBackward(Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, gy):
            return gy * float("nan")

    with pytest.raises(mg.GradcheckError, match=r"(?s)1 of 1 elements differ.*analytic nan"):
        mg.gradcheck(lambda x: NanBackward.apply(x), [t64([1.0])])


def test_tolerances_are_the_documented_defaults():
    import inspect

    for fn in (mg.gradcheck, mg.gradgradcheck):
        defaults = {k: v.default for k, v in inspect.signature(fn).parameters.items()}
        assert (defaults["eps"], defaults["atol"], defaults["rtol"]) == (1e-6, 1e-5, 1e-3)
