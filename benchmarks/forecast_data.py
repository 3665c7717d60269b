"""Real series that ship inside Python packages, for bench_forecast.py (nothing is downloaded).

Each entry is ``(name, frequency, seasonal period m, values)``. Sources:
skrnn (airline), statsmodels.datasets, sktime's shipped data and pmdarima's
shipped data (when pmdarima is installed). Series longer than ``MAX_LEN``
keep their last ``MAX_LEN`` observations (bounded run time; documented in
benchmarks/README.md). Missing values at either end are dropped; none remain
inside a series (checked).
"""

import importlib
import os
import warnings

import numpy as np
import pandas as pd

MAX_LEN = 600


def _sm(name):
    return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data


def _statsmodels():
    out = []
    co2 = _sm("co2")["co2"].resample("MS").mean().interpolate()
    out.append(("co2", "monthly", 12, co2.to_numpy()))
    out.append(("sunspots", "yearly", 1, _sm("sunspots")["SUNACTIVITY"].to_numpy()))
    out.append(("nile", "yearly", 1, _sm("nile")["volume"].to_numpy()))
    el = _sm("elnino").set_index("YEAR")
    out.append(("elnino", "monthly", 12, el.to_numpy().ravel()))  # 12 monthly columns per year, row by row
    out.append(("elec_equip", "monthly", 12, _sm("elec_equip").iloc[:, 0].to_numpy()))
    macro = _sm("macrodata")
    for col in ("realgdp", "realcons", "realinv", "cpi", "unemp", "m1", "tbilrate"):
        out.append((f"macro_{col}", "quarterly", 4, macro[col].to_numpy()))
    out.append(("danish_lrm", "quarterly", 4, _sm("danish_data")["lrm"].to_numpy()))
    out.append(("interest_R", "quarterly", 4, _sm("interest_inflation")["R"].to_numpy()))
    fert = _sm("fertility").set_index("Country Name")
    for country in ("United States", "Japan", "India", "Brazil"):
        row = fert.loc[country].iloc[3:].astype(float)
        out.append((f"fertility_{country.replace(' ', '_')}", "yearly", 1, row.to_numpy()))
    return out


def _sktime():
    from sktime import datasets as sd

    out = [("lynx", "yearly", 1, sd.load_lynx().to_numpy()),
           ("shampoo", "monthly", 12, sd.load_shampoo_sales().to_numpy())]
    # (sktime's PBS_dataset is left out: one drug's scripts, zero for its last 40 months)
    y, X = sd.load_uschange()
    out.append(("uschange_consumption", "quarterly", 4, y.to_numpy()))
    out.append(("uschange_production", "quarterly", 4, X["Production"].to_numpy()))
    path = os.path.join(os.path.dirname(sd.__file__), "data", "seatbelts", "seatbelts.csv")
    out.append(("seatbelts_ksi", "monthly", 12, pd.read_csv(path)["KSI"].to_numpy()))
    return out


def _pmdarima():
    try:
        import pmdarima.datasets as pmd
    except ImportError:
        return []
    return [("wineind", "monthly", 12, pmd.load_wineind(as_series=True).to_numpy()),
            ("woolyrnq", "quarterly", 4, pmd.load_woolyrnq(as_series=True).to_numpy()),
            ("austres", "quarterly", 4, pmd.load_austres(as_series=True).to_numpy()),
            ("ausbeer", "quarterly", 4, pmd.load_ausbeer(as_series=True).to_numpy()),
            ("sunspots_monthly", "monthly", 12, pmd.load_sunspots(as_series=True).to_numpy()),
            ("heartrate", "other", 1, pmd.load_heartrate(as_series=True).to_numpy()),
            ("taylor", "half-hourly", 48, pmd.load_taylor(as_series=True).to_numpy())]


def _trim(v):
    v = np.asarray(v, dtype=np.float64)
    ok = np.flatnonzero(np.isfinite(v))
    v = v[ok[0]:ok[-1] + 1]
    if not np.all(np.isfinite(v)):
        raise ValueError("missing values inside a series")
    return v[-MAX_LEN:]


def load_all():
    """``[(name, frequency, m, values)]`` in a fixed order."""
    from skrnn.datasets import load_airline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = [("airline", "monthly", 12, load_airline().to_numpy())]
        rows += _statsmodels() + _sktime() + _pmdarima()
    return [(n, f, m, _trim(v)) for n, f, m, v in rows]


def load_m1_yearly():
    """The 181 yearly series of the M1 competition (Makridakis et al., 1982), as aeon ships them (a ``.tsf``
    file inside the package; nothing is downloaded): ``[(name, 'yearly', 1, values)]``. Their ``--dev``
    blocks took part in one choice (the drift members), their hold-outs in none; M1's own horizon is 6
    years (:func:`horizon` gives 6 for these lengths, 15 to 58)."""
    import aeon.datasets
    from aeon.datasets import load_from_tsf_file

    path = os.path.join(os.path.dirname(aeon.datasets.__file__), "data", "m1_yearly_dataset", "m1_yearly_dataset.tsf")
    df, _ = load_from_tsf_file(path)
    pairs = zip(df["series_name"], df["series_value"], strict=True)
    return [(f"m1y_{name}", "yearly", 1, _trim(v)) for name, v in pairs]


def load_extra():
    """Series tried after the defaults were chosen, outside both collections: aeon's ``solar`` (half-hourly
    solar generation over 6 days, 289 points; ``m = 48``, so the hold-out is the last 2 days). It showed that
    the seasonality test missed smooth cycles over few seasons, and took part in that one fix."""
    import aeon.datasets

    path = os.path.join(os.path.dirname(aeon.datasets.__file__), "data", "solar", "solar.csv")
    return [("solar", "half-hourly", 48, _trim(pd.read_csv(path)["solar_gen"].to_numpy()))]


def horizon(n, m):
    """M-competition hold-out: two seasons for a seasonal series (one when that would leave fewer than four
    seasons to train on), else 10% of the series, at least 6 steps (M4's yearly horizon)."""
    if m > 1:
        return 2 * m if n - 2 * m >= 4 * m else m
    return max(6, int(round(0.1 * n)))


if __name__ == "__main__":
    for name, freq, m, v in load_all():
        print(f"{name:24s} {freq:12s} m={m:<3d} n={len(v):4d} h={horizon(len(v), m):3d} "
              f"min={v.min():10.3g} max={v.max():10.3g}")
