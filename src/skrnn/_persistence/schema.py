"""What a valid file holds, estimator by estimator, checked before any estimator is built.

* Parameters: only the names of the class's ``__init__`` (missing ones take their defaults, as in a file
  written before a parameter existed), each valid under the class's ``_parameter_constraints``.
* Fitted attributes: none (an unfitted estimator), or every attribute its kind of fit sets (the
  ``required`` sets below; a few others are optional), each of the type listed in ``ATTRIBUTES``; no other.
* Consistency: the weight vector's size and dtype against the architecture, finite weights, the optimiser's
  moments against the weights, the input layout against the network's inputs, ``classes_`` against the
  head (sorted, unique, one per output), target scaling per output, the text vocabulary against its codes,
  the series face's scaling against its series.

**Every fitted attribute an estimator sets must be listed here**: ``save`` checks what it writes against
this schema too, so a new attribute fails at ``save`` (and in the round-trip tests) with its name.
"""

from dataclasses import replace

import numpy as np

from .._compat import InvalidParameterError, validate_parameter_constraints
from .._forecasting.mimo import NORMALIZATIONS
from .._forecasting.series import Series
from .._forecasting.transforms import Scaling
from .._nn.encoder_decoder import EncoderDecoder
from .._nn.optim import SGD, Adam
from .._nn.params import GATES, Architecture, Layout
from .codec import ACTIVATIONS
from .container import Corrupt
from .values import is_int, is_real, short

BOS, UNK = "<bos>", "<unk>"  # as in skrnn._text (importing it here would import the estimators)


# ------------------------------------------------------------- value checks
def _int(lo):
    return lambda v: None if is_int(v) and v >= lo else f"is {short(v)}; expected an integer >= {lo}"


def _patch_sizes(v):
    """``patch_size_``: an int >= 1, or a tuple of them (one per network of an ensemble)."""
    if is_int(v) and v >= 1 or isinstance(v, tuple) and len(v) >= 2 and all(is_int(p) and p >= 1 for p in v):
        return None
    return f"is {short(v)}; expected an integer >= 1 or a tuple of them (one per network)"


def _bool(v):
    return None if isinstance(v, bool) else f"is {short(v)}; expected True or False"


def _one_of(*options):
    return lambda v: None if isinstance(v, str) and v in options else f"is {short(v)}; expected one of {options}"


def _real(v):
    return None if is_real(v) else f"is {short(v)}; expected a number"


def _reals(v):
    return None if isinstance(v, list) and all(is_real(x) for x in v) else f"is {short(v)}; expected a list of numbers"


def _none_or(check):
    return lambda v: None if v is None else check(v)


def _instance(*classes):
    names = " or ".join(c.__name__ for c in classes)
    return lambda v: None if type(v) in classes else f"is a {type(v).__name__}; expected a {names}"


def _float_array(positive=False, dtypes=(np.float64,)):
    def check(v):
        if not isinstance(v, np.ndarray) or v.dtype not in dtypes or v.ndim != 1:
            got = f"an array of dtype {v.dtype} and shape {v.shape}" if isinstance(v, np.ndarray) else short(v)
            return f"is {got}; expected a 1-D array of {' or '.join(str(np.dtype(d)) for d in dtypes)}"
        if not np.isfinite(v).all():
            return "contains NaN or infinity"
        if positive and not (v > 0).all():
            return "has an entry <= 0; expected positive scales"
        return None

    return check


def _str_array(v):
    if not (isinstance(v, np.ndarray) and v.dtype == object and v.ndim == 1 and all(isinstance(s, str) for s in v)):
        return f"is {short(v)}; expected a 1-D array of str"
    return None


def _labels(v):
    if not isinstance(v, np.ndarray) or v.ndim != 1 or v.dtype.kind not in "biufUSO":
        return f"is {short(v)}; expected a 1-D array of labels"
    if v.dtype.kind == "O" and not all(isinstance(s, str) for s in v):
        return "holds objects that are not str"
    return None


def _calibration(v):
    if not (isinstance(v, list) and v):
        return f"is {short(v)}; expected a list of arrays"
    for e in v:
        if not (isinstance(e, np.ndarray) and e.dtype == np.float64 and e.ndim == 1 and e.size
                and np.isfinite(e).all() and (e >= 0).all() and (np.diff(e) >= 0).all()):
            return "holds an entry that is not a sorted non-empty array of finite non-negative errors"
    return None


