"""Sequence-to-sequence with unequal lengths: an encoder RNN whose final state
starts a decoder RNN.

* Encoder: a unidirectional :class:`Network` over the input sequence ``X``
  ``(T, B, D)`` (its head is unused).  Its final state (PyTorch's ``h_n``,
  LSTM ``(h_n, c_n)``) is the decoder's initial state, so both have the same
  cell, hidden size and number of layers.
* Decoder: a unidirectional many-to-many :class:`Network` with an identity
  head emitting ``K`` values per step.  What it reads (``decoder_input``):

  - ``'feedback'``: its own previous output.  Its input at step ``s`` is
    ``[y_{s-1}, 0]``, and ``[0, 1]`` (a "go" flag) at step 0.  Training uses
    teacher forcing (``y_{s-1}`` is the target); prediction is free-running,
    stepped by :func:`skrnn._rollout.rollout`.  Any output length.
  - ``'step'``: the one-hot code of the step ``s`` (``n_steps`` of them), no
    output fed back, so training and prediction are the same single pass (a
    direct multi-step forecaster: no exposure bias, at most ``n_steps``
    outputs).

* The loss gradient flows from the decoder's initial state into the encoder
  through ``Network.backward(dstate=...)``.

Targets ``Y`` are ``(S, B, K)`` time-major with their own lengths (``1 <=
out_lengths <= S``); the loss is half the squared error averaged over the
valid output steps (each step weighted by its sequence's weight).

:class:`EncoderDecoder` implements the training loop's objective protocol
(:class:`skrnn._training.Objective`), with targets packed as ``(B, S, K + 1)``
(the values, then a 0/1 channel marking the valid output steps), so that
:class:`~skrnn.RNNSeq2SeqRegressor` and ``RNNForecaster(strategy='seq2seq')``
train it with the common loop.
"""

import numpy as np

from .network import Network
from .params import Architecture, Layout, initialize
from .rollout import rollout


