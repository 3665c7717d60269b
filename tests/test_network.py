"""Network bookkeeping: reused work buffers and cached views never leak state
between calls, threads or dtypes."""

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skrnn._nn.heads import activate
from skrnn._nn.network import Network
from skrnn._nn.params import Architecture

CELLS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]
D, H, K = 3, 3, 2


def make_arch(cell_id, num_layers=2, bidirectional=True):
    cell, _, act = cell_id.partition("-")
    return Architecture(cell, D, H, K, num_layers=num_layers, bidirectional=bidirectional, activation=act or "tanh")


def make_batch(rng, net, T, B, dtype=np.float64):
    lengths = rng.integers(1, T + 1, size=B)
    lengths[0] = T
    X = rng.normal(size=(T, B, D)) * (np.arange(T)[:, None] < lengths[None, :])[:, :, None]
    Y = rng.normal(size=(T, B, K) if net.sequence_output else (B, K))
    flat = rng.uniform(-0.5, 0.5, size=net.layout.size)
    return flat.astype(dtype), X.astype(dtype), lengths, Y.astype(dtype), rng.uniform(0.5, 2, size=B).astype(dtype)


def fresh_loss_grad(net, flat, X, lengths, Y, sw):
    """The same computation on a brand-new Network (no cached buffers or views)."""
    new = Network(net.arch, net.head, net.sequence_output)
    grad = np.empty_like(flat)
    return new.loss_grad(flat, grad, X, lengths, Y, sw, alpha=0.1), grad


@pytest.mark.parametrize(("cell_id", "sequence_output"), list(itertools.product(CELLS, [False, True])))
def test_repeated_calls_match_a_fresh_network(cell_id, sequence_output):
    net = Network(make_arch(cell_id), "identity", sequence_output)
    rng = np.random.default_rng(0)
    # Same shape twice (buffers reused), another shape, more parameter buffers
    # than the views cache holds, then the first shape again.
    shapes = [(4, 3), (4, 3), (5, 2), (4, 3)] + [(3, 2)] * 10 + [(4, 3)]
    for T, B in shapes:
        flat, X, lengths, Y, sw = make_batch(rng, net, T, B)
        grad = np.full_like(flat, np.nan)
        loss = net.loss_grad(flat, grad, X, lengths, Y, sw, alpha=0.1)
        want_loss, want_grad = fresh_loss_grad(net, flat, X, lengths, Y, sw)
        assert loss == want_loss
        assert_array_equal(grad, want_grad)
        assert_array_equal(net.predict(flat, X, lengths), activate("identity", net.forward(flat, X, lengths)["logits"]))


@pytest.mark.parametrize("cell_id", CELLS)
def test_parameters_changed_in_place_are_seen(cell_id):
    net = Network(make_arch(cell_id), "softmax")
    rng = np.random.default_rng(1)
    flat, X, lengths, _, sw = make_batch(rng, net, 4, 3)
    Y = np.eye(K)[rng.integers(0, K, size=3)]
    grad = np.empty_like(flat)
    net.loss_grad(flat, grad, X, lengths, Y, sw)
    flat[:] = rng.uniform(-0.5, 0.5, size=flat.size)  # same object, new values (an optimiser step)
    loss = net.loss_grad(flat, grad, X, lengths, Y, sw, alpha=0.1)
    want_loss, want_grad = fresh_loss_grad(net, flat, X, lengths, Y, sw)
    assert loss == want_loss
    assert_array_equal(grad, want_grad)


@pytest.mark.parametrize("cell_id", CELLS)
def test_forward_cache_survives_later_calls(cell_id):
    net = Network(make_arch(cell_id), "sigmoid", sequence_output=True)
    rng = np.random.default_rng(2)
    flat, X, lengths, _, sw = make_batch(rng, net, 4, 3)
    Y = rng.integers(0, 2, size=(4, 3, K)).astype(np.float64)
    cache = net.forward(flat, X, lengths)
    _, dz = net.loss(cache, Y, sw)
    g_before = np.empty_like(flat)
    dX_before, ds_before = net.backward(flat, g_before, cache, dz)
    # Other batches of the same shape through the buffer-reusing paths.
    for _ in range(2):
        flat2, X2, lengths2, _, sw2 = make_batch(rng, net, 4, 3)
        net.loss_grad(flat2, np.empty_like(flat2), X2, lengths2, Y, sw2)
        net.predict(flat2, X2, lengths2)
    g_after = np.empty_like(flat)
    dX_after, ds_after = net.backward(flat, g_after, cache, dz)
    assert_array_equal(g_after, g_before)
    assert_array_equal(dX_after, dX_before)
    assert_array_equal(ds_after, ds_before)


