"""Input conventions (``skrnn._validation``), seen through the estimators:
2-D univariate rows, 3-D batches, ragged lists and trailing-NaN padding,
the errors for every bad input, memory layouts and dtypes, and pandas in
and out."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import LAYOUTS
from numpy.testing import assert_allclose, assert_array_equal

from skrnn import RNNClassifier, RNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_size": 6, "max_iter": 4, "random_state": 0}


def data(n=40, T=6, D=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T) if D is None else (n, T, D))
    y = (X[:, -1] > 0).astype(int) if D is None else (X[:, -1, 0] > 0).astype(int)
    return X, y


def ragged(D=None, n=30, seed=0):
    """Sequences of 2 to 7 steps, as a list and as the same data NaN-padded."""
    rng = np.random.default_rng(seed)
    lengths = 2 + np.arange(n) % 6
    shape = (lambda T: (T,)) if D is None else (lambda T: (T, D))
    seqs = [rng.normal(size=shape(T)) for T in lengths]
    padded = np.full((n, 7) if D is None else (n, 7, D), np.nan)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    y = np.array([s[-1] > 0 if D is None else s[-1, 0] > 0 for s in seqs], dtype=int)
    return seqs, padded, y


# ------------------------------------------------------------------- shapes
def test_2d_rows_are_univariate_sequences():
    X, y = data(T=6)
    flat = RNNClassifier(n_estimators=1, **SMALL).fit(X, y)
    deep = RNNClassifier(n_estimators=1, **SMALL).fit(X[:, :, None], y)
    assert flat.n_features_in_ == 6  # columns, as scikit-learn counts them
    assert deep.n_features_in_ == 1  # features per step
    assert flat.weights_["weight_ih_l0"].shape == deep.weights_["weight_ih_l0"].shape == (3 * 6, 1)
    assert_array_equal(flat.predict_proba(X), deep.predict_proba(X[:, :, None]))


def test_3d_and_list_n_features_in_is_features_per_step():
    X, y = data(D=3)
    assert RNNClassifier(**SMALL).fit(X, y).n_features_in_ == 3
    seqs, _, y = ragged(D=3)
    assert RNNRegressor(**SMALL).fit(seqs, y).n_features_in_ == 3
    seqs, _, y = ragged()
    assert RNNRegressor(**SMALL).fit(seqs, y).n_features_in_ == 1


@pytest.mark.parametrize("D", [None, 2], ids=["1-D elements vs 2-D padding", "2-D elements vs 3-D padding"])
@pytest.mark.parametrize("cls", [RNNClassifier, RNNRegressor])
def test_ragged_list_equals_trailing_nan_padding(cls, D):
    seqs, padded, y = ragged(D=D)
    kw = {**SMALL, "cell": "lstm", "bidirectional": True}
    from_list = cls(**kw).fit(seqs, y)
    from_padded = cls(**kw).fit(padded, y)
    for k, v in from_list.weights_.items():
        assert_array_equal(v, from_padded.weights_[k], err_msg=k)
    assert_array_equal(from_list.predict(seqs), from_padded.predict(padded))


@pytest.mark.parametrize("cell, bidirectional", [("rnn", False), ("lstm", True), ("gru", True)])
def test_padding_changes_nothing_each_sequence_predicts_as_if_alone(cell, bidirectional):
    seqs, padded, y = ragged(D=2)
    clf = RNNClassifier(cell=cell, bidirectional=bidirectional, **SMALL).fit(seqs, y)
    together = clf.predict_proba(seqs)
    alone = np.vstack([clf.predict_proba([s]) for s in seqs])
    assert_allclose(together, alone, rtol=1e-12, atol=1e-15)
    # The same sequence with extra NaN steps, or after a longer neighbour, is unchanged too.
    assert_allclose(clf.predict_proba(padded), together, rtol=1e-12, atol=1e-15)
    longer = np.concatenate([padded, np.full((len(seqs), 5, 2), np.nan)], axis=1)
    assert_allclose(clf.predict_proba(longer), together, rtol=1e-12, atol=1e-15)


def test_3d_models_accept_another_number_of_time_steps():
    X, y = data(T=6, D=2)
    clf = RNNClassifier(**SMALL).fit(X, y)
    assert clf.predict_proba(X[:, :3]).shape == (40, 2)
    longer = np.concatenate([X, X], axis=1)
    assert clf.predict(longer).shape == (40,)
    assert clf.predict([x for x in longer]).shape == (40,)  # a list of (T, D) arrays too


def test_2d_models_need_the_same_number_of_columns():
    X, y = data(T=6)
    clf = RNNClassifier(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but RNNClassifier is expecting 6 features"):
        clf.predict(X[:, :5])
    with pytest.raises(ValueError, match="same form as at fit"):
        clf.predict(X[:, :, None])


# ------------------------------------------------------------------- errors
def test_nan_in_the_middle_is_an_error_naming_the_position():
    X, y = data(T=6)
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN at step 2 of sequence 3, followed by observed values"):
        RNNClassifier(**SMALL).fit(X, y)
    clf = RNNClassifier(**SMALL).fit(data(T=6)[0], y)
    with pytest.raises(ValueError, match="NaN at step 2 of sequence 3"):
        clf.predict(X)


def test_nan_in_some_but_not_all_features_of_a_step_is_an_error():
    X, y = data(T=6, D=3)
    X[5, 4:, 0] = np.nan  # trailing in one feature only
    with pytest.raises(ValueError, match="some but not all features of sequence 5 at step 4"):
        RNNClassifier(**SMALL).fit(X, y)


def test_all_nan_sequence_and_nan_in_a_list_are_errors():
    X, y = data(T=6)
    X[7] = np.nan
    with pytest.raises(ValueError, match="sequence 7 is empty"):
        RNNClassifier(**SMALL).fit(X, y)
    seqs, _, y = ragged()
    seqs[4] = np.append(seqs[4], np.nan)
    with pytest.raises(ValueError, match="Sequence 4 of the input list X contains NaN"):
        RNNClassifier(**SMALL).fit(seqs, y)
    seqs[4] = np.array([])
    with pytest.raises(ValueError, match="Sequence 4 of the input list X is empty"):
        RNNClassifier(**SMALL).fit(seqs, y)


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinity_is_an_error(bad):
    X, y = data(T=6, D=2)
    X[1, 0, 1] = bad
    with pytest.raises(ValueError, match="contains infinity"):
        RNNClassifier(**SMALL).fit(X, y)


def test_huge_values_ask_for_scaling():
    X, y = data(T=6)
    X[0, 0] = 1e20
    with pytest.raises(ValueError, match="Standardise the features"):
        RNNClassifier(**SMALL).fit(X, y)


@pytest.mark.parametrize("fmt", ["csr_matrix", "csr_array", "coo_matrix"])
def test_sparse_input_is_a_type_error(fmt):
    X, y = data(T=6)
    with pytest.raises(TypeError, match=r"Sparse input is not supported.*toarray\(\)"):
        RNNClassifier(**SMALL).fit(getattr(sp, fmt)(X), y)


@pytest.mark.parametrize("shape", [(40,), (40, 3, 2, 1)], ids=["1-D", "4-D"])
def test_1d_and_4d_inputs_explain_the_accepted_shapes(shape):
    X = np.random.default_rng(0).normal(size=shape)
    y = np.arange(40) % 2
    with pytest.raises(ValueError, match=rf"got {len(shape)}D array of shape .*\(n_samples, n_timesteps\)") as err:
        RNNClassifier(**SMALL).fit(X, y)
    assert "list of arrays" in str(err.value) and "reshape(1, -1)" in str(err.value)


def test_mismatched_feature_counts_in_a_list():
    seqs, _, y = ragged(D=2)
    seqs[3] = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"different numbers of features \[2, 3\]"):
        RNNClassifier(**SMALL).fit(seqs, y)
    clf = RNNClassifier(**SMALL).fit(ragged(D=2)[0], y)
    with pytest.raises(ValueError, match="X has 3 features, but RNNClassifier is expecting 2"):
        clf.predict([np.ones((4, 3))])


@pytest.mark.parametrize(
    "make_X, error, match",
    [
        (lambda X: np.where(X > 0, "up", "down").astype(object), ValueError, "could not convert string to float"),
        (lambda X: np.where(X > 0, "up", "down"), ValueError, "could not convert string to float"),
        (lambda X: X + 1j, ValueError, "Complex data not supported"),
        (lambda X: (X + 1j)[:, :, None], ValueError, "Complex data not supported"),
        (lambda X: [x.astype(complex) for x in X], TypeError, "Sequence 0 of the input list X is not numeric"),
        (lambda X: [np.array(["a", "b"])] * len(X), TypeError, "Sequence 0 of the input list X is not numeric"),
    ],
    ids=["object strings", "unicode strings", "complex 2-D", "complex 3-D", "complex list", "string list"],
)
def test_non_real_input_is_an_error(make_X, error, match):
    X, y = data(T=6)
    with pytest.raises(error, match=match):
        RNNClassifier(**SMALL).fit(make_X(X), y)


def test_y_of_the_wrong_length_is_an_error():
    X, y = data()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        RNNClassifier(**SMALL).fit(X, y[:-1])
    seqs, _, y = ragged()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        RNNRegressor(**SMALL).fit(seqs, y[:-1])


# ------------------------------------------------------------ dtypes and layouts
@pytest.mark.parametrize("dtype", [bool, np.int8, np.int64, np.uint16])
def test_bool_and_integer_input_are_read_as_float64(dtype):
    X, y = data(T=6, D=2)
    Xd = (X > 0).astype(dtype) if dtype is bool else np.round(3 * X).astype(dtype)
    clf = RNNClassifier(**SMALL).fit(Xd, y)
    ref = RNNClassifier(**SMALL).fit(Xd.astype(np.float64), y)
    assert all(w.dtype == np.float64 for w in clf.weights_.values())
    assert_array_equal(clf.predict_proba(Xd), ref.predict_proba(Xd.astype(np.float64)))


@LAYOUTS
@pytest.mark.parametrize("D", [None, 2], ids=["2-D", "3-D"])
def test_memory_layouts_fit_and_predict_identically(layout, D, tmp_path):
    X, y = data(T=6, D=D)
    Xl = layout(X, tmp_path)
    assert not Xl.flags.c_contiguous or not Xl.flags.writeable
    assert_array_equal(Xl, X)
    ref = RNNClassifier(**SMALL).fit(X, y)
    clf = RNNClassifier(**SMALL).fit(Xl, y)
    assert_array_equal(clf.predict_proba(Xl), ref.predict_proba(X))
    assert_array_equal(ref.predict_proba(Xl), ref.predict_proba(X))
    if not Xl.flags.writeable:
        assert_array_equal(np.asarray(Xl), X)  # read, never written


def test_input_is_never_modified():
    seqs, padded, y = ragged(D=2)
    before = padded.copy()
    RNNClassifier(**SMALL).fit(padded, y).predict(padded)
    assert_array_equal(padded, before)  # NaN padding is zeroed in a copy, not in the caller's array


# ------------------------------------------------------------------- pandas
def frame(n=40, T=6, seed=0):
    X, y = data(n=n, T=T, seed=seed)
    index = pd.Index([f"s{i}" for i in range(n)], name="series")
    return pd.DataFrame(X, columns=[f"t{j}" for j in range(T)], index=index), y


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")  # ndarray twins, on purpose
def test_dataframe_in_pandas_out_for_the_classifier():
    X, y = frame()
    labels = np.where(y == 1, "up", "down")
    clf = RNNClassifier(**SMALL).fit(X, labels)
    assert_array_equal(clf.feature_names_in_, X.columns)
    pred = clf.predict(X)
    assert isinstance(pred, pd.Series) and pred.index.equals(X.index)
    assert_array_equal(pred.to_numpy(), clf.predict(X.to_numpy()))
    for method in ("predict_proba", "predict_log_proba"):
        out = getattr(clf, method)(X)
        assert isinstance(out, pd.DataFrame)
        assert out.index.equals(X.index)
        assert list(out.columns) == ["down", "up"]
        assert_array_equal(out.to_numpy(), getattr(clf, method)(X.to_numpy()))
    assert clf.score(X, labels) == clf.score(X.to_numpy(), labels)


def test_dataframe_in_pandas_out_for_the_regressor():
    X, y = frame()
    reg = RNNRegressor(**SMALL).fit(X, X["t5"])
    pred = reg.predict(X.iloc[5:9])
    assert isinstance(pred, pd.Series) and list(pred.index) == ["s5", "s6", "s7", "s8"]
    multi = RNNRegressor(**SMALL).fit(X, X[["t4", "t5"]])
    out = multi.predict(X)
    assert isinstance(out, pd.DataFrame) and out.shape == (40, 2) and out.index.equals(X.index)


def test_feature_names_are_checked_like_scikit_learn():
    X, y = frame()
    clf = RNNClassifier(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(X[X.columns[::-1]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        clf.predict(X.to_numpy())
    plain = RNNClassifier(**SMALL).fit(X.to_numpy(), y)
    assert not hasattr(plain, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        plain.predict(X)
    # Refitting on 3-D input forgets the names of an earlier DataFrame fit.
    clf.fit(X.to_numpy()[:, :, None], y)
    assert not hasattr(clf, "feature_names_in_")
