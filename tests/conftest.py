"""Helpers shared by several test modules (import them with ``from conftest import ...``)."""

import numpy as np
import pytest

from skrnn._nn.network import Network
from skrnn._nn.params import Architecture


# ------------------------------------------------------- memory layouts of X
def fortran(X, tmp_path):
    return np.asfortranarray(X)


def strided(X, tmp_path):
    wide = np.zeros((2 * X.shape[0],) + X.shape[1:-1] + (3 * X.shape[-1],))
    wide[::2, ..., ::3] = X
    return wide[::2, ..., ::3]


def readonly_memmap(X, tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, X)
    return np.load(path, mmap_mode="r")


LAYOUTS = pytest.mark.parametrize("layout", [fortran, strided, readonly_memmap], ids=["fortran", "strided", "memmap"])


# ------------------------------------------------------ a tiny network problem
def network_problem(cell_id, head, num_layers, bidirectional, sequence_output, *, T, B, D, H, K, lengths, rng,
                    flat, pooling="last"):
    """Network, time-major ``X`` (zeros at padded steps), targets ``Y`` for ``head``, the valid-step mask and
    sample weights in [0.5, 2]; ``cell_id`` is ``'lstm'``, ``'gru'``, ``'rnn-tanh'`` or ``'rnn-relu'``;
    ``flat(rng, size)`` draws the parameters."""
    cell, _, act = cell_id.partition("-")
    arch = Architecture(cell, D, H, K, num_layers=num_layers, bidirectional=bidirectional, activation=act or "tanh",
                        pooling=pooling)
    net = Network(arch, head, sequence_output=sequence_output)
    params = flat(rng, net.layout.size)
    valid = np.arange(T)[:, None] < lengths[None, :]
    X = rng.normal(size=(T, B, D)) * valid[:, :, None]
    out_shape = (T, B, K) if sequence_output else (B, K)
    if head == "softmax":
        Y = np.eye(K)[rng.integers(0, K, size=out_shape[:-1])]
    elif head == "sigmoid":
        Y = rng.integers(0, 2, size=out_shape).astype(np.float64)
    else:
        Y = rng.normal(size=out_shape)
    return arch, net, params, X, Y, valid, rng.uniform(0.5, 2.0, size=B)
