"""What long and ragged sequences rely on: SequenceScaler and the built-in input scaling, pooled readouts,
patches of steps, and ``transform`` (the sequence embedding) in pipelines."""

import json
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skrnn
from skrnn import RNNClassifier, RNNRegressor, SequenceScaler
from skrnn._preprocessing import auto_patch_size, patch, resolve_scaling, sequence_features
from skrnn._validation import Sequences, check_sequences

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# one network: the tests read its state dict and pooling
SMALL = {"hidden_size": 6, "max_iter": 4, "random_state": 0, "n_estimators": 1}
POOLINGS = ["last", "mean", "max", "attention", "last_mean"]


def ragged(n=12, D=2, seed=0, low=3, high=9):
    rng = np.random.default_rng(seed)
    X = [rng.normal(loc=3.0, scale=2.0, size=(rng.integers(low, high), D)) for _ in range(n)]
    y = np.array([int(x[:, 0].mean() > 3.0) for x in X])
    y[:2] = [0, 1]
    return X, y


def padded(X, T=None, value=np.nan):
    T = T or max(len(x) for x in X)
    out = np.full((len(X), T, X[0].shape[1]), value)
    for i, x in enumerate(X):
        out[i, : len(x)] = x
    return out


# ------------------------------------------------------------------ SequenceScaler
def test_scaler_statistics_are_over_valid_steps_only():
    X, _ = ragged()
    steps = np.concatenate(X)
    sc = SequenceScaler().fit(X)
    assert_allclose(sc.mean_, steps.mean(0), rtol=1e-12)
    assert_allclose(sc.scale_, steps.std(0), rtol=1e-12)
    assert sc.n_steps_seen_ == len(steps) and sc.n_features_in_ == 2
    sc3 = SequenceScaler().fit(padded(X))  # the same sequences, NaN-padded
    assert_allclose(sc3.mean_, sc.mean_, rtol=1e-12)
    assert_allclose(sc3.scale_, sc.scale_, rtol=1e-12)


def test_scaler_returns_the_form_it_got_and_inverts():
    X, _ = ragged()
    sc = SequenceScaler().fit(X)
    Xt = sc.transform(X)
    assert isinstance(Xt, list) and [x.shape for x in Xt] == [x.shape for x in X]
    assert_allclose(np.concatenate(Xt).mean(0), 0, atol=1e-12)
    assert_allclose(np.concatenate(Xt).std(0), 1, rtol=1e-12)
    for a, b in zip(sc.inverse_transform(Xt), X, strict=True):
        assert_allclose(a, b, rtol=1e-12)
    P = padded(X)  # 3-D with trailing NaN: NaN stays where it was
    Pt = sc.transform(P)
    assert Pt.shape == P.shape
    assert_array_equal(np.isnan(Pt), np.isnan(P))
    assert_allclose(Pt[~np.isnan(P)], padded(Xt)[~np.isnan(P)])
    assert_allclose(sc.inverse_transform(Pt), P, rtol=1e-12)
    U = [x[:, 0] for x in X]  # a list of 1-D sequences comes back as 1-D sequences
    Ut = SequenceScaler().fit_transform(U)
    assert [u.shape for u in Ut] == [u.shape for u in U]


def test_scaler_on_2d_univariate_input_uses_one_mean_for_all_steps():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 7)) * np.arange(1, 8) + np.arange(7)  # each column its own scale
    X[3, 5:] = np.nan  # a shorter sequence
    Xt = SequenceScaler().fit_transform(X)
    assert Xt.shape == X.shape and np.isnan(Xt[3, 5:]).all()
    valid = X[~np.isnan(X)]
    assert_allclose(Xt[~np.isnan(X)], (valid - valid.mean()) / valid.std(), rtol=1e-12)
    assert Xt.dtype == np.float64 and SequenceScaler().fit_transform(X.astype(np.float32)).dtype == np.float32


def test_scaler_in_a_pipeline_on_3d_input():
    rng = np.random.default_rng(2)
    X = rng.normal(loc=100.0, scale=50.0, size=(30, 5, 3))
    y = (X[:, -1, 0] > 100).astype(int)
    pipe = make_pipeline(SequenceScaler(), RNNClassifier(**SMALL)).fit(X, y)
    assert pipe.predict(X).shape == (30,)
    with pytest.raises(ValueError):  # the per-column scaler cannot read sequences
        make_pipeline(StandardScaler(), RNNClassifier(**SMALL)).fit(X, y)


