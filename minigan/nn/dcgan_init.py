"""DCGAN's initialisation of a whole model (Radford et al., 2016): ``nn.init.dcgan_init_(model)``.

It picks layers by class, so it sits above the layer modules; ``nn/init.py``,
which fills single tensors, sits below them (the layers use it).
"""

from minigan.nn import init
from minigan.nn.conv import Conv2d, ConvTranspose2d
from minigan.nn.layers import Linear
from minigan.nn.norm import _BatchNorm


def dcgan_init_(module, std=0.02):
    """DCGAN's initialisation, in place on every submodule; returns ``module``.

    Conv, ConvTranspose and Linear weights ~ N(0, std^2); BatchNorm weights ~
    N(1, std^2); every bias 0.
    """

    def init_layer(m):
        if isinstance(m, (Conv2d, ConvTranspose2d, Linear)):
            init.normal_(m.weight, 0.0, std)
        elif isinstance(m, _BatchNorm) and m.weight is not None:
            init.normal_(m.weight, 1.0, std)
        else:
            return
        if m.bias is not None:
            init.zeros_(m.bias)

    return module.apply(init_layer)


init.dcgan_init_ = dcgan_init_  # also nn.init.dcgan_init_, beside the other initialisers, where PyTorch users look
