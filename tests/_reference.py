"""Slow, obviously correct NumPy twins of the kernels and of the whole network.

Everything here is written for reading, not speed: explicit loops over
samples and time steps, each sequence only looped over its valid steps, and
reverse-time backpropagation carrying ``dh_next`` (and ``dc_next``).  All
arithmetic is done in float64 whatever the input dtype; results are written
into the caller's buffers (rounded to their dtype) like the kernels do.

The kernel twins take exactly the arguments of their kernel in
:mod:`skrnn._nn.kernels` (time-major ``(T, B, ...)``, ``hs[0]`` the initial
state, state carried unchanged past each sequence's length).  The network
twin, :func:`network_objective`, is written from the conventions stated in
the docstring of :mod:`skrnn._nn.network`, not from its code: it processes one
sequence at a time, cut to its own length, so no padding ever enters the
arithmetic.
"""

import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ------------------------------------------------------------------ one step
# Each cell is written as a step on 1-D vectors of one sample.  ``xp`` is the
# input part of the pre-activation, ``hp`` the recurrent part ``W_hh h_prev``
# (plus ``b_hh``), both of size ``G * H``.


def rnn_step(xp, hp, relu):
    a = xp + hp
    return np.maximum(a, 0.0) if relu else np.tanh(a)


def rnn_step_back(h, dh, relu):
    """Gradient w.r.t. the pre-activation, given the output ``h`` and ``dL/dh``."""
    if relu:
        return dh * (h > 0)
    return dh * (1.0 - h * h)


def lstm_step(xp, hp, c_prev):
    a = xp + hp
    i, f, g, o = np.split(a, 4)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, np.concatenate([i, f, g, o])


def lstm_step_back(gates, c_prev, c, dh, dc_next):
    """Gradients w.r.t. the pre-activation and the previous cell state."""
    i, f, g, o = np.split(gates, 4)
    tanh_c = np.tanh(c)
    do = dh * tanh_c
    dc = dc_next + dh * o * (1.0 - tanh_c**2)
    di = dc * g
    df = dc * c_prev
    dg = dc * i
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)])
    return da, dc * f


def gru_step(xp, hp, h_prev):
    """``hp`` must include ``b_hh`` (the reset gate multiplies it)."""
    xr, xz, xn = np.split(xp, 3)
    hr, hz, hn = np.split(hp, 3)
    r = sigmoid(xr + hr)
    z = sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    h = (1 - z) * n + z * h_prev
    return h, np.concatenate([r, z, n])


def gru_step_back(gates, hn, h_prev, dh):
    """Gradients w.r.t. ``xp``, ``hp`` and the direct path to ``h_prev``.

    ``hn`` is the ``n`` block of ``hp``.
    """
    r, z, n = np.split(gates, 3)
    dn = dh * (1 - z)
    dz = dh * (h_prev - n)
    dh_prev_direct = dh * z
    dan = dn * (1 - n * n)
    dr = dan * hn
    dar = dr * r * (1 - r)
    daz = dz * z * (1 - z)
    dxp = np.concatenate([dar, daz, dan])
    dhp = np.concatenate([dar, daz, dan * r])
    return dxp, dhp, dh_prev_direct


# -------------------------------------------------------------- kernel twins


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def rnn_forward(xp, w_hh_t, lengths, relu, hs):
    xp, w_hh_t = _f64(xp, w_hh_t)
    T, B, _ = xp.shape
    w_hh = w_hh_t.T
    for b in range(B):
        h = hs[0, b].astype(np.float64)
        for t in range(T):
            if t < lengths[b]:
                h = rnn_step(xp[t, b], w_hh @ h, relu)
            hs[t + 1, b] = h


def rnn_backward(hs, w_hh, lengths, relu, dhs, dh, dxp):
    hs, w_hh, dhs = _f64(hs, w_hh, dhs)
    T, B, _ = dhs.shape
    dxp[...] = 0
    for b in range(B):
        dh_next = dh[b].astype(np.float64)
        for t in reversed(range(lengths[b])):
            da = rnn_step_back(hs[t + 1, b], dhs[t, b] + dh_next, relu)
            dxp[t, b] = da
            dh_next = w_hh.T @ da
        dh[b] = dh_next


