"""Variance stabilisation of the series face: the choice of a logarithm from the data, as pure functions.

``log='auto'`` models ``log(y)`` when every training series is positive and Guerrero's (1993) Box-Cox
parameter is below 0.5 (the series' variability grows with its level, so ``log`` is closer to the
variance-stabilising transform than no transform is); otherwise ``y`` itself. The forecaster's model space
is then :func:`~skrnn._forecasting.transforms.to_model` / ``from_model`` with the chosen flag.
"""

import numpy as np


def guerrero_lambda(y, period, lower=-1.0, upper=2.0, n_grid=61):
    """Guerrero's Box-Cox parameter of a positive series ``y``.

    The ``lam`` on a grid of ``[lower, upper]`` minimising the coefficient of variation of
    ``sd_i / mean_i ** (1 - lam)`` over consecutive non-overlapping blocks of ``max(period, 2)`` observations
    (the last full blocks). 1.0 (no transform) when fewer than 2 blocks fit.
    """
    y = np.asarray(y, dtype=np.float64)
    p = max(int(period), 2)
    k = len(y) // p
    if k < 2:
        return 1.0
    blocks = y[len(y) - k * p:].reshape(k, p)
    mu, sd = blocks.mean(axis=1), blocks.std(axis=1, ddof=1)
    grid = np.linspace(lower, upper, n_grid)
    r = sd[None, :] / mu[None, :] ** (1.0 - grid[:, None])  # (n_grid, k)
    mean = r.mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(mean > 0, r.std(axis=1, ddof=1) / mean, np.inf)
    cv = np.where(np.isfinite(cv), cv, np.inf)
    return float(grid[int(np.argmin(cv))])


def choose_log(values, period, threshold=0.5):
    """``log='auto'``: True when every series of ``values`` (a list of 1-D arrays) is positive and most
    have a Guerrero lambda below ``threshold``."""
    if not all(np.all(v > 0) for v in values):
        return False
    votes = [guerrero_lambda(v, period) < threshold for v in values]
    return sum(votes) * 2 > len(votes)
