"""Numba kernels: the recurrent time loops, one module per cell.

Each module holds a ``forward`` and a ``backward`` kernel for one cell.  They
only run the sequential part of a layer (the per-step ``h_{t-1} @ W_hh^T``
product and the elementwise cell update); everything that is one large matrix
product over all steps (input projections, weight gradients) is done by the
caller with NumPy/BLAS.  Arrays are time-major, C-contiguous and writable:

* ``xp``: ``(T, B, G*H)`` input projection ``x_t @ W_ih^T + b_ih`` (Elman and
  LSTM also fold ``b_hh`` in; GRU keeps ``b_hh`` apart because of the reset gate);
* ``hs``: ``(T+1, B, H)`` hidden states, ``hs[0]`` is the initial state;
* ``lengths``: ``(B,)`` int64 valid lengths.  At a step ``t >= lengths[b]`` the
  state is carried unchanged, so ``hs[T]`` is the state after the last valid
  step, and the backward pass gives padded steps zero gradient.

``KERNELS`` maps a cell name to its module; the Python layer selects kernels by
this lookup.
"""

from . import gru, lstm, rnn

KERNELS = {"rnn": rnn, "lstm": lstm, "gru": gru}
