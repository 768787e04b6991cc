"""docs/training_tips.md, tip 2 ("draw the noise from a Gaussian"): the draws really are standard normal.

A test of reproducibility alone would pass for any distribution; these checks
fail for a uniform draw scaled to the same mean and variance (the last test
shows that they do), so a randn that drew from the wrong law could not pass.
"""

import math

import minigan as mg

N = 200_000


def standard_normal_problems(samples):
    """What in a flat sample does not look like N(0, 1); each bound is about 5 standard errors at N draws."""
    n = len(samples)
    mean = sum(samples) / n
    var = sum((s - mean) ** 2 for s in samples) / n
    kurtosis = sum((s - mean) ** 4 for s in samples) / n / var**2
    inside_one = sum(abs(s) < 1 for s in samples) / n
    problems = []
    if abs(mean) > 5 / math.sqrt(n):
        problems.append(f"mean {mean:.4f}, not 0")
    if abs(var - 1) > 5 * math.sqrt(2 / n):
        problems.append(f"variance {var:.4f}, not 1")
    if abs(kurtosis - 3) > 5 * math.sqrt(24 / n):
        problems.append(f"kurtosis {kurtosis:.3f}, not 3 (a uniform law has 1.8)")
    within = math.erf(1 / math.sqrt(2))  # P(|z| < 1) = 0.6827 for N(0, 1), 1/sqrt(3) = 0.577 for the uniform
    if abs(inside_one - within) > 5 * math.sqrt(within * (1 - within) / n):
        problems.append(f"P(|z| < 1) = {inside_one:.4f}, not {within:.4f}")
    return problems


def test_randn_draws_are_standard_normal():
    mg.manual_seed(0)
    assert standard_normal_problems(mg.randn(N).tolist()) == []


def test_a_100_dimensional_code_lies_on_the_shell_of_radius_sqrt_100():
    # ||z||^2 ~ chi^2_100: mean 100, sd sqrt(200); the norm concentrates near sqrt(d - 1/2) ~ 9.97
    mg.manual_seed(1)
    z = mg.randn(2000, 100)
    norms = ((z * z).sum(axis=1)).sqrt().tolist()
    mean = sum(norms) / len(norms)
    assert abs(mean - math.sqrt(99.5)) < 0.05
    assert all(7.0 < r < 13.0 for r in norms)


def test_the_checks_fail_for_a_uniform_draw_of_the_same_mean_and_variance():
    mg.manual_seed(0)
    uniform = ((mg.rand(N) - 0.5) * math.sqrt(12)).tolist()  # mean 0, variance 1, but flat
    problems = standard_normal_problems(uniform)
    assert any("kurtosis" in p for p in problems) and any("P(|z| < 1)" in p for p in problems)
