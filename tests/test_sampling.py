"""minigan.gan.sample: a generator's output in eval mode, without a graph, its mode restored."""

import numpy as np

import minigan as mg
from minigan import nn
from minigan.gan import sample


def generator():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def test_sample_uses_running_statistics_records_no_graph_and_restores_the_mode():
    G, z = generator(), mg.randn(10, 3)
    G(mg.randn(64, 3) * 3 + 1)                       # one training batch moves the running statistics
    out = sample(G, z)
    assert G.training and not out.requires_grad and out.grad_fn is None
    G.eval()
    np.testing.assert_array_equal(out.numpy(), G(z).numpy())   # what eval mode computes
    sample(G, z)
    assert not G.training                             # a model in eval mode stays there


def test_sample_in_batches_equals_one_batch_and_passes_every_input():
    G = generator()
    z = mg.randn(7, 3)
    whole, parts = sample(G, z), sample(G, z, batch_size=3)
    np.testing.assert_allclose(parts.numpy(), whole.numpy(), rtol=1e-6, atol=1e-6)


def test_sample_slices_every_input_alike():
    class TwoInputs(nn.Module):
        def forward(self, z, labels):
            return z * labels.reshape(-1, 1)

    z, labels = mg.randn(5, 2), mg.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(sample(TwoInputs(), z, labels, batch_size=2).numpy(),
                                  (z * labels.reshape(-1, 1)).numpy())
