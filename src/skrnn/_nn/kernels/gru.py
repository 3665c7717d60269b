"""GRU cell, PyTorch's gate order ``r, z, n``::

    r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
    z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
    h_t = (1 - z) * n + z * h_{t-1}

Each step is one ``(B, H) @ (H, 3H)`` product (BLAS) followed by contiguous,
vectorisable passes over the ``(B, 3H)`` block.  In float32, ``tanh`` is a
rational approximation that LLVM vectorises (max abs error ~3e-7, a few ulp)
and ``sigmoid(x) = 0.5 + 0.5 tanh(x / 2)``; float64 uses an
exact-to-2-ulp vectorisable ``tanh`` and ``sigmoid`` so it matches
references to 1e-10.  The choice is made on
``itemsize``, a compile-time constant, so each dtype compiles one path.
"""

import numpy as np

from ..._config import kernel


@kernel
def _tanh32(x):
    """Rational ``tanh`` for float32 (Eigen's ``generic_fast_tanh_float``)."""
    x = min(max(x, np.float32(-7.90531110763549805)), np.float32(7.90531110763549805))
    x2 = x * x
    p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = x2 * p + np.float32(-8.60467152213735e-11)
    p = x2 * p + np.float32(5.12229709037114e-08)
    p = x2 * p + np.float32(1.48572235717979e-05)
    p = x2 * p + np.float32(6.37261928875436e-04)
    p = x2 * p + np.float32(4.89352455891786e-03)
    q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = x2 * q + np.float32(2.26843463243900e-03)
    q = x2 * q + np.float32(4.89352518554385e-03)
    return x * p / q


@kernel
def _exp64(y):
    """``exp(y)`` for float64 ``0 <= y <= 41``, within 1 ulp, vectorisable:
    Cody-Waite reduction ``y = k ln2 + r``, a degree-13 Taylor polynomial on
    ``|r| <= ln2 / 2`` and ``2^k`` built exactly from an integer shift."""
    k = np.int64(y * 1.4426950408889634 + 0.5)
    r = y - k * 6.93147180369123816490e-01 - k * 1.90821492927058770002e-10
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    return p * np.float64(np.int64(1) << k)


