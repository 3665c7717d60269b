"""Persistence: the safe format (``save`` / ``skrnn.load``: arrays read with
``allow_pickle=False`` plus JSON), version warnings for pickles and joblib
files made by another skrnn, and skops when it is installed.

(pickle and joblib round trips of fitted and unfitted estimators are in
``test_estimators.py``.)
"""

import json
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

import skrnn
from skrnn import RNNClassifier, RNNForecaster, RNNRegressor, RNNSeq2SeqRegressor, RNNTextGenerator
from skrnn._persistence import container
from skrnn.schedules import Cosine, Step

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_size": 4, "max_iter": 3, "random_state": 0}


def sequences(n=30, T=5, D=None, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, T) if D is None else (n, T, D))


def _binary():
    X = sequences()
    return RNNClassifier(cell="rnn", **SMALL), X, (X[:, -1] > 0).astype(int)


def _string_classes():
    X = sequences(D=2)
    y = np.array(["cat", "dog", "emu"])[np.argmax(X[:, -1], axis=1) + (X[:, 0, 0] > 1)]
    return RNNClassifier(cell="lstm", bidirectional=True, class_weight={"cat": 2.0, "dog": 1.0, "emu": 1.5},
                         **SMALL), X, y


def _multilabel():
    X = sequences(D=2)
    return RNNClassifier(num_layers=2, **SMALL), X, (X[:, -2:, :] > 0).any(axis=1).astype(int)


def _multi_output_dataframe():
    X = pd.DataFrame(sequences(), columns=[f"t{i}" for i in range(5)])
    return RNNRegressor(early_stopping=True, **SMALL), X, X[["t3", "t4"]].to_numpy() * 100 + 7


def _float32_random_state_instance():
    X = sequences(D=3).astype(np.float32)
    return RNNRegressor(solver="sgd", random_state=np.random.RandomState(3), hidden_size=4, max_iter=3), X, X[:, 0, 0]


def _forecaster_window_face():
    X = sequences(T=6)
    return RNNForecaster(window=6, **SMALL), X, X[:, -1] + 0.5 * X[:, -2]


def _per_step_regressor():
    X = sequences(D=2)
    return RNNRegressor(return_sequences=True, **SMALL), X, np.cumsum(X[:, :, 0], axis=1)


def _attention_patches_scaled_input():
    X = sequences(T=8, D=2) * 50 + 3
    return RNNClassifier(pooling="attention", patch_size=2, scale_input=True, **SMALL), X, X[:, -1, 0] > 3


def _seq2seq_ragged():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(L, 2)) for L in rng.integers(2, 7, size=30)]
    return RNNSeq2SeqRegressor(cell="lstm", **SMALL), X, [x[::-2, 0] for x in X]


def _text():
    text = ["the cat sat on the mat. ", "the dog sat on the log. ", "é ü ≠ 猫"]
    return RNNTextGenerator(num_layers=2, batch_size=4, bptt=8, min_frequency=1, **SMALL), text, None


def _monthly():
    return pd.Series(100 + 10 * np.sin(np.arange(48) / 2) + np.arange(48), name="sales",
                     index=pd.date_range("2000-01", periods=48, freq="MS", name="month"))


def _series_face_intervals():
    f = RNNForecaster(window=8, horizon=3, log=True, **SMALL)
    return f, _monthly(), "intervals"  # outputs compute an interval, so the calibration is saved too


def _series_face_default_ensemble():
    f = RNNForecaster(horizon=4, n_estimators=3, **SMALL)
    return f, _monthly(), "intervals"  # members, their windows and the calibration residuals are saved


def _series_face_drift_members():
    f = RNNForecaster(window=8, horizon=3, n_estimators=3, seasonal_period=1, **SMALL)
    return f, _monthly(), "intervals"  # no season: the members read their windows by mean, last and drift


def _series_face_recursive_intervals():
    f = RNNForecaster(window=8, horizon=3, strategy="recursive", log=True, **SMALL)
    return f, _monthly(), "intervals"  # the calibration refit on demand is saved too


def _series_face_period_seq2seq():
    y = _monthly()
    y.index = y.index.to_period("M")
    return RNNForecaster(window=14, horizon=3, strategy="seq2seq", differencing="seasonal", **SMALL), y, None


def _series_face_covariates():
    y = _monthly()
    df = pd.DataFrame({"sales": y, "price": np.cos(np.arange(48)), "promo": np.arange(48) % 4 == 0})
    return RNNForecaster(window=8, target="sales", strategy="recursive", **SMALL), df, "future"


