"""What a user of RNNClassifier / RNNRegressor relies on: scikit-learn
meta-estimators, persistence, sample and class weights, the classifier and
regressor contracts, learning, fitted attributes and diagnostics, weight
exchange with PyTorch and behaviour on divergence.

Input conventions live in ``test_validation.py``; the kernels and the network
have their own tests.
"""

import pickle

import joblib
import numpy as np
import pytest
import sklearn.model_selection
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skrnn import RNNClassifier, RNNRegressor

# Most fits here stop at a small max_iter on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_size": 8, "max_iter": 5, "random_state": 0}
CELLS = ["rnn", "lstm", "gru"]


def binary_data(n=60, T=6, D=None, seed=0):
    """Label = sign of the last step (an easy task), 2-D or 3-D."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T) if D is None else (n, T, D))
    y = (X[:, -1] > 0).astype(int) if D is None else (X[:, -1, 0] > 0).astype(int)
    return X, y


def first_step_data(n, T=20, seed=0):
    """Label = sign of the first of T steps; the later steps are unit noise, so
    the network must carry one number through T - 1 distracting updates."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T))
    y = rng.integers(0, 2, size=n)
    X[:, 0] = (2 * y - 1) * (0.25 + np.abs(X[:, 0]))  # a margin, so test accuracy measures memory, not noise
    return X, y


def max_weight_diff(a, b):
    wa, wb = a.weights_, b.weights_
    assert wa.keys() == wb.keys()
    return max(float(np.abs(wa[k] - wb[k]).max()) for k in wa)


def assert_same_weights(a, b):
    for k, v in a.weights_.items():
        assert_array_equal(v, b.weights_[k], err_msg=k)


def assert_finite_weights(est):
    for k, v in est.weights_.items():
        assert np.isfinite(v).all(), k


# --------------------------------------------------------------- meta-estimators
def _as_pairs(X):
    return X.reshape(len(X), -1, 2)


def test_pipeline_scaler_and_reshaping_transformer():
    X, y = binary_data(n=60, T=6)
    pipe = make_pipeline(StandardScaler(), FunctionTransformer(_as_pairs), RNNClassifier(**SMALL)).fit(X, y)
    scaler = StandardScaler().fit(X)
    clf = RNNClassifier(**SMALL).fit(_as_pairs(scaler.transform(X)), y)
    assert pipe[-1].n_features_in_ == 2  # three steps of two features reached the network
    assert_array_equal(pipe.predict_proba(X), clf.predict_proba(_as_pairs(scaler.transform(X))))
    assert pipe.score(X, y) == clf.score(_as_pairs(scaler.transform(X)), y)


def test_grid_search_over_the_issue_grid():
    X, y = binary_data(n=40, T=6)
    grid = {"hidden_size": [16, 32, 64], "initializer": ["xavier_uniform", "he_normal", "orthogonal"]}
    search = GridSearchCV(RNNClassifier(max_iter=3, n_estimators=1, random_state=0), grid, cv=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 9 and np.isfinite(scores).all()
    best = search.best_estimator_
    assert {k: best.get_params()[k] for k in grid} == search.best_params_
    h = search.best_params_["hidden_size"]
    assert best.weights_["weight_hh_l0"].shape == (3 * h, h)  # GRU gates stacked as in PyTorch
    assert search.predict(X).shape == (40,)


def test_cross_val_score_classifier_and_regressor():
    X, y = binary_data(n=60, T=6)
    acc = cross_val_score(RNNClassifier(**SMALL), X, y, cv=3)
    r2 = cross_val_score(RNNRegressor(**SMALL), X, X[:, -1], cv=3)
    assert acc.shape == r2.shape == (3,)
    assert np.isfinite(acc).all() and np.isfinite(r2).all()


def test_clone_of_fitted_estimator_is_unfitted_with_same_params():
    X, y = binary_data()
    clf = RNNClassifier(cell="lstm", hidden_size=5, max_iter=2, class_weight="balanced", random_state=0).fit(X, y)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "n_iter_") and not hasattr(twin, "classes_")
    with pytest.raises(NotFittedError):
        twin.predict(X)
    assert_array_equal(twin.fit(X, y).predict_proba(X), clf.predict_proba(X))  # same seed, same fit


