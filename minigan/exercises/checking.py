"""What every exercise checker shares: load an answer file, draw cases, compare arrays, explain a mismatch.

A checker runs the student's code on a few fixed cases (the shapes a teacher
would try first), then on cases drawn by hypothesis when it is installed (it
shrinks a failure to the smallest shape that still fails), or on cases drawn
from a seeded ``random.Random`` when it is not. Each comparison that fails
raises :class:`CheckFailed` naming the check, the element, the expected and
the received value, and, when the wrong values match a mistake students often
make, a hint about that mistake.
"""

import importlib.util
import random
import traceback
import warnings
from contextlib import contextmanager
from pathlib import Path

from minigan import backend
from minigan.backend import xp
from minigan.gradcheck import GradcheckError, divmod_all, gradcheck, gradgradcheck
from minigan.tensor import Function, Tensor, no_grad


class NotDone(Exception):
    """The answer still raises NotImplementedError somewhere."""


class CheckFailed(Exception):
    """One check failed: ``check`` names it, ``lines`` say where and how, ``hint`` suggests why."""

    def __init__(self, check, lines, hint=None):
        super().__init__(check)
        self.check, self.lines, self.hint, self.case = check, list(lines), hint, None


class Mistake:
    """A wrong formula students often write: ``wrong(*args)`` computes what it gives, ``hint`` explains it."""

    def __init__(self, hint, wrong):
        self.hint, self.wrong = hint, wrong


# ----------------------------------------------------------------- the answer file


