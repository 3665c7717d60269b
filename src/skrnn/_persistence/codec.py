"""Values to and from the file's JSON document and arrays.

:func:`encode` describes one attribute (or parameter) as a JSON *spec*, putting its arrays aside; a
:class:`Reader` turns a spec back into a value, strictly: each spec has one of the shapes below, with
exactly these keys and JSON types, or :class:`~skrnn._persistence.container.Corrupt` says which part is
not. Objects are only ever rebuilt from classes named here (never looked up by a name from the file beyond
these tables), so a file can construct nothing else.

=================================================  =================================================
``{"json": value}``                                 plain JSON; tuples ``{"__tuple__": [...]}``, dicts
                                                    ``{"__dict__": [[key, value], ...]}``
``{"array": name}`` (``"object": true``)            an array member (an object array of str)
``{"random_state": [kind, pos, has_gauss, gauss],   a ``np.random.RandomState``, its key in ``name``
"array": name}``
``{"architecture": {"__dict__": [...]}}``           an :class:`~skrnn._nn.params.Architecture`
``{"optimizer": "Adam", "state": {k: spec}}``       an optimiser and its moments
``{"array_list": [name, ...]}``                     a list of arrays
``{"schedule": "Step", "params": {k: json}}``       a learning-rate schedule of :mod:`skrnn.schedules`
``{"scaling": {...}}``, ``{"series": {...}}``       the series face's state (:mod:`.series_state`)
=================================================  =================================================
"""

import dataclasses
import inspect

import numpy as np

from .._nn.optim import SGD, Adam
from .._nn.params import GATES, Architecture
from .._nn.pooling import POOLINGS
from .._nn.schedules import SCHEDULES
from . import series_state
from .container import Corrupt
from .values import from_json, is_int, is_real, keys, short, to_json

OPTIMIZERS = {"Adam": Adam, "SGD": SGD}
# the attributes of each optimiser: True for an array (a moment of every parameter), False for a number
OPTIMIZER_FIELDS = {name: {k: isinstance(v, np.ndarray) for k, v in vars(cls(1, np.float64)).items()}
                    for name, cls in OPTIMIZERS.items()}
SCHEDULE_CLASSES = {cls.__name__: cls for cls in SCHEDULES.values()}
ARCHITECTURE_FIELDS = {f.name: f for f in dataclasses.fields(Architecture)}
ACTIVATIONS = ("tanh", "relu")


