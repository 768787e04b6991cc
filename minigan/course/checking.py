"""What every check shares: compare arrays, name the wrong element, recognise a mistake, explain it.

A failing comparison raises :class:`CheckFailed` naming the element, the
expected and the received value and, when the received values match a
mistake of the catalogue (evaluated by the teacher's tree into the answer
key, so no wrong formula ships with the student edition), a hint about
that mistake. A stub still raising ``NotImplementedError`` raises
:class:`NotDone` instead.
"""

import math
import warnings
from contextlib import contextmanager

from minigan import backend
from minigan.gradcheck import divmod_all
from minigan.tensor import Tensor


class NotDone(Exception):
    """A target (this assignment's or one it needs) still raises NotImplementedError."""


class CheckFailed(Exception):
    """One check failed: ``lines`` say where and how, ``hint`` suggests why."""

    def __init__(self, lines, hint=None):
        lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__(lines[0] if lines else "")
        self.lines, self.hint = lines, hint

    def message(self):
        text = " ".join(self.lines)
        return f"{text} Likely mistake: {self.hint}" if self.hint else text


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


def host(value, what="the value"):
    """``value`` (Tensor, backend array, number or list) as a float64 host array."""
    if value is None:
        raise CheckFailed(f"{what}: received None.", "does the function end with `return`?")
    if isinstance(value, Tensor):
        value = value.data
    try:
        return backend.to_numpy(backend.asarray(value, dtype="float64"))
    except (TypeError, ValueError) as err:
        raise CheckFailed(f"{what}: received a {type(value).__name__} that is not an array of numbers ({err}).") \
            from None


def _close(expected, received, rtol, atol):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        same_inf = (expected == received) & (abs(expected) == float("inf"))
        return same_inf | (abs(received - expected) <= atol + rtol * abs(expected))


def _shape_hint(expected, received):
    if len(received) >= len(expected) and received[len(received) - len(expected):] != expected:
        tail = received[len(received) - len(expected):]
        if all(e == r or e == 1 for e, r in zip(expected, tail)):
            return "this is the broadcast shape: sum the gradient over the axes along which the input was broadcast."
    if len(received) > len(expected):
        return "this is the broadcast shape: sum the gradient over the leading axes the input did not have."
    if tuple(reversed(received)) == tuple(expected) and received != expected:
        return "the axes are swapped: a missing or extra transpose?"
    if not received and expected:
        return "one number came back where an array belongs: a sum or mean too many?"
    if received and not expected:
        return "the loss is one number: reduce it (mean over the batch)."
    return None


def _generic_hint(expected, received):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if not bool((abs(received) < float("inf")).all()) and bool((abs(expected) < float("inf")).all()):
            return ("some values are inf or nan: an exp() that overflows, a log(0) (log of a sigmoid?), "
                    "or a division by 0?")
        if bool((received == 0).all()) and not bool((expected == 0).all()):
            return "every value is zero: is the gradient multiplied by a mask or a factor that is always 0?"
        if bool(_close(-expected, received, 1e-6, 1e-9).all()):
            return "every value has the wrong sign."
        nonzero = abs(expected) > 1e-12
        if bool(nonzero.any()) and bool((abs(received[~nonzero]) < 1e-12).all()):
            ratios = received[nonzero] / expected[nonzero]
            if float(ratios.max() - ratios.min()) < 1e-6 * max(1.0, float(abs(ratios).max())):
                return f"every value is {float(ratios.mean()):.6g} times the expected one: a factor missing or extra?"
    return None


def compare(what, expected, received, *, mistakes=(), rtol=1e-6, atol=1e-9, context=None):
    """Raise :class:`CheckFailed` unless ``received`` equals ``expected`` (same shape, elementwise close).

    ``mistakes`` are ``(hint, wrong values)`` pairs: the first whose values
    the received ones match gives the hint. ``context(index)`` may add a
    note about the inputs at the first wrong element.
    """
    expected, received = host(expected, what), host(received, what)
    if expected.shape != received.shape:
        raise CheckFailed(
            f"{what}: wrong shape: expected {tuple(expected.shape)}, received {tuple(received.shape)}.",
            _mistake_hint(mistakes, received) or _shape_hint(tuple(expected.shape), tuple(received.shape)),
        )
    bad = ~_close(expected, received, rtol, atol)
    if not bool(bad.any()):
        return
    flat = bad.reshape(-1).nonzero()[0]
    lines = [f"{what}: {len(flat)} of {expected.size} values are wrong;"]
    for n, k in enumerate(flat[:2]):
        index = divmod_all(k, expected.shape)
        where = f"[{', '.join(map(str, index))}]" if index else ""
        note = ""
        if n == 0 and context is not None and index is not None:
            extra = context(index)
            note = f" ({extra})" if extra else ""
        lines.append(
            f"{'element' if n == 0 else 'also'}{where}: expected {expected.flat[k]:.8g}, "
            f"received {received.flat[k]:.8g}{note}{';' if n + 1 < min(2, len(flat)) else '.'}"
        )
    raise CheckFailed(lines, _mistake_hint(mistakes, received) or _generic_hint(expected, received))


def _mistake_hint(mistakes, received):
    for hint, wrong in mistakes:
        wrong = host(wrong)
        if wrong.shape == received.shape and bool(_close(wrong, received, 1e-6, 1e-9).all()):
            return hint
    return None


# ------------------------------------------------------------------ numbers, checked by hash


def rounded(value, digits=3):
    """``value`` to ``digits`` significant digits, as text ("0.75", "-1e-4" -> "-0.0001")."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return repr(value if math.isfinite(value) else float("nan"))
    exponent = math.floor(math.log10(abs(value)))
    return repr(round(value, digits - 1 - exponent) + 0.0)


def fingerprint(name, value, digits=3):
    """A hash of ``value`` rounded to ``digits`` significant digits, salted with the question's name."""
    import hashlib

    return hashlib.sha256(f"minigan-course:{name}:{rounded(value, digits)}".encode()).hexdigest()[:24]


def fingerprints_near(name, value):
    """The fingerprints of ``value`` and of its two neighbours 0.05 % away (rounding boundaries)."""
    return {fingerprint(name, value * f) for f in (1.0, 1.0005, 0.9995)}
