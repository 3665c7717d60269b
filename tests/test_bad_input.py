"""The bad-input catalogue of issue 6, one parametrised table, run on every
estimator for ``fit`` and for ``predict``: each case is either an error whose
message says what was wrong and what to do (asserted on key words), or is
accepted as documented.  Then a property test (hypothesis) over shapes,
lengths and dtypes.

The finer points of the input conventions (padding, pandas, feature names)
are in ``test_validation.py``.
"""

import importlib
import pkgutil

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import LAYOUTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import skrnn._nn.kernels
from skrnn import RNNClassifier, RNNRegressor

try:
    from skrnn import RNNForecaster
except ImportError:  # pragma: no cover - the forecaster is optional here
    RNNForecaster = None

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N, T, D = 12, 5, 2
SMALL = {"hidden_size": 3, "max_iter": 2, "random_state": 0}


def make(kind):
    if kind == "classifier":
        return RNNClassifier(**SMALL)
    if kind == "regressor":
        return RNNRegressor(**SMALL)
    return RNNForecaster(window=T, **SMALL)  # the window face: a regressor on (n_samples, window) rows


KINDS = ["classifier", "regressor"] + (["forecaster"] if RNNForecaster is not None else [])


def X2(n=N, seed=0):
    return np.random.default_rng(seed).normal(size=(n, T))


def X3(n=N, seed=0):
    return np.random.default_rng(seed).normal(size=(n, T, D))


def y_for(kind, n=N):
    if kind == "classifier":
        return np.arange(n) % 2
    return np.random.default_rng(1).normal(size=n)


def put(X, index, value):
    X = X.copy()
    X[index] = value
    return X


