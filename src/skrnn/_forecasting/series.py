"""The series face's input, in one place: a Series, DataFrame (targets and
covariates), 1-D array or list of series becomes float arrays plus validated
regular indexes; the labels that follow a series; the seasonal period implied
by a frequency; the MASE scale."""

import numpy as np


def check_index(index, name="the series"):
    """``(kind, freq)`` of a regular index, or a ValueError saying what is wrong.

    kind is ``'period'``, ``'datetime'`` or ``'integer'``; freq is the pandas
    frequency (period/datetime) or the integer step.
    """
    import pandas as pd

    n = len(index)
    if isinstance(index, pd.PeriodIndex):
        freq = index.freq
        if n > 1 and not index.equals(pd.period_range(index[0], periods=n, freq=freq)):
            raise ValueError(f"The PeriodIndex of {name} is not consecutive at frequency {index.freqstr} (a gap, a "
                             "duplicate or an unsorted label); reindex to a complete range and impute, e.g. "
                             "y.asfreq(...).interpolate().")
        return "period", freq
    if isinstance(index, pd.DatetimeIndex):
        freq = index.freq
        if freq is None and n >= 3:
            freq = pd.DatetimeIndex(index, freq="infer").freq
        if freq is None:
            raise ValueError(f"The DatetimeIndex of {name} has no regular frequency (irregular spacing, a gap or "
                             "fewer than 3 dates): its frequency cannot be inferred. Resample to a regular "
                             "frequency and fill the gaps, e.g. y.asfreq('MS').interpolate().")
        # same unit as the index: pandas 2 compares a seconds index unequal to a nanoseconds range
        if n > 1 and not index.equals(pd.date_range(index[0], periods=n, freq=freq, unit=index.unit)):
            raise ValueError(f"The DatetimeIndex of {name} has gaps at frequency {freq.freqstr}; fill them, e.g. "
                             "y.asfreq(freq).interpolate().")
        return "datetime", freq
    values = np.asarray(index)
    if values.dtype.kind not in "iu":
        raise ValueError(f"The index of {name} is of type {type(index).__name__} with dtype {values.dtype}; "
                         "RNNForecaster needs a DatetimeIndex, a PeriodIndex or an integer index.")
    step = int(values[1] - values[0]) if n > 1 else 1
    if n > 1 and (step <= 0 or np.any(np.diff(values) != step)):
        raise ValueError(f"The integer index of {name} is not evenly spaced and increasing (a gap or an unsorted "
                         "label); pass the observations in time order with a regular index.")
    return "integer", step


def future_index(kind, freq, last, steps, name=None):
    """The ``steps`` labels that follow label ``last``."""
    import pandas as pd

    if kind == "period":
        return pd.period_range(last + 1, periods=steps, freq=freq, name=name)
    if kind == "datetime":
        return pd.date_range(last + freq, periods=steps, freq=freq, name=name)
    start = int(last) + freq
    return pd.RangeIndex(start, start + freq * steps, freq, name=name)


