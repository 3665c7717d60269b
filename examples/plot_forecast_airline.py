"""
=======================================
Forecasting airline passengers with RNN
=======================================

Fit :class:`skrnn.RNNForecaster` on the Box-Jenkins airline series, forecast
the next 24 months with a 90% split-conformal interval, backtest it on the
last two years, and tune ``window`` and ``hidden_size`` with plain
scikit-learn: ``GridSearchCV`` and ``TimeSeriesSplit`` on the series itself.
The plot is drawn only when matplotlib is installed.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from skrnn import RNNForecaster
from skrnn.datasets import load_airline

warnings.filterwarnings("ignore", category=ConvergenceWarning)

y = load_airline()
train, test = y[:-24], y[-24:]

# %%
# Fit on 1949-1958 and forecast 1959-1960 with a 90% interval.
forecaster = RNNForecaster(horizon=12, random_state=0).fit(train)
forecast = forecaster.forecast(24, interval=0.9)
print(forecast.head())
print(f"MASE on 1959-1960: {-forecaster.score(test):.3f}")

# %%
# Rolling-origin backtest over the held-out years (the model is not refitted).
backtest = forecaster.historical_forecasts(y, steps=12, interval=0.9).dropna()
covered = (backtest.actual >= backtest.lower) & (backtest.actual <= backtest.upper)
print(f"{len(backtest)} held-out forecasts, 90% interval coverage {covered.mean():.2f}")

# %%
# Tuning: each split fits on a prefix of the training years and scores
# (negative MASE) the 12 months that follow it.
search = GridSearchCV(
    RNNForecaster(horizon=12, max_iter=100, random_state=0),
    {"window": [13, 18], "hidden_size": [16, 32]},
    cv=TimeSeriesSplit(n_splits=3, test_size=12),
)
search.fit(train)
print("best parameters:", search.best_params_, f"(validation MASE {-search.best_score_:.3f})")

# %%
# Plot history, forecast and interval.
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None

if plt is not None:
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(y.index, y.to_numpy(), color="k", lw=1, label="observed")
    ax.plot(forecast.index, forecast["forecast"], color="C1", label="forecast from 1958-12")
    ax.fill_between(forecast.index, forecast["lower"], forecast["upper"], color="C1", alpha=0.25,
                    label="90% interval")
    ax.set_ylabel("passengers (thousands)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    print("plotted", np.isfinite(forecast.to_numpy()).all())