def _series_face_hourly_tz_direct():
    y = pd.Series(np.sin(np.arange(80) / 4), index=pd.date_range("2021-03-27", periods=80, freq="2h",
                                                                 tz="Europe/Paris", unit="s"))
    return RNNForecaster(window=8, horizon=4, strategy="direct", **SMALL), y, None


def _series_face_list_integer_index():
    a = pd.Series(np.sin(np.arange(40) / 3), index=pd.RangeIndex(10, 130, 3))
    b = pd.Series(np.cos(np.arange(30) / 3) * 5, index=pd.Index(np.arange(0, 90, 3)))  # int64, not a range
    return RNNForecaster(window=6, **SMALL), [a, b], None


def _series_face_long_panel():
    y = _monthly()
    long = pd.concat([pd.DataFrame({"unique_id": k, "ds": y.index, "y": y.to_numpy() * f})
                      for k, f in (("a", 1.0), (7, 2.0))])
    return RNNForecaster(window=8, learning_rate_schedule=Step(step_size=2, gamma=0.5), **SMALL), long, None


MODELS = {
    "binary": _binary,
    "string classes + class_weight dict": _string_classes,
    "multilabel": _multilabel,
    "multi-output regressor on a DataFrame + early stopping": _multi_output_dataframe,
    "float32 + RandomState parameter": _float32_random_state_instance,
    "forecaster window face": _forecaster_window_face,
    "regressor with return_sequences": _per_step_regressor,
    "attention pooling + patches + scaled input": _attention_patches_scaled_input,
    "seq2seq regressor on ragged lists": _seq2seq_ragged,
    "text generator, non-ASCII": _text,
    "forecaster series face + intervals": _series_face_intervals,
    "forecaster default ensemble + intervals": _series_face_default_ensemble,
    "forecaster mean/last/drift members + intervals": _series_face_drift_members,
    "forecaster recursive + intervals": _series_face_recursive_intervals,
    "forecaster PeriodIndex + seq2seq + seasonal differencing": _series_face_period_seq2seq,
    "forecaster past + future covariates": _series_face_covariates,
    "forecaster 2h tz-aware index + direct": _series_face_hourly_tz_direct,
    "forecaster list of series, integer index": _series_face_list_integer_index,
    "forecaster long panel + schedule object": _series_face_long_panel,
}


def fit(est, X, y):
    if y is None:
        return est.fit(X)
    if isinstance(y, str) and y == "future":
        return est.fit(X.drop(columns="promo"), future_covariates=X[["promo"]])
    if isinstance(y, str) and y == "intervals":
        est.fit(X).forecast(4, interval=0.8)  # calibrates: the calibration errors are saved too
        return est
    return est.fit(X, y)


def outputs(est, X, y):  # y: the targets, or how the forecaster was fitted (see fit)
    if isinstance(est, RNNTextGenerator):
        return {"generate": est.generate(30, prompt="the ", random_state=0), "score": est.score(X)}
    if isinstance(est, RNNForecaster) and getattr(est, "_series", None) is not None:
        if isinstance(y, str) and y == "future":
            return {"forecast": est.forecast(3, X_future=np.ones((3, 1)))}
        out = {"forecast": est.forecast(5), "backtest": est.historical_forecasts(steps=2)}
        if isinstance(y, str) and y == "intervals":
            out["interval"] = est.forecast(4, interval=0.8)
        return out
    out = {"predict": est.predict(X)}
    if hasattr(est, "predict_proba"):
        out["predict_proba"] = est.predict_proba(X)
    return out