def seasonal_period(kind, freq):
    """Seasonal period implied by a frequency (1 when none is known), read from its pandas offset.

    Calendar frequencies: yearly 1, quarterly 4, monthly 12 (business and semi-monthly too: 24), weekly 52,
    daily 7, business days 5, each divided by the offset's multiple when it divides exactly (``2MS``: 6).
    Sub-daily: observations per day (``h`` 24, ``2h`` 12, ``30min`` 48, ``15min`` 96, ``min`` 1440); below
    a minute, per hour (``s`` 3600). Anything else, or a multiple that does not divide the cycle: 1.
    (statsmodels' ``freq_to_period`` with multiples and sub-daily steps.)
    """
    if kind == "integer" or freq is None:
        return 1
    import pandas as pd

    off = pd.tseries.frequencies.to_offset(freq)
    o = pd.offsets
    n = abs(off.n)
    if not isinstance(off, o.Day) and isinstance(off, o.Tick):  # pandas < 3 counts Day among the ticks
        step = off.nanos
        cycle = 86_400 * 10**9 if step >= 60 * 10**9 else 3_600 * 10**9  # a day; below a minute, an hour
        per = cycle // step if step >= 10**9 and cycle % step == 0 else 1
        return int(per)
    calendar = (
        ((o.YearBegin, o.YearEnd, o.BYearBegin, o.BYearEnd, o.FY5253), 1),
        ((o.QuarterBegin, o.QuarterEnd, o.BQuarterBegin, o.BQuarterEnd, o.FY5253Quarter), 4),
        ((o.SemiMonthBegin, o.SemiMonthEnd), 24),
        ((o.MonthBegin, o.MonthEnd, o.BusinessMonthBegin, o.BusinessMonthEnd, o.CustomBusinessMonthBegin,
          o.CustomBusinessMonthEnd, o.WeekOfMonth, o.LastWeekOfMonth), 12),
        ((o.Week,), 52),
        ((o.Day,), 7),
        ((o.BusinessDay, o.CustomBusinessDay), 5),
    )
    for classes, base in calendar:
        if isinstance(off, classes):
            return base // n if n and base % n == 0 else 1
    return 1


PANEL_FORMATS = ("a long DataFrame with columns unique_id, ds and y (statsforecast's convention; other names "
                 "through id_col, time_col and target), a DataFrame or Series with an (id, time) MultiIndex, or a "
                 "dict of series")


def as_panel(X, name, target, id_col, time_col):
    """``(kind, {id: pd.Series}, (id_col, time_col, value_col))`` for a panel of series (``'long'``,
    ``'multiindex'`` or ``'dict'``), or None for the other inputs."""
    import pandas as pd

    if isinstance(X, dict):
        if not X:
            raise ValueError("The dict of series is empty; pass at least one series.")
        parts = {k: v if isinstance(v, pd.Series) else pd.Series(np.asarray(v), name=k) for k, v in X.items()}
        return "dict", {k: v.rename(k) for k, v in parts.items()}, None
    if isinstance(X, (pd.Series, pd.DataFrame)) and isinstance(X.index, pd.MultiIndex):
        if X.index.nlevels != 2:
            raise ValueError(f"{name} has a MultiIndex of {X.index.nlevels} levels; a panel needs two, (id, time). "
                             f"Accepted panels: {PANEL_FORMATS}.")
        frame = X.to_frame() if isinstance(X, pd.Series) else X
        value = _value_column(frame, target, [], name)
        ids, times = X.index.names
        groups = {k: g.droplevel(0)[value] for k, g in frame.groupby(level=0, sort=False)}
        return "multiindex", {k: v.rename(k) for k, v in groups.items()}, (ids or "id", times or "time", value)
    if isinstance(X, pd.DataFrame) and id_col in X.columns and time_col in X.columns:
        value = _value_column(X, target, [id_col, time_col], name)
        extra = [c for c in X.columns if c not in (id_col, time_col, value)]
        if extra:
            raise ValueError(f"{name} is a long-format panel with extra columns {extra}: covariates are not "
                             "supported for panels yet. Drop them, or fit one series at a time with covariates.")
        times = X[time_col]
        if times.isna().any() or X[id_col].isna().any():
            raise ValueError(f"The {id_col!r} and {time_col!r} columns of {name} must not be missing.")
        groups = {}
        for k, g in X.groupby(id_col, sort=False):
            g = g.sort_values(time_col)
            index = pd.Index(g[time_col].to_numpy(), name=time_col)
            if index.has_duplicates:
                raise ValueError(f"Series {k!r} of {name} has repeated {time_col!r} values.")
            groups[k] = pd.Series(g[value].to_numpy(), index=_regular(index), name=k)
        return "long", groups, (id_col, time_col, value)
    if isinstance(X, pd.DataFrame):
        text = [c for c in X.columns if X[c].dtype.kind not in "iufb"]
        if text:
            raise ValueError(f"{name} has non-numeric columns {text}. If it is a panel of series, pass it as "
                             f"{PANEL_FORMATS}; with a long DataFrame whose columns have other names, say which "
                             f"with id_col=, time_col= and target= (looked for {id_col!r} and {time_col!r}).")
    return None