class Answer:
    """A student's answer file, imported by path; ``call`` runs its code and turns errors into verdicts."""

    def __init__(self, path):
        self.path = Path(path).resolve()
        spec = importlib.util.spec_from_file_location(f"_minigan_answer_{self.path.stem}", self.path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except NotImplementedError:
            raise NotDone(f"{self.path.name} raises NotImplementedError when imported") from None
        except Exception as err:
            raise CheckFailed(
                f"importing {self.path.name}", [f"{type(err).__name__}: {err}", *self._where(err)]
            ) from None
        self.module = module

    def get(self, name, kind=None):
        """The object ``name`` the answer must define (a Function subclass when ``kind`` is Function)."""
        value = getattr(self.module, name, None)
        if value is None:
            raise CheckFailed(
                "the names the checker looks for",
                [f"{self.path.name} defines no `{name}`."],
                "start from the stub in docs/exercises/ and keep its names.",
            )
        if kind is Function and not (isinstance(value, type) and issubclass(value, Function)):
            raise CheckFailed(
                "the names the checker looks for",
                [f"`{name}` in {self.path.name} should be a class deriving from minigan.Function."],
            )
        return value

    def call(self, what, fn, *args, **kwargs):
        """``fn(*args, **kwargs)``; NotImplementedError becomes NotDone, other errors a CheckFailed for ``what``."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # overflow shows up as inf/nan in the values
                return fn(*args, **kwargs)
        except (CheckFailed, NotDone, GradcheckError):
            raise
        except NotImplementedError as err:
            raise NotDone(f"not done yet: fill in {self._unfinished(err)}") from None
        except Exception as err:
            raise CheckFailed(what, [f"it raised {type(err).__name__}: {err}", *self._where(err)]) from None

    def _frames(self, err):
        return [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).resolve() == self.path]

    def _where(self, err):
        frames = self._frames(err)
        if not frames:
            return []
        f = frames[-1]
        return [f"  at {self.path.name} line {f.lineno}: {(f.line or '').strip()}"]

    def _unfinished(self, err):
        tb, name = err.__traceback__, None
        while tb is not None:
            if Path(tb.tb_frame.f_code.co_filename).resolve() == self.path:
                code = tb.tb_frame.f_code
                name, line = getattr(code, "co_qualname", code.co_name), tb.tb_lineno
            tb = tb.tb_next
        return f"{name} ({self.path.name} line {line})" if name else "the stub's functions"


# ----------------------------------------------------------------- drawing cases


class RandomDraw:
    """Draws from a seeded ``random.Random``: the fallback when hypothesis is not installed."""

    def __init__(self, seed):
        self._random = random.Random(seed)

    def int(self, low, high):
        return self._random.randint(low, high)

    def choice(self, options):
        return self._random.choice(list(options))


class HypothesisDraw:
    """The same two draws, through hypothesis (so a failing case is shrunk)."""

    def __init__(self, draw, st):
        self._draw, self._st = draw, st

    def int(self, low, high):
        return self._draw(self._st.integers(low, high))

    def choice(self, options):
        return self._draw(self._st.sampled_from(list(options)))


def run_cases(exercise, run_case, examples):
    """Run ``run_case`` on the exercise's fixed cases, then on ``examples`` drawn ones."""
    for case in exercise.FIXED_CASES:
        run_case(dict(case))
    if examples <= 0:
        return
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st
    except ImportError:
        for k in range(examples):
            run_case(exercise.draw_case(RandomDraw(k)))
        return

    @settings(
        max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=False,
        suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
    )
    @given(st.composite(lambda draw: exercise.draw_case(HypothesisDraw(draw, st)))())
    def drawn(case):
        run_case(case)

    drawn()


@contextmanager
def seeded(seed):
    """Seed minigan's generator for one case and give the caller's generator back afterwards."""
    saved = backend.generator_state()
    backend.manual_seed(seed)
    try:
        yield
    finally:
        backend.set_generator_state(saved)


def randn(*shape, scale=1.0):
    return backend.randn(*shape, dtype="float64") * scale


def away_from_zero(shape, margin=1e-2, scale=1.0):
    """Normal values with |x| >= margin, so finite differences never straddle a kink at 0."""
    x = randn(*shape, scale=scale)
    return xp.where(xp.abs(x) < margin, xp.where(x < 0, -margin, margin) * 2, x)


# ----------------------------------------------------------------- comparing and explaining


def host(value, what):
    """``value`` (Tensor, backend array, number or list) as a float64 host array."""
    if value is None:
        raise CheckFailed(what, ["received None."], "does the function end with `return`?")
    if isinstance(value, Tensor):
        value = value.data
    try:
        return backend.to_numpy(backend.asarray(value, dtype="float64"))
    except (TypeError, ValueError) as err:
        lines = [f"received a {type(value).__name__} that is not an array of numbers ({err})."]
        raise CheckFailed(what, lines) from None


def _close(expected, received, rtol, atol):
    return abs(received - expected) <= atol + rtol * abs(expected)


def _shape_hint(expected, received):
    if len(received) >= len(expected) and received[len(received) - len(expected) :] != expected:
        tail = received[len(received) - len(expected) :]
        if all(e == r or e == 1 for e, r in zip(expected, tail)):
            return "this is the broadcast shape: sum the gradient over the axes along which the input was broadcast."
    if len(received) > len(expected):
        return "this is the broadcast shape: sum the gradient over the leading axes the input did not have."
    if tuple(reversed(received)) == tuple(expected):
        return "the axes are swapped: a missing or extra transpose?"
    return None


def _generic_hint(expected, received):
    if not bool((abs(received) < float("inf")).all()):
        return "some values are inf or nan: an exp() that overflows, a log(0), or a division by zero?"
    if bool((received == 0).all()):
        return "every value is zero: is the gradient multiplied by a mask or a factor that is always 0?"
    if bool(_close(-expected, received, 1e-6, 1e-9).all()):
        return "every value has the wrong sign."
    nonzero = abs(expected) > 1e-12
    if bool(nonzero.any()) and bool((abs(received[~nonzero]) < 1e-12).all()):
        ratios = received[nonzero] / expected[nonzero]
        if float(ratios.max() - ratios.min()) < 1e-6 * max(1.0, float(abs(ratios).max())):
            return f"every value is {float(ratios.mean()):.6g} times the expected one: a factor missing or extra?"
    return None


def compare(
    what, expected, received, *, label=None, rtol=1e-6, atol=1e-9, mistakes=(), context=None, shape_hint=None
):
    """Raise :class:`CheckFailed` unless ``received`` equals ``expected`` (same shape, elementwise close).

    ``label`` names an element (``label[1, 2]``; ``what`` by default);
    ``mistakes`` are :class:`Mistake`s already evaluated to ``(hint, wrong_array)``;
    ``context(index)`` may add a line about the inputs at the wrong element;
    ``shape_hint`` (a string, or a function of the received shape) explains a wrong shape better
    than the generic guess.
    """
    label = label or what
    expected, received = host(expected, what), host(received, what)
    if expected.shape != received.shape:
        raise CheckFailed(
            what,
            [f"wrong shape: expected {tuple(expected.shape)}, received {tuple(received.shape)}."],
            (shape_hint(tuple(received.shape)) if callable(shape_hint) else shape_hint)
            or _shape_hint(tuple(expected.shape), tuple(received.shape)),
        )
    bad = ~_close(expected, received, rtol, atol)
    if not bool(bad.any()):
        return
    flat = bad.reshape(-1).nonzero()[0]
    lines = [f"{len(flat)} of {expected.size} values are wrong."]
    for n, k in enumerate(flat[:3]):
        index = divmod_all(k, expected.shape)
        where = f"[{', '.join(map(str, index))}]" if index else ""
        lines.append(
            f"  {'wrong element' if n == 0 else 'also wrong'} {label}{where}: "
            f"expected {expected.flat[k]:.8g}, received {received.flat[k]:.8g}"
        )
        if n == 0 and context is not None and index is not None:
            extra = context(index)
            if extra:
                lines.append(f"    ({extra})")
    hint = None
    for mistake_hint, wrong in mistakes:
        wrong = host(wrong, what)
        if wrong.shape == received.shape and bool(_close(wrong, received, 1e-6, 1e-9).all()):
            hint = mistake_hint
            break
    raise CheckFailed(what, lines, hint or _generic_hint(expected, received))


def evaluate(mistakes, *args):
    """Evaluate each :class:`Mistake` on ``args``, skipping those that cannot apply to this case."""
    out = []
    for m in mistakes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out.append((m.hint, m.wrong(*args)))
        except Exception:  # e.g. a forgotten transpose that does not even fit this shape
            pass
    return out


# ----------------------------------------------------------------- checking a Function


def check_function(
    answer, op_name, reference, inputs, params=None, names=None, mistakes=None, second_order=True, elementwise=False
):
    """Check the answer's Function ``op_name`` against ``reference`` (a Function) on one case.

    ``inputs`` are float64 backend arrays, ``params`` keyword arguments of
    ``apply``, ``names`` the inputs' names, ``mistakes`` maps an input name to
    a list of :class:`Mistake` whose ``wrong(*inputs, gy)`` gives that input's
    wrong gradient. Checks, in order: the forward values, each gradient
    against the reference, the gradient against central finite differences
    (``mg.gradcheck``), and (``second_order``) the gradient of the gradient
    (``mg.gradgradcheck``), which holds only when backward is built from
    minigan ops. For an ``elementwise`` op a wrong element is shown with its input.
    """
    op = answer.get(op_name, Function)
    params = params or {}
    names = names or [f"input {i}" for i in range(len(inputs))]
    mistakes = mistakes or {}

    def tensors():
        return [Tensor(a.copy(), requires_grad=True) for a in inputs]

    def context_for(shape):
        if not elementwise:
            return None
        same = [(n, a) for n, a in zip(names, inputs) if a.shape == shape]
        if not same:
            return None
        return lambda index: ", ".join(f"{n}{list(index)} = {float(a[index]):.6g}" for n, a in same)

    out = answer.call(f"{op_name}.forward", op.apply, *tensors(), **params)
    expected_out = reference.apply(*tensors(), **params)
    compare(f"{op_name}.forward", expected_out, out, label="y", context=context_for(expected_out.shape))

    gy = Tensor(randn(*expected_out.shape))
    with no_grad():
        grads = answer.call(f"{op_name}.backward", out.grad_fn.backward, gy)
        expected = expected_out.grad_fn.backward(gy)
    grads = grads if isinstance(grads, tuple) else (grads,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    if len(grads) != len(inputs):
        raise CheckFailed(
            f"{op_name}.backward",
            [f"it returned {len(grads)} gradient(s), one per input is needed: {', '.join(names)}."],
        )
    for name, array, g, e in zip(names, inputs, grads, expected):
        what = f"{op_name}.backward, the gradient of {name}"
        if g is not None and not isinstance(g, Tensor):
            raise CheckFailed(
                what,
                [f"{op_name}.backward returned a {type(g).__name__}, not a minigan Tensor."],
                "build the gradient from Tensors (gy, self.inputs, self.output) with minigan ops, "
                "so it can be differentiated again.",
            )
        wrong = evaluate(mistakes.get(name, ()), *inputs, gy.data)
        compare(what, e, g, label=f"dL/d{name}", mistakes=wrong, context=context_for(array.shape))

    def apply(*ts):
        return op.apply(*ts, **params)

    try:
        answer.call("the finite-difference check", gradcheck, apply, tensors())
    except GradcheckError as err:
        raise CheckFailed("gradient against finite differences (mg.gradcheck)", str(err).splitlines()) from None
    if second_order:
        try:
            answer.call("the second-derivative check", gradgradcheck, apply, tensors())
        except GradcheckError as err:
            raise CheckFailed(
                "second derivative (mg.gradgradcheck)",
                str(err).splitlines(),
                "the gradient is right, but differentiating it again is not: backward must compute with "
                "minigan ops on Tensors (gy, self.inputs, self.output), not with raw arrays (.data) "
                "wrapped as constants, or create_graph=True (and the gradient penalty) breaks.",
            ) from None


class ArrayFunction(Function):
    """A student's plain array functions as an op, so mg.gradcheck can test a value and its gradient together.

    ``forward(*arrays, value, vjp)``: the output is ``value(*arrays)``;
    ``vjp(gy, *arrays)`` returns dL/d(array) for each array, given gy = dL/d(output)
    (for a scalar output that is gy times the gradient).
    """

    def forward(self, *arrays, value, vjp):
        self.vjp = vjp
        return xp.asarray(value(*arrays), dtype="float64")

    def backward(self, gy):
        grads = self.vjp(gy.data, *[t.data for t in self.inputs])
        return tuple(Tensor(xp.asarray(g, dtype="float64")) for g in grads)


def check_against_finite_differences(answer, what, value, vjp, arrays, wrt):
    """mg.gradcheck of the answer's ``value(*arrays)`` against its hand-written gradient.

    ``vjp(gy, *arrays)`` returns the gradients with respect to ``arrays[i]``
    for each index ``i`` in ``wrt``, in that order; the other arrays are
    constants.
    """
    tensors = [Tensor(a.copy(), requires_grad=i in wrt) for i, a in enumerate(arrays)]

    def vjp_all(gy, *arrays):
        picked = dict(zip(wrt, vjp(gy, *arrays)))
        return tuple(picked.get(i, xp.zeros_like(a)) for i, a in enumerate(arrays))

    try:
        answer.call(what, gradcheck, lambda *ts: ArrayFunction.apply(*ts, value=value, vjp=vjp_all), tensors)
    except GradcheckError as err:
        raise CheckFailed(
            f"{what} against finite differences of your own forward",
            str(err).splitlines(),
            "the gradient does not match the slope of your own function: check the derivative step by step.",
        ) from None
