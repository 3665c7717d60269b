"""Sequence-to-sequence with unequal lengths: an encoder RNN whose final state
starts a decoder RNN that reads its own previous output.

* Encoder: a unidirectional :class:`Network` over the input sequence ``X``
  ``(T, B, D)`` (its head is unused).  Its final state (PyTorch's ``h_n``,
  LSTM ``(h_n, c_n)``) is the decoder's initial state, so both have the same
  cell, hidden size and number of layers.
* Decoder: a unidirectional many-to-many :class:`Network` with an identity
  head emitting ``K`` values per step.  Its input at step ``s`` is ``[y_{s-1},
  0]``, and ``[0, 1]`` (a "go" flag) at step 0.
* Training uses teacher forcing (``y_{s-1}`` is the target), so one pass of
  each network computes the loss; its gradient flows from the decoder's
  initial state into the encoder through ``Network.backward(dstate=...)``.
* Prediction is free-running: ``y_{s-1}`` is the decoder's own previous
  output, stepped by :func:`skrnn._rollout.rollout`.

Targets ``Y`` are ``(S, B, K)`` time-major with their own lengths (``1 <=
out_lengths <= S``); the loss is half the squared error averaged over the
valid output steps (each step weighted by its sequence's weight).
"""

import numpy as np

from ._network import Network
from ._params import Architecture, Layout
from ._rollout import rollout


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
    """

    def __init__(self, cell, n_features, n_outputs, hidden_size, num_layers=1, activation="tanh"):
        kw = dict(cell=cell, hidden_size=hidden_size, num_layers=num_layers, activation=activation)
        self.enc = Network(Architecture(n_features=n_features, n_outputs=1, **kw), "identity")
        self.dec = Network(Architecture(n_features=n_outputs + 1, n_outputs=n_outputs, **kw), "identity",
                           sequence_output=True)
        self.n_outputs = n_outputs
        self.n_enc = Layout(self.enc.arch).size
        self.size = self.n_enc + Layout(self.dec.arch).size

    def split(self, flat):
        """Views ``(encoder, decoder)`` of a flat buffer."""
        return flat[: self.n_enc], flat[self.n_enc:]

    def weight_mask(self):
        return np.concatenate([self.enc.layout.weight_mask(), self.dec.layout.weight_mask()])

    def teacher_inputs(self, Y):
        """Decoder inputs ``(S, B, K + 1)`` under teacher forcing: the go flag, then the targets shifted by one."""
        S, B, K = Y.shape
        Xd = np.zeros((S, B, K + 1), dtype=Y.dtype)
        Xd[0, :, K] = 1.0
        Xd[1:, :, :K] = Y[:-1]
        return Xd

    def loss_grad(self, flat, grad, X, lengths, Y, out_lengths, sample_weight=None):
        """Teacher-forced loss at ``flat``; writes its gradient into ``grad``."""
        fe, fd = self.split(flat)
        ge, gd = self.split(grad)
        ce = self.enc.forward(fe, X, lengths)
        cd = self.dec.forward(fd, self.teacher_inputs(Y), out_lengths, initial_state=self.enc.final_state(ce))
        if sample_weight is None:
            sample_weight = np.ones(X.shape[1], dtype=X.dtype)
        loss, dz = self.dec.loss(cd, Y, sample_weight)
        _, dstate = self.dec.backward(fd, gd, cd, dz)
        self.enc.backward(fe, ge, ce, np.zeros_like(ce["logits"]), dstate=dstate)
        return loss

    def predict(self, flat, X, lengths, n_steps):
        """Free-running outputs ``(n_steps, B, K)``: each step reads the previous output."""
        fe, fd = self.split(flat)
        state = self.enc.final_state(self.enc.forward(fe, X, lengths))
        B, K = X.shape[1], self.n_outputs
        go = np.zeros((1, B, K + 1), dtype=X.dtype)
        go[0, :, K] = 1.0
        zero = np.zeros((B, 1), dtype=X.dtype)
        out, _, _ = rollout(self.dec, fd, go, np.ones(B, dtype=np.int64), n_steps,
                            lambda k, z: np.concatenate([z, zero], axis=1), initial_state=state)
        return out
