"""Readouts of a sequence from the top layer's hidden states, and their exact gradients.

A many-to-one network summarises each sequence in one feature vector fed to
the head.  ``'last'`` is the final state (handled by the network itself, as
PyTorch's ``h_n``); the poolings here read the top layer's outputs ``H``
``(T, B, Hd)`` (both directions concatenated, in time order) over each
sequence's valid steps ``t < lengths[b]`` only, so padding never counts:

* ``'mean'``: ``f_b = sum_t H[t, b] / L_b``.
* ``'max'``: ``f_b[j] = max_t H[t, b, j]`` (the gradient goes to the first
  maximising step; ties have measure zero).
* ``'attention'``: one learned query ``w`` (``attention.weight``, shape
  ``(1, Hd)``, PyTorch's ``nn.Linear(Hd, 1, bias=False)``) scores each step,
  ``s_t = w . H_t``; ``a = softmax_t(s)`` over the valid steps;
  ``f_b = sum_t a_t H_t``.  With ``w = 0`` (its initial value) this is mean
  pooling.
* ``'last_mean'``: the final states and the mean, side by side (the network
  concatenates them; the head reads ``2 Hd`` features).

Pure functions on arrays; the forward returns what its backward needs.
"""

import numpy as np

POOLINGS = ("last", "mean", "max", "attention", "last_mean")


def valid_steps(lengths, T):
    """``(T, B)`` boolean, True at the steps ``t < lengths[b]``."""
    return np.arange(T)[:, None] < lengths[None, :]


def pool_forward(pooling, H, lengths, w=None):
    """Pooled features ``(B, Hd)`` and the cache of :func:`pool_backward`."""
    T = H.shape[0]
    m = valid_steps(lengths, T)
    if pooling == "mean":
        n = lengths.astype(H.dtype)
        return np.einsum("tb,tbj->bj", m.astype(H.dtype), H) / n[:, None], {"m": m, "n": n}
    if pooling == "max":
        idx = np.where(m[:, :, None], H, -np.inf).argmax(axis=0)  # (B, Hd)
        return np.take_along_axis(H, idx[None], axis=0)[0], {"idx": idx}
    if pooling == "attention":
        s = H @ w[0]  # (T, B)
        s = np.where(m, s, -np.inf)
        a = np.exp(s - s.max(axis=0, keepdims=True))
        a /= a.sum(axis=0, keepdims=True)
        return np.einsum("tb,tbj->bj", a, H), {"a": a}
    raise ValueError(f"unknown pooling {pooling!r}; choose one of {POOLINGS}.")


def pool_backward(pooling, cache, H, dfeat, w=None, dw=None):
    """``dL/dH`` ``(T, B, Hd)`` (zero at padded steps) from ``dL/df`` ``(B, Hd)``; for attention also
    writes ``dL/dw`` into ``dw`` ``(1, Hd)``."""
    if pooling == "mean":
        return cache["m"][:, :, None] * (dfeat / cache["n"][:, None])[None]
    if pooling == "max":
        dH = np.zeros_like(H)
        np.put_along_axis(dH, cache["idx"][None], dfeat[None], axis=0)
        return dH
    a = cache["a"]  # zero at padded steps
    g = np.einsum("tbj,bj->tb", H, dfeat)  # dL/da
    ds = a * (g - (a * g).sum(axis=0, keepdims=True))  # softmax backward; zero at padded steps
    dw[0] = np.einsum("tb,tbj->j", ds, H)
    return a[:, :, None] * dfeat[None] + ds[:, :, None] * w[0][None, None, :]