# -------------------------------------------------------------------- encoding
def encode(name, value, arrays):
    """The JSON spec of ``value`` (attribute or parameter ``name``); its arrays go into ``arrays``."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufUS":
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
        return {"architecture": to_json(dict(vars(value)), name)}
    if type(value) in OPTIMIZERS.values():
        state = {}
        for k, v in vars(value).items():
            state[k] = encode(f"{name}.{k}", v, arrays) if isinstance(v, np.ndarray) else {"json": to_json(v, k)}
        return {"optimizer": type(value).__name__, "state": state}
    if type(value) in SCHEDULE_CLASSES.values():
        return {"schedule": type(value).__name__, "params": {k: to_json(v, f"{name}.{k}") for k, v in
                                                             vars(value).items()}}
    if isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
        for i, v in enumerate(value):
            encode(f"{name}.{i}", v, arrays)
        return {"array_list": [f"{name}.{i}" for i in range(len(value))]}
    special = series_state.encode(name, value, arrays)
    if special is not None:
        return special
    return {"json": to_json(value, f"attribute {name}")}


# -------------------------------------------------------------------- decoding
class Reader:
    """Decodes specs against the file's arrays, remembering which arrays were used."""

    def __init__(self, arrays):
        self.arrays, self.used = arrays, set()

    def decode(self, spec, where):
        if not isinstance(spec, dict) or not spec:
            raise Corrupt(f"{where}: {short(spec)} is not an entry skrnn writes")
        for tag, method in (("json", self._json), ("random_state", self._random_state),
                            ("architecture", self._architecture), ("optimizer", self._optimizer),
                            ("array_list", self._array_list), ("schedule", self._schedule),
                            ("scaling", self._special), ("series", self._special), ("array", self.array)):
            if tag in spec:
                return method(spec, where)
        raise Corrupt(f"{where}: the entry {short(spec)} names no kind of value skrnn writes")

    def _json(self, spec, where):
        keys(spec, ["json"], where=where)
        return from_json(spec["json"], where)

    def array(self, spec, where):
        keys(spec, ["array"], ["object"], where)
        name = spec["array"]
        if not isinstance(name, str):
            raise Corrupt(f"{where}: the array name {short(name)} is not a string")
        if name not in self.arrays:
            raise Corrupt(f"{where} refers to the array {name!r}, which the file does not hold")
        self.used.add(name)
        a = self.arrays[name]
        if "object" in spec:
            if spec["object"] is not True or a.dtype.kind != "U":
                raise Corrupt(f"{where}: only a unicode array is stored for an object array of str")
            return a.astype(object)
        return a

    def _random_state(self, spec, where):
        keys(spec, ["random_state", "array"], where=where)
        state = spec["random_state"]
        if not (isinstance(state, list) and len(state) == 4):
            raise Corrupt(f"{where}: the random state {short(state)} is not [kind, pos, has_gauss, gauss]")
        kind, pos, has_gauss, gauss = state
        key = self.array({"array": spec["array"]}, where)
        if kind != "MT19937" or key.dtype != np.uint32 or key.shape != (624,):
            raise Corrupt(f"{where}: a MT19937 random state needs a key of 624 uint32; got {kind!r} with "
                          f"{key.dtype} {key.shape}")
        if not (is_int(pos) and 0 <= pos <= 624 and has_gauss in (0, 1) and is_int(has_gauss)
                and is_real(gauss) and np.isfinite(gauss)):
            raise Corrupt(f"{where}: the random state's position {short(pos)}, has_gauss {short(has_gauss)} or "
                          f"gauss {short(gauss)} is out of range")
        if not key.any():
            raise Corrupt(f"{where}: the random state's key is all zeros")
        rng = np.random.RandomState()
        rng.set_state((kind, key, pos, has_gauss, float(gauss)))
        return rng

    def _architecture(self, spec, where):
        keys(spec, ["architecture"], where=where)
        fields = from_json(spec["architecture"], where)
        if not isinstance(fields, dict):
            raise Corrupt(f"{where}: the architecture is not a dict of fields")
        unknown = sorted(set(fields) - set(ARCHITECTURE_FIELDS), key=str)
        if unknown:
            raise Corrupt(f"{where}: unknown architecture field {unknown[0]!r}")
        missing = [k for k, f in ARCHITECTURE_FIELDS.items() if k not in fields
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise Corrupt(f"{where}: the architecture lacks {missing[0]!r}")
        checks = {"cell": lambda v: v in GATES, "activation": lambda v: v in ACTIVATIONS,
                  "pooling": lambda v: v in POOLINGS,
                  "bidirectional": lambda v: isinstance(v, bool),
                  **{k: lambda v: is_int(v) and 1 <= v <= 1_000_000
                     for k in ("n_features", "hidden_size", "n_outputs", "num_layers")}}
        for k, v in fields.items():
            ok = checks.get(k, lambda v: v is None or isinstance(v, (bool, int, float, str)))
            if not ok(v):
                raise Corrupt(f"{where}: the architecture's {k} {short(v)} is out of range")
        return Architecture(**fields)

    def _optimizer(self, spec, where):
        keys(spec, ["optimizer", "state"], where=where)
        name, state = spec["optimizer"], spec["state"]
        if name not in OPTIMIZERS:
            raise Corrupt(f"{where}: unknown optimiser {short(name)} (skrnn's are {sorted(OPTIMIZERS)})")
        fields = OPTIMIZER_FIELDS[name]
        if not isinstance(state, dict) or set(state) != set(fields):
            got = sorted(state) if isinstance(state, dict) else short(state)
            raise Corrupt(f"{where}: the {name} state has fields {got}; expected {sorted(fields)}")
        opt = object.__new__(OPTIMIZERS[name])
        for k, is_array in fields.items():
            v = self.decode(state[k], f"{where}.{k}")
            if is_array != isinstance(v, np.ndarray) or not (is_array or is_real(v) or isinstance(v, bool)):
                raise Corrupt(f"{where}.{k} is {short(v)}; expected {'an array' if is_array else 'a number'}")
            if not is_array and not isinstance(v, bool) and not np.isfinite(v):
                raise Corrupt(f"{where}.{k} is {v}")
            setattr(opt, k, v)
        if not (is_int(opt.t) and opt.t >= 0):
            raise Corrupt(f"{where}: the step count t {short(opt.t)} is not a non-negative integer")
        return opt

    def _array_list(self, spec, where):
        keys(spec, ["array_list"], where=where)
        names = spec["array_list"]
        if not isinstance(names, list) or not names:
            raise Corrupt(f"{where}: the array list {short(names)} is not a non-empty list of names")
        return [self.array({"array": n}, f"{where}[{i}]") for i, n in enumerate(names)]

    def _schedule(self, spec, where):
        keys(spec, ["schedule", "params"], where=where)
        name, params = spec["schedule"], spec["params"]
        if name not in SCHEDULE_CLASSES:
            raise Corrupt(f"{where}: unknown schedule {short(name)} (skrnn's are {sorted(SCHEDULE_CLASSES)})")
        cls = SCHEDULE_CLASSES[name]
        accepted = set(inspect.signature(cls).parameters)
        if not isinstance(params, dict) or not set(params) <= accepted:
            raise Corrupt(f"{where}: the {name} schedule's parameters {short(params)} are not among {sorted(accepted)}")
        values = {k: from_json(v, f"{where}.{k}") for k, v in params.items()}
        if not all(v is None or is_real(v) for v in values.values()):
            raise Corrupt(f"{where}: the {name} schedule's parameters {short(values)} are not numbers")
        return cls(**values)

    def _special(self, spec, where):
        return series_state.decode(self, spec, where)
