"""The course, tested from outside: the grader, the student edition, planted wrong answers, the examples on it.

A planted wrong answer is what students really write, put into a student
edition in place of one target's body; it must fail its assignment with a
message that names the mistake. One planting round changes one target of
every assignment at once (their checks are independent by design), so a
round costs one grading run.
"""

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minigan.course import ASSIGNMENTS, NAMES
from minigan.course.edition import EditionError, _kept, fill, find_function, replace_bodies, write_student_edition

ROOT = Path(__file__).resolve().parents[1]


def grade(directory, *names):
    args = [sys.executable, "-m", "minigan.course", "grade", str(directory), "--json"]
    if names:
        args += ["--assignments", ",".join(names)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=600)
    return json.loads(done.stdout), done


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    directory = tmp_path_factory.mktemp("course") / "student"
    write_student_edition(directory)
    return directory


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    directory = tmp_path_factory.mktemp("course") / "filled"
    write_student_edition(directory)
    fill(directory, ROOT, ASSIGNMENTS)
    return directory


def test_there_are_at_least_fourteen_assignments_each_with_targets_hints_and_a_page():
    assert len(ASSIGNMENTS) >= 14
    page = (ROOT / "docs" / "exercises" / "README.md").read_text()
    for a in ASSIGNMENTS:
        assert a.targets and len(a.hints) == 2, a.name
        assert (ROOT / "docs" / a.docs.split("#")[0]).is_file(), a.docs
        assert f"({a.name}.md)" in page and (ROOT / "docs" / "exercises" / f"{a.name}.md").is_file(), a.name
        for t in a.targets:
            tree = ast.parse((ROOT / t.path).read_text())
            assert find_function(tree, t.qualname) is not None, t.spec


def test_the_students_pages_are_rendered_from_the_table():
    from minigan.course import pages

    for name, text in pages.rendered().items():
        assert (ROOT / "docs" / "exercises" / name).read_text() == text, f"run python -m minigan.course pages ({name})"
    assert pages.CLASSROOM.read_text() == pages.render_classroom(), "run python -m minigan.course pages"


def test_the_classroom_workflow_grades_every_assignment_from_the_json(edition):
    workflow = (edition / ".github" / "workflows" / "classroom.yml").read_text()
    assert "python -m minigan.course grade . --json > grade.json" in workflow
    for a in ASSIGNMENTS:
        assert f"test-name: {a.name}\n" in workflow and f"'{a.name}'][0]['passed']" in workflow
    scores = re.findall(r"max-score: (\d+)", workflow)
    assert sum(map(int, scores)) == sum(a.points for a in ASSIGNMENTS)


def test_a_marker_per_assignment_is_registered_in_setup_cfg():
    cfg = (ROOT / "setup.cfg").read_text()
    for name in NAMES:
        assert re.search(rf"^\s+{name}: ", cfg, re.M), name


def test_the_project_itself_scores_full_marks_and_the_json_has_the_exact_shape():
    report, done = grade(ROOT)
    assert done.returncode == 0, done.stderr
    assert set(report) == {"score", "total", "assignments"}
    assert report["score"] == report["total"] == sum(a.points for a in ASSIGNMENTS)
    assert [a["name"] for a in report["assignments"]] == list(NAMES)
    for a in report["assignments"]:
        assert set(a) == {"name", "targets", "passed", "points", "max_points", "checks"}
        assert a["passed"] and a["points"] == a["max_points"] > 0
        assert all(re.fullmatch(r"[\w/.]+\.py:[\w.]+", t) for t in a["targets"])
        for c in a["checks"]:
            assert set(c) == {"name", "passed", "message"} and c["passed"], (a["name"], c)
    assert done.stdout.count("\n") <= 1  # one object, nothing else


def test_the_grade_is_deterministic():
    first, _ = grade(ROOT, "adam_update", "training_step")
    second, _ = grade(ROOT, "adam_update", "training_step")
    assert first == second


def test_a_fresh_student_edition_has_every_target_stubbed_and_scores_nothing(edition):
    for a in ASSIGNMENTS:
        for t in a.targets:
            fn = find_function(ast.parse((edition / t.path).read_text()), t.qualname)
            body = [s for s in fn.body if not _kept(s)]  # the docstring and leading argument checks stay
            assert len(body) == 1, t.spec
            if not t.delegate:
                assert isinstance(body[0], ast.Raise), t.spec
                assert f"assignment {a.name}: " in ast.unparse(body[0]), t.spec
    report, done = grade(edition)
    assert report["score"] == 0, done.stderr
    for a in report["assignments"]:
        assert not a["passed"]
        assert any("not done yet" in c["message"] for c in a["checks"]), a


def _statements(source, qualname):
    fn = find_function(ast.parse(source), qualname)
    for node in ast.walk(fn):
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.If, ast.For, ast.Try, ast.With)):
            text = ast.unparse(node)
            if len(text) >= 18 and re.search(r"[*/@+-]", text) and not text.startswith(("raise", '"', "'")):
                yield text


SHARED = {  # statements of a cut body that the engine also runs elsewhere, for another purpose
    "x_hat *= self.inv_std": "Normalize._normalized computes x-hat for the forward pass too",
    "g = g + self.weight_decay * theta": "SGD and RMSprop add the L2 weight decay the same way",
}