# ------------------------------------------------------------------ the table
# id -> (make (X, y) for an estimator kind, error or None (accepted), key words, kinds or None for all).
# The key words are what was wrong and what to do; a few messages are scikit-learn's own, whose wording its
# common checks require (zero samples, zero columns, length mismatch, label type).
FIT_CASES = {
    "NaN inside X": (lambda k: (put(X2(), (3, 1), np.nan), y_for(k)), ValueError,
                     ["NaN at step 1 of sequence 3", "impute"], None),
    "inf in X": (lambda k: (put(X3(), (2, 1, 0), np.inf), y_for(k)), ValueError,
                 ["infinity", "clip or impute"], None),
    "-inf in X": (lambda k: (put(X2(), (0, 4), -np.inf), y_for(k)), ValueError, ["infinity", "clip or impute"], None),
    "1e308 in X": (lambda k: (put(X2(), (5, 0), 1e308), y_for(k)), ValueError,
                   ["magnitude up to 1e+308", "Standardise the features"], None),
    "NaN in y": (lambda k: (X2(), put(y_for(k).astype(float), 4, np.nan)), ValueError,
                 ["y contains NaN", "sample 4", "Drop those samples or impute"], None),
    "inf in y": (lambda k: (X2(), put(y_for(k).astype(float), 7, np.inf)), ValueError,
                 ["y contains infinity", "sample 7", "Drop those samples or impute"], None),
    "zero samples": (lambda k: (X2()[:0], y_for(k)[:0]), ValueError, ["0 sample", "minimum of 1"], None),
    "zero samples 3-D": (lambda k: (X3()[:0], y_for(k)[:0]), ValueError, ["0 sample", "minimum of 1"], None),
    "empty list": (lambda k: ([], y_for(k)[:0]), ValueError, ["empty list", "at least one sequence"], None),
    "zero time steps 2-D": (lambda k: (X2()[:, :0], y_for(k)), ValueError, ["0 feature", "minimum of 1"], None),
    "zero time steps 3-D": (lambda k: (X3()[:, :0], y_for(k)), ValueError,
                            ["no time steps", "n_timesteps >= 1"], None),
    "zero features 3-D": (lambda k: (X3()[:, :, :0], y_for(k)), ValueError, ["no features", "n_features >= 1"], None),
    "1-D X": (lambda k: (X2()[:, 0], y_for(k)), ValueError, ["got 1D array", "reshape(1, -1)"], None),
    "4-D X": (lambda k: (X3()[..., None], y_for(k)), ValueError, ["got 4D array", "(n_samples, n_timesteps"], None),
    "ragged list, mismatched features": (lambda k: ([np.ones((3, 2))] * (N - 1) + [np.ones((4, 3))], y_for(k)),
                                         ValueError, ["different numbers of features [2, 3]", "same number"], None),
    "object array of strings": (lambda k: (np.where(X2() > 0, "up", "down").astype(object), y_for(k)), ValueError,
                                ["contains strings", "Encode categorical features"], None),
    "unicode strings 3-D": (lambda k: (np.where(X3() > 0, "up", "down"), y_for(k)), ValueError,
                            ["contains strings", "OrdinalEncoder"], None),
    "list of string sequences": (lambda k: ([np.array(["a", "b"])] * N, y_for(k)), TypeError,
                                 ["not numeric", "real-valued array"], None),
    "complex X": (lambda k: (X2() + 1j, y_for(k)), ValueError,
                  ["Complex data not supported", "real and imaginary parts"], None),
    "complex 3-D X": (lambda k: (X3() * 1j, y_for(k)), ValueError, ["Complex data not supported", "np.stack"], None),
    "sparse X": (lambda k: (sp.csr_matrix(X2()), y_for(k)), TypeError, ["Sparse input", "toarray()"], None),
    "X/y length mismatch": (lambda k: (X2(), y_for(k)[:-1]), ValueError,
                            ["inconsistent numbers of samples: [12, 11]"], None),
    "continuous y for the classifier": (lambda k: (X2(), np.linspace(0, 1, N)), ValueError,
                                        ["Unknown label type", "continuous", "discrete classes"], {"classifier"}),
    "one class only": (lambda k: (X2(), np.zeros(N, dtype=int)), ValueError,
                       ["only one class: np.int64(0)", "collect samples of another class"], {"classifier"}),
    "one sample (classifier: one class)": (lambda k: (X2(1), y_for(k, 1)), ValueError,
                                           ["at least 2 classes"], {"classifier"}),
    "y too large to standardise": (lambda k: (X2(), 1e300 * y_for(k)), ValueError,
                                   ["too large to standardise", "rescale the targets"], {"regressor", "forecaster"}),
    # Accepted, as documented.
    "one sample": (lambda k: (X2(1), y_for(k, 1)), None, [], {"regressor", "forecaster"}),
    "bool X": (lambda k: (X2() > 0, y_for(k)), None, [], None),
    "int X": (lambda k: (np.round(3 * X3()).astype(np.int32), y_for(k)), None, [], None),
    "huge but finite targets": (lambda k: (X2(), 1e150 * y_for(k)), None, [], {"regressor", "forecaster"}),
}


def _fit_params():
    for case, (_, _, _, kinds) in FIT_CASES.items():
        for kind in KINDS:
            if kinds is None or kind in kinds:
                yield pytest.param(kind, case, id=f"{kind}-{case}")