def _members(v):
    norms = NORMALIZATIONS
    if not (isinstance(v, list) and v and all(isinstance(m, list) and len(m) == 2 and is_int(m[0])
                                               and 1 <= m[0] <= 1_000_000 and m[1] in norms for m in v)):
        return f"is {short(v)}; expected a non-empty list of [window length, normalisation in {norms}]"
    return None


def _config(v):
    fields = ("cell", "n_features", "n_outputs", "hidden_size", "num_layers", "activation", "decoder_input",
              "n_steps")
    if not isinstance(v, dict) or set(v) != set(fields):
        return f"is {short(v)}; expected an encoder-decoder configuration with keys {list(fields)}"
    sizes = ("n_features", "n_outputs", "hidden_size", "num_layers")
    if (v["cell"] not in GATES or v["activation"] not in ACTIVATIONS or v["decoder_input"] not in ("feedback", "step")
            or not all(is_int(v[k]) and 1 <= v[k] <= 1_000_000 for k in sizes)
            or (v["decoder_input"] == "step") != (is_int(v["n_steps"]) and 1 <= v["n_steps"] <= 1_000_000)
            or (v["decoder_input"] == "feedback" and v["n_steps"] is not None)):
        return f"is {short(v)}; a field is out of range"
    return None


HISTORY = {"n_iter_": _int(0), "t_": _int(0), "loss_": _none_or(_real), "loss_curve_": _reals,
           "grad_norm_curve_": _reals, "clip_rate_curve_": _reals, "best_loss_": _none_or(_real),
           "_no_improvement_count": _int(0), "learning_rate_curve_": _reals}
VALIDATION = {"validation_loss_curve_": _none_or(_reals), "validation_scores_": _none_or(_reals),
              "best_validation_score_": _none_or(_real)}
NETWORK = {"n_features_in_": _int(1), "feature_names_in_": _str_array, "_input_layout": _one_of("2d", "3d", "list"),
           "_random_state": _instance(np.random.RandomState), "_flat": _float_array(dtypes=(np.float32, np.float64)),
           "_optimizer": _none_or(_instance(Adam, SGD)), "n_outputs_": _int(1)}
TARGETS = {"_y_1d": _bool, "_y_mean": _float_array(), "_y_scale": _float_array(positive=True)}
INPUTS = {"_x_mean": _none_or(_float_array()), "_x_scale": _none_or(_float_array(positive=True)),  # scale_input
          "scale_input_": _one_of("none", "global", "sequence"), "_x_floor": _none_or(_float_array(positive=True)),
          "patch_size_": _patch_sizes}
ENSEMBLE = {"n_estimators_": _int(1)}  # networks stacked in _flat (n_estimators)
# absent without column names / in files of skrnn 0.1.0 (whose sequence-to-sequence regressor had null
# validation curves)
# absent in files written before input scaling and patches existed (the network then reads X as it is)
# absent in files written before n_estimators existed (one network) and before the forecaster's ensemble
OPTIONAL = ({"feature_names_in_", "learning_rate_curve_", "_members", "window_", "calibration_size_"}
            | set(INPUTS) | set(ENSEMBLE))

ATTRIBUTES = {
    "RNNClassifier": {**NETWORK, **INPUTS, **ENSEMBLE, **HISTORY, **VALIDATION, "_arch": _instance(Architecture),
                      "_sequence_output": _bool, "_multilabel": _bool, "classes_": _labels,
                      "_head": _one_of("softmax", "sigmoid")},
    "RNNRegressor": {**NETWORK, **INPUTS, **ENSEMBLE, **HISTORY, **VALIDATION, **TARGETS,
                     "_arch": _instance(Architecture), "_sequence_output": _bool},
    "RNNForecaster": {**NETWORK, **INPUTS, **HISTORY, **VALIDATION, **TARGETS,
                      "_arch": _none_or(_instance(Architecture)), "_sequence_output": _bool,
                      "_series": _none_or(_instance(Series)),
                      "_config": _none_or(_config), "_scaling": _instance(Scaling), "seasonal_period_": _int(1),
                      "n_series_": _int(1), "_calibration": _none_or(_calibration),
                      # strategy='mimo' (absent in files of other strategies and of skrnn 0.1)
                      "_members": _none_or(_members), "window_": _int(1), "calibration_size_": _int(1)},
    "RNNSeq2SeqRegressor": {**NETWORK, **HISTORY, **VALIDATION, **TARGETS, "_config": _config,
                            "max_output_length_": _int(1)},
    "RNNTextGenerator": {"characters_": _str_array, "vocabulary_": _instance(dict), "_arch": _instance(Architecture),
                         "_random_state": NETWORK["_random_state"], "_flat": NETWORK["_flat"],
                         "_optimizer": NETWORK["_optimizer"],
                         **{k: HISTORY[k] for k in ("n_iter_", "loss_", "loss_curve_", "grad_norm_curve_",
                                                    "clip_rate_curve_", "learning_rate_curve_")}},
}
_COMMON = set(NETWORK) | set(HISTORY)
_WINDOW_FACE = _COMMON | set(VALIDATION) | set(TARGETS) | {"_arch", "_sequence_output", "_series"}
REQUIRED = {  # what a fit sets, by estimator (and for the forecaster, by face)
    "RNNClassifier": _COMMON | set(VALIDATION) | {"_arch", "_sequence_output", "_multilabel", "classes_", "_head"},
    "RNNRegressor": _COMMON | set(VALIDATION) | set(TARGETS) | {"_arch", "_sequence_output"},
    "RNNForecaster:window": _WINDOW_FACE,
    "RNNForecaster:series": _COMMON | set(VALIDATION) | {"_arch", "_series", "_config", "_scaling", "seasonal_period_",
                                                         "n_series_", "_calibration"},
    "RNNSeq2SeqRegressor": _COMMON | set(TARGETS) | {"_config", "max_output_length_"},
    "RNNTextGenerator": set(ATTRIBUTES["RNNTextGenerator"]),
}


