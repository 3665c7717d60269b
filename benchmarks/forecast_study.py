"""Research helper for bench_forecast.py: merge the ``--json`` files of several runs into one table, and
recompute the prototype's intervals under other rules from the calibration errors the runs stored (no
refitting).

    python benchmarks/forecast_study.py merge --dev run1.json run2.json ...
    python benchmarks/forecast_study.py intervals --dev run.json --method proto:default
    python benchmarks/forecast_study.py rules --dev run.json [--collection m1_yearly]

``rules`` re-derives the library's intervals (method ``skrnn``: the forecasts and the calibration block's
errors that bench_forecast.py --json stores) under the interval rules studied, from the same fitted models.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_forecast import LEVEL, mase_scale, summarise  # noqa: E402
from forecast_data import horizon, load_all, load_extra, load_m1_yearly  # noqa: E402
from forecast_proto import conformal_half_widths, inverse_variance, step_scale  # noqa: E402

from skrnn._forecasting.conformal import naive_floor, pooled_half_widths  # noqa: E402
from skrnn._forecasting.conformal import step_scale as library_step_scale  # noqa: E402
from skrnn._forecasting.sizing import series_scale  # noqa: E402

LOADERS = {"classic": load_all, "m1_yearly": load_m1_yearly, "extra": load_extra}


def load_data(dev, collection="classic"):
    data = []
    for name, freq, m, v in LOADERS[collection]():
        h = horizon(len(v), m)
        if dev:
            v = v[:-h]
            if len(v) - h < 8:
                continue
        train, test = v[:-h], v[-h:]
        data.append(dict(name=name, freq=freq, m=m, h=h, train=train, test=test, scale=mase_scale(train, m)))
    return data


def merge(files, dev, collection="classic"):
    res = {}
    for f in files:
        for n, d in json.load(open(f)).items():
            res.setdefault(n, {}).update(d)
    data = [s for s in load_data(dev, collection) if s["name"] in res]
    methods = []
    for n in res:
        methods += [k for k in res[n] if k not in methods]
    return data, res, methods


def scale_rules(errors, steps):
    """Per-step scales under each rule studied."""
    ks = np.arange(1, steps + 1)
    out = {"powerlaw b in [0,1]": step_scale(errors, steps, min_growth=0.0)}
    allerr = np.concatenate([np.asarray(e, float) for e in errors])
    a = np.sqrt(np.mean(np.concatenate([np.asarray(e, float) for e in errors[:1]]) ** 2)) if len(errors[0]) else 1
    out["sqrt(k) from step 1"] = a * np.sqrt(ks)
    pl = step_scale(errors, steps)
    b = np.log(pl[-1] / pl[0]) / np.log(steps) if steps > 1 else 0.5
    out["powerlaw b >= 0.5"] = pl if b >= 0.5 else pl[0] * ks**0.5
    rms = []
    for k in range(steps):
        e = np.asarray(errors[k], float) if k < len(errors) else np.zeros(0)
        rms.append(np.sqrt(np.mean(e**2)) if len(e) >= 3 else np.nan)
    rms = np.array(rms)
    last = np.flatnonzero(np.isfinite(rms))
    if len(last):
        j = last[-1]
        rms[j + 1:] = rms[j] * np.sqrt(ks[j + 1:] / ks[j])
        rms = np.maximum.accumulate(np.where(np.isfinite(rms), rms, 0))
        out["empirical per step (cummax)"] = np.maximum(rms, 1e-12)
    out["constant"] = np.full(steps, np.sqrt(np.mean(allerr**2)))
    return out


def intervals(files, dev, method):
    data, res, _ = merge(files, dev)
    cov, width = {}, {}
    by_q = {}
    for s in data:
        for r in res[s["name"]].get(method, []):
            x = r.get("extra")
            if not x:
                continue
            h = s["h"]
            errors = [np.asarray(e) for e in x["cal"]]
            fs = np.asarray(x["fs"])
            for rule, sc in scale_rules(errors, h).items():
                half = conformal_half_widths(errors, h, LEVEL, sc)
                lo, hi = inverse_variance(fs - half, x["lam"]), inverse_variance(fs + half, x["lam"])
                inside = (s["test"] >= lo) & (s["test"] <= hi)
                cov.setdefault(rule, []).extend(inside.tolist())
                width.setdefault(rule, []).append(np.mean(hi - lo) / s["scale"])
                q = by_q.setdefault(rule, [[], [], [], []])
                for j, c in enumerate(inside):
                    q[min(3, int(4 * j / h))].append(c)
    print(f"{method}: 90% coverage by interval rule (pooled over series and seeds)")
    for rule in cov:
        qs = " ".join(f"{np.mean(v):.3f}" for v in by_q[rule])
        print(f"  {rule:30s} coverage {np.mean(cov[rule]):.3f}  width/scale {np.mean(width[rule]):6.2f}"
              f"  by horizon quarter {qs}")


def inflated_conformal(errors, steps, inflation=1.25):
    """The rule until 2026-12-07: the pooled conformal quantile (the prototype's, on the library's step
    scale) times a fixed inflation."""
    return inflation * conformal_half_widths(errors, steps, LEVEL, library_step_scale(errors, steps))


def library_rules(errors, h, u, m, s, block):
    t = pooled_half_widths(errors, LEVEL, h, block)
    old = inflated_conformal(errors, h)
    out = {"conformal x 1.25 (until 2026-12-07)": old, "max(conformal, t(origins))": t}
    for share in (0.25, 0.5, 0.75):
        out[f"t, {share} floor, recent 2/3" + (" (library)" if share == 0.75 else "")] = np.maximum(
            t, naive_floor([u], m, h, LEVEL, [s], share))
    out["t, 0.75 floor, whole history"] = np.maximum(t, naive_floor([u], m, h, LEVEL, [s], 0.75, recent=1.0))
    out["t, 0.75 floor, recent 1/2"] = np.maximum(t, naive_floor([u], m, h, LEVEL, [s], 0.75, recent=0.5))
    out["conformal x 1.25, 0.75 floor, recent 2/3"] = np.maximum(old, naive_floor([u], m, h, LEVEL, [s]))
    return out


def rules(files, dev, collection):
    """Coverage, widths and M4's MSIS (alpha = 1 - LEVEL) of the library's intervals under each rule."""
    data, res, _ = merge(files, dev, collection)
    stats = {}
    for s in data:
        for r in res[s["name"]].get("skrnn", []):
            x = r.get("extra")
            if not x or not x.get("cal"):
                continue
            log, h = x["log"], s["h"]
            fwd, back = (np.log, np.exp) if log else (np.asarray, np.asarray)
            u = fwd(s["train"])
            sc = series_scale(u)
            fm = fwd(np.asarray(r["forecast"][0]))
            for rule, half in library_rules([np.asarray(e) for e in x["cal"]], h, u, s["m"], sc, x["block"]).items():
                lo, hi = back(fm - half * sc), back(fm + half * sc)
                y = s["test"]
                inside = (y >= lo) & (y <= hi)
                a = 2 / (1 - LEVEL)
                msis = np.mean(hi - lo + a * np.maximum(lo - y, 0) + a * np.maximum(y - hi, 0)) / s["scale"]
                st = stats.setdefault(rule, dict(points=[], series=[], width=[], msis=[], q=[[], [], [], []]))
                st["points"] += inside.tolist()
                st["series"].append(inside.mean())
                st["width"].append(np.mean(hi - lo) / s["scale"])
                st["msis"].append(msis)
                for j, c in enumerate(inside):
                    st["q"][min(3, int(4 * j / h))].append(c)
    g = lambda a: float(np.exp(np.mean(np.log(np.maximum(a, 1e-12)))))  # noqa: E731
    print(f"{collection}{' --dev' if dev else ''}: 90% intervals of the same fitted models under each rule")
    print(f"  {'rule':40s} {'cover (points)':>14s} {'(series)':>8s} {'gmean width':>11s} {'p95 width':>9s} "
          f"{'gmean MSIS':>10s}  by horizon quarter")
    for rule, st in stats.items():
        qs = " ".join(f"{np.mean(v):.3f}" if v else "-" for v in st["q"])
        print(f"  {rule:40s} {np.mean(st['points']):14.3f} {np.mean(st['series']):8.3f} {g(st['width']):11.2f} "
              f"{np.percentile(st['width'], 95):9.1f} {g(st['msis']):10.2f}  {qs}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["merge", "intervals", "rules"])
    p.add_argument("files", nargs="+")
    p.add_argument("--dev", action="store_true")
    p.add_argument("--method", default=None)
    p.add_argument("--collection", choices=list(LOADERS), default="classic")
    a = p.parse_args()
    import warnings

    warnings.simplefilter("ignore")
    if a.what == "merge":
        d, r, ms = merge(a.files, a.dev)
        summarise(d, r, ms, None)
    elif a.what == "rules":
        rules(a.files, a.dev, a.collection)
    else:
        intervals(a.files, a.dev, a.method)
