"""Per-step targets and outputs (``return_sequences=True``), in one place.

Targets ``y`` for sequence output come as

* an array ``(n_samples, n_timesteps)`` or ``(n_samples, n_timesteps,
  n_outputs)`` aligned with ``X`` (``n_timesteps`` must equal that of ``X``);
  entries at the padded steps of ``X`` (beyond a sequence's length) are
  ignored, whatever they hold (NaN, a dummy label...);
* a list of ``n_samples`` arrays of shape ``(T_i,)`` or ``(T_i, n_outputs)``,
  each as long as its input sequence.

Predictions mirror the input: an array ``(n_samples, n_timesteps[, K])`` when
every sequence of ``X`` has the same length, otherwise a list of per-sequence
arrays of each sequence's own length.
"""

import numpy as np


def check_step_targets(y, seqs, name):
    """Padded per-step targets ``(N, T, ...)`` (raw values) and the ``(N, T)``
    mask of valid steps.  Padded entries are overwritten with a valid entry of
    the same sequence, so they can go through label encoders and finiteness
    checks; callers must still ignore them (the mask)."""
    N, T = seqs.X.shape[0], seqs.X.shape[1]
    lengths = seqs.lengths
    mask = step_mask(seqs)
    if isinstance(y, (list, tuple)) and len(y) and all(np.ndim(v) >= 1 for v in y):
        if len(y) != N:
            raise ValueError(f"y has {len(y)} sequences of labels, but X has {N} sequences.")
        parts = [np.asarray(v.to_numpy() if hasattr(v, "to_numpy") else v) for v in y]
        tails = {p.shape[1:] for p in parts}
        if len(tails) > 1:
            raise ValueError(f"The per-sequence targets in y have different shapes beyond time {sorted(tails)}.")
        bad = [i for i, p in enumerate(parts) if len(p) != lengths[i]]
        if bad:
            i = bad[0]
            raise ValueError(
                f"With return_sequences=True, y[{i}] must have one target per step of X[{i}] "
                f"({lengths[i]} steps); got {len(parts[i])}."
            )
        out = np.empty((N, T) + tails.pop(), dtype=np.result_type(*[p.dtype for p in parts]))
        for i, p in enumerate(parts):
            out[i, : len(p)] = p
            out[i, len(p):] = p[-1]
        return out, mask
    y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if y.ndim < 2 or y.shape[0] != N or y.shape[1] != T:
        raise ValueError(
            f"With return_sequences=True, y must be of shape (n_samples, n_timesteps) = ({N}, {T}) "
            f"or ({N}, {T}, n_outputs) like X, or a list of per-sequence arrays; got shape {y.shape}. "
            f"Use return_sequences=False for one target per sequence."
        )
    if y.ndim > 3:
        raise ValueError(f"{name}: y must have at most 3 dimensions with return_sequences=True; got {y.shape}.")
    return fill_padding(y, mask), mask


def fill_padding(y, mask):
    """``y`` with each padded entry replaced by the sequence's first step."""
    idx = np.where(mask, np.arange(mask.shape[1])[None, :], 0)
    return np.take_along_axis(y, idx.reshape(idx.shape + (1,) * (y.ndim - 2)), axis=1)


def split_steps(out, seqs):
    """Per-step predictions ``(N, T, ...)`` -> the array itself when every
    sequence is full length and ``X`` was not a list, else a list of arrays
    ``(L_i, ...)``."""
    if seqs.layout != "list" and (seqs.lengths == out.shape[1]).all():
        return out
    return [out[i, :L] for i, L in enumerate(seqs.lengths)]


def step_mask(seqs):
    """``(N, T)`` boolean, True at the valid steps of each sequence."""
    return np.arange(seqs.X.shape[1])[None, :] < seqs.lengths[:, None]
