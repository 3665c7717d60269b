"""LSTM cell, PyTorch's gate order ``i, f, g, o``::

    i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.)
    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)

The forward kernels run one ``(B, H + D + 1) @ (H + D + 1, 4H)`` product per
step, ``[h_{t-1} | x_t | 1] @ [W_hh^T; W_ih^T; b]``: the input projection
rides in the recurrent product (no ``(T, B, 4H)`` projection written and read
back), and the states live beside the inputs in one buffer ``z``, so that the
weight gradients are one product too.  The backward kernel runs one
``(B, 4H) @ (4H, H)`` product per step.  Each product is followed by
contiguous, vectorisable passes over the ``(B, 4H)`` block.  In float32, ``tanh`` is a
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
def forward(z, w_cat_t, lengths, cs, gates):
    """Run the recurrence.

    z : (T+1, B, H+D+1) states and inputs side by side, ``z[t] = [h_{t-1} | x_t | 1]``.
        On entry ``z[0, :, :H]`` holds the initial state and ``z[:T, :, H:]`` the
        inputs and a column of ones; the kernel writes ``h_t`` into ``z[t+1, :, :H]``.
    w_cat_t : (H+D+1, 4H) ``[W_hh^T; W_ih^T; b_ih + b_hh]``.
    cs : (T+1, B, H) output cell states; ``cs[0]`` holds the initial state.
    gates : (T, B, 4H) output: activated gates, kept for the backward pass.
    """
    T, B, G = gates.shape
    H = G // 4
    # BLAS writes into a small reused buffer: writing its output straight into
    # ``gates[t]`` (fresh memory every step) made the product 1.5x slower
    rec = np.empty((B, G), dtype=z.dtype)
    # float32: every gate is c0 + s * tanh(s * a) (sigmoid: s = c0 = 1/2;
    # g: s = 1, c0 = 0), so a row is activated in one vectorised loop
    sc = np.full(G, 0.5, dtype=z.dtype)
    c0 = np.full(G, 0.5, dtype=z.dtype)
    sc[2 * H:3 * H] = 1
    c0[2 * H:3 * H] = 0
    f32 = z.itemsize == 4
    # a gate's element is indexed at its offset in the row (``H + j``...),
    # never through a (T, B, 4, H) reshaped view: a reshape hands pointers to
    # the arrays' shape and strides to an external helper
    # (``numba_attempt_nocopy_reshape``), after which LLVM reloads them after
    # every store and vectorises few loops (float64 infer 2.8x slower); nor
    # sliced: every slice or row view taken inside the loops costs an atomic
    # incref/decref pair (Numba's reference counting), which took a third of
    # a small backward pass.  The state comes first in z: h_t is
    # z[t + 1, b, j], with no runtime offset
    H2, H3 = 2 * H, 3 * H
    for t in range(T):
        np.dot(z[t], w_cat_t, rec)
        for b in range(B):
            if t < lengths[b]:
                if f32:
                    for j in range(G):
                        gates[t, b, j] = c0[j] + sc[j] * _tanh32(sc[j] * rec[b, j])
                    # one loop for c and h (short rows: loop set-up is the cost)
                    for j in range(H):
                        cj = gates[t, b, H + j] * cs[t, b, j] + gates[t, b, j] * gates[t, b, H2 + j]
                        cs[t + 1, b, j] = cj
                        z[t + 1, b, j] = gates[t, b, H3 + j] * _tanh32(cj)
                else:
                    for j in range(2 * H):
                        gates[t, b, j] = _sigmoid64(rec[b, j])
                    for j in range(H):
                        gates[t, b, H2 + j] = _tanh64(rec[b, H2 + j])
                    for j in range(H):
                        gates[t, b, H3 + j] = _sigmoid64(rec[b, H3 + j])
                    for j in range(H):
                        cj = gates[t, b, H + j] * cs[t, b, j] + gates[t, b, j] * gates[t, b, H2 + j]
                        cs[t + 1, b, j] = cj
                        z[t + 1, b, j] = gates[t, b, H3 + j] * _tanh64(cj)
            else:
                for j in range(H):
                    cs[t + 1, b, j] = cs[t, b, j]
                    z[t + 1, b, j] = z[t, b, j]
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
    full = True
    for b in range(B):
        if lengths[b] < T:
            full = False
    rec = np.empty((B, H), dtype=dhs.dtype)
    gh = np.empty(H, dtype=dhs.dtype)
    tc = np.empty(H, dtype=dhs.dtype)
    one = np.ones(1, dtype=dhs.dtype)[0]  # a ``1`` of the array dtype (no float64 promotion)
    f32 = dhs.itemsize == 4
    # gates indexed at their offsets in the row: no reshaped views, no
    # per-row slices (see forward)
    H2, H3 = 2 * H, 3 * H
    for t in range(T - 1, -1, -1):
        for b in range(B):
            if t < lengths[b]:
                # many short passes, each touching at most four arrays, so
                # that LLVM's runtime alias checks stay under its threshold
                # and every pass vectorises (fused passes ran 1.3-1.7x slower)
                for j in range(H):
                    gh[j] = dhs[t, b, j] + dh[b, j]
                if f32:
                    for j in range(H):
                        tc[j] = _tanh32(cs[t + 1, b, j])
                else:
                    for j in range(H):
                        tc[j] = _tanh64(cs[t + 1, b, j])
                for j in range(H):
                    dc[b, j] += gh[j] * gates[t, b, H3 + j] * (one - tc[j] * tc[j])
                for j in range(H):
                    o = gates[t, b, H3 + j]
                    dxp[t, b, H3 + j] = gh[j] * tc[j] * o * (one - o)
                for j in range(H):
                    i = gates[t, b, j]
                    g = gates[t, b, H2 + j]
                    dxp[t, b, j] = dc[b, j] * g * i * (one - i)
                for j in range(H):
                    f = gates[t, b, H + j]
                    dxp[t, b, H + j] = dc[b, j] * cs[t, b, j] * f * (one - f)
                for j in range(H):
                    i = gates[t, b, j]
                    g = gates[t, b, H2 + j]
                    dxp[t, b, H2 + j] = dc[b, j] * i * (one - g * g)
                for j in range(H):
                    dc[b, j] = dc[b, j] * gates[t, b, H + j]
            else:
                for j in range(4 * H):
                    dxp[t, b, j] = 0
        if full:
            np.dot(dxp[t], w_hh, dh)
        else:
            np.dot(dxp[t], w_hh, rec)
            for b in range(B):
                if t < lengths[b]:
                    for j in range(H):
                        dh[b, j] = rec[b, j]


@kernel
def infer(x, w_cat_t, lengths, hs, c):
    """Forward pass for prediction: the arithmetic of :func:`forward` (so
    predictions equal the training forward pass bit for bit), but it stores
    neither the gates nor every cell state, and builds each step's
    ``[h_{t-1} | x_t | 1]`` row in a small buffer (compiled only when a model
    predicts).

    x : (T, B, D) inputs.
    w_cat_t : (H+D+1, 4H) ``[W_hh^T; W_ih^T; b_ih + b_hh]``.
    hs : (T+1, B, H) output; ``hs[0]`` holds the initial state.
    c : (B, H) in: initial cell state; out: final cell state.
    """
    T, B, D = x.shape
    K, G = w_cat_t.shape
    H = G // 4
    z = np.empty((B, K), dtype=x.dtype)
    rec = np.empty((B, G), dtype=x.dtype)
    sc = np.full(G, 0.5, dtype=x.dtype)
    c0 = np.full(G, 0.5, dtype=x.dtype)
    sc[2 * H:3 * H] = 1
    c0[2 * H:3 * H] = 0
    f32 = x.itemsize == 4
    H2, H3 = 2 * H, 3 * H  # activated in place, gates indexed at their offsets (see forward)
    for b in range(B):
        for j in range(H):
            z[b, j] = hs[0, b, j]
        z[b, H + D] = 1
    for t in range(T):
        for b in range(B):
            for k in range(D):
                z[b, H + k] = x[t, b, k]
        np.dot(z, w_cat_t, rec)
        for b in range(B):
            if t < lengths[b]:
                if f32:
                    for j in range(G):
                        rec[b, j] = c0[j] + sc[j] * _tanh32(sc[j] * rec[b, j])
                    for j in range(H):
                        cj = rec[b, H + j] * c[b, j] + rec[b, j] * rec[b, H2 + j]
                        c[b, j] = cj
                        hj = rec[b, H3 + j] * _tanh32(cj)
                        hs[t + 1, b, j] = hj
                        z[b, j] = hj
                else:
                    for j in range(2 * H):
                        rec[b, j] = _sigmoid64(rec[b, j])
                    for j in range(H):
                        rec[b, H2 + j] = _tanh64(rec[b, H2 + j])
                    for j in range(H):
                        rec[b, H3 + j] = _sigmoid64(rec[b, H3 + j])
                    for j in range(H):
                        cj = rec[b, H + j] * c[b, j] + rec[b, j] * rec[b, H2 + j]
                        c[b, j] = cj
                        hj = rec[b, H3 + j] * _tanh64(cj)
                        hs[t + 1, b, j] = hj
                        z[b, j] = hj
            else:
                for j in range(H):
                    hs[t + 1, b, j] = hs[t, b, j]
