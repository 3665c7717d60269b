"""``strategy='mimo'``: the series face's default recipe, an ensemble of multi-output networks.

For the model-space series (:mod:`.variance`: a logarithm when it stabilises the variance):

1. the last block in time (:func:`~.sizing.calibration_block`) is held out; each member -- a seed, a window
   length (:func:`~.sizing.window_lengths`, from the seasonal period or the horizon) and a window
   normalisation (:mod:`.mimo`) -- trains on the windows whose targets end before it, by the common loop
   (:func:`~skrnn._training.fit_epochs`), stopped at the epoch of least error over the origins inside it
   ("stage A");
2. the ensemble's median forecasts from those origins give the calibration residuals of the intervals
   (:func:`~.conformal.pooled_half_widths`), which never fall below three quarters of the seasonal naive's
   errors over the recent history (:func:`~.conformal.naive_floor`);
3. each member then continues on every window of the whole series for a quarter of its epochs ("stage B").

The members' weights are stored one after the other in one flat buffer; the members are combined by the
median.
"""

import dataclasses

import numpy as np
from sklearn.utils import check_random_state

from .._callbacks import epoch_tasks
from .._config import single_threaded_blas
from .._nn.network import Network
from .._nn.params import Architecture
from .._training import History, SequenceBatches, TrainState, Validation, fit_epochs
from .._validation import Sequences, check_sequences
from . import mimo
from .conformal import naive_floor, pooled_half_widths
from .sizing import calibration_block, output_length, seasonality_test, series_scale, window_lengths
from .transforms import Scaling, to_model
from .variance import choose_log
from .windows import network_outputs

DTYPE = np.float32


