r"""The 2D lab view: a GAN on a toy, stepped one move at a time and drawn (after GAN Lab, Kahng et al. 2018).

Left panel: the discriminator's probability :math:`D(x) = \sigma(a(x))` as a
heatmap over the plane, the real samples, the generated samples, and at each
generated sample :math:`x_i = G(z_i)` an arrow along

.. math::

    -\frac{\partial L_G}{\partial x_i}

the direction the generator's loss pushes that sample (``mg.grad`` of
:math:`L_G` with respect to the fake batch itself; :math:`L_G` is a batch
mean, so each arrow carries a factor 1/N). For the saturating loss
:math:`L_G = \operatorname{mean}\log\sigma(-a)` the arrow is
:math:`\sigma(a_i)\,\nabla_x a_i / N`, for the non-saturating loss
:math:`L_G = -\operatorname{mean}\log\sigma(a)` it is
:math:`(1 - \sigma(a_i))\,\nabla_x a_i / N`: the same direction, different
lengths, and where D rejects a fake (:math:`\sigma(a_i) \approx 0`) only the
second one is long. ``draw(arrows="both")`` draws the two on one frame.

Right panel: a grid of latent points :math:`z` mapped through :math:`G`, the
warp that the generator has learnt. For the 1D Gaussian the panels become
curves: :math:`D(x)` over the line, and :math:`x = G(z)`.

Headless by design (matplotlib's Agg backend): :meth:`Lab.draw` writes a PNG,
:meth:`Lab.animate` a GIF (an MP4 where ffmpeg exists), :meth:`Lab.widget`
gives buttons in a notebook::

    from minigan import data
    from minigan.lab import Lab
    lab = Lab(lambda n: data.ring_of_gaussians(n), modes=data.ring_modes())
    lab.run(200)
    lab.draw("lab.png", arrows="both")
"""

import io
import os

import minigan as mg
from minigan import backend, nn, optim
from minigan.backend import xp
from minigan.gan import d_loss_minimax, g_loss
from minigan.tensor import Tensor
from minigan.viz import pyplot, save_animation


def generator_gradient(D, fake, saturating=False):
    r"""The arrows: :math:`-\partial L_G/\partial x` at each row of ``fake`` (an (N, d) array or Tensor), as an array.

    :math:`L_G` is :func:`minigan.gan.g_loss` of ``D(fake)``; the gradient is
    taken with ``mg.grad`` with respect to the samples (D's weights are not
    touched, their ``.grad`` is left alone).
    """
    x = mg.tensor(fake.data if isinstance(fake, Tensor) else fake, requires_grad=True)
    (g,) = mg.grad(g_loss(D(x), saturating=saturating), [x])
    return -g.numpy()


def _mlp(n_in, n_out, width, depth, out=None):
    layers, size = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.LeakyReLU(0.2)]
        size = width
    layers.append(nn.Linear(size, n_out))
    return nn.Sequential(*layers, *([out] if out is not None else []))