@kernel
def _tanh64(x):
    """``tanh`` for float64 within 2 ulp of libm's, in a form LLVM vectorises
    (several times faster than the scalar libm call); NaN and +-inf behave as
    libm's.

    ``|x| < 0.625``: Cephes' rational form ``x + x z P(z) / Q(z)``, no
    cancellation.  Otherwise ``1 - 2 / (exp(2|x|) + 1)`` (``|x|`` is clamped
    at 20, where tanh is 1 in float64).  Both branches share one division.
    """
    ax = min(abs(x), 20.0)
    z = ax * ax
    e = _exp64(max(2.0 * ax, 1.0))
    ps = ax * z * ((-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z
                   - 1.61468768441708447952e3)
    qs = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3
    small = ax < 0.625
    # selects between computed values only (no work inside a branch) so
    # LLVM if-converts and vectorises
    q = (ps if small else 2.0) / (qs if small else e + 1.0)
    t = (ax if small else 1.0) + (q if small else -q)
    return t if x >= 0 else -t


@kernel
def _sigmoid64(x):
    """``1 / (1 + exp(-x))`` for float64 from ``E = exp(|x|)``: ``E / (E + 1)``
    or ``1 / (E + 1)``, no cancellation; ``|x|`` is clamped at 40 (absolute
    error below 5e-18 beyond).  NaN propagates."""
    e = _exp64(min(abs(x), 40.0))
    return (e if x >= 0 else 1.0) / (e + 1.0)


@kernel
def _sigmoid_row(a, x, r, b, n):
    """``a[j] = sigmoid(x[j] + r[j] + b[j])`` for ``j < n``."""
    if a.itemsize == 4:
        for j in range(n):
            a[j] = np.float32(0.5) + np.float32(0.5) * _tanh32((x[j] + r[j] + b[j]) * np.float32(0.5))
    else:
        for j in range(n):
            a[j] = _sigmoid64(x[j] + r[j] + b[j])


@kernel
def _tanh_row(a, lo, n):
    """``tanh`` in place on ``a[lo:lo + n]``, through a slice view: LLVM does
    not vectorise ``range(lo, hi)`` loops or ``a[lo + j]`` with a runtime
    ``lo`` here (it cannot rule out a negative, wrapped-around index)."""
    s = a[lo:lo + n]
    if a.itemsize == 4:
        for j in range(n):
            s[j] = _tanh32(s[j])
    else:
        for j in range(n):
            s[j] = _tanh64(s[j])


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
    one = np.ones(1, dtype=xp.dtype)[0]  # a ``1`` of the array dtype (no float64 promotion)
    for t in range(T):
        np.dot(hs[t], w_hh_t, rec)
        for b in range(B):
            a = gates[t, b]
            if t < lengths[b]:
                x, r = xp[t, b], rec[b]
                _sigmoid_row(a, x, r, b_hh, 2 * H)
                m = hn[t, b]
                for j in range(H):
                    m[j] = r[2 * H + j] + b_hh[2 * H + j]
                    a[2 * H + j] = x[2 * H + j] + a[j] * m[j]
                _tanh_row(a, 2 * H, H)
                h, hp = hs[t + 1, b], hs[t, b]
                for j in range(H):
                    z = a[H + j]
                    h[j] = (one - z) * a[2 * H + j] + z * hp[j]
            else:
                for j in range(H):
                    hs[t + 1, b, j] = hs[t, b, j]
                    hn[t, b, j] = 0
                for j in range(G):
                    a[j] = 0


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
    gh = np.empty(H, dtype=dhs.dtype)
    one = np.ones(1, dtype=dhs.dtype)[0]  # a ``1`` of the array dtype (no float64 promotion)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            dx, dp = dxp[t, b], dhp[t, b]
            if t < lengths[b]:
                # short passes touching few arrays each, so that LLVM's runtime
                # alias checks stay under its threshold and every pass vectorises
                a, m, hp = gates[t, b], hn[t, b], hs[t, b]
                ds, dhb, db = dhs[t, b], dh[b], direct[b]
                for j in range(H):
                    gh[j] = ds[j] + dhb[j]
                for j in range(H):
                    z = a[H + j]
                    n = a[2 * H + j]
                    dx[2 * H + j] = gh[j] * (one - z) * (one - n * n)
                    dx[H + j] = gh[j] * (hp[j] - n) * z * (one - z)
                    db[j] = gh[j] * z
                for j in range(H):
                    r = a[j]
                    gn = dx[2 * H + j]
                    dx[j] = gn * m[j] * r * (one - r)
                    dp[2 * H + j] = gn * r
                for j in range(2 * H):
                    dp[j] = dx[j]
            else:
                for j in range(3 * H):
                    dx[j] = 0
                    dp[j] = 0
        np.dot(dhp[t], w_hh, rec)
        for b in range(B):
            if t < lengths[b]:
                for j in range(H):
                    dh[b, j] = direct[b, j] + rec[b, j]


@kernel
def infer(xp, w_hh_t, b_hh, lengths, hs):
    """Forward pass for prediction: like :func:`forward`, but stores neither
    the gates nor ``hn`` (less memory traffic; compiled only when a model
    predicts).

    xp : (T, B, 3H) input projection ``x W_ih^T + b_ih`` (no ``b_hh``).
    w_hh_t : (H, 3H) transposed recurrent weights.
    b_hh : (3H,) recurrent bias.
    hs : (T+1, B, H) output; ``hs[0]`` holds the initial state.
    """
    T, B, G = xp.shape
    H = G // 3
    rec = np.empty((B, G), dtype=xp.dtype)
    a = np.empty(G, dtype=xp.dtype)
    one = np.ones(1, dtype=xp.dtype)[0]  # a ``1`` of the array dtype (no float64 promotion)
    for t in range(T):
        np.dot(hs[t], w_hh_t, rec)
        for b in range(B):
            h, hp = hs[t + 1, b], hs[t, b]
            if t < lengths[b]:
                x, r = xp[t, b], rec[b]
                # activations into a separate row: written in place over
                # ``rec`` the passes alias and LLVM does not vectorise them
                # (2.5x slower)
                _sigmoid_row(a, x, r, b_hh, 2 * H)
                for j in range(H):
                    a[2 * H + j] = x[2 * H + j] + a[j] * (r[2 * H + j] + b_hh[2 * H + j])
                _tanh_row(a, 2 * H, H)
                for j in range(H):
                    z = a[H + j]
                    h[j] = (one - z) * a[2 * H + j] + z * hp[j]
            else:
                for j in range(H):
                    h[j] = hp[j]
