"""A stacked (optionally bidirectional) recurrent network with an output head.

This module owns the arithmetic of one minibatch: forward pass, loss and exact
backpropagation through time, calling the Numba time-loop kernels of
:mod:`skrnn._kernels` for the sequential part and NumPy/BLAS for every product
that spans all time steps.  It knows nothing of estimators or epochs.

Conventions (all arrays C-contiguous, one float dtype):

* ``X``: ``(T, B, D)`` time-major, zeros at padded steps; ``lengths``:
  ``(B,)`` int64 with ``1 <= lengths <= T``.
* The backward direction of a bidirectional layer reads each sequence reversed
  within its own length (like PyTorch's packed sequences): its output at step
  ``t`` has seen steps ``t .. L-1``.
* Many-to-one features are the final states of the top layer, both directions
  concatenated (PyTorch's ``h_n``): forward after step ``L-1``, backward after
  step 0 (``arch.pooling='last'``); or the mean, max or attention pooling of
  the top layer's outputs over each sequence's valid steps
  (:mod:`skrnn._nn.pooling`); or, with ``'last_mean'``, the final states
  followed by the mean (the head reads twice the width).  Many-to-many features are the top layer's
  outputs at each step.
* Loss: ``sum_i w_i l_i / sum_i w_i`` over sequences (many-to-one), or over
  valid steps with each step weighted by its sequence's weight (many-to-many).
  Plus ``(0.5 * alpha * ||W||^2 + l1 * ||W||_1) / sum(w)`` over weights (not
  biases), scikit-learn's scaling of ``alpha``.
* Dropout (inverted) multiplies the inputs of layers ``1..L-1`` and the
  features fed to the head by caller-drawn masks with entries ``0`` or
  ``1 / (1 - p)``.
"""

import threading

import numpy as np

from .heads import activate, loss_rows
from .optim import penalty, weight_runs
from .params import Layout, initialize
from .pooling import pool_backward, pool_forward


def reverse_index(lengths, T):
    """``(T, B)`` gather index that reverses each sequence within its length.

    It is an involution: applying it twice restores the original order.
    """
    t = np.arange(T)[:, None]
    return np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def reverse_rows(lengths, T):
    """:func:`reverse_index` as positions in the ``(T * B)`` rows of a time-major array, for
    :func:`_gather_time`."""
    B = len(lengths)
    return (reverse_index(lengths, T) * B + np.arange(B)[None, :]).ravel()


def _gather_time(a, rows):
    """``a`` ``(T, B, F)`` with its rows reordered by :func:`reverse_rows` (a fresh array). ``np.take`` over the
    flattened rows: 20-45x faster than ``np.take_along_axis`` with a broadcast ``(T, B, 1)`` index."""
    T, B, F = a.shape
    return np.take(a.reshape(T * B, F), rows, axis=0).reshape(T, B, F)


