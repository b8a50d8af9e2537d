"""chaingrad's neural networks: modules made of autograd Values, losses, optimizers, data and training."""

from nn import init, optim
from nn.data import (
    DATASETS,
    DataLoader,
    StandardScaler,
    load_digits,
    make_blobs,
    make_circles,
    make_moons,
    make_spiral,
    make_xor,
    train_test_split,
)
from nn.io import load, save
from nn.layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron
from nn.module import Module
from nn.torch_bridge import from_torch, to_torch
from nn.train import History, accuracy, fit, outputs, predict

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "Dropout", "ACTIVATIONS", "init", "optim",
    "DATASETS", "DataLoader", "StandardScaler", "load_digits", "make_blobs", "make_circles", "make_moons",
    "make_spiral", "make_xor", "train_test_split",
    "load", "save", "to_torch", "from_torch",
    "fit", "accuracy", "predict", "outputs", "History",
]  # fmt: skip