# ------------------------------------------------------------ built-in scaling
def test_scale_input_makes_the_fit_invariant_to_an_affine_rescaling():
    X, y = ragged(seed=3)
    a = RNNClassifier(scale_input=True, **SMALL).fit(X, y)
    b = RNNClassifier(scale_input=True, **SMALL).fit([1e3 * x - 40.0 for x in X], y)
    assert_allclose(a.predict_proba(X), b.predict_proba([1e3 * x - 40.0 for x in X]), atol=1e-9)
    assert_allclose(a._x_mean, SequenceScaler().fit(X).mean_)
    c = RNNClassifier(scale_input=False, **SMALL).fit(X, y)
    assert c._x_mean is None
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_scale_input_equals_sequence_scaler_in_front():
    X, y = ragged(seed=4)
    inside = RNNRegressor(scale_input=True, **SMALL).fit(X, y.astype(float))
    outside = make_pipeline(SequenceScaler(), RNNRegressor(scale_input=False, **SMALL)).fit(X, y.astype(float))
    assert_allclose(inside.predict(X), outside.predict(X), rtol=1e-10, atol=1e-12)


def _amplitudes_over_decades(n, seed):
    """Sine (class 0) or square wave (class 1) of 24 steps, each sequence scaled by 10**U(-3, 3): the class is
    in the shape only, and global standardisation leaves almost every sequence flat."""
    rng = np.random.default_rng(seed)
    t, y = np.arange(24), rng.integers(0, 2, n)
    shape = np.where(y[:, None] == 1, np.sign(np.sin(t / 2.0)), np.sin(t / 2.0))
    return 10.0 ** rng.uniform(-3, 3, n)[:, None] * (shape + 0.1 * rng.normal(size=(n, 24))), y


def test_sequence_features_equal_a_loop_over_sequences():
    X, _ = ragged(seed=5)
    X[3] = np.full_like(X[3], 2.5)  # a constant sequence: centred, not blown up
    seqs = check_sequences(RNNClassifier(), X, reset=True)
    floor = np.full(2, 1e-8)
    out = sequence_features(seqs, floor)
    assert out.X.shape == (len(X), seqs.X.shape[1], 6)
    for i, x in enumerate(X):
        mu, sd = x.mean(0), np.maximum(x.std(0), floor)
        want = np.column_stack([(x - mu) / sd, np.tile(np.r_[mu, np.log(sd)], (len(x), 1))])
        assert_allclose(out.X[i, : len(x)], want, rtol=1e-12, atol=1e-12)
        assert_array_equal(out.X[i, len(x):], 0)  # padding stays zero
    assert_array_equal(out.X[3, :len(X[3]), :2], 0)


def test_auto_scaling_is_per_sequence_only_when_amplitudes_span_decades():
    X, y = _amplitudes_over_decades(40, seed=0)
    assert resolve_scaling("auto", check_sequences(RNNClassifier(), X, reset=True), None) == "sequence"
    same_scale = np.random.default_rng(1).normal(size=(40, 24))
    assert resolve_scaling("auto", check_sequences(RNNClassifier(), same_scale, reset=True), None) == "global"
    sparse = same_scale * (np.random.default_rng(2).random((40, 24)) < 0.02)  # mostly zero: nothing to rescale
    assert resolve_scaling("auto", check_sequences(RNNClassifier(), sparse, reset=True), None) == "global"
    assert RNNClassifier(scale_input=True, **SMALL).fit(X, y).scale_input_ == "global"
    assert RNNClassifier(scale_input=False, **SMALL).fit(X, y).scale_input_ == "none"


def test_per_sequence_scaling_learns_a_shape_whose_amplitude_spans_six_decades():
    X, y = _amplitudes_over_decades(120, seed=0)
    Xt, yt = _amplitudes_over_decades(200, seed=1)
    params = {**SMALL, "hidden_size": 8, "max_iter": 40}
    auto = RNNClassifier(**params).fit(X, y)
    assert auto.scale_input_ == "sequence"
    assert auto.get_state_dict()["weight_ih_l0"].shape[1] == 3  # the value, and the sequence's mean and log std
    assert auto.score(Xt, yt) >= 0.95
    assert RNNClassifier(scale_input="global", **params).fit(X, y).score(Xt, yt) < 0.8


