"""RNNForecaster on what real users bring: frequencies whose seasonal period needs the offset's multiple
(``2h``, ``15min``) or a business calendar, and short series (a 36-month, ``load_shampoo``-like one) asked
for prediction intervals."""

import warnings

import numpy as np
import pandas as pd
import pytest

from skrnn import RNNForecaster
from skrnn._forecasting.series import check_index, seasonal_period

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("freq, period", [
    ("h", 24), ("2h", 12), ("3h", 8), ("30min", 48), ("15min", 96), ("min", 1440), ("5h", 1), ("s", 3600),
    ("D", 7), ("2D", 1), ("B", 5), ("C", 5), ("W", 52), ("W-MON", 52), ("2W", 26),
    ("MS", 12), ("ME", 12), ("BME", 12), ("BMS", 12), ("2MS", 6), ("SME", 24),
    ("QS", 4), ("QE-DEC", 4), ("BQE", 4), ("YS", 1), ("BYS", 1),
])
def test_seasonal_period_of_a_datetime_index(freq, period):
    kind, f = check_index(pd.date_range("2000-01-03", periods=12, freq=freq))
    assert seasonal_period(kind, f) == period


@pytest.mark.parametrize("freq, period", [("M", 12), ("Q", 4), ("Y", 1), ("W", 52), ("D", 7), ("h", 24),
                                          ("2h", 12), ("15min", 96)])
def test_seasonal_period_of_a_period_index(freq, period):
    kind, f = check_index(pd.period_range("2000-01-03", periods=12, freq=freq))
    assert seasonal_period(kind, f) == period


def test_an_integer_index_has_no_seasonal_period():
    assert seasonal_period(*check_index(pd.RangeIndex(0, 20, 2))) == 1


@pytest.mark.parametrize("freq, period", [("2h", 12), ("15min", 96), ("B", 5)])
def test_the_fitted_seasonal_period_follows_the_frequency(freq, period):
    y = pd.Series(np.sin(np.arange(300) / 5), index=pd.date_range("2020-01-06", periods=300, freq=freq))
    f = RNNForecaster(window=8, hidden_size=3, max_iter=1, random_state=0).fit(y)
    assert f.seasonal_period_ == period


def shampoo_like(n=36):
    """A 36-month series with trend and noise, like the classic shampoo sales data."""
    rng = np.random.RandomState(0)
    t = np.arange(n)
    return pd.Series(200 + 8 * t + 40 * rng.normal(size=n), index=pd.period_range("2001-01", periods=n, freq="M"))


@pytest.mark.parametrize("params", [{"strategy": "recursive"}, {"strategy": "direct", "window": 24},
                                    {"strategy": "recursive", "window": 30}],
                         ids=["recursive", "direct window=24", "recursive window=30"])
def test_intervals_on_a_short_series_pick_a_smaller_calibration_block_and_warn(params):
    f = RNNForecaster(horizon=6, hidden_size=4, max_iter=5, random_state=0, **params).fit(shampoo_like())
    with pytest.warns(UserWarning, match=r"0.9 prediction interval needs at least 9 calibration residuals, but "
                                         r"the series is short and the calibration block gives [5-7] at step 1.*"
                                         r"may cover less than asked"):
        fc = f.forecast(6, interval=0.9)
    assert fc.shape == (6, 3) and np.isfinite(fc.to_numpy()).all()
    assert (fc["lower"] <= fc["forecast"]).all() and (fc["forecast"] <= fc["upper"]).all()


@pytest.mark.parametrize("horizon", [1, 6, 12])
def test_the_default_forecaster_gives_intervals_on_a_36_point_series(horizon):
    """The issue's shampoo case: the default ensemble sizes its windows and last block from the data, so
    forecast(h, interval=0.9) does not raise; with fewer residuals than 0.9 needs it says so."""
    f = RNNForecaster(horizon=horizon, n_estimators=2, hidden_size=4, max_iter=5, random_state=0)
    f.fit(shampoo_like())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fc = f.forecast(horizon, interval=0.9)
    assert fc.shape == (horizon, 3) and np.isfinite(fc.to_numpy()).all()
    assert (fc["lower"] <= fc["forecast"]).all() and (fc["forecast"] <= fc["upper"]).all()
    few = [w for w in seen if "calibration residuals" in str(w.message)]
    n_res = sum(len(e) for e in f._calibration)
    assert bool(few) == (n_res < 9)


def test_enough_residuals_for_the_level_do_not_warn():
    for params in ({"strategy": "recursive", "window": 6, "horizon": 1}, {"n_estimators": 1, "horizon": 6}):
        f = RNNForecaster(hidden_size=4, max_iter=5, random_state=0, **params).fit(shampoo_like(120))
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            f.forecast(3, interval=0.8)  # recursive: 24 residuals at step 1 >= 4; mimo: 21 pooled


def test_no_room_to_hold_out_anything_is_a_clear_error():
    f = RNNForecaster(horizon=6, window=35, strategy="recursive", hidden_size=4, max_iter=2, random_state=0)
    f.fit(shampoo_like())
    with pytest.raises(ValueError, match=r"shortest series has 36 observations and refitting needs window \+ "
                                         r"targets = 36.*shorter window or a longer series"):
        f.forecast(6, interval=0.9)
    with pytest.raises(ValueError, match=r"window=35 is too long for the shortest series, of 36 observations.*"
                                         r"shorter window"):
        RNNForecaster(horizon=6, window=35, n_estimators=1, max_iter=2).fit(shampoo_like())


def test_an_explicit_calibration_size_too_large_for_the_series_is_a_clear_error():
    f = RNNForecaster(horizon=6, window=24, strategy="direct", calibration_size=12, hidden_size=4, max_iter=2,
                      random_state=0).fit(shampoo_like())
    with pytest.raises(ValueError, match=r"without its last calibration_size=12 observations.*smaller "
                                         r"calibration_size or window"):
        f.forecast(6, interval=0.9)


def test_the_real_shampoo_series_gets_intervals_from_the_default_forecaster():
    """sktime's shampoo sales (36 months, the issue's case): the default ensemble, any horizon up to a year."""
    datasets = pytest.importorskip("sktime.datasets")
    y = datasets.load_shampoo_sales()
    assert len(y) == 36
    for h in (3, 12):
        f = RNNForecaster(horizon=h, max_iter=10, random_state=0).fit(y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # too few residuals for 0.9 is said, not raised
            fc = f.forecast(h, interval=0.9)
        assert fc.shape == (h, 3) and np.isfinite(fc.to_numpy()).all()
        assert (fc["lower"] < fc["upper"]).all()
