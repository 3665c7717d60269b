"""Windows of the multi-input multi-output strategy (``strategy='mimo'``), as pure functions.

Each window of ``L`` model-space observations is read minus its *level* -- its mean (``'mean'``) or its
last value (``'last'``), or nothing (``'none'``) -- and divided by the series' scale
(:func:`~skrnn._forecasting.sizing.series_scale`); its target is the next ``Hc`` values, normalised alike.
A forecast adds the level back, so the network learns shapes, not levels (ES-RNN and N-BEATS normalise
their windows this way). ``'season'`` (needs ``L >= m``) reads the window minus its last value, like
``'last'``, but its targets are read minus the window's seasonal-naive forecast (its last season,
repeated): the network learns the departure from seasonal naive, and a network that outputs zeros
forecasts seasonal naive. ``'drift'`` does the same with the window's random-walk-with-drift path (its
last value plus its average change per step): a network that outputs zeros forecasts naive with drift.
"""

import numpy as np

NORMALIZATIONS = ("mean", "last", "season", "drift", "none")  # a member's ``normalize`` (``'mix'`` picks among them)


def window_level(W, normalize):
    """Level ``(n,)`` of windows ``W`` ``(n, L)``."""
    if normalize == "last":
        return W[:, -1].copy()
    if normalize == "mean":
        return W.mean(axis=1)
    return np.zeros(len(W))


def window_slope(W, m=1):
    """Drift per step ``(n,)`` of windows ``W`` ``(n, L)``: the change from the first to the last observation
    over the steps between them, the random walk with drift's estimate (with ``m > 1`` and ``L >= 2 m``,
    between the means of the first and last seasons, so that the seasonal pattern cancels); zero for a
    one-step window."""
    L = W.shape[1]
    if L < 2:
        return np.zeros(len(W))
    p = m if 1 < m and 2 * m <= L else 1
    return (W[:, L - p:].mean(axis=1) - W[:, :p].mean(axis=1)) / (L - p)


def target_level(W, Hc, normalize, m=1):
    """What the ``Hc`` targets of windows ``W`` ``(n, L)`` are read minus, ``(n, Hc)``: the window's level
    (:func:`window_level`), with ``'season'`` its seasonal-naive path ``W[:, L - m + k % m]``, with
    ``'drift'`` its random-walk-with-drift path ``W[:, -1] + (k + 1) * slope`` (:func:`window_slope`)."""
    if normalize == "season":
        L = W.shape[1]
        if not 1 < m <= L:
            raise ValueError(f"normalize='season' needs a seasonal period m > 1 no longer than the window; "
                             f"got m={m}, window={L}.")
        return W[:, L - m + np.arange(Hc) % m]
    if normalize == "drift":
        return W[:, -1:] + window_slope(W, m)[:, None] * np.arange(1, Hc + 1)[None, :]
    return np.repeat(window_level(W, normalize)[:, None], Hc, axis=1)


def training_windows(u, L, Hc, scale, normalize, m=1):
    """Inputs ``(n_w, L)``, targets ``(n_w, Hc)`` of every window of the model-space series ``u``, and the
    origin (position of the last input) of each window."""
    win = np.lib.stride_tricks.sliding_window_view(np.asarray(u, dtype=np.float64), L + Hc)
    X, lev = input_windows(win[:, :L], scale, normalize, Hc, m)
    Y = (win[:, L:] - lev) / scale
    return X, Y, np.arange(L - 1, L - 1 + len(win))


def input_windows(W, scale, normalize, Hc=1, m=1):
    """Network inputs ``(n, L)`` of model-space windows ``W`` ``(n, L)`` (``scale`` scalar or ``(n,)``)
    and the levels ``(n, Hc)`` of their targets (:func:`target_level`)."""
    lev = window_level(W, "last" if normalize in ("season", "drift") else normalize)
    return (W - lev[:, None]) / np.reshape(scale, (-1, 1)), target_level(W, Hc, normalize, m)


def forecast_blocks(predict, U, L, Hc, steps, scale, normalize, m=1):
    """Model-space forecasts ``(n, steps)`` from the windows ``U`` ``(n, >= L)``: ``predict`` maps network
    inputs ``(n, L)`` to outputs ``(n, Hc)``; blocks of ``Hc`` steps are fed back until ``steps`` are done."""
    H = np.array(U, dtype=np.float64)
    n0 = H.shape[1]
    sc = np.reshape(scale, (-1, 1))
    while H.shape[1] < n0 + steps:
        X, lev = input_windows(H[:, -L:], scale, normalize, Hc, m)
        F = np.asarray(predict(X), dtype=np.float64).reshape(len(H), Hc) * sc + lev
        H = np.concatenate([H, F], axis=1)
    return H[:, n0:n0 + steps]


def step_errors(truth, forecasts, origins, steps):
    """Absolute errors grouped by step (a list of ``steps`` arrays): ``forecasts[j, k]`` forecasts
    ``truth[origins[j] + 1 + k]``; targets past the end of ``truth`` are skipped."""
    out = []
    for k in range(steps):
        pos = origins + 1 + k
        ok = pos < len(truth)
        out.append(np.abs(truth[pos[ok]] - forecasts[ok, k]))
    return out
