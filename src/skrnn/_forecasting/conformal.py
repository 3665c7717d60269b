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
