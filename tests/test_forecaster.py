"""RNNForecaster: series face (index handling, forecasts, intervals, backtests,
GridSearchCV), window face and the airline data set.  Small networks and few
epochs keep each fit well under a second."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from skrnn import RNNForecaster
from skrnn.datasets import load_airline

FAST = {"hidden_size": 8, "max_iter": 15, "random_state": 0}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*maximum iterations.*")
        yield


@pytest.fixture(scope="module")
def airline():
    return load_airline()


def test_load_airline(airline):
    assert airline.name == "passengers"
    assert len(airline) == 144 and airline.sum() == 40363
    np.testing.assert_array_equal(airline[:12], [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118])
    np.testing.assert_array_equal(airline[-5:], [606, 508, 461, 390, 432])
    assert isinstance(airline.index, pd.DatetimeIndex) and airline.index.freqstr == "MS"
    assert airline.index[0] == pd.Timestamp("1949-01-01") and airline.index[-1] == pd.Timestamp("1960-12-01")


def test_forecast_index_and_name(airline):
    f = RNNForecaster(window=24, horizon=12, **FAST).fit(airline)
    fc = f.forecast()
    assert isinstance(fc, pd.Series) and fc.name == "passengers" and len(fc) == 12
    pd.testing.assert_index_equal(fc.index, pd.date_range("1961-01-01", periods=12, freq="MS", name="month"))
    assert np.isfinite(fc).all()
    out = f.forecast(36, interval=0.9)
    assert list(out.columns) == ["forecast", "lower", "upper"] and len(out) == 36
    assert (out.lower <= out.forecast).all() and (out.forecast <= out.upper).all()
    assert out.index[-1] == pd.Timestamp("1963-12-01")


@pytest.mark.parametrize(
    "index, expected",
    [
        (pd.period_range("2000-01", periods=40, freq="M"), pd.period_range("2003-05", periods=5, freq="M")),
        (pd.DatetimeIndex(pd.date_range("2000-01-31", periods=40, freq="ME").tolist()),  # freq not set: inferred
         pd.date_range("2003-05-31", periods=5, freq="ME")),
        (pd.date_range("2000-01-03", periods=40, freq="D"), pd.date_range("2000-02-12", periods=5, freq="D")),
        (pd.RangeIndex(40), pd.RangeIndex(40, 45)),
        (pd.Index(np.arange(10, 90, 2)), pd.RangeIndex(90, 100, 2)),
    ],
)
def test_future_index_kinds(index, expected):
    y = pd.Series(np.sin(np.arange(40) / 3) + 2, index=index, name="v")
    fc = RNNForecaster(window=8, horizon=3, **FAST).fit(y).forecast(5)
    pd.testing.assert_index_equal(fc.index, expected, exact=False)
    assert fc.index.dtype == expected.dtype and fc.name == "v"
    if isinstance(expected, pd.DatetimeIndex):
        assert fc.index.freq == expected.freq


def test_numpy_series_and_dataframe_and_list():
    rng = np.random.RandomState(0)
    a = np.cumsum(rng.normal(size=60)) + 10
    fc = RNNForecaster(window=10, horizon=2, **FAST).fit(a).forecast(4)
    pd.testing.assert_index_equal(fc.index, pd.RangeIndex(60, 64))
    df = pd.DataFrame({"a": a, "b": a[::-1].copy()}, index=pd.period_range("2001-01", periods=60, freq="M"))
    f = RNNForecaster(window=10, horizon=2, **FAST).fit(df)
    out = f.forecast(3)
    assert list(out.columns) == ["a", "b"] and out.index[0] == pd.Period("2006-01", "M")
    both = f.forecast(3, interval=0.8)
    assert both.columns.tolist() == [(c, k) for c in "ab" for k in ("forecast", "lower", "upper")]
    lst = RNNForecaster(window=10, **FAST).fit([df.a, df.b[:50]]).forecast(2)
    assert isinstance(lst, list) and lst[1].index[0] == pd.Period("2005-03", "M")


@pytest.mark.parametrize("strategy", ["recursive", "direct", "seq2seq"])
@pytest.mark.parametrize("differencing", ["none", "first", "seasonal"])
def test_depends_only_on_last_window(airline, strategy, differencing):
    W = 16
    f = RNNForecaster(window=W, horizon=5, strategy=strategy, differencing=differencing, **FAST).fit(airline)
    base = f.forecast(7).to_numpy()  # 7: not a multiple of the horizon
    y2 = airline.copy()
    y2.iloc[: len(y2) - W] = 1.0  # everything before the window
    f._series.values[0] = y2.to_numpy()
    np.testing.assert_allclose(f.forecast(7).to_numpy(), base, rtol=1e-12)
    y3 = airline.copy()
    y3.iloc[-1] += 50.0  # the last observation is used
    f._series.values[0] = y3.to_numpy()
    assert np.abs(f.forecast(7).to_numpy() - base).max() > 1e-6
    # predict on raw windows is the same computation
    np.testing.assert_allclose(f.predict(airline.to_numpy()[-W:][None])[0], base[:5], rtol=1e-12)


def test_errors(airline):
    f = RNNForecaster(window=12, **FAST)
    y = airline.copy()
    y.iloc[50] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        f.fit(y)
    with pytest.raises(ValueError, match="gaps|regular"):
        f.fit(airline.drop(airline.index[40]))
    irregular = pd.Series(np.arange(5.0), index=pd.to_datetime(["2000-01-01", "2000-01-02", "2000-01-05",
                                                                  "2000-01-06", "2000-01-20"]))
    with pytest.raises(ValueError, match="no regular frequency"):
        f.fit(irregular)
    with pytest.raises(ValueError, match="not evenly spaced"):
        f.fit(pd.Series(np.arange(30.0), index=np.r_[0:10, 11:31]))
    with pytest.raises(ValueError, match="window=200 is too long"):
        RNNForecaster(window=200).fit(airline)
    with pytest.raises(ValueError, match="must exceed the differencing lag"):
        RNNForecaster(window=12, differencing="seasonal", strategy="recursive").fit(airline)
    fitted = RNNForecaster(window=12, **FAST).fit(airline[:60])
    with pytest.raises(ValueError, match="fitted without future-known covariates"):
        fitted.forecast(3, X_future=np.zeros((3, 1)))
    with pytest.raises(ValueError, match="must start at"):
        fitted.score(airline[70:82])
    with pytest.raises(ValueError, match="requires y to be passed"):
        RNNForecaster().fit(np.zeros((20, 3)))
    with pytest.raises(ValueError, match="window face|series face"):
        RNNForecaster(**FAST).fit(np.zeros((20, 5)), np.zeros(20)).forecast()


def test_score_is_negative_mase_of_next_block(airline):
    train, test = airline[:120], airline[120:132]
    f = RNNForecaster(window=24, **FAST).fit(train)
    fc = f.forecast(12).to_numpy()
    v = train.to_numpy()
    scale = np.mean(np.abs(v[12:] - v[:-12]))
    assert f.score(test) == pytest.approx(-np.mean(np.abs(test.to_numpy() - fc)) / scale)
    assert f.score(test.to_numpy()) == pytest.approx(f.score(test))  # arrays: the rule is assumed, not checked


def test_gridsearch_timeseriessplit(airline):
    grid = {"window": [13, 24], "hidden_size": [4, 8]}
    search = GridSearchCV(RNNForecaster(max_iter=10, random_state=0), grid, cv=TimeSeriesSplit(3, test_size=12))
    search.fit(airline)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert (search.cv_results_["mean_test_score"] < 0).all()
    assert search.best_estimator_.forecast(2).index[0] == pd.Timestamp("1961-01-01")
    # the plain TimeSeriesSplit(5) of the issue: first fold trains on 24 months, so a window of 13 still fits
    GridSearchCV(RNNForecaster(window=13, max_iter=5, hidden_size=4, random_state=0), {"alpha": [1e-4]},
                 cv=TimeSeriesSplit(5)).fit(airline)


def test_historical_forecasts_and_coverage(airline):
    f = RNNForecaster(window=24, horizon=6, **FAST).fit(airline[:120])
    bt = f.historical_forecasts(airline, steps=6, interval=0.9)
    assert list(bt.columns) == ["series", "origin", "step", "time", "actual", "forecast", "lower", "upper"]
    assert len(bt) == 25 * 6 and bt.origin.iloc[0] == pd.Timestamp("1958-12-01")
    assert bt.time.iloc[0] == pd.Timestamp("1959-01-01") and bt.actual.iloc[0] == airline.iloc[120]
    assert bt.actual.isna().sum() == 6 + 5 + 4 + 3 + 2 + 1  # steps past the end of the series
    first = bt[bt.origin == bt.origin.iloc[0]].forecast.to_numpy()
    np.testing.assert_allclose(first, f.forecast(6).to_numpy())  # origin = end of training: same as forecast
    inside = bt.dropna()
    coverage = np.mean((inside.actual >= inside.lower) & (inside.actual <= inside.upper))
    assert coverage > 0.5


def test_window_face():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6))
    f = RNNForecaster(horizon=3, **FAST).fit(X, X[:, :3])
    assert f.predict(X).shape == (40, 3)
    assert f.__sklearn_tags__().target_tags.multi_output
    assert not RNNForecaster().__sklearn_tags__().target_tags.multi_output
    with pytest.raises(ValueError, match="horizon=3"):
        RNNForecaster(horizon=3, **FAST).fit(X, X[:, 0])
    assert np.isfinite(f.score(X, X[:, :3]))
    # the window face's history length is X's width (6 here, window=18 is the series face's); predict keeps it
    assert f.n_features_in_ == 6
    with pytest.raises(ValueError, match="expecting 6 features"):
        f.predict(X[:, :5])
    with pytest.raises(ValueError, match="expecting 6 features"):
        f.predict(np.hstack([X, X]))


def _promo_frame(n=200):
    rng = np.random.RandomState(0)
    promo = (rng.rand(n) < 0.2).astype(float)
    sales = 10 + np.sin(np.arange(n) * 2 * np.pi / 7) + 3 * promo + 0.1 * rng.randn(n)
    return pd.DataFrame({"sales": sales, "promo": promo}, index=pd.date_range("2000-01-03", periods=n, freq="D"))


def test_future_known_covariates():
    df = _promo_frame()
    train, test = df[:170], df[170:]
    params = {"window": 14, "horizon": 7, "max_iter": 60, "random_state": 0, "strategy": "recursive"}
    with_cov = RNNForecaster(**params).fit(train.sales, future_covariates=train[["promo"]])
    without = RNNForecaster(**params).fit(train.sales)
    assert with_cov.score(test) > without.score(test.sales)  # the promotions are learnt
    fc = with_cov.forecast(10, X_future=test[["promo"]])
    assert isinstance(fc, pd.Series) and fc.name == "sales" and fc.index[0] == test.index[0]
    promo_effect = fc.to_numpy() - with_cov.forecast(10, X_future=test[["promo"]] * 0).to_numpy()
    assert promo_effect[test.promo.to_numpy()[:10] > 0].mean() > 1.0
    np.testing.assert_allclose(with_cov.forecast(10, X_future=test.promo.to_numpy()), fc)  # arrays: by position
    with pytest.raises(ValueError, match="pass their future values as X_future"):
        with_cov.forecast(10)
    with pytest.raises(ValueError, match="must start at"):
        with_cov.forecast(3, X_future=test[["promo"]][1:])
    with pytest.raises(ValueError, match="at least 10 steps"):
        with_cov.forecast(10, X_future=test[["promo"]][:5])
    with pytest.raises(ValueError, match=r"lacks the future-known covariate columns \['promo'\]"):
        with_cov.forecast(3, X_future=test[["sales"]])
    with pytest.raises(ValueError, match="1 future-known covariates"):
        with_cov.forecast(3, X_future=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="without future-known covariates"):
        without.forecast(3, X_future=test[["promo"]])
    bt = with_cov.historical_forecasts(df.sales, steps=7, interval=0.9, future_covariates=df[["promo"]])
    assert bt.forecast.isna().sum() == 7 * 8 // 2  # past the end of df the covariates are unknown
    with pytest.raises(ValueError, match="pass them for this series as future_covariates"):
        with_cov.historical_forecasts(df.sales)
    with pytest.raises(ValueError, match="recursive"):
        RNNForecaster(**{**params, "strategy": "direct"}).fit(train.sales, future_covariates=train[["promo"]])
    with pytest.raises(ValueError, match="one row per observation"):
        RNNForecaster(**params).fit(train.sales, future_covariates=train[["promo"]][1:])
    with pytest.raises(ValueError, match="window face"):
        RNNForecaster(**FAST).fit(np.zeros((9, 4)), np.zeros(9), future_covariates=np.zeros((9, 1)))
    with pytest.raises(ValueError, match="strategy='mimo' reads the target series only.*'recursive'"):
        RNNForecaster(window=14, horizon=7).fit(train.sales, future_covariates=train[["promo"]])
    # plain sklearn tuning: the fit parameter is split with X, each scored block holds the covariates
    search = GridSearchCV(RNNForecaster(target="sales", window=14, strategy="recursive", max_iter=5, hidden_size=4,
                                        random_state=0),
                          {"alpha": [1e-4]}, cv=TimeSeriesSplit(2, test_size=7))
    search.fit(df, future_covariates=df[["promo"]])
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_._series.cov is None  # promo is not also a past covariate


def _leading_frame(n=200, lead=3):
    rng = np.random.RandomState(0)
    x = np.cumsum(rng.randn(n))
    y = np.r_[np.zeros(lead), x[:-lead]] + 0.05 * rng.randn(n)
    return pd.DataFrame({"y": y, "x": x}, index=pd.date_range("2000-01-03", periods=n, freq="D"))


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
def test_past_covariates(strategy):
    """The non-target columns are past covariates: read over the window, never needed at forecast time. Here
    x leads y by 3 steps, so the first 3 steps of y are predictable from x."""
    df = _leading_frame()
    train, test = df[:170], df[170:173]
    params = {"window": 14, "horizon": 3, "max_iter": 60, "random_state": 0, "strategy": strategy}
    f = RNNForecaster(target="y", **params).fit(train)
    assert f.score(test) > RNNForecaster(**params).fit(train.y).score(test.y)  # the lead is learnt
    fc = f.forecast(3)  # no X_future
    assert isinstance(fc, pd.Series) and fc.name == "y" and fc.index[0] == test.index[0]
    with pytest.raises(ValueError, match="without future-known covariates"):
        f.forecast(3, X_future=test[["x"]])
    # only the window matters, the covariates' included: changing x before the window changes nothing
    base = f.forecast(3, interval=0.9)
    x = f._series.cov.values[0].copy()
    x[: len(x) - 14] = 0.0
    f._series.cov.values[0] = x
    pd.testing.assert_frame_equal(f.forecast(3, interval=0.9), base)
    x[-1] += 5.0
    assert np.abs(f.forecast(3).to_numpy() - base["forecast"].to_numpy()).max() > 1e-6
    bt = f.historical_forecasts(df, steps=3)
    assert len(bt) == 31 * 3 and np.isfinite(bt.forecast).all()
    with pytest.raises(ValueError, match="past covariate columns"):
        f.historical_forecasts(df[["y"]])
    if strategy == "recursive":  # the covariates are forecast too, so any number of steps
        assert len(f.forecast(10)) == 10
    else:
        with pytest.raises(ValueError, match="at most horizon=3 steps"):
            f.forecast(10)


def test_gridsearch_on_dataframe_and_pickle(airline):

    df = pd.DataFrame({"a": airline.to_numpy(), "b": airline.to_numpy()[::-1].copy()},
                      index=airline.index.to_period("M"))
    search = GridSearchCV(RNNForecaster(window=13, max_iter=5, hidden_size=4, random_state=0), {"alpha": [1e-4, 1e-2]},
                          cv=TimeSeriesSplit(2, test_size=12)).fit(df)
    best = search.best_estimator_
    restored = pickle.loads(pickle.dumps(best))
    pd.testing.assert_frame_equal(restored.forecast(3), best.forecast(3))
    assert restored.forecast(3).index[0] == pd.Period("1961-01", "M")


def test_seq2seq_forecaster(airline):
    f = RNNForecaster(window=24, horizon=6, strategy="seq2seq", **FAST).fit(airline[:120])
    assert f.predict(airline.to_numpy()[None, -24:]).shape == (1, 6)
    out = f.forecast(8, interval=0.9)
    assert len(out) == 8 and np.isfinite(out.to_numpy()).all()
    with pytest.raises(ValueError, match="bidirectional=False"):
        RNNForecaster(strategy="seq2seq", bidirectional=True, **FAST).fit(airline)
    restored = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(restored.forecast(8).to_numpy(), out["forecast"].to_numpy())
    # early stopping (validation objective and score through the encoder-decoder) and encoder dropout
    g = RNNForecaster(window=24, horizon=6, strategy="seq2seq", early_stopping=True, dropout=0.2, num_layers=2,
                      **FAST).fit(airline)
    assert len(g.validation_scores_) == g.n_iter_ and np.isfinite(g.forecast(6).to_numpy()).all()


@pytest.mark.parametrize("differencing", ["none", "first", "seasonal"])
def test_recursive_forecast_is_one_step_forecasts_fed_back(airline, differencing):
    """The recursive strategy (stepped by skrnn._nn.rollout.rollout) equals one-step forecasts of raw windows,
    each appended to the history before the next."""
    W = 20
    f = RNNForecaster(window=W, differencing=differencing, strategy="recursive", **FAST).fit(airline[:-12])
    history = list(airline.to_numpy()[-12 - W:-12].astype(float))
    for _ in range(9):
        history.append(f.predict(np.array(history[-W:])[None])[0])
    np.testing.assert_allclose(f.forecast(9).to_numpy(), history[W:], rtol=1e-12)


def test_default_fit_converges_without_warning(airline):
    """The default tol stops training before max_iter on airline: no ConvergenceWarning in the default path."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        f = RNNForecaster(random_state=0).fit(airline)
    assert f.n_iter_ < f.max_iter


