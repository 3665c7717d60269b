"""GRU cell, PyTorch's gate order ``r, z, n``::

    r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
    z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
    h_t = (1 - z) * n + z * h_{t-1}
"""

import numpy as np

from .._config import kernel


@kernel
def forward(xp, w_hh_t, b_hh, lengths, hs, gates, hn):
    """Run the recurrence.

    xp : (T, B, 3H) input projection ``x W_ih^T + b_ih`` (no ``b_hh``).
    w_hh_t : (H, 3H) transposed recurrent weights.
    b_hh : (3H,) recurrent bias.
    hs : (T+1, B, H) output; ``hs[0]`` holds the initial state.
    gates : (T, B, 3H) output: activated ``r, z, n``.
    hn : (T, B, H) output: ``h W_hn^T + b_hn``, needed by the backward pass.
    """
    T, B, G = xp.shape
    H = G // 3
    rec = np.empty((B, G), dtype=xp.dtype)
    for t in range(T):
        np.dot(hs[t], w_hh_t, rec)
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    r = 1 / (1 + np.exp(-(xp[t, b, j] + rec[b, j] + b_hh[j])))
                    z = 1 / (1 + np.exp(-(xp[t, b, H + j] + rec[b, H + j] + b_hh[H + j])))
                    m = rec[b, 2 * H + j] + b_hh[2 * H + j]
                    n = np.tanh(xp[t, b, 2 * H + j] + r * m)
                    hs[t + 1, b, j] = (1 - z) * n + z * hs[t, b, j]
                    gates[t, b, j] = r
                    gates[t, b, H + j] = z
                    gates[t, b, 2 * H + j] = n
                    hn[t, b, j] = m
            else:
                for j in range(H):
                    hs[t + 1, b, j] = hs[t, b, j]
                    hn[t, b, j] = 0
                for j in range(G):
                    gates[t, b, j] = 0


@kernel
def backward(hs, gates, hn, w_hh, lengths, dhs, dh, dxp, dhp):
    """Backpropagate through time.

    hs, gates, hn : from :func:`forward`.
    w_hh : (3H, H) recurrent weights.
    dhs : (T, B, H) loss gradient w.r.t. each output ``hs[t+1]``.
    dh : (B, H) in: gradient w.r.t. the final state; out: w.r.t. ``hs[0]``.
    dxp : (T, B, 3H) output: gradient w.r.t. ``xp``.
    dhp : (T, B, 3H) output: gradient w.r.t. ``h W_hh^T + b_hh``.
    """
    T, B, H = dhs.shape
    rec = np.empty((B, H), dtype=dhs.dtype)
    direct = np.empty((B, H), dtype=dhs.dtype)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    gh = dhs[t, b, j] + dh[b, j]
                    r = gates[t, b, j]
                    z = gates[t, b, H + j]
                    n = gates[t, b, 2 * H + j]
                    gn = gh * (1 - z) * (1 - n * n)
                    gz = gh * (hs[t, b, j] - n) * z * (1 - z)
                    gr = gn * hn[t, b, j] * r * (1 - r)
                    dxp[t, b, j] = gr
                    dxp[t, b, H + j] = gz
                    dxp[t, b, 2 * H + j] = gn
                    dhp[t, b, j] = gr
                    dhp[t, b, H + j] = gz
                    dhp[t, b, 2 * H + j] = gn * r
                    direct[b, j] = gh * z
            else:
                for j in range(3 * H):
                    dxp[t, b, j] = 0
                    dhp[t, b, j] = 0
        np.dot(dhp[t], w_hh, rec)
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    dh[b, j] = direct[b, j] + rec[b, j]
