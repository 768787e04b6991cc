"""The course's one table: each assignment, in the order a student takes them, and the engine code it cuts.

A target is ``"path:Qualified.name"`` (the path relative to the project
root): the student edition finds that function by its AST and replaces its
body with a stub raising ``NotImplementedError("assignment <name>: <task>")``,
keeping the signature and the docstring. A target with ``delegate`` is a
fast helper: its body becomes ``delegate`` instead (a call of the stubbed
reference), so the student edition keeps no second copy of the formula.

When the engine moves a function, retarget it here and nowhere else.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    spec: str            # "minigan/ops/activation.py:Sigmoid.backward"
    task: str            # what the student writes there (words and math, never code)
    delegate: str = ""   # for a fast helper: the body that replaces it (calls the reference)

    @property
    def path(self):
        return self.spec.split(":", 1)[0]

    @property
    def qualname(self):
        return self.spec.split(":", 1)[1]


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    targets: tuple
    docs: str                     # the docs page to read first (relative to docs/), with an anchor if useful
    hints: tuple                  # graded: first the direction, then the formula (never the code)
    points: int = 10
    needs: tuple = ()             # assignments whose code this one's checks run through


_BACKWARD = "dL/dx = gy * dy/dx, built from minigan ops on Tensors (so it can be differentiated again)"
_BATCH_NORM_BY_NORMALIZE = (
    'raise NotImplementedError(\n    "assignment batchnorm_backward: the student edition "\n'
    '    "computes BatchNorm\'s backward with Normalize.backward."\n)'
)
_UNUSED_FAST = (  # a fast helper that the student edition no longer calls (its caller delegates to the reference)
    'raise NotImplementedError(\n    "assignment {}: the student edition runs the plain reference instead."\n)'
)

ASSIGNMENTS = (
    Assignment(
        "sigmoid_backward", "the backward of sigmoid",
        (Target("minigan/ops/activation.py:Sigmoid.backward",
                f"the gradient of sigmoid from its saved output y: {_BACKWARD}"),),
        "autograd.md",
        ("Differentiate sigma(x) = (1 + e^-x)^-1 with the chain rule, then write the result with sigma(x) "
         "itself: the backward needs only the saved output y = self.output.",
         "sigma'(x) = sigma(x) (1 - sigma(x)) = y (1 - y), and dL/dx = dL/dy * y (1 - y); "
         "see docs/autograd.md."),
    ),
    Assignment(
        "leaky_relu_backward", "the backward of LeakyReLU (slope a at the kink x = 0)",
        (Target("minigan/ops/activation.py:LeakyReLU.backward",
                f"the gradient of LeakyReLU: slope 1 where x > 0, negative_slope where x <= 0; {_BACKWARD}"),),
        "dcgan.md",
        ("The function is linear on each side of 0, so its derivative is a constant on each side: a mask "
         "of slopes, multiplied by the upstream gradient. Decide which side the point x = 0 belongs to.",
         "d/dx leaky_relu(x) = 1 for x > 0 and a (negative_slope) for x <= 0 (as in PyTorch: a at x = 0); "
         "dL/dx = dL/dy * slope; see docs/dcgan.md."),
    ),
    Assignment(
        "softplus_log_sigmoid_backward", "the backwards of softplus and log-sigmoid",
        (Target("minigan/ops/activation.py:Softplus.backward", f"the gradient of softplus; {_BACKWARD}"),
         Target("minigan/ops/activation.py:LogSigmoid.backward", f"the gradient of log-sigmoid; {_BACKWARD}")),
        "bce.md",
        ("Both derivatives are sigmoids: differentiate log(1 + e^x) and log sigma(x) = -softplus(-x), "
         "and reuse the sigmoid op (its forward is stable for any x).",
         "d/dx softplus(x) = sigma(x),  d/dx log sigma(x) = 1 - sigma(x) = sigma(-x); see docs/bce.md."),
        needs=("sigmoid_backward",),
    ),
    Assignment(
        "matmul_broadcast_backward", "the backward of a broadcasting matmul, and of Linear",
        (Target("minigan/ops/arithmetic.py:MatMul.backward",
                "dL/dA and dL/dB of C = A @ B (leading axes broadcast), each summed back to its input's shape "
                "(sum_to does that); None for an input that needs no gradient"),
         Target("minigan/ops/nn.py:Linear.backward",
                "dL/dx, dL/dW and (with a bias) dL/db of y = x W^T + b; None where needs_input_grad is False")),
        "broadcasting_and_matmul.md",
        ("Each gradient must have its input's shape: work out which transpose makes the shapes fit, then sum "
         "the gradient over every axis along which the input was broadcast (each copy contributed).",
         "dL/dA = dL/dC B^T, dL/dB = A^T dL/dC (summed over broadcast axes); for y = x W^T + b: "
         "dL/dx = g W, dL/dW = g^T x, dL/db = sum of g over the rows; see docs/broadcasting_and_matmul.md."),
    ),
    Assignment(
        "batchnorm_backward", "the closed-form backward of batch norm (and layer norm)",
        (Target("minigan/ops/nn.py:Normalize.backward",
                "dL/dx, dL/dgamma and dL/dbeta of the normalisation over self.axes, in closed form, with ops"),
         Target("minigan/ops/nn.py:BatchNorm.backward", "",
                delegate="return Normalize.backward(self, g)"),
         Target("minigan/ops/nn.py:batch_norm_backward", "", delegate=_BATCH_NORM_BY_NORMALIZE),
         Target("minigan/ops/nn.py:batch_norm_backward_fast", "", delegate=_BATCH_NORM_BY_NORMALIZE)),
        "batchnorm.md",
        ("The mean and the standard deviation both depend on every x of the batch: differentiate through "
         "them as well, not only through x - mu. gamma and beta are shared, so their gradients are sums.",
         "with h = gamma * g: dL/dx = (h - mean(h) - xhat mean(h xhat)) / sqrt(var + eps), "
         "dL/dgamma = sum(g xhat), dL/dbeta = sum(g) (means and sums over the normalised axes); "
         "see docs/batchnorm.md."),
    ),
    Assignment(
        "conv2d_im2col", "convolution by im2col, and its adjoint col2im",
        (Target("minigan/ops/conv.py:im2col",
                "every k_h x k_w window of the zero-padded image as a column: (N, C k_h k_w, H_out, W_out)"),
         Target("minigan/ops/conv.py:col2im",
                "the adjoint of im2col: add each window's values back onto the pixels they came from"),
         Target("minigan/ops/conv.py:conv2d_fast", "",
                delegate="return conv2d_reference(x, weight, stride, padding, kept)"),
         Target("minigan/ops/conv.py:conv_transpose2d_fast", "",
                delegate="return conv_transpose2d_reference(x, weight, stride, padding, output_size)"),
         Target("minigan/ops/conv.py:conv2d_weight_fast", "",
                delegate="return conv2d_weight_reference(x, gy, kernel_size, stride, padding, columns)"),
         Target("minigan/ops/conv.py:_im2col_channels_last", "", delegate=_UNUSED_FAST.format("conv2d_im2col")),
         Target("minigan/ops/conv.py:_col2im_channels_last", "", delegate=_UNUSED_FAST.format("conv2d_im2col"))),
        "convolution.md",
        ("im2col copies, for each kernel offset (a, b), one strided slice of the padded image: window (i, j) "
         "reads pixel (s i + a, s j + b). col2im runs the same loop the other way, adding instead of copying.",
         "H_out = floor((H + 2p - k) / s) + 1; y[n,o,i,j] = sum_{c,a,b} x_pad[n, c, s i + a, s j + b] w[o,c,a,b]; "
         "col2im is the adjoint (transpose) of im2col; see docs/convolution.md."),
    ),
    Assignment(
        "discriminator_loss_gradient", "the discriminator's loss from logits, and its gradient",
        (Target("minigan/gan/losses.py:d_loss_minimax",
                "L_D = -(mean log sigma(a_real) + mean log(1 - sigma(a_fake))), stable for any logit"),),
        "minimax_game.md",
        ("D maximises log D(x) + log(1 - D(G(z))), so its loss is minus that, averaged over each batch. "
         "Never take the log of a sigmoid: use the log-sigmoid op, and 1 - sigma(a) = sigma(-a).",
         "L_D = -mean log sigma(a_r) - mean log sigma(-a_f); dL_D/da_r = (sigma(a_r) - 1)/N, "
         "dL_D/da_f = sigma(a_f)/M; see docs/minimax_game.md."),
        needs=("softplus_log_sigmoid_backward",),
    ),
    Assignment(
        "generator_losses", "the saturating and the non-saturating generator losses",
        (Target("minigan/gan/losses.py:g_loss",
                "saturating=True: mean log(1 - D(G(z))); saturating=False: -mean log D(G(z)), from logits"),),
        "generator_loss.md",
        ("The saturating loss is the value function's own term, which G minimises; the non-saturating one "
         "flips the question (maximise log D(G(z))). Both from logits, with the log-sigmoid op.",
         "saturating: L_G = mean log sigma(-a), dL/da = -sigma(a)/N; non-saturating: L_G = -mean log sigma(a), "
         "dL/da = -(1 - sigma(a))/N; see docs/generator_loss.md."),
        needs=("softplus_log_sigmoid_backward",),
    ),
    Assignment(
        "training_step", "the alternating training step of Algorithm 1",
        (Target("minigan/gan/step.py:discriminator_step",
                "one step of D: fakes from G without a graph into G, D's loss, zero_grad, backward, step"),
         Target("minigan/gan/step.py:generator_step",
                "one step of G with D frozen (no gradient into D's weights), then D unfrozen"),
         Target("minigan/gan/step.py:train_step",
                "Algorithm 1: k discriminator steps, each on a fresh real batch and fresh noise, then one G step")),
        "minimax_game.md",
        ("D's step must not train G: detach the fakes. G's step must not train or even reach D's weights: "
         "freeze D (requires_grad_(False)) and unfreeze it afterwards. Count: k D steps, then one G step.",
         "Goodfellow et al. 2014, Algorithm 1: for k steps, ascend V(D, G) in D's weights on m real samples "
         "and m noise samples; then descend in G's weights on m noise samples; see docs/minimax_game.md."),
        points=15,
    ),
    Assignment(
        "gradient_penalty", "WGAN-GP's gradient penalty, by autograd and by hand",
        (Target("minigan/gan/penalty.py:gradient_penalty",
                "x_hat between real and fake, g = grad of the critic at x_hat (create_graph=True), "
                "lam mean (||g|| - 1)^2 with NORM_EPS inside the root"),
         Target("minigan/gan/penalty.py:gradient_penalty_mlp_by_hand",
                "the same penalty for an MLP critic and its gradient by the weights, by the docstring's formulas")),
        "wgan.md",
        ("The penalty is a function of a gradient: take the critic's input-gradient with create_graph=True so "
         "that the penalty can be differentiated again into the weights. The norm is over all of a sample's axes.",
         "P = lam E[(||grad_x D(x_hat)||_2 - 1)^2], x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per sample; "
         "see docs/wgan.md."),
    ),
    Assignment(
        "wgan_clipping", "the WGAN critic and generator losses, and weight clipping",
        (Target("minigan/gan/losses.py:wasserstein_critic_loss", "the critic's loss, to minimise"),
         Target("minigan/gan/losses.py:wasserstein_generator_loss", "the generator's loss, to minimise"),
         Target("minigan/gan/constraints.py:clip_weights_",
                "clip every parameter's values into [-c, c], in place (after the critic's step)")),
        "wgan.md",
        ("The critic maximises E[C(x)] - E[C(G(z))]; a loss is minimised. Clipping acts on the weights "
         "themselves, in place, not on their gradients.",
         "L_C = mean C(G(z)) - mean C(x), L_G = -mean C(G(z)); w <- clip(w, -c, c) for every parameter; "
         "see docs/wgan.md."),
    ),
    Assignment(
        "feature_matching", "feature matching (Improved GAN)",
        (Target("minigan/gan/tricks.py:feature_matching_loss",
                "the squared distance between the batch means of the real and the fake features"),),
        "improved_gan.md",
        ("Average each side's features over its batch first (flattening each sample), then take the squared "
         "Euclidean distance of the two means, summed over the features.",
         "L = || mean_x f(x) - mean_z f(G(z)) ||_2^2; dL/df_fake,m = -2 (mu_r - mu_f)/M; see docs/improved_gan.md."),
    ),
    Assignment(
        "minibatch_discrimination", "minibatch discrimination (Improved GAN)",
        (Target("minigan/gan/tricks.py:minibatch_discrimination",
                "o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1), with M_n = f_n T as a B x C matrix"),),
        "improved_gan.md",
        ("Project each sample's features to B rows of C numbers, compare every pair of samples row by row "
         "with an L1 distance, and add up exp(-distance) over the batch (the sample itself included).",
         "M_n = f_n T (B x C), c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_1), o(x_i)_b = sum_j c_b(x_i, x_j); "
         "see docs/improved_gan.md."),
    ),
    Assignment(
        "adam_update", "one Adam step, with its bias correction",
        (Target("minigan/optim.py:adam_update",
                "the new (theta, m, v) from theta, its gradient g, the moments m and v and the step t = 1, 2, ...; "
                "m and v are what the optimiser keeps as its state (the raw, uncorrected averages)"),
         Target("minigan/optim.py:adam_update_fast", "",
                delegate="return adam_update(theta, g, m, v, t, lr, betas, eps)")),
        "optimizers.md",
        ("Keep two running averages, of g and of g^2, in the state; correct their pull towards 0 only when "
         "you use them (the state keeps the uncorrected averages); then step against the gradient.",
         "m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t), "
         "theta = theta - lr m_hat / (sqrt(v_hat) + eps); see docs/optimizers.md."),
    ),
    Assignment(
        "pen_and_paper", "pen and paper: numbers the theory predicts",
        (Target("minigan/course/pen_and_paper.py:optimal_discriminator", "a number (a float)"),
         Target("minigan/course/pen_and_paper.py:value_at_the_optimal_discriminator", "a number (a float)"),
         Target("minigan/course/pen_and_paper.py:saturating_gradient", "a number (a float)"),
         Target("minigan/course/pen_and_paper.py:non_saturating_gradient", "a number (a float)"),
         Target("minigan/course/pen_and_paper.py:transposed_conv_output_size", "a number (an int)"),
         Target("minigan/course/pen_and_paper.py:conv_output_size", "a number (an int)"),
         Target("minigan/course/pen_and_paper.py:adam_first_step", "a number (a float)"),
         Target("minigan/course/pen_and_paper.py:discriminator_loss_value", "a number (a float)")),
        "optimal_discriminator.md",
        ("Each question names the docs page whose formula answers it; work it out on paper, then return the "
         "number (3 significant digits are enough).",
         "D*(x) = p_data / (p_data + p_g); V(G, D*) = -log 4 + 2 JSD(p_data || p_g); see "
         "docs/optimal_discriminator.md, docs/generator_loss.md, docs/convolution.md, docs/optimizers.md."),
        points=8,
    ),
)

_CORE = ("matmul_broadcast_backward", "leaky_relu_backward", "softplus_log_sigmoid_backward", "adam_update")
_GAN = ("discriminator_loss_gradient", "generator_losses")
EXAMPLES = {
    "gan_1d.py": _CORE + _GAN,
    "vanilla_gan.py": _CORE + ("batchnorm_backward",) + _GAN,
    "dcgan.py": _CORE + ("batchnorm_backward", "conv2d_im2col") + _GAN,
    "cgan.py": _CORE + ("batchnorm_backward",) + _GAN,
    "acgan.py": _CORE + ("batchnorm_backward", "conv2d_im2col") + _GAN,
    "cyclegan.py": _CORE + ("batchnorm_backward", "conv2d_im2col") + _GAN,
    "wgan.py": ("matmul_broadcast_backward", "leaky_relu_backward", "wgan_clipping"),
    "wgan_gp.py": _CORE + ("batchnorm_backward", "gradient_penalty", "wgan_clipping") + _GAN,
    "improved_gan.py": _CORE + ("batchnorm_backward", "feature_matching", "minibatch_discrimination") + _GAN,
}
"""The assignments each example's code runs through (examples/NAME): when all are done, it runs on yours."""

BY_NAME = {a.name: a for a in ASSIGNMENTS}
NAMES = tuple(BY_NAME)


class UnknownAssignment(KeyError):
    def __str__(self):
        return f"no assignment named {self.args[0]!r}; the assignments are: {', '.join(NAMES)}."


def get(name):
    if name not in BY_NAME:
        raise UnknownAssignment(name)
    return BY_NAME[name]


def select(names=None):
    """The assignments named in ``names`` (a list or a comma-separated string), in course order; all by default."""
    if not names:
        return ASSIGNMENTS
    if isinstance(names, str):
        names = [n for n in names.replace(",", " ").split() if n]
    wanted = {get(n).name for n in names}
    return tuple(a for a in ASSIGNMENTS if a.name in wanted)