@pytest.mark.parametrize("sequence_output", [False, True])
@pytest.mark.parametrize("head", ["softmax", "sigmoid", "identity"])
def test_no_sample_weight_means_equal_weights(head, sequence_output):
    net = Network(make_arch("gru"), head, sequence_output)
    rng = np.random.default_rng(3)
    flat, X, lengths, Y, _ = make_batch(rng, net, 5, 4)
    if head != "identity":
        Y = (Y > 0).astype(np.float64)
        if head == "softmax":
            Y = np.eye(K)[Y[..., 0].astype(int)]
    g_none, g_ones = np.empty_like(flat), np.empty_like(flat)
    loss_none = net.loss_grad(flat, g_none, X, lengths, Y)
    loss_ones = net.loss_grad(flat, g_ones, X, lengths, Y, np.full(4, 3.0))
    assert_allclose(loss_none, loss_ones, rtol=1e-13)
    assert_allclose(g_none, g_ones, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cell_id", CELLS)
def test_threads_do_not_share_work_buffers(cell_id):
    net = Network(make_arch(cell_id), "identity", sequence_output=True)
    rng = np.random.default_rng(4)
    batches = [make_batch(rng, net, 5, 3) for _ in range(6)]

    def run(batch):
        flat, X, lengths, Y, sw = batch
        out = []
        for _ in range(20):
            grad = np.empty_like(flat)
            out.append((net.loss_grad(flat, grad, X, lengths, Y, sw, alpha=0.1), grad))
        return out

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, batches))
    for batch, runs in zip(batches, results, strict=True):
        want_loss, want_grad = fresh_loss_grad(net, *batch)
        for loss, grad in runs:
            assert_allclose(loss, want_loss, rtol=1e-13)
            assert_allclose(grad, want_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("cell_id", "sequence_output"), list(itertools.product(CELLS, [False, True])))
def test_float32_matches_float64(cell_id, sequence_output):
    net = Network(make_arch(cell_id), "identity", sequence_output)
    flat, X, lengths, Y, sw = make_batch(np.random.default_rng(5), net, 5, 4)
    g64 = np.empty_like(flat)
    loss64 = net.loss_grad(flat, g64, X, lengths, Y, sw, alpha=0.1)
    f32 = [a.astype(np.float32) for a in (flat, X, Y, sw)]
    g32 = np.empty_like(f32[0])
    loss32 = net.loss_grad(f32[0], g32, f32[1], lengths, f32[2], f32[3], alpha=0.1)
    assert g32.dtype == np.float32
    assert_allclose(loss32, loss64, rtol=1e-5)
    assert np.linalg.norm(g32 - g64) <= 1e-5 * np.linalg.norm(g64)
    assert net.predict(f32[0], f32[1], lengths).dtype == np.float32


@pytest.mark.parametrize(("cell_id", "sequence_output"), list(itertools.product(CELLS, [False, True])))
def test_predict_in_time_blocks_matches_forward(cell_id, sequence_output):
    """predict projects the input a few steps at a time (state carried across blocks, lengths relative
    to each block); with one-step and three-step blocks it equals the whole-sequence forward pass."""
    rng = np.random.default_rng(5)
    for block_bytes in (1, 3 * 3 * 4 * H * 8):
        net = Network(make_arch(cell_id), "identity", sequence_output)
        net._INFER_BLOCK_BYTES = block_bytes
        flat, X, lengths, _, _ = make_batch(rng, net, 7, 3)
        assert_array_equal(net.predict(flat, X, lengths), net.forward(flat, X, lengths)["logits"])


@pytest.mark.parametrize("cell_id", CELLS)
def test_weight_gradients_in_row_blocks_match_one_product(cell_id):
    """Large layers' weight gradients are sums of products over blocks of rows
    (OpenBLAS's small-matrix kernel, ``Network._SMALL_GEMM``); forced here onto a
    small network, with a last, shorter block, they equal the one-product ones."""
    net = Network(make_arch(cell_id), "identity")
    rng = np.random.default_rng(3)
    flat, X, lengths, Y, sw = make_batch(rng, net, 9, 10)  # 90 rows: one block of 64 and one of 26
    want = np.empty_like(flat)
    want_loss = net.loss_grad(flat, want, X, lengths, Y, sw)
    G = net.arch.gates * H
    blocked = Network(net.arch, net.head)
    grad = np.full_like(flat, np.nan)
    for K_in in (H, H + D + 1, 2 * H + H + 1):  # the LSTM's [h|x|1] widths (layer 1 reads both directions)
        blocked._SMALL_GEMM = 64 * K_in * G
        loss = blocked.loss_grad(flat, grad, X, lengths, Y, sw)
        assert loss == want_loss
        assert_allclose(grad, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("N", [1, 63, 64, 65, 200])
@pytest.mark.parametrize("rows", [1, 64, 1000])
def test_at_b_kernel_matches_numpy(N, rows):
    from skrnn._nn.kernels import linalg

    rng = np.random.default_rng(N)
    a, d = rng.normal(size=(N, 5)), rng.normal(size=(N, 7))
    out, tmp = np.full((5, 7), np.nan), np.empty((5, 7))
    linalg.at_b(a, d, out, tmp, rows)
    assert_allclose(out, a.T @ d, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("lengths", [[5, 5, 5], [5, 1, 3, 4], [2]])
def test_time_reversal_reverses_each_sequence_within_its_length(lengths):
    from skrnn._nn.network import _gather_time, reverse_rows

    lengths = np.array(lengths)
    T, B = 5, len(lengths)
    a = np.random.default_rng(0).normal(size=(T, B, 3))
    rows = reverse_rows(lengths, T)
    got = _gather_time(a, rows)
    for b, n in enumerate(lengths):
        assert_array_equal(got[:n, b], a[:n, b][::-1])  # the valid steps, last first
        assert_array_equal(got[n:, b], a[n:, b])  # the padding stays where it was
    assert_array_equal(_gather_time(got, rows), a)  # an involution
    assert not np.shares_memory(got, a)