class Network:
    """Forward/backward of one architecture; stateless apart from its shape.

    Parameters
    ----------
    arch : Architecture
    head : {'softmax', 'sigmoid', 'identity'}
    sequence_output : bool
        Many-to-many (an output per step) instead of many-to-one.

    Notes
    -----
    :meth:`loss_grad` and :meth:`predict` reuse work buffers (kept per thread
    and per ``(T, B, dtype)``) across calls, and the named views of the last
    few parameter buffers, so that a training step allocates almost nothing
    and pays little Python overhead.  :meth:`forward` always returns fresh
    arrays, since its cache may be kept by the caller.
    """

    _MAX_VIEWS = 8

    def __init__(self, arch, head, sequence_output=False):
        self.arch = arch
        self.head = head
        self.sequence_output = sequence_output
        self.layout = Layout(arch)
        from .kernels import KERNELS, linalg  # imported (with Numba) by the first network, not by ``import skrnn``

        self.kernels = KERNELS[arch.cell]
        self._linalg = linalg
        self._names = [[arch.layer_names(layer, d) for d in range(arch.num_directions)]
                       for layer in range(arch.num_layers)]
        self._views_cache = {}
        self._weight_mask = None
        self._local = threading.local()

    # ------------------------------------------------------------ bookkeeping
    def _views(self, flat):
        """Named views of ``flat``, cached by identity (the cache holds ``flat``
        itself, so its id cannot be reused while the entry lives)."""
        hit = self._views_cache.get(id(flat))
        if hit is not None and hit[0] is flat:
            return hit[1]
        views = self.layout.views(flat)
        if len(self._views_cache) >= self._MAX_VIEWS:
            self._views_cache.clear()
        self._views_cache[id(flat)] = (flat, views)
        return views

    def _workspace(self, T, B, dtype):
        """Per-thread dict of reusable buffers for this batch shape, or None."""
        spaces = self._local.__dict__.setdefault("spaces", {})
        key = (T, B, np.dtype(dtype).char)
        ws = spaces.get(key)
        if ws is None:
            if len(spaces) >= 4:  # e.g. a last, smaller minibatch and a validation batch
                spaces.clear()
            ws = spaces[key] = {}
        return ws

    @staticmethod
    def _buffer(ws, name, shape, dtype):
        if ws is None:
            return np.empty(shape, dtype=dtype)
        a = ws.get(name)
        if a is None:
            a = ws[name] = np.empty(shape, dtype=dtype)
        return a

    @staticmethod
    def _filled(ws, name, shape, dtype, value):
        """A reusable buffer set to ``value`` when created only: for buffers
        (or parts of them, like the ones column of ``[x|1]``) that nothing
        writes, so refilling them at every call would only cost time."""
        if ws is None:
            return np.full(shape, value, dtype=dtype)
        a = ws.get(name)
        if a is None:
            a = ws[name] = np.full(shape, value, dtype=dtype)
        return a

    # Inference projects the input a block of steps at a time, each block's
    # ``xp`` about this many bytes, so that it is still in cache when the time
    # loop reads it.  Projecting a (T, 1024)-sequence chunk at once wrote and
    # re-read 26-100 MB: an LSTM predict ran 1.1-1.4x slower on a quiet
    # machine, and several times slower when other processes shared the
    # memory bandwidth.
    _INFER_BLOCK_BYTES = 1 << 20

    def _infer_blocks(self, x, wa, w_t, b_hh, lengths, hs, relu, ws, tag):
        """Forward-only time loop of one Elman or GRU layer and direction, ``hs`` written in place."""
        T, B, Din = x.shape
        GH = wa.shape[1]
        K, cell = self.kernels, self.arch.cell
        tb = max(1, min(T, self._INFER_BLOCK_BYTES // (B * GH * x.dtype.itemsize)))
        xa = self._filled(ws, ("xa_block", tag, tb), (tb * B, Din + 1), x.dtype, 1)
        xp = self._buffer(ws, ("xp_block", tag, tb), (tb, B, GH), x.dtype)
        for t0 in range(0, T, tb):
            n = min(tb, T - t0)
            xa[:n * B, :Din] = x[t0:t0 + n].reshape(n * B, Din)
            xpb = xp[:n]
            np.dot(xa[:n * B], wa, out=xpb.reshape(n * B, GH))
            # steps are valid while t0 + t < length; the block's state starts at hs[t0]
            L = lengths - t0 if t0 else lengths
            hb = hs[t0:t0 + n + 1]
            if cell == "rnn":
                K.forward(xpb, w_t, L, relu, hb)
            else:
                K.infer(xpb, w_t, b_hh, L, hb)

    def _lstm_layer(self, x, w_ih, w_hh, b_ih, b_hh, lengths, h0, c0, k, ws, tag, infer):
        """One LSTM layer and direction: each step is one product ``[h_{t-1} | x_t | 1] @ [W_hh^T;
        W_ih^T; b_ih + b_hh]`` (the input projection rides in it), the states kept beside the inputs
        in ``z`` so that the weight gradients are one product too; ``hs`` is a view into ``z``.
        Measured against a separate projection: forward 5-11 % and weight gradients 4-11 % faster."""
        T, B, Din = x.shape
        GH, H = w_hh.shape
        dtype = x.dtype
        buf = self._buffer
        wc = buf(ws, ("w_cat", tag), (H + Din + 1, GH), dtype)
        wc[:H] = w_hh.T
        wc[H:H + Din] = w_ih.T
        np.add(b_ih, b_hh, out=wc[H + Din])
        if infer:  # the same arithmetic, one step's [h | x | 1] at a time
            hs = buf(ws, ("hs", tag), (T + 1, B, H), dtype)
            hs[0] = 0 if h0 is None else h0[k]
            c = buf(ws, ("c", tag), (B, H), dtype)
            c[...] = 0 if c0 is None else c0[k]
            self.kernels.infer(np.ascontiguousarray(x), wc, lengths, hs, c)
            return {"x": x, "hs": hs}
        z = self._filled(ws, ("z", tag), (T + 1, B, H + Din + 1), dtype, 1)  # the ones column stays
        z[0, :, :H] = 0 if h0 is None else h0[k]
        z[:T, :, H:H + Din] = x
        cs = buf(ws, ("cs", tag), (T + 1, B, H), dtype)
        cs[0] = 0 if c0 is None else c0[k]
        gates = buf(ws, ("gates", tag), (T, B, GH), dtype)
        self.kernels.forward(z, wc, lengths, cs, gates)
        return {"x": x, "z": z, "hs": z[:, :, :H], "cs": cs, "gates": gates}

    # Products of at most this many multiply-adds take OpenBLAS's small-matrix
    # kernel, which packs nothing (see skrnn._nn.kernels.linalg)
    _SMALL_GEMM = 1_000_000

    def _at_b(self, a, d, out, ws, tag):
        """``out = a^T @ d`` for a weight gradient over all steps: in blocks of rows that keep each
        product under :attr:`_SMALL_GEMM` when the blocks are long enough (64 rows), else one product."""
        N, K = a.shape
        rows = self._SMALL_GEMM // (K * d.shape[1])
        if rows < 64 or rows >= N:
            np.dot(a.T, d, out=out)
        else:
            tmp = self._buffer(ws, ("at_b", tag, out.shape), out.shape, out.dtype)
            self._linalg.at_b(a, d, out, tmp, rows)

    # ------------------------------------------------------------------ forward
    def forward(self, flat, X, lengths, initial_state=None, masks=None):
        """Run the network; returns a cache dict (``'logits'``, ``'out'``...).

        initial_state : None or array ``(num_layers * num_directions, B, H)``
            (LSTM: a pair ``(h0, c0)``), PyTorch's layout.
        masks : None or dict with optional ``'layers'`` (list of ``(T, B,
            H * dirs)`` masks for the inputs of layers 1..L-1) and ``'head'``.
        """
        return self._forward(flat, X, lengths, initial_state, masks, None)

    def _forward(self, flat, X, lengths, initial_state, masks, ws, infer=False):
        """``infer=True`` (from :meth:`predict`) runs the forward-only kernels,
        which keep no gates or cell states for a backward pass."""
        arch, P, K = self.arch, self._views(flat), self.kernels
        T, B, _ = X.shape
        H, dirs, cell = arch.hidden_size, arch.num_directions, arch.cell
        dtype = X.dtype
        buf = self._buffer
        lengths = np.ascontiguousarray(lengths, dtype=np.int64)
        rev = reverse_rows(lengths, T) if dirs == 2 else None
        masks = masks or {}
        if initial_state is None:
            h0, c0 = None, None
        else:
            h0, c0 = initial_state if cell == "lstm" else (initial_state, None)
        relu = arch.activation == "relu"
        layers, inp = [], X
        for layer in range(arch.num_layers):
            if layer > 0 and masks.get("layers") is not None:
                inp = inp * masks["layers"][layer - 1]
            entries = []
            for d in range(dirs):
                n_ih, n_hh, n_bih, n_bhh = self._names[layer][d]
                w_ih, w_hh, b_ih, b_hh = P[n_ih], P[n_hh], P[n_bih], P[n_bhh]
                x = inp if d == 0 else _gather_time(inp, rev)
                Din = x.shape[2]
                GH = w_hh.shape[0]
                tag = (layer, d)
                k = layer * dirs + d
                if cell == "lstm":
                    entries.append(self._lstm_layer(x, w_ih, w_hh, b_ih, b_hh, lengths, h0, c0, k, ws, tag, infer))
                    continue
                # the bias rides in the product as a column of ones ([x|1] @
                # [W_ih^T; b]): free in BLAS, where a separate pass over xp
                # cost 5 % of a small LSTM step; the backward pass gets the
                # bias gradient from the same augmented x
                wa = buf(ws, ("wa", tag), (Din + 1, GH), dtype)
                wa[:Din] = w_ih.T
                if cell == "gru":
                    wa[Din] = b_ih
                else:
                    np.add(b_ih, b_hh, out=wa[Din])
                hs = buf(ws, ("hs", tag), (T + 1, B, H), dtype)
                hs[0] = 0 if h0 is None else h0[k]
                w_t = buf(ws, ("w_t", tag), (H, GH), dtype)
                np.copyto(w_t, w_hh.T)
                if infer:
                    self._infer_blocks(x, wa, w_t, b_hh, lengths, hs, relu, ws, tag)
                    entries.append({"x": x, "hs": hs})
                    continue
                xa = self._filled(ws, ("xa", tag), (T * B, Din + 1), dtype, 1)  # the ones column stays
                xa[:, :Din] = x.reshape(T * B, Din)
                xp = buf(ws, ("xp", tag), (T, B, GH), dtype)
                np.dot(xa, wa, out=xp.reshape(T * B, GH))  # np.matmul is 5x slower here for small Din
                e = {"x": x, "xa": xa, "hs": hs}
                if cell == "rnn":
                    K.forward(xp, w_t, lengths, relu, hs)
                else:
                    e["gates"] = buf(ws, ("gates", tag), (T, B, GH), dtype)
                    e["hn"] = buf(ws, ("hn", tag), (T, B, H), dtype)
                    K.forward(xp, w_t, b_hh, lengths, hs, e["gates"], e["hn"])
                entries.append(e)
            if dirs == 1:
                inp = entries[0]["hs"][1:]
            else:
                inp = np.concatenate([entries[0]["hs"][1:], _gather_time(entries[1]["hs"][1:], rev)], axis=2)
            layers.append(entries)
        pool = None
        if self.sequence_output:
            feat = inp
        elif arch.pooling == "last_mean":  # the final states, then the mean of the outputs
            mean, pool = pool_forward("mean", inp, lengths)
            pool["H"] = inp
            feat = np.concatenate([e["hs"][T] for e in layers[-1]] + [mean], axis=1)
        elif arch.pooling != "last":
            feat, pool = pool_forward(arch.pooling, inp, lengths, P.get("attention.weight"))
            pool["H"] = inp
        elif dirs == 1:
            feat = layers[-1][0]["hs"][T]
        else:
            feat = np.concatenate([e["hs"][T] for e in layers[-1]], axis=1)
        embedding = feat
        if masks.get("head") is not None:
            feat = feat * masks["head"]
        logits = feat @ P["head.weight"].T
        logits += P["head.bias"]
        return {"layers": layers, "rev": rev, "lengths": lengths, "feat": feat, "logits": logits,
                "shape": (T, B), "masks": masks, "pool": pool, "embedding": embedding}

    def predict(self, flat, X, lengths, initial_state=None):
        """Head outputs: ``(B, K)``, or ``(T, B, K)`` for sequence output."""
        ws = self._workspace(X.shape[0], X.shape[1], X.dtype)
        return activate(self.head, self._forward(flat, X, lengths, initial_state, None, ws, True)["logits"])

    def embed(self, flat, X, lengths):
        """The features the head reads (before dropout): ``(B, arch.n_readout)``, or ``(T, B, H * dirs)``
        for sequence output."""
        ws = self._workspace(X.shape[0], X.shape[1], X.dtype)
        return self._forward(flat, X, lengths, None, None, ws, True)["embedding"].copy()

    def final_state(self, cache):
        """Final states in PyTorch's ``h_n`` layout (LSTM: ``(h_n, c_n)``)."""
        T, _ = cache["shape"]
        h = np.stack([e["hs"][T] for entries in cache["layers"] for e in entries])
        if self.arch.cell == "lstm":
            return h, np.stack([e["cs"][T] for entries in cache["layers"] for e in entries])
        return h

    # --------------------------------------------------------------- objective
    def valid_mask(self, lengths, T):
        """``(T, B)`` boolean, True at valid steps."""
        return np.arange(T)[:, None] < lengths[None, :]

    def loss(self, cache, Y, sample_weight):
        """Weighted data loss and ``dL/dlogits``.

        ``sample_weight=None`` means equal weights (a faster path, same result).
        """
        z = cache["logits"]
        rows, dz = loss_rows(self.head, z, Y)
        if sample_weight is None and not self.sequence_output:
            w = 1.0 / z.shape[0]
            dz *= w
            return float(rows.sum() * w), dz
        if sample_weight is None:
            sample_weight = np.ones(z.shape[-2], dtype=z.dtype)
        if self.sequence_output:
            T, _ = cache["shape"]
            w = self.valid_mask(cache["lengths"], T) * sample_weight[None, :]
        else:
            w = sample_weight
        w = (w / w.sum()).astype(z.dtype)
        return float((rows * w).sum()), dz * w[..., None]

    def loss_grad(self, flat, grad, X, lengths, Y, sample_weight=None, alpha=0.0, l1=0.0, masks=None,
                  weight_mask=None):
        """Objective at ``flat``; writes its gradient into ``grad``; returns the loss.

        Y : ``(B, K)`` targets, or ``(T, B, K)`` for sequence output.
        """
        T, B = X.shape[0], X.shape[1]
        ws = self._workspace(T, B, X.dtype)
        cache = self._forward(flat, X, lengths, None, masks, ws)
        loss, dz = self.loss(cache, Y, sample_weight)
        self._backward(flat, grad, cache, dz, None, ws, False)
        if alpha or l1:
            n = B if sample_weight is None else float(np.sum(sample_weight))
            loss += self._penalty(flat, grad, alpha, l1, n, weight_mask)
        return loss

    def _runs(self, weight_mask):
        """Contiguous runs of ``weight_mask`` (default: the layout's), cached by identity."""
        if weight_mask is None:
            if self._weight_mask is None:
                self._weight_mask = self.layout.weight_mask()
            weight_mask = self._weight_mask
        cached = getattr(self, "_runs_cache", None)
        if cached is not None and cached[0] is weight_mask:
            return cached[1]
        runs = weight_runs(weight_mask)
        self._runs_cache = (weight_mask, runs)
        return runs

    def _penalty(self, flat, grad, alpha, l1, B, weight_mask):
        return penalty(flat, grad, alpha, l1, B, self._runs(weight_mask))

    # ------------------------------------------------------------- parameters
    def initialize(self, rng, dtype, initializer="xavier_uniform", recurrent_initializer="orthogonal"):
        """A new flat parameter buffer (see :func:`skrnn._nn.params.initialize`)."""
        return initialize(self.layout, rng, dtype, initializer, recurrent_initializer)

    def views(self, flat):
        """Named views of ``flat``, PyTorch's ``state_dict`` names and shapes."""
        return self.layout.views(flat)

    def to_state_dict(self, flat):
        return self.layout.to_state_dict(flat)

    def tensor_slices(self):
        """``{name: (start, stop)}`` of each named tensor in the flat buffer."""
        return {k: (a, b) for k, (a, b, _) in self.layout.slices.items()}

    def from_state_dict(self, state_dict, dtype):
        return self.layout.from_state_dict(state_dict, dtype)

    # ------------------------------------------- the training loop's protocol
    # (skrnn._training.Objective): a minibatch is a skrnn._training.Batch
    @property
    def size(self):
        return self.layout.size

    def weight_mask(self):
        return self.layout.weight_mask()

    def loss_and_grad(self, params, grad, batch, masks):
        """Mean data loss of ``batch`` (no penalty), gradient into ``grad``; and the batch's weight sum."""
        X, lengths, Y, w = batch
        return self.loss_grad(params, grad, X, lengths, Y, w, masks=masks), float(np.sum(w))

    def evaluate(self, params, batch):
        """Mean data loss of a held-out chunk and its weight (sequences, or valid steps for sequence output)."""
        X, lengths, Y, w = batch
        loss, _ = self.loss(self.forward(params, X, lengths), Y, w)
        return loss, float((w * lengths).sum()) if self.sequence_output else float(w.sum())

    def dropout_shapes(self, batch):
        """Shapes of the masks :meth:`forward` takes: the inputs of layers 2.. and the head's features."""
        T, B = batch[0].shape[:2]
        width = self.arch.hidden_size * self.arch.num_directions
        return {"layers": [(T, B, width)] * (self.arch.num_layers - 1),
                "head": (T, B, width) if self.sequence_output else (B, self.arch.n_readout)}

    # ----------------------------------------------------------------- backward
    def backward(self, flat, grad, cache, dlogits, dstate=None):
        """Exact BPTT; fills ``grad`` (same layout as ``flat``).

        Returns ``(dX, dstate0)``: gradients w.r.t. the input ``(T, B, D)`` and
        w.r.t. the initial state (PyTorch layout, LSTM a pair).
        dstate : optional gradient w.r.t. the final state (``h_n`` layout).
        """
        return self._backward(flat, grad, cache, dlogits, dstate, None, True)

    def _backward(self, flat, grad, cache, dlogits, dstate, ws, full):
        """``full=False`` (from :meth:`loss_grad`) skips ``dX`` and ``dstate0``."""
        arch, P, G = self.arch, self._views(flat), self._views(grad)
        K, cell = self.kernels, arch.cell
        buf = self._buffer
        T, B = cache["shape"]
        H, dirs = arch.hidden_size, arch.num_directions
        lengths, rev, masks = cache["lengths"], cache["rev"], cache["masks"]
        feat = cache["feat"]
        Hd = feat.shape[-1]
        dl2 = dlogits.reshape(-1, dlogits.shape[-1])
        np.dot(dl2.T, feat.reshape(-1, Hd), out=G["head.weight"])
        dl2.sum(0, out=G["head.bias"])
        dfeat = dlogits @ P["head.weight"]
        if masks.get("head") is not None:
            dfeat = dfeat * masks["head"]
        dtype = feat.dtype
        if self.sequence_output:
            dout, dfinal = dfeat, None
        elif arch.pooling == "last_mean":  # both: the final states' part, and the mean's at every valid step
            Hs = H * dirs
            dout = pool_backward("mean", cache["pool"], cache["pool"]["H"], dfeat[:, Hs:])
            dfinal = dfeat[:, :Hs]
        elif cache["pool"] is not None:  # pooled readout: a gradient at every valid step of the top layer
            pool = cache["pool"]
            dout = pool_backward(arch.pooling, pool, pool["H"], dfeat, P.get("attention.weight"),
                                 G.get("attention.weight"))
            dfinal = None
        else:
            dout, dfinal = None, dfeat
        dh_n, dc_n = (dstate if cell == "lstm" else (dstate, None)) if dstate is not None else (None, None)
        if full:
            dh0 = np.zeros((arch.num_layers * dirs, B, H), dtype=dtype)
            dc0 = np.zeros_like(dh0) if cell == "lstm" else None
        relu = arch.activation == "relu"
        ones = self._filled(ws, "ones", (T * B,), dtype, 1)
        for layer in range(arch.num_layers - 1, -1, -1):
            dinp = None
            need_dx = full or layer > 0
            for d, e in enumerate(cache["layers"][layer]):
                n_ih, n_hh, n_bih, n_bhh = self._names[layer][d]
                tag = (layer, d)
                k = layer * dirs + d
                if dout is None:  # no gradient at the steps (kernels never write dhs)
                    dhs = self._filled(ws, ("dhs", tag), (T, B, H), dtype, 0)
                else:
                    dhs = np.ascontiguousarray(dout[:, :, d * H:(d + 1) * H])
                    if d == 1:
                        dhs = _gather_time(dhs, rev)
                dh = buf(ws, ("dh", tag), (B, H), dtype)
                if dfinal is not None and layer == arch.num_layers - 1:
                    dh[...] = dfinal[:, d * H:(d + 1) * H]
                else:
                    dh.fill(0)
                if dh_n is not None:
                    dh += dh_n[k]
                x, hs = e["x"], e["hs"]
                Din = x.shape[2]
                GH = arch.gates * H
                dxp = buf(ws, ("dxp", tag), (T, B, GH), dtype)
                if cell == "rnn":
                    K.backward(hs, P[n_hh], lengths, relu, dhs, dh, dxp)
                    dhp = dxp
                elif cell == "lstm":
                    dc = buf(ws, ("dc", tag), (B, H), dtype)
                    if dc_n is None:
                        dc.fill(0)
                    else:
                        dc[...] = dc_n[k]
                    K.backward(e["cs"], e["gates"], P[n_hh], lengths, dhs, dh, dc, dxp)
                    if full:
                        dc0[k] = dc
                    dhp = dxp
                else:
                    dhp = buf(ws, ("dhp", tag), (T, B, GH), dtype)
                    K.backward(hs, e["gates"], e["hn"], P[n_hh], lengths, dhs, dh, dxp, dhp)
                if full:
                    dh0[k] = dh
                dxp2 = dxp.reshape(T * B, GH)
                dhp2 = dhp.reshape(T * B, GH)
                # weight gradients as (in, out) products, then a transposed
                # copy: 15-30 % faster in OpenBLAS than (out, in) for long T*B
                if cell == "lstm":
                    # [h|x|1]^T @ dxp: every weight's and the bias gradient in one
                    # product (4-11 % faster than two: dxp is read once)
                    z = e["z"]
                    gt = buf(ws, ("gw_cat_t", tag), (z.shape[2], GH), dtype)
                    self._at_b(z[:-1].reshape(T * B, z.shape[2]), dxp2, gt, ws, tag)
                    G[n_hh][...] = gt[:H].T
                    G[n_ih][...] = gt[H:H + Din].T
                    G[n_bih][...] = gt[H + Din]
                    G[n_bhh][...] = gt[H + Din]
                else:
                    # [x|1]^T @ dxp: the input weights' and bias gradients in one product
                    gt = buf(ws, ("gw_ih_t", tag), (Din + 1, GH), dtype)
                    np.dot(e["xa"].T, dxp2, out=gt)
                    G[n_ih][...] = gt[:Din].T
                    G[n_bih][...] = gt[Din]
                    gt = buf(ws, ("gw_hh_t", tag), (H, GH), dtype)
                    self._at_b(hs[:-1].reshape(T * B, H), dhp2, gt, ws, tag)
                    G[n_hh][...] = gt.T
                    if dhp is dxp:
                        G[n_bhh][...] = G[n_bih]
                    else:
                        np.dot(ones, dhp2, out=G[n_bhh])
                if need_dx:
                    dx = np.dot(dxp2, P[n_ih]).reshape(T, B, Din)
                    if d == 1:
                        dx = _gather_time(dx, rev)
                    dinp = dx if dinp is None else dinp + dx
            if dinp is not None and layer > 0 and masks.get("layers") is not None:
                dinp = dinp * masks["layers"][layer - 1]
            dout, dfinal = dinp, None
        if not full:
            return None
        return dout, ((dh0, dc0) if cell == "lstm" else dh0)