def test_seq2seq_forecaster_exposes_its_weights(airline):
    f = RNNForecaster(window=24, horizon=6, strategy="seq2seq", **FAST).fit(airline)
    sd = f.get_state_dict()
    assert any(k.startswith("encoder.") for k in sd) and any(k.startswith("decoder.") for k in sd)
    f.set_state_dict(sd)
    assert set(f.weights_) == set(sd)


def test_a_pickle_of_the_earlier_series_layout_fails_clearly(airline):
    f = RNNForecaster(window=16, **FAST).fit(airline)
    state = f.__getstate__()
    del state["_scaling"]  # what a series-face pickle of the earlier layout lacks
    state.update(_mu=np.zeros(1), _sd=np.ones(1))
    with pytest.raises(ValueError, match="earlier skrnn.*Refit"):
        RNNForecaster().__setstate__(state)


def _panel(airline):
    return pd.concat([pd.DataFrame({"unique_id": k, "ds": airline.index, "y": airline.to_numpy() * f})
                      for k, f in [("a", 1.0), ("b", 0.5), ("c", 2.0)]], ignore_index=True)


def test_long_format_panel_fits_one_global_model_and_forecasts_in_long_format(airline):
    long = _panel(airline).sample(frac=1.0, random_state=0)  # any row order
    f = RNNForecaster(window=16, **FAST).fit(long)
    assert f.n_series_ == 3
    fc = f.forecast(4)
    assert list(fc.columns) == ["unique_id", "ds", "forecast"] and len(fc) == 12
    assert list(fc.unique_id.unique()) == ["a", "b", "c"] or set(fc.unique_id) == {"a", "b", "c"}
    assert (fc.groupby("unique_id").ds.min() == pd.Timestamp("1961-01-01")).all()
    out = f.forecast(4, interval=0.9)
    assert list(out.columns) == ["unique_id", "ds", "forecast", "lower", "upper"]
    assert (out.lower <= out.forecast).all() and (out.forecast <= out.upper).all()
    # the same model as a list of the same series in the same order
    series = [g.set_index("ds").y.rename(k).asfreq("MS") for k, g in long.sort_values("ds").groupby("unique_id",
                                                                                                     sort=False)]
    g = RNNForecaster(window=16, **FAST).fit(series)
    for k, s in zip([s.name for s in series], g.forecast(4), strict=True):
        np.testing.assert_allclose(fc[fc.unique_id == k].forecast.to_numpy(), s.to_numpy(), rtol=1e-12)


