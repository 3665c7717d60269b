"""Prototype of the robust RNNForecaster recipe (issue 10), as pure numpy functions plus a small ensemble
class that trains skrnn's public ``RNNRegressor``.

The pure functions are written to move into ``skrnn/_forecasting/transforms.py`` (variance, season,
windows) and ``skrnn/_forecasting/conformal.py`` (intervals); each transform is a pair
``transform(series, ...) -> (model-space series, state)`` / ``inverse(forecasts, state)``. Only numpy is
used (no statsmodels / scipy needed).

Pipeline of :class:`EnsembleForecaster` for one series ``y`` (length ``n``), seasonal period ``m``, horizon
``H`` (defaults = the recipe recommended by benchmarks/bench_forecast.py --dev):

1. variance: :func:`variance_transform` -- log when the series is positive and Guerrero's lambda is below
   0.5 (its variability grows with its level); chosen once on the whole training series;
2. season: :func:`seasonality_test` (90% ACF test at lag ``m``, as the M4 Theta benchmark) sizes the
   windows from ``m``; :func:`deseasonalise` (classical decomposition) is available (``season="auto"``) but
   off by default (dev: gmean MASE 0.855 with it, 0.834 without);
3. windows: :func:`training_windows` -- inputs of ``L`` observations (:func:`window_lengths`: 1.25, 2 and 3
   seasons, or 1.25, 2 and 3 horizons without a season) and the next ``Hc`` values (``H``: MIMO, shorter
   on short series, :func:`output_length`), normalised by each window's own mean or last value and a
   per-series scale (:func:`series_scale`);
4. networks: 10 GRUs of 32 units over seeds x window lengths x the two normalisations, each stopped early
   on the last block in time (:func:`calibration_block`, :func:`last_block_split`; stage A), then
   continued on the whole series for a quarter of its epochs (stage B); combined by the median;
5. intervals: stage A's errors from rolling origins in the last block (:func:`rolling_origin_errors`),
   pooled over steps after dividing by a per-step scale ``a k^b``, ``b`` in [0.5, 1]
   (:func:`step_scale`), conformal quantile (:func:`conformal_half_widths`), times 1.25.
"""

import copy
import math
import warnings

import numpy as np

# ----------------------------------------------------------------- variance


def box_cox(y, lam):
    """Box-Cox transform of a positive array (``lam == 0``: log)."""
    y = np.asarray(y, dtype=np.float64)
    return np.log(y) if lam == 0 else (y**lam - 1.0) / lam


def inv_box_cox(z, lam):
    """Inverse of :func:`box_cox`; values outside the transform's range are clipped to its edge."""
    z = np.asarray(z, dtype=np.float64)
    if lam == 0:
        return np.exp(np.minimum(z, 700.0))
    return np.maximum(lam * z + 1.0, 1e-12) ** (1.0 / lam)


def guerrero_lambda(y, period, lower=-1.0, upper=2.0, n_grid=61):
    """Guerrero's (1993) Box-Cox parameter: the ``lam`` minimising the coefficient of variation of
    ``sd_i / mean_i ** (1 - lam)`` over consecutive non-overlapping blocks of ``max(period, 2)``
    observations (the last full blocks are used). Needs a positive series and at least 2 blocks."""
    y = np.asarray(y, dtype=np.float64)
    p = max(int(period), 2)
    k = len(y) // p
    if k < 2:
        return 1.0
    blocks = y[len(y) - k * p:].reshape(k, p)
    mu, sd = blocks.mean(axis=1), blocks.std(axis=1, ddof=1)
    grid = np.linspace(lower, upper, n_grid)
    cv = []
    for lam in grid:
        r = sd / mu ** (1.0 - lam)
        cv.append(r.std(ddof=1) / r.mean() if r.mean() > 0 else np.inf)
    return float(grid[int(np.argmin(cv))])


