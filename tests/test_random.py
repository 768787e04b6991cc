"""mg.randn, mg.rand, mg.randint, mg.randperm: Tensors from the one seeded generator."""

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
