"""A safe file format for fitted estimators: ``est.save(path)`` and
:func:`skrnn.load`.

pickle (and joblib, which uses it) runs code while loading: unpickling a file
can call any importable function, so a pickle from an untrusted source can do
anything the user can.  The format here cannot: it is one NumPy ``.npz``
archive, read with ``np.load(allow_pickle=False)``, holding

* ``__skrnn__``: a JSON document (a 0-d unicode array) with the format
  version, the skrnn version, the estimator class (looked up among skrnn's own
  estimators, never imported by name), ``get_params()`` and every fitted
  attribute that is a number, string, list, dict or ``None``;
* one array per fitted array attribute (weights, ``classes_``, scaling,
  ``feature_names_in_``, optimiser moments, the random generator's key).

Loading rebuilds the estimator and its fitted state exactly: predictions are
bitwise equal and ``partial_fit`` continues as it would have in the saving
process.  An attribute of any other type (for instance the pandas index kept
by :class:`RNNForecaster`'s series face) cannot be stored safely; ``save``
then raises ``TypeError`` and pickle is the way to keep such a model.
"""

import json
import warnings

import numpy as np

from ._callbacks import TRANSIENT_ATTRIBUTES
from ._nn.optim import SGD, Adam
from ._nn.params import Architecture

FORMAT = "skrnn-estimator"
FORMAT_VERSION = 1
_META = "__skrnn__"
_OPTIMIZERS = {"Adam": Adam, "SGD": SGD}


def _version():
    from ._version import __version__

    return __version__


_CLASSES = {}


def register(cls):
    """Make ``cls`` loadable by name: only skrnn's own public estimators register (every subclass of
    :class:`skrnn._base.DeclaredParametersMixin` defined inside the package), so a file can name no other class."""
    if cls.__module__.split(".")[0] == "skrnn":
        _CLASSES[cls.__name__] = cls


def _estimator_classes():
    return dict(_CLASSES)  # complete: importing any skrnn module first imports the package, hence every estimator


# ---------------------------------------------------------------- JSON values
def _to_json(value, where):
    """Plain JSON, with tuples and non-string-keyed dicts tagged."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic) and value.ndim == 0 and value.dtype.kind in "biuf":
        value = value.item()
    if isinstance(value, (int, float)):
        return value  # json writes floats with repr (exact) and inf/nan as Infinity/NaN
    if isinstance(value, list):
        return [_to_json(v, where) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v, where) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[_to_json(k, where), _to_json(v, where)] for k, v in value.items()]}
    raise TypeError(
        f"{where} is a {type(value).__name__}, which the safe format cannot store. Keep this model with pickle or "
        "joblib instead (and load such files only from sources you trust)."
    )


def _from_json(value):
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_from_json(v) for v in value["__tuple__"])
        return {_hashable(_from_json(k)): _from_json(v) for k, v in value["__dict__"]}
    return value


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


# ------------------------------------------------------------------- attributes
def _encode(name, value, arrays):
    """A JSON description of attribute ``name``; its arrays go into ``arrays``."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufcUS":
            arrays[name] = value
            return {"array": name}
        if value.dtype.kind == "O" and all(isinstance(v, str) for v in value.ravel()):
            arrays[name] = value.astype(str)
            return {"array": name, "object": True}
        raise TypeError(f"attribute {name} is an array of dtype {value.dtype}, which the safe format cannot store; "
                        "use pickle or joblib (trusted files only).")
    if isinstance(value, np.random.RandomState):
        kind, key, pos, has_gauss, gauss = value.get_state()
        arrays[name] = key
        return {"random_state": [kind, int(pos), int(has_gauss), float(gauss)], "array": name}
    if isinstance(value, Architecture):
        return {"architecture": _to_json(dict(vars(value)), name)}
    if type(value).__name__ in _OPTIMIZERS and isinstance(value, tuple(_OPTIMIZERS.values())):
        state = {}
        for k, v in vars(value).items():
            if isinstance(v, np.ndarray):
                arrays[f"{name}.{k}"] = v
                state[k] = {"array": f"{name}.{k}"}
            else:
                state[k] = {"json": _to_json(v, f"{name}.{k}")}
        return {"optimizer": type(value).__name__, "state": state}
    if isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
        for i, v in enumerate(value):
            _encode(f"{name}.{i}", v, arrays)
        return {"array_list": [f"{name}.{i}" for i in range(len(value))]}
    return {"json": _to_json(value, f"attribute {name}")}