def test_per_sequence_scaling_reads_ragged_lists_as_padded_arrays_and_survives_saving(tmp_path):
    X, y = ragged(seed=6)
    X = [x * 10.0 ** k for k, x in zip(np.linspace(-3, 3, len(X)), X, strict=True)]
    a = RNNClassifier(scale_input="sequence", pooling="mean", **SMALL).fit(X, y)
    b = RNNClassifier(scale_input="sequence", pooling="mean", **SMALL).fit(padded(X), y)
    assert_allclose(a.predict_proba(X), b.predict_proba(padded(X)), rtol=1e-9, atol=1e-12)
    a.save(tmp_path / "m.skrnn")
    back = skrnn.load(tmp_path / "m.skrnn")
    assert back.scale_input_ == "sequence"
    assert_allclose(back.predict_proba(X), a.predict_proba(X), rtol=1e-12)


# ------------------------------------------------------------------- pooling
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_appending_padding_does_not_change_predictions(pooling, bidirectional):
    X, y = ragged(seed=5)
    clf = RNNClassifier(pooling=pooling, bidirectional=bidirectional, scale_input=True, patch_size=2, **SMALL)
    clf.fit(X, y)
    want = clf.predict_proba(X)
    assert_allclose(clf.predict_proba(padded(X)), want, rtol=1e-12, atol=1e-14)
    assert_allclose(clf.predict_proba(padded(X, T=40)), want, rtol=1e-12, atol=1e-14)
    assert_allclose(clf.transform(padded(X, T=40)), clf.transform(X), rtol=1e-12, atol=1e-14)
    # and the fit itself does not see the padding
    other = RNNClassifier(pooling=pooling, bidirectional=bidirectional, scale_input=True, patch_size=2, **SMALL)
    assert_allclose(other.fit(padded(X, T=40), y).predict_proba(X), want, rtol=1e-9, atol=1e-12)


def test_attention_query_is_in_the_state_dict_and_starts_as_mean_pooling():
    X, y = ragged(seed=6)
    att = RNNClassifier(pooling="attention", bidirectional=True, **dict(SMALL, max_iter=1)).fit(X, y)
    sd = att.get_state_dict()
    assert sd["attention.weight"].shape == (1, 12)
    assert list(sd)[-3:] == ["attention.weight", "head.weight", "head.bias"]
    sd["attention.weight"][...] = 0
    mean = RNNClassifier(pooling="mean", bidirectional=True, **dict(SMALL, max_iter=1)).fit(X, y)
    mean.set_state_dict({k: v for k, v in sd.items() if k != "attention.weight"})
    att.set_state_dict(sd)
    assert_allclose(att.predict_proba(X), mean.predict_proba(X), rtol=1e-12)


def test_pooling_is_ignored_with_per_step_outputs():
    X, _ = ragged(seed=7)
    Y = [(x[:, 0] > 3).astype(int) for x in X]
    Y[0][0], Y[0][1] = 0, 1
    clf = RNNClassifier(pooling="attention", patch_size="auto", return_sequences=True, **SMALL).fit(X, Y)
    assert clf.patch_size_ == 1 and "attention.weight" not in clf.get_state_dict()
    with pytest.raises(ValueError, match="return_sequences=True needs patch_size=1"):
        RNNClassifier(patch_size=2, return_sequences=True, **SMALL).fit(X, Y)


# ------------------------------------------------------------------ patching
def test_patch_reads_consecutive_steps_and_respects_ragged_lengths():
    X = np.arange(2 * 5 * 2, dtype=float).reshape(2, 5, 2)
    X[1, 3:] = 0  # the second sequence has 3 steps
    seqs = Sequences(X, np.array([5, 3]), "3d")
    p = patch(seqs, 2)
    assert p.X.shape == (2, 3, 4)
    assert_array_equal(p.lengths, [3, 2])
    assert_array_equal(p.X[0, 0], np.r_[X[0, 0], X[0, 1]])
    assert_array_equal(p.X[0, 2], np.r_[X[0, 4], 0, 0])  # the short last patch is completed with zeros
    assert_array_equal(p.X[1, 1], np.r_[X[1, 2], 0, 0])
    assert patch(seqs, 1) is seqs
    assert [auto_patch_size(T) for T in (8, 32, 33, 150, 251, 427, 1460)] == [1, 1, 2, 5, 8, 14, 46]