def _pickle_round_trip(est, tmp_path):
    return pickle.loads(pickle.dumps(est))


def _joblib_round_trip(est, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    return joblib.load(path)


@pytest.mark.parametrize("round_trip", [_pickle_round_trip, _joblib_round_trip], ids=["pickle", "joblib"])
@pytest.mark.parametrize("cls", [RNNClassifier, RNNRegressor])
def test_persistence_round_trip(cls, round_trip, tmp_path):
    X, y = binary_data(n=40, T=5, D=2)
    unfitted = cls(cell="gru", bidirectional=True, **SMALL)
    loaded = round_trip(unfitted, tmp_path)
    assert loaded.get_params() == unfitted.get_params()

    fitted = unfitted.fit(X, y)
    loaded = round_trip(fitted, tmp_path)
    method = "predict_proba" if cls is RNNClassifier else "predict"
    assert_array_equal(getattr(loaded, method)(X), getattr(fitted, method)(X))
    assert_array_equal(loaded.predict(X), fitted.predict(X))
    assert loaded.loss_curve_ == fitted.loss_curve_
    # The optimiser state and the random stream travel too: training continues identically.
    fitted.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert_same_weights(loaded, fitted)


# ------------------------------------------------------------------ sample weight
def _weighted_repeated_plain(cls, cell, max_iter, seed=0):
    """Fits with integer weights, with rows repeated instead, and unweighted;
    one full batch per epoch, so only the weighting can differ."""
    X, y = binary_data(n=30, T=5, D=2, seed=seed)
    sw = np.random.default_rng(seed + 1).integers(0, 4, size=len(X))
    sw[:3] = [0, 1, 3]
    kw = {"cell": cell, "hidden_size": 6, "max_iter": max_iter, "batch_size": 500, "random_state": 0}
    weighted = cls(**kw).fit(X, y, sample_weight=sw)
    repeated = cls(**kw).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    plain = cls(**kw).fit(X, y)
    return X, weighted, repeated, plain


@pytest.mark.parametrize("cls", [RNNClassifier, RNNRegressor])
@pytest.mark.parametrize("cell", CELLS)
def test_integer_sample_weight_equals_repetition_one_full_batch_step(cls, cell):
    X, weighted, repeated, plain = _weighted_repeated_plain(cls, cell, max_iter=1)
    assert max_weight_diff(weighted, plain) > 1e-4  # the weights change the step: the comparison is not vacuous
    assert max_weight_diff(weighted, repeated) < 1e-12


@pytest.mark.parametrize("cell", CELLS)
def test_integer_sample_weight_equals_repetition_after_epochs(cell):
    X, weighted, repeated, plain = _weighted_repeated_plain(RNNClassifier, cell, max_iter=8)
    assert np.abs(weighted.predict_proba(X) - plain.predict_proba(X)).max() > 1e-3
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=0, atol=1e-9)


def test_zero_sample_weight_equals_removal_even_for_the_longest_sequence():
    X, y = binary_data(n=30, T=6, D=2)
    seqs = [x[: 3 + i % 3] for i, x in enumerate(X)]
    seqs[4] = np.vstack([X[4], X[4]])  # the only 12-step sequence, weighted zero below
    sw = np.ones(len(X))
    sw[[1, 4, 7]] = 0
    keep = sw > 0
    kw = {"hidden_size": 6, "max_iter": 6, "batch_size": 100, "random_state": 0}
    weighted = RNNClassifier(**kw).fit(seqs, y, sample_weight=sw)
    removed = RNNClassifier(**kw).fit([s for s, k in zip(seqs, keep, strict=True) if k], y[keep])
    assert_allclose(weighted.predict_proba(seqs), removed.predict_proba(seqs), rtol=0, atol=1e-10)