def _value_column(frame, target, exclude, name):
    if isinstance(target, str):
        if target not in frame.columns:
            raise ValueError(f"target column {target!r} is not a column of {name} ({list(frame.columns)}).")
        return target
    if target is not None:
        raise ValueError("A panel of series has one target column: pass target as a str.")
    candidates = [c for c in frame.columns if c not in exclude]
    if "y" in candidates:
        return "y"
    if len(candidates) == 1:
        return candidates[0]
    raise ValueError(f"Which column of {name} holds the values? Pass target= (one of {candidates}).")


def _regular(index):
    """A DatetimeIndex with its frequency inferred, a PeriodIndex, or the index itself."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(index):
        out = pd.DatetimeIndex(index)
        return pd.DatetimeIndex(out, freq="infer") if len(out) >= 3 else out
    return index


class Series:
    """Validated series: ``values`` (float64 arrays), ``index``, ``names``,
    ``freq`` (``(kind, freq)`` pairs), ``labelled`` (pandas input) and ``cov``
    (the covariate columns as a :class:`Series`, or None)."""

    def __init__(self, X, name="y", target=None, id_col="unique_id", time_col="ds"):
        import pandas as pd

        self.cov = self.cov_index = None
        panel = as_panel(X, name, target, id_col, time_col)
        if panel is not None:
            self.kind_in, parts, self.panel_columns = panel
            self.__init__(list(parts.values()), name)
            self.kind_in, self.names = panel[0], list(parts)
            return
        if target is not None and isinstance(X, pd.DataFrame):
            targets = [target] if isinstance(target, str) else list(target)
            missing = [c for c in targets if c not in X.columns]
            if missing:
                raise ValueError(f"target columns {missing} are not columns of {name} ({list(X.columns)}).")
            others = [c for c in X.columns if c not in targets]
            if others:
                cov = X[others]
                self.cov = Series(cov, name=f"the covariates of {name}")
                self.cov_names = others
            X = X[target] if isinstance(target, str) else X[targets]  # a str target gives Series out
        self.kind_in = "list" if isinstance(X, (list, tuple)) else "frame" if isinstance(X, pd.DataFrame) else "one"
        if self.kind_in == "list":
            parts = [Series(x, name=f"series {i} of the list") for i, x in enumerate(X)]
            if not parts:
                raise ValueError("The list of series is empty; pass at least one series.")
            self.values = [p.values[0] for p in parts]
            self.index = [p.index[0] for p in parts]
            self.names = [p.names[0] for p in parts]
            self.freq = [p.freq[0] for p in parts]
            self.labelled = [p.labelled[0] for p in parts]
            return
        if self.kind_in == "frame":
            cols = [X[c] for c in X.columns]
        elif isinstance(X, pd.Series):
            cols = [X]
        else:
            a = np.asarray(X)
            if a.ndim != 1:
                raise ValueError(
                    f"RNNForecaster requires y to be passed, but the target y is None. (In the series face "
                    f"fit(y) takes a pd.Series, a pd.DataFrame, a 1-D array or a list of series; got an array of "
                    f"shape {a.shape}. In the window face pass fit(X_windows, y_next_values).)"
                )
            cols = [pd.Series(a)]
        labelled = isinstance(X, (pd.Series, pd.DataFrame))
        self.labelled = [labelled] * len(cols)
        self.values, self.index, self.names, self.freq = [], [], [], []
        for c in cols:
            try:
                v = np.asarray(c, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"The values of {name} must be numeric; got dtype {c.dtype}.") from None
            if not np.isfinite(v).all():
                i = int(np.flatnonzero(~np.isfinite(v))[0])
                raise ValueError(
                    f"{name} contains NaN or infinity (first at position {i}, label {c.index[i]!r}); RNNForecaster "
                    "does not mask missing values. Impute them first, e.g. y.interpolate()."
                )
            self.values.append(v)
            self.index.append(c.index)
            self.names.append(c.name)
            self.freq.append(check_index(c.index, name))

    fcov = fcov_names = None  # future-known covariates, set by attach_future
    panel_columns = None  # (id, time, value) column names of a long or MultiIndex panel

    def positions_of(self, other):
        """Position in ``self`` of each series of ``other`` (same structure): by id for panels (any subset
        of the fitted ids), else by position (the same number of series)."""
        if self.kind_in in ("long", "multiindex", "dict"):
            unknown = [n for n in other.names if n not in self.names]
            if unknown:
                raise ValueError(f"Series {unknown} were not in the panel the model was fitted on.")
            return [self.names.index(n) for n in other.names]
        if len(other.values) != len(self.values):
            raise ValueError(f"X has {len(other.values)} series; the model was fitted on {len(self.values)}.")
        return list(range(len(self.values)))

    def covariates(self):
        """``(n, n_covariates)`` array of the past covariates (the non-target columns), or None."""
        return None if self.cov is None else np.stack(self.cov.values, axis=1)

    def cut(self, size):
        """A copy without the last ``size`` observations (series, past and future covariates)."""
        out = Series.__new__(Series)
        out.__dict__.update(self.__dict__)
        out.values = [v[:-size] for v in self.values]
        out.index = [ix[:-size] for ix in self.index]
        if self.cov is not None:
            out.cov = self.cov.cut(size)
        if self.fcov is not None:
            out.fcov = self.fcov[:-size]
        return out


def attach_future(S, F, name, names=None):
    """Validate future-known covariates ``F`` (one row per observation of ``S``) and set ``S.fcov``
    ``(n, n_future)`` and ``S.fcov_names``. ``names``: the columns expected (after fit)."""
    import pandas as pd

    if F is None:
        if names is not None:
            raise ValueError(f"This model reads the future-known covariates {names}; pass them for this series "
                             f"as {name}.")
        return S
    if S.kind_in == "list":
        raise ValueError(f"{name} needs one time axis: a Series or a DataFrame of targets, not a list of series.")
    if isinstance(F, pd.Series):
        F = F.to_frame()
    if isinstance(F, pd.DataFrame):
        cols = list(F.columns)
        if names is not None:
            missing = [c for c in names if c not in cols]
            if missing:
                raise ValueError(f"{name} lacks the future-known covariate columns {missing}.")
            F, cols = F[names], list(names)
        labels = F.index
    else:
        F = np.asarray(F, dtype=np.float64)
        F = F.reshape(len(F), -1) if F.ndim == 1 else F
        if F.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_timesteps, n_covariates); got shape {F.shape}.")
        cols, labels = list(range(F.shape[1])), None
        if names is not None and len(names) != len(cols):
            raise ValueError(f"{name} has {len(cols)} columns; the model was fitted with {len(names)}.")
    try:
        A = np.asarray(F, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"The values of {name} must be numeric.") from None
    n = len(S.values[0])
    if A.shape[0] != n:
        raise ValueError(f"{name} must have one row per observation of the series ({n}); got {A.shape[0]}.")
    if not np.isfinite(A).all():
        raise ValueError(f"{name} contains NaN or infinity; impute them first.")
    if labels is not None and S.labelled[0] and not labels.equals(S.index[0]):
        raise ValueError(f"The index of {name} must equal the series' index (same observations).")
    S.fcov, S.fcov_names = A, (cols if names is None else list(names))
    return S


def mase_scale(v, m):
    m = m if len(v) > m else 1
    d = np.abs(v[m:] - v[:-m])
    return float(d.mean()) if d.size and d.mean() > 0 else 1.0


def future_rows(S, X_future, steps, window):
    """``(1, window + steps, n_future)`` future-known covariates of a forecast from the end of ``S``: those of
    its last ``window`` observations, then ``X_future``'s first ``steps`` rows (validated); None without."""
    import pandas as pd

    if S.fcov is None:
        if X_future is not None:
            raise ValueError("X_future was given, but the model was fitted without future-known covariates "
                             "(pass future_covariates= to fit). Past covariates (the non-target columns) "
                             "are not needed at forecast time.")
        return None
    names = S.fcov_names
    if X_future is None:
        raise ValueError(f"This model reads the future-known covariates {names}; pass their future values as "
                         f"X_future (at least {steps} rows).")
    if isinstance(X_future, pd.Series):
        X_future = X_future.to_frame()
    if isinstance(X_future, pd.DataFrame):
        missing = [c for c in names if c not in X_future.columns]
        if missing:
            raise ValueError(f"X_future lacks the future-known covariate columns {missing} (it has "
                             f"{list(X_future.columns)}).")
        kind, freq = S.freq[0]
        expected = future_index(kind, freq, S.index[0][-1], 1)[0]
        if S.labelled[0] and len(X_future) and X_future.index[0] != expected:
            raise ValueError(f"X_future must start at {expected!r}, the step after the training series; it "
                             f"starts at {X_future.index[0]!r}.")
        X_future = X_future[names]
    F = np.asarray(X_future, dtype=np.float64).reshape(len(X_future), -1)
    if F.shape[0] < steps or F.shape[1] != len(names) or not np.isfinite(F).all():
        raise ValueError(f"X_future must hold finite values of the {len(names)} future-known covariates for at "
                         f"least {steps} steps; got shape {F.shape}.")
    return np.concatenate([S.fcov[-window:], F[:steps]])[None]