def lstm_forward(z, w_cat_t, lengths, cs, gates):
    """``z[t] = [h_{t-1} | x_t | 1]`` and ``w_cat_t = [W_hh^T; W_ih^T; b]``: the
    input part of the pre-activation is ``z[t, :, H:] @ w_cat_t[H:]``; ``h_t``
    is written into ``z[t + 1, :, :H]``."""
    zin, w_cat_t = _f64(z, w_cat_t)
    T, B, G = gates.shape
    H = G // 4
    w_hh_t, w_in = w_cat_t[:H], w_cat_t[H:]
    gates[...] = 0
    for b in range(B):
        h, c = zin[0, b, :H], cs[0, b].astype(np.float64)
        for t in range(T):
            if t < lengths[b]:
                h, c, gates[t, b] = lstm_step(zin[t, b, H:] @ w_in, h @ w_hh_t, c)
            z[t + 1, b, :H], cs[t + 1, b] = h, c


def lstm_backward(cs, gates, w_hh, lengths, dhs, dh, dc, dxp):
    cs, gates, w_hh, dhs = _f64(cs, gates, w_hh, dhs)
    T, B, _ = dhs.shape
    dxp[...] = 0
    for b in range(B):
        dh_next, dc_next = dh[b].astype(np.float64), dc[b].astype(np.float64)
        for t in reversed(range(lengths[b])):
            da, dc_next = lstm_step_back(gates[t, b], cs[t, b], cs[t + 1, b], dhs[t, b] + dh_next, dc_next)
            dxp[t, b] = da
            dh_next = w_hh.T @ da
        dh[b], dc[b] = dh_next, dc_next


def gru_forward(xp, w_hh_t, b_hh, lengths, hs, gates, hn):
    xp, w_hh_t, b_hh = _f64(xp, w_hh_t, b_hh)
    T, B, G = xp.shape
    H = G // 3
    w_hh = w_hh_t.T
    gates[...] = 0
    hn[...] = 0
    for b in range(B):
        h = hs[0, b].astype(np.float64)
        for t in range(T):
            if t < lengths[b]:
                hp = w_hh @ h + b_hh
                hn[t, b] = hp[2 * H :]
                h, gates[t, b] = gru_step(xp[t, b], hp, h)
            hs[t + 1, b] = h


def gru_backward(hs, gates, hn, w_hh, lengths, dhs, dh, dxp, dhp):
    hs, gates, hn, w_hh, dhs = _f64(hs, gates, hn, w_hh, dhs)
    T, B, _ = dhs.shape
    dxp[...] = 0
    dhp[...] = 0
    for b in range(B):
        dh_next = dh[b].astype(np.float64)
        for t in reversed(range(lengths[b])):
            dxp_t, dhp_t, direct = gru_step_back(gates[t, b], hn[t, b], hs[t, b], dhs[t, b] + dh_next)
            dxp[t, b], dhp[t, b] = dxp_t, dhp_t
            dh_next = direct + w_hh.T @ dhp_t
        dh[b] = dh_next


# ------------------------------------------------------------- network twin


def head_loss(head, z, y):
    """Loss of one row of logits ``z`` and its gradient ``dl/dz``."""
    if head == "softmax":
        p = np.exp(z - z.max())
        p /= p.sum()
        return -np.sum(y * np.log(p)), p - y
    if head == "sigmoid":
        p = sigmoid(z)
        return np.sum(np.log1p(np.exp(z)) - y * z), p - y
    k = len(z)
    return 0.5 * np.sum((z - y) ** 2) / k, (z - y) / k


