"""RNNSeq2SeqRegressor: unequal input and output lengths, free-running prediction."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_param_validation

from skrnn import RNNSeq2SeqRegressor


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def every_other_backwards(n, seed):
    rng = np.random.RandomState(seed)
    X = [rng.uniform(-1, 1, size=L) for L in rng.randint(2, 8, size=n)]
    return X, [x[::-2] for x in X]


def test_learns_an_unequal_length_mapping_from_ragged_lists():
    X, y = every_other_backwards(500, seed=0)
    Xte, yte = every_other_backwards(200, seed=1)
    model = RNNSeq2SeqRegressor(hidden_size=32, max_iter=40, random_state=0).fit(X, y)
    assert model.max_output_length_ == 4
    assert model.score(Xte, yte) > 0.8
    pred = model.predict(Xte[:5], n_steps=[len(t) for t in yte[:5]])
    assert [p.shape for p in pred] == [t.shape for t in yte[:5]]
    assert model.predict(Xte[:5]).shape == (5, 4)
    assert_array_equal(pickle.loads(pickle.dumps(model)).predict(Xte[:5]), model.predict(Xte[:5]))


def test_arrays_multi_output_and_nan_padding():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(200, 5, 2))
    Y = np.stack([X[:, ::-1, 0].cumsum(1)[:, :3], X[:, :3, 1] * 100], axis=2)  # (200, 3, 2), other scale
    model = RNNSeq2SeqRegressor(hidden_size=32, max_iter=60, random_state=0).fit(X, Y)
    assert model.predict(X[:4]).shape == (4, 3, 2)
    assert model.score(X, Y) > 0.7
    Y2 = Y[..., 0].copy()
    Y2[::2, 2] = np.nan  # half the targets are only 2 steps long
    m2 = RNNSeq2SeqRegressor(hidden_size=8, max_iter=3, random_state=0).fit(X, Y2)
    assert m2.predict(X[:4], n_steps=5).shape == (4, 5)
    assert np.isfinite(m2.score(X, Y2))


def test_param_validation():
    check_param_validation("RNNSeq2SeqRegressor", RNNSeq2SeqRegressor())


def test_weights_and_state_dict_name_both_networks_and_round_trip():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5))
    model = RNNSeq2SeqRegressor(cell="lstm", hidden_size=4, num_layers=2, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, X[:, ::-2])
    sd = model.get_state_dict()
    assert {"encoder.weight_ih_l0", "encoder.weight_hh_l1", "decoder.weight_ih_l0", "decoder.head.weight"} <= set(sd)
    assert sd["decoder.weight_hh_l0"].shape == (16, 4)  # LSTM: 4 gate blocks of H=4
    assert set(model.weights_) == set(sd)
    before = model.predict(X)
    sd["decoder.head.bias"] += 1.0  # identity head: the first output shifts by one standard deviation ...
    model.set_state_dict(sd)
    after = model.predict(X)
    np.testing.assert_allclose(after[:, 0], before[:, 0] + model._y_scale[0], rtol=1e-6, atol=1e-6)
    assert np.abs(after[:, 1:] - before[:, 1:] - model._y_scale[0]).max() > 1e-3  # ... and is fed back
    with pytest.raises(ValueError, match="unexpected"):
        model.set_state_dict({**sd, "extra.weight": sd["decoder.head.bias"]})


@pytest.fixture(scope="module")
def fitted_s2s():
    X = np.random.RandomState(0).normal(size=(10, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return RNNSeq2SeqRegressor(hidden_size=3, max_iter=2, random_state=0).fit(X, X[:, :2]), X[:2]


@pytest.mark.parametrize("n_steps, message", [
    (0, r"n_steps must be a positive integer .*got 0\."),
    (-3, r"n_steps must be a positive integer .*got -3\."),
    (2.7, r"got 2.7, which is not an integer"),
    (2.0, r"got 2.0, which is not an integer"),
    (True, r"n_steps must be a positive integer .*got True"),
    ("3", r"n_steps must be a positive integer .*got '3'"),
    ([-1, 2], r"entry 0 is -1\. Each output length must be an integer >= 1"),
    ([2, 2.5], r"entry 1 is 2.5\. Each output length must be an integer >= 1"),
    ([2, np.nan], r"entry 1 is nan"),
    ([2, 3, 4], r"n_steps has 3 entries but X has 2 sequences; pass one output length per sequence"),
    ([3], r"n_steps has 1 entries but X has 2 sequences"),
    ([[1, 2]], r"1-D array-like of shape \(n_samples,\); got shape \(1, 2\)"),
    (["a", "b"], r"n_steps must be a positive integer .*got \['a', 'b'\]"),
])
def test_predict_refuses_bad_n_steps(fitted_s2s, n_steps, message):
    model, X = fitted_s2s
    with pytest.raises(ValueError, match=message):
        model.predict(X, n_steps=n_steps)


def test_predict_accepts_integer_n_steps_of_any_integer_type(fitted_s2s):
    model, X = fitted_s2s
    assert model.predict(X, n_steps=np.int64(3)).shape == (2, 3)
    assert model.predict(X, n_steps=np.array(3)).shape == (2, 3)
    assert [p.shape for p in model.predict(X, n_steps=np.array([1, 3]))] == [(1,), (3,)]
    assert [p.shape for p in model.predict(X, n_steps=[2.0, 1.0])] == [(2,), (1,)]  # integral floats: lengths
