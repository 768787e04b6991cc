# %% [markdown]
# # Lesson 5 — Mode collapse on the 2D toys, in the lab view
#
# The ring of 8 Gaussians and the grid of 25 (the 2D benchmarks of VEEGAN and PacGAN) have
# known modes, so we can *count* what the generator covers. The lab view
# ([`minigan/lab.py`](../minigan/lab.py), after GAN Lab, Kahng et al. 2018) draws
#
# * left: D's probability $D(x)$ as a heatmap, the real samples (green), the fakes (purple), and at each fake
#   an arrow along $-\partial L_G/\partial x$, where the generator's loss pushes it (computed with `mg.grad`);
# * right: a grid of latent points $z$ mapped through $G$: how the generator folds the plane.
#
# Rests on: [Failure modes](../docs/failure_modes.md#mode-collapse),
# [The generator's loss](../docs/generator_loss.md), [The optimal discriminator](../docs/optimal_discriminator.md).

# %%
import os
import tempfile
from pathlib import Path

import minigan as mg
from minigan import data, viz
from minigan.lab import Lab, show
from minigan.metrics import mode_metrics

QUICK = os.environ.get("MINIGAN_QUICK") == "1"
OUT = Path(tempfile.mkdtemp(prefix="minigan_lesson05_"))
plt = viz.pyplot()


def coverage(lab, std):
    """Modes captured and the fraction of high-quality samples (within 3 std of a mode), on 2500 fresh samples."""
    with mg.no_grad():
        samples = lab.G(mg.randn(2500, lab.latent_dim))
    m = mode_metrics(samples.data, lab.modes, std)
    return m["modes_captured"], m["high_quality_fraction"], m["mode_counts"]

# %% [markdown]
# ## Step by step: buttons
#
# In Jupyter or VS Code, the buttons below take one D step, one G step, k D steps and a G step, or
# a run, and redraw. (Run headless, as the tests do, they are drawn but not clicked.)

# %%
lab = Lab(lambda n: data.ring_of_gaussians(n), modes=data.ring_modes(), batch_size=256, seed=0)
lab.widget()

# %% [markdown]
# ## Alternating training, as Algorithm 1 does it
#
# One D step, one G step, repeated. We count the modes every stretch.

# %%
stretch, stretches = (100, 6) if QUICK else (150, 6)
history = []
for _i in range(stretches):
    lab.run(stretch)
    captured, quality, _ = coverage(lab, 0.02)
    history.append((lab.g_steps, captured, quality))
    print(f"after {lab.g_steps:5d} iterations: {captured} of 8 modes, {quality:.0%} of samples near a mode")
show(lab.draw())

# %% [markdown]
# ## The mechanism: the generator against a *fixed* discriminator
#
# Now freeze D and take only G steps. Every fake follows its arrow uphill on $D$, to the nearest
# hill of a *fixed* $D$; the fakes crowd onto those few hills and the modes between them lose their
# samples. This is the collapse of the reading ("the generator may learn to produce only that
# output"): the best answer to a fixed discriminator is a few points, not the distribution.

# %%
before, _, counts_before = coverage(lab, 0.02)
g_only = 150 if QUICK else 200
for _ in range(g_only):
    lab.g_step()
captured, quality, counts = coverage(lab, 0.02)
print(f"before: {before} of 8 modes; samples per mode {counts_before}")
print(f"after {g_only} G steps alone: {captured} of 8 modes; samples per mode {counts}")
show(lab.draw(title=f"{g_only} generator steps against a frozen D"))

# %% [markdown]
# ## Letting D answer
#
# Resume alternating. D learns to reject the place the fakes crowd into, the arrows turn, and
# the generator moves on: the cat and mouse of non-convergence. The animation (a GIF, written
# with matplotlib's PillowWriter, no ffmpeg needed) shows it frame by frame; the counts of
# samples per mode show which modes are held.

# %%
frames, per_frame = (6, 40) if QUICK else (8, 40)
gif = lab.animate(OUT / "ring.gif", frames=frames, iterations_per_frame=per_frame)
show(gif)
captured, quality, counts = coverage(lab, 0.02)
print(f"after {lab.g_steps} G steps in all: {captured} of 8 modes; samples per mode {counts}")

# %% [markdown]
# ## The grid of 25
#
# Harder: 25 modes, and a generator that must fold its Gaussian noise over all of them.
# The latent grid on the right shows where the plane is stretched between modes: the samples
# that land there are the low-quality ones.

# %%
grid = Lab(lambda n: data.grid_of_gaussians(n), modes=data.grid_modes(), batch_size=256, seed=0)
grid.run(400 if QUICK else 800)
captured, quality, counts = coverage(grid, 0.05)
print(f"grid: {captured} of 25 modes, {quality:.0%} of samples within 3 std of a mode")
show(grid.draw())

# %% [markdown]
# ## What to try next
#
# * `k` D steps per G step: `lab.run(200, k=5)`. Does a stronger D prevent the collapse, or make it worse?
# * The saturating loss in the lab: `Lab(..., saturating=True)`, and `lab.draw(arrows="both")` to compare arrows.
# * A bigger latent space (`latent_dim=8`): the right panel shows its first two coordinates.
# * The remedies: minibatch discrimination ([Improved GAN](../docs/improved_gan.md#minibatch-discrimination)),
#   and the Wasserstein loss (lesson 7). Next: [DCGAN](06_dcgan.ipynb).
