"""The series face's transformation, as pure functions, and their inverses.

A series ``v`` becomes network inputs in four steps, each undone in reverse
to turn network outputs into forecasts:

1. model space: ``u = log(v)`` with ``log=True``, else ``u = v``
   (:func:`to_model` / :func:`from_model`);
2. differences at lag ``k`` (0: none) *inside each window*, so that a forecast
   depends only on the last ``window`` observations
   (:func:`window_inputs` / :func:`undifference`);
3. standardisation per series with the mean and standard deviation of its
   training differences (:class:`Scaling`, :func:`fit_scaling`), and of each
   covariate column;
4. windows: ``window`` observations whose targets are the next value
   (recursive) or the next ``horizon`` values (direct, seq2seq)
   (:func:`training_windows`).

Covariates: *past* covariates (observed up to the origin) are read at the
same step as each difference; *future-known* covariates are read at the step
being forecast.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class Scaling:
    """What :func:`fit_scaling` learns from the training series."""

    log: bool
    lag: int  # differencing lag; 0: none
    mu: np.ndarray  # (n_series,) mean of each series' differences (values when lag = 0)
    sd: np.ndarray  # (n_series,) their standard deviation (1 where constant)
    past_mu: np.ndarray | None = None  # (n_past,) of the past covariates
    past_sd: np.ndarray | None = None
    future_mu: np.ndarray | None = None  # (n_future,) of the future-known covariates
    future_sd: np.ndarray | None = None


def to_model(v, log):
    """Model space of the observations ``v``: their logarithm with ``log`` (needs a positive series)."""
    if log:
        if np.any(v <= 0):
            raise ValueError("log=True needs a strictly positive series; use log=False.")
        return np.log(v)
    return v


def from_model(u, log):
    return np.exp(u) if log else u


def differences(u, lag):
    """Lag-``lag`` differences along the last axis (``u`` itself when ``lag == 0``)."""
    return u[..., lag:] - u[..., :-lag] if lag else u


def _moments(a, axis=0):
    mu, sd = a.mean(axis=axis), a.std(axis=axis)
    return mu, np.where(sd > 0, sd, 1.0)


def fit_scaling(U, lag, log, past=None, future=None):
    """:class:`Scaling` of the model-space series ``U`` (list of arrays) and their covariates
    ``(n, n_cov)`` (or None)."""
    mu = np.array([np.mean(differences(u, lag)) for u in U])
    sd = np.array([np.std(differences(u, lag)) for u in U])
    sd[~(sd > 1e-12 * np.maximum(np.abs(mu), 1))] = 1.0
    pm, ps = _moments(past) if past is not None else (None, None)
    fm, fs = _moments(future) if future is not None else (None, None)
    return Scaling(log, lag, mu, sd, pm, ps, fm, fs)


def window_inputs(U, sid, sc, C=None, P=None):
    """Network input ``(n, window - lag)`` from model-space windows ``U`` ``(n, window)`` of series ``sid``
    ``(n,)``; with covariates ``(n, window - lag, 1 + n_past + n_future)``: each scaled difference, then the
    past covariates ``P`` observed at the same step, then the future-known covariates ``C`` of the step after
    it (both ``(n, window - lag, .)``, raw)."""
    Z = (differences(U, sc.lag) - sc.mu[sid, None]) / sc.sd[sid, None]
    if C is None and P is None:
        return Z
    parts = [Z[:, :, None]]
    if P is not None:
        parts.append((P - sc.past_mu) / sc.past_sd)
    if C is not None:
        parts.append((C - sc.future_mu) / sc.future_sd)
    return np.concatenate(parts, axis=2)


def unscale(Z, sid, sc):
    """Differences (model-space units) from scaled network outputs ``Z`` ``(n, k)``."""
    return Z * sc.sd[sid, None] + sc.mu[sid, None]


def undifference(U, d, lag):
    """``U`` ``(n, m)`` extended by the ``k`` values whose lag-differences are ``d`` ``(n, k)``."""
    n0 = U.shape[1]
    U = np.concatenate([U, np.zeros_like(d)], axis=1)
    for j in range(d.shape[1]):
        U[:, n0 + j] = d[:, j] + (U[:, n0 + j - lag] if lag else 0.0)
    return U


def past_windows(past, origins, window):
    """Past covariates ``(n, window, n_past)`` observed up to each origin, or None."""
    if past is None:
        return None
    return past[origins[:, None] + np.arange(-window + 1, 1)[None, :]]


def covariate_windows(cov, origins, window, steps):
    """Covariates ``(n, window + steps, n_cov)`` at the positions ``t - window + 1 .. t + steps`` of each
    origin ``t`` (edge-padded past the end), and the mask ``(n, steps)`` of forecasts whose covariates exist."""
    if cov is None:
        return None, np.ones((len(origins), steps), dtype=bool)
    pos = origins[:, None] + np.arange(-window + 1, steps + 1)[None, :]
    return cov[np.clip(pos, 0, len(cov) - 1)], pos[:, window:] < len(cov)


def training_windows(U, window, H, sc, past=None, future=None, forecast_past=False):
    """Network inputs and targets of every window of every model-space series in ``U``.

    Targets are the next ``H`` differences (scaled like the inputs), then, with
    ``forecast_past``, the past covariates' next values (scaled). Returns
    ``X`` ``(n, window - lag[, n_features])`` and ``Y`` ``(n, H[+ n_past])``.
    """
    lag = sc.lag
    if future is not None:
        fwin = np.lib.stride_tricks.sliding_window_view(future, window + H, axis=0).transpose(0, 2, 1)
    if past is not None:
        pwin = np.lib.stride_tricks.sliding_window_view(past, window + H, axis=0).transpose(0, 2, 1)
    Xs, Ys = [], []
    for sid, u in enumerate(U):
        win = np.lib.stride_tricks.sliding_window_view(u, window + H)
        ids = np.full(len(win), sid)
        C = None if future is None else fwin[:, lag + 1:window + 1]
        P = None if past is None else pwin[:, lag:window]
        Xs.append(window_inputs(win[:, :window], ids, sc, C, P))
        Y = window_inputs(win, ids, sc)[:, -H:]
        if past is not None and forecast_past:
            Y = np.concatenate([Y, (pwin[:, window] - sc.past_mu) / sc.past_sd], axis=1)
        Ys.append(Y)
    return np.concatenate(Xs), np.concatenate(Ys)


def local_scale(U):
    """Mean absolute first difference of each window ``(n,)``: interval errors are calibrated relative to
    it, so intervals follow the local volatility."""
    d = np.abs(np.diff(U, axis=1)).mean(axis=1)
    floor = 1e-3 * np.mean(np.abs(np.diff(U, axis=1))) + 1e-12
    return np.maximum(d, floor)
