"""The series face's fitted state in the file: the training :class:`~skrnn._forecasting.series.Series` (values,
covariates, names and each pandas index stored as its kind, start, frequency and length) and the fitted
:class:`~skrnn._forecasting.transforms.Scaling`.

An index is rebuilt with ``pd.date_range`` / ``pd.period_range`` / ``pd.RangeIndex`` from parsed values,
never unpickled, and must come out as long as its series and regular (the check the forecaster runs at fit).
"""

import dataclasses

import numpy as np

from .._forecasting.series import Series, check_index
from .._forecasting.transforms import Scaling
from .container import Corrupt
from .values import from_json, is_int, keys, short, to_json

KINDS_IN = ("one", "frame", "list", "long", "multiindex", "dict")
SERIES_FIELDS = {"kind_in", "values", "index", "names", "freq", "labelled", "cov", "cov_index", "cov_names", "fcov",
                 "fcov_names", "panel_columns"}
SCALING_FIELDS = {f.name: f for f in dataclasses.fields(Scaling)}


# -------------------------------------------------------------------- encoding
def encode(name, value, arrays):
    """The spec of a Series or a Scaling, or None for any other value."""
    if isinstance(value, Scaling):
        return {"scaling": {k: _array(f"{name}.{k}", v, arrays) if isinstance(v, np.ndarray) else {"json": v}
                            for k, v in vars(value).items()}}
    if not isinstance(value, Series):
        return None
    state = dict(vars(value))
    unknown = sorted(set(state) - SERIES_FIELDS)
    if unknown:
        raise TypeError(f"{name} has the attribute {unknown[0]!r}, which the safe format does not know; keep this "
                        "model with pickle or joblib (trusted files only).")
    out = {"kind_in": state["kind_in"], "names": to_json(state["names"], f"{name}.names"),
           "labelled": [bool(b) for b in state["labelled"]]}
    out["values"] = [_array(f"{name}.values.{i}", v, arrays) for i, v in enumerate(state["values"])]
    out["index"] = [_encode_index(ix, f"{name}.index.{i}") for i, ix in enumerate(state["index"])]
    out["cov"] = None if state["cov"] is None else encode(f"{name}.cov", state["cov"], arrays)
    if "fcov" in state:
        fcov = state["fcov"]
        out["fcov"] = None if fcov is None else _array(f"{name}.fcov", fcov, arrays)
    for k in ("cov_names", "fcov_names", "panel_columns"):
        if k in state:
            out[k] = to_json(state[k], f"{name}.{k}")
    return {"series": out}


def _array(name, value, arrays):
    arrays[name] = np.asarray(value, dtype=np.float64)
    return {"array": name}


def _encode_index(index, where):
    import pandas as pd

    kind, freq = check_index(index)
    spec = {"kind": kind, "length": len(index), "name": to_json(index.name, f"{where}.name")}
    if kind == "datetime":
        tz = None if index.tz is None else str(index.tz)
        first = index[0].tz_localize(None) if tz is not None else index[0]
        spec.update(start=first.isoformat(), freq=freq.freqstr, tz=tz, unit=index.unit)
    elif kind == "period":
        spec.update(start=str(index[0]), freq=freq.freqstr)
    else:
        if index.dtype != np.int64 and not isinstance(index, pd.RangeIndex):
            raise TypeError(f"{where} is an integer index of dtype {index.dtype}; the safe format stores int64 "
                            "indexes. Use pickle or joblib (trusted files only), or reset the index.")
        spec.update(start=int(index[0]) if len(index) else 0, freq=int(freq))
    return spec


# -------------------------------------------------------------------- decoding
def decode(reader, spec, where):
    if "scaling" in spec:
        return _scaling(reader, spec, where)
    return _series(reader, spec, where)


def _scaling(reader, spec, where):
    keys(spec, ["scaling"], where=where)
    fields = spec["scaling"]
    if not isinstance(fields, dict) or set(fields) != set(SCALING_FIELDS):
        got = sorted(fields) if isinstance(fields, dict) else short(fields)
        raise Corrupt(f"{where}: the scaling has fields {got}; expected {sorted(SCALING_FIELDS)}")
    values = {k: reader.decode(v, f"{where}.{k}") for k, v in fields.items()}
    if not isinstance(values["log"], bool) or not (is_int(values["lag"]) and values["lag"] >= 0):
        raise Corrupt(f"{where}: log {short(values['log'])} or lag {short(values['lag'])} is invalid")
    for k in ("mu", "sd", "past_mu", "past_sd", "future_mu", "future_sd"):
        a = values[k]
        if a is None and k not in ("mu", "sd"):
            continue
        if not (isinstance(a, np.ndarray) and a.dtype == np.float64 and a.ndim == 1 and np.isfinite(a).all()):
            raise Corrupt(f"{where}.{k} is not a finite 1-D float64 array")
        if k.endswith("sd") and not (a > 0).all():
            raise Corrupt(f"{where}.{k} has a non-positive standard deviation")
    for a, b in (("mu", "sd"), ("past_mu", "past_sd"), ("future_mu", "future_sd")):
        if (values[a] is None) != (values[b] is None) or (values[a] is not None
                                                          and values[a].shape != values[b].shape):
            raise Corrupt(f"{where}: {a} and {b} do not match")
    return Scaling(**values)


