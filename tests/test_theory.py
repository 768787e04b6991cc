r"""The theory behind minigan's GAN losses, checked numerically on 1-D distributions with known densities.

Goodfellow et al. (2014) prove three facts that docs/optimal_discriminator.md
derives and these tests check:

1. For a fixed generator, the discriminator that minimises
   :func:`~minigan.gan.losses.d_loss_minimax` is
   :math:`D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))`. We *train* a small
   minigan MLP with Adam against samples of a fixed :math:`p_g` and compare.
2. :math:`V(G, D^*) = -\log 4 + 2\,\mathrm{JSD}(p_{data} \| p_g)`, both sides by
   numerical integration, and the left side again as minigan's loss on samples.
3. At :math:`p_g = p_{data}`, :math:`D^* = 1/2` everywhere.

And the facts the other docs pages lean on: the saturating generator loss's
gradient :math:`-\sigma(a)` against the non-saturating :math:`-(1 - \sigma(a))`,
ratio :math:`e^a \to 0` when D rejects the fakes (docs/generator_loss.md); the
flat JSD and the sloped W1 of disjoint supports, and a gradient-penalty critic
that estimates W1 (docs/wgan.md); a generator collapsing onto the maximum of a
fixed D, and gradient play circling a bilinear game (docs/failure_modes.md);
label smoothing's optimum and why only the real side (docs/improved_gan.md);
the BCE as entropy plus KL (docs/bce.md); virtual batch norm.

The densities: :math:`p_{data} = \mathcal N(0, 1)` and :math:`p_g = \mathcal N(1, 1.5^2)`.
Integrals use the trapezoid rule on [-20, 20] with 400,001 points, where both
densities and their logs are smooth: the rule's error is far below 1e-9.
"""
import math

import numpy as np
import pytest

import minigan as mg
import minigan.functional as F
from minigan import nn, optim
from minigan.gan import (
    bce_with_logits,
    d_loss_minimax,
    d_loss_one_sided_smoothing,
    g_loss,
    gradient_penalty,
    wasserstein_critic_loss,
)
from minigan.gan.layers import VirtualBatchNorm

DATA = (0.0, 1.0)          # p_data = N(0, 1)
GEN = (1.0, 1.5)           # p_g = N(1, 1.5^2)
X = np.linspace(-20.0, 20.0, 400_001)   # the integration grid
BULK = np.linspace(-2.0, 3.0, 101)      # where both densities have mass: p_data + p_g > 0.05 everywhere here


def log_normal(x, mean, std):
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std * math.sqrt(2 * math.pi))


def integrate(f, x=X):
    """The trapezoid rule (written out: numpy renamed np.trapz to np.trapezoid)."""
    return float(((f[1:] + f[:-1]) * np.diff(x)).sum() / 2)


def d_star(x, data=DATA, gen=GEN, real_target=1.0, fake_target=0.0):
    r"""The optimal discriminator for targets :math:`\alpha` (real) and :math:`\beta` (fake).

    :math:`D^* = (\alpha p_{data} + \beta p_g) / (p_{data} + p_g)`; the plain GAN has :math:`\alpha = 1, \beta = 0`.
    """
    w = 1.0 / (1.0 + np.exp(log_normal(x, *gen) - log_normal(x, *data)))   # p_data / (p_data + p_g), no overflow
    return real_target * w + fake_target * (1.0 - w)


def optimal_logit(x, data=DATA, gen=GEN):
    r"""The logit of :math:`D^*`: :math:`\log D^* - \log(1 - D^*) = \log p_{data}(x) - \log p_g(x)`."""
    return log_normal(x, *data) - log_normal(x, *gen)


# ------------------------------------------------------------------ 1. training D with G fixed finds D*