def test_sample_weight_summing_to_zero_is_an_error():
    X, y = binary_data()
    with pytest.raises(ValueError, match="non-zero|sums to zero"):
        RNNClassifier(**SMALL).fit(X, y, sample_weight=np.zeros(len(y)))


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 4.0}])
def test_class_weight_equals_explicit_sample_weight_and_changes_the_fit(class_weight):
    X, y = binary_data(n=60, T=5)
    y[:40] = 0  # imbalanced: mostly class 0
    kw = {"hidden_size": 6, "max_iter": 4, "random_state": 0}
    by_class = RNNClassifier(class_weight=class_weight, **kw).fit(X, y)
    explicit = RNNClassifier(**kw).fit(X, y, sample_weight=compute_sample_weight(class_weight, y))
    plain = RNNClassifier(**kw).fit(X, y)
    assert_same_weights(by_class, explicit)
    assert max_weight_diff(by_class, plain) > 1e-3
    # Up-weighting the minority class raises its predicted probability.
    assert by_class.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


# -------------------------------------------------------------------- classifier
@pytest.mark.parametrize("labels", [np.array([0, 1]), np.array(["cat", "dog", "emu"])], ids=["binary", "strings"])
def test_classifier_labels_probabilities_and_log_probabilities(labels):
    X, _ = binary_data(n=60, T=5)
    codes = np.digitize(X[:, -1], [0.0] if len(labels) == 2 else [-0.4, 0.4])
    y = labels[codes]
    clf = RNNClassifier(hidden_size=12, max_iter=40, random_state=0).fit(X, y)
    assert_array_equal(clf.classes_, np.unique(labels))
    proba = clf.predict_proba(X)
    assert proba.shape == (60, len(labels))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-12)
    pred = clf.predict(X)
    assert pred.dtype == clf.classes_.dtype
    assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.8  # it learnt something, with labels of any type


def test_multilabel_indicator_targets():
    X, _ = binary_data(n=80, T=5)
    Y = np.column_stack([X[:, -1] > 0, X[:, -2] > 0, X[:, -1] + X[:, -2] > 1]).astype(int)
    clf = RNNClassifier(hidden_size=16, max_iter=80, random_state=0).fit(X, Y)
    assert_array_equal(clf.classes_, [0, 1, 2])
    proba = clf.predict_proba(X)
    pred = clf.predict(X)
    assert proba.shape == pred.shape == (80, 3)
    assert set(np.unique(pred)) <= {0, 1}
    assert ((proba >= 0) & (proba <= 1)).all()
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent labels, not a softmax
    assert_array_equal(pred, (proba > 0.5).astype(int))
    assert (pred == Y).mean(axis=0).min() > 0.85
    assert clf.score(X, Y) == accuracy_score(Y, pred)  # subset accuracy


def test_partial_fit_requires_classes_on_first_call():
    X, y = binary_data()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        RNNClassifier().partial_fit(X, y)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("cls", [RNNClassifier, RNNRegressor])
def test_two_partial_fits_equal_one_fit_of_two_epochs(cls, shuffle):
    X, y = binary_data(n=50, T=5, D=2)
    kw = {"cell": "lstm", "hidden_size": 6, "batch_size": 16, "shuffle": shuffle, "random_state": 0,
          "n_estimators": 1}  # 'auto' trains 5 networks in fit, 1 in partial_fit
    extra = {"classes": [0, 1]} if cls is RNNClassifier else {}
    stream = cls(**kw).partial_fit(X, y, **extra)
    assert (stream.n_iter_, stream.t_) == (1, 50)
    stream.partial_fit(X, y)
    assert (stream.n_iter_, stream.t_) == (2, 100)
    once = cls(max_iter=2, **kw).fit(X, y)
    assert len(stream.loss_curve_) == 2
    assert_allclose(stream.loss_curve_, once.loss_curve_, rtol=1e-12)
    # Adam's moments and step count carried over: the weights agree with one fit.
    assert max_weight_diff(stream, once) <= 1e-12


