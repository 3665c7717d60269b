"""Split-conformal prediction intervals for :class:`~skrnn.RNNForecaster`.

The forecaster is refitted once (lazily, on the first interval request) on
the series without its last ``calibration_size`` observations; its absolute
errors over those held-out origins, per horizon step and relative to each
window's local volatility (mean absolute first difference), give the
quantiles.  Steps past the calibrated range widen as ``sqrt(step)``.
"""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning


class ConformalIntervalsMixin:
    """Interval half-widths for a fitted series-face forecaster."""

    def _calibrate(self, steps):
        """Absolute calibration errors per step (list of arrays), computed once per fit."""
        cache = self._calibration
        if cache is not None and len(cache) >= steps:
            return cache
        S = self._series
        n = min(len(v) for v in S.values)
        size = (max(self.horizon, min(24, n // 5)) if self.calibration_size == "auto" else self.calibration_size)
        H = 1 if self.strategy == "recursive" else self.horizon
        if n - size < self.window + H:
            raise ValueError(f"Prediction intervals need the series without its last calibration_size={size} "
                             f"observations to be at least window + {H} long; the shortest series has {n}. "
                             "Use a smaller calibration_size or window.")
        cut = S.cut(size)
        model = clone(self)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model._fit_series(cut)
        K = min(max(steps, self.horizon), size)
        errors = [[] for _ in range(K)]
        for sid, v in enumerate(S.values):
            u = self._to_model(v)
            origins = np.arange(len(u) - size - 1, len(u) - 1)  # last observed position
            wins = np.stack([u[t - self.window + 1:t + 1] for t in origins])
            C, _ = self._cov_windows(S.fcov, origins, K)
            P = self._past_windows(S.covariates(), origins)
            fc = model._forecast_windows(wins, np.full(len(origins), sid), K, C, P)
            for k in range(K):
                ok = origins + k + 1 < len(u)
                errors[k].extend(np.abs(u[origins[ok] + k + 1] - fc[ok, k]) / self._local_scale(wins[ok]))
        self._calibration = [np.sort(e) for e in errors]
        return self._calibration

    def _local_scale(self, U):
        """Mean absolute first difference of each window ``(n,)``: errors are
        calibrated relative to it, so intervals follow the local volatility."""
        d = np.abs(np.diff(U, axis=1)).mean(axis=1)
        floor = 1e-3 * np.mean(np.abs(np.diff(U, axis=1))) + 1e-12
        return np.maximum(d, floor)

    def _half_widths(self, level, steps):
        errors = self._calibrate(steps)
        q = []
        for e in errors:
            r = int(np.ceil((len(e) + 1) * level))
            q.append(e[min(r, len(e)) - 1])
        q = np.array(q)
        if steps > len(q):
            k = np.arange(len(q) + 1, steps + 1)
            q = np.concatenate([q, q[-1] * np.sqrt(k / len(q))])
        return q[:steps]
