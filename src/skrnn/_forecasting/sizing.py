"""Sizes of the series face's recipe (``strategy='mimo'``), as pure functions of the data's length,
seasonal period and horizon: the seasonality test, the members' window lengths, the network's output
length and the last block held out for early stopping and calibration.
"""

import math

import numpy as np


def acf(x, nlags):
    """Sample autocorrelations ``r_0 .. r_nlags`` (the biased estimator, statsmodels' default)."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    denom = np.dot(x, x)
    if denom <= 0:
        return np.r_[1.0, np.zeros(nlags)]
    return np.array([1.0] + [np.dot(x[k:], x[:-k]) / denom for k in range(1, nlags + 1)])


def seasonal_naive_ratio(u, m):
    """Mean absolute error of seasonal naive (``u[t + k - m]``) over the leads ``k = 1 .. m`` from every
    origin ``t`` with a season behind and ahead, divided by that of naive (``u[t]``): about 1 for white
    noise, 1.3 - 1.5 for a random walk, well below 1 when the season repeats."""
    u = np.asarray(u, dtype=np.float64)
    t = np.arange(m, len(u) - m)
    k = np.arange(1, m + 1)[:, None]
    naive = np.mean(np.abs(u[t + k] - u[t]))
    return float(np.mean(np.abs(u[t + k] - u[t + k - m])) / naive) if naive > 0 else 1.0


def seasonality_test(u, m, z=1.645, ratio=0.75):
    """The M4 Theta benchmark's test, ``|r_m|`` above ``z`` standard errors of Bartlett's formula
    (``z=1.645``: 90%), or seasonal naive's errors over a season of leads below ``ratio`` times naive's
    (:func:`seasonal_naive_ratio`); on a series of at least ``3 m`` observations, False for ``m <= 1``.

    The second criterion catches smooth cycles over few seasons, whose slowly decaying
    autocorrelations inflate Bartlett's bound (four days of half-hourly solar generation: ``r_48 =
    0.53`` under a bound of 0.55, where seasonal naive's errors are 0.46 of naive's)."""
    u = np.asarray(u, dtype=np.float64)
    if m <= 1 or len(u) < 3 * m:
        return False
    r = acf(u, m)
    limit = z * math.sqrt((1.0 + 2.0 * np.sum(r[1:m] ** 2)) / len(u))
    return bool(abs(r[m]) > limit or seasonal_naive_ratio(u, m) < ratio)


def output_length(H, n, L, min_windows=16):
    """Steps per network call: ``H`` (multi-input multi-output) when ``n`` observations give ``min_windows``
    windows of ``L + H``, else halved until they do (longer forecasts feed blocks back)."""
    Hc = H
    while Hc > 1 and n - L - Hc + 1 < min_windows:
        Hc = max(1, Hc // 2)
    return Hc


def window_lengths(m, seasonal, H, n, factors=(1.25, 2.0, 3.0), min_windows=16, min_length=3):
    """Input lengths of the ensemble members and the output length ``Hc``: ``factors x m`` for a seasonal
    series, ``factors x max(H, 4)`` otherwise (N-BEATS' lookbacks are multiples of the horizon), each
    shortened so that ``n`` observations still give ``min_windows`` windows of ``L + Hc``.
    Returns ``(sorted distinct lengths, Hc)``."""
    base = m if seasonal and m > 1 else max(H, 4)
    out = [max(min_length, int(round(f * base))) for f in factors]
    Hc = output_length(H, n, min(out), min_windows)
    cap = max(min_length, n - Hc - min_windows + 1)
    return sorted({min(L, cap) for L in out}), Hc


def calibration_block(n, H, L, Hc, min_windows=16, level=0.9, floor_windows=4):
    """Length of the last block held out for early stopping and calibration: ``H``, shortened so that the
    series without it still gives ``min_windows`` windows of ``L + Hc``; but not below the smallest block
    whose ``V (V + 1) / 2`` rolling-origin errors suffice for a ``level`` conformal quantile, while that
    leaves ``floor_windows`` windows (so that a 36-point series still gets intervals)."""
    need = math.ceil(level / (1 - level))  # N with ceil((N + 1) level) <= N
    v_min = next(v for v in range(1, 10**6) if v * (v + 1) // 2 >= need)

    def windows(b):
        return n - b - L - Hc + 1

    b = H
    while b > 1 and windows(b) < min_windows:
        b -= 1
    if b < v_min:
        b = max(b, min(v_min, H, max(1, n - L - Hc + 1 - floor_windows)))
    return max(b, 1)


def series_scale(u):
    """Per-series scale of the network's inputs and targets: the mean absolute first difference, floored
    (a constant series gets ``1e-3`` of its mean absolute level)."""
    u = np.asarray(u, dtype=np.float64)
    level = max(1.0, float(np.mean(np.abs(u))))
    s = float(np.mean(np.abs(np.diff(u)))) if len(u) > 1 else 0.0
    return s if s > 1e-12 * level else level * 1e-3
