"""skrnn's forecasters against statsforecast's AutoETS, AutoARIMA, AutoTheta and SeasonalNaive on real series
that ship inside Python packages (benchmarks/forecast_data.py; nothing is downloaded).

Hold-out, M-competition style: the last two seasons of a seasonal series (24 months, 8 quarters; one season
when two would leave fewer than four to train on), else the last 10% (at least 6 steps). Each method fits the
training part and forecasts the hold-out with a 90% interval. MASE's scale is the in-sample mean absolute
seasonal-naive error of the training part (lag 1 for non-seasonal series).

    python benchmarks/bench_forecast.py                         # everything, 3 seeds (~10-15 min on 2 cores)
    python benchmarks/bench_forecast.py --quick                 # 8 series, 1 seed
    python benchmarks/bench_forecast.py --series airline nile --methods skrnn ets snaive
    python benchmarks/bench_forecast.py --dev                   # model selection: the last hold-out-sized
                                                                # block of each TRAINING part is the test

Methods: ``snaive``, ``ets``, ``arima``, ``theta`` (statsforecast, same run), ``skrnn`` (the library's
defaults: ``RNNForecaster(horizon=h, seasonal_period=m, random_state=seed)``, whose ``strategy='mimo'``
ensemble is the recipe below; the prototype when the installed skrnn predates it), ``skrnn_v01`` (skrnn
0.1's defaults: ``strategy='recursive', log=False, window=18, max_iter=400``, forecasting ``h`` steps),
``proto`` (the prototype recipe, ``forecast_proto.EnsembleForecaster`` with its defaults, trained with
skrnn's public ``RNNRegressor``) and research variants ``proto:<name>`` (see ``VARIANTS``).
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from forecast_data import horizon, load_all, load_extra, load_m1_yearly  # noqa: E402
from forecast_proto import EnsembleForecaster  # noqa: E402

LEVEL = 0.9
BASELINES = {"snaive": "SeasonalNaive", "ets": "AutoETS", "arima": "AutoARIMA", "theta": "AutoTheta"}
QUICK = ["airline", "shampoo", "nile", "elnino", "macro_realgdp", "wineind", "lynx", "woolyrnq"]

# research variants of the prototype: keyword arguments of EnsembleForecaster, each relative to the
# research base below (the first --dev runs); the recommended recipe ("skrnn") is EnsembleForecaster's own
# defaults, = nsmix_n10, chosen with --dev
DEFAULT = dict(n_estimators=6, season="auto", normalise="last")
VARIANTS = {
    "default": {},
    "sdiff": dict(season_test="diff"),
    "noseason": dict(season=False),
    "novar": dict(variance=None),
    "boxcox": dict(variance="boxcox"),
    "mean": dict(normalise="mean"),
    "nonorm": dict(normalise="none"),
    "fixed100": dict(early_stopping="none", refit_epochs=100),
    "fresh": dict(refit="fresh"),
    "norefit": dict(refit="none"),
    "recursive": dict(strategy="recursive"),
    "h16": dict(hidden_size=16),
    "h64": dict(hidden_size=64),
    "minep30": dict(min_epochs=30),
    "n3": dict(n_estimators=3),
    "n12": dict(n_estimators=12),
    "mean_comb": dict(combine="mean"),
    "noseason_n10": dict(season=False, n_estimators=10),
    "noseason_mean": dict(season=False, normalise="mean"),
    "nsmean_n10": dict(season=False, normalise="mean", n_estimators=10),
    "nsmix_n10": dict(season=False, normalise="mix", n_estimators=10),
}


def mase_scale(train, m):
    m = m if len(train) > m else 1
    s = np.mean(np.abs(train[m:] - train[:-m]))
    return s if s > 0 else 1.0


# ---------------------------------------------------------------- baselines
def baselines(data, names):
    """``{series: {method: (mean, lo, hi, seconds)}}`` from statsforecast, one StatsForecast per seasonal
    period and horizon (its models take one season_length)."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    make = {"snaive": SeasonalNaive, "ets": AutoETS, "arima": AutoARIMA, "theta": AutoTheta}
    groups = {}
    for s in data:
        groups.setdefault((s["m"], s["h"]), []).append(s)
    out = {s["name"]: {} for s in data}
    for (m, h), items in groups.items():
        df = pd.concat([pd.DataFrame({"unique_id": s["name"], "ds": np.arange(len(s["train"])), "y": s["train"]})
                        for s in items])
        for key in names:
            t0 = time.perf_counter()
            sf = StatsForecast(models=[make[key](season_length=m)], freq=1, n_jobs=1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = sf.forecast(df=df, h=h, level=[int(LEVEL * 100)])
            secs = (time.perf_counter() - t0) / len(items)
            col = [c for c in fc.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c][0]
            for s in items:
                f = fc[fc.unique_id == s["name"]]
                out[s["name"]][key] = (f[col].to_numpy(), f[f"{col}-lo-90"].to_numpy(),
                                       f[f"{col}-hi-90"].to_numpy(), secs)
    return out


# ------------------------------------------------------------------- skrnn
def skrnn_recipe(train, m, h, seed, **kw):
    """The recommended recipe through the public API when the library has it, else the prototype."""
    from skrnn import RNNForecaster

    if "n_estimators" in RNNForecaster().get_params():
        f = RNNForecaster(horizon=h, seasonal_period=m, random_state=seed, **kw).fit(pd.Series(train))
        fc = f.forecast(h, interval=LEVEL)
        # for offline studies of interval and model-selection rules: the calibration block's errors per step
        # (model space, relative to the series' scale without the block) and what defines that space
        extra = {"cal": [np.asarray(e).tolist() for e in (getattr(f, "_calibration", None) or [])],
                 "block": int(getattr(f, "calibration_size_", 0)), "log": bool(getattr(f._scaling, "log", False))}
        return fc["forecast"].to_numpy(), fc["lower"].to_numpy(), fc["upper"].to_numpy(), extra
    return proto(train, m, h, seed, base={}, **kw)


def proto(train, m, h, seed, base=DEFAULT, **kw):
    f = EnsembleForecaster(random_state=seed, **{**base, **kw}).fit(train, m, h)
    mean, lo, hi = f.predict(LEVEL)
    # what an offline study of interval rules needs (bench_intervals.py): calibration errors per step and the
    # model-space forecast, with the variance transform's lambda
    extra = {"cal": [np.asarray(e).tolist() for e in f.cal_errors_], "fs": f.model_space_forecast_.tolist(),
             "lam": f.vstate_, "block": f.block_}
    return mean, lo, hi, extra


def skrnn_v01(train, m, h, seed):
    """skrnn 0.1's RNNForecaster defaults (one recursive GRU on differenced, standardised windows)."""
    from skrnn import RNNForecaster

    f = RNNForecaster(strategy="recursive", log=False, window=18, max_iter=400, seasonal_period=m,
                      random_state=seed).fit(pd.Series(train))
    mean = f.forecast(h).to_numpy()
    try:
        fc = f.forecast(h, interval=LEVEL)
        return mean, fc["lower"].to_numpy(), fc["upper"].to_numpy()
    except ValueError:  # too short for its calibration block
        return mean, np.full(h, np.nan), np.full(h, np.nan)


def method_fn(name, params=None):
    if name == "skrnn":
        return lambda train, m, h, seed: skrnn_recipe(train, m, h, seed, **(params or {}))
    if name in ("skrnn_v01", "skrnn_current"):  # skrnn_current: its name before the new defaults
        return skrnn_v01
    if name == "proto":
        return lambda train, m, h, seed: proto(train, m, h, seed, base={})
    if name.startswith("proto:"):
        kw = VARIANTS[name.split(":", 1)[1]]
        return lambda train, m, h, seed: proto(train, m, h, seed, **kw)
    raise ValueError(f"unknown method {name!r}")


# ----------------------------------------------------------------- reports
def evaluate(s, mean, lo, hi):
    te, sc = s["test"], s["scale"]
    r = {"mase": float(np.mean(np.abs(te - mean)) / sc)}
    if lo is not None and np.all(np.isfinite(lo)):
        inside = (te >= lo) & (te <= hi)
        r["cover"] = inside.astype(float).tolist()
        r["width"] = float(np.mean(hi - lo) / sc)
    return r


def gmean(a):
    a = np.asarray(a, dtype=float)
    return float(np.exp(np.mean(np.log(np.maximum(a, 1e-12)))))


def summarise(data, res, methods, seeds):
    names = [s["name"] for s in data]
    # per-series MASE of a seeded method: mean over seeds
    mase = {k: np.array([np.mean([r["mase"] for r in res[n][k]]) for n in names]) for k in methods}
    w = max(len(n) for n in names) + 1
    head = f"{'series':{w}s}{'freq':>12s} {'n':>4s} {'h':>3s} " + " ".join(f"{k[:13]:>13s}" for k in methods)
    print("\nMASE per series (skrnn methods: mean over seeds; [coverage of the 90% interval])")
    print(head)
    for i, s in enumerate(data):
        cells = []
        for k in methods:
            cov = [np.mean(r["cover"]) for r in res[s["name"]][k] if "cover" in r]
            cells.append(f"{mase[k][i]:6.3f}" + (f" [{np.mean(cov):.2f}]" if cov else "       "))
        row = " ".join(f"{c:>13s}" for c in cells)
        print(f"{s['name']:{w}s}{s['freq']:>12s} {len(s['train']):4d} {s['h']:3d} {row}")
    M = np.stack([mase[k] for k in methods])
    ranks = np.apply_along_axis(lambda c: pd.Series(c).rank().to_numpy(), 0, M)
    print("\nsummary over", len(names), "series")
    print(f"{'method':16s} {'gmean MASE':>10s} {'mean rank':>9s} {'< snaive':>8s} {'cover90':>7s} {'width':>6s} "
          f"{'seed spread':>11s} {'s/series':>8s}")
    for j, k in enumerate(methods):
        covs = [c for n in names for r in res[n][k] if "cover" in r for c in r["cover"]]
        widths = [np.mean([r["width"] for r in res[n][k] if "width" in r] or [np.nan]) for n in names]
        below = np.mean(mase[k] < mase["snaive"]) if "snaive" in mase else np.nan
        spread = [(max(v) - min(v)) / np.median(v) for n in names
                  if len(v := [r["mase"] for r in res[n][k]]) > 1]
        secs = np.mean([r["secs"] for n in names for r in res[n][k]])
        sp = f"{np.median(spread):5.2f}/{np.max(spread):4.2f}" if spread else "-"
        print(f"{k:16s} {gmean(mase[k]):10.3f} {np.mean(ranks[j]):9.2f} {below:8.0%} "
              f"{(np.mean(covs) if covs else np.nan):7.3f} {np.nanmean(widths):6.2f} {sp:>11s} {secs:8.2f}")
    print("(seed spread: (max - min) / median of per-series MASE over seeds; median/max over series;"
          " width: mean interval width / MASE scale)")
    for k in methods:
        if not k.startswith(("skrnn", "proto")):
            continue
        spread = {n: (max(v) - min(v)) / np.median(v) for n in names if len(v := [r["mase"] for r in res[n][k]]) > 1}
        if spread:
            bad = sorted(spread, key=spread.get)[::-1][:5]
            print(f"{k}: share of series with seed spread < 20%: {np.mean(np.array(list(spread.values())) < 0.2):.0%};"
                  f" largest: " + ", ".join(f"{n} {spread[n]:.2f}" for n in bad))
    base = [k for k in ("snaive", "ets", "arima", "theta") if k in methods]
    for k in methods:
        if k in base:
            continue
        wins = ", ".join(f"{b} {int(np.sum(mase[k] < mase[b]))}/{len(names)}" for b in base)
        print(f"{k}: wins against {wins}; gmean MASE ratio to ets {gmean(mase[k]) / gmean(mase['ets']):.3f}"
              if "ets" in mase else f"{k}: wins against {wins}")
    # coverage per step: absolute steps 1..24 (pooled over the series that have them) and by horizon quarter
    print("\n90% coverage per horizon step (pooled over series and seeds)")
    for k in methods:
        by_step, by_q = {}, {q: [] for q in range(4)}
        for s in data:
            for r in res[s["name"]][k]:
                for j, c in enumerate(r.get("cover", [])):
                    by_step.setdefault(j + 1, []).append(c)
                    by_q[min(3, int(4 * j / s["h"]))].append(c)
        if not by_step:
            continue
        steps = " ".join(f"{np.mean(by_step[j]):.2f}" for j in sorted(by_step) if j <= 24)
        qs = " ".join(f"{np.mean(v):.3f}" if v else "-" for v in by_q.values())
        print(f"{k:16s} quarters of the horizon: {qs}   steps 1..24: {steps}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=f"series {QUICK}, one seed")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="seeds of the skrnn methods (default 0 1 2)")
    p.add_argument("--series", nargs="+", default=None)
    p.add_argument("--methods", nargs="+", default=["snaive", "ets", "arima", "theta", "skrnn"])
    p.add_argument("--dev", action="store_true",
                   help="drop each hold-out and evaluate on the last hold-out-sized block of the training part")
    p.add_argument("--cache", default=None, help="JSON file caching baseline forecasts (research runs only)")
    p.add_argument("--json", default=None, help="write per-series results here")
    p.add_argument("--params", default="{}", help="JSON dict of RNNForecaster parameters for the skrnn method")
    p.add_argument("--collection", choices=["classic", "m1_yearly", "extra"], default="classic",
                   help="classic: the 31 series of forecast_data.load_all (defaults were chosen on their --dev "
                        "blocks); m1_yearly: the M1 competition's 181 yearly series (their --dev blocks chose "
                        "the drift members; their hold-outs were never used for a choice); extra: series "
                        "tried later (forecast_data.load_extra: aeon's solar)")
    p.add_argument("--timing", action="store_true",
                   help="only time fit + forecast (90%% interval) of the whole airline series, h=24, 3 seeds")
    args = p.parse_args()
    if args.timing:
        from skrnn.datasets import load_airline

        y = load_airline().to_numpy()
        method_fn("skrnn")(y[:60], 12, 12, 0)  # compile outside the timing
        for seed in (0, 1, 2):
            t0 = time.perf_counter()
            method_fn("skrnn")(y, 12, 24, seed)
            print(f"airline (144 months) fit + forecast 24 steps with interval, seed {seed}: "
                  f"{time.perf_counter() - t0:.2f} s (load average {os.getloadavg()[0]:.1f})")
        return
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    warnings.simplefilter("ignore")
    data = []
    loaders = {"classic": load_all, "m1_yearly": load_m1_yearly, "extra": load_extra}
    for name, freq, m, v in loaders[args.collection]():
        if args.series and name not in args.series or (args.quick and not args.series and name not in QUICK):
            continue
        h = horizon(len(v), m)
        if args.dev:
            v = v[:-h]
            if len(v) - h < 8:
                continue
        train, test = v[:-h], v[-h:]
        data.append(dict(name=name, freq=freq, m=m, h=h, train=train, test=test, scale=mase_scale(train, m)))
    res = {s["name"]: {} for s in data}
    base = [k for k in args.methods if k in BASELINES]
    if base:
        cache = {}
        key = "dev" if args.dev else "test"
        if args.cache and os.path.exists(args.cache):
            cache = json.load(open(args.cache)).get(key, {})
        todo = [s for s in data if any(b not in cache.get(s["name"], {}) for b in base)]
        if todo:
            t0 = time.perf_counter()
            got = baselines(todo, base)
            print(f"statsforecast baselines: {time.perf_counter() - t0:.0f} s for {len(todo)} series", flush=True)
            for n, d in got.items():
                cache.setdefault(n, {}).update({b: [np.asarray(a).tolist() if i < 3 else a for i, a in enumerate(t)]
                                                for b, t in d.items()})
            if args.cache:
                full = json.load(open(args.cache)) if os.path.exists(args.cache) else {}
                full[key] = cache
                json.dump(full, open(args.cache, "w"))
        for s in data:
            for b in base:
                mean, lo, hi, secs = cache[s["name"]][b]
                res[s["name"]][b] = [{**evaluate(s, np.array(mean), np.array(lo), np.array(hi)), "secs": secs}]
    for k in args.methods:
        if k in BASELINES:
            continue
        fn = method_fn(k, json.loads(args.params))
        t0 = time.perf_counter()
        for s in data:
            res[s["name"]][k] = []
            for seed in seeds:
                t1 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = fn(s["train"], s["m"], s["h"], seed)
                r = {**evaluate(s, *out[:3]), "secs": time.perf_counter() - t1,
                     "forecast": [np.asarray(a, dtype=float).tolist() for a in out[:3]]}  # mean, lower, upper
                if len(out) > 3:
                    r["extra"] = out[3]
                res[s["name"]][k].append(r)
        print(f"{k}: {time.perf_counter() - t0:.0f} s", flush=True)
    summarise(data, res, args.methods, seeds)
    if args.json:
        json.dump(res, open(args.json, "w"))


if __name__ == "__main__":
    main()