def train_discriminator(loss_fn, gen, steps=1500, batch=256, lr=1e-2, seed=0):
    """A 1-16-16-1 tanh MLP, trained with Adam on fresh samples of p_data and the fixed p_g at every step.

    The learning rate follows a cosine from lr down to lr / 100, so the last
    steps average out the minibatch noise. Returns D(x) = sigmoid(logit) on BULK.
    """
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    D = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = optim.Adam(D.parameters(), lr=lr)
    for step in range(steps):
        opt.lr = lr * max(0.5 * (1 + math.cos(math.pi * step / steps)), 0.01)
        real = mg.tensor(rng.normal(*DATA, size=(batch, 1)).astype("float32"))   # x ~ p_data
        fake = mg.tensor(rng.normal(*gen, size=(batch, 1)).astype("float32"))    # G(z) ~ p_g, G fixed
        loss = loss_fn(D(real), D(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with mg.no_grad():
        return mg.sigmoid(D(mg.tensor(BULK[:, None].astype("float32")))).numpy()[:, 0]


def two_sided_smoothing(real_logits, fake_logits):
    return bce_with_logits(real_logits, 0.9) + bce_with_logits(fake_logits, 0.1)


TOLERANCE = 0.03
"""Largest |D(x) - D*(x)| allowed on BULK.

The trained D differs from D* by the minibatch noise left at the end of
training, by what 16 tanh units cannot represent (the optimal logit here is a
quadratic in x, which they fit closely on [-2, 3]), and by the optimiser
stopping short. Measured over seeds 0-2 the largest error was 0.015 (0.003
for p_g = p_data); 0.03 is twice that. It is ten times smaller than how far
D* is from 1/2 on this grid (up to 0.46), so D = 1/2 or a swapped ratio
p_g / (p_data + p_g) fail by far, and a forgotten smoothing (0.9 vs 1) fails
too (off by up to 0.07).
"""


@pytest.mark.parametrize(
    "loss_fn, gen, real_target, fake_target",
    [
        (d_loss_minimax, GEN, 1.0, 0.0),                                      # the plain GAN: D* = p_d / (p_d + p_g)
        (d_loss_minimax, DATA, 1.0, 0.0),                                     # equilibrium: D* = 1/2
        (lambda r, f: d_loss_one_sided_smoothing(r, f, 0.9), GEN, 0.9, 0.0),   # D* = 0.9 p_d / (p_d + p_g)
        (two_sided_smoothing, GEN, 0.9, 0.1),                                 # D* = (0.9 p_d + 0.1 p_g) / (p_d + p_g)
    ],
    ids=["minimax", "p_g=p_data", "one-sided-smoothing", "two-sided-smoothing"],
)
def test_trained_discriminator_approaches_d_star(loss_fn, gen, real_target, fake_target):
    d = train_discriminator(loss_fn, gen)
    want = d_star(BULK, gen=gen, real_target=real_target, fake_target=fake_target)
    error = np.abs(d - want)
    assert error.max() < TOLERANCE, f"max |D - D*| = {error.max():.4f} at x = {BULK[error.argmax()]:.2f}"
    if gen != DATA:  # the check has power: D* is far from the constant 1/2 on this grid
        assert np.abs(want - 0.5).max() > 10 * TOLERANCE


def test_d_star_is_one_half_when_p_g_equals_p_data():
    # p / (p + p) = 1/2 wherever p > 0: the equilibrium discriminator cannot tell, so it says 1/2
    np.testing.assert_allclose(d_star(X, gen=DATA), 0.5, rtol=0, atol=1e-15)
    # and D = 1/2 zeroes the gradient of L_D with respect to every logit when real and fake look the same:
    # dL_D/da_r = (sigma(a_r) - 1)/N and dL_D/da_f = sigma(a_f)/N sum to zero for each x seen as both
    a = mg.tensor(np.zeros(8), requires_grad=True, dtype="float64")
    b = mg.tensor(np.zeros(8), requires_grad=True, dtype="float64")
    g_real, g_fake = mg.grad(d_loss_minimax(a, b), [a, b])
    np.testing.assert_allclose(g_real.numpy() + g_fake.numpy(), 0.0, atol=1e-15)


# ------------------------------------------------------------------ 2. V(G, D*) = -log 4 + 2 JSD


def value_function(log_d, log_one_minus_d, data=DATA, gen=GEN):
    r""":math:`V(G, D) = \int p_{data} \log D + \int p_g \log(1 - D)`, by the trapezoid rule."""
    p_data, p_g = np.exp(log_normal(X, *data)), np.exp(log_normal(X, *gen))
    return integrate(p_data * log_d) + integrate(p_g * log_one_minus_d)


def jensen_shannon(data=DATA, gen=GEN):
    r"""JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2, each KL by the trapezoid rule."""
    log_p, log_q = log_normal(X, *data), log_normal(X, *gen)
    log_m = np.logaddexp(log_p, log_q) - math.log(2)
    return 0.5 * integrate(np.exp(log_p) * (log_p - log_m)) + 0.5 * integrate(np.exp(log_q) * (log_q - log_m))


def log_sigmoid(a):
    return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))


