"""RNNForecaster: forecasting time series with a recurrent network it holds.

Two faces share one estimator.  The window face (scikit-learn's) fits
history windows ``X`` to the next ``horizon`` values ``y``, with targets
standardised as a regressor's.  The series face fits a series: the pure
functions of :mod:`~skrnn._forecasting.transforms` turn it into network
inputs and targets (and forecasts back into the series' units), the network
is a :class:`~skrnn._nn.network.Network` (recursive and direct strategies) or
an :class:`~skrnn._nn.encoder_decoder.EncoderDecoder` (seq2seq) trained by
the common loop, and :mod:`~skrnn._forecasting.conformal` calibrates
intervals from a "forecast these windows" function.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.validation import check_is_fitted

from .._base import BaseRNN
from .._compat import _fit_context
from .._nn.encoder_decoder import EncoderDecoder
from .._nn.network import Network
from .._nn.params import Architecture
from .._parameters import FORECAST_N_ESTIMATORS, store
from .._regressor import StandardisedTargetsMixin
from .._validation import check_sequences
from . import backtest, conformal, ensemble
from .series import (
    Series,
    attach_future,
    drop_future,
    format_forecasts,
    future_index,
    future_rows,
    mase_scale,
    seasonal_period,
)
from .transforms import (
    fit_scaling,
    from_model,
    local_scale,
    to_model,
    training_windows,
)
from .variance import choose_log
from .windows import forecast_from_origins, forecast_windows, network_outputs


class RNNForecaster(RegressorMixin, StandardisedTargetsMixin, BaseRNN):
    """Recurrent neural network forecaster for time series.

    One estimator with two faces.

    * **Series face**: ``fit(y)`` with a pandas Series (or a DataFrame of
      several target columns, or a list of series: one global model), then
      :meth:`forecast` returns the next values with their future index,
      optionally with split-conformal prediction intervals, and
      :meth:`historical_forecasts` backtests from rolling origins.
    * **Window face** (scikit-learn's): ``fit(X, y)`` where each row of ``X``
      is a history window, ``(n_samples, window)`` or
      ``(n_samples, window, n_features)``, and ``y`` holds the next ``horizon``
      values, ``(n_samples,)`` when ``horizon=1`` else
      ``(n_samples, horizon)``: a recurrent regressor on windows, with its
      output width pinned to ``horizon``; ``predict`` forecasts each window. The
      history length here is the width of ``X``, not ``window`` (which is
      the series face's): a 2-D ``X`` of any number of columns fits, as
      scikit-learn's estimator checks expect, and ``predict`` then refuses
      any other number of columns.

    Series face, by default (``strategy='mimo'``): the logarithm when it
    stabilises the variance (``log='auto'``); ``n_estimators`` networks over
    seeds, window lengths sized from the seasonal period and window
    normalisations, each reading a window minus its level and emitting the
    next ``horizon`` values, stopped early on the last block in time and then
    continued on the whole series; their median. The single-network
    strategies difference and standardise each window instead.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {fitted_attributes}

    seasonal_period_ : int
        Seasonal period used (series face).

    n_series_ : int
        Number of series fitted (series face).

    window_ : int
        Observations a forecast reads (series face; the longest member's).

    calibration_size_ : int
        Length of the last block held out (``strategy='mimo'``).

    See Also
    --------
    RNNRegressor : The same network on arbitrary sequences.

    Notes
    -----
    The defaults were chosen by the validation described in
    ``benchmarks/README.md`` (``python benchmarks/bench_forecast.py``); tune
    ``window`` and ``hidden_size`` on your data.

    ``score(X)`` without ``y`` (series face) is the negative mean absolute
    scaled error (MASE) of forecasting ``X`` from the end of the training
    series: ``X`` must be the block that immediately follows the training
    series (checked on pandas indexes). The scale is the in-sample mean
    absolute seasonal-naive error of the training series. This is what makes
    ``GridSearchCV(RNNForecaster(), grid, cv=TimeSeriesSplit()).fit(y)`` tune
    forecasters: each split fits on a prefix and scores the block after it.
    This works for a Series, a DataFrame or a 1-D array (cut along time), not
    for a list of series (scikit-learn would split the list itself).

    Prediction intervals are split-conformal. ``strategy='mimo'``: the
    ensemble stopped on the last ``calibration_size_`` observations forecasts
    from every origin inside them; the errors, relative to the series' scale
    and to a per-step scale ``a k^b`` (``b`` in [0.5, 1]) fitted to them, are
    pooled over steps; the larger of their ``ceil((n + 1) * level) / n``
    quantile and the normal-theory quantile (Student's t, one degree of
    freedom per origin) gives half-widths that never shrink with the step and
    never fall below three quarters of the seasonal naive forecast's error
    quantile over the recent two thirds of the series (in log space
    with the logarithm). Other strategies refit once without the block and
    take each step's quantile of errors relative to the window's volatility.

    References
    ----------
    Hyndman, R. J. and Koehler, A. B. (2006). Another look at measures of
    forecast accuracy. International Journal of Forecasting 22(4).

    Vovk, V., Gammerman, A. and Shafer, G. (2005). Algorithmic Learning in a
    Random World. Springer.

    Examples
    --------
    >>> from skrnn import RNNForecaster
    >>> from skrnn.datasets import load_airline
    >>> y = load_airline()
    >>> f = RNNForecaster(horizon=12, n_estimators=2, max_iter=20, random_state=0).fit(y)
    >>> fc = f.forecast()
    >>> fc.index[[0, -1]].strftime("%Y-%m").tolist()
    ['1961-01', '1961-12']
    >>> f.forecast(3, interval=0.9).columns.tolist()
    ['forecast', 'lower', 'upper']
    """

    PARAM_OVERRIDES = {"n_estimators": FORECAST_N_ESTIMATORS,
                       "batch_size": ("Windows per minibatch. ``'auto'``: 32 for the default ``strategy='mimo'``, "
                                     "``min(64, n_windows)`` for the other strategies.")}

    def __init__(self, *, window="auto", horizon=1, strategy="mimo", n_estimators=20, normalize="mix", log="auto",
                 differencing="first",
                 seasonal_period="auto", target=None, id_col="unique_id", time_col="ds", calibration_size="auto",
                 cell="gru", activation="tanh", hidden_size=32, num_layers=1, bidirectional=False,
                 initializer="xavier_uniform", recurrent_initializer="orthogonal", dropout=0.0, solver="adam",
                 learning_rate_init=0.005, learning_rate_schedule="constant", batch_size="auto", max_iter=200, tol=3e-4,
                 n_iter_no_change=20, early_stopping=False, validation_fraction=0.1, shuffle=True, alpha=1e-4, l1=0.0,
                 clip_value=None, clip_norm=5.0, beta_1=0.9, beta_2=0.999, epsilon=1e-8, momentum=0.9,
                 nesterovs_momentum=True, random_state=None, verbose=False, warm_start=False):
        store(self, locals())

    def __setstate__(self, state):
        if state.get("_series") is not None and "_scaling" not in state:
            raise ValueError("This RNNForecaster was fitted on a series by an earlier skrnn (its series transform "
                             "was stored in another layout, with targets standardised twice); it cannot be "
                             "restored. Refit it with this version.")
        super().__setstate__(state)

    # ------------------------------------------------------------ window face
    def _encode_targets(self, y, seqs, sw, first, classes=None):
        if y is not None:
            if self.horizon == 1:
                y = column_or_1d(y, warn=True)
            else:
                y = np.asarray(y)
                if y.ndim != 2 or y.shape[1] != self.horizon:
                    raise ValueError(
                        f"y must be of shape (n_samples, horizon={self.horizon}): the next {self.horizon} values "
                        f"after each window; got shape {y.shape}. Set horizon to the number of columns of y."
                    )
        return super()._encode_targets(y, seqs, sw, first, classes)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, *, future_covariates=None):
        """Fit on a series (``y=None``) or on history windows and next values.

        Parameters
        ----------
        X : pd.Series, pd.DataFrame, 1-D array or list of series; or array-like of shape (n_samples, window) or \
(n_samples, window, n_features)
            With ``y=None``: the series (DataFrame columns are several
            series of one global model, their names kept). Otherwise: history
            windows, as for :class:`RNNRegressor`.
        y : None, or array-like of shape (n_samples,) or (n_samples, horizon)
            Next ``horizon`` values after each window (window face).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each window (window face only).
        future_covariates : pd.DataFrame, pd.Series or array-like of shape (n_timesteps, n_future), default=None
            Series face only: covariates known in advance (calendar
            effects, prices, holidays), one row per observation of the
            series (same index for pandas input). The network reads, at each
            step, the covariates of the step it forecasts, so
            :meth:`forecast` then needs their future values as ``X_future``.
            Needs ``strategy='recursive'``, and one time axis (a Series or
            a DataFrame, not a list of series). Columns of a DataFrame ``X``
            named like them are dropped from ``X``, so that
            ``GridSearchCV(...).fit(df, future_covariates=df[["promo"]])``
            works: each split's scored block ``df[test]`` holds their
            future values.

        Returns
        -------
        self : object
        """
        if y is not None:
            if future_covariates is not None:
                raise ValueError("future_covariates is for the series face fit(y); in the window face put the "
                                 "covariates in the features of X, shape (n_samples, window, n_features).")
            self._series = self._config = None
            return self._fit(X, y, sample_weight, incremental=False)
        if sample_weight is not None:
            raise ValueError("sample_weight is only supported in the window face fit(X, y).")
        S = Series(drop_future(X, future_covariates), target=self.target, id_col=self.id_col, time_col=self.time_col)
        attach_future(S, future_covariates, "future_covariates")
        return self._fit_series(S, callback_data=(X, None, None))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One more epoch on windows ``X`` and next values ``y`` (window face only).

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_features), or list of arrays
            History windows.
        y : array-like of shape (n_samples,) or (n_samples, horizon)
            Next ``horizon`` values after each window.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each window.

        Returns
        -------
        self : object
        """
        if getattr(self, "_series", None) is not None:
            raise ValueError("partial_fit continues a window-face fit; this RNNForecaster was fitted on a series "
                             "(its network reads transformed windows). Refit with fit(y) on the longer series.")
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Forecast each history window.

        Parameters
        ----------
        X : array-like of shape (n_samples, window) or (n_samples, window, n_features), or list of arrays
            History windows. After a series-face fit of one series, rows are
            raw windows of ``window`` observations in the units of the series.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, horizon)
            The next ``horizon`` values of each window.
        """
        if getattr(self, "_series", None) is None:
            Z, seqs = self._forward_raw(X)
            return self._wrap(self._unscale(Z).astype(Z.dtype, copy=False), seqs)
        if self.n_series_ != 1 or self._series.cov is not None or self._series.fcov is not None:
            raise ValueError("predict on raw windows needs a model of one series without covariates; use "
                             "forecast() instead.")
        Xa = np.asarray(X, dtype=np.float64)
        if Xa.ndim != 2 or Xa.shape[1] != self._window():
            raise ValueError(f"X must be of shape (n_samples, window={self._window()}); got {Xa.shape}.")
        out = from_model(self._forecast_windows(to_model(Xa, self._scaling.log), np.zeros(len(Xa), int), self.horizon),
                         self._scaling.log)
        return out[:, 0] if self.horizon == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = self.horizon > 1
        return tags

    # ------------------------------------------------------------ series face
    def _lag(self):
        return {"none": 0, "first": 1, "seasonal": self.seasonal_period_}[self.differencing]

    def _fit_series(self, S, callback_data=(None, None, None)):
        kinds = {(k, str(f)) for k, f in S.freq}
        if len(kinds) > 1:
            raise ValueError(f"The series have different index kinds or frequencies {sorted(kinds)}.")
        kind, freq = S.freq[0]
        self.seasonal_period_ = (seasonal_period(kind, freq) if self.seasonal_period == "auto"
                                 else self.seasonal_period)
        self.n_series_ = len(S.values)
        if self.strategy == "mimo":
            attrs, history = ensemble.fit(self, S, self.seasonal_period_, callback_data)
            self.__dict__.update(attrs, _series=S)
            self._set_history(history)
            return self
        self.__dict__.pop("_members", None)
        self.window_ = 18 if self.window == "auto" else self.window
        lag = self._lag()
        H = 1 if self.strategy == "recursive" else self.horizon
        W = self.window_
        log = choose_log(S.values, self.seasonal_period_) if self.log == "auto" else self.log
        if W <= lag:
            raise ValueError(f"window={W} must exceed the differencing lag {lag} (differencing={self.differencing!r},"
                             f" seasonal period {self.seasonal_period_}); increase window.")
        U = [to_model(v, log) for v in S.values]
        for i, u in enumerate(U):
            if len(u) < W + H:
                raise ValueError(
                    f"window={W} is too long for series {S.names[i]!r} of length {len(u)}: fitting needs at least "
                    f"window + {H} = {W + H} observations. Use a shorter window or a longer series."
                )
        past, future = S.covariates(), S.fcov
        if future is not None and self.strategy != "recursive":
            raise ValueError("future_covariates need strategy='recursive' (the network reads the covariates "
                             "of each step it forecasts).")
        self._scaling = fit_scaling(U, lag, log, past, future)
        X, Y = training_windows(U, W, H, self._scaling, past, future, forecast_past=self.strategy == "recursive")
        self._series = S
        self._fit_network(X, Y, callback_data)
        self._calibration = None
        return self

    def _fit_network(self, X, Y, callback_data=(None, None, None)):
        """Train a new network on the transformed windows ``X`` and their (already scaled) targets ``Y``."""
        seqs = check_sequences(self, X, reset=True)
        if self.strategy == "seq2seq":
            if self.bidirectional:
                raise ValueError("strategy='seq2seq' needs bidirectional=False (the decoder runs forward in time).")
            model = EncoderDecoder(self.cell, seqs.X.shape[2], 1, self.hidden_size, self.num_layers,
                                   self.activation, decoder_input="step", n_steps=Y.shape[1])
            self._config, self._arch = model.config, None
            targets = EncoderDecoder.pack(Y[:, :, None], np.ones(Y.shape, dtype=bool))
        else:
            self._config = None
            self._arch = Architecture(cell=self.cell, n_features=seqs.X.shape[2], hidden_size=self.hidden_size,
                                      n_outputs=Y.shape[1], num_layers=self.num_layers,
                                      bidirectional=self.bidirectional, activation=self.activation)
            model, targets = Network(self._arch, "identity"), Y
        self._random_state = check_random_state(self.random_state)
        self._flat = model.initialize(self._random_state, seqs.X.dtype.type, self.initializer,
                                      self.recurrent_initializer)
        self._reset_curves()
        self._optimizer = None
        self.n_outputs_ = Y.shape[1]
        self._train(model, seqs, targets, np.ones(seqs.n_samples, dtype=seqs.X.dtype), False,
                    callback_data=callback_data)

    def _model(self):
        if getattr(self, "_config", None) is not None:
            return EncoderDecoder.from_config(self._config)
        return Network(self._arch, "identity")

    def _reconstruction(self, params, history):
        return {**super()._reconstruction(params, history), "_calibration": None}

    def _score_seqs(self, seqs, Y, sw, params):
        if getattr(self, "_series", None) is None:
            return super()._score_seqs(seqs, Y, sw, params)
        if self._config is not None:
            Y = Y[..., 0]  # packed for the encoder-decoder: the values, then the valid-step flag
        return float(r2_score(Y, network_outputs(self._model(), params, seqs.X), sample_weight=sw))

    def _window(self):
        """The number of observations a forecast reads (``window`` resolved at fit; files of skrnn 0.1 lack it)."""
        return getattr(self, "window_", self.window)

    def _is_ensemble(self):
        return getattr(self, "_members", None) is not None

    def _interval_scale(self, wins, sid):
        """What interval half-widths are relative to: the series' scale (mimo), else the window's volatility."""
        return self._scaling.sd[sid] if self._is_ensemble() else local_scale(wins)

    def _check_series_mode(self):
        check_is_fitted(self)
        if getattr(self, "_series", None) is None:
            raise ValueError("This RNNForecaster was fitted on windows (fit(X, y)); forecast, historical_forecasts "
                             "and series scoring need the series face, fit(y).")

    def _forecast_windows(self, U, sid, steps, C=None, P=None):
        """Model-space forecasts ``(n, steps)`` from model-space windows (see :func:`.windows.forecast_windows`)."""
        if self._is_ensemble():
            return ensemble.forecast(self, U, sid, steps)
        return forecast_windows(self._model(), self._flat, self._scaling, self.strategy, self._window(), self.horizon,
                                U, sid, steps, C, P)

    # -------------------------------------------------------------- intervals
    def _half_widths(self, level, steps):
        """Interval half-widths per step, relative to the local scale (calibrated once per fit)."""
        if self._is_ensemble():
            return ensemble.half_widths(self, level, steps)
        n = min(len(v) for v in self._series.values)
        H = 1 if self.strategy == "recursive" else self.horizon
        size = conformal.calibration_size(self.calibration_size, self.horizon, n, self._window() + H)
        K = min(max(steps, self.horizon), size)
        if self._calibration is None or len(self._calibration) < K:
            self._calibration = self._calibrate(size, K)
        return conformal.half_widths(self._calibration, level, steps)

    def _calibrate(self, size, K):
        S, W = self._series, self._window()
        n = min(len(v) for v in S.values)
        H = 1 if self.strategy == "recursive" else self.horizon
        if n - size < W + H:
            raise ValueError(f"Prediction intervals need the series without its last calibration_size={size} "
                             f"observations to be at least window + {H} long; the shortest series has {n}. "
                             "Use a smaller calibration_size or window.")
        model = clone(self)
        model.__dict__.pop("_skl_callbacks", None)  # the calibration refit is not the user's fit
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model._fit_series(S.cut(size))
        U = [to_model(v, self._scaling.log) for v in S.values]
        return conformal.calibration_errors(
            lambda sid, origins, k: forecast_from_origins(model._forecast_windows, S, U[sid], sid, origins, W, k)[0],
            U, size, W, K)

    # -------------------------------------------------------------- forecasts
    def forecast(self, steps=None, interval=None, X_future=None):
        """Forecast the steps that follow the training series.

        Parameters
        ----------
        steps : int, default=None
            Number of steps; ``None`` means ``horizon``. Beyond ``horizon``
            forecasts are fed back as observations.
        interval : float in (0, 1), default=None
            Coverage level of split-conformal prediction intervals (e.g. 0.9).
        X_future : pd.DataFrame or array-like of shape (>= steps, n_future), default=None
            Future values of the future-known covariates (``future_covariates``
            at fit), for the ``steps`` forecast times; required exactly when
            the model has them. A DataFrame needs their columns (others are
            ignored) and an index starting right after the training series.
            Past covariates (the non-``target`` columns) are never needed.

        Returns
        -------
        forecast : pd.Series, pd.DataFrame or list
            For one series, a Series named like it, indexed by the ``steps``
            labels that follow the series (same index kind and frequency);
            with ``interval``, a DataFrame with columns ``forecast``,
            ``lower``, ``upper``. For a DataFrame, a DataFrame with its column
            names (MultiIndex columns ``(name, forecast/lower/upper)`` with
            ``interval``). For a list of series, a list of the above.
        """
        self._check_series_mode()
        C = self._future_covariates(X_future, steps)
        steps = self.horizon if steps is None else steps
        if not isinstance(steps, Integral) or steps < 1:
            raise ValueError(f"steps must be a positive integer; got {steps!r}.")
        if interval is not None and not (isinstance(interval, Real) and 0 < interval < 1):
            raise ValueError(f"interval must be a coverage level in (0, 1), e.g. 0.9; got {interval!r}.")
        import pandas as pd

        S = self._series
        W = self._window()
        U = np.stack([to_model(v[-W:], self._scaling.log) for v in S.values])
        fc = self._forecast_windows(U, np.arange(len(U)), steps, None if C is None else np.repeat(C, len(U), 0),
                                    self._last_past(len(U)))
        q = None if interval is None else self._half_widths(interval, steps)
        outs = []
        for sid in range(len(U)):
            kind, freq = S.freq[sid]
            idx = future_index(kind, freq, S.index[sid][-1], steps, name=S.index[sid].name)
            mean = from_model(fc[sid], self._scaling.log)
            if q is None:
                outs.append(pd.Series(mean, index=idx, name=S.names[sid]))
            else:
                half = q * self._interval_scale(U[sid:sid + 1], sid)
                outs.append(pd.DataFrame({"forecast": mean, "lower": from_model(fc[sid] - half, self._scaling.log),
                                          "upper": from_model(fc[sid] + half, self._scaling.log)}, index=idx))
        return format_forecasts(S, outs)

    def _last_past(self, n):
        """Past covariates of the training series' last window, repeated ``(n, window, n_past)``, or None."""
        pcov = self._series.covariates()
        return None if pcov is None else np.repeat(pcov[None, -self._window():], n, 0)

    def _future_covariates(self, X_future, steps):
        """``(1, window + steps, n_future)`` future-known covariates: the training window's and ``X_future``'s."""
        return future_rows(self._series, X_future, steps, self._window())

    def historical_forecasts(self, y=None, start=None, steps=None, stride=1, interval=None, future_covariates=None):
        """Forecasts from rolling origins with the fitted model, as a tidy DataFrame.

        The model is not refitted: pass a series that extends the training
        series and ``start`` at the end of the training part for an
        out-of-sample backtest.

        Parameters
        ----------
        y : pd.Series, DataFrame, 1-D array or list, default=None
            Series to forecast along (same structure as at fit); ``None``
            means the training series.
        start : int or index label, default=None
            First forecast origin (the last observation used): a position
            (negative counts from the end) or a label of ``y``'s index.
            ``None`` means the end of the training series when ``y`` is
            longer, else the first possible origin ``window - 1``.
        steps : int, default=None
            Steps forecast from each origin; ``None`` means ``horizon``.
        stride : int, default=1
            Distance between consecutive origins.
        interval : float in (0, 1), default=None
            Add ``lower`` and ``upper`` columns at this coverage level.
        future_covariates : pd.DataFrame or array-like, default=None
            The future-known covariates along ``y`` (as at fit); required
            with ``y`` when the model reads them.

        Returns
        -------
        forecasts : pd.DataFrame
            With future-known covariates, forecasts of times past the end of
            ``y`` are NaN (their covariates are unknown).
            One row per (series, origin, step) with columns ``series``
            (position; the id for a panel or a dict), ``origin`` (label of the last observation used),
            ``step`` (1-based), ``time`` (label forecast), ``actual`` (NaN past
            the end of ``y``), ``forecast`` and optionally ``lower``,
            ``upper``.
        """
        self._check_series_mode()
        return backtest.historical_forecasts(self, y, start, steps, stride, interval, future_covariates)

    # ---------------------------------------------------------------- scoring
    def score(self, X, y=None, sample_weight=None):
        """Negative MASE of forecasting the block ``X`` (series face), or R^2 (window face).

        Parameters
        ----------
        X : series (same structure as at fit) or array-like of windows
            With ``y=None``: the observations that immediately follow the
            training series (on pandas indexes, ``X``'s first label must be
            the one after the training series' last); with future-known
            covariates, a DataFrame that also holds their columns. Otherwise
            windows.
        y : None or array-like of shape (n_samples,) or (n_samples, horizon)
            Next values of each window (window face).
        sample_weight : array-like of shape (n_samples,), default=None
            Window face only.

        Returns
        -------
        score : float
            ``-mean_series(mean |X - forecast| / scale)`` with ``scale`` the
            in-sample mean absolute seasonal-naive error of the training
            series (higher is better); or ``r2_score`` in the window face.
        """
        if y is not None:
            return super().score(X, y, sample_weight=sample_weight)
        self._check_series_mode()
        S = self._series
        X_future = None
        if S.fcov is not None:
            import pandas as pd

            if not isinstance(X, pd.DataFrame) or not set(S.fcov_names) <= set(X.columns):
                raise ValueError(f"The scored block must be a DataFrame holding the future-known covariate "
                                 f"columns {S.fcov_names} too.")
            X_future, X = X[S.fcov_names], X.drop(columns=S.fcov_names)
            if self.target is None and X.shape[1] == 1:
                X = X.iloc[:, 0] if S.kind_in == "one" else X
        T = Series(X, name="the scored block", target=self.target, id_col=self.id_col, time_col=self.time_col)
        order = S.positions_of(T)
        steps = max(len(v) for v in T.values)
        W = self._window()
        U = np.stack([to_model(v[-W:], self._scaling.log) for v in S.values])
        C = None if X_future is None else np.repeat(self._future_covariates(X_future, steps), len(U), 0)
        fc = self._forecast_windows(U, np.arange(len(U)), steps, C, self._last_past(len(U)))
        fc = from_model(fc, self._scaling.log)
        errs = []
        for j, (sid, v) in enumerate(zip(order, T.values, strict=True)):
            kind, freq = S.freq[sid]
            expected = future_index(kind, freq, S.index[sid][-1], 1)[0]
            got = T.index[j][0] if len(T.index[j]) else expected
            if T.labelled[j] and S.labelled[sid] and got != expected:
                raise ValueError(
                    f"score(X) forecasts the block after the training series, so X must start at {expected!r}; "
                    f"it starts at {got!r}. Score the block that immediately follows the data passed to fit."
                )
            scale = mase_scale(S.values[sid], self.seasonal_period_)
            errs.append(np.mean(np.abs(v - fc[sid, : len(v)])) / scale)
        return -float(np.mean(errs))
