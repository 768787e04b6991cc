"""The exercise checkers: each accepts its reference solution, and rejects wrong answers the way students write them.

A planted wrong answer is the reference solution with one line changed; its
verdict must fail, name the check and the wrong element (expected vs received),
and, where the checker knows the slip, give its hint.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import minigan as mg
from minigan import backend, exercises
from minigan.backend import xp
from minigan.exercises.__main__ import main
from minigan.exercises.checking import Answer
from minigan.exercises.gradient_penalty import _arrays

ROOT = Path(__file__).resolve().parents[1]
ELEMENT = re.compile(r"wrong element \S+?(\[[\d, ]*\])?: expected -?[\d.e+-]+, received ")


def test_there_are_at_least_eight_exercises_each_with_a_page_a_stub_and_a_solution():
    assert len(exercises.NAMES) >= 8
    index = (ROOT / "docs" / "exercises" / "README.md").read_text()
    for name in exercises.NAMES:
        assert (ROOT / "docs" / "exercises" / f"{name}.md").is_file()
        assert exercises.stub_path(name) == ROOT / "docs" / "exercises" / f"{name}.py"
        assert exercises.solution_path(name).is_file()
        assert f"({name}.md)" in index
        assert exercises.get(name).TITLE


@pytest.mark.parametrize("name", exercises.NAMES)
def test_the_checker_accepts_the_reference_solution(name):
    verdict = exercises.check(name, exercises.solution_path(name))
    assert verdict.passed, verdict.text
    assert verdict.text.startswith(f"PASS {name}")


@pytest.mark.parametrize("name", exercises.NAMES)
def test_the_untouched_stub_is_not_done_yet(name):
    verdict = exercises.check(name, exercises.stub_path(name), examples=0)
    assert verdict.status == "not done", verdict.text
    assert "not done yet: fill in" in verdict.text
    assert f"{name}.py line" in verdict.text  # points at the line to fill in


# Each: (exercise, what the student did, [(text in the solution, what the student wrote instead)],
#        the check that must fail, words the hint must contain (None: no hint required), element named?)
WRONG_ANSWERS = [
    ("sigmoid_backward", "y instead of y (1 - y)",
     [("gy * (y * (1.0 - y))", "gy * y")], "the gradient of x", "not its own derivative", True),
    ("sigmoid_backward", "right values from raw arrays, so not differentiable again",
     [("from minigan import Function", "from minigan import Function, Tensor"),
      ("gy * (y * (1.0 - y))", "gy * Tensor(y.data * (1.0 - y.data))")],
     "second derivative", "raw arrays", False),
    ("leaky_relu_backward", "ReLU's gradient",
     [("xp.where(x > 0, 1.0, self.negative_slope)", "xp.where(x > 0, 1.0, 0.0)")],
     "the gradient of x", "ReLU", True),
    ("leaky_relu_backward", "branches swapped",
     [("xp.where(x > 0, 1.0, self.negative_slope)", "xp.where(x > 0, self.negative_slope, 1.0)")],
     "the gradient of x", "swapped", True),
    ("softplus_log_sigmoid_backward", "softplus' = sigmoid(-x)",
     [("return gy * x.sigmoid()", "return gy * (-x).sigmoid()")], "Softplus.backward", "log-sigmoid", True),
    ("softplus_log_sigmoid_backward", "log-sigmoid' = sigmoid(x) - 1 (sign)",
     [("return gy * (-x).sigmoid()", "return gy * (x.sigmoid() - 1.0)")], "LogSigmoid.backward", "sign", True),
    ("softplus_log_sigmoid_backward", "e^x / (1 + e^x), which overflows",
     [("return gy * x.sigmoid()", "return gy * x.exp() / (1.0 + x.exp())")], "Softplus.backward", "inf or nan",
     True),
    ("matmul_broadcast_backward", "no sum over the broadcast axes",
     [("return unbroadcast(gc @ b.transpose(), a.shape), unbroadcast(a.transpose() @ gc, b.shape)",
       "return gc @ b.transpose(), a.transpose() @ gc")], "the gradient of b", "broadcast", False),
    ("matmul_broadcast_backward", "dB = dC^T A (transposed)",
     [("a.transpose() @ gc", "gc.transpose() @ a")], "the gradient of b", "transposed", True),
    ("matmul_broadcast_backward", "dA = dC B (forgot the transpose): the shapes do not fit",
     [("gc @ b.transpose()", "gc @ b")], "MatMul.backward", None, False),
    ("matmul_broadcast_backward", "dA = dC B (forgot the transpose) where it fits: square matrices",
     [("gc @ b.transpose()", "(gc @ b if b.shape[-1] == b.shape[-2] else gc @ b.transpose())")],
     "the gradient of a", "not transposed", True),
    ("batchnorm_backward", "1/sigma treated as a constant",
     [(" - xhat * (g * xhat).mean(axis=0, keepdims=True)", "")], "the gradient of x", "treated as a constant",
     True),
    ("batchnorm_backward", "dgamma without xhat",
     [("(gy * xhat).sum(axis=0)", "gy.sum(axis=0)")], "the gradient of gamma", "xhat is missing", True),
    ("conv2d_im2col", "col2im assigns where patches overlap",
     [("j : j + stride * ow : stride] += cols", "j : j + stride * ow : stride] = cols")], "col2im",
     "must add", True),
    ("conv2d_im2col", "output size without the + 1",
     [("return (n + 2 * padding - k) // stride + 1", "return (n + 2 * padding - k) // stride")], "im2col",
     "OH = (H + 2 padding - kh) // stride + 1", False),
    ("conv2d_im2col", "padding on one side only in the output size",
     [("return (n + 2 * padding - k) // stride + 1", "return (n + padding - k) // stride + 1")], "im2col",
     "padding on both sides", False),
    ("conv2d_im2col", "every axis padded",
     [("xp.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))", "xp.pad(x, padding)")],
     "im2col", None, False),
    ("conv2d_im2col", "a flipped kernel (true convolution)",
     [("y = weight.reshape(o, -1) @ cols", "y = weight[:, :, ::-1, ::-1].reshape(o, -1) @ cols")], "conv2d",
     "flipped", True),
    ("discriminator_loss_gradient", "sigmoid(a) instead of sigmoid(a) - 1 for the real logits",
     [("(sigmoid(a_real) - 1.0) / a_real.size", "sigmoid(a_real) / a_real.size")], "the gradient of a_real",
     "y = 1", True),
    ("discriminator_loss_gradient", "the fakes divided by the real batch size",
     [("sigmoid(a_fake) / a_fake.size", "sigmoid(a_fake) / a_real.size")], "the gradient of a_fake",
     "not by the real count", True),
    ("discriminator_loss_gradient", "log(1 - sigmoid(a)) computed naively",
     [("return softplus(-a_real).mean() + softplus(a_fake).mean()",
       "return -xp.log(sigmoid(a_real)).mean() - xp.log(1 - sigmoid(a_fake)).mean()")],
     "discriminator_loss", "log(0)", True),
    ("gradient_penalty", "d|g|/dg taken as g (no division by |g|)",
     [("u = 2.0 * (norms - 1.0) / (len(x) * norms) * g", "u = 2.0 * (norms - 1.0) / len(x) * g")],
     "the gradient of W1", "division by |g|", True),
    ("gradient_penalty", "LeakyReLU's slopes left out of the input gradient",
     [("return (_slopes(x, W1, b1, slope) * w2) @ W1", "return xp.ones((len(x), 1)) * (w2 @ W1)")],
     "critic_input_gradient", "slope is missing", True),
    ("gradient_penalty", "the squared norm in the penalty",
     [("return ((norms - 1.0) ** 2).mean()", "return ((norms**2 - 1.0) ** 2).mean()")], "gradient_penalty",
     "not its square", True),
    ("adam_update", "no bias correction",
     [("m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)", "m_hat, v_hat = m, v")], "the new param",
     "bias correction is missing", True),
    ("adam_update", "eps inside the square root",
     [("(xp.sqrt(v_hat) + eps)", "xp.sqrt(v_hat + eps)")], "the new param", "outside the square root", True),
    ("adam_update", "bias correction one step ahead",
     [("m / (1 - b1**t), v / (1 - b2**t)", "m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))")], "the new param",
     "wrong step", True),
]


def _plant(tmp_path, name, edits):
    source = exercises.solution_path(name).read_text()
    for old, new in edits:
        assert old in source, f"the solution of {name} no longer contains {old!r}: update this planted mistake"
        source = source.replace(old, new, 1)
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    return path


@pytest.mark.parametrize(
    "name, slip, edits, check, hint, names_element", WRONG_ANSWERS, ids=[f"{w[0]}: {w[1]}" for w in WRONG_ANSWERS]
)
def test_the_checker_rejects_a_typical_wrong_answer(tmp_path, name, slip, edits, check, hint, names_element):
    verdict = exercises.check(name, _plant(tmp_path, name, edits), examples=5)
    assert verdict.status == "fail", f"{slip}: {verdict.text}"
    assert check in verdict.failure.check, verdict.text
    if hint is not None:
        assert verdict.failure.hint and hint in verdict.failure.hint, verdict.text
    if names_element:
        assert ELEMENT.search(verdict.text), verdict.text
    assert "case:" in verdict.text


def test_every_exercise_has_a_planted_wrong_answer():
    assert {w[0] for w in WRONG_ANSWERS} == set(exercises.NAMES)


def test_a_failure_only_drawn_cases_reveal_is_shrunk_to_the_smallest_case(tmp_path):
    # Wrong only when A has 4 columns, which no fixed case has: a drawn case finds it, and hypothesis
    # shrinks it to the smallest such shapes.
    wrong_for_4_columns = "        a, b = self.inputs\n        if a.shape[-1] >= 4:\n            gc = gc * 2.0\n"
    edits = [("        a, b = self.inputs\n", wrong_for_4_columns)]
    verdict = exercises.check("matmul_broadcast_backward", _plant(tmp_path, "matmul_broadcast_backward", edits))
    assert verdict.status == "fail", verdict.text
    assert (verdict.failure.case["a_shape"], verdict.failure.case["b_shape"]) == ((1, 4), (4, 1)), verdict.text
    assert "2 times the expected" in verdict.failure.hint


def test_without_hypothesis_the_cases_are_drawn_from_a_seeded_generator(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # makes `import hypothesis` raise ImportError
    assert exercises.check("leaky_relu_backward", exercises.solution_path("leaky_relu_backward"), examples=4).passed
    no_bias_correction = [("m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)", "m_hat, v_hat = m, v")]
    wrong = _plant(tmp_path, "adam_update", no_bias_correction)
    assert exercises.check("adam_update", wrong, examples=4).status == "fail"


def test_an_answer_that_does_not_import_or_lacks_a_name_fails_with_a_clear_message(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def adam_step(:\n")
    verdict = exercises.check("adam_update", broken)
    assert verdict.status == "fail" and "importing broken.py" in verdict.text and "SyntaxError" in verdict.text
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    verdict = exercises.check("sigmoid_backward", empty)
    assert verdict.status == "fail" and "defines no `Sigmoid`" in verdict.text


def test_an_error_inside_the_answer_names_its_line(tmp_path):
    path = _plant(tmp_path, "sigmoid_backward", [("return gy * (y * (1.0 - y))", "return gy * (y * (1.0 - z))")])
    verdict = exercises.check("sigmoid_backward", path)
    assert verdict.status == "fail"
    assert "NameError" in verdict.text and "sigmoid_backward.py line" in verdict.text


def test_a_backward_returning_arrays_is_told_to_return_tensors(tmp_path):
    path = _plant(tmp_path, "sigmoid_backward", [("return gy * (y * (1.0 - y))", "return (gy * (y * (1.0 - y))).data")])
    verdict = exercises.check("sigmoid_backward", path)
    assert verdict.status == "fail" and "not a minigan Tensor" in verdict.text


# ----------------------------------------------------------------- the references against independent facts


def test_reference_conv2d_matches_the_definition_by_loops():
    conv = Answer(exercises.solution_path("conv2d_im2col"))
    mg.manual_seed(0)
    x, w = backend.randn(2, 3, 5, 6, dtype="float64"), backend.randn(4, 3, 3, 2, dtype="float64")
    s, p = 2, 1
    y = conv.get("conv2d")(x, w, s, p)
    padded = xp.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    for n, o, i, j in [(0, 0, 0, 0), (1, 3, 2, 1), (0, 2, 1, 3), (1, 1, 2, 3)]:
        patch = padded[n, :, i * s : i * s + 3, j * s : j * s + 2]
        assert float(y[n, o, i, j]) == pytest.approx(float((patch * w[o]).sum()))
    assert y.shape == (2, 4, 3, 4)


def test_reference_gradient_penalty_gradient_equals_minigans_double_backward():
    gp = Answer(exercises.solution_path("gradient_penalty"))
    mg.manual_seed(3)
    x, W1, b1, w2, b2 = _arrays(4, 3, 5, 0.2)
    tx = mg.tensor(x, requires_grad=True)
    tW1, tw2 = mg.tensor(W1, requires_grad=True), mg.tensor(w2, requires_grad=True)
    f = (tx @ tW1.T + mg.tensor(b1)).leaky_relu(0.2) @ tw2 + mg.tensor(b2)
    (g,) = mg.grad(f.sum(), tx, create_graph=True)
    penalty = (((g * g).sum(axis=1).sqrt() - 1.0) ** 2).mean()
    dW1, dw2 = mg.grad(penalty, [tW1, tw2])
    assert float(penalty.data) == pytest.approx(float(gp.get("gradient_penalty")(x, W1, b1, w2, b2, 0.2)))
    hand_dW1, hand_dw2 = gp.get("gradient_penalty_grad")(x, W1, b1, w2, b2, 0.2)
    assert bool(abs(hand_dW1 - dW1.data).max() < 1e-12) and bool(abs(hand_dw2 - dw2.data).max() < 1e-12)


def test_reference_adam_first_step_is_lr_times_the_sign_of_the_gradient():
    step = Answer(exercises.solution_path("adam_update")).get("adam_step")
    g = xp.asarray([0.3, -2.0, 1e-3])
    param, m, v = step(xp.zeros(3), g, xp.zeros(3), xp.zeros(3), 1, lr=0.1, eps=0.0)
    assert [float(p) for p in param] == pytest.approx([-0.1, 0.1, -0.1])


# ----------------------------------------------------------------- the command line


def test_cli_list_show_and_usage_errors(capsys, tmp_path):
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in exercises.NAMES)

    assert main(["show", "adam_update"]) == 0
    shown = capsys.readouterr().out
    assert "docs/exercises/adam_update.py" in shown and "def adam_step" in shown

    assert main(["check", "no_such_exercise", "answer.py"]) == 2
    err = capsys.readouterr().err
    assert "no_such_exercise" in err and "sigmoid_backward" in err  # lists the valid names

    assert main(["check", "adam_update", str(tmp_path / "missing.py")]) == 2
    assert "no answer file" in capsys.readouterr().err

    assert main(["check", "adam_update", str(exercises.stub_path("adam_update")), "--examples", "0"]) == 1
    assert "not done yet: fill in adam_step" in capsys.readouterr().out

    with pytest.raises(SystemExit) as usage:
        main(["check", "adam_update"])  # neither a path nor --solution
    assert usage.value.code == 2


def test_cli_in_a_subprocess_passes_the_solution():
    result = subprocess.run(
        [sys.executable, "-m", "minigan.exercises", "check", "batchnorm_backward", "--solution", "--examples", "3"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("PASS batchnorm_backward")