@pytest.mark.parametrize("gen", [GEN, (0.0, 2.0), (3.0, 0.5), DATA])
def test_value_at_d_star_is_minus_log_4_plus_twice_the_jsd(gen):
    a = optimal_logit(X, gen=gen)
    v = value_function(log_sigmoid(a), log_sigmoid(-a), gen=gen)   # log D*, log(1 - D*)
    jsd = jensen_shannon(gen=gen)
    assert 0.0 <= jsd <= math.log(2) + 1e-12
    assert v == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-9)
    if gen == DATA:
        assert jsd == pytest.approx(0.0, abs=1e-12) and v == pytest.approx(-math.log(4), abs=1e-9)


def test_d_star_maximises_the_value_function():
    # V(G, D*) >= V(G, D) for any D: shift or scale the optimal logit and V drops
    a = optimal_logit(X)
    best = value_function(log_sigmoid(a), log_sigmoid(-a))
    for wrong in (a + 0.3, a - 0.3, 1.2 * a, 0.8 * a, np.zeros_like(a)):
        assert value_function(log_sigmoid(wrong), log_sigmoid(-wrong)) < best - 1e-4


def test_minigan_loss_at_d_star_estimates_the_value_function():
    # -d_loss_minimax on samples is the Monte Carlo estimate of V(G, D*): within 5 standard errors of the integral
    rng = np.random.default_rng(0)
    n = 200_000
    x_real, x_fake = rng.normal(*DATA, size=n), rng.normal(*GEN, size=n)
    a_real, a_fake = optimal_logit(x_real), optimal_logit(x_fake)
    estimate = -float(d_loss_minimax(mg.tensor(a_real), mg.tensor(a_fake)).item())
    terms_std = math.hypot(log_sigmoid(a_real).std(), log_sigmoid(-a_fake).std())
    want = -math.log(4) + 2 * jensen_shannon()
    assert abs(estimate - want) < 5 * terms_std / math.sqrt(n)


def test_disjoint_supports_give_a_flat_jsd_but_a_sloped_wasserstein_distance():
    # p_data = U[0, 1], p_g = U[s, s + 1] with s >= 1: D* = 1 on [0, 1] and 0 on the fakes, so V(G, D*) = 0,
    # JSD = log 2 for every shift s: no gradient tells G which way to move. W1 = s does (docs/wgan.md).
    for s in (1.0, 2.0, 5.0):
        grid = np.linspace(-1.0, s + 2.0, 600_001)
        p = ((grid >= 0) & (grid <= 1)).astype(float)
        q = ((grid >= s) & (grid <= s + 1)).astype(float)
        m = (p + q) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            kl_p = np.where(p > 0, p * np.log(p / m), 0.0)
            kl_q = np.where(q > 0, q * np.log(q / m), 0.0)
        jsd = 0.5 * integrate(kl_p, grid) + 0.5 * integrate(kl_q, grid)
        assert jsd == pytest.approx(math.log(2), abs=1e-4)             # the same for every s
        w1 = integrate(np.abs(np.cumsum(p - q) * (grid[1] - grid[0])), grid)  # W1 = integral of |F_p - F_q|
        assert w1 == pytest.approx(s, rel=1e-3)                          # grows with the gap


def test_gradient_penalty_critic_estimates_the_wasserstein_distance():
    # p_data = N(0, 1), p_g = N(delta, 1): W1 = delta, reached by the 1-Lipschitz critic f(x) = -x.
    # The penalty is soft: for a linear critic of slope s the critic's objective is s delta - lam (s - 1)^2,
    # largest at s = 1 + delta / (2 lam), where E[C(x)] - E[C(G(z))] = delta + delta^2 / (2 lam) (2.2 here).
    delta, lam, steps, lr = 2.0, 10.0, 600, 2e-3
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    C = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    opt = optim.Adam(C.parameters(), lr=lr, betas=(0.5, 0.9))
    for step in range(steps):
        opt.lr = lr * max(0.5 * (1 + math.cos(math.pi * step / steps)), 0.01)
        real = mg.tensor(rng.normal(0.0, 1.0, (256, 1)).astype("float32"))
        fake = mg.tensor(rng.normal(delta, 1.0, (256, 1)).astype("float32"))
        loss = wasserstein_critic_loss(C(real), C(fake)) + gradient_penalty(C, real, fake, lam=lam)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with mg.no_grad():
        real = mg.tensor(rng.normal(0.0, 1.0, (100_000, 1)).astype("float32"))
        fake = mg.tensor(rng.normal(delta, 1.0, (100_000, 1)).astype("float32"))
        estimate = -wasserstein_critic_loss(C(real), C(fake)).item()
        slope = np.diff(C(mg.tensor(np.array([[-1.0], [3.0]], dtype="float32"))).numpy()[:, 0])[0] / 4.0
    # measured over seeds 0-2: 2.194 ... 2.212, slope -1.104 ... -1.106
    assert estimate == pytest.approx(delta + delta**2 / (2 * lam), abs=0.05)
    assert slope == pytest.approx(-(1 + delta / (2 * lam)), abs=0.05)   # real scores high: the critic falls