def _decode(spec, arrays):
    if "json" in spec:
        return _from_json(spec["json"])
    if "random_state" in spec:
        kind, pos, has_gauss, gauss = spec["random_state"]
        rng = np.random.RandomState()
        rng.set_state((kind, arrays[spec["array"]], pos, has_gauss, gauss))
        return rng
    if "architecture" in spec:
        return Architecture(**_from_json(spec["architecture"]))
    if "optimizer" in spec:
        opt = object.__new__(_OPTIMIZERS[spec["optimizer"]])
        for k, v in spec["state"].items():
            setattr(opt, k, _decode(v, arrays))
        return opt
    if "array_list" in spec:
        return [arrays[k] for k in spec["array_list"]]
    a = arrays[spec["array"]]
    return a.astype(object) if spec.get("object") else a


# ------------------------------------------------------------------ save / load
def save(estimator, path):
    """Write ``estimator`` (fitted or not) to ``path`` in the safe format."""
    arrays = {}
    params = {k: _encode(f"param:{k}", v, arrays) for k, v in estimator.get_params(deep=False).items()}
    attrs = {k: _encode(k, v, arrays) for k, v in vars(estimator).items()
             if k not in params and k not in TRANSIENT_ATTRIBUTES}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skrnn_version": _version(),
        "class": type(estimator).__name__,
        "params": params,
        "attributes": attrs,
    }
    with open(path, "wb") as f:  # a file object, so numpy does not append ".npz" to the name
        np.savez(f, **{_META: np.array(json.dumps(meta, allow_nan=True))}, **arrays)


def load(path):
    """Load an estimator written by :meth:`save <skrnn.RNNClassifier.save>`.

    No code from the file is executed: arrays are read with
    ``np.load(allow_pickle=False)`` and the estimator class is looked up among
    skrnn's own estimators.

    Parameters
    ----------
    path : str or path-like
        File written by ``save``.

    Returns
    -------
    estimator : RNNClassifier, RNNRegressor or RNNForecaster
        The estimator, with the fitted state it was saved with.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> import skrnn
    >>> X = np.random.RandomState(0).normal(size=(20, 5))
    >>> reg = skrnn.RNNRegressor(hidden_size=4, max_iter=5, random_state=0).fit(X, X.sum(1))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skrnn")
    >>> reg.save(path)
    >>> bool((skrnn.load(path).predict(X) == reg.predict(X)).all())
    True
    """
    with np.load(path, allow_pickle=False) as data:
        if _META not in data.files:
            raise ValueError(f"{path} is not a skrnn model file (no {_META} entry); write one with estimator.save().")
        meta = json.loads(str(data[_META][()]))
        arrays = {k: data[k] for k in data.files if k != _META}
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a skrnn model file (format {meta.get('format')!r}).")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} was written in skrnn file format version {meta.get('format_version')!r} (by skrnn "
            f"{meta.get('skrnn_version')}); this skrnn {_version()} reads version {FORMAT_VERSION}. Load it with "
            "the skrnn version that wrote it, or refit and save again."
        )
    classes = _estimator_classes()
    if meta["class"] not in classes:
        raise ValueError(f"{path} holds a {meta['class']!r}, which is not a skrnn estimator ({sorted(classes)}).")
    if meta["skrnn_version"] != _version():
        warnings.warn(
            f"{path} was saved by skrnn {meta['skrnn_version']} and is loaded by skrnn {_version()}; the model may "
            "predict differently. Refit it with this version, or load it with the version that saved it.",
            UserWarning,
            stacklevel=2,
        )
    est = classes[meta["class"]](**{k: _decode(v, arrays) for k, v in meta["params"].items()})
    for name, spec in meta["attributes"].items():
        setattr(est, name, _decode(spec, arrays))
    return est
