"""Layers and the Module that holds them, with PyTorch's names: ``from minigan import nn``."""

from minigan.nn import init
from minigan.nn.conv import Conv2d, ConvTranspose2d
from minigan.nn.dcgan_init import dcgan_init_
from minigan.nn.layers import (
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softsign,
    Tanh,
    Unflatten,
)
from minigan.nn.module import Module, ModuleList, Parameter, Sequential
from minigan.nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvTranspose2d", "Dropout", "Embedding", "Flatten", "Identity",
    "LayerNorm", "LeakyReLU", "Linear", "Module", "ModuleList", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "Softsign", "Tanh", "Unflatten", "dcgan_init_", "init",
]
