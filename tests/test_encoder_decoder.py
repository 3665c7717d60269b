"""Encoder-decoder: exact gradients through teacher forcing and the state
hand-over (central finite differences, float64), free-running prediction, and
learning an unequal-length mapping."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose
from test_gradients import assert_fd_close, central_differences

from skrnn._nn.encoder_decoder import EncoderDecoder
from skrnn._nn.optim import Adam, clip_gradient, penalty, weight_runs
from skrnn._nn.params import Layout, initialize
from skrnn._training import Batch


def problem(cell, num_layers, seed=0, decoder_input="feedback"):
    rng = np.random.default_rng(seed)
    model = EncoderDecoder(cell, n_features=3, n_outputs=2, hidden_size=3, num_layers=num_layers,
                           decoder_input=decoder_input, n_steps=3 if decoder_input == "step" else None)
    flat = rng.choice([-1.0, 1.0], size=model.size) * rng.uniform(0.05, 0.8, size=model.size)
    lengths, out_lengths = np.array([4, 1, 3]), np.array([2, 3, 1])  # unequal, ragged both sides
    X = rng.normal(size=(4, 3, 3)) * (np.arange(4)[:, None] < lengths)[:, :, None]
    Y = rng.normal(size=(3, 3, 2)) * (np.arange(3)[:, None] < out_lengths)[:, :, None]
    return model, flat, X, lengths, Y, out_lengths, rng.uniform(0.5, 2.0, size=3)


@pytest.mark.parametrize(("cell", "num_layers", "decoder_input"),
                         list(itertools.product(["rnn", "lstm", "gru"], [1, 2], ["feedback", "step"])))
def test_gradients_finite_differences(cell, num_layers, decoder_input):
    model, flat, *args = problem(cell, num_layers, decoder_input=decoder_input)
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


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_forecaster_configuration_gradients(cell):
    """RNNForecaster(strategy='seq2seq'): step-code decoder, one output per step, every step valid, targets
    packed for fit_epochs, the L2/L1 penalty and encoder dropout masks, through the training loop's objective
    protocol (the loss and gradient it computes, then the penalty it adds)."""
    rng = np.random.default_rng(3)
    model = EncoderDecoder(cell, n_features=2, n_outputs=1, hidden_size=4, num_layers=2, decoder_input="step",
                           n_steps=3)
    runs = weight_runs(model.weight_mask())

    class Objective:  # what skrnn._training.fit_epochs computes for one minibatch
        @staticmethod
        def loss_grad(flat, grad, X, L, Yp, w, alpha=0.0, l1=0.0, masks=None):
            loss, wsum = model.loss_and_grad(flat, grad, Batch(X, L, Yp, w), masks)
            return loss + penalty(flat, grad, alpha, l1, wsum, runs) if alpha or l1 else loss

        @staticmethod
        def loss(cache, Yp, w):
            return model.evaluate(flat, Batch(cache["X"], cache["L"], Yp, w))[0], None

        @staticmethod
        def forward(flat, X, L):
            return {"X": X, "L": L}

    net = Objective()
    flat = rng.choice([-1.0, 1.0], size=model.size) * rng.uniform(0.05, 0.8, size=model.size)
    X, L = rng.normal(size=(5, 3, 2)), np.array([5, 3, 1])
    X[3:, 1] = X[1:, 2] = 0.0
    Yp = np.stack([rng.normal(size=(3, 3)), np.ones((3, 3))], axis=2)
    w = rng.uniform(0.5, 2.0, size=3)
    masks = {"layers": [rng.choice([0.0, 1.25], size=(5, 3, 4))], "head": np.ones((3, 4))}
    args = (X, L, Yp, w, 0.1, 0.01, masks)
    grad = np.full_like(flat, np.nan)
    net.loss_grad(flat, grad, *args)
    assert np.abs(model.split(grad)[0]).max() > 1e-3  # the encoder learns through the decoder's initial state
    scratch = np.empty_like(flat)
    fd = central_differences(lambda: net.loss_grad(flat, scratch, *args), flat)
    for part, f, g in zip((model.enc, model.dec), model.split(fd), model.split(grad), strict=True):
        for name, v in part.layout.views(g).items():
            assert_fd_close(part.layout.views(f)[name], v, name)
    # the data loss alone, as the early-stopping objective computes it
    loss, _ = net.loss(net.forward(flat, X, L), Yp, w)
    assert_allclose(loss, net.loss_grad(flat, scratch, X, L, Yp, w), rtol=1e-12)


def test_step_decoder_predicts_the_teacher_forced_pass():
    model, flat, X, lengths, Y, *_ = problem("lstm", 2, seed=2, decoder_input="step")
    fe, fd = model.split(flat)
    state = model.enc.final_state(model.enc.forward(fe, X, lengths))
    full = model.dec.forward(fd, model.teacher_inputs(Y), np.full(3, 3), initial_state=state)["logits"]
    assert_allclose(model.predict(flat, X, lengths, 2), full[:2], rtol=1e-12)
    with pytest.raises(ValueError, match="at most n_steps=3"):
        model.predict(flat, X, lengths, 4)


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