def assert_same(a, b, where):
    """Deep equality of fitted state: arrays bitwise with their dtype, pandas indexes with their
    frequency and name (an integer index comes back as the RangeIndex of its start and step), objects
    attribute by attribute."""
    if isinstance(a, pd.Index) and a.dtype.kind == "i":
        assert isinstance(b, pd.RangeIndex) and a.equals(b) and a.name == b.name, where
        return
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, np.random.RandomState):
        sa, sb = a.get_state(), b.get_state()
        assert sa[0] == sb[0] and sa[2:] == sb[2:], where
        assert_array_equal(sa[1], sb[1])
    elif isinstance(a, pd.Index):
        assert a.equals(b) and a.name == b.name and getattr(a, "freq", None) == getattr(b, "freq", None), where
        assert str(getattr(a, "tz", None)) == str(getattr(b, "tz", None)), where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, z) in enumerate(zip(a, b, strict=True)):
            assert_same(x, z, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert set(vars(a)) == set(vars(b)), where
        for k in vars(a):
            assert_same(vars(a)[k], vars(b)[k], f"{where}.{k}")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


def assert_same_fitted_state(a, b):
    assert type(a) is type(b)
    assert set(vars(a)) == set(vars(b))
    for k, v in vars(a).items():
        if k == "random_state" and isinstance(v, np.random.RandomState):
            continue  # a RandomState parameter: compared through _random_state
        assert_same(v, vars(b)[k], k)


def assert_same_outputs(x, z, name):
    assert type(x) is type(z), name
    if isinstance(x, (pd.Series, pd.DataFrame)):
        assert x.equals(z) and x.index.equals(z.index), name
    elif isinstance(x, list):
        for i, (p, q) in enumerate(zip(x, z, strict=True)):
            assert_same_outputs(p, q, f"{name}[{i}]")
    else:
        assert_array_equal(np.asarray(x), np.asarray(z), err_msg=name)  # bitwise


@pytest.mark.parametrize("model", MODELS)
def test_save_load_round_trip_is_exact(model, tmp_path):
    est, X, y = MODELS[model]()
    fit(est, X, y)
    path = tmp_path / "model.skrnn"
    est.save(path)
    assert path.exists()  # the name is kept: no ".npz" appended
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: no warning
        loaded = skrnn.load(path)
    assert_same_fitted_state(est, loaded)
    expected, got = outputs(est, X, y), outputs(loaded, X, y)
    for name, value in expected.items():
        assert_same_outputs(value, got[name], name)
    # Saving the loaded model writes the same content again.
    loaded.save(tmp_path / "again.skrnn")
    assert _digest(tmp_path / "again.skrnn") == _digest(path)
    # The optimiser state and the random stream were saved too: training continues identically.
    if hasattr(est, "partial_fit") and getattr(est, "_series", None) is None:
        for m in (est, loaded):
            m.set_params(early_stopping=False).partial_fit(X, y)  # partial_fit refuses early stopping
        assert_array_equal(loaded._flat, est._flat)


def _digest(path):
    with np.load(path, allow_pickle=False) as data:
        return str(data["__digest__"][()])


@pytest.mark.parametrize("cls", [RNNClassifier, RNNRegressor, RNNForecaster, RNNSeq2SeqRegressor, RNNTextGenerator])
def test_unfitted_round_trip_keeps_the_parameters(cls, tmp_path):
    est = cls(hidden_size=7, learning_rate_schedule=Cosine(min_lr=0.1))
    if cls is RNNClassifier:
        est.set_params(class_weight={0: 1.0, 1: 3.0}, clip_value=0.5)
    est.save(tmp_path / "m")
    loaded = skrnn.load(tmp_path / "m")
    assert repr(loaded.get_params()) == repr(est.get_params())
    if cls is RNNClassifier:
        assert list(loaded.get_params()["class_weight"]) == [0, 1]  # integer keys stay integers


def test_the_file_holds_only_arrays_json_and_a_digest(tmp_path):
    est, X, y = _string_classes()
    est.fit(X, y).save(tmp_path / "m")
    with np.load(tmp_path / "m", allow_pickle=False) as data:
        for key in data.files:
            assert data[key].dtype.kind != "O", key  # would need pickle
        meta = json.loads(str(data["__skrnn__"][()]))
        digest = str(data["__digest__"][()])
    assert meta["format_version"] == skrnn._persistence.FORMAT_VERSION == 2
    assert meta["skrnn_version"] == skrnn.__version__
    assert meta["class"] == "RNNClassifier" and meta["params"]["hidden_size"] == {"json": 4}
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64


def test_the_series_face_stores_its_index_as_kind_start_frequency_and_length(tmp_path):
    est, y, _ = _series_face_intervals()
    est.fit(y).save(tmp_path / "m")
    with np.load(tmp_path / "m", allow_pickle=False) as data:
        meta = json.loads(str(data["__skrnn__"][()]))
    index = meta["attributes"]["_series"]["series"]["index"][0]
    assert index == {"kind": "datetime", "length": 48, "name": "month", "start": "2000-01-01T00:00:00",
                     "freq": "MS", "tz": None, "unit": index["unit"]}


def _rewrite_meta(path, **changes):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("__skrnn__")[()]))
    arrays.pop("__digest__", None)
    meta.update(changes)
    text = json.dumps(meta)
    container.write(path, text, arrays, container.digest(text, arrays))


