"""Many-to-many estimators (``return_sequences=True``): per-step targets and
outputs, ragged input, padding ignored, and bidirectional layers seeing the future."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNClassifier, RNNRegressor


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def later_event(n, T, rate, seed):
    """Binary event sequences; each step is labelled by whether an event occurs strictly later."""
    rng = np.random.RandomState(seed)
    X = (rng.rand(n, T) < rate).astype(float)
    later = np.flip(np.cumsum(np.flip(X, 1), 1), 1) - X
    return X, (later > 0).astype(int)


def test_bidirectional_beats_unidirectional_when_the_future_matters():
    T, rate = 20, 0.08
    X, y = later_event(400, T, rate, seed=0)
    Xte, yte = later_event(300, T, rate, seed=1)
    # The best a causal model can do is guess from the position: P(later event) = 1 - (1 - rate)^(T-1-t).
    p = 1 - (1 - rate) ** np.arange(T - 1, -1, -1)
    causal_bound = np.mean(np.maximum(p, 1 - p))
    scores = {}
    for bi in (False, True):
        clf = RNNClassifier(return_sequences=True, bidirectional=bi, hidden_size=16, max_iter=40, random_state=0)
        scores[bi] = clf.fit(X, y).score(Xte, yte)
    assert scores[True] >= 0.97
    assert scores[False] <= causal_bound + 0.05
    assert scores[True] > scores[False] + 0.2


def test_classifier_shapes_and_labels():
    X, y = later_event(60, 7, 0.2, seed=2)
    labels = np.array(["no", "yes"])[y]
    clf = RNNClassifier(return_sequences=True, hidden_size=8, max_iter=3, random_state=0).fit(X, labels)
    assert_array_equal(clf.classes_, ["no", "yes"])
    assert clf.predict(X).shape == (60, 7)
    assert set(np.unique(clf.predict(X))) <= {"no", "yes"}
    P = clf.predict_proba(X)
    assert P.shape == (60, 7, 2)
    assert_allclose(P.sum(-1), 1.0, rtol=1e-12)
    assert_allclose(clf.predict_log_proba(X), np.log(P))
    assert 0 <= clf.score(X, labels) <= 1
    with pytest.raises(ValueError, match="n_timesteps"):
        clf.fit(X, y[:, 0])
    with pytest.raises(ValueError, match="class_weight"):
        clf.set_params(class_weight="balanced").fit(X, y)


def test_ragged_list_and_padded_array_agree_and_padding_is_ignored():
    rng = np.random.RandomState(0)
    Xl = [rng.normal(size=L) for L in (5, 9, 3, 7)]
    yl = [np.cumsum(x) for x in Xl]
    Xp, yp = np.full((4, 9), np.nan), np.full((4, 9), np.nan)
    for i, (x, t) in enumerate(zip(Xl, yl, strict=True)):
        Xp[i, :len(x)], yp[i, :len(x)] = x, t
    kw = dict(return_sequences=True, hidden_size=8, max_iter=5, shuffle=False, random_state=0)
    a = RNNRegressor(**kw).fit(Xl, yl)
    b = RNNRegressor(**kw).fit(Xp, yp)
    yp_junk = np.where(np.isnan(yp), 1e6, yp)  # any value at padded steps is ignored
    c = RNNRegressor(**kw).fit(Xp, yp_junk)
    pa, pb, pc = a.predict(Xl), b.predict(Xp), c.predict(Xp)
    assert isinstance(pa, list) and [len(p) for p in pa] == [5, 9, 3, 7]
    for u, v, w in zip(pa, pb, pc, strict=True):
        assert_allclose(u, v, rtol=1e-10)
        assert_allclose(u, w, rtol=1e-10)
    assert_allclose(a.score(Xl, yl), b.score(Xp, yp))
    with pytest.raises(ValueError, match=r"y\[1\] must have one target per step"):
        RNNRegressor(**kw).fit(Xl, [yl[0], yl[1][:-1], yl[2], yl[3]])
    with pytest.raises(ValueError, match="NaN"):  # NaN at a valid step is an error, not padding
        RNNRegressor(**kw).fit(Xp, np.where(np.arange(9) == 1, np.nan, yp_junk))
    # ragged labels for the classifier come back per sequence too
    clf = RNNClassifier(return_sequences=True, hidden_size=8, max_iter=2, random_state=0)
    clf.fit(Xl, [(t > 0).astype(int) for t in yl])
    assert [p.shape for p in clf.predict_proba(Xl)] == [(5, 2), (9, 2), (3, 2), (7, 2)]


def test_regressor_learns_a_running_sum_multi_output():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 10, 2))
    Y = np.stack([np.cumsum(X[..., 0], 1), X[..., 1] * 10 + 3], axis=-1)
    reg = RNNRegressor(return_sequences=True, hidden_size=16, max_iter=60, random_state=0).fit(X, Y)
    Xte = rng.normal(size=(100, 10, 2))
    Yte = np.stack([np.cumsum(Xte[..., 0], 1), Xte[..., 1] * 10 + 3], axis=-1)
    assert reg.predict(Xte).shape == (100, 10, 2)
    assert reg.score(Xte, Yte) > 0.9
    reg1 = RNNRegressor(return_sequences=True, hidden_size=4, max_iter=2, random_state=0).fit(X, Y[..., 0])
    assert reg1.predict(Xte).shape == (100, 10)


def test_default_is_many_to_one_and_the_mode_is_fixed_at_fit():
    X, y = later_event(40, 6, 0.2, seed=3)
    clf = RNNClassifier(hidden_size=4, max_iter=2, random_state=0).fit(X, y[:, 0])
    assert clf.predict(X).shape == (40,)
    with pytest.raises(ValueError, match="return_sequences changed"):
        clf.set_params(return_sequences=True).partial_fit(X, y)
    seq = RNNClassifier(return_sequences=True, hidden_size=4, max_iter=2, random_state=0, early_stopping=True)
    seq.fit(X, y)
    assert len(seq.validation_scores_) == seq.n_iter_
