"""A sequence-to-sequence encoder-decoder built from two :class:`Network` s.

The encoder reads the input window; its final state (PyTorch's ``h_n``, LSTM
``(h_n, c_n)``) is the initial state of a unidirectional decoder that runs
``n_steps`` steps on a one-hot step code and emits one value per step through
an identity head.  Gradients flow from the decoder's initial state back into
the encoder (``Network.backward``'s ``dstate``).

The class mimics the part of :class:`Network`'s interface that
:func:`skrnn._training.fit_epochs` uses (``arch``, ``layout.weight_mask``,
``sequence_output``, ``loss_grad``, ``forward``, ``loss``, ``predict``) on one
flat buffer ``[encoder | decoder]``, so the training loop is reused unchanged.
Its targets are ``(B, n_steps)``, like a multi-output head.
"""

import numpy as np

from ._network import Network
from ._params import Architecture, Layout


def seq2seq_architectures(cell, n_features, hidden_size, n_steps, num_layers, activation):
    enc = Architecture(cell=cell, n_features=n_features, hidden_size=hidden_size, n_outputs=1,
                       num_layers=num_layers, bidirectional=False, activation=activation)
    dec = Architecture(cell=cell, n_features=n_steps, hidden_size=hidden_size, n_outputs=1,
                       num_layers=num_layers, bidirectional=False, activation=activation)
    return enc, dec


class Seq2Seq:
    sequence_output = False  # to the training loop: one (n_steps,) target row per sequence

    def __init__(self, enc_arch, dec_arch):
        self.enc = Network(enc_arch, "identity", False)
        self.dec = Network(dec_arch, "identity", True)
        self.arch = enc_arch  # dropout masks are drawn for the encoder
        self.n_steps = dec_arch.n_features
        self.n_enc = Layout(enc_arch).size
        self.size = self.n_enc + Layout(dec_arch).size
        self.layout = self

    def weight_mask(self):
        return np.concatenate([self.enc.layout.weight_mask(), self.dec.layout.weight_mask()])

    def _split(self, flat):
        return flat[: self.n_enc], flat[self.n_enc:]

    def _decoder_input(self, B, dtype):
        S = self.n_steps
        X = np.zeros((S, B, S), dtype=dtype)
        X[np.arange(S), :, np.arange(S)] = 1.0
        return X

    def forward(self, flat, X, lengths, initial_state=None, masks=None):
        fe, fd = self._split(flat)
        B = X.shape[1]
        ce = self.enc.forward(fe, X, lengths, initial_state, masks)
        cd = self.dec.forward(fd, self._decoder_input(B, X.dtype), np.full(B, self.n_steps, dtype=np.int64),
                              self.enc.final_state(ce))
        return {"enc": ce, "dec": cd, "logits": np.ascontiguousarray(cd["logits"][:, :, 0].T)}

    def loss(self, cache, Y, sample_weight):
        """Weighted mean over sequences and steps of half the squared error; ``dL/dlogits`` of the decoder."""
        Yd = np.ascontiguousarray(Y.T[:, :, None])
        return self.dec.loss(cache["dec"], Yd, sample_weight)

    def loss_grad(self, flat, grad, X, lengths, Y, sample_weight=None, alpha=0.0, l1=0.0, masks=None,
                  weight_mask=None):
        fe, fd = self._split(flat)
        ge, gd = self._split(grad)
        cache = self.forward(flat, X, lengths, None, masks)
        loss, dz = self.loss(cache, Y, sample_weight)
        _, dstate = self.dec.backward(fd, gd, cache["dec"], dz)
        self.enc.backward(fe, ge, cache["enc"], np.zeros_like(cache["enc"]["logits"]), dstate)
        if alpha or l1:
            n = X.shape[1] if sample_weight is None else float(np.sum(sample_weight))
            loss += self.enc._penalty(fe, ge, alpha, l1, n, None) + self.dec._penalty(fd, gd, alpha, l1, n, None)
        return loss

    def predict(self, flat, X, lengths):
        """``(B, n_steps)`` outputs."""
        return self.forward(flat, X, lengths)["logits"]
