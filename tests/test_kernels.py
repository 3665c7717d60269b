"""The Numba time-loop kernels against their NumPy twins in ``_reference``."""

import _reference as ref
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skrnn._nn.kernels import KERNELS
from skrnn._nn.params import GATES

CELLS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]
DTYPES = [np.float64, np.float32]
# (T, H, lengths); B = len(lengths).  Covers B=1, T=1, H=1, lengths 1 and T.
SHAPES = [
    (1, 1, [1]),
    (1, 2, [1, 1, 1]),
    (5, 3, [5]),
    (5, 2, [1]),
    (4, 1, [4, 1, 2]),
    (6, 3, [1, 6, 3, 6]),
    (7, 4, [2, 7, 1, 5, 7]),
    (3, 17, [3, 1, 2, 3, 3, 2, 1, 3, 3]),  # wider than any vector register
]
SHAPE_IDS = [f"T{T}-H{H}-L{'_'.join(map(str, lengths))}" for T, H, lengths in SHAPES]

TWINS = {
    "rnn": (ref.rnn_forward, ref.rnn_backward),
    "lstm": (ref.lstm_forward, ref.lstm_backward),
    "gru": (ref.gru_forward, ref.gru_backward),
}


def tol(dtype):
    return {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-5, "atol": 2e-6}


def split(cell_id):
    cell, _, act = cell_id.partition("-")
    return cell, act == "relu"


def kernel_pair(cell):
    module = KERNELS[cell]
    return module.forward, module.backward


def make_inputs(rng, cell, T, H, lengths, dtype):
    B, G = len(lengths), GATES[cell] * H
    return {
        "xp": rng.normal(size=(T, B, G)).astype(dtype),
        "w_hh": (0.8 / np.sqrt(H) * rng.normal(size=(G, H))).astype(dtype),
        "b_hh": (0.5 * rng.normal(size=G)).astype(dtype),
        "lengths": np.asarray(lengths, dtype=np.int64),
        "h0": (0.5 * rng.normal(size=(B, H))).astype(dtype),
        "c0": rng.normal(size=(B, H)).astype(dtype),
    }


def lstm_fused(inp):
    """The LSTM kernels' ``z = [h | x | 1]`` and ``[W_hh^T; W_ih^T; b]`` for the input projection
    ``xp``: ``x = xp`` read through an identity ``W_ih`` and a zero bias, so the pre-activations are
    exactly ``xp + h W_hh^T`` (NaN past ``z[0]``'s state, which the kernel writes)."""
    xp, w_hh = inp["xp"], inp["w_hh"]
    T, B, G = xp.shape
    H = w_hh.shape[1]
    z = np.full((T + 1, B, H + G + 1), np.nan, dtype=xp.dtype)
    z[0, :, :H] = inp["h0"]
    z[:T, :, H:H + G] = xp
    z[:, :, H + G] = 1
    w_cat_t = np.concatenate([w_hh.T, np.eye(G), np.zeros((1, G))]).astype(xp.dtype)
    return z, w_cat_t


def run_forward(cell, relu, forward, inp):
    """Call a forward kernel (or twin) on fresh NaN-filled output buffers."""
    xp, w_hh, lengths = inp["xp"], inp["w_hh"], inp["lengths"]
    T, B, G = xp.shape
    H = w_hh.shape[1]
    w_t = np.ascontiguousarray(w_hh.T)
    hs = np.full((T + 1, B, H), np.nan, dtype=xp.dtype)
    hs[0] = inp["h0"]
    out = {"hs": hs}
    if cell == "rnn":
        forward(xp, w_t, lengths, relu, hs)
    elif cell == "lstm":
        z, w_cat_t = lstm_fused(inp)
        out["cs"] = np.full_like(hs, np.nan)
        out["cs"][0] = inp["c0"]
        out["gates"] = np.full_like(xp, np.nan)
        forward(z, w_cat_t, lengths, out["cs"], out["gates"])
        hs[1:] = z[1:, :, :H]
    else:
        out["gates"] = np.full_like(xp, np.nan)
        out["hn"] = np.full((T, B, H), np.nan, dtype=xp.dtype)
        forward(xp, w_t, inp["b_hh"], lengths, hs, out["gates"], out["hn"])
    return out


