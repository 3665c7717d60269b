"""n_estimators: several networks trained side by side and averaged."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import skrnn
from skrnn import RNNClassifier, RNNRegressor
from skrnn._base import auto_n_estimators

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_size": 5, "max_iter": 4, "random_state": 0}


def data(n=30, T=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T))
    y = (X[:, :3].sum(1) > 0).astype(int)
    return X, y


def member(est, k, n_members):
    """A fitted single-network copy of ``est`` holding member ``k``'s weights."""
    X, y = data()
    single = type(est)(**{**est.get_params(), "n_estimators": 1, "max_iter": 1})
    single.fit(X, y if isinstance(est, RNNClassifier) else X.sum(1))
    # same input scaling and targets' scaling as the ensemble
    for a in ("_x_mean", "_x_scale", "_y_mean", "_y_scale"):
        if hasattr(est, a):
            setattr(single, a, getattr(est, a))
    prefix = f"estimators.{k}."
    return single.set_state_dict({n[len(prefix):]: v for n, v in est.get_state_dict().items() if n.startswith(prefix)})


def test_predict_proba_is_the_mean_of_the_members():
    X, y = data()
    clf = RNNClassifier(n_estimators=3, **SMALL).fit(X, y)
    assert clf.n_estimators_ == 3
    members = [member(clf, k, 3).predict_proba(X) for k in range(3)]
    assert_allclose(clf.predict_proba(X), np.mean(members, axis=0), rtol=1e-6, atol=1e-9)
    assert np.abs(members[0] - members[1]).max() > 1e-3  # members differ (their initial weights)
    assert_array_equal(clf.predict(X), clf.classes_[clf.predict_proba(X).argmax(1)])


def test_regressor_predicts_the_mean_of_the_members():
    X, _ = data()
    y = X.sum(1)
    reg = RNNRegressor(n_estimators=2, **SMALL).fit(X, y)
    assert_allclose(reg.predict(X), np.mean([member(reg, k, 2).predict(X) for k in range(2)], axis=0), rtol=1e-6)


def test_each_member_trains_as_a_single_network_would():
    # no shuffling, a fixed number of epochs: member 0 (initialised first) is the single network
    X, y = data()
    params = {**SMALL, "shuffle": False, "tol": 0.0, "clip_norm": 1e-3}  # clipping every step, per member
    single = RNNClassifier(n_estimators=1, **params).fit(X, y)
    ens = RNNClassifier(n_estimators=3, **params).fit(X, y)
    first = {n[len("estimators.0."):]: v for n, v in ens.get_state_dict().items() if n.startswith("estimators.0.")}
    for name, v in single.get_state_dict().items():
        assert_allclose(first[name], v, rtol=1e-10, atol=1e-12, err_msg=name)


def test_one_network_is_the_single_model_and_keeps_pytorch_names():
    X, y = data()
    one = RNNClassifier(n_estimators=1, **SMALL).fit(X, y)
    assert one.n_estimators_ == 1 and "weight_ih_l0" in one.get_state_dict()
    assert one.transform(X).shape == (30, 20)  # 5 units each way ('auto'), the final state and the mean
    auto_large = RNNClassifier(**SMALL).fit(np.tile(X, (40, 1)), np.tile(y, 40))  # 1200 sequences: 'auto' is 1
    assert auto_large.n_estimators_ == 1


def test_fits_are_deterministic():
    X, y = data()
    a = RNNClassifier(n_estimators=3, dropout=0.2, **SMALL).fit(X, y)
    b = RNNClassifier(n_estimators=3, dropout=0.2, **SMALL).fit(X, y)
    assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_auto_trains_five_networks_on_small_sets_and_one_on_large_sets_and_in_partial_fit():
    assert [auto_n_estimators(n) for n in (1, 30, 200, 250, 400, 1000, 1001, 50000)] == [5, 5, 5, 4, 2, 1, 1, 1]
    assert auto_n_estimators(30, incremental=True) == 1
    X, y = data()
    assert RNNClassifier(**SMALL).fit(X, y).n_estimators_ == 5
    assert RNNClassifier(**SMALL).partial_fit(X, y, classes=[0, 1]).n_estimators_ == 1
    assert RNNClassifier(n_estimators=2, **SMALL).partial_fit(X, y, classes=[0, 1]).n_estimators_ == 2


