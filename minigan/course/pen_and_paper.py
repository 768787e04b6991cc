r"""Pen and paper: each function returns one number that the theory predicts.

Work each one out on paper from the docs page it names, then replace the
function's body with ``return <your number>`` (3 significant digits are
enough). ``python -m minigan.course grade . `` checks the numbers; it never
shows the answers.
"""

import math


def optimal_discriminator():
    r"""At a point x where p_data(x) = 0.6 and p_g(x) = 0.2, what is the optimal discriminator D*(x)?

    (docs/optimal_discriminator.md)
    """
    return 0.6 / (0.6 + 0.2)


def value_at_the_optimal_discriminator():
    r"""p_data is uniform on [0, 1] and p_g uniform on [0, 2]. What is V(G, D*), in nats?

    V(G, D) = E_{x ~ p_data}[log D(x)] + E_{x ~ p_g}[log(1 - D(x))], at the optimal D* for this G.
    (docs/optimal_discriminator.md)
    """
    return math.log(2 / 3) + 0.5 * math.log(1 / 3)


def saturating_gradient():
    r"""D(G(z)) = sigma(a) = 1e-4 for one fake sample. What is d/da log(1 - sigma(a)), the gradient of the
    saturating generator loss with respect to that logit (one sample, no batch mean)?

    (docs/generator_loss.md)
    """
    return -1e-4


def non_saturating_gradient():
    r"""The same sample, D(G(z)) = sigma(a) = 1e-4. What is d/da (-log sigma(a)), the gradient of the
    non-saturating generator loss with respect to that logit?

    (docs/generator_loss.md)
    """
    return -(1 - 1e-4)


def transposed_conv_output_size():
    r"""nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1) on a 7 x 7 input: the output's height?

    (docs/convolution.md)
    """
    return (7 - 1) * 2 - 2 * 1 + 4


def conv_output_size():
    r"""nn.Conv2d(1, 64, kernel_size=4, stride=2, padding=1) on a 28 x 28 image: the output's height?

    (docs/convolution.md)
    """
    return (28 + 2 * 1 - 4) // 2 + 1


def adam_first_step():
    r"""Adam with lr = 0.001, betas = (0.9, 0.999) and eps = 0, at its first step, on a parameter whose
    gradient is g = 0.5: by how much does the parameter change (a signed number)?

    (docs/optimizers.md)
    """
    return -0.001


def discriminator_loss_value():
    r"""D says 0.8 on every real sample of a batch and 0.3 on every fake one. What is its loss
    L_D = -(mean log D(x) + mean log(1 - D(G(z)))), in nats?

    (docs/minimax_game.md)
    """
    return -(math.log(0.8) + math.log(0.7))


QUESTIONS = (
    optimal_discriminator,
    value_at_the_optimal_discriminator,
    saturating_gradient,
    non_saturating_gradient,
    transposed_conv_output_size,
    conv_output_size,
    adam_first_step,
    discriminator_loss_value,
)
QUESTION_NAMES = tuple(q.__name__ for q in QUESTIONS)