class _Direction:
    """One direction of one layer of one sequence: forward and BPTT."""

    def __init__(self, cell, relu, w_ih, w_hh, b_ih, b_hh):
        self.cell, self.relu = cell, relu
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = w_ih, w_hh, b_ih, b_hh

    def forward(self, xs, h0, c0):
        """``xs`` ``(L, Din)`` in processing order; returns outputs ``(L, H)``."""
        self.xs, self.steps = xs, []
        h, c = h0, c0
        outs = []
        for x in xs:
            xp = self.w_ih @ x + self.b_ih
            hp = self.w_hh @ h + self.b_hh
            step = {"x": x, "h_prev": h, "c_prev": c, "hp": hp}
            if self.cell == "rnn":
                step["pre"] = xp + hp
                h = rnn_step(xp, hp, self.relu)
            elif self.cell == "lstm":
                h, c, step["gates"] = lstm_step(xp, hp, c)
                step["c"] = c
            else:
                h, step["gates"] = gru_step(xp, hp, h)
            step["h"] = h
            self.steps.append(step)
            outs.append(h)
        self.h_n, self.c_n = h, c
        return np.array(outs).reshape(len(xs), -1)

    def backward(self, douts, dh_n, dc_n, grads):
        """BPTT; ``douts`` ``(L, H)`` in processing order.  Accumulates the
        weight gradients into ``grads`` (4 arrays) and returns ``(dxs, dh0, dc0)``.
        """
        dW_ih, dW_hh, db_ih, db_hh = grads
        H = self.w_hh.shape[1]
        dh_next, dc_next = dh_n, dc_n
        dxs = np.zeros_like(self.xs)
        for s in reversed(range(len(self.steps))):
            step = self.steps[s]
            dh = douts[s] + dh_next
            if self.cell == "rnn":
                dxp = dhp = rnn_step_back(step["h"], dh, self.relu)
                direct = 0.0
            elif self.cell == "lstm":
                dxp, dc_next = lstm_step_back(step["gates"], step["c_prev"], step["c"], dh, dc_next)
                dhp, direct = dxp, 0.0
            else:
                dxp, dhp, direct = gru_step_back(step["gates"], step["hp"][2 * H :], step["h_prev"], dh)
            dW_ih += np.outer(dxp, step["x"])
            db_ih += dxp
            dW_hh += np.outer(dhp, step["h_prev"])
            db_hh += dhp
            dxs[s] = self.w_ih.T @ dxp
            dh_next = direct + self.w_hh.T @ dhp
        return dxs, dh_next, dc_next


def pool(pooling, outs, w=None):
    """Readout of one sequence's top-layer outputs ``outs`` ``(L, Hd)`` (valid steps only):
    ``(features (Hd,), backward)`` with ``backward(df) -> (douts (L, Hd), dw (Hd,) or None)``."""
    L, Hd = outs.shape
    if pooling == "mean":
        return outs.sum(axis=0) / L, lambda df: (np.tile(df / L, (L, 1)), None)
    if pooling == "max":
        first = [int(np.argmax(outs[:, j])) for j in range(Hd)]  # the first maximising step of each unit
        f = np.array([outs[first[j], j] for j in range(Hd)])

        def back_max(df):
            douts = np.zeros((L, Hd))
            for j in range(Hd):
                douts[first[j], j] = df[j]
            return douts, None

        return f, back_max
    s = np.array([w @ outs[t] for t in range(L)])  # attention: one score per step
    a = np.exp(s - s.max())
    a /= a.sum()
    f = sum(a[t] * outs[t] for t in range(L))

    def back_attention(df):
        da = np.array([df @ outs[t] for t in range(L)])
        ds = np.array([a[t] * (da[t] - np.sum(a * da)) for t in range(L)])  # Jacobian of the softmax
        douts = np.array([a[t] * df + ds[t] * w for t in range(L)])
        return douts, sum(ds[t] * outs[t] for t in range(L))

    return f, back_attention


