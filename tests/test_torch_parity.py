"""Same weights, same data: skrnn's network equals PyTorch's ``nn.RNN`` /
``nn.LSTM`` / ``nn.GRU`` + ``nn.Linear`` + loss, in float64, to 1e-10."""

import itertools

import numpy as np
import pytest
from conftest import network_problem
from numpy.testing import assert_allclose

from skrnn._nn.heads import activate
from skrnn._nn.network import Network
from skrnn._nn.params import Architecture, Layout

torch = pytest.importorskip("torch")
F = torch.nn.functional
pack_padded_sequence = torch.nn.utils.rnn.pack_padded_sequence
pad_packed_sequence = torch.nn.utils.rnn.pad_packed_sequence

CELLS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]
HEADS = ["softmax", "sigmoid", "identity"]
T, B, D, H, K = 5, 4, 3, 3, 3
LENGTHS = np.array([3, 5, 1, 4], dtype=np.int64)  # unsorted, with 1 and T
TOL = {"rtol": 1e-10, "atol": 1e-12}
MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}

GRID = list(itertools.product(CELLS, HEADS, [1, 2], [False, True], [False, True]))
STATE_GRID = list(itertools.product(CELLS, [1, 2], [False, True], [False, True]))


def grid_id(*args):
    cell_id, *rest = args
    head = rest[0] if len(rest) == 4 else None
    num_layers, bidirectional, sequence_output = rest[-3:]
    parts = [cell_id, head, f"L{num_layers}", "bi" if bidirectional else "uni", "m2m" if sequence_output else "m2o"]
    return "-".join(p for p in parts if p)


def torch_modules(arch):
    kwargs = {"num_layers": arch.num_layers, "bidirectional": arch.bidirectional, "dtype": torch.float64}
    if arch.cell == "rnn":
        kwargs["nonlinearity"] = arch.activation
    rec = MODULES[arch.cell](arch.n_features, arch.hidden_size, **kwargs)
    lin = torch.nn.Linear(arch.n_readout, arch.n_outputs, dtype=torch.float64)
    return rec, lin


def load(layout, flat, rec, lin):
    """skrnn's flat buffer -> torch modules through the state_dict names."""
    sd = {k: torch.from_numpy(v) for k, v in layout.to_state_dict(flat).items()}
    rec.load_state_dict({k: v for k, v in sd.items() if not k.startswith("head.")}, strict=True)
    lin.load_state_dict({k[len("head.") :]: v for k, v in sd.items() if k.startswith("head.")}, strict=True)


def make_problem(cell_id, head, num_layers, bidirectional, sequence_output, seed):
    arch, net, flat, X, Y, valid, sample_weight = network_problem(
        cell_id, head, num_layers, bidirectional, sequence_output, T=T, B=B, D=D, H=H, K=K, lengths=LENGTHS,
        rng=np.random.default_rng(seed), flat=lambda r, n: r.uniform(-0.7, 0.7, size=n))
    return arch, net, flat, X, Y, sample_weight, valid


def torch_objective(arch, head, sequence_output, rec, lin, x, Y, sample_weight, valid, alpha=0.0, state0=None):
    """Loss of the torch model on packed sequences; returns (loss, logits, h_n, c_n)."""
    packed = pack_padded_sequence(x, torch.from_numpy(LENGTHS), enforce_sorted=False)
    out, hn = rec(packed, state0)
    h_n, c_n = hn if arch.cell == "lstm" else (hn, None)
    if sequence_output:
        feat, _ = pad_packed_sequence(out, total_length=T)
    else:
        dirs = arch.num_directions
        feat = torch.cat([h_n[-dirs + d] for d in range(dirs)], dim=1)  # top layer, forward first
    z = lin(feat)
    y = torch.from_numpy(Y)
    if head == "softmax":
        rows = F.cross_entropy(z.reshape(-1, K), y.reshape(-1, K).argmax(-1), reduction="none").reshape(z.shape[:-1])
    elif head == "sigmoid":
        rows = F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(-1)
    else:
        rows = 0.5 * ((z - y) ** 2).mean(-1)
    w = torch.from_numpy(sample_weight)
    if sequence_output:
        w = torch.from_numpy(valid.astype(np.float64)) * w[None, :]
    loss = (w * rows).sum() / w.sum()
    if alpha:
        weights = [p for name, p in rec.named_parameters() if "weight" in name] + [lin.weight]
        loss = loss + 0.5 * alpha * sum((p * p).sum() for p in weights) / float(sample_weight.sum())
    return loss, z, h_n, c_n


