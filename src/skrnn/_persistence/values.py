"""The JSON half of the file: plain values with tuples and non-string-keyed dicts tagged, decoded strictly,
and the small checks every decoder shares."""

from numbers import Real

import numpy as np

from .container import Corrupt


def short(value, n=80):
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


def to_json(value, where):
    """Plain JSON, with tuples and dicts tagged (dict keys need not be strings)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic) and value.ndim == 0 and value.dtype.kind in "biuf":
        value = value.item()
    if isinstance(value, (int, float)):
        return value  # json writes floats with repr (exact) and inf/nan as Infinity/NaN
    if isinstance(value, list):
        return [to_json(v, where) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(v, where) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[to_json(k, where), to_json(v, where)] for k, v in value.items()]}
    raise TypeError(
        f"{where} is a {type(value).__name__}, which the safe format cannot store. Keep this model with pickle or "
        "joblib instead (and load such files only from sources you trust)."
    )


def from_json(value, where):
    """The value of a :func:`to_json` document; Corrupt for any other JSON structure."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [from_json(v, where) for v in value]
    if isinstance(value, dict) and set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
        return tuple(from_json(v, where) for v in value["__tuple__"])
    if isinstance(value, dict) and set(value) == {"__dict__"} and isinstance(value["__dict__"], list):
        out = {}
        for pair in value["__dict__"]:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise Corrupt(f"{where}: a dict entry {short(pair)} is not a [key, value] pair")
            key = from_json(pair[0], where)
            key = tuple(key) if isinstance(key, list) else key
            try:
                hash(key)
            except TypeError:
                raise Corrupt(f"{where}: a dict key {short(key)} is not hashable") from None
            if key in out:
                raise Corrupt(f"{where}: the dict key {short(key)} appears twice")
            out[key] = from_json(pair[1], where)
        return out
    raise Corrupt(f"{where}: {short(value)} is not a value skrnn writes")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_real(v):
    return isinstance(v, Real) and not isinstance(v, bool)


def keys(spec, required, optional=(), where=""):
    if not isinstance(spec, dict):
        raise Corrupt(f"{where}: {short(spec)} is not an entry skrnn writes")
    keys = set(spec)
    if not set(required) <= keys or not keys <= set(required) | set(optional):
        allowed = sorted(set(required) | set(optional))
        raise Corrupt(f"{where}: the entry has keys {sorted(keys)}; expected {allowed}")