def drop_future(X, F):
    """``X`` without the columns named like the future-known covariates ``F`` (a DataFrame may hold both, as
    :meth:`RNNForecaster.score` expects): they are not also past covariates or targets."""
    names = getattr(F, "columns", [getattr(F, "name", None)])
    cols = getattr(X, "columns", [])
    return X.drop(columns=[c for c in names if c in cols]) if len(cols) and F is not None else X


def like_training(train, y, future_covariates, target, id_col="unique_id", time_col="ds"):
    """``y`` (and its future-known covariates) validated like the training series ``train``, with its covariate
    columns."""
    if train.fcov is None and future_covariates is not None:
        raise ValueError("future_covariates was given, but the model was fitted without them.")
    S = attach_future(Series(drop_future(y, future_covariates), target=target, id_col=id_col, time_col=time_col),
                      future_covariates,
                      "future_covariates", train.fcov_names)
    if (train.cov is None) != (S.cov is None) or (S.cov is not None and S.cov_names != train.cov_names):
        raise ValueError(f"y must hold the past covariate columns of the training series "
                         f"{getattr(train, 'cov_names', [])}; got {getattr(S, 'cov_names', [])}.")
    return S


def format_forecasts(S, outs):
    """Forecasts of every series of ``S`` (each a pd.Series, or a DataFrame with forecast/lower/upper) in the
    form ``S`` came in: one, a DataFrame of columns, a list, a dict, or a long or MultiIndex panel."""
    import pandas as pd

    if S.kind_in == "list":
        return outs
    if S.kind_in == "dict":
        return dict(zip(S.names, outs, strict=True))
    if S.kind_in == "frame":
        return pd.concat(outs if isinstance(outs[0], pd.Series) else dict(zip(S.names, outs, strict=True)), axis=1)
    if S.kind_in in ("long", "multiindex"):
        id_col, time_col, _ = S.panel_columns
        frames = []
        for name, out in zip(S.names, outs, strict=True):
            f = out.to_frame("forecast") if isinstance(out, pd.Series) else out
            f = f.rename_axis(time_col).reset_index()
            f.insert(0, id_col, name)
            frames.append(f)
        long = pd.concat(frames, ignore_index=True)
        return long if S.kind_in == "long" else long.set_index([id_col, time_col])
    return outs[0]