def test_partial_fit_with_classes_absent_from_the_first_batch_then_unseen_label():
    X, y = binary_data(n=40)
    labels = np.where(y == 1, "b", "a")
    clf = RNNClassifier(**SMALL).partial_fit(X[labels == "a"], labels[labels == "a"], classes=["a", "b", "c"])
    assert_array_equal(clf.classes_, ["a", "b", "c"])
    clf.partial_fit(X, labels)  # "b" first appears now: fine, it was declared
    assert clf.predict_proba(X).shape == (40, 3)
    with pytest.raises(ValueError, match=r"labels \['z'\] not seen"):
        clf.partial_fit(X[:2], ["a", "z"])


# --------------------------------------------------------------------- regressor
def test_regressor_single_and_multi_output_shapes():
    X, _ = binary_data(n=40, T=5)
    reg = RNNRegressor(**SMALL)
    assert reg.fit(X, X[:, -1]).predict(X).shape == (40,)
    assert reg.n_outputs_ == 1
    assert reg.fit(X, X[:, -2:]).predict(X).shape == (40, 2)
    assert reg.n_outputs_ == 2
    assert reg.fit(X, X[:, -1:]).predict(X).shape == (40, 1)  # a column stays a column


def test_regressor_learns_targets_with_large_offset_and_scale():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    y = X[:, -1] + 0.5 * X[:, -2]
    kw = {"hidden_size": 16, "max_iter": 60, "random_state": 0}
    small = RNNRegressor(**kw).fit(X, y)
    big = RNNRegressor(**kw).fit(X, y * 1e6 + 1e7)
    assert big.score(X, y * 1e6 + 1e7) > 0.9
    assert big.score(X, y * 1e6 + 1e7) == pytest.approx(small.score(X, y), abs=1e-6)
    assert_allclose(big.predict(X), small.predict(X) * 1e6 + 1e7, rtol=1e-9)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_score_is_r2(n_outputs):
    X, _ = binary_data(n=50, T=5)
    y = X[:, -1] if n_outputs == 1 else X[:, -2:]
    sw = np.linspace(0.5, 2, 50)
    reg = RNNRegressor(**SMALL).fit(X, y)
    assert reg.score(X, y) == pytest.approx(r2_score(y, reg.predict(X)), rel=1e-12)
    assert reg.score(X, y, sample_weight=sw) == pytest.approx(r2_score(y, reg.predict(X), sample_weight=sw))


# ---------------------------------------------------------------------- learning
@pytest.mark.parametrize(
    "params",
    [{"cell": "rnn"}, {"cell": "lstm"}, {"cell": "gru"}, {"bidirectional": True}],
    ids=["rnn", "lstm", "gru", "gru-bidirectional"],
)
def test_defaults_learn_a_task_that_needs_memory(params):
    X, y = first_step_data(456, T=20)
    clf = RNNClassifier(random_state=0, **params).fit(X[:256], y[:256])
    assert clf.score(X[256:], y[256:]) >= 0.95