def test_patched_ragged_list_equals_nan_padded_array():
    X, y = ragged(seed=8, low=5, high=20)
    a = RNNClassifier(patch_size=3, pooling="mean", **SMALL).fit(X, y)
    b = RNNClassifier(patch_size=3, pooling="mean", **SMALL).fit(padded(X), y)
    assert a.patch_size_ == 3 and a.n_features_in_ == 2
    assert a.get_state_dict()["weight_ih_l0"].shape == (3 * 6, 3 * 2)  # a step reads 3 steps of 2 features
    assert_allclose(a.predict_proba(X), b.predict_proba(padded(X)), rtol=1e-9, atol=1e-12)


def test_auto_patch_size_follows_the_training_length_and_stays_fixed():
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(10, 300)), np.arange(10) % 2
    clf = RNNClassifier(patch_size="auto", **SMALL).fit(X, y)
    assert clf.patch_size_ == 10
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.patch_size_ == 10
    with pytest.raises(ValueError, match="patch_size changed"):
        clf.set_params(patch_size=2).fit(X, y)


def test_auto_patch_size_follows_the_median_length_of_ragged_sequences():
    rng = np.random.default_rng(10)
    X = [rng.normal(size=T) for T in [100] * 7 + [1300] * 3]  # a few long sequences
    clf = RNNClassifier(patch_size="auto", **SMALL).fit(X, np.arange(10) % 2)
    assert clf.patch_size_ == 4  # ceil(100 / 32), not ceil(1300 / 32) = 41, which reads the short ones in 3 steps


# ------------------------------------------------------------------ transform
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_transform_is_what_the_head_reads(bidirectional):
    X, y = ragged(seed=10)
    clf = RNNClassifier(pooling="max", bidirectional=bidirectional, **SMALL).fit(X, y)
    E = clf.transform(X)
    assert E.shape == (len(X), 6 * (2 if bidirectional else 1))
    sd = clf.get_state_dict()
    z = E @ sd["head.weight"].T + sd["head.bias"]
    p = np.exp(z - z.max(1, keepdims=True))
    assert_allclose(p / p.sum(1, keepdims=True), clf.predict_proba(X), rtol=1e-10)
    names = clf.get_feature_names_out()
    assert list(names[:2]) == ["rnnclassifier0", "rnnclassifier1"] and len(names) == E.shape[1]
    reg = RNNRegressor(**SMALL).fit(X, y.astype(float))
    assert reg.transform(X).shape == (len(X), 24)  # both directions ('auto'), final state and mean ('last_mean')
    assert reg.get_feature_names_out()[0] == "rnnregressor0"


def test_auto_bidirectional_reads_both_directions_for_one_label_and_forward_for_labels_per_step():
    X, y = ragged(seed=12)
    for est in (RNNClassifier(**SMALL), RNNRegressor(**SMALL)):
        assert est.bidirectional == "auto"
        est.fit(X, y if isinstance(est, RNNClassifier) else y.astype(float))
        assert est._arch.bidirectional and "weight_hh_l0_reverse" in est.get_state_dict()
    X3 = np.random.default_rng(0).standard_normal((20, 7, 2))
    Y3 = (X3[..., 0] > 0).astype(int)
    per_step = RNNClassifier(return_sequences=True, **SMALL).fit(X3, Y3)
    assert not per_step._arch.bidirectional and "weight_hh_l0_reverse" not in per_step.get_state_dict()
    forward = RNNClassifier(bidirectional=False, **SMALL).fit(X, y)
    assert "weight_hh_l0_reverse" not in forward.get_state_dict()


def test_a_fitted_rnn_feeds_any_estimator_in_a_pipeline():
    X, y = ragged(n=30, seed=11)
    pipe = make_pipeline(RNNClassifier(**SMALL), LogisticRegression()).fit(X, y)
    assert pipe.predict(X).shape == (30,)
    assert list(pipe[:-1].get_feature_names_out()[:1]) == ["rnnclassifier0"]
    pipe.set_output(transform="pandas")
    assert list(pipe[:-1].transform(X).columns[:1]) == ["rnnclassifier0"]


