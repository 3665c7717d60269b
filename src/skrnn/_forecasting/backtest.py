"""Backtests of a fitted series-face forecaster: forecasts from rolling origins (its
:meth:`~skrnn.RNNForecaster.historical_forecasts`)."""

from numbers import Integral

import numpy as np

from .series import future_index, like_training
from .transforms import from_model, to_model
from .windows import forecast_from_origins


def historical_forecasts(est, y, start, steps, stride, interval, future_covariates):
    """The rows of :meth:`~skrnn.RNNForecaster.historical_forecasts` (its docstring says what they hold)."""
    import pandas as pd

    log = est._scaling.log

    S = est._series if y is None else like_training(est._series, y, future_covariates, est.target,
                                                     est.id_col, est.time_col)
    order = est._series.positions_of(S)
    steps = est.horizon if steps is None else steps
    q = None if interval is None else est._half_widths(interval, steps)
    W = est._window()
    rows = []
    for pos_in_y, (sid, v) in enumerate(zip(order, S.values, strict=True)):
        index = S.index[pos_in_y]
        n_train = len(est._series.values[sid])
        if start is None:
            t0 = n_train - 1 if len(v) > n_train else W - 1
        elif isinstance(start, Integral):
            t0 = start if start >= 0 else len(v) + start
        else:
            t0 = int(index.get_loc(start))
        if t0 < W - 1 or t0 >= len(v):
            raise ValueError(f"start gives origin position {t0}; origins must lie in [window - 1 = {W - 1}, "
                             f"{len(v) - 1}] so that a full window precedes them.")
        origins = np.arange(t0, len(v), stride)
        fc, wins, known = forecast_from_origins(est._forecast_windows, S, to_model(v, log), sid, origins, W,
                                                steps)
        fc[~known] = np.nan  # covariates unknown there
        kind, freq = S.freq[pos_in_y]
        labels = index.append(future_index(kind, freq, index[-1], steps))
        series = S.names[pos_in_y] if S.panel_columns or S.kind_in == "dict" else sid
        for j, t in enumerate(origins):
            pos = t + 1 + np.arange(steps)
            actual = np.where(pos < len(v), v[np.minimum(pos, len(v) - 1)], np.nan)
            row = {"series": series, "origin": index[t], "step": np.arange(1, steps + 1), "time": labels[pos],
                   "actual": actual, "forecast": from_model(fc[j], log)}
            if q is not None:
                half = q * est._interval_scale(wins[j:j + 1], sid)
                row["lower"] = from_model(fc[j] - half, log)
                row["upper"] = from_model(fc[j] + half, log)
            rows.append(pd.DataFrame(row))
    return pd.concat(rows, ignore_index=True)