def member_plan(n_estimators, lengths, normalize, m=1):
    """``(window length, normalisation)`` of each member: the lengths cycle, and with ``'mix'`` blocks of
    ``len(lengths)`` members cycle through ``'mean'``, ``'last'`` and, when ``m > 1`` (a seasonal series)
    and every window covers a season, ``'season'``, otherwise ``'drift'``."""
    covers = m > 1 and min(lengths) >= m
    if normalize == "season" and not covers:
        raise ValueError(f"normalize='season' reads each window's last season, but the series is not seasonal "
                         f"(seasonal period {m}, or no seasonality detected) or the shortest window "
                         f"({min(lengths)}) is shorter than a season. Use normalize='mix' or 'last'.")
    if normalize == "mix":
        norms = ["mean", "last", "season" if covers else "drift"]
    else:
        norms = [normalize]
    return [[int(lengths[i % len(lengths)]), norms[(i // len(lengths)) % len(norms)]] for i in range(n_estimators)]


def _seasonal(U, m):
    votes = [seasonality_test(u, m) for u in U]
    return sum(votes) * 2 > len(votes)


def sizes(est, U, m):
    """Window lengths, output length and last block of model-space series ``U`` for the estimator's
    parameters (the shortest series decides), and whether the series without the block are seasonal (the
    test that sized the windows)."""
    n, H = min(len(u) for u in U), est.horizon
    fixed = est.window != "auto"
    Ls, Hc = window_lengths(m, _seasonal(U, m), H, n)
    if fixed:
        Ls, Hc = [est.window], output_length(H, n, est.window)
    if est.calibration_size == "auto":
        block = calibration_block(n, H, min(Ls), Hc)
    else:
        block = est.calibration_size
    if block < n:
        seasonal = _seasonal([u[:-block] for u in U], m)
        Ls, Hc = window_lengths(m, seasonal, H, n - block)
        if fixed:
            Ls, Hc = [est.window], output_length(H, n - block, est.window)
    if block >= n or n - block - max(Ls) - Hc + 1 < 1:
        if fixed:
            raise ValueError(f"window={est.window} is too long for the shortest series, of {n} observations: "
                             f"strategy='mimo' holds out its last {block} and trains on windows of window + {Hc} "
                             "targets before them. Use a shorter window (or window='auto') or a longer series.")
        raise ValueError(
            f"The shortest series has {n} observations: too few to hold out its last {block} and train on windows "
            f"of {max(Ls)} inputs and {Hc} targets. Use a shorter window, a smaller calibration_size or a longer "
            "series.")
    return Ls, Hc, block, seasonal


def _fold(net, flat, x_mu, x_sd, y_mu, y_sd):
    """Fold the input standardisation ``(x - x_mu) / x_sd`` and the output's ``y * y_sd + y_mu`` into the
    weights of a network trained on standardised windows: it then reads and emits the normalised windows
    themselves (exact: the first layer is affine in its input, the head affine in its output)."""
    P = net.views(flat)
    for k in [k for k in P if k.startswith("weight_ih_l0")]:
        b = "bias" + k[len("weight"):]
        P[b] -= (P[k][:, 0] * (x_mu / x_sd)).astype(flat.dtype)
        P[k] /= flat.dtype.type(x_sd)
    P["head.bias"][...] = P["head.bias"] * y_sd + y_mu
    P["head.weight"][...] = P["head.weight"] * y_sd[:, None]


def _windows(U, L, Hc, scales, norm, end=None, m=1):
    """Stacked training windows of every series (``end``: only those whose targets end before it, from the
    end of each series)."""
    Xs, Ys = [], []
    for u, s in zip(U, scales, strict=True):
        X, Y, org = mimo.training_windows(u, L, Hc, s, norm, m)
        if end is not None:
            keep = org + Hc < len(u) - end
            X, Y = X[keep], Y[keep]
        Xs.append(X)
        Ys.append(Y)
    return np.concatenate(Xs), np.concatenate(Ys)


def _seqs(X):
    return Sequences(np.ascontiguousarray(X[:, :, None], dtype=DTYPE), np.full(len(X), X.shape[1], np.int64), "3d")


def _predictor(net, flat):
    return lambda X: network_outputs(net, flat, X[:, :, None])


def _validation_set(U, L, Hc, scales, norm, block, m=1):
    """Inputs of every origin in the last block, their targets (normalised, NaN past the end) and the
    truth's positions; for early stopping."""
    Xs, Ts = [], []
    for u, s in zip(U, scales, strict=True):
        n = len(u)
        origins = np.arange(n - block - 1, n - 1)
        W = np.stack([u[t - L + 1:t + 1] for t in origins])
        X, lev = mimo.input_windows(W, s, norm, Hc, m)
        pos = origins[:, None] + 1 + np.arange(Hc)[None, :]
        T = np.where(pos < n, u[np.minimum(pos, n - 1)], np.nan)
        Xs.append(X)
        Ts.append((T - lev) / s)
    return np.concatenate(Xs), np.concatenate(Ts)


def _validation(loss):
    """A :class:`~skrnn._training.Validation` on ``loss(params)``, its score the negated loss (computed once)."""
    last = {}

    def compute(p):
        last["v"] = loss(p)
        return last["v"]

    return Validation(None, lambda p: -last["v"], compute)


def _train_member(ctx, L, norm, seed, hooks):
    """Stage A (stopped on the last block), its forecasts from the block's origins, stage B (the whole
    series); returns the folded weights, those forecasts and the member's training history."""
    est, U, Hc, net, bs, scale_a = ctx["est"], ctx["U"], ctx["Hc"], ctx["net"], ctx["bs"], ctx["scale_a"]
    X, Y = _windows(U, L, Hc, scale_a, norm, ctx["block"], ctx["m"])
    x_mu, x_sd = float(X.mean()), float(X.std())
    x_sd = x_sd if x_sd > 0 else 1.0
    y_mu, y_sd = Y.mean(axis=0), np.where(Y.std(axis=0) > 0, Y.std(axis=0), 1.0)
    Xv, Tv = _validation_set(U, L, Hc, scale_a, norm, ctx["block"], ctx["m"])
    ok = np.isfinite(Tv)
    mrng = np.random.RandomState(seed)
    flat = net.initialize(mrng, DTYPE, est.initializer, est.recurrent_initializer)

    def predict(Xn):  # before folding
        return network_outputs(net, flat, ((Xn - x_mu) / x_sd)[:, :, None]) * y_sd + y_mu

    def vloss(p):
        P = network_outputs(net, p, ((Xv - x_mu) / x_sd)[:, :, None]) * y_sd + y_mu
        return float(np.mean(np.abs(P - Tv)[ok]))

    def batches(X, Y):
        return SequenceBatches(_seqs((X - x_mu) / x_sd), (Y - y_mu) / y_sd, np.ones(len(X), DTYPE), False, bs, DTYPE)

    def reconstruction(scale):  # the model of an epoch, for callbacks: this member alone
        def attributes(params, history):
            _fold(net, params, x_mu, x_sd, y_mu, y_sd)  # params is the callback's copy
            return {**est._reconstruction(params, history), "_members": [[L, norm]], "_arch": ctx["arch"],
                    "_config": None, "_scaling": Scaling(ctx["log"], 0, np.zeros(len(U)), scale),
                    "window_": L, "n_outputs_": Hc, "_series": ctx["S"], "n_series_": len(U),
                    "seasonal_period_": ctx["m"], "calibration_size_": ctx["block"], "_optimizer": None}
        return attributes

    state = TrainState(est._new_optimizer(flat.size, DTYPE), mrng,
                       History(validation_loss_curve=[], validation_scores=[], best_validation_score=-np.inf))
    if hooks is not None:
        hooks.reconstruction = reconstruction(scale_a)
    with single_threaded_blas():
        fit_epochs(net, flat, batches(X, Y), ctx["config"], state, _validation(vloss), hooks)
    best = int(np.argmin(state.history.validation_loss_curve)) + 1
    fc = np.concatenate([mimo.forecast_blocks(predict, np.stack([u[t - L + 1:t + 1] for t in o]), L, Hc, ctx["H"],
                                              s, norm, ctx["m"])
                         for u, o, s in zip(U, ctx["origins"], scale_a, strict=True)])
    if state.history.stop_reason != "callback":
        Xb, Yb = _windows(U, L, Hc, ctx["scale"], norm, m=ctx["m"])
        epochs = max(1, best // 4)
        if hooks is not None:
            hooks.reconstruction = reconstruction(ctx["scale"])
        with single_threaded_blas():
            fit_epochs(net, flat, batches(Xb, Yb),
                       dataclasses.replace(ctx["config"], max_iter=epochs, n_iter_no_change=epochs + 1), state, None,
                       hooks)
    _fold(net, flat, x_mu, x_sd, y_mu, y_sd)
    return flat, fc, state.history


def fit(est, S, m, callback_data=(None, None, None)):
    """Fit the ensemble on :class:`~.series.Series` ``S`` (seasonal period ``m``): returns the fitted
    attributes (``_flat`` holds every member's weights)."""
    if S.cov is not None or S.fcov is not None:
        raise ValueError("strategy='mimo' reads the target series only; covariates need strategy='recursive' "
                         "(past and future-known) or 'direct' (past).")
    log = choose_log(S.values, m) if est.log == "auto" else bool(est.log)
    U = [to_model(v, log) for v in S.values]
    Ls, Hc, block, seasonal = sizes(est, U, m)
    plan = member_plan(est.n_estimators, Ls, est.normalize, m if seasonal else 1)
    rng = check_random_state(est.random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(plan))
    scale_a = np.array([series_scale(u[:-block]) for u in U])
    scale = np.array([series_scale(u) for u in U])
    arch = Architecture(cell=est.cell, n_features=1, hidden_size=est.hidden_size, n_outputs=Hc,
                        num_layers=est.num_layers, bidirectional=est.bidirectional, activation=est.activation)
    net = Network(arch, "identity")
    config = dataclasses.replace(est._train_config(False), fixed_epochs=True)
    bs = 32 if est.batch_size == "auto" else est.batch_size
    check_sequences(est, _windows(U, Ls[0], Hc, scale_a, "none", block)[0][:1], reset=True)
    H = est.horizon
    origins = [np.arange(len(u) - block - 1, len(u) - 1) for u in U]
    ctx = dict(est=est, S=S, m=m, U=U, Hc=Hc, H=H, block=block, net=net, arch=arch, config=config, bs=bs,
               log=log, scale_a=scale_a, scale=scale, origins=origins)
    flats, stage_a, first_history = [], [], None
    hooks = epoch_tasks(est, *callback_data, len(plan) * (est.max_iter + max(1, est.max_iter // 4)), None)
    try:
        for (L, norm), seed in zip(plan, seeds, strict=True):
            flat, fc, history = _train_member(ctx, L, norm, seed, hooks)
            flats.append(flat)
            stage_a.append(fc)
            first_history = first_history or history
            if history.stop_reason == "callback":  # a callback stopped training: the members so far
                plan = plan[:len(flats)]
                break
    finally:
        if hooks is not None:
            hooks.close()
    median = np.median(np.stack(stage_a), axis=0)
    errors = [[] for _ in range(H)]
    row = 0
    for u, o, s in zip(U, origins, scale_a, strict=True):
        for k, e in enumerate(mimo.step_errors(u, median[row:row + len(o)], o, H)):
            errors[k].extend(e / s)
        row += len(o)
    calibration = [np.sort(np.asarray(e, np.float64)) for e in errors if len(e)]
    return {"_arch": arch, "_config": None, "_flat": np.concatenate(flats), "_members": plan,
            "_scaling": Scaling(log, 0, np.zeros(len(U)), scale), "_calibration": calibration or None,
            "window_": max(m[0] for m in plan), "n_outputs_": Hc, "_random_state": rng, "_optimizer": None,
            "calibration_size_": block}, first_history


def member_forecasts(est, U, sid, steps):
    """Model-space forecasts ``(n_members, n, steps)`` of every member from the windows ``U``
    ``(n, >= window_)`` of series ``sid`` ``(n,)``."""
    net = Network(est._arch, "identity")
    size = net.layout.size
    scale = est._scaling.sd[np.asarray(sid)]
    out = []
    for i, (L, norm) in enumerate(est._members):
        flat = est._flat[i * size:(i + 1) * size]
        out.append(mimo.forecast_blocks(_predictor(net, flat), U, L, est.n_outputs_, steps, scale, norm,
                                        est.seasonal_period_))
    return np.stack(out)


def forecast(est, U, sid, steps):
    """The ensemble's median forecasts ``(n, steps)`` in model space."""
    return np.median(member_forecasts(est, U, sid, steps), axis=0)


def half_widths(est, level, steps):
    """Interval half-widths ``(steps,)`` relative to each series' scale: the calibration block's
    (:func:`~.conformal.pooled_half_widths`, one origin per block position and series), never below
    :func:`~.conformal.naive_floor` (the recent history of every series)."""
    S = est._series
    U = [to_model(v, est._scaling.log) for v in S.values]
    floor = naive_floor(U, est.seasonal_period_, steps, level, est._scaling.sd)
    if est._calibration is None:
        return np.maximum(pooled_half_widths([], level, steps, 1, stacklevel=5), floor)
    origins = est.calibration_size_ * len(U)
    return np.maximum(pooled_half_widths(est._calibration, level, steps, origins, stacklevel=5), floor)