# ------------------------------------------------------------------ the check
def check(cls, params, attrs):
    """Corrupt naming the first inconsistency of decoded ``params`` and ``attrs`` for estimator class ``cls``."""
    name = cls.__name__
    accepted = set(cls._get_param_names())
    for k in params:
        if k not in accepted:
            raise Corrupt(f"unknown parameter {k!r} (a {name} has {sorted(accepted)})")
    try:
        validate_parameter_constraints(cls._parameter_constraints, params, caller_name=name)
    except InvalidParameterError as e:
        raise Corrupt(f"parameter {e}") from None
    table = ATTRIBUTES[name]
    for k, v in attrs.items():
        if k not in table:
            raise Corrupt(f"unknown attribute {k!r}: a fitted {name} has no such attribute")
        problem = table[k](v)
        if problem:
            raise Corrupt(f"attribute {k} {problem}")
    if not attrs:
        return  # unfitted
    face = name
    if name == "RNNForecaster":
        face = f"{name}:{'window' if attrs.get('_series') is None else 'series'}"
    missing = sorted(REQUIRED[face] - set(attrs) - OPTIONAL)
    if missing:
        raise Corrupt(f"attribute {missing[0]} is missing (a fitted {name} has it)")
    CONSISTENCY[name](attrs)


# ------------------------------------------------------------ consistency
def _describe(arch):
    return (f"{arch.cell} of {arch.num_layers} layer(s) x {arch.hidden_size} units, {arch.n_features} input(s), "
            f"{arch.n_outputs} output(s){', bidirectional' if arch.bidirectional else ''}")


def _weights(a, size, what, members=1):
    flat = a["_flat"]
    if flat.size != size:
        raise Corrupt(f"attribute _flat has {flat.size} weights, but the architecture ({what}) has {size}"
                      + (f" ({members} networks)" if members > 1 else ""))
    opt = a["_optimizer"]
    if opt is not None:
        for k, v in vars(opt).items():
            if isinstance(v, np.ndarray) and (v.dtype != flat.dtype or v.shape != flat.shape):
                raise Corrupt(f"attribute _optimizer.{k} is {v.dtype} of shape {v.shape}, but the weights are "
                              f"{flat.dtype} of shape {flat.shape}")
            if isinstance(v, np.ndarray) and not np.isfinite(v).all():
                raise Corrupt(f"attribute _optimizer.{k} contains NaN or infinity")
        if isinstance(opt, Adam) and (opt.v < 0).any():
            raise Corrupt("attribute _optimizer.v (Adam's second moment) has a negative entry")


