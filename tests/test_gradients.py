"""Exact BPTT of :class:`skrnn._nn.network.Network` against central finite
differences (float64) and against the NumPy network twin in ``_reference``."""

import itertools

import _reference as ref
import numpy as np
import pytest
from conftest import network_problem
from numpy.testing import assert_allclose, assert_array_equal

from skrnn._nn.network import Network
from skrnn._nn.params import Architecture

CELLS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]
HEADS = ["softmax", "sigmoid", "identity"]
T, B, D, H, K = 4, 3, 3, 2, 3
LENGTHS = np.array([4, 1, 3], dtype=np.int64)  # ragged: full, 1, in between
EPS = 1e-5  # about the cube root of float64 epsilon: truncation and rounding errors balance
RTOL_FD = 1e-6

GRID = list(itertools.product(CELLS, HEADS, [1, 2], [False, True], [False, True]))


def grid_id(cell_id, head, num_layers, bidirectional, sequence_output):
    return "-".join(
        [cell_id, head, f"L{num_layers}", "bi" if bidirectional else "uni", "m2m" if sequence_output else "m2o"]
    )


GRID_IDS = [grid_id(*g) for g in GRID]


def make_problem(cell_id, head, num_layers, bidirectional, sequence_output, seed=0, pooling="last"):
    """A tiny float64 problem: ragged lengths, sample weights, dropout masks."""
    rng = np.random.default_rng(seed)
    # Parameters of magnitude in [0.05, 0.8], so no finite difference crosses the kink of |w| (l1 penalty).
    arch, net, flat, X, Y, _, sample_weight = network_problem(
        cell_id, head, num_layers, bidirectional, sequence_output, T=T, B=B, D=D, H=H, K=K, lengths=LENGTHS,
        rng=rng, flat=lambda r, n: r.choice([-1.0, 1.0], size=n) * r.uniform(0.05, 0.8, size=n), pooling=pooling)
    out_shape = Y.shape
    Hd = H * arch.num_directions
    keep = 0.75  # dropout p = 0.25, inverted scaling
    masks = {"head": (rng.random(out_shape[:-1] + (Hd if sequence_output else arch.n_readout,)) < keep) / keep}
    if num_layers > 1:
        masks["layers"] = [(rng.random((T, B, Hd)) < keep) / keep for _ in range(num_layers - 1)]
    return {
        "arch": arch,
        "net": net,
        "flat": flat,
        "X": X,
        "Y": Y,
        "masks": masks,
        "sample_weight": sample_weight,
    }


def random_state(rng, arch):
    shape = (arch.num_layers * arch.num_directions, B, H)
    if arch.cell == "lstm":
        return rng.normal(size=shape), rng.normal(size=shape)
    return rng.normal(size=shape)


def central_differences(f, x, pattern=None, eps=EPS):
    """Central differences of the scalar ``f()`` w.r.t. each entry of the array
    ``x``, which ``f`` reads (``x`` is perturbed in place and restored).

    If ``pattern()`` (the ReLU activation pattern) differs between the two
    evaluation points, the difference straddles a kink: that entry is NaN.
    """
    flat = x.reshape(-1)
    assert np.shares_memory(flat, x)
    fd = np.empty(flat.size)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        f_plus, p_plus = f(), pattern() if pattern else None
        flat[i] = orig - eps
        f_minus, p_minus = f(), pattern() if pattern else None
        flat[i] = orig
        if pattern and not np.array_equal(p_plus, p_minus):
            fd[i] = np.nan
        else:
            fd[i] = (f_plus - f_minus) / (2 * eps)
    return fd.reshape(x.shape)


def assert_fd_close(fd, grad, name, rtol=RTOL_FD):
    """Norm-based relative error per tensor over the entries whose finite
    difference is defined; at most a few entries may sit on a ReLU kink."""
    ok = ~np.isnan(fd)
    assert ok.mean() >= 0.9, f"{name}: {np.sum(~ok)} of {ok.size} entries on a ReLU kink"
    diff = np.linalg.norm(fd[ok] - grad[ok])
    scale = max(np.linalg.norm(fd[ok]), np.linalg.norm(grad[ok]))
    assert diff <= rtol * scale or diff == 0, (
        f"{name}: relative error {diff / scale:.3e} (|grad| = {scale:.3e})\nfd   = {fd.ravel()}\ngrad = {grad.ravel()}"
    )


