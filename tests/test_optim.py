"""Optimiser steps against their closed forms, an independent loop and torch;
gradient clipping."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skrnn._nn.optim import SGD, Adam, clip_gradient

N = 7
DTYPES = [np.float64, np.float32]


def tol(dtype):
    return {"rtol": 1e-12, "atol": 1e-15} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-7}


def draw(rng, dtype, n_steps=1):
    params = rng.normal(size=N).astype(dtype)
    grads = [rng.normal(size=N).astype(dtype) for _ in range(n_steps)]
    return params, grads


# ---------------------------------------------------------------------- Adam


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_first_step_closed_form(dtype):
    """After one step the bias-corrected moments are ``g`` and ``g^2``, so
    ``p1 = p0 - lr * g / (|g| + eps)``."""
    params, (g,) = draw(np.random.default_rng(0), dtype)
    lr, eps = 0.01, 1e-8
    p0 = params.astype(np.float64)
    opt = Adam(N, dtype, learning_rate=lr, beta_1=0.8, beta_2=0.95, epsilon=eps)
    opt.step(params, g)
    g = g.astype(np.float64)
    assert params.dtype == dtype
    assert_allclose(params, p0 - lr * g / (np.abs(g) + eps), **tol(dtype))
    assert opt.t == 1
    assert_allclose(opt.m, (1 - 0.8) * g, **tol(dtype))
    assert_allclose(opt.v, (1 - 0.95) * g * g, **tol(dtype))


def test_adam_second_step_closed_form():
    """Two steps written out: ``m2 = b1 (1 - b1) g1 + (1 - b1) g2``, etc."""
    params, (g1, g2) = draw(np.random.default_rng(1), np.float64, 2)
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    p0 = params.copy()
    opt = Adam(N, np.float64, learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    opt.step(params, g1)
    opt.step(params, g2)
    p1 = p0 - lr * g1 / (np.abs(g1) + eps)
    m2 = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v2 = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    p2 = p1 - lr * (m2 / (1 - b1**2)) / (np.sqrt(v2 / (1 - b2**2)) + eps)
    assert_allclose(params, p2, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_steps_match_loop(dtype):
    """Kingma and Ba (2015), Algorithm 1, one element at a time."""
    params, grads = draw(np.random.default_rng(2), dtype, n_steps=6)
    lr, b1, b2, eps = 0.02, 0.85, 0.99, 1e-7
    want = [float(p) for p in params]
    m, v = [0.0] * N, [0.0] * N
    for t, g in enumerate(grads, start=1):
        for i in range(N):
            m[i] = b1 * m[i] + (1 - b1) * float(g[i])
            v[i] = b2 * v[i] + (1 - b2) * float(g[i]) ** 2
            m_hat = m[i] / (1 - b1**t)
            v_hat = v[i] / (1 - b2**t)
            want[i] -= lr * m_hat / (np.sqrt(v_hat) + eps)
    opt = Adam(N, dtype, learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    for g in grads:
        opt.step(params, g)
    assert opt.t == len(grads)
    assert_allclose(params, want, **tol(dtype))


# ----------------------------------------------------------------------- SGD


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_first_step_closed_form(nesterov, dtype):
    """From zero velocity ``u1 = -lr g``; classical ``p1 = p0 - lr g``,
    Nesterov ``p1 = p0 - (1 + mu) lr g``."""
    params, (g,) = draw(np.random.default_rng(3), dtype)
    lr, mu = 0.1, 0.9
    p0 = params.astype(np.float64)
    opt = SGD(N, dtype, learning_rate=lr, momentum=mu, nesterov=nesterov)
    opt.step(params, g)
    g = g.astype(np.float64)
    want = p0 - (1 + mu) * lr * g if nesterov else p0 - lr * g
    assert params.dtype == dtype
    assert_allclose(params, want, **tol(dtype))
    assert_allclose(opt.velocity, -lr * g, **tol(dtype))


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_second_step_closed_form(nesterov):
    """Classical: ``p2 = p0 - lr g1 - mu lr g1 - lr g2``.
    Nesterov: ``p2 = p0 - (1 + mu) lr g1 - mu^2 lr g1 - (1 + mu) lr g2``."""
    params, (g1, g2) = draw(np.random.default_rng(4), np.float64, 2)
    lr, mu = 0.1, 0.7
    p0 = params.copy()
    opt = SGD(N, np.float64, learning_rate=lr, momentum=mu, nesterov=nesterov)
    opt.step(params, g1)
    opt.step(params, g2)
    if nesterov:
        want = p0 - (1 + mu) * lr * g1 - mu**2 * lr * g1 - (1 + mu) * lr * g2
    else:
        want = p0 - lr * g1 - mu * lr * g1 - lr * g2
    assert_allclose(params, want, rtol=1e-12)
    assert_allclose(opt.velocity, -mu * lr * g1 - lr * g2, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_steps_match_loop(nesterov, dtype):
    """Sutskever et al. (2013) in PyTorch's form: ``b = mu b + g``;
    classical ``p -= lr b``, Nesterov ``p -= lr (g + mu b)``."""
    params, grads = draw(np.random.default_rng(5), dtype, n_steps=6)
    lr, mu = 0.05, 0.8
    want = [float(p) for p in params]
    buf = [0.0] * N
    for g in grads:
        for i in range(N):
            buf[i] = mu * buf[i] + float(g[i])
            want[i] -= lr * ((float(g[i]) + mu * buf[i]) if nesterov else buf[i])
    opt = SGD(N, dtype, learning_rate=lr, momentum=mu, nesterov=nesterov)
    for g in grads:
        opt.step(params, g)
    assert_allclose(params, want, **tol(dtype))


def test_zero_momentum_is_plain_sgd():
    params, grads = draw(np.random.default_rng(6), np.float64, n_steps=3)
    want = params - 0.1 * sum(grads)
    opt = SGD(N, np.float64, learning_rate=0.1, momentum=0.0, nesterov=False)
    for g in grads:
        opt.step(params, g)
    assert_allclose(params, want, rtol=1e-12)


# ------------------------------------------------------------- torch parity


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9)])
def test_adam_matches_torch(betas):
    torch = pytest.importorskip("torch")
    params, grads = draw(np.random.default_rng(7), np.float64, n_steps=8)
    lr, eps = 0.03, 1e-6
    tp = torch.tensor(params.copy(), requires_grad=True)
    topt = torch.optim.Adam([tp], lr=lr, betas=betas, eps=eps)
    opt = Adam(N, np.float64, learning_rate=lr, beta_1=betas[0], beta_2=betas[1], epsilon=eps)
    for g in grads:
        tp.grad = torch.tensor(g)
        topt.step()
        opt.step(params, g)
        assert_allclose(params, tp.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_matches_torch(nesterov):
    torch = pytest.importorskip("torch")
    params, grads = draw(np.random.default_rng(8), np.float64, n_steps=8)
    lr, mu = 0.04, 0.9
    tp = torch.tensor(params.copy(), requires_grad=True)
    topt = torch.optim.SGD([tp], lr=lr, momentum=mu, nesterov=nesterov, dampening=0)
    opt = SGD(N, np.float64, learning_rate=lr, momentum=mu, nesterov=nesterov)
    for g in grads:
        tp.grad = torch.tensor(g)
        topt.step()
        opt.step(params, g)
        assert_allclose(params, tp.detach().numpy(), rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ clipping


def cosine(a, b):
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(5))
def test_clip_norm(seed, dtype):
    rng = np.random.default_rng(seed)
    grad = (10.0 ** rng.uniform(-2, 3) * rng.normal(size=50)).astype(dtype)
    before = grad.copy()
    norm_before = float(np.linalg.norm(before.astype(np.float64)))
    clip = 0.5 * norm_before if seed % 2 == 0 else 2.0 * norm_before
    norm, clipped = clip_gradient(grad, clip_norm=clip)
    assert_allclose(norm, norm_before, **tol(dtype))
    assert clipped == (norm_before > clip)
    after = grad.astype(np.float64)
    assert np.linalg.norm(after) <= clip * (1 + 4 * np.finfo(dtype).eps)
    assert_allclose(cosine(after, before.astype(np.float64)), 1.0, rtol=1e-12 if dtype == np.float64 else 1e-6)
    if clipped:
        assert_allclose(np.linalg.norm(after), clip, **tol(dtype))
    else:
        assert_array_equal(grad, before)


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_value(dtype):
    rng = np.random.default_rng(9)
    grad = (3 * rng.normal(size=200)).astype(dtype)
    before = grad.copy()
    value = 1.5
    assert np.any(np.abs(before) > value) and np.any(np.abs(before) < value)
    norm, clipped = clip_gradient(grad, clip_value=value)
    assert clipped
    assert_allclose(norm, np.linalg.norm(before.astype(np.float64)), **tol(dtype))
    assert np.all(np.abs(grad) <= value)
    assert_array_equal(grad, np.clip(before, -value, value))


def test_clip_value_inactive():
    grad = np.array([0.5, -1.0, 0.99])
    norm, clipped = clip_gradient(grad, clip_value=1.0)
    assert not clipped
    assert_array_equal(grad, [0.5, -1.0, 0.99])
    assert norm == pytest.approx(np.sqrt(0.25 + 1.0 + 0.99**2), rel=1e-15)


@pytest.mark.parametrize(("value", "clip"), [(1.0, 2.0), (1.0, 100.0), (100.0, 2.0), (100.0, 100.0)])
def test_clip_value_then_norm(value, clip):
    """Elementwise clipping first, then rescaling to the norm bound."""
    rng = np.random.default_rng(10)
    grad = 2 * rng.normal(size=30)
    before = grad.copy()
    norm, clipped = clip_gradient(grad, clip_value=value, clip_norm=clip)
    want = np.clip(before, -value, value)
    if np.linalg.norm(want) > clip:
        want *= clip / np.linalg.norm(want)
    assert_allclose(grad, want, rtol=1e-14)
    assert np.all(np.abs(grad) <= value)
    assert np.linalg.norm(grad) <= clip * (1 + 1e-15)
    assert norm == pytest.approx(np.linalg.norm(before), rel=1e-14)
    assert clipped == (not np.array_equal(want, before))


def test_clip_nothing_and_zero_gradient():
    grad = np.array([3.0, -4.0])
    assert clip_gradient(grad) == (5.0, False)
    assert_array_equal(grad, [3.0, -4.0])
    zero = np.zeros(4)
    norm, clipped = clip_gradient(zero, clip_value=1.0, clip_norm=1.0)
    assert (norm, clipped) == (0.0, False)
    assert_array_equal(zero, 0.0)


def test_clip_norm_of_huge_float32_gradient():
    grad = np.full(10, 1e19, dtype=np.float32)
    grad[0] = -3e19
    before = grad.astype(np.float64)
    norm, clipped = clip_gradient(grad, clip_norm=1.0)
    assert clipped
    assert np.isfinite(norm)
    assert_allclose(norm, np.linalg.norm(before), rtol=1e-6)
    assert_allclose(grad, before / np.linalg.norm(before), rtol=1e-5)
