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
  step 0.  Many-to-many features are the top layer's outputs at each step.
* Loss: ``sum_i w_i l_i / sum_i w_i`` over sequences (many-to-one), or over
  valid steps with each step weighted by its sequence's weight (many-to-many).
  Plus ``(0.5 * alpha * ||W||^2 + l1 * ||W||_1) / B`` over weights (not
  biases), scikit-learn's scaling of ``alpha``.
* Dropout (inverted) multiplies the inputs of layers ``1..L-1`` and the
  features fed to the head by caller-drawn masks with entries ``0`` or
  ``1 / (1 - p)``.
"""

import numpy as np

from ._heads import activate, loss_rows
from ._kernels import KERNELS
from ._params import Layout


def reverse_index(lengths, T):
    """``(T, B)`` gather index that reverses each sequence within its length.

    It is an involution: applying it twice restores the original order.
    """
    t = np.arange(T)[:, None]
    return np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def _gather_time(a, idx):
    return np.take_along_axis(a, idx[:, :, None], axis=0)


class Network:
    """Forward/backward of one architecture; stateless apart from its shape.

    Parameters
    ----------
    arch : Architecture
    head : {'softmax', 'sigmoid', 'identity'}
    sequence_output : bool
        Many-to-many (an output per step) instead of many-to-one.
    """

    def __init__(self, arch, head, sequence_output=False):
        self.arch = arch
        self.head = head
        self.sequence_output = sequence_output
        self.layout = Layout(arch)
        self.kernels = KERNELS[arch.cell]

    # ------------------------------------------------------------------ forward
    def forward(self, flat, X, lengths, initial_state=None, masks=None):
        """Run the network; returns a cache dict (``'logits'``, ``'out'``...).

        initial_state : None or array ``(num_layers * num_directions, B, H)``
            (LSTM: a pair ``(h0, c0)``), PyTorch's layout.
        masks : None or dict with optional ``'layers'`` (list of ``(T, B,
            H * dirs)`` masks for the inputs of layers 1..L-1) and ``'head'``.
        """
        arch, P, K = self.arch, self.layout.views(flat), self.kernels
        T, B, _ = X.shape
        H, dirs, cell = arch.hidden_size, arch.num_directions, arch.cell
        lengths = np.ascontiguousarray(lengths, dtype=np.int64)
        rev = reverse_index(lengths, T) if dirs == 2 else None
        masks = masks or {}
        h0, c0 = (initial_state if cell == "lstm" else (initial_state, None)) if initial_state is not None else (None, None)
        layers, inp = [], X
        for layer in range(arch.num_layers):
            if layer > 0 and masks.get("layers") is not None:
                inp = inp * masks["layers"][layer - 1]
            entries = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh = (P[n] for n in arch.layer_names(layer, d))
                x = inp if d == 0 else _gather_time(inp, rev)
                Din = x.shape[2]
                bias = b_ih if cell == "gru" else b_ih + b_hh
                xp = (x.reshape(T * B, Din) @ w_ih.T + bias).reshape(T, B, -1)
                hs = np.empty((T + 1, B, H), dtype=X.dtype)
                k = layer * dirs + d
                hs[0] = 0 if h0 is None else h0[k]
                e = {"x": x, "hs": hs}
                w_t = np.ascontiguousarray(w_hh.T)
                if cell == "rnn":
                    K.forward(xp, w_t, lengths, arch.activation == "relu", hs)
                elif cell == "lstm":
                    cs = np.empty_like(hs)
                    cs[0] = 0 if c0 is None else c0[k]
                    e["cs"], e["gates"] = cs, np.empty_like(xp)
                    K.forward(xp, w_t, lengths, hs, cs, e["gates"])
                else:
                    e["gates"], e["hn"] = np.empty_like(xp), np.empty((T, B, H), dtype=X.dtype)
                    K.forward(xp, w_t, np.ascontiguousarray(b_hh), lengths, hs, e["gates"], e["hn"])
                entries.append(e)
            outs = [entries[0]["hs"][1:]]
            if dirs == 2:
                outs.append(_gather_time(entries[1]["hs"][1:], rev))
            inp = outs[0] if dirs == 1 else np.concatenate(outs, axis=2)
            layers.append(entries)
        if self.sequence_output:
            feat = inp
        else:
            feat = np.concatenate([e["hs"][T] for e in layers[-1]], axis=1)
        if masks.get("head") is not None:
            feat = feat * masks["head"]
        logits = feat @ P["head.weight"].T + P["head.bias"]
        return {"layers": layers, "rev": rev, "lengths": lengths, "feat": feat, "logits": logits,
                "shape": (T, B), "masks": masks}

    def predict(self, flat, X, lengths, initial_state=None):
        """Head outputs: ``(B, K)``, or ``(T, B, K)`` for sequence output."""
        return activate(self.head, self.forward(flat, X, lengths, initial_state)["logits"])

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
        """Weighted data loss and ``dL/dlogits``."""
        z = cache["logits"]
        rows, dz = loss_rows(self.head, z, Y)
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
        B = X.shape[1]
        if sample_weight is None:
            sample_weight = np.ones(B, dtype=X.dtype)
        cache = self.forward(flat, X, lengths, masks=masks)
        loss, dz = self.loss(cache, Y, sample_weight)
        self.backward(flat, grad, cache, dz)
        if alpha or l1:
            wm = self.layout.weight_mask() if weight_mask is None else weight_mask
            w = flat[wm]
            loss += (0.5 * alpha * float(w @ w) + l1 * float(np.abs(w).sum())) / B
            grad[wm] += (alpha * w + l1 * np.sign(w)) / B
        return loss

    # ----------------------------------------------------------------- backward
    def backward(self, flat, grad, cache, dlogits, dstate=None):
        """Exact BPTT; fills ``grad`` (same layout as ``flat``).

        Returns ``(dX, dstate0)``: gradients w.r.t. the input ``(T, B, D)`` and
        w.r.t. the initial state (PyTorch layout, LSTM a pair).
        dstate : optional gradient w.r.t. the final state (``h_n`` layout).
        """
        arch, P, G = self.arch, self.layout.views(flat), self.layout.views(grad)
        K, cell = self.kernels, arch.cell
        T, B = cache["shape"]
        H, dirs = arch.hidden_size, arch.num_directions
        lengths, rev, masks = cache["lengths"], cache["rev"], cache["masks"]
        feat = cache["feat"]
        Hd = feat.shape[-1]
        G["head.weight"][...] = dlogits.reshape(-1, dlogits.shape[-1]).T @ feat.reshape(-1, Hd)
        G["head.bias"][...] = dlogits.reshape(-1, dlogits.shape[-1]).sum(0)
        dfeat = dlogits @ P["head.weight"]
        if masks.get("head") is not None:
            dfeat = dfeat * masks["head"]
        dtype = feat.dtype
        if self.sequence_output:
            dout, dfinal = dfeat, np.zeros((B, Hd), dtype=dtype)
        else:
            dout, dfinal = None, dfeat
        dh_n, dc_n = (dstate if cell == "lstm" else (dstate, None)) if dstate is not None else (None, None)
        dh0 = np.zeros((arch.num_layers * dirs, B, H), dtype=dtype)
        dc0 = np.zeros_like(dh0) if cell == "lstm" else None
        for layer in range(arch.num_layers - 1, -1, -1):
            dinp = None
            for d, e in enumerate(cache["layers"][layer]):
                w_ih, w_hh, b_ih, b_hh = arch.layer_names(layer, d)
                k = layer * dirs + d
                if dout is None:
                    dhs = np.zeros((T, B, H), dtype=dtype)
                else:
                    dhs = np.ascontiguousarray(dout[:, :, d * H:(d + 1) * H])
                    if d == 1:
                        dhs = _gather_time(dhs, rev)
                dh = np.zeros((B, H), dtype=dtype)
                if dfinal is not None and layer == arch.num_layers - 1:
                    dh += dfinal[:, d * H:(d + 1) * H]
                if dh_n is not None:
                    dh += dh_n[k]
                x, hs = e["x"], e["hs"]
                Din = x.shape[2]
                dxp = np.empty((T, B, arch.gates * H), dtype=dtype)
                if cell == "rnn":
                    K.backward(hs, P[w_hh], lengths, arch.activation == "relu", dhs, dh, dxp)
                    dhp = dxp
                elif cell == "lstm":
                    dc = np.zeros((B, H), dtype=dtype) if dc_n is None else np.array(dc_n[k], dtype=dtype)
                    K.backward(e["cs"], e["gates"], P[w_hh], lengths, dhs, dh, dc, dxp)
                    dc0[k] = dc
                    dhp = dxp
                else:
                    dhp = np.empty_like(dxp)
                    K.backward(hs, e["gates"], e["hn"], P[w_hh], lengths, dhs, dh, dxp, dhp)
                dh0[k] = dh
                dxp2 = dxp.reshape(T * B, -1)
                dhp2 = dhp.reshape(T * B, -1)
                G[w_ih][...] = dxp2.T @ x.reshape(T * B, Din)
                G[b_ih][...] = dxp2.sum(0)
                G[w_hh][...] = dhp2.T @ hs[:-1].reshape(T * B, H)
                G[b_hh][...] = dhp2.sum(0)
                dx = (dxp2 @ P[w_ih]).reshape(T, B, Din)
                if d == 1:
                    dx = _gather_time(dx, rev)
                dinp = dx if dinp is None else dinp + dx
            if layer > 0 and masks.get("layers") is not None:
                dinp = dinp * masks["layers"][layer - 1]
            dout, dfinal = dinp, None
        return dout, ((dh0, dc0) if cell == "lstm" else dh0)
