"""Encoder-decoder: exact gradients through teacher forcing and the state
hand-over (central finite differences, float64), free-running prediction, and
learning an unequal-length mapping."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose
from test_gradients import assert_fd_close, central_differences

from skrnn._encoder_decoder import EncoderDecoder
from skrnn._optim import Adam, clip_gradient
from skrnn._params import Layout, initialize


def problem(cell, num_layers, seed=0):
    rng = np.random.default_rng(seed)
    model = EncoderDecoder(cell, n_features=3, n_outputs=2, hidden_size=3, num_layers=num_layers)
    flat = rng.choice([-1.0, 1.0], size=model.size) * rng.uniform(0.05, 0.8, size=model.size)
    lengths, out_lengths = np.array([4, 1, 3]), np.array([2, 3, 1])  # unequal, ragged both sides
    X = rng.normal(size=(4, 3, 3)) * (np.arange(4)[:, None] < lengths)[:, :, None]
    Y = rng.normal(size=(3, 3, 2)) * (np.arange(3)[:, None] < out_lengths)[:, :, None]
    return model, flat, X, lengths, Y, out_lengths, rng.uniform(0.5, 2.0, size=3)


@pytest.mark.parametrize(("cell", "num_layers"), list(itertools.product(["rnn", "lstm", "gru"], [1, 2])))
def test_gradients_finite_differences(cell, num_layers):
    model, flat, *args = problem(cell, num_layers)
    grad = np.full_like(flat, np.nan)
    model.loss_grad(flat, grad, *args)
    scratch = np.empty_like(flat)
    fd = central_differences(lambda: model.loss_grad(flat, scratch, *args), flat)
    fe, fd_dec = model.split(fd)
    ge, gd = model.split(grad)
    for net, f, g in ((model.enc, fe, ge), (model.dec, fd_dec, gd)):
        for name, v in net.layout.views(g).items():
            want = net.layout.views(f)[name]
            if name.startswith("head") and net is model.enc:
                assert not np.any(v) and not np.any(want)  # the encoder's head is unused
                continue
            assert_fd_close(want, v, name)
    assert np.any(ge), "no gradient reached the encoder"


def test_free_running_prediction_feeds_back_its_own_outputs():
    model, flat, X, lengths, *_ = problem("gru", 2, seed=1)
    out = model.predict(flat, X, lengths, 4)
    fe, fd = model.split(flat)
    state = model.enc.final_state(model.enc.forward(fe, X, lengths))
    teacher = model.dec.forward(fd, model.teacher_inputs(out), np.full(3, 4), initial_state=state)["logits"]
    assert_allclose(out, teacher, rtol=1e-10, atol=1e-12)


def test_learns_every_other_value_backwards():
    """Map x_0..x_{L-1} (L in 2..6) to x_{L-1}, x_{L-3}, ... (length ceil(L/2)): unequal lengths and a
    mapping that needs the whole input before the first output."""
    rng = np.random.default_rng(0)
    model = EncoderDecoder("gru", n_features=1, n_outputs=1, hidden_size=24)
    flat = np.concatenate([initialize(Layout(n.arch), np.random.RandomState(0), np.float64)
                           for n in (model.enc, model.dec)])
    opt, grad = Adam(flat.size, np.float64, 0.01, 0.9, 0.999, 1e-8), np.zeros_like(flat)

    def batch(B):
        L = rng.integers(2, 7, size=B)
        X = rng.uniform(-1, 1, size=(6, B, 1)) * (np.arange(6)[:, None] < L)[:, :, None]
        Lo = (L + 1) // 2
        src = np.clip(L[None, :] - 1 - 2 * np.arange(3)[:, None], 0, None)
        Y = np.take_along_axis(X[:, :, 0], src, axis=0)[:, :, None] * (np.arange(3)[:, None] < Lo)[:, :, None]
        return X, L, Y, Lo

    for _ in range(1500):
        X, L, Y, Lo = batch(32)
        model.loss_grad(flat, grad, X, L, Y, Lo)
        clip_gradient(grad, None, 5.0)
        opt.step(flat, grad)
    X, L, Y, Lo = batch(500)
    pred = model.predict(flat, X, L, 3)
    valid = np.arange(3)[:, None] < Lo
    mse = np.mean((pred[..., 0] - Y[..., 0])[valid] ** 2)
    assert mse < 0.02 * np.mean(Y[..., 0][valid] ** 2), mse
