"""A safe file format for fitted estimators: ``est.save(path)`` and :func:`skrnn.load`.

pickle (and joblib, which uses it) runs code while loading: unpickling a file can call any importable
function, so a pickle from an untrusted source can do anything the user can.  The format here cannot: it is
a zip archive of ``.npy`` members (as ``np.savez`` writes), holding

* ``__skrnn__``: a JSON document (a 0-d unicode array) with the format version, the skrnn version, the
  estimator class (looked up among skrnn's own estimators, never imported by name), ``get_params()`` and a
  description of every fitted attribute (:mod:`.codec`);
* one array per fitted array (weights, ``classes_``, scaling, ``feature_names_in_``, optimiser moments, the
  random generator's key, the series face's series);
* ``__digest__``: SHA-256 over a canonical serialisation of the document and the arrays
  (:func:`.container.digest`), which detects accidental corruption.

The digest cannot stop a deliberate edit (whoever edits can recompute it), so :func:`load` also validates
the file before building anything: the archive's structure and declared sizes (:mod:`.container`), every
value's form (:mod:`.codec`), and the estimator's schema and consistency (:mod:`.schema`).  Anything else is
one ``ValueError`` saying that the file is corrupt or was modified, naming the first inconsistency.

Format history: version 1 (skrnn 0.1.0) had no digest and no series face; its files still load, validated by
the same schema.  Version 2 adds the digest, the series face's state and schedule objects.
"""

import json
import warnings

from .._callbacks import TRANSIENT_ATTRIBUTES
from . import container, schema
from .codec import Reader, encode
from .container import DIGEST, META, Corrupt

FORMAT = "skrnn-estimator"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
_HEADER = ("format", "format_version", "skrnn_version", "class", "params", "attributes")


def _version():
    from .._version import __version__

    return __version__


_CLASSES = {}


def register(cls):
    """Make ``cls`` loadable by name: only skrnn's own public estimators register (every subclass of
    :class:`skrnn._base.DeclaredParametersMixin` defined inside the package), so a file can name no other class."""
    if cls.__module__.split(".")[0] == "skrnn":
        _CLASSES[cls.__name__] = cls


def _estimator_classes():
    return dict(_CLASSES)  # complete: importing any skrnn module first imports the package, hence every estimator


# ------------------------------------------------------------------ save
def save(estimator, path):
    """Write ``estimator`` (fitted or not) to ``path`` in the safe format, after checking that the file
    would load (so that a model whose state the format cannot hold fails here, not at load)."""
    arrays = {}
    params = {k: encode(f"param:{k}", v, arrays) for k, v in estimator.get_params(deep=False).items()}
    attrs = {k: encode(k, v, arrays) for k, v in vars(estimator).items()
             if k not in params and k not in TRANSIENT_ATTRIBUTES}
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "skrnn_version": _version(),
            "class": type(estimator).__name__, "params": params, "attributes": attrs}
    text = json.dumps(meta, allow_nan=True)
    try:
        _decode(type(estimator), json.loads(text), arrays, FORMAT_VERSION)
    except Corrupt as e:
        raise ValueError(f"This {type(estimator).__name__} cannot be saved in the safe format: the file would not "
                         f"load ({e}). Refit the model; if it was fitted by skrnn as it is, please report this."
                         ) from None
    container.write(path, text, arrays, container.digest(text, arrays))