class Lab:
    """A small GAN on samples of ``real(n) -> (n, d)`` (d = 1 or 2), its moves and its pictures.

    ``G`` and ``D`` default to MLPs (``width`` units, ``depth`` hidden layers,
    LeakyReLU); both are trained with Adam(lr, betas=(0.5, 0.999)). ``modes``
    (a (K, d) array) marks the centres of a mixture on the pictures; arrows are
    drawn at the first ``n_arrows`` of the ``batch_size`` fixed fakes.
    ``saturating`` picks the generator loss of :meth:`g_step`.
    """

    def __init__(self, real, modes=None, latent_dim=2, batch_size=256, lr=1e-3, saturating=False,
                 width=64, depth=2, G=None, D=None, seed=0, limit=None, n_arrows=64):
        mg.manual_seed(seed)
        self.n_arrows = n_arrows
        self.real, self.modes = real, modes
        probe = Tensor(real(8)).numpy()
        self.dim = probe.shape[1]
        if self.dim not in (1, 2):
            raise ValueError(f"the lab view draws 1D or 2D data, but real(n) returned shape {probe.shape}.")
        self.latent_dim, self.batch_size, self.saturating = latent_dim, batch_size, saturating
        self.G = G if G is not None else _mlp(latent_dim, self.dim, width, depth)
        self.D = D if D is not None else _mlp(self.dim, 1, width, depth)
        self.opt_G = optim.Adam(self.G.parameters(), lr=lr, betas=(0.5, 0.999))
        self.opt_D = optim.Adam(self.D.parameters(), lr=lr, betas=(0.5, 0.999))
        self.g_steps = self.d_steps = 0
        self.history = {"loss_D": [], "loss_G": []}
        sample = Tensor(real(2000)).numpy()
        self.limit = limit if limit is not None else 1.25 * float(abs(sample).max())
        self.fixed_z = mg.randn(batch_size, latent_dim)  # the fakes drawn, the same ones frame after frame
        self.fixed_real = sample[:batch_size]

    # ------------------------------------------------------------------ the moves
    def d_step(self):
        """One discriminator step: descend L_D = -[mean log D(x) + mean log(1 - D(G(z)))] in D's weights."""
        x = mg.tensor(self.real(self.batch_size))
        fake = self.G(mg.randn(self.batch_size, self.latent_dim)).detach()  # no gradient into G
        loss = d_loss_minimax(self.D(x), self.D(fake))
        self.opt_D.zero_grad()
        loss.backward()
        self.opt_D.step()
        self.d_steps += 1
        self.history["loss_D"].append(loss.item())
        return loss.item()

    def g_step(self):
        """One generator step with D frozen: descend g_loss(D(G(z)), saturating) in G's weights."""
        self.D.requires_grad_(False)
        try:
            loss = g_loss(self.D(self.G(mg.randn(self.batch_size, self.latent_dim))), saturating=self.saturating)
            self.opt_G.zero_grad()
            loss.backward()
            self.opt_G.step()
        finally:
            self.D.requires_grad_(True)
        self.g_steps += 1
        self.history["loss_G"].append(loss.item())
        return loss.item()

    def step(self, k=1):
        """Algorithm 1's iteration: ``k`` discriminator steps, then one generator step."""
        for _ in range(k):
            self.d_step()
        return self.g_step()

    def run(self, iterations, k=1):
        """``iterations`` calls of :meth:`step`."""
        for _ in range(iterations):
            self.step(k)
        return self

    # ------------------------------------------------------------------ what is drawn
    def fakes(self):
        """G(z) for the lab's fixed z, as a host array (N, d)."""
        with mg.no_grad():
            return self.G(self.fixed_z).numpy()

    def arrows(self, saturating=None):
        """-dL_G/dx at each fake of :meth:`fakes` (the default loss is the lab's own)."""
        saturating = self.saturating if saturating is None else saturating
        return generator_gradient(self.D, self.fakes(), saturating)

    def d_probability(self, points):
        """D(x) = sigmoid(a(x)) at ``points`` (M, d), as a host array (M,)."""
        with mg.no_grad():
            return mg.sigmoid(self.D(mg.tensor(points, dtype="float32"))).numpy().reshape(-1)

    def draw(self, path=None, arrows=None, fig=None, resolution=80, title=None):
        """Draw the two panels; write a PNG to ``path`` (if given) and return the path or the figure.

        ``arrows``: None (the lab's own loss), "saturating", "non-saturating",
        "both" (the two on one frame, to the same scale) or "none".
        """
        plt = pyplot()
        own = fig is None
        if own:
            fig = plt.figure(figsize=(10, 4.6))
        left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        kinds = {None: ["saturating" if self.saturating else "non-saturating"], "none": [],
                 "saturating": ["saturating"], "non-saturating": ["non-saturating"],
                 "both": ["saturating", "non-saturating"]}
        if arrows not in kinds:
            raise ValueError(f"arrows must be one of {sorted(k for k in kinds if k)} or None, got {arrows!r}.")
        if self.dim == 2:
            self._draw_plane(left, kinds[arrows], resolution)
            self._draw_latent_grid(right)
        else:
            self._draw_line(left, kinds[arrows], resolution)
            self._draw_latent_curve(right)
        loss = "saturating" if self.saturating else "non-saturating"
        fig.suptitle(title or f"after {self.d_steps} D steps and {self.g_steps} G steps ({loss} L_G)", fontsize=10)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=90)
        if own:
            if path is None:
                return fig
            plt.close(fig)
        return path if path is not None else fig

    def to_png(self, arrows=None, resolution=80):
        """The drawing as PNG bytes (what a notebook or a widget shows)."""
        buffer = io.BytesIO()
        fig = self.draw(arrows=arrows, resolution=resolution)
        fig.savefig(buffer, format="png", dpi=80)
        pyplot().close(fig)
        return buffer.getvalue()

    def _arrow_scale(self, fields):
        longest = max((float((f ** 2).sum(axis=1).max()) ** 0.5 for f in fields), default=0.0)
        return longest / (0.12 * self.limit) if longest > 0 else 1.0  # the longest arrow: 12% of the half-width

    def _draw_plane(self, ax, kinds, resolution):
        side = xp.linspace(-self.limit, self.limit, resolution)
        gx, gy = xp.meshgrid(side, side)
        prob = self.d_probability(xp.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gx.shape)
        gx, gy = backend.to_numpy(gx), backend.to_numpy(gy)  # matplotlib draws host arrays
        mesh = ax.pcolormesh(gx, gy, prob, cmap="RdBu", vmin=0, vmax=1, shading="auto", alpha=0.8)
        ax.figure.colorbar(mesh, ax=ax, fraction=0.046, pad=0.04, label="D(x)")
        ax.scatter(self.fixed_real[:, 0], self.fixed_real[:, 1], s=5, color="tab:green", label="real")
        fake = self.fakes()
        ax.scatter(fake[:, 0], fake[:, 1], s=5, color="tab:purple", label="G(z)")
        if self.modes is not None:
            centres = Tensor(self.modes).numpy()
            ax.scatter(centres[:, 0], centres[:, 1], marker="x", s=25, color="black", lw=1)
        # the gradient of the whole batch's loss (the 1/N included), drawn at the first n_arrows fakes;
        # non-saturating first and wider, so that the saturating arrow, drawn on top, shows inside it
        fields = {kind: generator_gradient(self.D, fake, kind == "saturating")[: self.n_arrows]
                  for kind in sorted(kinds, reverse=True)}
        scale = self._arrow_scale(fields.values())
        style = {"saturating": ("tab:red", 0.003), "non-saturating": ("black", 0.006)}
        at = fake[: self.n_arrows]
        for kind, field in fields.items():
            colour, width = style[kind]
            ax.quiver(at[:, 0], at[:, 1], field[:, 0], field[:, 1], color=colour, angles="xy",
                      scale_units="xy", scale=scale, width=width, label=f"-dL_G/dx ({kind})")
        ax.set_xlim(-self.limit, self.limit)
        ax.set_ylim(-self.limit, self.limit)
        ax.set_aspect("equal")
        ax.legend(loc="lower left", fontsize=6, framealpha=0.8)
        ax.set_title("D(x), real, G(z) and where L_G pushes each fake", fontsize=9)

    def _draw_latent_grid(self, ax, n_lines=11, n_points=60, extent=2.5):
        """Lines z_1 = const (blue) and z_2 = const (orange) of the latent square, each mapped through G."""
        if self.latent_dim < 2:
            raise ValueError("the latent grid panel needs latent_dim >= 2 (the first two coordinates are drawn).")
        ax.scatter(self.fixed_real[:, 0], self.fixed_real[:, 1], s=3, color="tab:green", alpha=0.3)
        ticks, dense = xp.linspace(-extent, extent, n_lines), xp.linspace(-extent, extent, n_points)
        for family, colour in ((0, "tab:blue"), (1, "tab:orange")):
            for t in ticks:
                line = xp.stack([xp.full_like(dense, t), dense], 1) if family == 0 else xp.stack(
                    [dense, xp.full_like(dense, t)], 1)
                with mg.no_grad():
                    mapped = self.G(_latent(line, self.latent_dim)).numpy()
                ax.plot(mapped[:, 0], mapped[:, 1], lw=0.7, color=colour)
        ax.set_xlim(-self.limit, self.limit)
        ax.set_ylim(-self.limit, self.limit)
        ax.set_aspect("equal")
        ax.set_title("the latent grid z in [-2.5, 2.5]^2, mapped through G", fontsize=9)

    def _draw_line(self, ax, kinds, resolution):
        """D(x) on [0, 1] (left axis), the two densities as histograms (right axis), arrows below the line."""
        xs = xp.linspace(-self.limit, self.limit, 4 * resolution)
        fake = self.fakes()
        density = ax.twinx()
        bins = [float(v) for v in xp.linspace(-self.limit, self.limit, 81)]
        density.hist(self.fixed_real[:, 0], bins=bins, density=True, color="tab:green", alpha=0.35, label="real")
        density.hist(fake[:, 0], bins=bins, density=True, color="tab:purple", alpha=0.35, label="G(z)")
        density.set_ylabel("density (histograms)", fontsize=8)
        density.legend(loc="upper right", fontsize=6)
        ax.plot(backend.to_numpy(xs), self.d_probability(xs[:, None]), color="tab:blue", lw=2, label="D(x)")
        fields = {kind: generator_gradient(self.D, fake, kind == "saturating")[: self.n_arrows]
                  for kind in sorted(kinds, reverse=True)}
        scale = self._arrow_scale(fields.values())
        at = fake[: self.n_arrows, 0]
        for row, (kind, field) in enumerate(fields.items()):
            y = [-0.08 * (row + 1)] * len(at)
            ax.quiver(at, y, field[:, 0], [0.0] * len(at), angles="xy", scale_units="xy", scale=scale,
                      width=0.004, color="tab:red" if kind == "saturating" else "black", label=f"-dL_G/dx ({kind})")
        ax.set_xlim(-self.limit, self.limit)
        ax.set_ylim(-0.08 * (len(fields) + 1), 1.05)
        ax.set_ylabel("D(x)")
        ax.legend(loc="upper left", fontsize=6)
        ax.set_title("D(x), the real and generated densities, and the pushes on the fakes", fontsize=9)

    def _draw_latent_curve(self, ax):
        z = xp.linspace(-3, 3, 200)[:, None]
        with mg.no_grad():
            x = self.G(_latent(z, self.latent_dim)).numpy()[:, 0]
        ax.plot(backend.to_numpy(z[:, 0]), x, color="tab:orange")
        ax.set_xlabel("z (first coordinate, the others 0)")
        ax.set_ylabel("x = G(z)")
        ax.set_title("the generator's map", fontsize=9)

    # ------------------------------------------------------------------ over training
    def animate(self, path, frames=20, iterations_per_frame=25, k=1, arrows=None, fps=4):
        """Train for ``frames * iterations_per_frame`` iterations, drawing a frame before each stretch.

        ``path`` ending in .gif is written with matplotlib's PillowWriter (no
        ffmpeg needed); .mp4 needs ffmpeg on the PATH and says so if it is missing.
        """
        path = str(path)

        def frame(fig, i):
            if i:
                self.run(iterations_per_frame, k)
            self.draw(fig=fig, arrows=arrows)

        dpi = 70 if path.endswith(".gif") else 90
        return save_animation(frame, frames, path, fps=fps, figsize=(10, 4.6), dpi=dpi)

    def widget(self, arrows=None):
        """Buttons for a notebook: one D step, one G step, k iterations, run; the picture is redrawn after each.

        Needs ipywidgets (``pip install -e ".[notebooks]"``). Returns the widget
        box; a notebook shows it as a cell's last value or with ``display``.
        """
        import ipywidgets as widgets

        picture = widgets.Image(value=self.to_png(arrows), format="png")
        k = widgets.BoundedIntText(value=1, min=1, max=20, description="k (D steps)")
        n = widgets.BoundedIntText(value=100, min=1, max=5000, description="iterations")
        status = widgets.Label()

        def redraw():
            picture.value = self.to_png(arrows)
            status.value = f"loss_D {self.history['loss_D'][-1]:.3f}" if self.history["loss_D"] else ""
            if self.history["loss_G"]:
                status.value += f"  loss_G {self.history['loss_G'][-1]:.3f}"

        def button(label, action):
            b = widgets.Button(description=label)
            b.on_click(lambda _: (action(), redraw()))
            return b

        buttons = [button("one D step", self.d_step), button("one G step", self.g_step),
                   button("k steps + G", lambda: self.step(k.value)),
                   button("run", lambda: self.run(n.value, k.value))]
        return widgets.VBox([widgets.HBox(buttons), widgets.HBox([k, n]), status, picture])


def _latent(points, latent_dim):
    """Latent points (M, j), a backend array, padded with zeros to a float32 Tensor (M, latent_dim)."""
    out = xp.zeros((len(points), latent_dim), dtype="float32")
    out[:, : points.shape[1]] = points[:, :latent_dim]
    return Tensor(out)


def show(picture):
    """Show a figure, PNG bytes or a PNG/GIF file inline in a notebook (as an image: any matplotlib backend works).

    A figure is closed after it is shown. Outside IPython nothing is displayed.
    """
    from IPython.display import Image, display

    if isinstance(picture, bytes):
        return display(Image(data=picture))
    if isinstance(picture, (str, os.PathLike)):
        return display(Image(filename=str(picture)))
    buffer = io.BytesIO()
    picture.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    pyplot().close(picture)
    return display(Image(data=buffer.getvalue()))
