"""Numba kernels: the recurrent time loops, one module per cell.

Each module holds a ``forward`` and a ``backward`` kernel for one cell.  They
only run the sequential part of a layer (the per-step ``h_{t-1} @ W_hh^T``
product and the elementwise cell update); everything that is one large matrix
product over all steps (input projections, weight gradients) is done by the
caller with NumPy/BLAS (``linalg.at_b`` sums a small layer's weight
gradient over blocks of rows, which BLAS runs faster).  The forward-only ``infer`` kernels (LSTM, GRU) keep
no state for a backward pass.  Arrays are time-major, C-contiguous and writable:

* ``xp``: ``(T, B, G*H)`` input projection ``x_t @ W_ih^T + b_ih`` (Elman
  also folds ``b_hh`` in; GRU keeps ``b_hh`` apart because of the reset gate);
* LSTM instead reads ``z``: ``(T+1, B, H+D+1)`` states and inputs side by
  side, ``z[t] = [h_{t-1} | x_t | 1]``, and one product per step with
  ``[W_hh^T; W_ih^T; b_ih + b_hh]`` gives the whole pre-activation (the
  input projection rides in the recurrent product; ``h_t`` is written into
  ``z[t+1, :, :H]``, so the weight gradients are one product over ``z`` too);
* ``hs``: ``(T+1, B, H)`` hidden states, ``hs[0]`` is the initial state;
* ``lengths``: ``(B,)`` int64 valid lengths.  At a step ``t >= lengths[b]`` the
  state is carried unchanged, so ``hs[T]`` is the state after the last valid
  step, and the backward pass gives padded steps zero gradient.

``KERNELS`` maps a cell name to its module; the Python layer selects kernels by
this lookup.  A cell's module is imported at its first lookup, so a fit of one
cell does not build the other cells' dispatchers.
"""

import importlib
from collections.abc import Mapping


class _CellModules(Mapping):
    """Cell name -> kernel module, each imported by its first lookup."""

    _NAMES = ("rnn", "lstm", "gru")

    def __getitem__(self, cell):
        if cell not in self._NAMES:
            raise KeyError(cell)
        return importlib.import_module(f"{__name__}.{cell}")

    def __iter__(self):
        return iter(self._NAMES)

    def __len__(self):
        return len(self._NAMES)


KERNELS = _CellModules()