# ------------------------------------------------------------------ load
def load(path):
    """Load an estimator written by :meth:`save <skrnn.RNNClassifier.save>`.

    No code from the file is executed: arrays are read as plain numbers and
    strings (never unpickled), and the estimator class is looked up among
    skrnn's own estimators. Before anything is built the file is checked:
    the archive (no member compressed, truncated, duplicated, extra, or
    declaring more bytes than the file holds), the integrity digest, and the
    estimator's schema (known parameters with valid values, known fitted
    attributes of the right types, float32/float64 finite weights as many as
    the architecture needs, ``classes_`` matching the head, a well-formed
    optimiser and random state).

    Parameters
    ----------
    path : str or path-like
        File written by ``save``.

    Returns
    -------
    estimator : RNNClassifier, RNNRegressor, RNNForecaster, RNNSeq2SeqRegressor or RNNTextGenerator
        The estimator, with the fitted state it was saved with.

    Raises
    ------
    ValueError
        If the file is not a skrnn model file, was written in a format
        version this skrnn does not read, or is corrupt or was modified (the
        message names the first inconsistency).

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
    try:
        with container.Archive(path) as archive:
            if META not in archive.names:
                raise ValueError(f"{path} is not a skrnn model file (no {META} entry); write one with "
                                 "estimator.save().")
            text = container.read_meta_text(archive)
            meta = _parse(text)
            cls, version = _header(meta, path)
            arrays = {name: archive.read(name) for name in sorted(archive.names - {META, DIGEST})}
            stored = container.read_digest(archive)
        if version >= 2:
            if stored is None:
                raise Corrupt(f"it has no integrity digest ({DIGEST})")
            if stored != container.digest(text, arrays):
                raise Corrupt("its integrity digest does not match its content (the arrays or the JSON document "
                              "changed after it was saved)")
        elif stored is not None:
            raise Corrupt(f"format version 1 has no {DIGEST} member")
        params, attrs = _decode(cls, meta, arrays, version)
    except Corrupt as e:
        raise ValueError(f"{path} is corrupt or was modified after it was saved: {e}. Load only files you or a "
                         "source you trust saved, or save the model again.") from None
    if meta["skrnn_version"] != _version():
        warnings.warn(
            f"{path} was saved by skrnn {meta['skrnn_version']} and is loaded by skrnn {_version()}; the model may "
            "predict differently. Refit it with this version, or load it with the version that saved it.",
            UserWarning,
            stacklevel=2,
        )
    est = cls(**params)
    for name, value in attrs.items():
        setattr(est, name, value)
    return est


def _parse(text):
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise Corrupt(f"its JSON document is not valid JSON ({type(e).__name__}: {str(e)[:100]})") from None
    if not isinstance(meta, dict):
        raise Corrupt("its JSON document is not an object")
    return meta


def _header(meta, path):
    """The estimator class and format version named by the document, or a ValueError for a foreign file or
    an unreadable version, or Corrupt."""
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a skrnn model file (format {meta.get('format')!r}).")
    if meta.get("format_version") not in READABLE_VERSIONS or isinstance(meta.get("format_version"), bool):
        raise ValueError(
            f"{path} was written in skrnn file format version {meta.get('format_version')!r} (by skrnn "
            f"{meta.get('skrnn_version')}); this skrnn {_version()} reads version"
            f"{'s' if len(READABLE_VERSIONS) > 1 else ''} {', '.join(map(str, READABLE_VERSIONS))}. Load it with "
            "the skrnn version that wrote it, or refit and save again."
        )
    unknown = sorted(set(meta) - set(_HEADER))
    if unknown or set(_HEADER) - set(meta):
        raise Corrupt(f"its JSON document has the entries {sorted(meta)}; expected {list(_HEADER)}")
    classes = _estimator_classes()
    if not isinstance(meta["class"], str) or meta["class"] not in classes:
        raise ValueError(f"{path} holds a {meta['class']!r}, which is not a skrnn estimator ({sorted(classes)}).")
    if not isinstance(meta["skrnn_version"], str) or len(meta["skrnn_version"]) > 64:
        raise Corrupt("its skrnn version is not a short string")
    for k in ("params", "attributes"):
        if not isinstance(meta[k], dict):
            raise Corrupt(f"its {k} are not a JSON object")
    return classes[meta["class"]], meta["format_version"]


def _decode(cls, meta, arrays, version):
    """Decoded ``(params, attributes)`` of the document, checked against ``cls``'s schema (Corrupt if not)."""
    reader = Reader(arrays)
    specs = meta["attributes"] if version >= 2 else schema.upgrade_version_1(meta["attributes"])
    try:
        params = {}
        for k, spec in meta["params"].items():
            if not (isinstance(spec, dict) and set(spec) & {"json", "random_state", "schedule"}):
                raise Corrupt(f"parameter {k}: {str(spec)[:80]} is not a parameter value skrnn writes")
            params[k] = reader.decode(spec, f"parameter {k}")
        attrs = {k: reader.decode(spec, f"attribute {k}") for k, spec in specs.items()}
        schema.check(cls, params, attrs)
    except RecursionError:
        raise Corrupt("its JSON document is nested too deeply") from None
    unused = sorted(set(arrays) - reader.used)
    if unused:
        raise Corrupt(f"it has the member {unused[0] + '.npy'!r}, which nothing in the document refers to")
    return params, attrs