def test_transform_and_feature_names_concatenate_the_members():
    X, y = data()
    clf = RNNClassifier(n_estimators=3, **SMALL).fit(X, y)
    Z = clf.transform(X)
    assert Z.shape == (30, 60) and len(clf.get_feature_names_out()) == 60  # 3 members x 5 units x 2 directions x 2
    assert_allclose(Z[:, 20:40], member(clf, 1, 3).transform(X), rtol=1e-6, atol=1e-9)


def test_state_dict_round_trip_and_wrong_keys():
    X, y = data()
    clf = RNNClassifier(n_estimators=2, **SMALL).fit(X, y)
    sd = clf.get_state_dict()
    assert sorted({k.split(".")[1] for k in sd if k.startswith("estimators.")}) == ["0", "1"]
    before = clf.predict_proba(X)
    clf.set_state_dict({k: v * 1.0 for k, v in sd.items()})
    assert_array_equal(clf.predict_proba(X), before)
    with pytest.raises(ValueError, match="holds 2 networks"):
        clf.set_state_dict({k[len("estimators.0."):]: v for k, v in sd.items() if k.startswith("estimators.0.")})
    with pytest.raises(ValueError, match="unexpected keys"):
        clf.set_state_dict({**sd, "estimators.2.head.bias": sd["estimators.0.head.bias"]})


def test_warm_start_and_partial_fit_keep_the_members():
    X, y = data()
    clf = RNNClassifier(n_estimators=2, warm_start=True, **SMALL).fit(X, y)
    clf.fit(X, y)
    assert clf.n_estimators_ == 2 and clf.n_iter_ == 8
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 9
    clf.set_params(n_estimators="auto").fit(X, y)  # 'auto' keeps the fitted members
    assert clf.n_estimators_ == 2
    with pytest.raises(ValueError, match="n_estimators=3"):
        clf.set_params(n_estimators=3).fit(X, y)


def test_save_load_round_trip(tmp_path):
    X, y = data()
    clf = RNNClassifier(n_estimators=3, pooling="attention", **SMALL).fit(X, y)
    clf.save(tmp_path / "m.skrnn")
    back = skrnn.load(tmp_path / "m.skrnn")
    assert back.n_estimators_ == 3
    assert_array_equal(back.predict_proba(X), clf.predict_proba(X))


def test_early_stopping_scores_the_ensemble():
    X, y = data(60)
    clf = RNNClassifier(n_estimators=2, early_stopping=True, **{**SMALL, "max_iter": 6}).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ and 0 <= clf.best_validation_score_ <= 1


# ------------------------------------------------------------ batch_size='auto'
def test_auto_batches_are_equal_and_sized_from_n_samples():
    from skrnn._training import auto_n_batches

    assert [auto_n_batches(n) for n in (1, 23, 27, 28, 36, 96, 200, 512, 513, 1347)] == [1, 1, 1, 2, 3, 8, 8, 8, 9, 22]
    X, y = data(n=50)
    clf = RNNClassifier(n_estimators=1, tol=0, **SMALL).fit(X, y)
    assert clf._optimizer.t == 4 * 4  # 4 epochs of 4 minibatches (13, 13, 12, 12)
    one = RNNClassifier(n_estimators=1, batch_size=64, tol=0, **SMALL).fit(X, y)
    assert one._optimizer.t == 4  # an int: batches of exactly that size