def relu_pattern_fn(p, flat, initial_state=None):
    if p["arch"].activation != "relu":
        return None
    arch, net = p["arch"], p["net"]
    return lambda: ref.relu_pattern(arch, net.layout.views(flat), p["X"], LENGTHS, p["masks"], initial_state)


@pytest.mark.parametrize(("cell_id", "head", "num_layers", "bidirectional", "sequence_output"), GRID, ids=GRID_IDS)
def test_parameter_gradients_finite_differences(cell_id, head, num_layers, bidirectional, sequence_output):
    p = make_problem(cell_id, head, num_layers, bidirectional, sequence_output)
    net, flat = p["net"], p["flat"]
    alpha, l1 = 0.3, 0.05
    args = (p["X"], LENGTHS, p["Y"], p["sample_weight"], alpha, l1, p["masks"])
    grad = np.full_like(flat, np.nan)
    net.loss_grad(flat, grad, *args)
    scratch = np.empty_like(flat)

    def objective():
        return net.loss_grad(flat, scratch, *args)

    pattern = relu_pattern_fn(p, flat)
    views, gviews = net.layout.views(flat), net.layout.views(grad)
    assert set(views) == {name for name, _ in p["arch"].shapes()}
    for name in views:
        fd = central_differences(objective, views[name], pattern)
        assert_fd_close(fd, gviews[name], name)


@pytest.mark.parametrize(("cell_id", "head", "num_layers", "bidirectional", "sequence_output"), GRID, ids=GRID_IDS)
def test_network_matches_twin(cell_id, head, num_layers, bidirectional, sequence_output):
    p = make_problem(cell_id, head, num_layers, bidirectional, sequence_output, seed=1)
    net, flat, arch = p["net"], p["flat"], p["arch"]
    alpha, l1 = 0.2, 0.03
    grad = np.full_like(flat, np.nan)
    loss = net.loss_grad(flat, grad, p["X"], LENGTHS, p["Y"], p["sample_weight"], alpha, l1, p["masks"])
    want_loss, want_grads, *_ = ref.network_objective(
        arch,
        head,
        sequence_output,
        net.layout.views(flat),
        p["X"],
        LENGTHS,
        p["Y"],
        p["sample_weight"],
        alpha,
        l1,
        p["masks"],
    )
    assert_allclose(loss, want_loss, rtol=1e-10)
    got_grads = net.layout.views(grad)
    assert got_grads.keys() == want_grads.keys()
    for name, want in want_grads.items():
        assert_allclose(got_grads[name], want, rtol=1e-10, atol=1e-12, err_msg=name)


STATE_GRID = list(itertools.product(CELLS, [1, 2], [False, True], [False, True]))