def assert_param_grads(layout, grad, rec, lin):
    got = layout.views(grad)
    want = {k: p.grad.numpy() for k, p in rec.named_parameters()}
    want.update({f"head.{k}": p.grad.numpy() for k, p in lin.named_parameters()})
    assert got.keys() == want.keys()
    for name in want:
        assert_allclose(got[name], want[name], **TOL, err_msg=name)


@pytest.mark.parametrize(
    ("cell_id", "head", "num_layers", "bidirectional", "sequence_output"), GRID, ids=[grid_id(*g) for g in GRID]
)
def test_loss_outputs_and_gradients(cell_id, head, num_layers, bidirectional, sequence_output):
    arch, net, flat, X, Y, sw, valid = make_problem(cell_id, head, num_layers, bidirectional, sequence_output, 0)
    alpha = 0.1
    rec, lin = torch_modules(arch)
    load(net.layout, flat, rec, lin)
    loss_t, z_t, _, _ = torch_objective(arch, head, sequence_output, rec, lin, torch.from_numpy(X), Y, sw, valid, alpha)
    loss_t.backward()

    grad = np.full_like(flat, np.nan)
    loss = net.loss_grad(flat, grad, X, LENGTHS, Y, sample_weight=sw, alpha=alpha)
    assert_allclose(loss, loss_t.item(), **TOL)
    assert_param_grads(net.layout, grad, rec, lin)

    logits = net.forward(flat, X, LENGTHS)["logits"]
    proba = net.predict(flat, X, LENGTHS)
    z_t = z_t.detach().numpy()
    proba_t = {"softmax": lambda z: torch.softmax(z, -1), "sigmoid": torch.sigmoid, "identity": lambda z: z}[head](
        torch.from_numpy(z_t)
    ).numpy()
    if sequence_output:  # padded steps carry no output
        logits, proba, z_t, proba_t = logits[valid], proba[valid], z_t[valid], proba_t[valid]
    assert_allclose(logits, z_t, **TOL)
    assert_allclose(proba, proba_t, **TOL)
    assert_allclose(activate(head, logits), proba, **TOL)


@pytest.mark.parametrize(
    ("cell_id", "num_layers", "bidirectional", "sequence_output"), STATE_GRID, ids=[grid_id(*g) for g in STATE_GRID]
)
def test_initial_and_final_states(cell_id, num_layers, bidirectional, sequence_output):
    """``h0`` (and ``c0``) passed through; final states equal ``h_n`` (``c_n``);
    the gradient seeded with ``dstate`` and the input/initial-state gradients
    equal autograd's of ``loss + <dstate, final state>``."""
    head = HEADS[(num_layers + bidirectional + sequence_output) % 3]
    arch, net, flat, X, Y, sw, valid = make_problem(cell_id, head, num_layers, bidirectional, sequence_output, 1)
    rng = np.random.default_rng(2)
    shape = (num_layers * arch.num_directions, B, H)
    lstm = arch.cell == "lstm"
    h0, c0, dh_n, dc_n = (rng.normal(size=shape) for _ in range(4))
    state0, dstate = ((h0, c0), (dh_n, dc_n)) if lstm else (h0, dh_n)

    rec, lin = torch_modules(arch)
    load(net.layout, flat, rec, lin)
    x_t = torch.tensor(X, requires_grad=True)
    h0_t, c0_t = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    loss_t, _, h_n_t, c_n_t = torch_objective(
        arch, head, sequence_output, rec, lin, x_t, Y, sw, valid, state0=(h0_t, c0_t) if lstm else h0_t
    )
    objective_t = loss_t + (torch.from_numpy(dh_n) * h_n_t).sum()
    if lstm:
        objective_t = objective_t + (torch.from_numpy(dc_n) * c_n_t).sum()
    objective_t.backward()

    cache = net.forward(flat, X, LENGTHS, initial_state=state0)
    loss, dlogits = net.loss(cache, Y, sw)
    grad = np.full_like(flat, np.nan)
    dX, dstate0 = net.backward(flat, grad, cache, dlogits, dstate=dstate)

    assert_allclose(loss, loss_t.item(), **TOL)
    final = net.final_state(cache)
    if lstm:
        assert_allclose(final[0], h_n_t.detach().numpy(), **TOL)
        assert_allclose(final[1], c_n_t.detach().numpy(), **TOL)
        assert_allclose(dstate0[0], h0_t.grad.numpy(), **TOL)
        assert_allclose(dstate0[1], c0_t.grad.numpy(), **TOL)
    else:
        assert_allclose(final, h_n_t.detach().numpy(), **TOL)
        assert_allclose(dstate0, h0_t.grad.numpy(), **TOL)
    assert_allclose(dX, x_t.grad.numpy(), **TOL)
    assert_param_grads(net.layout, grad, rec, lin)