def run_backward(cell, relu, backward, fwd, inp, dhs, dh_T, dc_T):
    """Call a backward kernel (or twin); returns dxp, dhp, dh0 (and dc0)."""
    w_hh, lengths = inp["w_hh"], inp["lengths"]
    dh = dh_T.copy()
    dxp = np.full(inp["xp"].shape, np.nan, dtype=dhs.dtype)
    out = {"dxp": dxp, "dh0": dh}
    if cell == "rnn":
        backward(fwd["hs"], w_hh, lengths, relu, dhs, dh, dxp)
    elif cell == "lstm":
        out["dc0"] = dc_T.copy()
        backward(fwd["cs"], fwd["gates"], w_hh, lengths, dhs, dh, out["dc0"], dxp)
    else:
        out["dhp"] = np.full_like(dxp, np.nan)
        backward(fwd["hs"], fwd["gates"], fwd["hn"], w_hh, lengths, dhs, dh, dxp, out["dhp"])
    return out


def valid(lengths, T):
    """``(T, B)`` True at valid steps."""
    return np.arange(T)[:, None] < np.asarray(lengths)[None, :]


def backward_inputs(rng, cell, relu, T, H, lengths, dtype):
    """Forward state from the twin (cast to ``dtype``), and upstream gradients
    with garbage at padded steps (which the kernels must ignore)."""
    inp = make_inputs(rng, cell, T, H, lengths, dtype)
    fwd = run_forward(cell, relu, TWINS[cell][0], inp)
    B = len(lengths)
    dhs = rng.normal(size=(T, B, H)).astype(dtype)
    dh_T = rng.normal(size=(B, H)).astype(dtype)
    dc_T = rng.normal(size=(B, H)).astype(dtype)
    return inp, fwd, dhs, dh_T, dc_T


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("cell_id", CELLS)
def test_forward_matches_twin(cell_id, dtype, shape):
    cell, relu = split(cell_id)
    T, H, lengths = shape
    inp = make_inputs(np.random.default_rng(0), cell, T, H, lengths, dtype)
    frozen = {k: v.copy() for k, v in inp.items()}
    got = run_forward(cell, relu, kernel_pair(cell)[0], inp)
    want = run_forward(cell, relu, TWINS[cell][0], inp)
    for k in inp:
        assert_array_equal(inp[k], frozen[k], err_msg=f"kernel modified its input {k}")
    assert got["hs"].dtype == dtype
    assert_allclose(got["hs"], want["hs"], **tol(dtype))
    if cell == "lstm":
        assert_allclose(got["cs"], want["cs"], **tol(dtype))
    m = valid(lengths, T)
    for k in ("gates", "hn"):
        if k in want:
            assert_allclose(got[k][m], want[k][m], **tol(dtype), err_msg=k)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("cell_id", CELLS)
def test_backward_matches_twin(cell_id, dtype, shape):
    cell, relu = split(cell_id)
    T, H, lengths = shape
    inp, fwd, dhs, dh_T, dc_T = backward_inputs(np.random.default_rng(1), cell, relu, T, H, lengths, dtype)
    dhs_before = dhs.copy()
    got = run_backward(cell, relu, kernel_pair(cell)[1], fwd, inp, dhs, dh_T, dc_T)
    want = run_backward(cell, relu, TWINS[cell][1], fwd, inp, dhs, dh_T, dc_T)
    assert_array_equal(dhs, dhs_before, err_msg="kernel modified dhs")
    assert got.keys() == want.keys()
    for k in want:
        assert got[k].dtype == dtype
        assert_allclose(got[k], want[k], **tol(dtype), err_msg=k)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("cell_id", CELLS)