@pytest.mark.parametrize(
    ("cell_id", "num_layers", "bidirectional", "sequence_output"),
    STATE_GRID,
    ids=[grid_id(c, "", n, b, s).replace("--", "-") for c, n, b, s in STATE_GRID],
)
def test_input_and_state_gradients(cell_id, num_layers, bidirectional, sequence_output):
    """``Network.backward`` seeded with ``dstate`` returns the gradients of
    ``loss + <dstate, final state>`` w.r.t. the parameters, ``X`` and the
    initial state."""
    head = HEADS[(num_layers + 2 * bidirectional + 4 * sequence_output) % 3]
    p = make_problem(cell_id, head, num_layers, bidirectional, sequence_output, seed=2)
    net, flat, arch, X, masks = p["net"], p["flat"], p["arch"], p["X"], p["masks"]
    rng = np.random.default_rng(3)
    state0, dstate = random_state(rng, arch), random_state(rng, arch)
    lstm = arch.cell == "lstm"

    def objective():
        cache = net.forward(flat, X, LENGTHS, initial_state=state0, masks=masks)
        loss, _ = net.loss(cache, p["Y"], p["sample_weight"])
        final = net.final_state(cache)
        if lstm:
            return loss + np.sum(dstate[0] * final[0]) + np.sum(dstate[1] * final[1])
        return loss + np.sum(dstate * final)

    cache = net.forward(flat, X, LENGTHS, initial_state=state0, masks=masks)
    _, dlogits = net.loss(cache, p["Y"], p["sample_weight"])
    grad = np.full_like(flat, np.nan)
    dX, dstate0 = net.backward(flat, grad, cache, dlogits, dstate=dstate)

    # The twin agrees on everything, final states included.
    want_obj, want_grads, want_dX, want_dstate0, want_final = ref.network_objective(
        arch,
        head,
        sequence_output,
        net.layout.views(flat),
        X,
        LENGTHS,
        p["Y"],
        p["sample_weight"],
        masks=masks,
        initial_state=state0,
        dstate=dstate,
    )
    assert_allclose(objective(), want_obj, rtol=1e-10)
    for name, want in want_grads.items():
        assert_allclose(net.layout.views(grad)[name], want, rtol=1e-10, atol=1e-12, err_msg=name)
    assert_allclose(dX, want_dX, rtol=1e-10, atol=1e-12)

    def parts(state):  # a list of arrays, for both layouts
        return list(state) if lstm else [state]

    for got, want in zip(
        parts(dstate0) + parts(net.final_state(cache)), parts(want_dstate0) + parts(want_final), strict=True
    ):
        assert_allclose(got, want, rtol=1e-10, atol=1e-12)

    # Finite differences.
    pad = ~(np.arange(T)[:, None] < LENGTHS[None, :])
    assert_array_equal(dX[pad], 0.0)
    pattern = relu_pattern_fn(p, flat, state0)
    assert_fd_close(central_differences(objective, X, pattern), dX, "X")
    for i, (s0, ds0) in enumerate(zip(parts(state0), parts(dstate0), strict=True)):
        assert_fd_close(central_differences(objective, s0, pattern), ds0, f"initial state {i}")
    views, gviews = net.layout.views(flat), net.layout.views(grad)
    for name in views:
        assert_fd_close(central_differences(objective, views[name], pattern), gviews[name], name)


DEGENERATE = [(1, 1, 1, 1), (5, 1, 1, 2), (1, 4, 2, 1)]  # (T, B, D, H)


@pytest.mark.parametrize("shape", DEGENERATE, ids=["T1-B1-D1-H1", "T5-B1-D1-H2", "T1-B4-D2-H1"])
@pytest.mark.parametrize("sequence_output", [False, True], ids=["m2o", "m2m"])
@pytest.mark.parametrize("cell_id", CELLS)
def test_degenerate_shapes_match_twin(cell_id, sequence_output, shape):
    T_, B_, D_, H_ = shape
    rng = np.random.default_rng(4)
    cell, _, act = cell_id.partition("-")
    arch = Architecture(cell, D_, H_, 2, num_layers=2, bidirectional=True, activation=act or "tanh")
    net = Network(arch, "identity", sequence_output=sequence_output)
    flat = rng.uniform(-0.8, 0.8, size=net.layout.size)
    lengths = np.full(B_, T_, dtype=np.int64)
    lengths[0] = 1
    X = rng.normal(size=(T_, B_, D_)) * (np.arange(T_)[:, None] < lengths[None, :])[:, :, None]
    Y = rng.normal(size=(T_, B_, 2) if sequence_output else (B_, 2))
    grad = np.full_like(flat, np.nan)
    loss = net.loss_grad(flat, grad, X, lengths, Y, alpha=0.1)
    want_loss, want_grads, *_ = ref.network_objective(
        arch, "identity", sequence_output, net.layout.views(flat), X, lengths, Y, alpha=0.1
    )
    assert_allclose(loss, want_loss, rtol=1e-10)
    for name, want in want_grads.items():
        assert_allclose(net.layout.views(grad)[name], want, rtol=1e-10, atol=1e-12, err_msg=name)