def random_torch_model(cell, num_layers, bidirectional, rng):
    arch = Architecture(cell, D, H, K, num_layers=num_layers, bidirectional=bidirectional)
    rec, lin = torch_modules(arch)
    with torch.no_grad():
        for p in itertools.chain(rec.parameters(), lin.parameters()):
            p.copy_(torch.from_numpy(rng.normal(size=tuple(p.shape))))
    return arch, rec, lin


@pytest.mark.parametrize(
    ("cell", "num_layers", "bidirectional"), list(itertools.product(["rnn", "lstm", "gru"], [1, 2], [False, True]))
)
def test_state_dict_round_trip(cell, num_layers, bidirectional):
    arch, rec, lin = random_torch_model(cell, num_layers, bidirectional, np.random.default_rng(3))
    layout = Layout(arch)
    torch_sd = dict(rec.state_dict())
    torch_sd.update({f"head.{k}": v for k, v in lin.state_dict().items()})
    flat = layout.from_state_dict(torch_sd, np.float64)
    assert flat.shape == (layout.size,) and flat.dtype == np.float64

    sd = layout.to_state_dict(flat)
    assert list(sd) == [name for name, _ in arch.shapes()]
    for k, v in torch_sd.items():
        np.testing.assert_array_equal(sd[k], v.numpy(), err_msg=k)
    fresh_rec, fresh_lin = torch_modules(arch)
    fresh_rec.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items() if not k.startswith("head.")}, strict=True)
    for k, v in fresh_rec.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), torch_sd[k].numpy(), err_msg=k)
    # NumPy state dicts round trip too, and float32 buffers are cast.
    np.testing.assert_array_equal(layout.from_state_dict(layout.to_state_dict(flat), np.float64), flat)
    flat32 = layout.from_state_dict(torch_sd, np.float32)
    assert flat32.dtype == np.float32
    np.testing.assert_array_equal(flat32, flat.astype(np.float32))
    # The state dict holds independent copies, not views of the buffer.
    first = next(iter(sd))
    sd[first][...] = 0
    assert np.any(layout.views(flat)[first] != 0)


def test_from_state_dict_rejects_mismatch():
    arch, rec, lin = random_torch_model("lstm", 2, True, np.random.default_rng(4))
    layout = Layout(arch)
    sd = dict(rec.state_dict())
    with pytest.raises(ValueError, match="missing.*head.bias"):
        layout.from_state_dict(sd, np.float64)
    sd.update({f"head.{k}": v for k, v in lin.state_dict().items()})
    with pytest.raises(ValueError, match="unexpected.*extra"):
        layout.from_state_dict(dict(sd, extra=torch.zeros(1)), np.float64)
    with pytest.raises(ValueError, match="weight_hh_l1"):
        layout.from_state_dict(dict(sd, weight_hh_l1=torch.zeros(4 * H, H + 1)), np.float64)


POOL_GRID = list(itertools.product(["mean", "max", "attention", "last_mean"], CELLS, [1, 2], [False, True]))