def test_unknown_format_version_is_refused(tmp_path):
    path = tmp_path / "m"
    RNNRegressor(**SMALL).fit(sequences(), sequences()[:, 0]).save(path)
    _rewrite_meta(path, format_version=3, skrnn_version="9.0")
    with pytest.raises(ValueError, match=r"format version 3 \(by skrnn 9.0\).*reads versions 1, 2.*refit and save"):
        skrnn.load(path)


def test_another_skrnn_version_warns(tmp_path):
    path = tmp_path / "m"
    est = RNNRegressor(**SMALL).fit(sequences(), sequences()[:, 0])
    est.save(path)
    _rewrite_meta(path, skrnn_version="0.0.1")
    with pytest.warns(UserWarning, match=r"saved by skrnn 0.0.1 and is loaded by skrnn"):
        loaded = skrnn.load(path)
    assert_array_equal(loaded.predict(sequences()), est.predict(sequences()))


def test_foreign_files_and_classes_are_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    with pytest.raises(ValueError, match="not a skrnn model file"):
        skrnn.load(tmp_path / "plain.npz")
    path = tmp_path / "m"
    RNNRegressor(**SMALL).save(path)
    _rewrite_meta(path, **{"class": "Popen"})  # a name is looked up among skrnn's estimators, never imported
    with pytest.raises(ValueError, match="'Popen', which is not a skrnn estimator"):
        skrnn.load(path)


def test_what_the_safe_format_cannot_hold_is_refused_with_a_pointer_to_pickle(tmp_path):
    y = _monthly().rename(pd.Timestamp("2020-01-01"))  # a series named by a Timestamp
    est = RNNForecaster(window=8, **SMALL).fit(y)
    with pytest.raises(TypeError, match="Timestamp, which the safe format cannot store.*pickle or joblib"):
        est.save(tmp_path / "m")


def test_a_state_the_schema_does_not_know_is_refused_at_save(tmp_path):
    est = RNNRegressor(**SMALL).fit(sequences(), sequences()[:, 0])
    est.extra_ = 1.0
    with pytest.raises(ValueError, match=r"cannot be saved in the safe format: the file would not load \(unknown "
                                         r"attribute 'extra_'"):
        est.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


# ------------------------------------------------------- pickle and joblib versions
def _pickle(est, tmp_path):
    return pickle.dumps(est)


def _unpickle(blob, tmp_path):
    return pickle.loads(blob)


def _joblib(est, tmp_path):
    joblib.dump(est, tmp_path / "m.joblib")
    return tmp_path / "m.joblib"


@pytest.mark.parametrize("dump, load", [(_pickle, _unpickle), (_joblib, joblib.load)], ids=["pickle", "joblib"])
def test_loading_a_pickle_from_another_skrnn_version_warns(dump, load, monkeypatch, tmp_path):
    X = sequences()
    est = RNNClassifier(**SMALL).fit(X, X[:, 0] > 0)
    blob = dump(est, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: silent
        load(blob) if load is joblib.load else load(blob, tmp_path)
    monkeypatch.setattr(skrnn._version, "__version__", "99.0")
    with pytest.warns(UserWarning, match=r"Unpickling RNNClassifier saved by skrnn 0.1.0 with skrnn 99.0"):
        loaded = load(blob) if load is joblib.load else load(blob, tmp_path)
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_a_pickle_without_a_version_warns():
    est = RNNRegressor(**SMALL)
    state = est.__getstate__()
    del state["_skrnn_version"]
    blank = RNNRegressor.__new__(RNNRegressor)
    with pytest.warns(UserWarning, match="saved by skrnn unknown"):
        blank.__setstate__(state)
    assert blank.get_params() == est.get_params()


# ------------------------------------------------------------------------ skops
def test_skops_round_trip_with_trusted_types(tmp_path):
    sio = pytest.importorskip("skops.io")
    X = sequences(D=2)
    y = np.where(X[:, -1, 0] > 0, "up", "down")
    est = RNNClassifier(**SMALL).fit(X, y)
    path = tmp_path / "m.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert all(t.startswith(("skrnn.", "numpy.")) for t in untrusted), untrusted  # nothing else to vet
    loaded = sio.load(path, trusted=untrusted)
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert_array_equal(loaded.predict(X), est.predict(X))