def _layer_names(layer, direction):
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    return [f"{w}{sfx}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def network_objective(
    arch,
    head,
    sequence_output,
    params,
    X,
    lengths,
    Y,
    sample_weight=None,
    alpha=0.0,
    l1=0.0,
    masks=None,
    initial_state=None,
    dstate=None,
):
    """Objective and exact gradient of a stacked recurrent network, in float64.

    The objective is the weighted data loss, plus the weight penalty
    ``(0.5 * alpha * ||W||^2 + l1 * ||W||_1) / sum(sample_weight)``, plus the linear term
    ``<dstate, final state>`` when ``dstate`` is given (so that its gradient
    is what a backward pass seeded with ``dstate`` must return).

    params : dict name -> array (PyTorch ``state_dict`` names and shapes).
    X : ``(T, B, D)``; only ``X[:lengths[b], b]`` is read.
    Y : ``(B, K)``, or ``(T, B, K)`` for sequence output.
    masks : None or dict with optional ``'layers'`` (inputs of layers 1..L-1)
        and ``'head'`` (the features fed to the head).
    initial_state, dstate : ``(layers * dirs, B, H)``, LSTM a pair ``(h, c)``.

    Returns ``(objective, grads, dX, dstate0, final_state)`` where ``grads`` has
    the keys of ``params``.
    """
    cell, H, n_layers, dirs = arch.cell, arch.hidden_size, arch.num_layers, arch.num_directions
    relu = cell == "rnn" and arch.activation == "relu"
    P = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    T, B, _ = X.shape
    masks = masks or {}
    layer_masks, head_mask = masks.get("layers"), masks.get("head")
    w = np.ones(B) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    n_states = n_layers * dirs

    def split_state(state):
        if state is None:
            return np.zeros((n_states, B, H)), np.zeros((n_states, B, H))
        if cell == "lstm":
            return np.asarray(state[0], dtype=np.float64), np.asarray(state[1], dtype=np.float64)
        return np.asarray(state, dtype=np.float64), np.zeros((n_states, B, H))

    h0, c0 = split_state(initial_state)
    dh_n, dc_n = split_state(dstate)

    # Each sequence (many-to-one) or each valid step (many-to-many) of
    # sequence b has weight w_b; the weights are normalised to sum to one.
    total_weight = np.sum(w * lengths) if sequence_output else np.sum(w)

    grads = {k: np.zeros_like(v) for k, v in P.items()}
    dX = np.zeros_like(X)
    dh0, dc0 = np.zeros((n_states, B, H)), np.zeros((n_states, B, H))
    h_fin, c_fin = np.zeros((n_states, B, H)), np.zeros((n_states, B, H))
    objective = 0.0

    for b in range(B):
        L = int(lengths[b])
        # ---- forward, one sequence cut to its length
        inp = X[:L, b]
        net = []
        for layer in range(n_layers):
            if layer > 0 and layer_masks is not None:
                inp = inp * layer_masks[layer - 1][:L, b]
            dirs_here, outs = [], []
            for d in range(dirs):
                k = layer * dirs + d
                run = _Direction(cell, relu, *(P[n] for n in _layer_names(layer, d)))
                seq = inp if d == 0 else inp[::-1]
                out = run.forward(seq, h0[k, b], c0[k, b])
                outs.append(out if d == 0 else out[::-1])
                h_fin[k, b], c_fin[k, b] = run.h_n, run.c_n
                dirs_here.append(run)
            net.append(dirs_here)
            inp = np.concatenate(outs, axis=1)
        pooling = getattr(arch, "pooling", "last")
        pool_back = None
        if sequence_output:
            feats = inp  # (L, H * dirs)
        elif pooling == "last_mean":  # final states, then the mean of the outputs
            f, pool_back = pool("mean", inp)
            feats = np.concatenate([run.h_n for run in net[-1]] + [f])[None, :]
        elif pooling != "last":
            f, pool_back = pool(pooling, inp, P["attention.weight"][0] if pooling == "attention" else None)
            feats = f[None, :]
        else:
            feats = np.concatenate([run.h_n for run in net[-1]])[None, :]  # (1, H * dirs)
        if head_mask is not None:
            feats = feats * (head_mask[:L, b] if sequence_output else head_mask[b][None, :])
        targets = Y[:L, b] if sequence_output else Y[b][None, :]

        # ---- loss of this sequence and its gradient w.r.t. the features
        dfeats = np.zeros_like(feats)
        for s in range(len(feats)):
            z = P["head.weight"] @ feats[s] + P["head.bias"]
            loss, dz = head_loss(head, z, targets[s])
            objective += w[b] / total_weight * loss
            dz = w[b] / total_weight * dz
            grads["head.weight"] += np.outer(dz, feats[s])
            grads["head.bias"] += dz
            dfeats[s] = P["head.weight"].T @ dz
        if head_mask is not None:
            dfeats = dfeats * (head_mask[:L, b] if sequence_output else head_mask[b][None, :])
        for k in range(n_states):
            objective += dh_n[k, b] @ h_fin[k, b]
            if cell == "lstm":
                objective += dc_n[k, b] @ c_fin[k, b]

        # ---- backward through the stack, top layer first
        if sequence_output:
            dout, dfinal = dfeats, np.zeros(H * dirs)
        elif pooling == "last_mean":
            dout, _ = pool_back(dfeats[0][H * dirs:])
            dfinal = dfeats[0][:H * dirs]
        elif pool_back is not None:
            dout, dw = pool_back(dfeats[0])
            dfinal = np.zeros(H * dirs)
            if dw is not None:
                grads["attention.weight"][0] += dw
        else:
            dout, dfinal = np.zeros((L, H * dirs)), dfeats[0]
        for layer in reversed(range(n_layers)):
            dinp = 0.0
            for d, run in enumerate(net[layer]):
                k = layer * dirs + d
                douts = dout[:, d * H : (d + 1) * H]
                if d == 1:
                    douts = douts[::-1]
                dh_last = dh_n[k, b] + (dfinal[d * H : (d + 1) * H] if layer == n_layers - 1 else 0.0)
                layer_grads = [grads[n] for n in _layer_names(layer, d)]
                dxs, dh0[k, b], dc0[k, b] = run.backward(douts, dh_last, dc_n[k, b], layer_grads)
                dinp = dinp + (dxs if d == 0 else dxs[::-1])
            if layer > 0 and layer_masks is not None:
                dinp = dinp * layer_masks[layer - 1][:L, b]
            dout = dinp
        dX[:L, b] = dout

    n = B if sample_weight is None else float(np.sum(sample_weight))  # sklearn's sw_sum
    for name in P:
        if "weight" in name:
            W = P[name]
            objective += (0.5 * alpha * np.sum(W * W) + l1 * np.sum(np.abs(W))) / n
            grads[name] += (alpha * W + l1 * np.sign(W)) / n

    if cell == "lstm":
        return objective, grads, dX, (dh0, dc0), (h_fin, c_fin)
    return objective, grads, dX, dh0, h_fin


def relu_pattern(arch, params, X, lengths, masks=None, initial_state=None):
    """Signs of every ReLU pre-activation of the network (for finite differences).

    A finite difference is only meaningful if no pre-activation changes sign
    between the two evaluation points.
    """
    P = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    H, dirs = arch.hidden_size, arch.num_directions
    layer_masks = (masks or {}).get("layers")
    signs = []
    for b in range(X.shape[1]):
        L = int(lengths[b])
        inp = np.asarray(X[:L, b], dtype=np.float64)
        for layer in range(arch.num_layers):
            if layer > 0 and layer_masks is not None:
                inp = inp * layer_masks[layer - 1][:L, b]
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                run = _Direction("rnn", True, *(P[n] for n in _layer_names(layer, d)))
                h0 = np.zeros(H) if initial_state is None else initial_state[k, b]
                out = run.forward(inp if d == 0 else inp[::-1], h0, None)
                signs += [step["pre"] > 0 for step in run.steps]
                outs.append(out if d == 0 else out[::-1])
            inp = np.concatenate(outs, axis=1)
    return np.concatenate(signs)
