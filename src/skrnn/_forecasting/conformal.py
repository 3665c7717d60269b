"""Split-conformal prediction intervals, as functions of a "forecast these
windows" callable.

The caller refits its model on the series without their last ``size``
observations and passes a function that forecasts from given origins; the
absolute errors over those held-out origins, per horizon step and relative to
each window's local volatility (:func:`~skrnn._forecasting.transforms.local_scale`),
give the quantiles.  Steps past the calibrated range widen as ``sqrt(step)``.
"""

import warnings

import numpy as np
from scipy import stats

from .transforms import local_scale


def calibration_size(requested, horizon, n, needed):
    """Length of the final block held out for calibration.

    ``'auto'`` is ``max(horizon, min(24, n // 5))``, shortened on a short
    series so that the ``n``-long series without the block still has the
    ``needed`` (window + targets) observations to refit on; a ValueError when
    not even one observation can be held out. An int is used as given.
    """
    if requested != "auto":
        return requested
    size = min(max(horizon, min(24, n // 5)), n - needed)
    if size < 1:
        raise ValueError(f"Prediction intervals hold out the end of the series to calibrate on, but the shortest "
                         f"series has {n} observations and refitting needs window + targets = {needed} of them: "
                         "none is left to hold out. Use a shorter window or a longer series.")
    return size


def calibration_errors(forecast, U, size, window, steps):
    """Sorted normalised absolute errors per horizon step (a list of arrays).

    Parameters
    ----------
    forecast : callable ``forecast(sid, origins, K) -> ndarray of shape (len(origins), K)``
        Model-space forecasts of series ``sid`` from each origin (the position
        of the last observation read), by a model that never saw the last
        ``size`` observations.
    U : list of ndarray
        The model-space series.
    size : int
        The held-out final block; every position in it is an origin.
    window : int
    steps : int
        Steps to calibrate (at most ``size``).
    """
    K = min(steps, size)
    errors = [[] for _ in range(K)]
    for sid, u in enumerate(U):
        origins = np.arange(len(u) - size - 1, len(u) - 1)
        wins = np.stack([u[t - window + 1:t + 1] for t in origins])
        fc = forecast(sid, origins, K)
        for k in range(K):
            ok = origins + k + 1 < len(u)
            errors[k].extend(np.abs(u[origins[ok] + k + 1] - fc[ok, k]) / local_scale(wins[ok]))
    return [np.sort(e) for e in errors]


def half_widths(errors, level, steps):
    """Interval half-widths ``(steps,)`` relative to the local scale: the
    ``ceil((n + 1) * level) / n`` quantile of each step's errors, widened as
    ``sqrt(step)`` past the calibrated steps.

    With fewer than ``level / (1 - level)`` errors at the first step (a short
    series, hence a short calibration block) the quantile is the largest
    error, which may cover less than ``level``: a UserWarning says so. (Later
    steps always have fewer errors than the first, one per origin whose target
    lies in the block.)
    """
    m = len(errors[0])
    if np.ceil((m + 1) * level) > m:
        need = int(np.ceil(level / (1 - level) - 1e-9))
        warnings.warn(
            f"A {level:g} prediction interval needs at least {need} calibration residuals, but the series is short "
            f"and the calibration block gives {m} at step 1 (fewer at later steps): the interval is the largest "
            "residual and may cover less than asked. Use a longer series, a shorter window, or a lower level.",
            UserWarning,
            stacklevel=4,
        )
    q = []
    for e in errors:
        r = int(np.ceil((len(e) + 1) * level))
        q.append(e[min(r, len(e)) - 1])
    q = np.array(q)
    if steps > len(q):
        k = np.arange(len(q) + 1, steps + 1)
        q = np.concatenate([q, q[-1] * np.sqrt(k / len(q))])
    return q[:steps]


# ------------------------------------------------- strategy='mimo': pooled over steps
def step_scale(errors, steps, min_count=3, min_growth=0.5, max_growth=1.0):
    """Per-step scale ``s_k = a k^b`` (k = 1 .. ``steps``) of absolute errors grouped by step (``errors[k-1]``).

    ``log s_k`` is fitted by least squares (weighted by count) to ``log`` of each step's root mean square
    error, over the steps with at least ``min_count`` positive errors; ``b`` is clipped to
    ``[min_growth, max_growth]`` (``b = 0.5``, the random walk's ``sqrt(k)``, when fewer than two steps
    qualify), so the scale never decreases with the step. ``min_growth=0.5``: errors measured in one short
    block grow more slowly with the step than later errors do.
    """
    ks, rms, w = [], [], []
    for k, e in enumerate(errors, start=1):
        e = np.asarray(e, dtype=np.float64)
        if len(e) >= min_count and np.any(e > 0):
            ks.append(k)
            rms.append(np.sqrt(np.mean(e**2)))
            w.append(len(e))
    k_all = np.arange(1, steps + 1, dtype=np.float64)
    b = float(np.clip(0.5, min_growth, max_growth))
    if not ks:
        pooled = np.concatenate([np.asarray(e, np.float64) for e in errors] + [np.zeros(0)])
        a = float(np.sqrt(np.mean(pooled**2))) if pooled.size and np.any(pooled > 0) else 1.0
        return a * k_all**b
    x, yv, w = np.log(ks), np.log(rms), np.array(w, dtype=np.float64)
    if len(ks) >= 2:
        xm, ym = np.average(x, weights=w), np.average(yv, weights=w)
        slope = np.sum(w * (x - xm) * (yv - ym)) / max(np.sum(w * (x - xm) ** 2), 1e-12)
        b = float(np.clip(slope, min_growth, max_growth))
    loga = np.average(yv - b * x, weights=w)
    return np.exp(loga) * k_all**b


def pooled_half_widths(errors, level, steps, n_origins, stacklevel=4):
    """Half-widths ``(steps,)``, non-decreasing in the step: every step's errors divided by its
    :func:`step_scale` and pooled; the larger of their ``ceil((N + 1) level) / N`` empirical quantile and
    the normal-theory prediction quantile ``t_{(1 + level) / 2, n} sqrt(1 + 1 / n)`` times their root mean
    square (Student's t with ``n = n_origins`` degrees of freedom: the residuals of one origin are not
    independent, so the number of forecast origins, not of residuals, measures what the block knows); times
    the scale. Warns when the ``N`` pooled errors are too few for an empirical ``level`` quantile (the
    normal-theory one is used)."""
    scale = step_scale(errors, steps)
    pooled = np.concatenate([np.asarray(e, np.float64) / scale[k] for k, e in enumerate(errors) if k < steps]
                            + [np.zeros(0)])
    N = len(pooled)
    if N == 0:
        warnings.warn("No calibration residuals: the prediction intervals are infinite.", UserWarning,
                      stacklevel=stacklevel)
        return np.full(steps, np.inf)
    df = max(1, int(n_origins))
    q = stats.t.ppf((1 + level) / 2, df) * np.sqrt(1 + 1 / df) * np.sqrt(np.mean(pooled**2))
    r = int(np.ceil((N + 1) * level - 1e-9))
    if r > N:
        need = int(np.ceil(level / (1 - level) - 1e-9))
        warnings.warn(
            f"A {level:g} prediction interval needs at least {need} calibration residuals for an empirical "
            f"quantile, but the series is short and its last block gives {N}: the interval rests on a "
            "normal-theory quantile of them and on the seasonal naive floor, and may cover less than asked. Use "
            "a longer series or a lower level.", UserWarning, stacklevel=stacklevel)
    else:
        q = max(q, np.sort(pooled)[r - 1])
    return q * scale


def naive_floor(U, m, steps, level, scales, share=0.75, recent=2 / 3):
    """``share`` of the seasonal naive forecast's ``level`` quantile of absolute ``k``-step errors over the
    recent history of the series ``U`` (the targets in the last ``recent`` share of each series; each error
    relative to its series' ``scales`` entry, pooled over series; ``m = 1``: the naive forecast), made
    non-decreasing in ``k``: ``(steps,)``.

    The forecast of ``u[j]`` is ``u[j - m ceil(k / m)]``. A floor under the intervals: the calibration block
    is short (on yearly series a handful of origins, also the block that stopped training) and calm blocks
    happen, so no interval claims less than three quarters of the spread the recent history gives the
    seasonal naive forecast. The first third is left out because early growth (a series that triples in its
    first years) would otherwise widen every later interval. (``share`` and the two thirds were chosen on
    bench_forecast.py's ``--dev`` blocks, 137 series; see benchmarks/results/forecast_dev.txt.)
    """
    by_lag = {}  # the steps of one season share a lag
    for lag in sorted({m * ((k - 1) // m + 1) for k in range(1, steps + 1)}):
        e = [(np.abs(u[lag:] - u[:-lag]) / s)[-max(1, int(recent * len(u) + 1e-9)):]
             for u, s in zip(U, scales, strict=True) if len(u) > lag]
        e = np.concatenate(e + [np.zeros(0)])
        by_lag[lag] = np.quantile(e, level) if e.size else 0.0
    q = np.array([by_lag[m * ((k - 1) // m + 1)] for k in range(1, steps + 1)])
    return share * np.maximum.accumulate(q)