def variance_transform(y, m, method="auto"):
    """Model space for the variance: returns ``(z, state)``.

    ``method``: ``"auto"`` (log when the series is positive and Guerrero's
    lambda is below 0.5, i.e. closer to log than to no transform), ``"boxcox"``
    (Guerrero's lambda clipped to [0, 1], positive series only), ``"log"``
    (positive series only), ``None`` (identity). ``state`` is the lambda used
    (``None``: identity)."""
    y = np.asarray(y, dtype=np.float64)
    positive = bool(np.all(y > 0))
    if method is None or not positive:
        if method in ("log", "boxcox") and not positive:
            pass  # a non-positive series stays as it is
        return y.copy(), None
    if method == "log":
        return box_cox(y, 0.0), 0.0
    lam = guerrero_lambda(y, m)
    if method == "boxcox":
        lam = float(np.clip(lam, 0.0, 1.0))
        return (box_cox(y, lam), lam) if lam < 1.0 else (y.copy(), None)
    if method == "auto":
        return (box_cox(y, 0.0), 0.0) if lam < 0.5 else (y.copy(), None)
    raise ValueError(f"unknown variance method {method!r}")


def inverse_variance(z, state):
    return np.asarray(z, dtype=np.float64) if state is None else inv_box_cox(z, state)


# ------------------------------------------------------------------- season


def acf(x, nlags):
    """Sample autocorrelations ``r_0 .. r_nlags`` (biased estimator, as statsmodels' default)."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    denom = np.dot(x, x)
    if denom <= 0:
        return np.r_[1.0, np.zeros(nlags)]
    return np.array([1.0] + [np.dot(x[k:], x[:-k]) / denom for k in range(1, nlags + 1)])


def seasonality_test(u, m, z=1.645, on="level"):
    """The M4 Theta benchmark's seasonality test: ``|r_m|`` above ``z`` standard errors of Bartlett's
    formula (``z=1.645``: 90%), on a series of at least ``3 m`` observations. ``m <= 1``: False.
    ``on="diff"`` tests the first differences instead (a trend alone then does not pass as a season)."""
    u = np.asarray(u, dtype=np.float64)
    if m <= 1 or len(u) < 3 * m:
        return False
    if on == "diff":
        u = np.diff(u)
    r = acf(u, m)
    limit = z * math.sqrt((1.0 + 2.0 * np.sum(r[1:m] ** 2)) / len(u))
    return bool(abs(r[m]) > limit)


def seasonal_indices(u, m):
    """Classical additive decomposition: the ``m`` seasonal indices (by phase, phase 0 being the first
    observation) of ``u`` about its centred moving average, summing to zero."""
    u = np.asarray(u, dtype=np.float64)
    if m % 2 == 0:
        w = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        w = np.ones(m) / m
    trend = np.convolve(u, w, mode="valid")  # centred; starts at position len(w) // 2
    start = len(w) // 2
    det = u[start:start + len(trend)] - trend
    phase = (np.arange(len(det)) + start) % m
    idx = np.array([det[phase == j].mean() if np.any(phase == j) else 0.0 for j in range(m)])
    return idx - idx.mean()


def deseasonalise(u, m, seasonal="auto"):
    """Season out of the model-space series ``u``: returns ``(d, state)``, ``state = (indices, n)`` or
    ``None`` when not seasonal (``seasonal="auto"``: :func:`seasonality_test`)."""
    u = np.asarray(u, dtype=np.float64)
    if seasonal == "auto":
        seasonal = seasonality_test(u, m)
    if not seasonal or m <= 1 or len(u) < 2 * m:
        return u.copy(), None
    idx = seasonal_indices(u, m)
    return u - idx[np.arange(len(u)) % m], (idx, len(u))


def reseasonalise(f, state, offset=0):
    """Season back into forecasts ``f`` ``(..., K)`` of the positions ``n + offset + 0 .. K - 1`` (``n``: the
    length of the deseasonalised series)."""
    if state is None:
        return f
    idx, n = state
    K = np.shape(f)[-1]
    return f + idx[(n + offset + np.arange(K)) % len(idx)]


# ------------------------------------------------------------------ windows


def series_scale(d):
    """Per-series scale of the network's inputs and targets: mean absolute first difference (floored)."""
    d = np.asarray(d, dtype=np.float64)
    s = np.mean(np.abs(np.diff(d))) if len(d) > 1 else 0.0
    return float(s) if s > 1e-12 * max(1.0, np.mean(np.abs(d))) else max(1.0, np.mean(np.abs(d))) * 1e-3 + 1e-12


