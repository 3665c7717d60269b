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
from skrnn import RNNClassifier, RNNForecaster, RNNRegressor

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


MODELS = {
    "binary": _binary,
    "string classes + class_weight dict": _string_classes,
    "multilabel": _multilabel,
    "multi-output regressor on a DataFrame + early stopping": _multi_output_dataframe,
    "float32 + RandomState parameter": _float32_random_state_instance,
    "forecaster window face": _forecaster_window_face,
    "regressor with return_sequences": _per_step_regressor,
}


def outputs(est, X):
    out = {"predict": est.predict(X)}
    if hasattr(est, "predict_proba"):
        out["predict_proba"] = est.predict_proba(X)
    return out


def assert_same_fitted_state(a, b):
    assert type(a) is type(b)
    assert set(vars(a)) == set(vars(b))
    for k, v in vars(a).items():
        w = vars(b)[k]
        if isinstance(v, np.ndarray):
            assert v.dtype == w.dtype, k
            assert_array_equal(v, w, err_msg=k)
        elif isinstance(v, np.random.RandomState):
            sa, sb = v.get_state(), w.get_state()
            assert sa[0] == sb[0] and sa[2:] == sb[2:], k
            assert_array_equal(sa[1], sb[1])
        elif k == "_optimizer":
            assert type(v) is type(w) and vars(v).keys() == vars(w).keys()
            for name, x in vars(v).items():
                assert_array_equal(x, vars(w)[name], err_msg=f"{k}.{name}")
        elif k == "random_state":
            continue  # a RandomState parameter: compared above through _random_state
        else:
            assert v == w, k


@pytest.mark.parametrize("model", MODELS)
def test_save_load_round_trip_is_exact(model, tmp_path):
    est, X, y = MODELS[model]()
    est.fit(X, y)
    path = tmp_path / "model.skrnn"
    est.save(path)
    assert path.exists()  # the name is kept: no ".npz" appended
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: no warning
        loaded = skrnn.load(path)
    assert_same_fitted_state(est, loaded)
    for name, value in outputs(est, X).items():
        out = outputs(loaded, X)[name]
        assert type(out) is type(value)
        assert_array_equal(np.asarray(out), np.asarray(value), err_msg=name)  # bitwise
    # The optimiser state and the random stream were saved too: training continues identically.
    for model in (est, loaded):
        model.set_params(early_stopping=False).partial_fit(X, y)  # partial_fit refuses early stopping
    assert_array_equal(loaded._flat, est._flat)


def test_unfitted_round_trip_keeps_the_parameters(tmp_path):
    est = RNNClassifier(cell="lstm", hidden_size=7, class_weight={0: 1.0, 1: 3.0}, clip_value=0.5)
    est.save(tmp_path / "m")
    loaded = skrnn.load(tmp_path / "m")
    assert loaded.get_params() == est.get_params()
    assert list(loaded.get_params()["class_weight"]) == [0, 1]  # integer keys stay integers


def test_the_file_holds_only_arrays_and_json(tmp_path):
    est, X, y = _string_classes()
    est.fit(X, y).save(tmp_path / "m")
    with np.load(tmp_path / "m", allow_pickle=False) as data:
        for key in data.files:
            assert data[key].dtype.kind != "O", key  # would need pickle
        meta = json.loads(str(data["__skrnn__"][()]))
    assert meta["format_version"] == 1 and meta["skrnn_version"] == skrnn.__version__
    assert meta["class"] == "RNNClassifier" and meta["params"]["hidden_size"] == {"json": 4}


def _rewrite_meta(path, **changes):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("__skrnn__")[()]))
    meta.update(changes)
    with open(path, "wb") as f:
        np.savez(f, __skrnn__=np.array(json.dumps(meta)), **arrays)


def test_unknown_format_version_is_refused(tmp_path):
    path = tmp_path / "m"
    RNNRegressor(**SMALL).fit(sequences(), sequences()[:, 0]).save(path)
    _rewrite_meta(path, format_version=2, skrnn_version="9.0")
    with pytest.raises(ValueError, match=r"format version 2 \(by skrnn 9.0\).*reads version 1.*refit and save"):
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
    y = pd.Series(np.sin(np.arange(60) / 3), index=pd.date_range("2000-01", periods=60, freq="MS"))
    est = RNNForecaster(window=8, **SMALL).fit(y)  # the series face keeps pandas objects
    with pytest.raises(TypeError, match="cannot store.*pickle or joblib"):
        est.save(tmp_path / "m")


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
