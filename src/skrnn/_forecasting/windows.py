"""Forecasts from windows by a fitted network: pure functions of the network
(:class:`~skrnn._nn.network.Network` or
:class:`~skrnn._nn.encoder_decoder.EncoderDecoder`), its parameters and the
fitted :class:`~skrnn._forecasting.transforms.Scaling`.

* recursive: a one-step network stepped by :func:`~skrnn._nn.rollout.rollout`,
  each predicted difference fed back as the next input;
* direct and seq2seq: ``horizon`` steps per call, fed back block by block for
  longer forecasts.
"""

import numpy as np

from .._config import single_threaded_blas
from .._nn.encoder_decoder import EncoderDecoder
from .._nn.rollout import rollout
from .._validation import Sequences
from .transforms import covariate_windows, past_windows, undifference, unscale, window_inputs


def network_outputs(model, params, X, batch=1024):
    """Outputs ``(n, n_outputs)`` of ``model`` for network inputs ``X`` ``(n, T[, D])`` (equal lengths)."""
    X = np.atleast_3d(np.asarray(X, dtype=params.dtype))
    seqs = Sequences(X, np.full(len(X), X.shape[1], dtype=np.int64), "3d")
    with single_threaded_blas():
        if isinstance(model, EncoderDecoder):
            return np.concatenate([model.predict(params, Xb, L, model.n_steps)[:, :, 0].T
                                   for Xb, L in seqs.time_major_chunks(batch)])
        return np.concatenate([model.predict(params, Xb, L) for Xb, L in seqs.time_major_chunks(batch)])


def forecast_windows(model, params, sc, strategy, window, horizon, U, sid, steps, C=None, P=None):
    """Forecasts ``(n, steps)`` in model space from model-space windows ``U`` ``(n, window)`` of series
    ``sid`` ``(n,)``, with future-known covariates ``C`` ``(n, window + steps, n_future)`` (from
    :func:`~skrnn._forecasting.transforms.covariate_windows`) and past covariates ``P`` ``(n, window, n_past)``
    (from :func:`~skrnn._forecasting.transforms.past_windows`)."""
    U = np.array(U, dtype=np.float64)
    if strategy == "recursive":
        Z = rollout_differences(model, params, sc, window, U, sid, steps, C, P)
        return undifference(U, unscale(Z, sid, sc), sc.lag)[:, window:]
    if P is not None and steps > horizon:
        raise ValueError(f"With past covariates, strategy={strategy!r} forecasts at most horizon={horizon} steps "
                         f"(the covariates after the origin are unknown); got {steps}. Use strategy='recursive', "
                         "which forecasts the covariates too, or a longer horizon.")
    Pz = None if P is None else P[:, sc.lag:]
    while U.shape[1] < window + steps:
        Z = network_outputs(model, params, window_inputs(U[:, -window:], sid, sc, None, Pz))
        U = undifference(U, unscale(Z.reshape(len(U), -1), sid, sc), sc.lag)
    return U[:, window:window + steps]


def rollout_differences(model, params, sc, window, U, sid, steps, C, P=None):
    """Recursive strategy: the scaled differences ``(n, steps)`` of a one-step network stepped over windows of
    its input length, each predicted difference -- and, with past covariates, their predicted next values --
    fed back as the next input."""
    lag = sc.lag
    n_read = window - lag  # the network reads n_read differences
    Z0 = window_inputs(U, sid, sc, None if C is None else C[:, lag + 1:window + 1], None if P is None else P[:, lag:])
    prompt = np.ascontiguousarray(np.atleast_3d(Z0).transpose(1, 0, 2), dtype=params.dtype)  # (n_read, n, D)

    def feedback(k, z):  # the difference (and past covariates) at window + k, future covariates of window + k + 1
        if C is None:
            return z
        return np.concatenate([z, (C[:, min(window + k + 1, C.shape[1] - 1)] - sc.future_mu) / sc.future_sd], axis=1)

    with single_threaded_blas():
        _, fed, _ = rollout(model, params, prompt, np.full(len(U), n_read), steps, feedback, window=n_read)
    return fed[:, :, 0].T.astype(np.float64)


def forecast_from_origins(forecast, S, u, sid, origins, window, steps):
    """Forecasts ``(n, steps)`` of series ``sid`` of :class:`~skrnn._forecasting.series.Series` ``S`` (model
    space ``u``) from each origin (the position of the last observation read), by ``forecast`` (a
    :func:`forecast_windows` bound to a fitted model); also the windows read and the mask of forecasts whose
    future-known covariates exist."""
    wins = np.stack([u[t - window + 1:t + 1] for t in origins])
    C, known = covariate_windows(S.fcov, origins, window, steps)
    fc = forecast(wins, np.full(len(origins), sid), steps, C, past_windows(S.covariates(), origins, window))
    return fc, wins, known