def _inputs(a, n_features):
    """The input layout (and patch size) against the network's input size, the input scaling and column
    names against the features."""
    layout, n_in = a["_input_layout"], a["n_features_in_"]
    per_step = 1 if layout == "2d" else n_in
    patch = a.get("patch_size_", 1)
    if isinstance(patch, tuple):  # the networks patch their own input: the architecture reads one step
        patch = 1
    mean, scale, floor = a.get("_x_mean"), a.get("_x_scale"), a.get("_x_floor")
    if (mean is None) != (scale is None):
        raise Corrupt("attributes _x_mean and _x_scale: the input scaling has one without the other")
    mode = a.get("scale_input_", "none" if mean is None else "global")  # absent in files written before 'sequence'
    if (mode == "sequence") != (floor is not None) or (mode == "none") != (mean is None):
        raise Corrupt(f"attribute scale_input_ is {mode!r}, but the input scaling has "
                      f"{'no' if mean is None else 'its'} statistics and {'no' if floor is None else 'a'} "
                      "per-sequence floor")
    if floor is not None and len(floor) != per_step:
        raise Corrupt(f"attribute _x_floor has {len(floor)} entries for {per_step} input feature(s)")
    read = 3 * per_step if mode == "sequence" else per_step  # 'sequence' appends each sequence's mean and log std
    if n_features != read * patch:
        raise Corrupt(f"attribute n_features_in_ is {n_in} with {layout} input{f' in patches of {patch}' * (patch > 1)}"
                      f"{' scaled per sequence' * (mode == 'sequence')}, so the network reads {read * patch} "
                      f"feature(s) per step; its architecture reads {n_features}")
    names = a.get("feature_names_in_")
    if names is not None and len(names) != n_in:
        raise Corrupt(f"attribute feature_names_in_ has {len(names)} names for {n_in} features")
    if mean is not None and not (len(mean) == len(scale) == read):
        raise Corrupt(f"attributes _x_mean and _x_scale have {len(mean)} and {len(scale)} entries for {read} "
                      "input feature(s)")


def _targets(a, n_outputs):
    for k in ("_y_mean", "_y_scale"):
        if len(a[k]) != n_outputs:
            raise Corrupt(f"attribute {k} has {len(a[k])} entries for {n_outputs} output(s)")
    if a["_y_1d"] and n_outputs != 1:
        raise Corrupt(f"attribute _y_1d says one output, but the model has {n_outputs}")


def _network(a):
    arch = a["_arch"]
    # an ensemble keeps its networks' weights one after the other: the forecaster's members, or the
    # classifier's and regressor's n_estimators_ networks
    n = len(a["_members"]) if a.get("_members") else a.get("n_estimators_", 1)
    patches = a.get("patch_size_", 1)
    if isinstance(patches, tuple):  # networks reading patches of different sizes
        if len(patches) != n:
            raise Corrupt(f"attribute patch_size_ has {len(patches)} patch sizes for {n} network(s)")
        size = sum(Layout(replace(arch, n_features=arch.n_features * p)).size for p in patches)
    else:
        size = n * Layout(arch).size
    _weights(a, size, _describe(arch), n)
    _inputs(a, arch.n_features)
    if a["n_outputs_"] != arch.n_outputs:
        raise Corrupt(f"attribute n_outputs_ is {a['n_outputs_']}, but the network has {arch.n_outputs} outputs")


def _classifier(a):
    _network(a)
    classes, multilabel = a["classes_"], a["_multilabel"]
    if a["_head"] != ("sigmoid" if multilabel else "softmax"):
        raise Corrupt(f"attribute _head is {a['_head']!r}, which a {'multilabel' if multilabel else 'multiclass'} "
                      "classifier does not use")
    if len(classes) != a["n_outputs_"]:
        raise Corrupt(f"attribute classes_ has {len(classes)} labels, but the head has {a['n_outputs_']} outputs")
    if multilabel:
        if not (classes.dtype.kind in "iu" and np.array_equal(classes, np.arange(len(classes)))):
            raise Corrupt("attribute classes_ of a multilabel classifier is not 0, 1, ..., n_labels - 1")
    elif len(classes) < 2 or not np.array_equal(np.unique(classes), classes):
        raise Corrupt(f"attribute classes_ {short(classes.tolist())} is not sorted and unique with at least 2 "
                      "labels (predictions would name the wrong classes)")


def _regressor(a):
    _network(a)
    _targets(a, a["n_outputs_"])


