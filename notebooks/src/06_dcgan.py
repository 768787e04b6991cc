# %% [markdown]
# # Lesson 6 — DCGAN: the same game, played by convolutions
#
# Radford, Metz and Chintala (2016, [arXiv:1511.06434](https://arxiv.org/abs/1511.06434)) gave
# guidelines that made convolutional GANs train: strided convolutions instead of pooling,
# transposed convolutions to upsample, batch norm in both networks except at the ends,
# ReLU in G with a tanh output, LeakyReLU in D, Adam with $\beta_1 = 0.5$. This lesson takes the
# networks of [`examples/dcgan.py`](../examples/dcgan.py) at a small width, follows the shapes
# through them, checks the nicest fact in the engine (the transposed convolution is the adjoint
# of the convolution), and trains for a short while.
#
# Rests on: [DCGAN](../docs/dcgan.md), [Convolution](../docs/convolution.md), [Batch norm](../docs/batchnorm.md).

# %%
import os
import sys
import tempfile
import time
from pathlib import Path

import minigan as mg
import minigan.functional as F
from minigan import optim, viz
from minigan.data import load_digits
from minigan.gan import d_loss_minimax, g_loss
from minigan.lab import show

QUICK = os.environ.get("MINIGAN_QUICK") == "1"
OUT = Path(tempfile.mkdtemp(prefix="minigan_lesson06_"))
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "examples" / "dcgan.py").exists())
sys.path.insert(0, str(ROOT / "examples"))
import dcgan as example  # noqa: E402

plt = viz.pyplot()
mg.manual_seed(0)
width, latent_dim = (8, 32) if QUICK else (8, 64)
G, D = example.build_generator(latent_dim, width), example.build_discriminator(width)

# %% [markdown]
# ## Shapes, layer by layer
#
# A transposed convolution's output size is $(h - 1)s - 2p + k + \text{output\_padding}$:
# with $k = 5, s = 2, p = 2$ and output padding 1, $7 \to 14 \to 28$. A strided convolution's is
# $\lfloor (h + 2p - k)/s \rfloor + 1$: $28 \to 14 \to 7$.

# %%
def walk(net, x):
    for layer in net:
        y = layer(x)
        print(f"{type(layer).__name__:>16}: {tuple(x.shape)} -> {tuple(y.shape)}")
        x = y
    return x


print("G:")
fake = walk(G, mg.randn(4, latent_dim))
print("D:")
_ = walk(D, fake)

# %% [markdown]
# ## The transposed convolution is the adjoint of the convolution
#
# For every $x$ and $y$: $\langle \mathrm{conv2d}(x, w), y\rangle = \langle x, \mathrm{conv\_transpose2d}(y, w)\rangle$.
# That is why the backward of one is the other (and why G's upsampling is "a convolution run backwards").

# %%
w = mg.randn(6, 3, 5, 5, dtype="float64")
x = mg.randn(2, 3, 14, 14, dtype="float64")
y = mg.randn(2, 6, 7, 7, dtype="float64")
left = (F.conv2d(x, w, stride=2, padding=2) * y).sum().item()
right = (x * F.conv_transpose2d(y, w, stride=2, padding=2, output_padding=1)).sum().item()
print(f"<conv2d(x, w), y> = {left:.10f}\n<x, conv_T(y, w)> = {right:.10f}")
assert abs(left - right) < 1e-9 * max(1.0, abs(left))

xs = mg.randn(1, 2, 6, 6, dtype="float64", requires_grad=True)
ws = mg.randn(3, 2, 3, 3, dtype="float64", requires_grad=True)
print("gradcheck conv2d (stride 2, padding 1):",
      mg.gradcheck(lambda a, b: F.conv2d(a, b, stride=2, padding=1), [xs, ws]))

# %% [markdown]
# ## A short training run
#
# The loop of the vanilla GAN, unchanged; only the networks differ. At this size and budget the
# samples are still mostly noise, with the first strokes; [`examples/dcgan.py`](../examples/dcgan.py) at its defaults
# (width 32, 5000 generator steps, minutes) draws readable digits: how many of the ten classes it covers on
# each held-out seed, its class KL and their spread are in [the measured results](../docs/results.md#the-digits).

# %%
images, _ = load_digits()
images = mg.tensor(images)
opt_G = optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_D = optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
steps, batch = (30, 32) if QUICK else (120, 32)
fixed_z = mg.randn(32, latent_dim)
history = {"loss_D": [], "loss_G": [], "D(x)": [], "D(G(z))": []}
start = time.perf_counter()
for _step in range(steps):
    x = images[mg.randint(0, len(images), (batch,)).numpy()]
    with mg.no_grad():  # D's step changes D only: no graph into G
        fake = G(mg.randn(batch, latent_dim))
    real_logits, fake_logits = D(x), D(fake)
    loss_D = d_loss_minimax(real_logits, fake_logits)
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    D.requires_grad_(False)
    loss_G = g_loss(D(G(mg.randn(batch, latent_dim))))
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    D.requires_grad_(True)
    for name, value in zip(history, (loss_D.item(), loss_G.item(), mg.sigmoid(real_logits).mean().item(),
                                     mg.sigmoid(fake_logits).mean().item())):
        history[name].append(value)
print(f"{steps} steps in {time.perf_counter() - start:.1f} s")
show(viz.plot_history(history, OUT / "training.png", title="DCGAN, a short run", smooth=5))

# %%
G.eval()
with mg.no_grad():
    samples = G(fixed_z)
G.train()
show(viz.save_image_grid(samples, OUT / "samples.png", nrow=8, title=f"G(z) after {steps} steps"))
show(ROOT / "docs" / "results" / "dcgan" / "samples_05000.png")  # the defaults, held-out seed 1000 (committed)

# %% [markdown]
# ## What to try next
#
# * `beta1 = 0.9` in both Adams: the DCGAN paper reports oscillation; watch `D(x)` and `D(G(z))`.
# * Remove the `BatchNorm2d` from D, or put one on its first layer: what happens to the losses?
# * Replace the stride-2 convolutions of D by stride-1 convolutions and a pooling op you write yourself.
# * Read [DCGAN](../docs/dcgan.md) and [Convolution](../docs/convolution.md); next:
#   [WGAN and the gradient penalty](07_wgan_and_gradient_penalty.ipynb).