def test_float32_input_trains_in_float32_close_to_float64():
    X, y = binary_data(n=50, T=5, D=2)
    clf64 = RNNClassifier(**SMALL).fit(X, y)
    clf32 = RNNClassifier(**SMALL).fit(X.astype(np.float32), y)
    assert {v.dtype for v in clf32.weights_.values()} == {np.dtype(np.float32)}
    assert {v.dtype for v in clf64.weights_.values()} == {np.dtype(np.float64)}
    proba32 = clf32.predict_proba(X.astype(np.float32))
    assert proba32.dtype == np.float32
    assert_allclose(proba32, clf64.predict_proba(X), atol=1e-4)
    reg32 = RNNRegressor(**SMALL).fit(X.astype(np.float32), X[:, -1, 0])
    assert reg32.predict(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("first, later", [(np.float64, np.float32), (np.float32, np.float64)])
def test_a_fitted_model_keeps_its_dtype_when_later_batches_differ(first, later):
    X, y = binary_data(n=40, T=5, D=2)
    Xl = X.astype(later)
    kw = {"hidden_size": 6, "random_state": 0}
    mixed = RNNClassifier(**kw).partial_fit(X.astype(first), y, classes=[0, 1]).partial_fit(Xl, y)
    same = RNNClassifier(**kw).partial_fit(X.astype(first), y, classes=[0, 1]).partial_fit(Xl.astype(first), y)
    assert {v.dtype for v in mixed.weights_.values()} == {np.dtype(first)}
    assert_same_weights(mixed, same)  # the later batch is read in the model's dtype, as predict reads it


def test_digits_read_row_by_row_default_classifier():
    digits = load_digits()
    X = (digits.data / 16).reshape(-1, 8, 8)  # 8 steps of 8 pixels
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    clf = RNNClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.97


# ------------------------------------------------------------ fitted attributes
def test_training_curves_and_diagnostics():
    X, y = binary_data(n=50, T=6)
    clf = RNNClassifier(hidden_size=8, max_iter=12, random_state=0).fit(X, y)
    n = clf.n_iter_
    assert n == 12
    assert clf.t_ == 12 * 50
    assert len(clf.loss_curve_) == len(clf.grad_norm_curve_) == len(clf.clip_rate_curve_) == n
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert all(np.isfinite(g) and g > 0 for g in clf.grad_norm_curve_)
    assert all(0.0 <= r <= 1.0 for r in clf.clip_rate_curve_)
    assert clf.validation_scores_ is None and clf.validation_loss_curve_ is None
    assert clf.best_validation_score_ is None
    assert clf.n_outputs_ == 2


def test_clip_rate_reports_how_often_clipping_fired():
    X, y = binary_data(n=40, T=6)
    always = RNNClassifier(hidden_size=8, max_iter=3, clip_norm=1e-8, random_state=0).fit(X, y)
    never = RNNClassifier(hidden_size=8, max_iter=3, clip_norm=None, random_state=0).fit(X, y)
    by_value = RNNClassifier(hidden_size=8, max_iter=3, clip_norm=None, clip_value=1e-8, random_state=0).fit(X, y)
    assert always.clip_rate_curve_ == [1.0] * 3
    assert never.clip_rate_curve_ == [0.0] * 3
    assert by_value.clip_rate_curve_ == [1.0] * 3
    # The norm is measured before clipping, so it does not depend on clip_norm at the first epoch.
    assert always.grad_norm_curve_[0] > 1e-3


def test_early_stopping_restores_the_best_weights(monkeypatch):
    splits = []
    real_split = sklearn.model_selection.train_test_split  # the training loop imports it when it splits

    def spy(*args, **kwargs):
        out = real_split(*args, **kwargs)
        splits.append(out)
        return out

    monkeypatch.setattr(sklearn.model_selection, "train_test_split", spy)
    X, y = binary_data(n=120, T=6, seed=3)
    y[::5] = 1 - y[::5]  # label noise, so the validation loss turns up while training continues
    clf = RNNClassifier(
        hidden_size=32,
        learning_rate_init=0.02,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=4,
        max_iter=200,
        alpha=0.0,
        n_estimators=1,
        random_state=0,
    ).fit(X, y)
    ((_, val),) = splits
    curve = clf.validation_loss_curve_
    assert len(curve) == len(clf.validation_scores_) == len(clf.loss_curve_) == clf.n_iter_
    assert clf.n_iter_ < 200  # stopped early ...
    best = int(np.argmin(curve))
    assert best < clf.n_iter_ - 1 and curve[-1] > curve[best]  # ... after the best epoch
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    assert clf.best_loss_ is None
    # The kept weights are those of the best epoch: they reproduce its validation figures.
    assert clf.score(X[val], y[val]) == pytest.approx(clf.best_validation_score_, abs=1e-12)
    assert log_loss(y[val], clf.predict_proba(X[val]), labels=clf.classes_) == pytest.approx(curve[best], rel=1e-9)


def test_convergence_warning_only_when_max_iter_is_hit():
    X, y = binary_data(n=40, T=5)
    with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(2\) reached"):
        RNNClassifier(hidden_size=4, max_iter=2, random_state=0).fit(X, y)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = RNNClassifier(hidden_size=4, max_iter=50, tol=1e9, n_iter_no_change=2, random_state=0).fit(X, y)
        clf.partial_fit(X, y)  # one epoch by design: never a warning
    assert clf.n_iter_ == 1 + 3 + 1  # an improvement from inf, n_iter_no_change + 1 epochs without, partial_fit


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = binary_data(n=30, T=5)
    RNNClassifier(hidden_size=4, max_iter=4, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(",")[0] for line in lines] == [f"Iteration {i}" for i in range(1, 5)]
    assert all("loss = " in line for line in lines)

    RNNClassifier(hidden_size=4, max_iter=3, verbose=1, early_stopping=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("validation score" in line for line in lines)

    RNNClassifier(hidden_size=4, max_iter=3, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


def test_warm_start_continues_from_the_previous_weights():
    X, y = binary_data(n=40, T=5)
    clf = RNNClassifier(hidden_size=6, max_iter=5, random_state=0).fit(X, y)
    before = {k: v.copy() for k, v in clf.weights_.items()}
    # A negligible learning rate: a continued fit stays where it was, a restarted one does not.
    clf.set_params(warm_start=True, max_iter=2, learning_rate_init=1e-12).fit(X, y)
    assert max(np.abs(clf.weights_[k] - before[k]).max() for k in before) < 1e-9
    assert clf.n_iter_ == 7 and len(clf.loss_curve_) == 7
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    clf.set_params(warm_start=False).fit(X, y)
    assert max(np.abs(clf.weights_[k] - before[k]).max() for k in before) > 1e-2
    assert clf.n_iter_ == 2


def test_warm_start_can_switch_on_early_stopping():
    X, y = binary_data(n=40, T=5)
    clf = RNNClassifier(hidden_size=6, max_iter=3, random_state=0).fit(X, y)
    clf.set_params(warm_start=True, early_stopping=True).fit(X, y)
    assert clf.n_iter_ == 6
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == 3
    assert clf.best_validation_score_ in clf.validation_scores_


# ------------------------------------------------------------ state dict, torch
def test_state_dict_keys_shapes_and_round_trip():
    X, y = binary_data(n=30, T=5, D=3)
    clf = RNNClassifier(cell="lstm", hidden_size=4, num_layers=2, bidirectional=True, max_iter=2, random_state=0,
                        n_estimators=1)
    sd = clf.fit(X, y).get_state_dict()
    expected = {"head.weight": (2, 16), "head.bias": (2,)}  # pooling='last_mean': final states and mean, 2 x 8
    for layer, d_in in ((0, 3), (1, 8)):
        for sfx in ("", "_reverse"):
            expected |= {
                f"weight_ih_l{layer}{sfx}": (16, d_in),
                f"weight_hh_l{layer}{sfx}": (16, 4),
                f"bias_ih_l{layer}{sfx}": (16,),
                f"bias_hh_l{layer}{sfx}": (16,),
            }
    assert {k: v.shape for k, v in sd.items()} == expected
    proba = clf.predict_proba(X)
    sd["head.bias"] += 100.0  # independent copies: the model is untouched
    assert_array_equal(clf.predict_proba(X), proba)

    other = RNNClassifier(cell="lstm", hidden_size=4, num_layers=2, bidirectional=True, max_iter=2, random_state=1,
                          n_estimators=1)
    other.fit(X, y)
    assert not np.array_equal(other.predict_proba(X), proba)
    other.set_state_dict(clf.get_state_dict())
    assert_array_equal(other.predict_proba(X), proba)

    bad = clf.get_state_dict()
    del bad["bias_hh_l1_reverse"]
    with pytest.raises(ValueError, match="missing.*bias_hh_l1_reverse"):
        other.set_state_dict(bad)
    bad = clf.get_state_dict()
    bad["head.bias"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"head.bias.*\(3,\).*\(2,\)"):
        other.set_state_dict(bad)
    with pytest.raises(NotFittedError):
        RNNClassifier().set_state_dict(sd)


@pytest.mark.parametrize("cell, bidirectional, num_layers", [("rnn", False, 1), ("lstm", True, 1), ("gru", False, 2)])
def test_state_dict_loads_into_torch_and_reproduces_predict_proba(cell, bidirectional, num_layers):
    torch = pytest.importorskip("torch")
    X, _ = binary_data(n=30, T=7, D=3)
    y = np.digitize(X[:, -1, 0], [-0.5, 0.5])
    clf = RNNClassifier(  # the plain network torch builds: final-state readout, raw input
        cell=cell, bidirectional=bidirectional, num_layers=num_layers, hidden_size=5, max_iter=3, random_state=0,
        pooling="last", scale_input=False, patch_size=1, n_estimators=1,
    ).fit(X, y)
    sd = {k: torch.from_numpy(v) for k, v in clf.get_state_dict().items()}
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    rnn = module(3, 5, num_layers=num_layers, bidirectional=bidirectional, batch_first=True, dtype=torch.float64)
    head = torch.nn.Linear(5 * (2 if bidirectional else 1), 3, dtype=torch.float64)
    rnn.load_state_dict({k: v for k, v in sd.items() if not k.startswith("head.")})
    head.load_state_dict({k.removeprefix("head."): v for k, v in sd.items() if k.startswith("head.")})
    with torch.no_grad():
        _, h_n = rnn(torch.from_numpy(X))
        h_n = h_n[0] if cell == "lstm" else h_n
        top = torch.cat([h_n[-2], h_n[-1]], dim=1) if bidirectional else h_n[-1]
        proba = torch.softmax(head(top), dim=1).numpy()
    assert_allclose(clf.predict_proba(X), proba, rtol=1e-10, atol=1e-12)
    # And back: torch tensors load into the estimator.
    clf2 = clone(clf).set_params(random_state=1).fit(X, y)
    clf2.set_state_dict({**rnn.state_dict(), **{f"head.{k}": v for k, v in head.state_dict().items()}})
    assert_array_equal(clf2.predict_proba(X), clf.predict_proba(X))


# ---------------------------------------------------------------------- divergence
@pytest.mark.filterwarnings("ignore:(overflow|invalid value):RuntimeWarning")  # NumPy noting the blow-up
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_absurd_learning_rate_trains_or_fails_clearly_and_keeps_finite_weights(solver):
    X, y = first_step_data(64, T=20)
    clf = RNNClassifier(
        cell="rnn",
        activation="relu",
        learning_rate_init=1e6,
        clip_norm=None,
        solver=solver,
        hidden_size=16,
        max_iter=20,
        random_state=0,
    )
    try:
        clf.fit(X, y)
    except FloatingPointError as exc:
        message = str(exc)
        assert f"epoch {clf.n_iter_ + 1}" in message
        assert "learning_rate_init" in message and "clip_norm" in message
    assert_finite_weights(clf)
    assert np.isfinite(clf.predict_proba(X)).all()  # the kept weights are usable


def test_warm_start_and_partial_fit_refuse_a_changed_architecture():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 6))
    y = X.sum(1)
    reg = RNNRegressor(hidden_size=4, max_iter=2, warm_start=True, n_estimators=1, random_state=0).fit(X, y)
    reg.set_params(hidden_size=5)
    with pytest.raises(ValueError, match="hidden_size changed"):
        reg.fit(X, y)
    reg.set_params(hidden_size=4, cell="lstm")
    with pytest.raises(ValueError, match="cell changed"):
        reg.partial_fit(X, y)
    reg.set_params(cell="gru", warm_start=False, hidden_size=5)
    assert reg.fit(X, y).weights_["weight_hh_l0"].shape == (15, 5)  # from scratch is fine


def test_partial_fit_with_early_stopping_is_an_error():
    X = np.random.RandomState(0).normal(size=(30, 6))
    with pytest.raises(ValueError, match="early_stopping"):
        RNNClassifier(early_stopping=True).partial_fit(X, X[:, 0] > 0, classes=[False, True])
