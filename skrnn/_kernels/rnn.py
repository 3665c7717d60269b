"""Elman cell: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``."""

import numpy as np

from .._config import kernel


@kernel
def forward(xp, w_hh_t, lengths, relu, hs):
    """Run the recurrence.

    xp : (T, B, H) input projection with both biases added.
    w_hh_t : (H, H) transposed recurrent weights ``W_hh^T``.
    lengths : (B,) int64.
    relu : bool, ReLU instead of tanh.
    hs : (T+1, B, H) output; ``hs[0]`` holds the initial state on entry.
    """
    T, B, H = xp.shape
    rec = np.empty((B, H), dtype=xp.dtype)
    for t in range(T):
        np.dot(hs[t], w_hh_t, rec)
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    a = xp[t, b, j] + rec[b, j]
                    if relu:
                        hs[t + 1, b, j] = a if a > 0 else 0
                    else:
                        hs[t + 1, b, j] = np.tanh(a)
            else:
                for j in range(H):
                    hs[t + 1, b, j] = hs[t, b, j]


@kernel
def backward(hs, w_hh, lengths, relu, dhs, dh, dxp):
    """Backpropagate through time.

    hs : (T+1, B, H) states from :func:`forward`.
    w_hh : (H, H) recurrent weights.
    dhs : (T, B, H) loss gradient w.r.t. each output ``hs[t+1]`` (padded
        steps are ignored).
    dh : (B, H) in: gradient w.r.t. the final state ``hs[T]``; out: gradient
        w.r.t. the initial state ``hs[0]``.
    dxp : (T, B, H) output: gradient w.r.t. the pre-activation (= ``xp``).
    """
    T, B, H = dhs.shape
    rec = np.empty((B, H), dtype=dhs.dtype)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    g = dhs[t, b, j] + dh[b, j]
                    h = hs[t + 1, b, j]
                    if relu:
                        dxp[t, b, j] = g if h > 0 else 0
                    else:
                        dxp[t, b, j] = g * (1 - h * h)
            else:
                for j in range(H):
                    dxp[t, b, j] = 0
        np.dot(dxp[t], w_hh, rec)
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    dh[b, j] = rec[b, j]