POOL_GRID = list(itertools.product(["mean", "max", "attention", "last_mean"], CELLS, [1, 2], [False, True]))
POOL_IDS = [f"{pool}-{grid_id(c, '', n, b, False)}".replace("--", "-") for pool, c, n, b in POOL_GRID]


@pytest.mark.parametrize(("pooling", "cell_id", "num_layers", "bidirectional"), POOL_GRID, ids=POOL_IDS)
def test_pooled_readout_gradients(pooling, cell_id, num_layers, bidirectional):
    """Mean / max / attention pooling over the valid steps: parameter (attention query included), input and
    initial-state gradients against finite differences, and everything against the twin."""
    head = HEADS[(num_layers + 2 * bidirectional) % 3]
    p = make_problem(cell_id, head, num_layers, bidirectional, False, seed=5, pooling=pooling)
    net, flat, arch, X, masks = p["net"], p["flat"], p["arch"], p["X"], p["masks"]
    assert ("attention.weight" in net.layout.slices) == (pooling == "attention")
    alpha, l1 = 0.2, 0.03
    args = (X, LENGTHS, p["Y"], p["sample_weight"], alpha, l1, masks)
    grad = np.full_like(flat, np.nan)
    loss = net.loss_grad(flat, grad, *args)
    want_loss, want_grads, *_ = ref.network_objective(
        arch, head, False, net.layout.views(flat), X, LENGTHS, p["Y"], p["sample_weight"], alpha, l1, masks
    )
    assert_allclose(loss, want_loss, rtol=1e-10)
    for name, want in want_grads.items():
        assert_allclose(net.layout.views(grad)[name], want, rtol=1e-10, atol=1e-12, err_msg=name)

    scratch = np.empty_like(flat)
    pattern = relu_pattern_fn(p, flat)
    views, gviews = net.layout.views(flat), net.layout.views(grad)
    for name in views:
        fd = central_differences(lambda: net.loss_grad(flat, scratch, *args), views[name], pattern)
        assert_fd_close(fd, gviews[name], name)

    # the input and initial-state gradients of the full backward pass
    state0 = random_state(np.random.default_rng(6), arch)

    def objective():
        cache = net.forward(flat, X, LENGTHS, initial_state=state0, masks=masks)
        return net.loss(cache, p["Y"], p["sample_weight"])[0]

    cache = net.forward(flat, X, LENGTHS, initial_state=state0, masks=masks)
    dX, dstate0 = net.backward(flat, np.empty_like(flat), cache, net.loss(cache, p["Y"], p["sample_weight"])[1])
    pad = ~(np.arange(T)[:, None] < LENGTHS[None, :])
    assert_array_equal(dX[pad], 0.0)
    pattern = relu_pattern_fn(p, flat, state0)
    assert_fd_close(central_differences(objective, X, pattern), dX, "X")
    s0, ds0 = (state0[0], dstate0[0]) if arch.cell == "lstm" else (state0, dstate0)
    assert_fd_close(central_differences(objective, s0, pattern), ds0, "initial state")


@pytest.mark.parametrize("pooling", ["mean", "max", "attention", "last_mean"])
def test_pooling_ignores_padded_steps(pooling):
    """Garbage at padded steps of X changes neither the loss nor the gradient."""
    p = make_problem("gru", "softmax", 2, True, False, seed=7, pooling=pooling)
    net, flat = p["net"], p["flat"]
    pad = ~(np.arange(T)[:, None] < LENGTHS[None, :])
    X2 = p["X"].copy()
    X2[pad] = 1e3
    g1, g2 = np.empty_like(flat), np.empty_like(flat)
    l1 = net.loss_grad(flat, g1, p["X"], LENGTHS, p["Y"], p["sample_weight"])
    l2 = net.loss_grad(flat, g2, X2, LENGTHS, p["Y"], p["sample_weight"])
    assert l1 == l2
    assert_array_equal(g1, g2)