class EncoderDecoder:
    """One flat buffer ``[encoder | decoder]``; see the module docstring.

    Parameters
    ----------
    cell : {'rnn', 'lstm', 'gru'}
    n_features : int
        Input features per step ``D``.
    n_outputs : int
        Output values per step ``K``.
    hidden_size, num_layers : int
    activation : {'tanh', 'relu'}
    decoder_input : {'feedback', 'step'}, default='feedback'
        What the decoder reads at each step: its previous output, or the
        one-hot code of the step.
    n_steps : int or None
        Number of step codes (the longest output) with ``decoder_input='step'``.
    """

    def __init__(self, cell, n_features, n_outputs, hidden_size, num_layers=1, activation="tanh",
                 decoder_input="feedback", n_steps=None):
        if decoder_input not in ("feedback", "step") or (decoder_input == "step") != (n_steps is not None):
            raise ValueError("decoder_input='step' needs n_steps (and 'feedback' none); "
                             f"got {decoder_input!r}, n_steps={n_steps!r}.")
        kw = dict(cell=cell, hidden_size=hidden_size, num_layers=num_layers, activation=activation)
        self.enc = Network(Architecture(n_features=n_features, n_outputs=1, **kw), "identity")
        d_in = n_outputs + 1 if decoder_input == "feedback" else n_steps
        self.dec = Network(Architecture(n_features=d_in, n_outputs=n_outputs, **kw), "identity",
                           sequence_output=True)
        self.n_outputs, self.decoder_input, self.n_steps = n_outputs, decoder_input, n_steps
        self.n_enc = Layout(self.enc.arch).size
        self.size = self.n_enc + Layout(self.dec.arch).size

    @classmethod
    def from_config(cls, config):
        """The encoder-decoder described by :attr:`config` (estimators keep the config, not the object: a
        Network keeps thread-local buffers, which do not pickle)."""
        return cls(*config) if isinstance(config, (tuple, list)) else cls(**config)  # a tuple before 0.2

    @property
    def config(self):
        a = self.enc.arch
        return {"cell": a.cell, "n_features": a.n_features, "n_outputs": self.n_outputs, "hidden_size": a.hidden_size,
                "num_layers": a.num_layers, "activation": a.activation, "decoder_input": self.decoder_input,
                "n_steps": self.n_steps}

    def split(self, flat):
        """Views ``(encoder, decoder)`` of a flat buffer."""
        return flat[: self.n_enc], flat[self.n_enc:]

    def weight_mask(self):
        return np.concatenate([self.enc.layout.weight_mask(), self.dec.layout.weight_mask()])

    # ------------------------------------------------------------- parameters
    def initialize(self, rng, dtype, initializer="xavier_uniform", recurrent_initializer="orthogonal"):
        """A new flat buffer: the encoder's parameters, then the decoder's."""
        return np.concatenate([initialize(net.layout, rng, dtype, initializer, recurrent_initializer)
                               for net in (self.enc, self.dec)])

    def views(self, flat):
        """Named views, the encoder's prefixed ``encoder.`` and the decoder's ``decoder.`` (the encoder's
        ``head`` is part of the buffer but unused)."""
        fe, fd = self.split(flat)
        return {**{f"encoder.{k}": v for k, v in self.enc.views(fe).items()},
                **{f"decoder.{k}": v for k, v in self.dec.views(fd).items()}}

    def to_state_dict(self, flat):
        return {k: v.copy() for k, v in self.views(flat).items()}

    def tensor_slices(self):
        """``{name: (start, stop)}`` of each named tensor in the flat buffer, named as :meth:`views`."""
        return {**{f"encoder.{k}": ab for k, ab in self.enc.tensor_slices().items()},
                **{f"decoder.{k}": (a + self.n_enc, b + self.n_enc) for k, (a, b) in self.dec.tensor_slices().items()}}

    def from_state_dict(self, state_dict, dtype):
        flat = np.empty(self.size, dtype=dtype)
        fe, fd = self.split(flat)
        for prefix, net, part in (("encoder.", self.enc, fe), ("decoder.", self.dec, fd)):
            sub = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
            part[...] = net.from_state_dict(sub, dtype)
        unexpected = [k for k in state_dict if not k.startswith(("encoder.", "decoder."))]
        if unexpected:
            raise ValueError(f"state_dict does not match this encoder-decoder: unexpected {sorted(unexpected)}.")
        return flat

    # ------------------------------------------- the training loop's protocol
    @staticmethod
    def unpack(Yp):
        """Time-major targets ``(S, B, K)`` and their lengths from packed ``(B, S, K + 1)``."""
        out_lengths = Yp[:, :, -1].sum(axis=1).astype(np.int64)
        return np.ascontiguousarray(Yp[:, : out_lengths.max(), :-1].transpose(1, 0, 2)), out_lengths

    @staticmethod
    def pack(Y, mask):
        """Packed targets ``(B, S, K + 1)`` from batch-major values ``(B, S, K)`` and the valid-step mask."""
        return np.concatenate([Y * mask[:, :, None], mask[:, :, None].astype(Y.dtype)], axis=2)

    def loss_and_grad(self, params, grad, batch, masks):
        X, lengths, Yp, w = batch
        return self.loss_grad(params, grad, X, lengths, *self.unpack(Yp), w, masks), float(np.sum(w))

    def evaluate(self, params, batch):
        X, lengths, Yp, w = batch
        return self.loss(params, X, lengths, *self.unpack(Yp), w), float(w.sum())

    def dropout_shapes(self, batch):
        """The encoder's (the decoder runs without dropout)."""
        return self.enc.dropout_shapes(batch)

    def teacher_inputs(self, Y):
        """Decoder inputs ``(S, B, .)`` for targets ``Y`` ``(S, B, K)``: under teacher forcing the go flag,
        then the targets shifted by one; with ``decoder_input='step'`` the step codes."""
        S, B, K = Y.shape
        if self.decoder_input == "step":
            return self._step_codes(S, B, Y.dtype)
        Xd = np.zeros((S, B, K + 1), dtype=Y.dtype)
        Xd[0, :, K] = 1.0
        Xd[1:, :, :K] = Y[:-1]
        return Xd

    def _step_codes(self, S, B, dtype):
        if S > self.n_steps:
            raise ValueError(f"This encoder-decoder emits at most n_steps={self.n_steps} steps; {S} were asked for.")
        Xd = np.zeros((S, B, self.n_steps), dtype=dtype)
        Xd[np.arange(S), :, np.arange(S)] = 1.0
        return Xd

    def _forward(self, flat, X, lengths, Y, out_lengths, masks=None):
        fe, fd = self.split(flat)
        ce = self.enc.forward(fe, X, lengths, None, masks)
        cd = self.dec.forward(fd, self.teacher_inputs(Y), out_lengths, initial_state=self.enc.final_state(ce))
        return ce, cd

    def loss(self, flat, X, lengths, Y, out_lengths, sample_weight=None):
        """Teacher-forced loss at ``flat`` (no gradient)."""
        _, cd = self._forward(flat, X, lengths, Y, out_lengths)
        if sample_weight is None:
            sample_weight = np.ones(X.shape[1], dtype=X.dtype)
        return self.dec.loss(cd, Y, sample_weight)[0]

    def loss_grad(self, flat, grad, X, lengths, Y, out_lengths, sample_weight=None, masks=None):
        """Teacher-forced loss at ``flat``; writes its gradient into ``grad``. ``masks``: the encoder's dropout."""
        fe, fd = self.split(flat)
        ge, gd = self.split(grad)
        ce, cd = self._forward(flat, X, lengths, Y, out_lengths, masks)
        if sample_weight is None:
            sample_weight = np.ones(X.shape[1], dtype=X.dtype)
        loss, dz = self.dec.loss(cd, Y, sample_weight)
        _, dstate = self.dec.backward(fd, gd, cd, dz)
        self.enc.backward(fe, ge, ce, np.zeros_like(ce["logits"]), dstate=dstate)
        return loss

    def predict(self, flat, X, lengths, n_steps):
        """Free-running outputs ``(n_steps, B, K)``: each step reads the previous output (or its step code)."""
        fe, fd = self.split(flat)
        state = self.enc.final_state(self.enc.forward(fe, X, lengths))
        B, K = X.shape[1], self.n_outputs
        if self.decoder_input == "step":
            return self.dec.forward(fd, self._step_codes(n_steps, B, X.dtype), np.full(B, n_steps, dtype=np.int64),
                                    initial_state=state)["logits"]
        go = np.zeros((1, B, K + 1), dtype=X.dtype)
        go[0, :, K] = 1.0
        zero = np.zeros((B, 1), dtype=X.dtype)
        out, _, _ = rollout(self.dec, fd, go, np.ones(B, dtype=np.int64), n_steps,
                            lambda k, z: np.concatenate([z, zero], axis=1), initial_state=state)
        return out