# ------------------------------------------------------------------ 3. saturating vs non-saturating generator loss


def logit_gradients(a, saturating):
    """N * dL_G/da for a batch of logits a, by minigan's autograd (N undoes the batch mean)."""
    logits = mg.tensor(a, requires_grad=True, dtype="float64")
    (g,) = mg.grad(g_loss(logits, saturating=saturating), [logits])
    return g.numpy() * len(a)


def test_saturating_gradient_vanishes_at_small_d_of_g_of_z():
    a = np.array([2.0, 0.0, -2.0, -4.0, -8.0, -16.0, -30.0])   # D(G(z)) = sigmoid(a): from 0.88 down to 1e-13
    d = 1 / (1 + np.exp(-a))
    sat, non_sat = logit_gradients(a, True), logit_gradients(a, False)
    np.testing.assert_allclose(sat, -d, rtol=1e-12)               # d/da log(1 - sigmoid(a)) = -sigmoid(a)
    np.testing.assert_allclose(non_sat, -(1 - d), rtol=1e-12)     # d/da -log sigmoid(a) = -(1 - sigmoid(a))
    ratio = sat / non_sat
    np.testing.assert_allclose(ratio, d / (1 - d), rtol=1e-12)    # = e^a
    np.testing.assert_allclose(ratio, np.exp(a), rtol=1e-12)
    assert np.all(np.diff(ratio) < 0)                              # shrinks as D grows surer
    small = d < 1e-3                                               # D rejects the fakes, early in training
    assert np.all(ratio[small] < 1e-3) and np.all(np.abs(non_sat[small]) > 0.999)


def test_generator_parameter_gets_no_gradient_from_the_saturating_loss_when_d_wins():
    # G(z) = theta + z with z ~ N(0, 1) and theta = theta0 = 4, far from p_data = N(0, 1), against the D optimal
    # for it: logit a(x) = log N(x; 0, 1) - log N(x; theta0, 1) = -theta0 x + theta0^2 / 2, so on the fakes
    # a ~ N(-theta0^2 / 2, theta0^2) and D(G(z)) is mostly tiny.
    theta0 = 4.0
    z = np.random.default_rng(1).normal(size=20_000)
    grads = {}
    for saturating in (True, False):
        theta = mg.tensor(theta0, requires_grad=True, dtype="float64")
        fake = theta + mg.tensor(z)
        logits = fake * (-theta0) + theta0**2 / 2                 # D is fixed: theta0 is a constant in it
        (grads[saturating],) = mg.grad(g_loss(logits, saturating=saturating), [theta])
    a = -theta0 * (theta0 + z) + theta0**2 / 2
    d = 1 / (1 + np.exp(-a))
    # the chain rule, with da/dx = -theta0: dL/dtheta = mean(-sigmoid(a)) (-theta0) = theta0 mean(sigmoid(a))
    # for the saturating loss, and theta0 mean(1 - sigmoid(a)) for the non-saturating one...
    assert float(grads[True].item()) == pytest.approx(theta0 * d.mean(), rel=1e-10)
    assert float(grads[False].item()) == pytest.approx(theta0 * (1 - d).mean(), rel=1e-10)
    # ... so both point G towards the data (gradient descent lowers theta), but one barely moves it
    assert float(grads[False].item()) > 0.95 * theta0
    assert float(grads[True].item()) < 0.05 * float(grads[False].item())


def test_non_saturating_loss_is_bce_with_the_fakes_labelled_real():
    # "flip the labels when training G": BCE(a, y = 1) = -log sigmoid(a), the non-saturating loss, term by term
    a = mg.tensor(np.random.default_rng(3).normal(0, 4, size=(16, 1)), dtype="float64")
    assert float(bce_with_logits(a, 1.0).item()) == pytest.approx(float(g_loss(a).item()), rel=1e-14)