def test_other_panel_forms_and_names(airline):
    long = _panel(airline).rename(columns={"unique_id": "store", "ds": "month", "y": "sales"})
    f = RNNForecaster(window=16, id_col="store", time_col="month", target="sales", **FAST).fit(long)
    assert list(f.forecast(2).columns) == ["store", "month", "forecast"]
    mi = _panel(airline).set_index(["unique_id", "ds"])
    out = RNNForecaster(window=16, **FAST).fit(mi).forecast(2)
    assert out.index.names == ["unique_id", "ds"] and list(out.columns) == ["forecast"]
    d = RNNForecaster(window=16, **FAST).fit({"a": airline, "b": airline / 2}).forecast(2)
    assert set(d) == {"a", "b"} and isinstance(d["b"], pd.Series)


def test_panel_score_and_backtest_by_id(airline):
    long = _panel(airline)
    train, test = long[long.ds < "1960-01-01"], long[long.ds >= "1960-01-01"]
    f = RNNForecaster(window=16, **FAST).fit(train)
    both = f.score(test)
    assert both == pytest.approx(np.mean([f.score(test[test.unique_id == k]) for k in "abc"]))
    bt = f.historical_forecasts(long, steps=2)
    assert set(bt.series) == {"a", "b", "c"} and bt.origin.min() == pd.Timestamp("1959-12-01")
    with pytest.raises(ValueError, match=r"\['z'\] were not in the panel"):
        f.score(test[test.unique_id == "a"].assign(unique_id="z"))


def test_panel_errors_name_the_accepted_formats(airline):
    long = _panel(airline)
    with pytest.raises(ValueError, match="non-numeric columns.*long DataFrame with columns unique_id, ds and y"):
        RNNForecaster(**FAST).fit(long.rename(columns={"unique_id": "id"}))
    with pytest.raises(ValueError, match="covariates are not supported for panels"):
        RNNForecaster(**FAST).fit(long.assign(promo=1.0))
    with pytest.raises(ValueError, match="repeated 'ds'"):
        RNNForecaster(**FAST).fit(pd.concat([long, long.iloc[:1]]))
    with pytest.raises(ValueError, match="Which column"):
        RNNForecaster(**FAST).fit(long.rename(columns={"y": "v"}).assign(w=1.0))