def _series(reader, spec, where):
    keys(spec, ["series"], where=where)
    s = spec["series"]
    required = ["kind_in", "names", "labelled", "values", "index", "cov"]
    keys(s, required, ["fcov", "cov_names", "fcov_names", "panel_columns"], where)
    if s["kind_in"] not in KINDS_IN:
        raise Corrupt(f"{where}: the input kind {short(s['kind_in'])} is not one of {KINDS_IN}")
    if not (isinstance(s["values"], list) and s["values"] and isinstance(s["index"], list)):
        raise Corrupt(f"{where}: the values and indexes are not non-empty lists")
    n = len(s["values"])
    names = from_json(s["names"], f"{where}.names")
    labelled = s["labelled"]
    if not (isinstance(names, list) and len(names) == n and isinstance(labelled, list) and len(labelled) == n
            and all(isinstance(b, bool) for b in labelled) and len(s["index"]) == n):
        raise Corrupt(f"{where}: {n} series need {n} names, indexes and labelled flags")
    out = Series.__new__(Series)
    out.kind_in, out.names, out.labelled = s["kind_in"], names, labelled
    out.values, out.index, out.freq = [], [], []
    for i, (vspec, ispec) in enumerate(zip(s["values"], s["index"], strict=True)):
        v = reader.decode(vspec, f"{where}.values[{i}]")
        if not (isinstance(v, np.ndarray) and v.dtype == np.float64 and v.ndim == 1 and v.size
                and np.isfinite(v).all()):
            raise Corrupt(f"{where}.values[{i}] is not a non-empty finite 1-D float64 array")
        index = _index(ispec, len(v), f"{where}.index[{i}]")
        out.values.append(v)
        out.index.append(index)
        out.freq.append(check_index(index))
    out.cov, out.cov_index = None, None
    if s["cov"] is not None:
        out.cov = _series(reader, s["cov"], f"{where}.cov")
        cov_names = from_json(s.get("cov_names"), f"{where}.cov_names")
        if not (isinstance(cov_names, list) and len(cov_names) == len(out.cov.values)):
            raise Corrupt(f"{where}: the covariates' names do not match their {len(out.cov.values)} columns")
        if any(len(c) != len(out.values[0]) for c in out.cov.values):
            raise Corrupt(f"{where}: the covariates are not as long as the series")
        out.cov_names = cov_names
    elif "cov_names" in s:
        raise Corrupt(f"{where}: covariate names without covariates")
    if "fcov" in s:
        fcov = None if s["fcov"] is None else reader.decode(s["fcov"], f"{where}.fcov")
        fnames = from_json(s.get("fcov_names"), f"{where}.fcov_names")
        if fcov is not None:
            if not (isinstance(fcov, np.ndarray) and fcov.dtype == np.float64 and fcov.ndim == 2
                    and len(fcov) == len(out.values[0]) and np.isfinite(fcov).all()):
                raise Corrupt(f"{where}.fcov is not a finite float64 array of one row per observation")
            if not (isinstance(fnames, list) and len(fnames) == fcov.shape[1]):
                raise Corrupt(f"{where}: the future covariates' names do not match their {fcov.shape[1]} columns")
        out.fcov, out.fcov_names = fcov, fnames
    if "panel_columns" in s:
        cols = from_json(s["panel_columns"], f"{where}.panel_columns")
        if cols is not None and not (isinstance(cols, tuple) and len(cols) == 3):
            raise Corrupt(f"{where}: the panel columns {short(cols)} are not (id, time, value)")
        out.panel_columns = cols
    return out


def _index(spec, n, where):
    """The pandas index described by ``spec``, of length ``n``."""
    import pandas as pd

    if not isinstance(spec, dict):
        raise Corrupt(f"{where}: {short(spec)} is not an index description")
    kind = spec.get("kind")
    extra = {"datetime": ["tz", "unit"], "period": [], "integer": []}.get(kind)
    if extra is None:
        raise Corrupt(f"{where}: the index kind {short(kind)} is not datetime, period or integer")
    keys(spec, ["kind", "length", "name", "start", "freq", *extra], where=where)
    if spec["length"] != n:
        raise Corrupt(f"{where}: the index has length {short(spec['length'])} but its series {n} values")
    name = from_json(spec["name"], f"{where}.name")
    start, freq = spec["start"], spec["freq"]
    try:
        if kind == "integer":
            if not (is_int(start) and is_int(freq) and freq > 0):
                raise Corrupt(f"{where}: an integer index needs an integer start and a positive step")
            index = pd.RangeIndex(start, start + freq * n, freq, name=name)
        else:
            if not (isinstance(start, str) and isinstance(freq, str) and len(start) < 64 and len(freq) < 32):
                raise Corrupt(f"{where}: the start {short(start)} or frequency {short(freq)} is not a "
                              "short string")
            offset = pd.tseries.frequencies.to_offset(freq)
            if kind == "period":
                index = pd.period_range(start=pd.Period(start, freq=offset), periods=n, name=name)
            else:
                tz, unit = spec["tz"], spec["unit"]
                if unit not in ("s", "ms", "us", "ns") or not (tz is None or isinstance(tz, str)):
                    raise Corrupt(f"{where}: the time unit {short(unit)} or zone {short(tz)} is invalid")
                index = pd.date_range(start=pd.Timestamp(start), periods=n, freq=offset, tz=tz, unit=unit,
                                      name=name)
    except Corrupt:
        raise
    except (ValueError, TypeError, OverflowError, KeyError, AttributeError) as e:
        raise Corrupt(f"{where}: the index cannot be rebuilt ({type(e).__name__}: {e})") from None
    if len(index) != n:
        raise Corrupt(f"{where}: the index has {len(index)} labels but its series {n} values")
    return index
