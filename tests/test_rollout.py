"""The autoregressive rollout: stepping with a carried state is the same
computation as one pass over the whole fed-back sequence; windowed stepping
re-reads exactly the last ``window`` inputs."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNRegressor
from skrnn._nn.network import Network
from skrnn._nn.params import Architecture, Layout, initialize
from skrnn._nn.rollout import rollout

D, K, H = 3, 3, 5


def make_net(cell, num_layers=2, bidirectional=False, seed=0):
    arch = Architecture(cell, D, H, K, num_layers=num_layers, bidirectional=bidirectional)
    flat = initialize(Layout(arch), np.random.RandomState(seed), np.float64)
    flat += np.random.RandomState(seed + 1).normal(scale=0.3, size=flat.size)  # non-zero biases too
    return arch, flat


def feedback_fn(M):
    return lambda k, logits: np.tanh(logits @ M)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_stateful_rollout_equals_one_pass_over_the_fed_back_sequence(cell):
    arch, flat = make_net(cell)
    rng = np.random.default_rng(0)
    T, B, n = 6, 3, 5
    lengths = np.array([6, 2, 4])
    prompt = rng.normal(size=(T, B, D)) * (np.arange(T)[:, None] < lengths)[:, :, None]
    M = rng.normal(size=(K, D))
    net = Network(arch, "identity", sequence_output=True)
    logits, inputs, state = rollout(net, flat, prompt, lengths, n, feedback_fn(M))
    assert logits.shape == (n, B, K) and inputs.shape == (n, B, D)
    for b in range(B):
        L = lengths[b]
        full = np.concatenate([prompt[:L, b], inputs[:-1, b]])[:, None]
        want = net.forward(flat, full, np.array([len(full)]))["logits"][L - 1:, 0]
        assert_allclose(logits[:, b], want, rtol=1e-10, atol=1e-12)
        assert_allclose(inputs[:, b], np.tanh(want @ M), rtol=1e-10, atol=1e-12)
    # continuing from the returned state with the last fed input = one longer rollout
    more, _, _ = rollout(net, flat, inputs[-1:], np.ones(B, dtype=np.int64), 2, feedback_fn(M),
                         initial_state=state)
    longer, _, _ = rollout(net, flat, prompt, lengths, n + 2, feedback_fn(M))
    assert_allclose(more, longer[n:], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_windowed_rollout_rereads_the_last_window(bidirectional):
    arch, flat = make_net("gru", num_layers=1, bidirectional=bidirectional)
    rng = np.random.default_rng(1)
    T, B, n, W = 4, 2, 6, 3
    prompt = rng.normal(size=(T, B, D))
    M = rng.normal(size=(K, D))
    net = Network(arch, "identity")
    logits, inputs, _ = rollout(net, flat, prompt, np.full(B, T), n, feedback_fn(M), window=W)
    history = list(prompt)
    for k in range(n):
        x = np.stack(history[-W:])
        z = net.forward(flat, x, np.full(B, W))["logits"]
        assert_allclose(logits[k], z, rtol=1e-12)
        history.append(np.tanh(z @ M))
    if bidirectional:
        with pytest.raises(ValueError, match="bidirectional"):
            rollout(net, flat, prompt, np.full(B, T), n, feedback_fn(M))


def test_regressor_rollout_continues_a_sine():
    """A one-step regressor on windows of a sine, rolled out by feeding back its
    predictions (what the forecaster's recursive strategy does)."""
    t = np.arange(400) * 0.3
    s = np.sin(t)
    W = 12
    X = np.lib.stride_tricks.sliding_window_view(s[:-1], W)
    y = s[W:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # scale_input=False: the rollout below feeds raw values to the bare network
        reg = RNNRegressor(hidden_size=16, max_iter=60, random_state=0, scale_input=False).fit(X, y)
    net = Network(reg._arch, "identity")
    scale, mean = reg._y_scale[0], reg._y_mean[0]
    prompt = s[-W:].reshape(W, 1, 1)

    def feedback(k, z):
        return z * scale + mean  # the prediction, on the input scale, is the next input

    _, fed, _ = rollout(net, reg._flat, prompt, np.array([W]), 20, feedback, window=W)
    truth = np.sin((400 + np.arange(20)) * 0.3)
    assert np.abs(fed[:, 0, 0] - truth).max() < 0.15
