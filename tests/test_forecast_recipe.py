"""The default forecasting recipe (``strategy='mimo'``): its pure functions against obviously correct
computations, and the forecaster's user-visible behaviour (ensemble size, median, determinism, intervals
that do not shrink with the horizon, the logarithm chosen from the data)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from skrnn import RNNForecaster
from skrnn._forecasting import ensemble, mimo, sizing
from skrnn._forecasting.conformal import naive_floor, pooled_half_widths, step_scale
from skrnn._forecasting.transforms import from_model, to_model
from skrnn._forecasting.variance import choose_log, guerrero_lambda
from skrnn._nn.network import Network
from skrnn._nn.params import Architecture
from skrnn._training import History, SequenceBatches, TrainConfig, TrainState, Validation, fit_epochs
from skrnn._validation import Sequences
from skrnn.datasets import load_airline

FAST = {"hidden_size": 4, "max_iter": 4, "random_state": 0}


def multiplicative(n=96, m=12, seed=0):
    """Exponential trend times a season: the spread grows with the level."""
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return 100 * np.exp(0.03 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / m)) * np.exp(0.02 * rng.randn(n))


def additive(n=96, m=12, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return 100 + 2 * t + 10 * np.sin(2 * np.pi * t / m) + rng.randn(n)


def monthly(v):
    return pd.Series(v, index=pd.period_range("2000-01", periods=len(v), freq="M"))


# ---------------------------------------------------------------- variance
def test_guerrero_lambda_is_0_when_the_spread_is_proportional_to_the_level_and_1_when_constant():
    rng = np.random.RandomState(0)
    level = np.repeat([10.0, 20, 40, 80, 160, 320], 12)
    shape = np.tile(rng.randn(12), 6)
    assert guerrero_lambda(level * (1 + 0.1 * shape), 12) == pytest.approx(0.0, abs=0.06)
    assert guerrero_lambda(level + 3 * shape, 12) == pytest.approx(1.0, abs=0.06)
    assert guerrero_lambda(np.arange(1.0, 12), 12) == 1.0  # fewer than two blocks: no transform


def test_log_is_chosen_on_a_multiplicative_series_and_not_on_additive_or_non_positive_ones():
    assert choose_log([multiplicative()], 12)
    assert not choose_log([additive()], 12)
    assert not choose_log([multiplicative() - multiplicative().min()], 12)  # a zero
    assert not choose_log([multiplicative() - 1000], 12)
    f = RNNForecaster(n_estimators=1, **FAST).fit(monthly(multiplicative()))
    assert f._scaling.log
    for v in (additive(), multiplicative() - 1000):
        assert not RNNForecaster(n_estimators=1, **FAST).fit(monthly(v))._scaling.log


def test_the_variance_transform_round_trips():
    v = multiplicative()
    np.testing.assert_allclose(from_model(to_model(v, True), True), v, rtol=1e-12)
    np.testing.assert_array_equal(from_model(to_model(v, False), False), v)


# ------------------------------------------------------------------ sizing
def test_acf_and_the_seasonality_test():
    rng = np.random.RandomState(0)
    x = rng.randn(50)
    d = x - x.mean()
    for k in (1, 5, 12):
        assert sizing.acf(x, 12)[k] == pytest.approx(sum(d[i] * d[i - k] for i in range(k, 50)) / sum(d * d))
    assert sizing.seasonality_test(np.sin(2 * np.pi * np.arange(60) / 12), 12)
    assert not sizing.seasonality_test(rng.randn(120), 12)
    assert not sizing.seasonality_test(np.sin(2 * np.pi * np.arange(30) / 12), 12)  # fewer than 3 seasons
    assert not sizing.seasonality_test(rng.randn(120), 1)


def test_seasonal_naive_ratio_and_smooth_cycles_over_few_seasons():
    rng = np.random.RandomState(0)
    assert sizing.seasonal_naive_ratio(rng.randn(2000), 12) == pytest.approx(1.0, abs=0.05)
    assert sizing.seasonal_naive_ratio(np.cumsum(rng.randn(2000)), 12) > 1.2  # a random walk: naive wins
    day = np.maximum(0, np.sin(2 * np.pi * (np.arange(4 * 48) - 12) / 48))  # 4 days of half-hourly daylight
    noisy = day * np.repeat([1.0, 0.4, 0.9, 0.5], 48) * (1 + 0.3 * rng.rand(4 * 48))  # sunny and cloudy days
    assert sizing.seasonal_naive_ratio(day, 48) == pytest.approx(0, abs=1e-12)
    assert sizing.seasonal_naive_ratio(noisy, 48) < 0.75
    r = sizing.acf(noisy, 48)  # the M4 test alone misses it: every lag of a smooth cycle correlates
    assert abs(r[48]) < 1.645 * np.sqrt((1 + 2 * np.sum(r[1:48] ** 2)) / len(noisy))
    assert sizing.seasonality_test(noisy, 48)
    assert not sizing.seasonality_test(np.cumsum(rng.randn(192)), 48)


def test_window_lengths_output_length_and_last_block():
    assert sizing.window_lengths(12, True, 18, 144) == ([15, 24, 36], 18)
    assert sizing.window_lengths(12, False, 6, 144) == ([8, 12, 18], 6)  # 1.25, 2, 3 horizons
    Ls, Hc = sizing.window_lengths(12, True, 12, 36)  # short: windows capped, outputs halved
    assert 36 - max(Ls) - Hc + 1 >= 16 or max(Ls) == 3
    assert sizing.output_length(12, 40, 10) == 12  # 40 - 10 - 12 + 1 = 19 windows >= 16
    assert sizing.output_length(12, 30, 10) == 3  # 9, then 15 windows: halved twice, 18 at Hc = 3
    assert sizing.calibration_block(144, 12, 15, 12) == 12
    b = sizing.calibration_block(36, 12, 5, 3)
    assert b * (b + 1) // 2 >= 9 and 36 - b - 5 - 3 + 1 >= 4  # enough residuals for 0.9, 4 windows left


def test_series_scale_is_the_mean_absolute_difference():
    assert sizing.series_scale([1.0, 3.0, 2.0, 6.0]) == pytest.approx((2 + 1 + 4) / 3)
    assert sizing.series_scale([5.0, 5.0, 5.0]) == pytest.approx(5e-3)


# -------------------------------------------------------------------- mimo
@pytest.mark.parametrize("normalize", ["mean", "last", "none"])
def test_training_windows_are_normalised_windows(normalize):
    u = np.arange(10.0) ** 1.5
    X, Y, org = mimo.training_windows(u, 4, 2, 2.0, normalize)
    assert X.shape == (5, 4) and Y.shape == (5, 2) and list(org) == [3, 4, 5, 6, 7]
    for j, t in enumerate(org):
        w = u[t - 3:t + 1]
        lev = {"mean": w.mean(), "last": w[-1], "none": 0.0}[normalize]
        np.testing.assert_allclose(X[j], (w - lev) / 2.0)
        np.testing.assert_allclose(Y[j], (u[t + 1:t + 3] - lev) / 2.0)


def test_a_network_that_outputs_zero_forecasts_the_window_level():
    U = np.array([[1.0, 2, 3, 10], [4, 4, 4, 4]])

    def zero(X):
        return np.zeros((len(X), 2))

    np.testing.assert_allclose(mimo.forecast_blocks(zero, U, 3, 2, 5, 1.0, "last"), [[10] * 5, [4] * 5])
    F = mimo.forecast_blocks(zero, U, 3, 2, 4, 1.0, "mean")
    assert F[0, 0] == pytest.approx(5.0) and F[0, 2] == pytest.approx(np.mean([10, 5, 5]))


def test_season_windows_read_targets_against_the_last_season():
    u = np.arange(12.0) ** 1.5
    X, Y, org = mimo.training_windows(u, 4, 5, 2.0, "season", m=3)
    for j, t in enumerate(org):
        w = u[t - 3:t + 1]
        np.testing.assert_allclose(X[j], (w - w[-1]) / 2.0)  # inputs: minus the last value
        snaive = [u[t - 2], u[t - 1], u[t], u[t - 2], u[t - 1]]  # the last season, repeated
        np.testing.assert_allclose(Y[j], (u[t + 1:t + 6] - snaive) / 2.0)


def test_a_season_network_that_outputs_zero_forecasts_seasonal_naive():
    U = np.array([[9.0, 1, 2, 3], [5, 4, 4, 7]])

    def zero(X):
        return np.zeros((len(X), 2))

    np.testing.assert_allclose(mimo.forecast_blocks(zero, U, 4, 2, 7, 1.0, "season", m=3),
                               [[1, 2, 3, 1, 2, 3, 1], [4, 4, 7, 4, 4, 7, 4]])
    with pytest.raises(ValueError, match="no longer than the window"):
        mimo.training_windows(np.arange(10.0), 2, 2, 1.0, "season", m=3)


def test_drift_windows_read_targets_against_the_random_walk_with_drift():
    u = np.arange(12.0) ** 1.5
    X, Y, org = mimo.training_windows(u, 4, 3, 2.0, "drift")
    for j, t in enumerate(org):
        w = u[t - 3:t + 1]
        np.testing.assert_allclose(X[j], (w - w[-1]) / 2.0)  # inputs: minus the last value
        slope = (w[-1] - w[0]) / 3
        np.testing.assert_allclose(Y[j], (u[t + 1:t + 4] - (w[-1] + slope * np.arange(1, 4))) / 2.0)


def test_a_drift_network_that_outputs_zero_continues_the_trend_through_the_season():
    def zero(X):
        return np.zeros((len(X), 2))

    line = 3.0 + 0.5 * np.arange(8.0)
    np.testing.assert_allclose(mimo.forecast_blocks(zero, line[None], 5, 2, 5, 1.0, "drift"),
                               [3.0 + 0.5 * np.arange(8, 13)])
    # a seasonal window of two whole seasons: the slope compares the seasons' means, so the pattern cancels
    seasonal = line + np.tile([2.0, -1.0, -1.0, 0.0], 2)
    np.testing.assert_allclose(mimo.window_slope(seasonal[None], m=4), [0.5])
    assert mimo.window_slope(seasonal[None], m=1) != pytest.approx(0.5)
    np.testing.assert_allclose(mimo.window_slope(np.ones((2, 1))), [0.0, 0.0])  # a one-step window: no drift


def test_step_errors_pair_each_forecast_with_its_target():
    truth = np.arange(10.0)
    F = np.array([[5.5, 6.0, 7.0], [8.0, 9.5, 0.0]])
    e = mimo.step_errors(truth, F, np.array([4, 7]), 3)
    np.testing.assert_allclose(e[0], [0.5, 0.0])
    np.testing.assert_allclose(e[1], [0.0, 0.5])
    np.testing.assert_allclose(e[2], [0.0])  # the second origin's third target is past the end


# --------------------------------------------------------------- intervals
def test_step_scale_recovers_a_power_law_and_never_decreases():
    k = np.arange(1, 9)
    errors = [np.full(20, 2.0 * kk**0.7) for kk in k]
    np.testing.assert_allclose(step_scale(errors, 8), 2.0 * k**0.7, rtol=1e-9)
    flat = [np.full(20, 1.0) for _ in k]  # no growth: clipped to sqrt(k)
    s = step_scale(flat, 8)
    np.testing.assert_allclose(s / s[0], k**0.5, rtol=1e-9)
    shrinking = [np.full(20, 10.0 / kk) for kk in k]
    assert (np.diff(step_scale(shrinking, 20)) > 0).all()


def test_pooled_half_widths_are_the_larger_of_the_conformal_and_the_normal_theory_quantile():
    rng = np.random.RandomState(0)
    errors = [np.sort(np.abs(rng.standard_t(2, 30 - 2 * k)) * np.sqrt(k + 1)) for k in range(6)]
    s = step_scale(errors, 10)
    pooled = np.sort(np.concatenate([e / s[k] for k, e in enumerate(errors)]))
    conformal = pooled[int(np.ceil((len(pooled) + 1) * 0.9)) - 1]
    rms = np.sqrt(np.mean(pooled**2))
    for origins in (3, 30, 10_000):
        t = scipy.stats.t.ppf(0.95, origins) * np.sqrt(1 + 1 / origins) * rms
        w = pooled_half_widths(errors, 0.9, 10, origins)
        np.testing.assert_allclose(w, max(conformal, t) * s)
        assert (np.diff(w) >= 0).all() and len(w) == 10
    assert pooled_half_widths(errors, 0.9, 10, 3)[0] > pooled_half_widths(errors, 0.9, 10, 10_000)[0]
    # 15% of large errors: the 0.9 quantile is one, past the normal theory's 1.645 rms (0.64)
    spiky = [np.sort(np.r_[np.zeros(85), np.ones(15)])]
    np.testing.assert_allclose(pooled_half_widths(spiky, 0.9, 1, 10_000), [1.0])


def test_too_few_residuals_for_the_level_warn():
    with pytest.warns(UserWarning, match="needs at least 9 calibration residuals.*gives 5"):
        w = pooled_half_widths([np.array([1.0, 2, 3]), np.array([1.0, 4])], 0.9, 3, 3)
    assert np.isfinite(w).all() and w[0] > 4  # the t quantile of 3 origins reaches past the largest residual
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pooled_half_widths([np.arange(1.0, 10)], 0.9, 3, 9)  # 9 residuals suffice


def test_naive_floor_is_three_quarters_of_the_seasonal_naive_error_quantile_over_the_recent_history():
    rng = np.random.RandomState(1)
    U = [np.cumsum(rng.randn(80)) + np.tile([0.0, 3, -1, 2], 20), np.cumsum(rng.randn(50))]
    scales = [2.0, 0.5]
    got = naive_floor(U, 4, 10, 0.9, scales)
    want = []
    for k in range(1, 11):  # every origin t of the history and its seasonal naive forecast, by a plain loop
        lag = 4 * ((k - 1) // 4 + 1)
        e = [abs(u[t + k] - u[t + k - lag]) / sc for u, sc in zip(U, scales, strict=True)
             for t in range(max(lag, len(u) - 2 * len(u) // 3) - k, len(u) - k)]  # targets in the last 2/3
        want.append(0.75 * np.quantile(e, 0.9))
    np.testing.assert_allclose(got, np.maximum.accumulate(want))
    assert naive_floor([np.arange(5.0)], 1, 8, 0.9, [1.0])[-1] == 0.75 * 4  # steps past the history: flat


def test_short_series_intervals_are_at_least_three_quarters_of_the_seasonal_naive_spread():
    y = pd.Series(load_airline().to_numpy()[:36], index=pd.period_range("1949-01", periods=36, freq="M"))
    f = RNNForecaster(horizon=6, n_estimators=2, max_iter=20, random_state=0).fit(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = f.forecast(12, interval=0.9)
    u = np.log(y.to_numpy()) if f._scaling.log else y.to_numpy()
    up, mean = fc["upper"].to_numpy(), fc["forecast"].to_numpy()
    half = np.log(up / mean) if f._scaling.log else up - mean
    floor = 0.75 * np.quantile(np.abs(u[12:] - u[:-12])[-24:], 0.9) / f._scaling.sd[0]
    assert (half / f._scaling.sd[0] >= floor - 1e-9).all()
    assert (np.diff(half) >= -1e-9).all()


# ------------------------------------------------------------- the training loop
def test_fit_epochs_follows_a_given_validation_loss_and_restores_its_best_epoch():
    arch = Architecture(cell="gru", n_features=1, hidden_size=3, n_outputs=1, num_layers=1, bidirectional=False,
                        activation="tanh")
    net = Network(arch, "identity")
    rng = np.random.RandomState(0)
    flat = net.initialize(rng, np.float64)
    X = rng.randn(20, 5, 1)
    seqs = Sequences(X, np.full(20, 5), "3d")
    batches = SequenceBatches(seqs, X[:, -1], np.ones(20), False, 8, np.float64)
    seen = []

    def loss(p):  # lowest at the third epoch
        seen.append(p.copy())
        return [3.0, 2.0, 1.0, 5.0, 6.0, 7.0, 8.0][len(seen) - 1]

    from skrnn._nn.optim import Adam
    state = TrainState(Adam(flat.size, np.float64, 0.01), rng,
                       History(validation_loss_curve=[], validation_scores=[], best_validation_score=-np.inf))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fixed_epochs: no ConvergenceWarning
        fit_epochs(net, flat, batches, TrainConfig(max_iter=7, tol=0.0, n_iter_no_change=2, fixed_epochs=True),
                   state, Validation(None, lambda p: 0.0, loss))
    assert state.history.n_iter == 6  # three epochs without improvement after the best
    np.testing.assert_array_equal(flat, seen[2])


def test_folding_the_standardisation_into_the_weights_is_exact():
    arch = Architecture(cell="gru", n_features=1, hidden_size=5, n_outputs=3, num_layers=2, bidirectional=True,
                        activation="tanh")
    net = Network(arch, "identity")
    flat = net.initialize(np.random.RandomState(0), np.float64)
    X = np.random.RandomState(1).randn(7, 6)
    y_mu, y_sd = np.array([1.0, -2, 3]), np.array([0.5, 2, 4])
    from skrnn._forecasting.windows import network_outputs
    before = network_outputs(net, flat, ((X - 0.3) / 1.7)[:, :, None]) * y_sd + y_mu
    ensemble._fold(net, flat, 0.3, 1.7, y_mu, y_sd)
    np.testing.assert_allclose(network_outputs(net, flat, X[:, :, None]), before, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------- the forecaster
@pytest.fixture(scope="module")
def airline():
    from skrnn.datasets import load_airline

    return load_airline()


def test_defaults_are_the_recipe():
    f = RNNForecaster()
    assert (f.strategy, f.n_estimators, f.normalize, f.log, f.window) == ("mimo", 20, "mix", "auto", "auto")


def test_members_mix_seeds_windows_and_normalisations(airline):
    f = RNNForecaster(horizon=12, **FAST).fit(airline)
    assert len(f._members) == 20 and {L for L, _ in f._members} == {15, 24, 36}
    # airline is seasonal: the members cycle through the three normalisations in blocks of the 3 lengths
    assert [n for _, n in f._members] == (["mean"] * 3 + ["last"] * 3 + ["season"] * 3) * 2 + ["mean"] * 2
    assert [L for L, _ in f._members] == [15, 24, 36] * 6 + [15, 24]
    assert f._flat.size == 20 * Network(f._arch, "identity").layout.size
    one = RNNForecaster(horizon=12, n_estimators=1, **FAST).fit(airline)
    assert len(one._members) == 1 and one._flat.size * 20 == f._flat.size
    assert one.forecast(12).shape == (12,)


def test_mix_takes_drift_for_season_on_a_non_seasonal_series_and_explicit_season_says_why():
    y = pd.Series(np.cumsum(np.random.default_rng(0).standard_normal(80)) + 50)
    f = RNNForecaster(horizon=4, seasonal_period=1, **FAST).fit(y)
    assert {n for _, n in f._members} == {"mean", "last", "drift"}
    assert np.all(np.isfinite(f.forecast(8, interval=0.8).to_numpy()))
    with pytest.raises(ValueError, match="normalize='season' reads each window's last season"):
        RNNForecaster(horizon=4, seasonal_period=1, normalize="season", **FAST).fit(y)


def test_the_longest_window_is_sized_for_the_series_without_its_last_block():
    # 4 seasons of 48, a 2-season horizon: the windows sized on the whole series do not fit once the last
    # block is held out; they are sized again for what is left instead of refusing the series
    rng = np.random.RandomState(0)
    y = np.maximum(0, np.sin(2 * np.pi * (np.arange(193) - 12) / 48)) * (1 + 0.3 * rng.rand(193))

    class Defaults:
        horizon, window, calibration_size = 96, "auto", "auto"

    Ls, Hc, block, seasonal = ensemble.sizes(Defaults, [y], 48)
    assert seasonal and min(Ls) >= 48 and 193 - block - max(Ls) - Hc + 1 >= 16
    f = RNNForecaster(horizon=96, seasonal_period=48, n_estimators=3, **FAST).fit(y)
    assert [n for _, n in f._members] == ["mean", "last", "season"]
    assert np.all(np.isfinite(f.forecast(96).to_numpy()))


def test_the_forecast_is_the_median_of_the_members(airline):
    f = RNNForecaster(horizon=6, n_estimators=4, **FAST).fit(airline)
    U = np.log(airline.to_numpy()[None, -f.window_:])
    members = np.exp(ensemble.member_forecasts(f, U, np.array([0]), 9)[:, 0])
    np.testing.assert_allclose(f.forecast(9).to_numpy(), np.exp(np.median(np.log(members), axis=0)))
    assert not np.allclose(members[0], members[1])  # the members differ


def test_a_random_state_gives_the_same_forecast(airline):
    a = RNNForecaster(horizon=6, n_estimators=3, **FAST).fit(airline).forecast(6, interval=0.9)
    b = RNNForecaster(horizon=6, n_estimators=3, **FAST).fit(airline).forecast(6, interval=0.9)
    pd.testing.assert_frame_equal(a, b)
    c = RNNForecaster(horizon=6, n_estimators=3, **{**FAST, "random_state": 1}).fit(airline).forecast(6)
    assert not np.allclose(a.forecast, c)


@pytest.mark.parametrize("log", [False, True])
def test_interval_widths_do_not_shrink_with_the_horizon(airline, log):
    f = RNNForecaster(horizon=12, n_estimators=2, log=log, **FAST).fit(airline)
    fc = f.forecast(36, interval=0.9)
    lower, upper = to_model(fc["lower"].to_numpy(), log), to_model(fc["upper"].to_numpy(), log)
    assert (np.diff(upper - lower) >= -1e-9).all()  # in the model space: relative widths with log=True
    assert (fc["lower"] < fc["forecast"]).all() and (fc["forecast"] < fc["upper"]).all()


def test_an_explicit_window_and_old_behaviour_are_reachable(airline):
    f = RNNForecaster(window=20, horizon=6, n_estimators=2, **FAST).fit(airline)
    assert f.window_ == 20 and {L for L, _ in f._members} == {20}
    old = RNNForecaster(strategy="recursive", log=False, window=18, **FAST).fit(airline)
    assert old.window_ == 18 and getattr(old, "_members", None) is None and not old._scaling.log
    assert old.forecast(3).shape == (3,)
