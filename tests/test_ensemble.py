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
