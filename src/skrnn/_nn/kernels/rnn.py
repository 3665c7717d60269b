"""Elman cell: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

Each step is one ``(B, H) @ (H, H)`` product (BLAS) followed by contiguous,
vectorisable passes over the ``(B, H)`` block.  In float32, ``tanh`` is a
rational approximation that LLVM vectorises (max abs error ~3e-7, a few ulp);
float64 uses an exact-to-2-ulp vectorisable ``tanh`` so it matches references
to 1e-10.  The choice is
made on ``itemsize``, a compile-time constant, so each dtype compiles one path.
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
def forward(xp, w_hh_t, lengths, relu, hs):
    """Run the recurrence.

    xp : (T, B, H) input projection with both biases added.
    w_hh_t : (H, H) transposed recurrent weights ``W_hh^T``.
    lengths : (B,) int64.
    relu : bool, ReLU instead of tanh.
    hs : (T+1, B, H) output; ``hs[0]`` holds the initial state on entry.
    """
    T, B, H = xp.shape
    full = B
    for b in range(B):
        if lengths[b] < T:
            full = 0
    # flat (time, B*H) views made once and indexed: a view or a call taking
    # an array inside the time loop costs an atomic incref/decref pair
    # (Numba's reference counting)
    h2 = hs.reshape((T + 1, B * H))
    x2 = xp.reshape((T, B * H))
    f32 = xp.itemsize == 4
    for t in range(T):
        np.dot(hs[t], w_hh_t, hs[t + 1])
        if relu:
            for j in range(B * H):
                a = h2[t + 1, j] + x2[t, j]
                h2[t + 1, j] = a if a > 0 else 0
        elif f32:
            for j in range(B * H):
                h2[t + 1, j] = _tanh32(h2[t + 1, j] + x2[t, j])
        else:
            for j in range(B * H):
                h2[t + 1, j] = _tanh64(h2[t + 1, j] + x2[t, j])
        if full == 0:
            for b in range(B):
                if t >= lengths[b]:
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
    full = B
    for b in range(B):
        if lengths[b] < T:
            full = 0
    rec = np.empty((B, H), dtype=dhs.dtype)
    for t in range(T - 1, -1, -1):
        g = dxp[t].reshape(B * H)
        h = hs[t + 1].reshape(B * H)
        d = dhs[t].reshape(B * H)
        dhf = dh.reshape(B * H)
        if relu:
            for j in range(B * H):
                g[j] = d[j] + dhf[j] if h[j] > 0 else 0
        else:
            for j in range(B * H):
                g[j] = (d[j] + dhf[j]) * (1 - h[j] * h[j])
        if full == 0:
            for b in range(B):
                if t >= lengths[b]:
                    for j in range(H):
                        dxp[t, b, j] = 0
        if full:
            np.dot(dxp[t], w_hh, dh)
        else:
            np.dot(dxp[t], w_hh, rec)
            for b in range(B):
                if t < lengths[b]:
                    for j in range(H):
                        dh[b, j] = rec[b, j]