# ------------------------------------------------------------------ the BCE, and the slip in the notes


def test_bce_minus_the_label_entropy_is_a_kl_divergence():
    # BCE(y, sigmoid(a)) = H(y) + KL(Bernoulli(y) || Bernoulli(sigmoid(a))). The notes' "y log y + (1-y) log(1-y)"
    # is -H(y): it holds no prediction at all, and H(y) is the least the BCE can be (reached at sigmoid(a) = y).
    y = np.array([0.0, 0.1, 0.5, 0.9, 1.0, 0.3])
    a = np.array([-2.0, 1.5, 1.0, 3.0, -0.5, np.log(0.3 / 0.7)])   # the last one predicts exactly y = 0.3
    bce = bce_with_logits(mg.tensor(a[:, None]), mg.tensor(y[:, None])).item() * len(y)  # undo the mean
    entropy = -sum(t * math.log(t) + (1 - t) * math.log(1 - t) for t in y if 0 < t < 1)   # 0 log 0 = 0
    p = 1 / (1 + np.exp(-a))
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(y > 0, y * np.log(y / p), 0) + np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - p)), 0)
    assert bce == pytest.approx(entropy + kl.sum(), rel=1e-12)
    assert np.all(kl[:-1] > 0.02) and kl[-1] == pytest.approx(0.0, abs=1e-15)   # KL >= 0, = 0 iff p = y


# ------------------------------------------------------------------ non-convergence: gradient play on min_x max_y xy


def bilinear_game(steps, lr, alternating):
    """x minimises f = x y, y maximises it (minimises -x y); SGD from (1, 0). Returns the radius sqrt(x^2 + y^2)."""
    x = mg.tensor(1.0, requires_grad=True, dtype="float64")
    y = mg.tensor(0.0, requires_grad=True, dtype="float64")
    opt_x, opt_y = optim.SGD([x], lr=lr), optim.SGD([y], lr=lr)
    radii = []
    for _ in range(steps):
        (x.grad,) = mg.grad(x * y, [x])            # df/dx = y
        if alternating:                            # Algorithm 1 of the GAN paper: one player moves, then the other
            opt_x.step()
        (y.grad,) = mg.grad(-(x * y), [y])         # d(-f)/dy = -x, at the new x when alternating
        if not alternating:                        # both move at once, from the same point
            opt_x.step()
        opt_y.step()
        radii.append(math.hypot(x.item(), y.item()))
    return np.array(radii)


def test_simultaneous_gradient_steps_spiral_out_of_a_bilinear_game():
    # (x, y) <- (x - lr y, y + lr x): a rotation scaled by sqrt(1 + lr^2) each step. The equilibrium (0, 0) repels.
    lr, steps = 0.1, 200
    radii = bilinear_game(steps, lr, alternating=False)
    np.testing.assert_allclose(radii, (1 + lr**2) ** (np.arange(1, steps + 1) / 2), rtol=1e-12)


def test_alternating_gradient_steps_circle_without_converging():
    # x <- x - lr y, then y <- y + lr x_new: the map has determinant 1, so no spiral in or out: it orbits for ever.
    radii = bilinear_game(2000, 0.1, alternating=True)
    assert 0.9 < radii.min() and radii.max() < 1.1


# ------------------------------------------------------------------ mode collapse: G's best response to a fixed D


def test_a_generator_trained_against_a_fixed_discriminator_collapses_onto_its_maximum():
    # Against a fixed D, E_z[-log D(G(z))] is smallest when every G(z) sits at the x where D is largest: a point
    # mass. Here D = D* for p_g = N(1, 1.5^2); its logit log p_data - log p_g is a concave quadratic with its top at
    # x* = -mu_g / (s_g^2 - 1) = -0.8. G(z) = mu + s z starts as N(1, 1.5^2) and ends as a spike at -0.8, not as
    # p_data = N(0, 1): mode collapse in one dimension. Training D in turn is what prevents it, or fails to.
    z = mg.tensor(np.random.default_rng(4).normal(size=(4096, 1)))
    mu = mg.tensor(np.array([GEN[0]]), requires_grad=True, dtype="float64")
    s = mg.tensor(np.array([GEN[1]]), requires_grad=True, dtype="float64")
    opt = optim.SGD([mu, s], lr=0.5)
    for _ in range(300):
        x = mu + s * z
        logits = (-0.5 * ((x - DATA[0]) / DATA[1]) ** 2 + 0.5 * ((x - GEN[0]) / GEN[1]) ** 2) + math.log(GEN[1])
        loss = g_loss(logits)                   # non-saturating, against the fixed D*
        opt.zero_grad()
        loss.backward()
        opt.step()
    x_star = -GEN[0] / (GEN[1] ** 2 - 1)
    assert float(mu.item()) == pytest.approx(x_star, abs=1e-4)
    assert abs(float(s.item())) < 1e-4        # all of G's mass on one point