@pytest.mark.parametrize(("pooling", "cell_id", "num_layers", "bidirectional"), POOL_GRID,
                         ids=[f"{p}-{grid_id(c, None, n, b, False)}" for p, c, n, b in POOL_GRID])
def test_pooled_readouts(pooling, cell_id, num_layers, bidirectional):
    """torch RNN/LSTM/GRU on packed sequences, masked mean / max / attention pooling of the padded outputs
    (``last_mean``: ``h_n``'s top layer, both directions, then the masked mean),
    ``nn.Linear`` (and ``nn.Linear(Hd, 1, bias=False)`` as the attention query): loss, logits, and the
    gradients of every parameter and of the input."""
    head = HEADS[(num_layers + bidirectional) % 3]
    cell, _, act = cell_id.partition("-")
    arch = Architecture(cell, D, H, K, num_layers=num_layers, bidirectional=bidirectional, activation=act or "tanh",
                        pooling=pooling)
    _, _, _, X, Y, sw, valid = make_problem(cell_id, head, num_layers, bidirectional, False, 5)
    net = Network(arch, head)
    rng = np.random.default_rng(6)
    flat = rng.uniform(-0.7, 0.7, size=net.layout.size)
    rec, lin = torch_modules(arch)
    sd = {k: torch.from_numpy(v) for k, v in net.layout.to_state_dict(flat).items()}
    rec.load_state_dict({k: v for k, v in sd.items() if k.startswith(("weight_", "bias_"))}, strict=True)
    lin.load_state_dict({k[len("head."):]: v for k, v in sd.items() if k.startswith("head.")}, strict=True)
    query = torch.nn.Linear(H * arch.num_directions, 1, bias=False, dtype=torch.float64)
    if pooling == "attention":
        query.load_state_dict({"weight": sd["attention.weight"]}, strict=True)

    x_t = torch.tensor(X, requires_grad=True)
    out, h_n = rec(pack_padded_sequence(x_t, torch.from_numpy(LENGTHS), enforce_sorted=False))
    out, _ = pad_packed_sequence(out, total_length=T)  # (T, B, Hd), zeros past each length
    m = torch.from_numpy(valid)[:, :, None]
    if pooling in ("mean", "last_mean"):
        feat = (out * m).sum(0) / torch.from_numpy(LENGTHS.astype(np.float64))[:, None]
        if pooling == "last_mean":
            h_n = h_n[0] if arch.cell == "lstm" else h_n
            feat = torch.cat([*h_n[-arch.num_directions:], feat], dim=1)
    elif pooling == "max":
        feat = out.masked_fill(~m, -np.inf).max(0).values
    else:
        a = torch.softmax(query(out).masked_fill(~m, -np.inf), dim=0)  # (T, B, 1)
        feat = (a * out).sum(0)
    z = lin(feat)
    y = torch.from_numpy(Y)
    if head == "softmax":
        rows = F.cross_entropy(z, y.argmax(-1), reduction="none")
    elif head == "sigmoid":
        rows = F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(-1)
    else:
        rows = 0.5 * ((z - y) ** 2).mean(-1)
    w = torch.from_numpy(sw)
    loss_t = (w * rows).sum() / w.sum()
    loss_t.backward()

    cache = net.forward(flat, X, LENGTHS)
    loss, dlogits = net.loss(cache, Y, sw)
    grad = np.full_like(flat, np.nan)
    dX, _ = net.backward(flat, grad, cache, dlogits)
    assert_allclose(loss, loss_t.item(), **TOL)
    assert_allclose(cache["logits"], z.detach().numpy(), **TOL)
    assert_allclose(net.embed(flat, X, LENGTHS), feat.detach().numpy(), **TOL)
    got = net.layout.views(grad)
    want = {k: p.grad.numpy() for k, p in rec.named_parameters()}
    want.update({f"head.{k}": p.grad.numpy() for k, p in lin.named_parameters()})
    if pooling == "attention":
        want["attention.weight"] = query.weight.grad.numpy()
    assert got.keys() == want.keys()
    for name in want:
        assert_allclose(got[name], want[name], **TOL, err_msg=name)
    assert_allclose(dX, x_t.grad.numpy(), **TOL)
