"""Research helper for bench_forecast.py: merge the ``--json`` files of several runs into one table, and
recompute the prototype's intervals under other rules from the calibration errors the runs stored (no
refitting).

    python benchmarks/forecast_study.py merge --dev run1.json run2.json ...
    python benchmarks/forecast_study.py intervals --dev run.json --method proto:default
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_forecast import LEVEL, mase_scale, summarise  # noqa: E402
from forecast_data import horizon, load_all  # noqa: E402
from forecast_proto import conformal_half_widths, inverse_variance, step_scale  # noqa: E402


def load_data(dev):
    data = []
    for name, freq, m, v in load_all():
        h = horizon(len(v), m)
        if dev:
            v = v[:-h]
            if len(v) - h < 8:
                continue
        train, test = v[:-h], v[-h:]
        data.append(dict(name=name, freq=freq, m=m, h=h, train=train, test=test, scale=mase_scale(train, m)))
    return data


def merge(files, dev):
    res = {}
    for f in files:
        for n, d in json.load(open(f)).items():
            res.setdefault(n, {}).update(d)
    data = [s for s in load_data(dev) if s["name"] in res]
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


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["merge", "intervals"])
    p.add_argument("files", nargs="+")
    p.add_argument("--dev", action="store_true")
    p.add_argument("--method", default=None)
    a = p.parse_args()
    import warnings

    warnings.simplefilter("ignore")
    if a.what == "merge":
        d, r, ms = merge(a.files, a.dev)
        summarise(d, r, ms, None)
    else:
        intervals(a.files, a.dev, a.method)