# ------------------------------------------------------------------ why only one side of the labels is smoothed


def test_smoothing_the_fake_label_removes_the_pull_towards_the_data():
    # Far from the data (x = 6..8: p_data < 1e-7), the non-saturating generator loss -log D*(x) with beta = 0
    # is about -log p_data(x) + log p_g(x) + const: its slope pulls x back towards the data. With beta > 0,
    # D* -> beta there and -log D* goes flat: the generator's stray samples feel nothing.
    x = np.array([6.0, 7.0, 8.0])
    slopes = {}
    for beta in (0.0, 0.1):
        xt = mg.tensor(x, requires_grad=True, dtype="float64")
        log_p_data = -0.5 * ((xt - DATA[0]) / DATA[1]) ** 2 - math.log(DATA[1])   # up to the same constant
        log_p_g = -0.5 * ((xt - GEN[0]) / GEN[1]) ** 2 - math.log(GEN[1])
        w = mg.sigmoid(log_p_data - log_p_g)                         # p_data / (p_data + p_g)
        d = 0.9 * w + beta * (1 - w)                                 # D* for targets alpha = 0.9, beta
        (g,) = mg.grad(mg.sum(-mg.log(d)), [xt])
        slopes[beta] = g.numpy()
    pull = x - (x - GEN[0]) / GEN[1] ** 2                            # d/dx [-log p_data + log p_g]
    np.testing.assert_allclose(slopes[0.0], pull, rtol=1e-4)
    assert np.all(np.abs(slopes[0.1]) < 1e-3 * np.abs(pull))


# ------------------------------------------------------------------ virtual batch norm


def virtual_batch_norm(x, reference):
    """VBN by its definition: each example normalised with the statistics of the reference batch plus itself alone.

    That is batch norm of the R + 1 rows [reference; x_i], keeping the last row (over the pixels too, for images).
    """
    rows = [F.batch_norm(mg.cat([reference, x[i : i + 1]], axis=0), None, None, training=True)[-1:]
            for i in range(x.shape[0])]
    return mg.cat(rows, axis=0)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 3)], ids=["vectors", "images"])
def test_virtual_batch_norm_makes_each_output_independent_of_the_rest_of_the_batch(shape):
    rng = np.random.default_rng(2)
    reference = mg.tensor(rng.normal(size=(32, *shape)))
    batch = rng.normal(size=(8, *shape))
    other = batch.copy()
    other[1:] = rng.normal(5.0, 3.0, size=(7, *shape))      # same first example, very different companions
    vbn_a, vbn_b = virtual_batch_norm(mg.tensor(batch), reference), virtual_batch_norm(mg.tensor(other), reference)
    np.testing.assert_allclose(vbn_a.numpy()[0], vbn_b.numpy()[0], rtol=1e-12)
    bn_a = F.batch_norm(mg.tensor(batch), None, None, training=True)
    bn_b = F.batch_norm(mg.tensor(other), None, None, training=True)
    assert np.abs(bn_a.numpy()[0] - bn_b.numpy()[0]).max() > 0.5   # plain batch norm: example 0 depends on the rest
    # the statistics, written out: mean and (biased) variance over the R + 1 examples {reference, x} (and pixels)
    both = np.concatenate([reference.numpy(), batch[:1]])
    axes = (0,) + tuple(range(2, both.ndim))
    mean, var = both.mean(axis=axes, keepdims=True), both.var(axis=axes, keepdims=True)
    np.testing.assert_allclose(vbn_a.numpy()[:1], (batch[:1] - mean) / np.sqrt(var + 1e-5), rtol=1e-10)
    # minigan's layer (reference rows first in its input) computes exactly this, example by example
    layer = VirtualBatchNorm(shape[0], reference_size=32, dtype="float64")
    for x, want in ((batch, vbn_a), (other, vbn_b)):
        got = layer(mg.cat([reference, mg.tensor(x)], axis=0))[32:]
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-9, atol=1e-12)