def test_no_solution_survives_in_the_student_edition(edition):
    """No statement of a cut body appears anywhere in the edition (code, docs, notebooks), and no answers folder."""
    assert not (edition / "minigan" / "exercises").exists()
    assert not (edition / "minigan" / "course" / "mistakes.py").exists()
    assert not (edition / "tests" / "test_course.py").exists()
    files = [p for p in edition.rglob("*") if p.suffix in (".py", ".md", ".ipynb", ".txt", ".toml", ".cfg")]
    texts = {p: re.sub(r"\s+", "", p.read_text(errors="ignore")) for p in files}
    for a in ASSIGNMENTS:
        for t in a.targets:
            for statement in _statements((ROOT / t.path).read_text(), t.qualname):
                if statement in SHARED:
                    continue
                squeezed = re.sub(r"\s+", "", statement)
                found = [str(p.relative_to(edition)) for p, text in texts.items() if squeezed in text]
                assert not found, f"{t.spec}: {statement!r} survives in {found}"
    answers = (edition / "minigan" / "course" / "pen_and_paper.py").read_text()
    assert not re.search(r"^\s+return\b", answers, re.M)


def test_ruff_leaves_the_imports_a_cut_body_will_need(edition):
    pyproject = (edition / "pyproject.toml").read_text()
    cut_files = {t.path for a in ASSIGNMENTS for t in a.targets if not t.delegate}
    for path in cut_files:
        assert f'"{path}" = ["F401"]' in pyproject
    assert pyproject.count("[tool.ruff.lint.per-file-ignores]") == 1 and '"minigan/__init__.py"' in pyproject
    if shutil.which("ruff"):   # ruff is not in the test extra; where it is installed, check the edition with it
        done = subprocess.run(["ruff", "check", "--select", "F401", "minigan"], cwd=edition, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stdout


def test_the_student_edition_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").write_text("mine")
    with pytest.raises(EditionError, match="not empty"):
        write_student_edition(tmp_path)
    done = subprocess.run([sys.executable, "-m", "minigan.course", "student-edition", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not empty" in done.stderr


def test_assignments_can_be_cut_one_at_a_time(tmp_path):
    write_student_edition(tmp_path / "one", ["sigmoid_backward"])
    source = (tmp_path / "one" / "minigan" / "ops" / "activation.py").read_text()
    assert "assignment sigmoid_backward" in source and "assignment leaky_relu_backward" not in source
    assert "assignment adam_update" not in (tmp_path / "one" / "minigan" / "optim.py").read_text()


def test_a_filled_in_edition_scores_full_marks_and_runs_vanilla_gan(filled, tmp_path):
    report, done = grade(filled)
    assert report["score"] == report["total"], [c for a in report["assignments"] for c in a["checks"]
                                                 if not c["passed"]][:3]
    run = subprocess.run(
        [sys.executable, "examples/vanilla_gan.py", "--steps", "3", "--batch-size", "16", "--quiet",
         "--sample-every", "1000", "--checkpoint-every", "1000", "--out", str(tmp_path / "run")],
        cwd=filled, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(filled), "PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"},
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_pytest_m_runs_one_assignment_in_the_edition(filled):
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "leaky_relu_backward", "-p", "no:cacheprovider",
                           "tests/test_course_assignments.py"], cwd=filled, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    assert re.search(r"\b6 passed", done.stdout), done.stdout[-500:]


def test_the_library_training_step_trains_vanilla_gans_networks_to_the_same_weights(tmp_path):
    """minigan/gan/step.py is examples/vanilla_gan.py's loop as a library: same draws, same updates, same weights."""
    import importlib.util

    import minigan as mg
    from minigan import optim
    from minigan.data import load_digits
    from minigan.gan import d_loss_minimax, g_loss
    from minigan.gan.checkpoint import load_checkpoint
    from minigan.gan.step import train_step

    spec = importlib.util.spec_from_file_location("vanilla_gan_under_test", ROOT / "examples" / "vanilla_gan.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    steps, batch = 3, 8
    script.main(["--steps", str(steps), "--batch-size", str(batch), "--quiet", "--out", str(tmp_path / "run"),
                 "--sample-every", "1000", "--checkpoint-every", "1000"])

    images, _ = load_digits()
    data = mg.tensor(images.reshape(len(images), -1))
    mg.manual_seed(0)
    G, D = script.build_generator(100), script.build_discriminator()
    opt_g = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    mg.randn(64, 100)  # the script's fixed_z, drawn before training

    def real_batches():
        while True:
            yield data[mg.randint(0, len(data), (batch,))]

    reals = real_batches()
    for _ in range(steps):
        train_step(D, G, opt_d, opt_g, reals, lambda: mg.randn(batch, 100), k=1, d_loss=d_loss_minimax, g_loss=g_loss)
    G2, D2 = script.build_generator(100), script.build_discriminator()
    load_checkpoint(tmp_path / "run" / "checkpoint.npz", {"G": G2, "D": D2})
    for mine, theirs in ((G, G2), (D, D2)):
        for (name, p), (_, q) in zip(mine.named_parameters(), theirs.named_parameters()):
            assert (p.numpy() == q.numpy()).all(), name


# ------------------------------------------------------------------ planted wrong answers

ROUNDS = [
    {
        "sigmoid_backward": ("Sigmoid.backward", "y = self.output\nreturn gy * (y * (y - 1.0))", "y (y - 1)"),
        "leaky_relu_backward": ("LeakyReLU.backward",
                                "x = self.inputs[0].data\nslope = xp.where(x >= 0, 1.0, self.negative_slope)\n"
                                "return gy * Tensor(slope)", "x >= 0"),
        "softplus_log_sigmoid_backward": ("Softplus.backward", "return gy * Sigmoid.apply(-self.inputs[0])",
                                          "derivative of log-sigmoid"),
        "matmul_broadcast_backward": ("MatMul.backward",
                                      "a, b = self.inputs\n"
                                      "return (MatMul.apply(gc, transpose(b, -2, -1)),\n"
                                      "        MatMul.apply(transpose(a, -2, -1), gc))",
                                      "broadcast"),
        "batchnorm_backward": ("Normalize.backward",
                               "x, weight, bias = self.inputs\nx_hat, inv_std = self._normalized(x)\n"
                               "h = g * weight\ngx = inv_std * (h - mean(h, self.axes, keepdims=True))\n"
                               "return gx, sum_to(g * x_hat, weight.shape), sum_to(g, bias.shape)",
                               "treated as a constant"),
        "conv2d_im2col": ("im2col", None, "padding is missing"),
        "discriminator_loss_gradient": ("d_loss_minimax",
                                        "return -(mg.sum(mg.log_sigmoid(real_logits)) "
                                        "+ mg.sum(mg.log_sigmoid(-fake_logits)))", "1/N"),
        "generator_losses": ("g_loss",
                             "if saturating:\n    return -mg.mean(mg.log_sigmoid(fake_logits))\n"
                             "return mg.mean(mg.log_sigmoid(-fake_logits))", "mixed up"),
        "training_step": ("discriminator_step",
                          "fake = G(z)\nloss = d_loss(D(real), D(fake))\nopt_d.zero_grad()\nloss.backward()\n"
                          "opt_d.step()\nreturn loss", "detach"),
        "gradient_penalty": ("gradient_penalty", "create_graph=False", "create_graph=True"),
        "wgan_clipping": ("clip_weights_",
                          "for p in params:\n    if p.grad is not None:\n"
                          "        xp.clip(p.grad.data, -c, c, out=p.grad.data)", "not p.grad"),
        "feature_matching": ("feature_matching_loss",
                             "mu_real = mg.mean(f_real.reshape(f_real.shape[0], -1), axis=0)\n"
                             "mu_fake = mg.mean(f_fake.reshape(f_fake.shape[0], -1), axis=0)\n"
                             "return mg.mean((mu_real - mu_fake) ** 2)", "summed over the features"),
        "minibatch_discrimination": ("minibatch_discrimination",
                                     "n = features.shape[0]\nM = mg.matmul(features, T).reshape(n, num_kernels, -1)\n"
                                     "l1 = mg.sum(mg.abs(M.unsqueeze(1) - M.unsqueeze(0)), axis=3)\n"
                                     "return mg.sum(mg.exp(-l1), axis=1) - 1.0", "j = i"),
        "adam_update": ("adam_update",
                        "beta1, beta2 = betas\n"
                        "m = beta1 * m + (1 - beta1) * g\n"
                        "v = beta2 * v + (1 - beta2) * g * g\n"
                        "m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)\n"
                        "return theta - lr * m_hat / (xp.sqrt(v_hat) + eps), m_hat, v_hat", "bias-corrected"),
        "pen_and_paper": ("optimal_discriminator", "return 0.2 / (0.6 + 0.2)", "p_g is in the numerator"),
    },
    {
        "sigmoid_backward": ("Sigmoid.backward", "x = self.inputs[0]\nreturn gy * (x * (1 - x))", "not the input x"),
        "leaky_relu_backward": ("LeakyReLU.backward", "x = self.inputs[0].data\nreturn gy * Tensor((x > 0) * 1.0)",
                                "ReLU's gradient"),
        "matmul_broadcast_backward": ("Linear.backward",
                                      "x, weight = self.inputs[:2]\nrows = g.reshape(-1, g.shape[-1])\n"
                                      "xr = x.reshape(-1, x.shape[-1])\n"
                                      "gb = rows.sum(0) if len(self.inputs) == 3 else None\n"
                                      "out = (g @ weight, rows.T @ xr / rows.shape[0])\n"
                                      "return out if gb is None else out + (gb,)", "not its mean"),
        "discriminator_loss_gradient": ("d_loss_minimax",
                                        "return -(mg.mean(mg.log_sigmoid(-real_logits)) "
                                        "+ mg.mean(mg.log_sigmoid(fake_logits)))", "swapped"),
        "generator_losses": ("g_loss",
                             "if saturating:\n    return mg.mean(mg.log_sigmoid(-fake_logits))\n"
                             "return mg.mean(mg.log_sigmoid(fake_logits))", "sign is flipped"),
        "training_step": ("generator_step",
                          "loss = g_loss(D(G(z)))\nopt_g.zero_grad()\nloss.backward()\nopt_g.step()\nreturn loss",
                          "freeze D"),
        "wgan_clipping": ("wasserstein_critic_loss", "return mg.mean(real_scores) - mg.mean(fake_scores)",
                          "sign is flipped"),
        "adam_update": ("adam_update",
                        "beta1, beta2 = betas\n"
                        "m = beta1 * m + g\n"
                        "v = beta2 * v + (1 - beta2) * g * g\n"
                        "m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)\n"
                        "return theta - lr * m_hat / (xp.sqrt(v_hat) + eps), m, v", "(1 - beta1) on g"),
        "pen_and_paper": ("transposed_conv_output_size", "return (7 + 2 * 1 - 4) // 2 + 1", "convolution"),
    },
    {  # no loss plants here: the losses' gradients run through LogSigmoid.backward
        "softplus_log_sigmoid_backward": ("LogSigmoid.backward", "return gy / Sigmoid.apply(self.inputs[0])",
                                          "1 / sigmoid(x)"),
        "training_step": ("train_step",
                          "d_losses = []\nz = sample_z()\nfor _ in range(k):\n"
                          "    d_losses.append(float(discriminator_step(D, G, opt_d, next(real_batches), z, d_loss)))\n"
                          "return d_losses, float(generator_step(D, G, opt_g, z, g_loss))", "fresh"),
        "gradient_penalty": ("gradient_penalty", "squared = mg.sum(g * g, axis=-1)", "all of a sample's axes"),
        "pen_and_paper": ("saturating_gradient", "return -0.9999", "non-saturating gradient"),
        "conv2d_im2col": ("im2col", ("edit", ("(n, c, kh, kw, h_out, w_out)", "(n, kh, kw, c, h_out, w_out)"),
                                     ("cols[:, :, a, b] =", "cols[:, a, b] =")), "ordered (c, a, b)"),
    },
    {
        "training_step": ("discriminator_step",
                          "fake = G(z).detach()\nloss = d_loss(D(real), D(fake))\nloss.backward()\nopt_d.step()\n"
                          "return loss", "accumulate"),
        "wgan_clipping": ("clip_weights_", "for p in params:\n    clipped = xp.clip(p.data, -c, c)  # noqa: F841",
                          "not clipped"),
        "pen_and_paper": ("value_at_the_optimal_discriminator", "return 2 * 0.75 * math.log(4 / 3)", "2 JSD alone"),
        "conv2d_im2col": ("col2im", ("edit", ("] += cols[:, :, a, b]", "] = cols[:, :, a, b]")),
                          "copies where it must add"),
    },
]


# More wrong answers students write, each with words of the hint that must name it. They are grouped into
# rounds automatically: one plant per assignment per round, and never a plant of an op together with a plant
# of an assignment whose checks run through that op (a broken LogSigmoid.backward breaks the GAN losses' checks).
E = "edit"
_FM = ("mu_r = mg.mean(f_real.reshape(f_real.shape[0], -1), axis={0})\n"
       "mu_f = mg.mean(f_fake.reshape(f_fake.shape[0], -1), axis={0})\n")
_MBD = "n = features.shape[0]\nM = mg.matmul(features, T).reshape(n, {0})\nd = M.unsqueeze(1) - M.unsqueeze(0)\n"
_ADAM = "b1, b2 = betas\nm = {0} * m + (1 - {0}) * g\nv = {1} * v + (1 - {1}) * g * g\n"
_LINEAR = ("x, weight = self.inputs[:2]\nrows = g.reshape(-1, g.shape[-1])\n"
           "out = ({0}, {1})\nreturn out if len(self.inputs) == 2 else out + ({2},)")
_D_STEP = "{0}\nloss = d_loss(D(real), {1})\n{2}\nreturn loss"
_G_STEP = "D.requires_grad_(False)\nloss = g_loss(D({0}))\n{1}\nD.requires_grad_(True)\nreturn loss"
_TRAIN = ("d_losses = []\nfor _ in range({0}):\n"
          "    {1}d_losses.append(float(discriminator_step(D, G, opt_d, next(real_batches), {2}, d_loss)))\n{3}")
_G_LAST = "return d_losses, float(generator_step(D, G, opt_g, sample_z(), g_loss))"
PLANTS = [
    ("sigmoid_backward", "Sigmoid.backward", "y = self.output\nreturn gy + y * (1 - y)", "this adds them"),
    ("sigmoid_backward", "Sigmoid.backward", "y = self.output\nreturn gy * (1 - y) * (1 - y)", "(1 - y)^2"),
    ("leaky_relu_backward", "LeakyReLU.backward",
     "x = self.inputs[0].data\nslope = (x > 0).astype(x.dtype)\nslope += self.negative_slope\n"
     "return gy * Tensor(slope)",
     "1 + negative_slope"),
    ("leaky_relu_backward", "LeakyReLU.backward",
     "x = self.inputs[0].data\nreturn gy * Tensor(xp.where(x > 0, 1.0, -self.negative_slope))", "+negative_slope"),
    ("leaky_relu_backward", "LeakyReLU.backward",
     "x = self.inputs[0].data\nreturn Tensor(xp.where(x > 0, gy.data, self.negative_slope))", "both branches"),
    ("softplus_log_sigmoid_backward", "LogSigmoid.backward", "return -gy * Sigmoid.apply(self.inputs[0])",
     "this is -sigmoid(x)"),
    ("matmul_broadcast_backward", "MatMul.backward",
     "a, b = self.inputs\nreturn MatMul.apply(gc, transpose(b, -2, -1)), MatMul.apply(transpose(a, -2, -1), gc)",
     "broadcast shape"),
    ("matmul_broadcast_backward", "Linear.backward", _LINEAR.format("g @ weight.T",
                                                                    "rows.T @ x.reshape(-1, x.shape[-1])",
                                                                   "rows.sum(0)"), "not g W^T"),
    ("matmul_broadcast_backward", "Linear.backward", _LINEAR.format("g @ weight", "x.reshape(-1, x.shape[-1]).T @ rows",
                                                                   "rows.sum(0)"), "the transpose of dL/dW"),
    ("matmul_broadcast_backward", "Linear.backward", _LINEAR.format("g @ weight", "rows.T @ x.reshape(-1, x.shape[-1])",
                                                                   "rows.sum(1)"), "not over the output features"),
    ("matmul_broadcast_backward", "Linear.backward", _LINEAR.format("g @ weight", "rows.T @ x.reshape(-1, x.shape[-1])",
                                                                   "g.sum(0)"), "every leading axis"),
    ("matmul_broadcast_backward", "Linear.backward", _LINEAR.format("g @ weight", "g.T @ x", "rows.sum(0)"),
     "flattened"),
    ("batchnorm_backward", "Normalize.backward", (E, ("gx = inv_std * (", "gx = (")), "division by sigma"),
    ("batchnorm_backward", "Normalize.backward",
     (E, ("gx = inv_std * (h - h_mean - x_hat * h_x_hat_mean)", "gx = (h - h_mean - x_hat * h_x_hat_mean) / inv_std")),
     "multiplies by sigma"),
    ("batchnorm_backward", "Normalize.backward", (E, ("mean(h, self.axes, keepdims=True)", "mean(h, 0, keepdims=True)"),
                                                  ("mean(h * x_hat, self.axes,", "mean(h * x_hat, 0,")),
     "every normalised axis"),
    ("batchnorm_backward", "Normalize.backward", (E, ("sum_to(g * x_hat, weight.shape)",
                                                      "sum_to(g * x, weight.shape)")),
     "not gy * x"),
    ("batchnorm_backward", "Normalize.backward", (E, ("h_x_hat_mean = mean(h * x_hat",
                                                      "h_x_hat_mean = mean(g * x_hat")),
     "missing in the xhat term"),
    ("conv2d_im2col", "im2col", (E, ("padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))", "padded = x")),
     "pad H and W"),
    ("conv2d_im2col", "im2col", (E, ("padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))",
                                     "padded = xp.pad(x, ph)")), "not N and C"),
    ("conv2d_im2col", "im2col", (E, ("a : a + sh * h_out : sh, b : b + sw * w_out : sw]",
                                     "a : a + h_out, b : b + w_out]")),
     "do not step by the stride"),
    ("conv2d_im2col", "col2im", (E, ("return padded[:, :, ph : ph + h, pw : pw + w]",
                                     "return padded[:, :, ph:-ph, pw:-pw]")),
     "empty when p = 0"),
    ("conv2d_im2col", "col2im", (E, ("return padded[:, :, ph : ph + h, pw : pw + w]", "return padded[:, :, :h, :w]")),
     "top-left"),
    ("conv2d_im2col", "col2im", (E, ("a : a + sh * h_out : sh, b : b + sw * w_out : sw] +=",
                                     "a : a + h_out, b : b + w_out] +=")),
     "col2im ignores the stride"),
    ("discriminator_loss_gradient", "d_loss_minimax",
     "return -mg.mean(mg.log_sigmoid(real_logits)) + mg.mean(mg.log_sigmoid(-fake_logits))", "the real term only"),
    ("discriminator_loss_gradient", "d_loss_minimax",
     "return -(mg.mean(mg.log_sigmoid(real_logits)) + mg.mean(mg.log_sigmoid(fake_logits)))",
     "fake term is log D(G(z))"),
    ("discriminator_loss_gradient", "d_loss_minimax",
     "return -(mg.mean(mg.log(mg.sigmoid(real_logits))) + mg.mean(mg.log(mg.sigmoid(-fake_logits))))",
     "log-sigmoid op"),
    ("discriminator_loss_gradient", "d_loss_minimax",
     "return -mg.mean(mg.log_sigmoid(real_logits) + mg.log_sigmoid(-fake_logits))", "different sizes"),
    ("generator_losses", "g_loss", "if saturating:\n    return mg.mean(mg.log(1 - mg.sigmoid(fake_logits)))\n"
     "return -mg.mean(mg.log_sigmoid(fake_logits))", "log of a sigmoid"),
    ("generator_losses", "g_loss", "if saturating:\n    return mg.mean(mg.log_sigmoid(-fake_logits))\n"
     "return -mg.mean(mg.log(mg.sigmoid(fake_logits)))", "log of a sigmoid"),
    ("generator_losses", "g_loss", "if saturating:\n    return mg.mean(mg.log_sigmoid(fake_logits))\n"
     "return -mg.mean(mg.log_sigmoid(fake_logits))", "this is log D(G(z))"),
    ("training_step", "discriminator_step",
     _D_STEP.format("", "D(G(z)).detach()", "opt_d.zero_grad()\nloss.backward()\nopt_d.step()"), "not D(G(z))"),
    ("training_step", "discriminator_step",
     _D_STEP.format("fake = G(z).detach()", "D(fake)", "loss.backward()\nopt_d.zero_grad()\nopt_d.step()"),
     "zero_grad after backward wipes"),
    ("training_step", "generator_step", _G_STEP.format("G(z)", "loss.backward()\nopt_g.step()"),
     "G's gradients accumulate"),
    ("training_step", "generator_step", _G_STEP.format("G(z).detach()",
                                                       "opt_g.zero_grad()\nloss.backward()\nopt_g.step()"),
     "must not be detached"),
    ("training_step", "train_step", _TRAIN.format("k", "", "sample_z()", "    g = float(generator_step(D, G, opt_g, "
                                                  "sample_z(), g_loss))\nreturn d_losses, g"), "Algorithm 1 runs k"),
    ("training_step", "train_step", _TRAIN.format("k + 1", "", "sample_z()", _G_LAST), "Algorithm 1 runs k"),
    ("training_step", "train_step", _TRAIN.format("k", "z = sample_z()\n    ", "z", "return d_losses, "
                                                  "float(generator_step(D, G, opt_g, z, g_loss))"), "fresh noise"),
    ("gradient_penalty", "gradient_penalty",
     (E, ("squared = mg.sum((g * g).reshape(n, -1), axis=1)", "squared = mg.sum(g * g)")), "whole batch at once"),
    ("gradient_penalty", "gradient_penalty", (E, ("(norm - 1.0) ** 2", "(norm - 1.0)")), "must be squared"),
    ("gradient_penalty", "gradient_penalty", (E, ("(norm - 1.0) ** 2", "mg.relu(norm - 1.0) ** 2")), "one-sided"),
    ("gradient_penalty", "gradient_penalty", (E, ("eps * real.data + (1 - eps) * fake.data", "real.data")),
     "at the real samples"),
    ("gradient_penalty", "gradient_penalty", (E, ("eps = backend.rand(*per_sample, dtype=real.dtype)",
                                                  "eps = backend.rand(*real.shape, dtype=real.dtype)")),
     "once per sample"),
    ("gradient_penalty", "gradient_penalty_mlp_by_hand", (E, ("r = (2 * lam / n)", "r = (lam / n)")), "misses the 2"),
    ("gradient_penalty", "gradient_penalty_mlp_by_hand", (E, ("r = (2 * lam / n)", "r = (2 * lam)")), "misses the 1/N"),
    ("gradient_penalty", "gradient_penalty_mlp_by_hand", (E, ("xp.where(z > 0, 1.0, slope)",
                                                              "xp.where(z > 0, 1.0, 0.0)")),
     "ReLU's"),
    ("gradient_penalty", "gradient_penalty_mlp_by_hand", (E, ("deltas[l].T @ qs[l]", "qs[l].T @ deltas[l]")),
     "transposed"),
    ("gradient_penalty", "gradient_penalty_mlp_by_hand", (E, ("* (norm - 1) * g / norm", "* (norm - 1) * g")),
     "through the norm"),
    ("wgan_clipping", "wasserstein_critic_loss", "return mg.mean(fake_scores - real_scores)", "different sizes"),
    ("wgan_clipping", "wasserstein_critic_loss", "return -mg.mean(real_scores) - mg.mean(fake_scores)",
     "opposite signs"),
    ("wgan_clipping", "wasserstein_generator_loss", "return -mg.mean(mg.log_sigmoid(fake_scores))",
     "not a probability"),
    ("wgan_clipping", "clip_weights_",
     "for p in params:\n    if p.ndim > 1:\n        xp.clip(p.data, -c, c, out=p.data)",
     "biases are not clipped"),
    ("wgan_clipping", "clip_weights_", "for p in params:\n    xp.minimum(p.data, c, out=p.data)", "only from above"),
    ("wgan_clipping", "clip_weights_",
     "for p in params:\n    p.data[...] = p.data / max(1.0, float(abs(p.data).max()) / c)", "rescaled as a whole"),
    ("feature_matching", "feature_matching_loss", _FM.format(0) + "return mg.sum(mg.abs(mu_r - mu_f))", "L1 distance"),
    ("feature_matching", "feature_matching_loss", _FM.format(1) + "return mg.sum((mu_r - mu_f) ** 2)", "wrong axis"),
    ("feature_matching", "feature_matching_loss", "return (mg.mean(f_real) - mg.mean(f_fake)) ** 2",
     "one number per side"),
    ("feature_matching", "feature_matching_loss",
     _FM.format(0).replace("mg.mean(f_real", "mg.mean(f_real.detach()") + "return mg.sum((mu_r - mu_f) ** 2)",
     "detached"),
    ("minibatch_discrimination", "minibatch_discrimination",
     _MBD.format("num_kernels, -1") + "return mg.sum(mg.exp(-mg.sum(d * d, axis=3)), axis=1)", "squared L2"),
    ("minibatch_discrimination", "minibatch_discrimination",
     _MBD.format("-1, num_kernels") + "return mg.sum(mg.exp(-mg.sum(mg.abs(d), axis=2)), axis=1)", "(N, C, B)"),
    ("minibatch_discrimination", "minibatch_discrimination",
     _MBD.format("num_kernels, -1") + "return mg.sum(mg.exp(-mg.sum(mg.abs(d), axis=2)), axis=1)", "wrong axis"),
    ("minibatch_discrimination", "minibatch_discrimination",
     _MBD.format("num_kernels, -1") + "return mg.cat([features, mg.sum(mg.exp(-mg.sum(mg.abs(d), axis=3)), axis=1)], "
     "axis=1)", "return o alone"),
    ("minibatch_discrimination", "minibatch_discrimination",
     _MBD.format("num_kernels, -1") + "return mg.sum(mg.exp(-mg.mean(mg.abs(d), axis=3)), axis=1)", "not their mean"),
    ("adam_update", "adam_update", _ADAM.format("b1", "b2")
     + "m_hat, v_hat = m / (1 - b1**(t - 1)), v / (1 - b2**(t - 1))\n"
     "return theta - lr * m_hat / (xp.sqrt(v_hat) + eps), m, v", "counted from 0"),
    ("adam_update", "adam_update", _ADAM.format("b1", "b2")
     + "return theta - lr * (m / (1 - b1**t)) / (xp.sqrt(v) + eps), m, v",
     "only m is bias-corrected"),
    ("adam_update", "adam_update", _ADAM.format("b1", "b2")
     + "return theta - lr * m / (xp.sqrt(v / (1 - b2**t)) + eps), m, v",
     "only v is bias-corrected"),
    ("adam_update", "adam_update", _ADAM.format("b2", "b1") + "m_hat, v_hat = m / (1 - b2**t), v / (1 - b1**t)\n"
     "return theta - lr * m_hat / (xp.sqrt(v_hat) + eps), m, v", "swapped"),
    ("adam_update", "adam_update", _ADAM.format("b1", "b2") + "m_hat, v_hat = m / (1 - b1)**t, v / (1 - b2)**t\n"
     "return theta - lr * m_hat / (xp.sqrt(v_hat) + eps), m, v", "not by (1 - beta)^t"),
    ("adam_update", "adam_update", _ADAM.format("b1", "b2") + "m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)\n"
     "return theta - lr * m_hat / (v_hat + eps), m, v", "square root of v_hat"),
    ("adam_update", "adam_update", _ADAM.format("b1", "b2") + "v_hat = v / (1 - b2**t)\n"
     "return theta - lr * g / (xp.sqrt(v_hat) + eps), m, v", "raw gradient g"),
    ("discriminator_loss_gradient", "d_loss_minimax",
     "return -(mg.mean(mg.log_sigmoid(real_logits)) + mg.mean(1 - mg.log_sigmoid(fake_logits)))",
     "goes inside the log"),
    ("generator_losses", "g_loss", "if saturating:\n    return mg.mean(1 - mg.log_sigmoid(fake_logits))\n"
     "return -mg.mean(mg.log_sigmoid(fake_logits))", "goes inside the log"),
    ("feature_matching", "feature_matching_loss", "return mg.mean((f_real - f_fake) ** 2)", "one by one"),
    ("minibatch_discrimination", "minibatch_discrimination",
     "n = features.shape[0]\nM = mg.matmul(features, T)\nl1 = mg.sum(mg.abs(M.unsqueeze(1) - M.unsqueeze(0)), axis=2)\n"
     "return mg.sum(mg.exp(-l1), axis=1)", "must be reshaped"),
    ("adam_update", "adam_update", _ADAM.format("b1", "b2") + "m_hat, v_hat = m / 1 - b1**t, v / 1 - b2**t\n"
     "return theta - lr * m_hat / (xp.sqrt(v_hat) + eps), m, v", "bracket"),
    ("adam_update", "adam_update", _ADAM.format("b1", "b2") + "m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)\n"
     "return theta - (lr * m_hat / xp.sqrt(v_hat) + eps), m, v", "added to the whole step"),
    ("gradient_penalty", "gradient_penalty", (E, ("eps = backend.rand(*per_sample, dtype=real.dtype)",
                                                  "eps = backend.rand(1, dtype=real.dtype)")), "not one for the whole"),
    ("matmul_broadcast_backward", "MatMul.backward",
     "a, b = self.inputs\nreturn sum_to(gc @ b.T, a.shape), sum_to(a.T @ gc, b.shape)", "reverses every axis"),
    ("batchnorm_backward", "Normalize.backward", (E, ("sum_to(g * x_hat, weight.shape)", "(g * x_hat).sum(0)"),
                                                  ("sum_to(g, bias.shape)", "g.sum(0)")), "gamma's and beta's shapes"),
    ("wgan_clipping", "clip_weights_",
     "for p in params:\n    if p.grad is not None:\n        xp.clip(p.data, -c, c, out=p.data)",
     "biases are not clipped"),
    ("pen_and_paper", "optimal_discriminator", "return 0.2 / 0.6", "upside down"),
    ("pen_and_paper", "value_at_the_optimal_discriminator", "return math.log(2 / 3)", "log D*] alone"),
    ("pen_and_paper", "value_at_the_optimal_discriminator", "return 0.5 * math.log(1 / 3)", "log(1 - D*)] alone"),
    ("pen_and_paper", "discriminator_loss_value", "return -(math.log(0.2) + math.log(0.7))", "the fakes only"),
    ("gradient_penalty", "gradient_penalty", (E, ("(norm - 1.0) ** 2", "norm ** 2")), "pushing the gradient to 0"),
    ("gradient_penalty", "gradient_penalty", (E, ("eps = eps.reshape(per_sample).astype(real.dtype, copy=False)",
                                                  "eps = eps.astype(real.dtype, copy=False)")), "(N, 1, 1, ...)"),
    ("pen_and_paper", "transposed_conv_output_size", "return (7 - 1) * 1 - 2 * 1 + 4", "the stride is missing"),
    ("matmul_broadcast_backward", "MatMul.backward", "a, b = self.inputs\n"
     "return sum_to(gc @ transpose(b, -2, -1), a.shape), sum_to(gc @ transpose(a, -2, -1), b.shape)",
     "not dL/dC A^T"),
    ("pen_and_paper", "optimal_discriminator", "return 75", "percentage"),
    ("pen_and_paper", "conv_output_size", "return 14 * 14", "height alone"),
    ("pen_and_paper", "adam_first_step", "return -1", "counts learning rates"),
    ("softplus_log_sigmoid_backward", "Softplus.backward", "return gy * softplus(self.inputs[0])", "the forward"),
    ("gradient_penalty", "gradient_penalty", (E, ("squared = mg.sum((g * g).reshape(n, -1), axis=1)",
                                                  "squared = mg.sum(g * g, axis=1)")), "not over axis 1"),
    ("adam_update", "adam_update", _ADAM.format("b1", "b2") + "m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)\n"
     "return theta - lr * m_hat / (xp.sqrt(v_hat) + eps), v, m", "m and v are swapped"),
    ("training_step", "discriminator_step", "with mg.no_grad():\n    loss = d_loss(D(real), D(G(z)))\n"
     "opt_d.zero_grad()\nloss.backward()\nopt_d.step()\nreturn loss", "must be recorded"),
    ("pen_and_paper", "optimal_discriminator", "return 0.5", "equilibrium"),
    ("pen_and_paper", "optimal_discriminator", "return 0.6", "p_data(x) alone"),
    ("pen_and_paper", "value_at_the_optimal_discriminator", "return math.log2(2 / 3) + 0.5 * math.log2(1 / 3)",
     "in bits"),
    ("pen_and_paper", "value_at_the_optimal_discriminator", "return math.log(2 / 3) + math.log(1 / 3)",
     "weighs each x"),
    ("pen_and_paper", "saturating_gradient", "return -1 / (1 - 1e-4)", "derivative by D"),
    ("pen_and_paper", "non_saturating_gradient", "return -1 / 1e-4", "derivative by D"),
    ("pen_and_paper", "transposed_conv_output_size", "return (7 - 1) * 2 + 4", "padding is missing"),
    ("pen_and_paper", "transposed_conv_output_size", "return (7 - 1) * 2 - 2 + 4 + 1", "output_padding is 0"),
    ("pen_and_paper", "adam_first_step", "return -0.001 / math.sqrt(0.001)", "only m is bias-corrected"),
    ("pen_and_paper", "adam_first_step", "return -0.001 * 0.1", "only v is bias-corrected"),
    ("pen_and_paper", "discriminator_loss_value", "return -(math.log2(0.8) + math.log2(0.7))", "in bits"),
    ("pen_and_paper", "discriminator_loss_value", "return -(math.log(0.8) + math.log(0.7)) / 2", "half the loss"),
]
_RUNS_THROUGH = {  # a plant of the key breaks the checks of these assignments (they run through its op)
    "sigmoid_backward": {"softplus_log_sigmoid_backward"},
    "softplus_log_sigmoid_backward": {"discriminator_loss_gradient", "generator_losses", "wgan_clipping"},
    "matmul_broadcast_backward": {"minibatch_discrimination"},
}


def _grouped(plants):
    rounds = []
    for name, qualname, body, words in plants:
        for round_ in rounds:
            clash = any(name in _RUNS_THROUGH.get(other, ()) or other in _RUNS_THROUGH.get(name, ())
                        for other in round_)
            if name not in round_ and not clash:
                break
        else:
            round_ = {}
            rounds.append(round_)
        round_[name] = (qualname, body, words)
    return rounds


ROUNDS += _grouped(PLANTS)


def _plant(directory, assignment, qualname, body):
    (target,) = [t for t in assignment.targets if t.qualname == qualname]
    file = directory / target.path
    source = file.read_text()
    if isinstance(body, tuple):  # ("edit", (old, new), ...): lines of the reference body changed
        from minigan.course.edition import function_body

        original = changed = function_body(source, qualname)
        for old, new in body[1:]:
            assert old in changed, old
            changed = changed.replace(old, new)
        source = replace_bodies(source, {qualname: changed})
    elif assignment.name == "conv2d_im2col":  # the padding left out: windows of the unpadded image
        source = source.replace("(kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding",
                                "(kh, kw), (sh, sw), (ph, pw) = kernel, stride, (0, 0)", 1)
    elif body.startswith(("create_graph", "squared")):  # one line of the reference changed
        from minigan.course.edition import function_body

        original = function_body(source, qualname)
        if body == "create_graph=False":
            changed = original.replace("create_graph=True", "create_graph=False")
        else:
            changed = re.sub(r"squared = .*", body, original)
        assert changed != original
        source = replace_bodies(source, {qualname: changed})
    else:
        source = replace_bodies(source, {qualname: body})
    file.write_text(source)


@pytest.mark.parametrize("round_", range(len(ROUNDS)))
def test_planted_wrong_answers_fail_with_a_message_naming_the_mistake(tmp_path_factory, round_):
    directory = tmp_path_factory.mktemp("planted") / "student"
    write_student_edition(directory)
    fill(directory, ROOT, ASSIGNMENTS)
    plants = ROUNDS[round_]
    for name, (qualname, body, _) in plants.items():
        _plant(directory, next(a for a in ASSIGNMENTS if a.name == name), qualname, body)
    report, done = grade(directory, *plants)
    by_name = {a["name"]: a for a in report["assignments"]}
    for name, (_, _, words) in plants.items():
        a = by_name[name]
        assert not a["passed"] and a["points"] == 0, name
        messages = [c["message"] for c in a["checks"] if not c["passed"]]
        assert any(words in m for m in messages), (name, messages[:3])
        assert not any("not done" in m for m in messages), (name, messages[:3])