def assert_says(exc_info, words):
    message = str(exc_info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert len(message) < 600, "the message should not dump the data"


@pytest.mark.parametrize("kind, case", list(_fit_params()))
def test_fit_bad_input(kind, case):
    build, error, words, _ = FIT_CASES[case]
    X, y = build(kind)
    est = make(kind)
    if error is None:
        est.fit(X, y)
        n = len(X)
        pred = est.predict(X)
        assert pred.shape == (n,)
        assert np.isfinite(pred.astype(float)).all()
        assert all(w.dtype == np.float64 for w in est.weights_.values())  # bool and int are read as float64
        if case == "huge but finite targets":  # standardised inside, mapped back outside
            assert np.abs(pred).max() > 1e140
        return
    with pytest.raises(error) as exc_info:
        est.fit(X, y)
    assert_says(exc_info, words)
    assert not hasattr(est, "_flat"), "a failed first fit leaves the estimator unfitted"


# ------------------------------------------------------------------ predict
PREDICT_CASES = {
    # id -> (layout the model was fitted on, make X, error or None, key words)
    "NaN inside X": ("2d", lambda: put(X2(), (3, 1), np.nan), ValueError, ["NaN at step 1 of sequence 3", "impute"]),
    "inf in X": ("3d", lambda: put(X3(), (2, 1, 0), np.inf), ValueError, ["infinity", "clip or impute"]),
    "1e308 in X": ("2d", lambda: put(X2(), (5, 0), 1e308), ValueError, ["magnitude", "Standardise"]),
    "zero samples": ("2d", lambda: X2()[:0], ValueError, ["0 sample", "minimum of 1"]),
    "zero samples 3-D": ("3d", lambda: X3()[:0], ValueError, ["0 sample", "minimum of 1"]),
    "empty list": ("3d", lambda: [], ValueError, ["empty list", "at least one sequence"]),
    "zero time steps 3-D": ("3d", lambda: X3()[:, :0], ValueError, ["no time steps"]),
    "1-D X": ("2d", lambda: X2()[0], ValueError, ["got 1D array", "reshape(1, -1)"]),
    "4-D X": ("3d", lambda: X3()[..., None], ValueError, ["got 4D array", "list of arrays"]),
    "object array of strings": ("2d", lambda: np.where(X2() > 0, "a", "b").astype(object), ValueError,
                                ["contains strings", "Encode"]),
    "complex X": ("2d", lambda: X2() + 1j, ValueError, ["Complex data not supported", "real and imaginary"]),
    "sparse X": ("2d", lambda: sp.csr_array(X2()), TypeError, ["Sparse input", "toarray()"]),
    "2-D model, other number of columns": ("2d", lambda: X2()[:, :4], ValueError,
                                           ["X has 4 features", "expecting 5 features", "same number of columns"]),
    "2-D model, 3-D X": ("2d", lambda: X2()[:, :, None], ValueError, ["multivariate sequences", "same form as at fit"]),
    "3-D model, 2-D X": ("3d", lambda: X3()[:, :, 0], ValueError, ["2-D array of univariate", "same form as at fit"]),
    "3-D model, other number of features": ("3d", lambda: np.ones((3, T, D + 1)), ValueError,
                                            ["X has 3 features", "expecting 2 features"]),
    "list with other number of features": ("3d", lambda: [np.ones((4, 3))], ValueError, ["X has 3 features"]),
    # Accepted, as documented.
    "3-D model, shorter sequences": ("3d", lambda: X3()[:, :2], None, []),
    "3-D model, longer sequences": ("3d", lambda: np.concatenate([X3(), X3()], axis=1), None, []),
    "3-D model, ragged list": ("3d", lambda: [x[: 1 + i % T] for i, x in enumerate(X3())], None, []),
    "bool X": ("2d", lambda: X2() > 0, None, []),
    "int X": ("3d", lambda: np.round(3 * X3()).astype(np.int64), None, []),
    "one sample": ("2d", lambda: X2(1), None, []),
}


@pytest.fixture(scope="module")
def fitted():
    models = {}
    for kind in KINDS:
        for layout, X in (("2d", X2(seed=5)), ("3d", X3(seed=5))):
            if kind == "forecaster" and layout == "3d":
                X = X[:, :, :1]  # one series per window
            models[kind, layout] = make(kind).fit(X, y_for(kind))
    return models


@pytest.mark.parametrize("case", list(PREDICT_CASES))
@pytest.mark.parametrize("kind", KINDS)
def test_predict_bad_input(fitted, kind, case):
    layout, build, error, words = PREDICT_CASES[case]
    est = fitted[kind, layout]
    X = build()
    if kind == "forecaster" and layout == "3d":  # fitted on one series per window
        if isinstance(X, np.ndarray) and X.ndim == 3 and X.shape[2] == D:
            X = X[:, :, :1]
        elif isinstance(X, list) and case == "3-D model, ragged list":
            X = [x[:, :1] for x in X]
    if kind == "forecaster" and case == "list with other number of features":
        X = [np.ones((4, 2))]
        words = ["X has 2 features"]
    if kind == "forecaster" and case == "3-D model, other number of features":
        X = np.ones((3, T, 2))
        words = ["X has 2 features", "expecting 1 features"]
    if error is None:
        pred = est.predict(X)
        assert pred.shape == (len(X),)
        assert np.isfinite(pred.astype(float)).all()
        return
    with pytest.raises(error) as exc_info:
        est.predict(X)
    assert_says(exc_info, words)


# ------------------------------------------------------- layouts, no new compile
def n_compiled_signatures():
    """Specialisations compiled so far, over every kernel module."""
    total = 0
    for info in pkgutil.iter_modules(skrnn._nn.kernels.__path__):
        module = importlib.import_module(f"skrnn._nn.kernels.{info.name}")
        total += sum(len(f.signatures) for f in vars(module).values()
                     if isinstance(f, numba.core.registry.CPUDispatcher))
    return total


@LAYOUTS
@pytest.mark.parametrize("kind", KINDS)
def test_fortran_strided_and_readonly_memmap_need_no_extra_compile(kind, layout, tmp_path):
    X = X3() if kind != "forecaster" else X3()[:, :, :1]
    y = y_for(kind)
    ref = make(kind).fit(X, y)
    expected = ref.predict(X)
    before = n_compiled_signatures()
    Xl = layout(X, tmp_path)
    assert not Xl.flags.c_contiguous or not Xl.flags.writeable
    est = make(kind).fit(Xl, y)
    assert_array_equal(est.predict(Xl), expected)
    assert n_compiled_signatures() == before, "a memory layout compiled a new kernel specialisation"


# ------------------------------------------------------------ property test
@st.composite
def problems(draw):
    kind = draw(st.sampled_from(["classifier", "regressor"]))
    layout = draw(st.sampled_from(["2d", "3d", "3d-padded", "list"]))
    n = draw(st.integers(2, 10))
    steps = draw(st.integers(1, 6))
    features = 1 if layout == "2d" else draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.bool_]))
    cell = draw(st.sampled_from(["rnn", "lstm", "gru"]))
    n_outputs = 1 if kind == "classifier" else draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)

    def cast(a):
        if dtype is np.bool_:
            return a > 0
        return np.round(3 * a).astype(dtype) if dtype is np.int64 else a.astype(dtype)

    lengths = rng.integers(1, steps + 1, size=n)
    if layout == "2d":
        X = cast(rng.normal(size=(n, steps)))
    elif layout == "list":
        X = [cast(rng.normal(size=(L, features))) for L in lengths]
    else:
        X = cast(rng.normal(size=(n, steps, features)))
        if layout == "3d-padded":
            X = X.astype(np.float32 if dtype is np.float32 else np.float64)
            X[np.arange(steps)[None, :] >= lengths[:, None]] = np.nan
    if kind == "classifier":
        y = rng.permutation(np.arange(n) % 2)
    else:
        y = rng.normal(size=n) if n_outputs == 1 else rng.normal(size=(n, n_outputs))
    split = sorted(rng.choice(np.arange(1, n), size=min(2, n - 1), replace=False))
    return kind, cell, X, y, rng.permutation(n), split, dtype


def _take(X, idx):
    return [X[i] for i in idx] if isinstance(X, list) else X[idx]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_predictions_have_the_right_shape_are_finite_and_ignore_order_and_batching(problem):
    kind, cell, X, y, perm, split, dtype = problem
    cls = RNNClassifier if kind == "classifier" else RNNRegressor
    est = cls(cell=cell, hidden_size=3, max_iter=2, batch_size=4, random_state=0).fit(X, y)
    out = est.predict_proba(X) if kind == "classifier" else est.predict(X)
    n = len(X)
    assert out.shape == ((n, 2) if kind == "classifier" else y.shape)
    assert np.isfinite(out).all()
    assert est.predict(X).shape == (n,) if kind == "classifier" else y.shape
    assert out.dtype == (np.float32 if dtype is np.float32 else np.float64)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype is np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    predict = est.predict_proba if kind == "classifier" else est.predict
    assert_allclose(predict(_take(X, perm)), out[perm], **tol)  # order of the samples
    bounds = [0, *split, n]
    chunks = [predict(_take(X, np.arange(a, b))) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    assert_allclose(np.concatenate(chunks), out, **tol)  # batching of the samples
