"""Output heads ``y = g(W_hy h + b_y)`` and their losses.

Each head pairs an output function ``g`` with its canonical loss, so that the
gradient of the loss w.r.t. the logits has the simple form ``dL/dz``:

* ``softmax``: cross-entropy ``-sum_k y_k log p_k`` (``y`` one-hot rows);
  ``dL/dz = p - y``.
* ``sigmoid``: binary cross-entropy summed over labels
  ``sum_k log(1 + e^{z_k}) - y_k z_k``; ``dL/dz = sigmoid(z) - y``.
* ``identity``: half the mean squared error over outputs
  ``0.5 * mean_k (z_k - y_k)^2`` (scikit-learn's ``squared_loss``);
  ``dL/dz = (z - y) / K``.

Losses are returned per row (one row per sequence, or per step); the network
weights and averages them.
"""

import numpy as np
from scipy.special import expit

HEADS = ("softmax", "sigmoid", "identity")


def activate(head, z):
    """Output function ``g`` applied to logits ``z`` (last axis = outputs)."""
    if head == "softmax":  # plain NumPy: scipy's softmax costs more than a small forward pass
        p = z - z.max(axis=-1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=-1, keepdims=True)
        return p
    if head == "sigmoid":
        return expit(z)
    return z


def loss_rows(head, z, y):
    """Per-row loss and ``dL/dz`` for logits ``z`` and targets ``y``."""
    if head == "softmax":  # log-sum-exp shifted by the row max, in plain NumPy (scipy's is slow on small arrays)
        logp = z - z.max(axis=-1, keepdims=True)
        p = np.exp(logp)
        s = p.sum(axis=-1, keepdims=True)
        logp -= np.log(s)
        p /= s
        p -= y
        return -(y * logp).sum(-1), p
    if head == "sigmoid":
        return (np.logaddexp(0, z) - y * z).sum(-1), expit(z) - y
    k = z.shape[-1]
    diff = z - y
    return 0.5 * (diff * diff).sum(-1) / k, diff / k