def test_auto_batches_of_one_epoch_have_sizes_within_one():
    from skrnn._training import SequenceBatches
    from skrnn._validation import check_sequences

    X, y = data(n=50)
    seqs = check_sequences(RNNClassifier(), X, reset=True)
    batches = SequenceBatches(seqs, np.eye(2)[y], np.ones(50), False, 64, np.float64, n_batches=4)
    sizes = [count for _, count in batches.epoch(np.random.RandomState(0), True)]
    assert sorted(sizes) == [12, 12, 13, 13]


# ------------------------------------------------- members reading different patch sizes
def test_patch_time_major_is_the_time_major_twin_of_patch():
    from skrnn._nn.ensemble import patch_time_major
    from skrnn._preprocessing import patch
    from skrnn._validation import Sequences

    rng = np.random.default_rng(3)
    L = np.array([7, 5, 2])
    X = rng.normal(size=(3, 7, 2)) * (np.arange(7)[None, :, None] < L[:, None, None])  # zeros past each length
    for p in (1, 2, 3, 7, 8):
        want = patch(Sequences(X, L, "3d"), p)
        got, lengths = patch_time_major(np.ascontiguousarray(X.transpose(1, 0, 2)), L, p)
        assert_array_equal(got.transpose(1, 0, 2), want.X, err_msg=f"p={p}")
        assert_array_equal(lengths, want.lengths)


def test_members_reading_different_patch_sizes_have_exact_gradients():
    from test_gradients import assert_fd_close, central_differences

    from skrnn._nn.ensemble import Ensemble
    from skrnn._nn.params import Architecture
    from skrnn._training import Batch, dropout_masks

    rng = np.random.default_rng(4)
    L = np.array([6, 4, 3])
    X = rng.normal(size=(6, 3, 2)) * (np.arange(6)[:, None, None] < L[None, :, None])
    Y = np.eye(2)[[0, 1, 1]]
    arch = Architecture(cell="gru", n_features=2, hidden_size=3, n_outputs=2, num_layers=2, bidirectional=True,
                        pooling="last_mean")
    ens = Ensemble(arch, "softmax", False, 3, patches=(1, 2, 4))
    flat = ens.initialize(np.random.RandomState(0), np.float64)
    assert [net.arch.n_features for net in ens.members] == [2, 4, 8]
    assert flat.size == ens.size == sum(net.size for net in ens.members)
    batch = Batch(X, L, Y, np.array([1.0, 2.0, 0.5]))
    shapes = ens.dropout_shapes(batch)
    assert [shapes[f"{k}/layers"][0][0] for k in range(3)] == [6, 3, 2]  # each member's own recurrent steps
    masks = dropout_masks(shapes, 0.3, np.random.RandomState(1), np.float64)
    grad = np.zeros_like(flat)
    ens.loss_and_grad(flat, grad, batch, masks)
    scratch = np.empty_like(flat)
    # the objective is the members' mean loss and its gradient each member's own (as if it trained alone)
    fd = 3 * central_differences(lambda: ens.loss_and_grad(flat, scratch, batch, masks)[0], flat)
    for k, (a, b) in enumerate(ens.member_slices):
        assert_fd_close(fd[a:b], grad[a:b], f"member {k}")