def test_padded_steps_carry_state_and_ignore_input(cell_id, dtype):
    cell, relu = split(cell_id)
    T, H, lengths = 6, 3, [1, 6, 3, 4]
    rng = np.random.default_rng(2)
    inp = make_inputs(rng, cell, T, H, lengths, dtype)
    clean = run_forward(cell, relu, kernel_pair(cell)[0], inp)
    pad = ~valid(lengths, T)
    for b, L in enumerate(lengths):
        for t in range(L, T):
            assert_array_equal(clean["hs"][t + 1, b], clean["hs"][t, b])
            if cell == "lstm":
                assert_array_equal(clean["cs"][t + 1, b], clean["cs"][t, b])
    # Garbage in the input projection at padded steps changes nothing.
    dirty_inp = dict(inp, xp=inp["xp"].copy())
    dirty_inp["xp"][pad] = 1e3 * rng.normal(size=dirty_inp["xp"][pad].shape)
    dirty = run_forward(cell, relu, kernel_pair(cell)[0], dirty_inp)
    assert_array_equal(dirty["hs"], clean["hs"])
    if cell == "lstm":
        assert_array_equal(dirty["cs"], clean["cs"])


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("cell_id", CELLS)
def test_padded_step_gradients_are_zero(cell_id, dtype):
    cell, relu = split(cell_id)
    T, H, lengths = 6, 3, [1, 6, 3, 4]
    rng = np.random.default_rng(3)
    inp, fwd, dhs, dh_T, dc_T = backward_inputs(rng, cell, relu, T, H, lengths, dtype)
    got = run_backward(cell, relu, kernel_pair(cell)[1], fwd, inp, dhs, dh_T, dc_T)
    pad = ~valid(lengths, T)
    assert pad.any() and (~pad).any()
    for k in ("dxp", "dhp"):
        if k in got:
            assert_array_equal(got[k][pad], 0.0, err_msg=k)
            assert np.any(got[k][~pad] != 0), f"{k}: no gradient at valid steps"
    # Garbage upstream gradient at padded steps is ignored.
    dirty_dhs = dhs.copy()
    dirty_dhs[pad] = 1e3 * rng.normal(size=dirty_dhs[pad].shape)
    dirty = run_backward(cell, relu, kernel_pair(cell)[1], fwd, inp, dirty_dhs, dh_T, dc_T)
    for k in got:
        assert_array_equal(dirty[k], got[k], err_msg=k)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("cell_id", CELLS)
def test_appended_padding_changes_nothing(cell_id, dtype):
    """Appending zero-filled padded steps leaves states and gradients as they were."""
    cell, relu = split(cell_id)
    T, H, lengths, extra = 4, 3, [4, 1, 3], 3
    rng = np.random.default_rng(4)
    inp, fwd, dhs, dh_T, dc_T = backward_inputs(rng, cell, relu, T, H, lengths, dtype)
    dhs[~valid(lengths, T)] = 0
    forward, backward = kernel_pair(cell)
    short = run_forward(cell, relu, forward, inp)
    long_inp = dict(inp, xp=np.concatenate([inp["xp"], np.zeros((extra,) + inp["xp"].shape[1:], dtype)]))
    long = run_forward(cell, relu, forward, long_inp)
    states = ["hs", "cs"] if cell == "lstm" else ["hs"]
    for k in states:
        assert_allclose(long[k][: T + 1], short[k][: T + 1], rtol=1e-15, atol=0)
        for t in range(T + 1, T + extra + 1):
            assert_array_equal(long[k][t], long[k][T])

    g_short = run_backward(cell, relu, backward, short, inp, dhs, dh_T, dc_T)
    long_dhs = np.concatenate([dhs, np.zeros((extra,) + dhs.shape[1:], dtype)])
    g_long = run_backward(cell, relu, backward, long, long_inp, long_dhs, dh_T, dc_T)
    for k in g_short:
        if k in ("dxp", "dhp"):
            assert_allclose(g_long[k][:T], g_short[k], rtol=1e-15, atol=0, err_msg=k)
            assert_array_equal(g_long[k][T:], 0.0, err_msg=k)
        else:
            assert_allclose(g_long[k], g_short[k], rtol=1e-15, atol=0, err_msg=k)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_infer_matches_twin(cell, dtype, shape):
    """The forward-only kernels give the twin's states (LSTM: and final ``c``)."""
    T, H, lengths = shape
    inp = make_inputs(np.random.default_rng(0), cell, T, H, lengths, dtype)
    frozen = {k: v.copy() for k, v in inp.items()}
    want = run_forward(cell, False, TWINS[cell][0], inp)
    xp, lengths = inp["xp"], inp["lengths"]
    w_t = np.ascontiguousarray(inp["w_hh"].T)
    hs = np.full_like(want["hs"], np.nan)
    hs[0] = inp["h0"]
    if cell == "lstm":
        c = inp["c0"].copy()
        KERNELS[cell].infer(xp, lstm_fused(inp)[1], lengths, hs, c)
        assert_allclose(c, want["cs"][T], **tol(dtype))
    else:
        KERNELS[cell].infer(xp, w_t, inp["b_hh"], lengths, hs)
    for k in inp:
        assert_array_equal(inp[k], frozen[k], err_msg=f"kernel modified its input {k}")
    assert hs.dtype == dtype
    assert_allclose(hs, want["hs"], **tol(dtype))