# ---------------------------------------------------------------- persistence
def test_save_load_round_trip_with_the_new_options(tmp_path):
    X, y = ragged(seed=12)
    clf = RNNClassifier(pooling="attention", patch_size=2, scale_input=True, bidirectional=True, **SMALL).fit(X, y)
    path = tmp_path / "m.skrnn"
    clf.save(path)
    back = skrnn.load(path)
    assert back.patch_size_ == 2 and back._arch.pooling == "attention"
    assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert_array_equal(back.transform(X), clf.transform(X))


def test_a_file_saved_before_the_new_options_loads_and_predicts_as_before(tmp_path):
    X, y = ragged(seed=13)
    old = RNNClassifier(scale_input=False, pooling="last", patch_size=1, **SMALL).fit(X, y)
    path = tmp_path / "old.skrnn"
    old.save(path)
    # rewrite the file as the previous version wrote it: no new parameters, fitted fields or architecture fields
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("__skrnn__")[()]))
    arrays.pop("__digest__")  # format version 1: no integrity digest
    meta["format_version"] = 1
    for k in ("pooling", "patch_size", "scale_input"):
        del meta["params"][k]
    for k in ("_x_mean", "_x_scale", "patch_size_"):
        del meta["attributes"][k]
    arch = meta["attributes"]["_arch"]["architecture"]["__dict__"]
    meta["attributes"]["_arch"]["architecture"]["__dict__"] = [kv for kv in arch if kv[0] != "pooling"]
    with open(path, "wb") as f:
        np.savez(f, __skrnn__=np.array(json.dumps(meta)), **arrays)
    assert zipfile.is_zipfile(path)
    back = skrnn.load(path)
    assert back._arch.pooling == "last"
    assert_array_equal(back.predict_proba(X), old.predict_proba(X))



# ------------------------------------------------------------------ minibatches of ragged sequences
def _epochs(lengths, n_epochs, shuffle=True, n_batches=8, seed=0):
    """The row indices of every minibatch of ``n_epochs`` epochs over sequences of ``lengths``."""
    from skrnn._training import SequenceBatches

    seqs = check_sequences(RNNClassifier(), [np.zeros((L, 1)) for L in lengths], reset=True)
    batches = SequenceBatches(seqs, np.zeros((len(lengths), 1)), np.ones(len(lengths)), False, 64, np.float64,
                              n_batches)
    taken, take = [], batches.take
    batches.take = lambda idx: taken.append(np.array(idx)) or take(idx)
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n_epochs):
        taken.clear()
        lens = [batch.lengths for batch, _ in batches.epoch(rng, shuffle)]
        for idx, L in zip(taken, lens, strict=True):
            assert_array_equal(L, np.asarray(lengths)[idx])
        out.append(list(taken))
    return out


def test_ragged_minibatches_hold_similar_lengths_and_every_sequence_once_per_epoch():
    # the recurrence runs to the longest sequence of its batch: grouping similar lengths saves that work
    lengths = np.random.default_rng(0).integers(20, 400, size=200)
    epochs = _epochs(lengths, 3)
    rng = np.random.RandomState(1)
    shuffled = np.mean([sum(lengths[i].max() for i in np.array_split(rng.permutation(200), 8)) for _ in range(20)])
    for idx in epochs:
        assert_array_equal(np.sort(np.concatenate(idx)), np.arange(200))
        assert [len(i) for i in idx] == [25] * 8
        assert sum(lengths[i].max() for i in idx) < 0.75 * shuffled
    assert not all(np.array_equal(a, b) for a, b in zip(epochs[0], epochs[1], strict=True))  # batches still vary


def test_equal_lengths_and_unshuffled_epochs_keep_their_order():
    rng = np.random.RandomState(0)
    expected = [np.array_split(rng.permutation(40), 8) for _ in range(2)]
    for got, want in zip(_epochs([30] * 40, 2), expected, strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    ragged_lengths = np.arange(40) % 7 + 3
    for got in _epochs(ragged_lengths, 2, shuffle=False):
        assert_array_equal(np.concatenate(got), np.arange(40))
