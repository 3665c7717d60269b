"""LSTM cell, PyTorch's gate order ``i, f, g, o``::

    i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.)
    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)

Each step is one ``(B, H) @ (H, 4H)`` product (BLAS) followed by contiguous,
vectorisable passes over the ``(B, 4H)`` block.  In float32, ``tanh`` is a
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
def _gates(a, H):
    """Activate one row ``(4H,)`` of pre-activations in place.

    Loops start at 0 with offsets in the index: LLVM does not vectorise
    ``range(lo, hi)`` loops here (the wraparound check on a possibly negative
    index blocks it).
    """
    if a.itemsize == 4:
        for j in range(2 * H):
            a[j] = np.float32(0.5) + np.float32(0.5) * _tanh32(a[j] * np.float32(0.5))
        for j in range(H):
            a[2 * H + j] = _tanh32(a[2 * H + j])
        for j in range(H):
            a[3 * H + j] = np.float32(0.5) + np.float32(0.5) * _tanh32(a[3 * H + j] * np.float32(0.5))
    else:
        for j in range(2 * H):
            a[j] = _sigmoid64(a[j])
        for j in range(H):
            a[2 * H + j] = _tanh64(a[2 * H + j])
        for j in range(H):
            a[3 * H + j] = _sigmoid64(a[3 * H + j])


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
    # BLAS writes into a small reused buffer: writing its output straight into
    # ``gates[t]`` (fresh memory every step) made the product 1.5x slower
    rec = np.empty((B, G), dtype=xp.dtype)
    # float32: every gate is c0 + s * tanh(s * a) (sigmoid: s = c0 = 1/2;
    # g: s = 1, c0 = 0), so a row is activated in one vectorised loop
    sc = np.full(G, 0.5, dtype=xp.dtype)
    c0 = np.full(G, 0.5, dtype=xp.dtype)
    sc[2 * H:3 * H] = 1
    c0[2 * H:3 * H] = 0
    f32 = xp.itemsize == 4
    for t in range(T):
        np.dot(hs[t], w_hh_t, rec)
        for b in range(B):
            a = gates[t, b]
            if t < lengths[b]:
                x, r = xp[t, b], rec[b]
                if f32:
                    for j in range(G):
                        a[j] = c0[j] + sc[j] * _tanh32(sc[j] * (x[j] + r[j]))
                else:
                    for j in range(G):
                        a[j] = x[j] + r[j]
                    _gates(a, H)
                c, cp, h = cs[t + 1, b], cs[t, b], hs[t + 1, b]
                # one loop for c and h (short rows: loop set-up is the cost)
                if f32:
                    for j in range(H):
                        cj = a[H + j] * cp[j] + a[j] * a[2 * H + j]
                        c[j] = cj
                        h[j] = a[3 * H + j] * _tanh32(cj)
                else:
                    for j in range(H):
                        cj = a[H + j] * cp[j] + a[j] * a[2 * H + j]
                        c[j] = cj
                        h[j] = a[3 * H + j] * _tanh64(cj)
            else:
                for j in range(H):
                    cs[t + 1, b, j] = cs[t, b, j]
                    hs[t + 1, b, j] = hs[t, b, j]
                for j in range(G):
                    a[j] = 0


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
    full = True
    for b in range(B):
        if lengths[b] < T:
            full = False
    rec = np.empty((B, H), dtype=dhs.dtype)
    gh = np.empty(H, dtype=dhs.dtype)
    tc = np.empty(H, dtype=dhs.dtype)
    one = np.ones(1, dtype=dhs.dtype)[0]  # a ``1`` of the array dtype (no float64 promotion)
    f32 = dhs.itemsize == 4
    for t in range(T - 1, -1, -1):
        for b in range(B):
            d = dxp[t, b]
            if t < lengths[b]:
                # many short passes, each touching at most four arrays, so
                # that LLVM's runtime alias checks stay under its threshold
                # and every pass vectorises (fused passes ran 1.3-1.7x slower)
                a, cn, cp = gates[t, b], cs[t + 1, b], cs[t, b]
                dsb, dhb, gc = dhs[t, b], dh[b], dc[b]
                ai, af, ag, ao = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
                di, df, dg, do = d[:H], d[H:2 * H], d[2 * H:3 * H], d[3 * H:]
                for j in range(H):
                    gh[j] = dsb[j] + dhb[j]
                if f32:
                    for j in range(H):
                        tc[j] = _tanh32(cn[j])
                else:
                    for j in range(H):
                        tc[j] = _tanh64(cn[j])
                for j in range(H):
                    gc[j] += gh[j] * ao[j] * (one - tc[j] * tc[j])
                for j in range(H):
                    o = ao[j]
                    do[j] = gh[j] * tc[j] * o * (one - o)
                for j in range(H):
                    i = ai[j]
                    g = ag[j]
                    di[j] = gc[j] * g * i * (one - i)
                for j in range(H):
                    f = af[j]
                    df[j] = gc[j] * cp[j] * f * (one - f)
                for j in range(H):
                    i = ai[j]
                    g = ag[j]
                    dg[j] = gc[j] * i * (one - g * g)
                for j in range(H):
                    gc[j] = gc[j] * af[j]
            else:
                for j in range(4 * H):
                    d[j] = 0
        if full:
            np.dot(dxp[t], w_hh, dh)
        else:
            np.dot(dxp[t], w_hh, rec)
            for b in range(B):
                if t < lengths[b]:
                    for j in range(H):
                        dh[b, j] = rec[b, j]


@kernel
def infer(xp, w_hh_t, lengths, hs, c):
    """Forward pass for prediction: like :func:`forward`, but stores neither
    the gates nor every cell state (less memory traffic; compiled only when a
    model predicts).

    xp : (T, B, 4H) input projection with both biases added.
    w_hh_t : (H, 4H) transposed recurrent weights.
    hs : (T+1, B, H) output; ``hs[0]`` holds the initial state.
    c : (B, H) in: initial cell state; out: final cell state.
    """
    T, B, G = xp.shape
    H = G // 4
    rec = np.empty((B, G), dtype=xp.dtype)
    sc = np.full(G, 0.5, dtype=xp.dtype)
    c0 = np.full(G, 0.5, dtype=xp.dtype)
    sc[2 * H:3 * H] = 1
    c0[2 * H:3 * H] = 0
    f32 = xp.itemsize == 4
    for t in range(T):
        np.dot(hs[t], w_hh_t, rec)
        for b in range(B):
            h, hp = hs[t + 1, b], hs[t, b]
            if t < lengths[b]:
                x, a, cb = xp[t, b], rec[b], c[b]
                if f32:
                    for j in range(G):
                        a[j] = c0[j] + sc[j] * _tanh32(sc[j] * (x[j] + a[j]))
                    for j in range(H):
                        cj = a[H + j] * cb[j] + a[j] * a[2 * H + j]
                        cb[j] = cj
                        h[j] = a[3 * H + j] * _tanh32(cj)
                else:
                    for j in range(G):
                        a[j] = x[j] + a[j]
                    _gates(a, H)
                    for j in range(H):
                        cj = a[H + j] * cb[j] + a[j] * a[2 * H + j]
                        cb[j] = cj
                        h[j] = a[3 * H + j] * _tanh64(cj)
            else:
                for j in range(H):
                    h[j] = hp[j]
