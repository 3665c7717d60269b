"""LSTM cell, PyTorch's gate order ``i, f, g, o``::

    i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.)
    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
"""

import numpy as np

from .._config import kernel


@kernel
def forward(xp, w_hh_t, lengths, hs, cs, gates):
    """Run the recurrence.

    xp : (T, B, 4H) input projection with both biases added.
    w_hh_t : (H, 4H) transposed recurrent weights.
    hs, cs : (T+1, B, H) outputs; ``hs[0]``, ``cs[0]`` hold the initial state.
    gates : (T, B, 4H) output: activated gates, kept for the backward pass.
    """
    T, B, G = xp.shape
    H = G // 4
    rec = np.empty((B, G), dtype=xp.dtype)
    for t in range(T):
        np.dot(hs[t], w_hh_t, rec)
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    i = 1 / (1 + np.exp(-(xp[t, b, j] + rec[b, j])))
                    f = 1 / (1 + np.exp(-(xp[t, b, H + j] + rec[b, H + j])))
                    g = np.tanh(xp[t, b, 2 * H + j] + rec[b, 2 * H + j])
                    o = 1 / (1 + np.exp(-(xp[t, b, 3 * H + j] + rec[b, 3 * H + j])))
                    c = f * cs[t, b, j] + i * g
                    cs[t + 1, b, j] = c
                    hs[t + 1, b, j] = o * np.tanh(c)
                    gates[t, b, j] = i
                    gates[t, b, H + j] = f
                    gates[t, b, 2 * H + j] = g
                    gates[t, b, 3 * H + j] = o
            else:
                for j in range(H):
                    cs[t + 1, b, j] = cs[t, b, j]
                    hs[t + 1, b, j] = hs[t, b, j]
                for j in range(G):
                    gates[t, b, j] = 0


@kernel
def backward(cs, gates, w_hh, lengths, dhs, dh, dc, dxp):
    """Backpropagate through time.

    cs, gates : from :func:`forward`.
    w_hh : (4H, H) recurrent weights.
    dhs : (T, B, H) loss gradient w.r.t. each output ``hs[t+1]``.
    dh, dc : (B, H) in: gradients w.r.t. the final ``h`` and ``c``; out:
        gradients w.r.t. the initial ``h`` and ``c``.
    dxp : (T, B, 4H) output: gradient w.r.t. the gate pre-activations.
    """
    T, B, H = dhs.shape
    rec = np.empty((B, H), dtype=dhs.dtype)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    gh = dhs[t, b, j] + dh[b, j]
                    i = gates[t, b, j]
                    f = gates[t, b, H + j]
                    g = gates[t, b, 2 * H + j]
                    o = gates[t, b, 3 * H + j]
                    tc = np.tanh(cs[t + 1, b, j])
                    gc = dc[b, j] + gh * o * (1 - tc * tc)
                    dxp[t, b, j] = gc * g * i * (1 - i)
                    dxp[t, b, H + j] = gc * cs[t, b, j] * f * (1 - f)
                    dxp[t, b, 2 * H + j] = gc * i * (1 - g * g)
                    dxp[t, b, 3 * H + j] = gh * tc * o * (1 - o)
                    dc[b, j] = gc * f
            else:
                for j in range(4 * H):
                    dxp[t, b, j] = 0
        np.dot(dxp[t], w_hh, rec)
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    dh[b, j] = rec[b, j]
