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
    H2 = 2 * H
    rec = np.empty((B, G), dtype=xp.dtype)
    one = np.ones(1, dtype=xp.dtype)[0]  # a ``1`` of the array dtype (no float64 promotion)
    half = np.float32(0.5)  # the float32 path's constant (a float64 one would promote it)
    f32 = xp.itemsize == 4
    # a gate's element is indexed at its offset in the row (``H + j``,
    # ``2H + j``), with no (T, B, gate, H) reshaped views: a reshape hands
    # pointers to the arrays' shape and strides to an external helper
    # (``numba_attempt_nocopy_reshape``), after which LLVM must reload them
    # after every store and vectorises no loop of the kernel (4.5x slower);
    # nor row views or slices, each of which costs an atomic incref/decref
    # pair (Numba's reference counting)
    for t in range(T):
        np.dot(hs[t], w_hh_t, rec)
        for b in range(B):
            if t < lengths[b]:
                if f32:  # sigmoid(x) = 1/2 + tanh(x / 2) / 2
                    for j in range(H2):
                        gates[t, b, j] = half + half * _tanh32(half * (xp[t, b, j] + rec[b, j] + b_hh[j]))
                else:
                    for j in range(H2):
                        gates[t, b, j] = _sigmoid64(xp[t, b, j] + rec[b, j] + b_hh[j])
                for j in range(H):
                    m = rec[b, H2 + j] + b_hh[H2 + j]
                    hn[t, b, j] = m
                    gates[t, b, H2 + j] = xp[t, b, H2 + j] + gates[t, b, j] * m
                if f32:
                    for j in range(H):
                        gates[t, b, H2 + j] = _tanh32(gates[t, b, H2 + j])
                else:
                    for j in range(H):
                        gates[t, b, H2 + j] = _tanh64(gates[t, b, H2 + j])
                for j in range(H):
                    z = gates[t, b, H + j]
                    hs[t + 1, b, j] = (one - z) * gates[t, b, H2 + j] + z * hs[t, b, j]
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
    H2 = 2 * H
    rec = np.empty((B, H), dtype=dhs.dtype)
    direct = np.empty((B, H), dtype=dhs.dtype)
    gh = np.empty(H, dtype=dhs.dtype)
    one = np.ones(1, dtype=dhs.dtype)[0]  # a ``1`` of the array dtype (no float64 promotion)
    # gates indexed at their offsets in the row, no reshaped views (see forward)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            if t < lengths[b]:
                # short passes touching few arrays each, so that LLVM's runtime
                # alias checks stay under its threshold and every pass vectorises
                for j in range(H):
                    gh[j] = dhs[t, b, j] + dh[b, j]
                for j in range(H):
                    z = gates[t, b, H + j]
                    n = gates[t, b, H2 + j]
                    dxp[t, b, H2 + j] = gh[j] * (one - z) * (one - n * n)
                    dxp[t, b, H + j] = gh[j] * (hs[t, b, j] - n) * z * (one - z)
                    direct[b, j] = gh[j] * z
                for j in range(H):
                    r = gates[t, b, j]
                    gn = dxp[t, b, H2 + j]
                    dxp[t, b, j] = gn * hn[t, b, j] * r * (one - r)
                    dhp[t, b, H2 + j] = gn * r
                for j in range(H2):
                    dhp[t, b, j] = dxp[t, b, j]
            else:
                for j in range(3 * H):
                    dxp[t, b, j] = 0
                    dhp[t, b, j] = 0
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
    H2 = 2 * H
    rec = np.empty((B, G), dtype=xp.dtype)
    # activations into a separate row: written in place over ``rec`` the
    # passes alias and LLVM does not vectorise them (2.5x slower)
    a = np.empty(G, dtype=xp.dtype)
    one = np.ones(1, dtype=xp.dtype)[0]  # a ``1`` of the array dtype (no float64 promotion)
    half = np.float32(0.5)  # the float32 path's constant (a float64 one would promote it)
    f32 = xp.itemsize == 4
    # gates indexed at their offsets in the row, no reshaped views (see forward)
    for t in range(T):
        np.dot(hs[t], w_hh_t, rec)
        for b in range(B):
            if t < lengths[b]:
                if f32:
                    for j in range(H2):
                        a[j] = half + half * _tanh32(half * (xp[t, b, j] + rec[b, j] + b_hh[j]))
                else:
                    for j in range(H2):
                        a[j] = _sigmoid64(xp[t, b, j] + rec[b, j] + b_hh[j])
                for j in range(H):
                    a[H2 + j] = xp[t, b, H2 + j] + a[j] * (rec[b, H2 + j] + b_hh[H2 + j])
                if f32:
                    for j in range(H):
                        a[H2 + j] = _tanh32(a[H2 + j])
                else:
                    for j in range(H):
                        a[H2 + j] = _tanh64(a[H2 + j])
                for j in range(H):
                    z = a[H + j]
                    hs[t + 1, b, j] = (one - z) * a[H2 + j] + z * hs[t, b, j]
            else:
                for j in range(H):
                    hs[t + 1, b, j] = hs[t, b, j]