def test_multiscale_patch_sizes_read_each_series_at_several_scales():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 200))
    y = (X[:, :50].mean(1) > 0).astype(int)
    params = {"hidden_size": 4, "max_iter": 3, "random_state": 0}
    assert RNNClassifier(n_estimators=5, **params).fit(X, y).patch_size_ == 7  # 'auto': one scale, 32 steps
    clf = RNNClassifier(n_estimators=5, patch_size="multiscale", **params).fit(X, y)
    # members aim at 32, 16, 48, 32, 16 recurrent steps: ceil(200 / 32) = 7, ceil(200 / 16) = 13, ...
    assert clf.patch_size_ == (7, 13, 5, 7, 13)
    sd = clf.get_state_dict()
    assert [sd[f"estimators.{k}.weight_ih_l0"].shape[1] for k in range(5)] == [7, 13, 5, 7, 13]
    # the ensemble's probabilities are the mean of its members, each reading its own patches
    probs = []
    for k, p in enumerate(clf.patch_size_):
        single = RNNClassifier(n_estimators=1, patch_size=p, **{**params, "max_iter": 1}).fit(X, y)
        single._x_mean, single._x_scale = clf._x_mean, clf._x_scale
        prefix = f"estimators.{k}."
        single.set_state_dict({n[len(prefix):]: v for n, v in sd.items() if n.startswith(prefix)})
        probs.append(single.predict_proba(X))
    assert_allclose(clf.predict_proba(X), np.mean(probs, axis=0), rtol=1e-6, atol=1e-9)
    assert clf.transform(X).shape == (30, 5 * 16)  # 4 units x 2 directions x (final state, mean), per member
    # one network reads at 32 steps, and short sequences step by step, whatever the target
    assert RNNClassifier(n_estimators=1, patch_size="multiscale", **params).fit(X, y).patch_size_ == 7
    assert RNNClassifier(n_estimators=3, patch_size="multiscale", **params).fit(X[:, :16], y).patch_size_ == 1
    X3 = np.random.default_rng(0).standard_normal((20, 40, 2))
    per_step = RNNClassifier(patch_size="multiscale", return_sequences=True, **params).fit(X3, X3[..., 0] > 0)
    assert per_step.patch_size_ == 1


def test_members_reading_different_patch_sizes_survive_save_warm_start_and_state_dicts(tmp_path):
    rng = np.random.default_rng(6)
    X = [rng.normal(size=T) for T in rng.integers(60, 90, size=24)]  # ragged
    y = np.arange(24) % 2
    clf = RNNClassifier(n_estimators=3, patch_size="multiscale", hidden_size=4, max_iter=2, random_state=0).fit(X, y)
    assert clf.patch_size_ == (3, 5, 2)  # median length 72 or so, at 32, 16 and 48 steps
    clf.save(tmp_path / "m.skrnn")
    back = skrnn.load(tmp_path / "m.skrnn")
    assert back.patch_size_ == clf.patch_size_
    assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    back.set_state_dict(clf.get_state_dict())
    assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    back.set_params(warm_start=True).fit(X, y)
    assert back.patch_size_ == clf.patch_size_ and back.n_iter_ == 4
    with pytest.raises(ValueError, match="patch_size changed to 3 since the model was fitted with patch_size_="):
        back.set_params(patch_size=3).fit(X, y)


def test_each_network_reads_the_training_set_in_its_own_order():
    from skrnn._training import MemberBatches, SequenceBatches
    from skrnn._validation import Sequences

    rng = np.random.default_rng(7)
    L = rng.integers(3, 9, size=40)
    X = rng.normal(size=(40, 8, 1)) * (np.arange(8)[None, :, None] < L[:, None, None])
    X[:, 0, 0] = np.arange(40)  # each sequence's id in its first step
    inner = SequenceBatches(Sequences(X, L, "3d"), np.zeros((40, 1)), np.ones(40), False, 64, np.float64, 4)
    batches = MemberBatches(inner, 3)
    for shuffle in (True, False):
        seen = [[] for _ in range(3)]
        for step, count in batches.epoch(np.random.RandomState(0), shuffle):
            assert len(step) == 3 and count == len(step[0].lengths)
            for k, b in enumerate(step):
                seen[k].append(b.X[0, :, 0].astype(int))
        for k in range(3):
            assert sorted(np.concatenate(seen[k])) == list(range(40))  # every sequence once per epoch
        orders = [np.concatenate(s) for s in seen]
        differ = [not np.array_equal(orders[0], orders[k]) for k in (1, 2)]
        assert differ == [shuffle, shuffle]
