"""mg.randn, mg.rand, mg.randint, mg.randperm: Tensors from the one seeded generator."""

import pytest

import minigan as mg


def test_seeded_draws_repeat_and_have_the_asked_shape():
    mg.manual_seed(3)
    a = [mg.randn(4, 2), mg.rand((3,)), mg.randint(0, 5, (6,)), mg.randperm(7)]
    mg.manual_seed(3)
    b = [mg.randn(4, 2), mg.rand((3,)), mg.randint(0, 5, (6,)), mg.randperm(7)]
    for x, y in zip(a, b):
        assert (x.numpy() == y.numpy()).all()
    assert a[0].shape == (4, 2) and a[1].shape == (3,) and a[0].dtype == "float32"
    assert a[2].numpy().min() >= 0 and a[2].numpy().max() < 5
    assert sorted(a[3].numpy().tolist()) == list(range(7))


def test_randn_can_require_grad_and_take_float64():
    x = mg.randn(2, 2, dtype="float64", requires_grad=True)
    assert x.requires_grad and x.dtype == "float64"
    (x * x).sum().backward()
    assert (x.grad.numpy() == 2 * x.numpy()).all()


@pytest.mark.parametrize("draw", [lambda: mg.randn(-1, 2), lambda: mg.rand((2, 1.5)), lambda: mg.manual_seed(-1),
                                  lambda: mg.manual_seed("abc"), lambda: mg.manual_seed(1.5)])
def test_a_bad_shape_or_seed_is_refused_in_one_sentence(draw):
    with pytest.raises(ValueError, match="needs (integers|an integer) >= 0"):
        draw()
