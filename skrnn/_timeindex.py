"""Time indexes of the series face of :class:`RNNForecaster`: validation
(regular, no gaps), the labels that follow a series, and the seasonal period
implied by a frequency."""

import numpy as np
import pandas as pd

# Seasonal period of each pandas frequency prefix (after stripping S/E anchors).
_SEASONAL = {"Y": 1, "A": 1, "Q": 4, "M": 12, "W": 52, "D": 7, "B": 5, "H": 24, "h": 24, "T": 60, "min": 60}


def check_index(index, name="the series"):
    """``(kind, freq)`` of a regular index, or a ValueError saying what is wrong.

    kind is ``'period'``, ``'datetime'`` or ``'integer'``; freq is the pandas
    frequency (period/datetime) or the integer step.
    """
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
        if n > 1 and not index.equals(pd.date_range(index[0], periods=n, freq=freq)):
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
    if kind == "period":
        return pd.period_range(last + 1, periods=steps, freq=freq, name=name)
    if kind == "datetime":
        return pd.date_range(last + freq, periods=steps, freq=freq, name=name)
    start = int(last) + freq
    return pd.RangeIndex(start, start + freq * steps, freq, name=name)


def seasonal_period(kind, freq):
    """Seasonal period implied by a frequency (1 when none is known)."""
    if kind == "integer" or freq is None:
        return 1
    code = freq.freqstr if hasattr(freq, "freqstr") else str(freq)
    code = code.lstrip("0123456789-").split("-")[0]
    if getattr(freq, "n", 1) != 1:
        return 1
    for prefix in (code, code.rstrip("SE"), code[:1]):
        if prefix in _SEASONAL:
            return _SEASONAL[prefix]
    return 1