def _forecaster(a):
    S = a.get("_series")
    if S is None:
        if a.get("_config") is not None:
            raise Corrupt("attribute _config is set, but a window-face forecaster has a plain network")
        return _regressor(a)
    config, arch = a["_config"], a["_arch"]
    if (config is None) == (arch is None):
        raise Corrupt("attributes _arch and _config: a series-face forecaster has exactly one of them")
    if config is not None:
        if config["decoder_input"] != "step":
            raise Corrupt("attribute _config: a seq2seq forecaster's decoder reads step codes")
        _weights(a, EncoderDecoder.from_config(config).size, f"encoder-decoder {short(config, 200)}")
        _inputs(a, config["n_features"])
        if a["n_outputs_"] != config["n_steps"]:
            raise Corrupt(f"attribute n_outputs_ is {a['n_outputs_']}, but the decoder has {config['n_steps']} steps")
    else:
        _network(a)
    if a.get("_members") is not None:
        if a["_config"] is not None or a["_arch"].n_features != 1:
            raise Corrupt("attribute _members: an ensemble's networks read the series alone (one input)")
        if a.get("window_") != max(m[0] for m in a["_members"]):
            raise Corrupt(f"attribute window_ is {short(a.get('window_'))}, but the members' longest window is "
                          f"{max(m[0] for m in a['_members'])}")
        season = [m[0] for m in a["_members"] if m[1] == "season"]
        if season and not 1 < a.get("seasonal_period_", 1) <= min(season):
            raise Corrupt(f"attribute _members: 'season' members need 1 < seasonal_period_ <= their window, but "
                          f"seasonal_period_ is {short(a.get('seasonal_period_'))} and the shortest window "
                          f"{min(season)}")
    if a["n_series_"] != len(S.values):
        raise Corrupt(f"attribute n_series_ is {a['n_series_']}, but the training series are {len(S.values)}")
    sc = a["_scaling"]
    if sc.mu.shape != (len(S.values),):
        raise Corrupt(f"attribute _scaling has {len(sc.mu)} series' moments for {len(S.values)} series")
    n_past = 0 if S.cov is None else len(S.cov.values)
    n_future = 0 if S.fcov is None else S.fcov.shape[1]
    for what, moments, n in (("past", sc.past_mu, n_past), ("future", sc.future_mu, n_future)):
        if (moments is None and n) or (moments is not None and len(moments) != n):
            raise Corrupt(f"attribute _scaling's {what} covariate moments do not match the {n} {what} covariate(s)")


def _seq2seq(a):
    config = a["_config"]
    if config["decoder_input"] != "feedback":
        raise Corrupt("attribute _config: a sequence-to-sequence regressor's decoder reads its own outputs")
    _weights(a, EncoderDecoder.from_config(config).size, f"encoder-decoder {short(config, 200)}")
    _inputs(a, config["n_features"])
    if a["n_outputs_"] != config["n_outputs"]:
        raise Corrupt(f"attribute n_outputs_ is {a['n_outputs_']}, but the decoder has {config['n_outputs']} outputs")
    _targets(a, a["n_outputs_"])


def _text(a):
    chars, vocab, arch = a["characters_"], a["vocabulary_"], a["_arch"]
    V = len(chars)
    if V < 3 or list(chars[:2]) != [BOS, UNK]:
        raise Corrupt(f"attribute characters_ must start with {BOS!r}, {UNK!r} and hold at least one character")
    known = list(chars[2:])
    if not all(len(c) == 1 for c in known) or known != sorted(set(known)):
        raise Corrupt("attribute characters_ does not hold sorted, distinct single characters after the codes")
    if vocab != {c: i + 2 for i, c in enumerate(known)}:
        raise Corrupt("attribute vocabulary_ does not map each character of characters_ to its code")
    if arch.n_features != V or arch.n_outputs != V or arch.bidirectional:
        raise Corrupt(f"attribute _arch ({_describe(arch)}) does not read and predict the {V} codes of the "
                      "vocabulary one way")
    _weights(a, Layout(arch).size, _describe(arch))


CONSISTENCY = {"RNNClassifier": _classifier, "RNNRegressor": _regressor, "RNNForecaster": _forecaster,
               "RNNSeq2SeqRegressor": _seq2seq, "RNNTextGenerator": _text}


# --------------------------------------------------------- older layouts
def upgrade_version_1(attrs):
    """Attribute specs of format version 1 (skrnn 0.1.0) in today's names: the window face's
    ``_s2s_config`` (always null there) is gone, and an encoder-decoder config was a tuple."""
    attrs = dict(attrs)
    if attrs.get("_s2s_config") == {"json": None}:
        del attrs["_s2s_config"]
    config = attrs.get("_config")
    if isinstance(config, dict) and isinstance(config.get("json"), dict) and "__tuple__" in config["json"]:
        names = ["cell", "n_features", "n_outputs", "hidden_size", "num_layers", "activation", "decoder_input",
                 "n_steps"]
        values = config["json"]["__tuple__"]
        if isinstance(values, list) and 6 <= len(values) <= 8:
            full = dict(zip(names, values + ["feedback", None][len(values) - 6:], strict=True))
            attrs["_config"] = {"json": {"__dict__": [[k, v] for k, v in full.items()]}}
    return attrs