def window_lengths(m, seasonal, H, n, factors=(1.25, 2.0, 3.0), nonseasonal=(1.25, 2.0, 3.0),
                   min_windows=16, min_length=3):
    """Input lengths of the ensemble members: ``factors x m`` for a seasonal series, ``nonseasonal x H``
    otherwise (N-BEATS' lookbacks are multiples of the horizon), each shortened so that ``n`` observations
    give at least ``min_windows`` windows of ``L + Hc`` (the ``Hc`` of :func:`output_length`)."""
    base = m if seasonal and m > 1 else max(H, 4)
    out = []
    for f in factors if seasonal and m > 1 else nonseasonal:
        L = max(min_length, int(round(f * base)))
        out.append(L)
    Hc = output_length(H, n, min(out), min_windows)
    cap = max(min_length, n - Hc - min_windows + 1)
    return sorted({min(L, cap) for L in out}), Hc


def output_length(H, n, L, min_windows=16):
    """Steps per network call ``Hc``: ``H`` (MIMO) when the series gives ``min_windows`` windows of
    ``L + H``, else shorter (forecasts then run block by block, each block fed back)."""
    Hc = H
    while Hc > 1 and n - L - Hc + 1 < min_windows:
        Hc = max(1, Hc // 2)
    return Hc


def training_windows(d, L, Hc, scale, normalise="last"):
    """Windows of the deseasonalised model-space series ``d``: inputs ``X`` ``(n_w, L, 1)`` and targets
    ``Y`` ``(n_w, Hc)``, both minus each window's level (its last input, ``normalise="last"``; its mean,
    ``"mean"``; nothing, ``"none"``) and divided by ``scale``. Returns ``X, Y, origins`` (position of each
    window's last input)."""
    d = np.asarray(d, dtype=np.float64)
    win = np.lib.stride_tricks.sliding_window_view(d, L + Hc)
    lev = window_level(win[:, :L], normalise)
    X = (win[:, :L] - lev[:, None]) / scale
    Y = (win[:, L:] - lev[:, None]) / scale
    return X[:, :, None], Y, np.arange(L - 1, L - 1 + len(win))


def window_level(Xw, normalise):
    if normalise == "last":
        return Xw[:, -1]
    if normalise == "mean":
        return Xw.mean(axis=1)
    return np.zeros(len(Xw))


def input_windows(d, origins, L, scale, normalise="last"):
    """Network inputs ``(len(origins), L, 1)`` ending at each origin, and their levels."""
    Xw = np.stack([d[t - L + 1:t + 1] for t in origins])
    lev = window_level(Xw, normalise)
    return ((Xw - lev[:, None]) / scale)[:, :, None], lev


def last_block_split(origins, Hc, n, block):
    """Boolean masks ``(train, valid)`` over windows with last inputs ``origins``: a window is validation
    when its first target lies in the last ``block`` observations, training when its last target lies
    before that block (the windows in between overlap both and are dropped)."""
    first_target = origins + 1
    last_target = origins + Hc
    return last_target < n - block, first_target >= n - block


# ---------------------------------------------------------------- intervals


def step_scale(errors, steps, min_count=3, min_growth=0.5, max_growth=1.0):
    """Per-step scale ``s_k`` (k = 1 .. steps) of absolute errors grouped by step (``errors[k-1]``,
    arrays, possibly empty): the power law ``a * k ** b`` fitted by least squares to ``log`` of each
    step's root mean square error (steps with at least ``min_count`` errors, weighted by count), with
    ``b`` clipped to ``[min_growth, max_growth]`` (``b = 0.5``, the random walk's ``sqrt(k)``, when fewer than
    two steps qualify). Non-decreasing in ``k`` by construction. ``min_growth=0.5``: errors measured in one
    block grow more slowly with the step than later errors do (benchmark: coverage 0.72 with ``b >= 0``,
    0.80 with ``b >= 0.5`` before inflation)."""
    ks, rms, w = [], [], []
    for k, e in enumerate(errors, start=1):
        e = np.asarray(e, dtype=np.float64)
        if len(e) >= min_count and np.any(e > 0):
            ks.append(k)
            rms.append(np.sqrt(np.mean(e**2)))
            w.append(len(e))
    if not ks:
        allerr = np.concatenate([np.asarray(e, float) for e in errors]) if errors else np.zeros(0)
        a = np.sqrt(np.mean(allerr**2)) if allerr.size else 1.0
        return a * np.arange(1, steps + 1) ** float(np.clip(0.5, min_growth, max_growth))
    ks, rms, w = np.array(ks, float), np.array(rms), np.array(w, float)
    if len(ks) >= 2:
        x, yv = np.log(ks), np.log(rms)
        xm, ym = np.average(x, weights=w), np.average(yv, weights=w)
        b = np.sum(w * (x - xm) * (yv - ym)) / max(np.sum(w * (x - xm) ** 2), 1e-12)
        b = float(np.clip(b, min_growth, max_growth))
    else:
        b = float(np.clip(0.5, min_growth, max_growth))
    loga = np.average(np.log(rms) - b * np.log(ks), weights=w)
    return np.exp(loga) * np.arange(1, steps + 1) ** b


def conformal_half_widths(errors, steps, level, scale=None):
    """Half-widths ``(steps,)``: the absolute errors of every step divided by ``scale`` (default
    :func:`step_scale`), pooled, their ``ceil((N + 1) level) / N`` empirical quantile times ``scale``.
    Warns when the ``N`` pooled errors are too few for the level (``N < 1 / (1 - level) - 1``; the
    largest error is used)."""
    if scale is None:
        scale = step_scale(errors, steps)
    pooled = np.concatenate([np.asarray(e, float) / scale[k] for k, e in enumerate(errors) if k < steps]
                            + [np.zeros(0)])
    N = len(pooled)
    if N == 0:
        warnings.warn("No calibration errors: intervals cannot be calibrated; returned as infinite.",
                      stacklevel=2)
        return np.full(steps, np.inf)
    r = int(math.ceil((N + 1) * level))
    if r > N:
        warnings.warn(f"{N} calibration errors are too few for a {level:.0%} conformal interval (needs at "
                      f"least {int(math.ceil(level / (1 - level)))}); the largest error is used, so coverage "
                      "may fall short.", stacklevel=2)
        r = N
    q = np.sort(pooled)[r - 1]
    return q * scale


def rolling_origin_errors(truth, forecasts, origins, steps):
    """Absolute errors grouped by step: ``forecasts[j, k]`` forecasts ``truth[origins[j] + 1 + k]``;
    returns a list of ``steps`` arrays (targets past the end of ``truth`` are skipped)."""
    out = []
    for k in range(steps):
        pos = origins + 1 + k
        ok = pos < len(truth)
        out.append(np.abs(truth[pos[ok]] - forecasts[ok, k]) if k < forecasts.shape[1] else np.zeros(0))
    return out


# ----------------------------------------------------------------- ensemble


class EnsembleForecaster:
    """The candidate default recipe (see the module docstring) for one series.

    ``fit(y, m, H)`` then ``predict(level)`` -> ``(mean, lower, upper)`` arrays of ``H`` values.
    """

    def __init__(self, n_estimators=10, window_factors=(1.25, 2.0, 3.0), nonseasonal_factors=(1.25, 2.0, 3.0),
                 variance="auto", season=False, normalise="mix", hidden_size=32, cell="gru", max_epochs=200,
                 patience=20, early_stopping="last_block", refit="warm", refit_epochs=None, block=None,
                 learning_rate=0.005, alpha=1e-4, batch_size=32, min_windows=16, combine="median",
                 season_test="level", strategy="mimo", min_epochs=1, min_growth=0.5, inflation=1.25,
                 level_for_block=0.9, random_state=0, dtype=np.float32):
        self.__dict__.update({k: v for k, v in locals().items() if k != "self"})

    # -- pieces
    def _prepare(self, y, m, H):
        z, vstate = variance_transform(y, m, self.variance)
        seasonal = seasonality_test(z, m, on=self.season_test)
        d, sstate = deseasonalise(z, m, seasonal if self.season == "auto" else self.season)
        Ls, Hc = window_lengths(m, seasonal, H, len(d), self.window_factors, self.nonseasonal_factors,
                                self.min_windows)
        if self.strategy == "recursive":
            Hc = 1
        return z, vstate, d, sstate, Ls, Hc

    def _net(self, seed):
        from skrnn import RNNRegressor

        return RNNRegressor(cell=self.cell, hidden_size=self.hidden_size, learning_rate_init=self.learning_rate,
                            alpha=self.alpha, batch_size=self.batch_size, max_iter=self.max_epochs, tol=0.0,
                            n_iter_no_change=self.max_epochs + 1, bidirectional=False, random_state=seed)

    def _forecast_member(self, net, d, origins, L, Hc, scale, steps, norm):
        """Model-space (deseasonalised) forecasts ``(len(origins), steps)`` from each origin, block by block."""
        d = np.asarray(d, dtype=np.float64)
        hist = [d[: t + 1].tolist() for t in origins] if Hc < steps else None
        X, lev = input_windows(d, origins, L, scale, norm)
        out = []
        done = 0
        while True:
            P = np.asarray(net.predict(X.astype(self.dtype)), dtype=np.float64).reshape(len(X), -1)
            F = P * scale + lev[:, None]
            out.append(F)
            done += Hc
            if done >= steps:
                break
            for j in range(len(origins)):
                hist[j].extend(F[j].tolist())
            W = np.array([h[-L:] for h in hist])
            lev = window_level(W, norm)
            X = ((W - lev[:, None]) / scale)[:, :, None]
        return np.concatenate(out, axis=1)[:, :steps]

    def _train_member(self, d, L, Hc, seed, block, scale, norm):
        """One network on the windows of ``d`` whose targets end before its last ``block`` observations;
        with ``early_stopping="last_block"`` stopped at the epoch of least validation MAE over the origins
        inside that block (targets truncated at the end of ``d``), else trained for a fixed number of epochs.
        Returns ``(net, epochs)``."""
        n = len(d)
        X, Y, org = training_windows(d, L, Hc, scale, norm)
        tr, _ = last_block_split(org, Hc, n, block)
        Xtr, Ytr = X[tr].astype(self.dtype), Y[tr].astype(self.dtype)
        net = self._net(seed)
        if self.early_stopping != "last_block":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                net.set_params(max_iter=self.refit_epochs or self.max_epochs)
                net.fit(Xtr, Ytr)
            return net, net.n_iter_
        vorg = np.arange(n - block - 1, n - 1)
        Xv, lev = input_windows(d, vorg, L, scale, norm)
        Xv = Xv.astype(self.dtype)
        best, best_state, best_epoch, since = np.inf, None, 0, 0
        for epoch in range(1, self.max_epochs + 1):
            net.partial_fit(Xtr, Ytr)
            P = np.asarray(net.predict(Xv), dtype=np.float64).reshape(len(Xv), -1)
            err = []
            for k in range(Hc):
                pos = vorg + 1 + k
                ok = pos < n
                err.append(np.abs(d[pos[ok]] - (P[ok, k] * scale + lev[ok])))
            v = float(np.mean(np.concatenate(err)))
            if v < best - 1e-9:
                best, best_epoch, since = v, epoch, 0
                best_state = {k: a.copy() for k, a in net.get_state_dict().items()}
            else:
                since += 1
                if since >= self.patience and epoch >= self.min_epochs:
                    break
        net.set_state_dict(best_state)
        return net, best_epoch

    # -- public
    def fit(self, y, m, H):
        y = np.asarray(y, dtype=np.float64)
        self.m_, self.H_, self.n_ = m, H, len(y)
        n = len(y)
        # the last block: early stopping and calibration. Transforms, scale and window lengths of stage A
        # come from the series without it.
        _, _, d0, _, Ls0, Hc0 = self._prepare(y, m, H)
        block = (self.block if self.block is not None
                 else calibration_block(n, H, min(Ls0), Hc0, self.min_windows, self.level_for_block))
        self.block_ = block
        # the variance transform is chosen once, on the whole training series, so that the calibration
        # errors and the final intervals live in the same model space; the season and scale of stage A are
        # refitted without the last block
        zfull, vA = variance_transform(y, m, self.variance)
        seasonalA = seasonality_test(zfull[: n - block], m, on=self.season_test)
        dA, sA = deseasonalise(zfull[: n - block], m, seasonalA if self.season == "auto" else self.season)
        Ls, Hc = window_lengths(m, seasonalA, H, len(dA), self.window_factors, self.nonseasonal_factors,
                                self.min_windows)
        if self.strategy == "recursive":
            Hc = 1
        dfull = zfull - (0.0 if sA is None else sA[0][np.arange(n) % m])
        scaleA = series_scale(dA)
        # members: seeds x window lengths, cycling window lengths so that any n_estimators mixes them
        # and, with normalise="mix", alternating blocks of len(Ls) members between "mean" and "last"
        norms = ["mean", "last"] if self.normalise == "mix" else [self.normalise]
        members = [(Ls[i % len(Ls)], self.random_state * 1000 + i, norms[(i // len(Ls)) % len(norms)])
                   for i in range(self.n_estimators)]
        self.Ls_, self.Hc_ = Ls, Hc
        origins = np.arange(n - block - 1, n - 1)
        stageA, fcs = [], []
        for L, seed, norm in members:
            net, ep = self._train_member(dfull, L, Hc, seed, block, scaleA, norm)
            stageA.append((net, ep))
            fcs.append(self._forecast_member(net, dfull, origins, L, Hc, scaleA, H, norm))
        self.cal_errors_ = rolling_origin_errors(dfull, self._combine(np.stack(fcs)), origins, H)
        # stage B: transforms refitted on the whole series, each member refitted with its epoch count
        z, vstate, d, sstate, _, _ = self._prepare(y, m, H)
        self.vstate_, self.sstate_, self.d_ = vstate, sstate, d
        scale = self.scale_ = series_scale(d)
        self.members_ = []
        for (L, seed, norm), (netA, ep) in zip(members, stageA, strict=True):
            if self.refit == "none":
                # stage A's network, reading the whole series in stage A's units
                self.members_.append((L, norm, ep, netA))
                continue
            X, Y, _ = training_windows(d, L, Hc, scale, norm)
            X, Y = X.astype(self.dtype), Y.astype(self.dtype)
            if self.refit == "warm":
                net = copy.deepcopy(netA)
                for _ in range(max(1, ep // 4)):
                    net.partial_fit(X, Y)
            else:  # "fresh"
                net = self._net(seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    net.set_params(max_iter=max(ep, 5))
                    net.fit(X, Y)
            self.members_.append((L, norm, ep, net))
        if self.refit == "none":
            self.vstate_, self.d_, self.scale_ = vA, dfull, scaleA
            self.sstate_ = None if sA is None else (sA[0], n)
        return self

    def _combine(self, F):
        return np.median(F, axis=0) if self.combine == "median" else np.mean(F, axis=0)

    def predict(self, level=0.9, steps=None):
        H = steps or self.H_
        d = self.d_
        origin = np.array([len(d) - 1])
        F = np.stack([self._forecast_member(net, d, origin, L, self.Hc_, self.scale_, H, norm)[0]
                      for L, norm, _, net in self.members_])
        f = self._combine(F[:, None, :])[0]
        if level:
            sc = step_scale(self.cal_errors_, H, min_growth=self.min_growth)
            half = self.inflation * conformal_half_widths(self.cal_errors_, H, level, sc)
        else:
            half = np.zeros(H)
        f_s = reseasonalise(f, self.sstate_)
        mean = inverse_variance(f_s, self.vstate_)
        lo = inverse_variance(f_s - half, self.vstate_)
        hi = inverse_variance(f_s + half, self.vstate_)
        self.member_forecasts_ = inverse_variance(reseasonalise(F, self.sstate_), self.vstate_)
        self.model_space_forecast_ = f_s
        return mean, lo, hi


def calibration_block(n, H, L, Hc, min_windows=16, level=0.9, floor_windows=4):
    """Length ``V`` of the last block used for early stopping and calibration: ``H``, shortened so that the
    series without it still gives ``min_windows`` training windows -- but not below the smallest ``V`` whose
    ``V (V + 1) / 2`` rolling-origin errors suffice for a ``level`` conformal quantile, while that leaves
    ``floor_windows`` windows (a 36-point series still gets intervals; :func:`conformal_half_widths` warns
    when the errors are too few)."""
    need = math.ceil(level / (1 - level))  # N with ceil((N + 1) level) <= N
    v_min = next(v for v in range(1, 10**6) if v * (v + 1) // 2 >= need)
    windows = lambda b: n - b - L - Hc + 1  # noqa: E731
    b = H
    while b > 1 and windows(b) < min_windows:
        b -= 1
    if b < v_min:
        b = max(b, min(v_min, H, max(1, n - L - Hc + 1 - floor_windows)))
    return max(b, 1)
