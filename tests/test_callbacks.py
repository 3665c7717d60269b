"""scikit-learn's callback protocol (``sklearn.callback``) and skrnn's own callbacks, schedules and
validation sets, used as a user would."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import skrnn
from skrnn import RNNClassifier, RNNForecaster, RNNRegressor, RNNSeq2SeqRegressor, RNNTextGenerator
from skrnn.callbacks import Checkpoint, GradientMonitor, StopOnLoss
from skrnn.datasets import load_airline
from skrnn.schedules import Cosine, ReduceOnPlateau, Step

callback = pytest.importorskip("sklearn.callback")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
SMALL = {"hidden_size": 4, "random_state": 0}


def data(n=60, T=6, seed=0):
    X = np.random.RandomState(seed).normal(size=(n, T))
    return X, X[:, :3].sum(1) > 0


class Recorder:
    """Records every hook call: (hook, estimator name, task name, task id path) and the fitted copies."""

    def __init__(self, stop_at=None):
        self.calls, self.fitted, self.stop_at = [], [], stop_at

    def setup(self, estimator, context):
        self.calls.append(("setup", type(estimator).__name__, context.task_name, None))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", type(estimator).__name__, context.task_name, None))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", context.estimator_name, context.task_name, _path(context)))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.calls.append(("end", context.estimator_name, context.task_name, _path(context)))
        if context.task_name == "epoch":
            self.fitted.append(fitted_estimator)
            return self.stop_at is not None and fitted_estimator.n_iter_ >= self.stop_at
        return False


class PropagatedRecorder(Recorder):
    """The same, auto-propagated by meta-estimators to their sub-estimators (as ProgressBar is)."""

    max_propagation_depth = None


def _path(context):
    return tuple(c.task_id for c in callback._callback_context.get_context_path(context))


@pytest.mark.parametrize("make", [
    lambda: (RNNClassifier(max_iter=5, **SMALL), *data()),
    lambda: (RNNRegressor(max_iter=5, **SMALL), data()[0], data()[0].sum(1)),
    lambda: (RNNSeq2SeqRegressor(max_iter=5, **SMALL), data()[0], data()[0][:, :2]),
    lambda: (RNNForecaster(window=16, strategy="recursive", max_iter=5, **SMALL), load_airline(), None),
    lambda: (RNNTextGenerator(max_iter=5, **SMALL), "abcabd " * 20, None),
], ids=["classifier", "regressor", "seq2seq", "forecaster", "text"])
def test_one_fit_task_with_one_subtask_per_epoch(make):
    est, X, y = make()
    rec = Recorder()
    est.set_callbacks(rec)
    est.fit(X) if y is None else est.fit(X, y)
    kinds = [c[0] for c in rec.calls]
    assert kinds[0] == "setup" and kinds[-1] == "teardown"
    epochs_begun = [c for c in rec.calls if c[0] == "begin" and c[2] == "epoch"]
    epochs_ended = [c for c in rec.calls if c[0] == "end" and c[2] == "epoch"]
    assert len(epochs_begun) == len(epochs_ended) == est.n_iter_ == 5
    assert [c[3] for c in epochs_ended] == [(0, k) for k in range(5)]
    assert rec.calls[-2][:3] == ("end", type(est).__name__, "fit")  # the fit task ends last


def test_the_ensemble_forecaster_reports_every_members_epochs_and_a_callback_stops_it():
    y = load_airline()
    rec = Recorder()
    RNNForecaster(horizon=6, n_estimators=2, max_iter=4, **SMALL).set_callbacks(rec).fit(y)
    kinds = [c[0] for c in rec.calls]
    assert kinds[0] == "setup" and kinds[-1] == "teardown" and rec.calls[-2][:3] == ("end", "RNNForecaster", "fit")
    ended = [c for c in rec.calls if c[0] == "end" and c[2] == "epoch"]
    assert len(ended) == 2 * (4 + 1)  # each member: max_iter=4 epochs, then max(1, best // 4) = 1
    member = rec.fitted[3]  # the first member after its 4th epoch, a model that forecasts alone
    assert len(member._members) == 1 and member.forecast(3).shape == (3,)
    stop = Recorder(stop_at=2)
    g = RNNForecaster(horizon=6, n_estimators=3, max_iter=10, **SMALL).set_callbacks(stop).fit(y)
    assert len(g._members) == 1 and g.n_iter_ == 2 and g.forecast(3).shape == (3,)


def test_a_callback_stops_training_and_sees_a_copy_of_each_epochs_weights():
    X, y = data()
    rec = Recorder(stop_at=3)
    clf = RNNClassifier(max_iter=50, tol=0, **SMALL).set_callbacks(rec).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    first, last = rec.fitted[0], rec.fitted[-1]
    assert first.n_iter_ == 1 and len(first.loss_curve_) == 1  # the record as it was at that epoch
    assert not np.shares_memory(first._flat, clf._flat)  # a copy, not a view of the training buffer
    assert_array_equal(last._flat, clf._flat)  # the last epoch is the fitted model
    assert np.abs(first.predict_proba(X) - clf.predict_proba(X)).max() > 1e-4  # epoch 1 predicts as epoch 1
    first._flat[:] = 0  # changing a copy leaves the estimator alone
    assert np.abs(clf._flat).max() > 0


def test_stop_on_loss():
    X, y = data()
    clf = RNNClassifier(max_iter=200, tol=0, learning_rate_init=0.05, **SMALL)
    clf.set_callbacks(StopOnLoss(0.3)).fit(X, y)
    assert clf.n_iter_ < 200 and clf.loss_curve_[-1] < 0.3 <= min(clf.loss_curve_[:-1])


def test_grid_search_propagates_progress_to_every_candidate_fold_and_epoch():
    X, y = data()
    rec = PropagatedRecorder()
    grid = GridSearchCV(RNNClassifier(max_iter=3, random_state=0), {"hidden_size": [2, 4]}, cv=2)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*does not support callbacks.*")
        grid.set_callbacks(rec).fit(X, y)
    epochs = [c for c in rec.calls if c[0] == "end" and c[2] == "epoch"]
    assert {c[1] for c in epochs} == {"RNNClassifier"}
    assert len(epochs) == (2 * 2 + 1) * 3  # 2 candidates x 2 folds, and the refit, 3 epochs each
    assert len({c[3][:-1] for c in epochs}) == 5 and all(len(c[3]) >= 3 for c in epochs)  # nested under the search


def test_progress_bar_and_scoring_monitor_from_scikit_learn():
    pytest.importorskip("rich")
    X, y = data()
    GridSearchCV(RNNClassifier(max_iter=3, random_state=0), {"hidden_size": [2, 4]}, cv=2).set_callbacks(
        callback.ProgressBar(max_propagation_depth=None)).fit(X, y)
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = RNNClassifier(max_iter=4, **SMALL).set_callbacks(monitor).fit(X, y)
    logs = monitor.get_logs()
    frame = (logs[0] if isinstance(logs, list) else logs).data_as_pandas
    per_epoch = frame[frame.task_name == "epoch"]
    assert len(per_epoch) == 4 and per_epoch.accuracy.between(0, 1).all()
    assert frame[frame.task_name == "fit"].accuracy.iloc[0] == pytest.approx(clf.score(X, y))


def test_callbacks_leave_clone_pickle_and_save_unaffected(tmp_path):
    X, y = data()
    plain = RNNClassifier(max_iter=4, **SMALL).fit(X, y)
    rec = Recorder()
    clf = RNNClassifier(max_iter=4, **SMALL).set_callbacks(rec).fit(X, y)
    assert_array_equal(clf.predict_proba(X), plain.predict_proba(X))  # callbacks do not change training
    assert clone(clf)._skl_callbacks == [rec]  # scikit-learn's rule: clones share the callbacks
    assert clone(clf).get_params() == plain.get_params()
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    clf.save(tmp_path / "m.skrnn")
    loaded = skrnn.load(tmp_path / "m.skrnn")
    assert not hasattr(loaded, "_skl_callbacks")
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_checkpoint_keeps_the_best_epoch_in_a_loadable_file(tmp_path):
    X, y = data()
    X_val, y_val = data(seed=1)
    y[::4] = ~y[::4]  # label noise: the validation loss turns up while training goes on
    path = tmp_path / "best.skrnn"
    ckpt = Checkpoint(path)
    clf = RNNClassifier(max_iter=40, tol=0, n_iter_no_change=100, learning_rate_init=0.05, hidden_size=16,
                        random_state=0).set_callbacks(ckpt).fit(X, y)
    assert clf.n_iter_ == 40 and ckpt.best_epoch_ == 1 + int(np.argmin(clf.loss_curve_))
    best = skrnn.load(path)
    assert best.n_iter_ == ckpt.best_epoch_ and best.loss_curve_ == clf.loss_curve_[:ckpt.best_epoch_]
    # with held-out data, the best validation epoch; the fit itself keeps those weights too
    ckpt = Checkpoint(tmp_path / "val.skrnn")
    clf = RNNClassifier(max_iter=40, tol=0, n_iter_no_change=100, learning_rate_init=0.05, hidden_size=16,
                        random_state=0).set_callbacks(ckpt).fit(X, y, X_val=X_val, y_val=y_val)
    assert ckpt.best_epoch_ == 1 + int(np.argmin(clf.validation_loss_curve_))
    assert_array_equal(skrnn.load(tmp_path / "val.skrnn").predict_proba(X_val), clf.predict_proba(X_val))


def test_gradient_monitor_reports_each_tensor_and_adds_up_to_the_global_norm():
    X, y = data(n=32)
    monitor = GradientMonitor()
    clf = RNNClassifier(max_iter=5, batch_size=32, num_layers=2, clip_norm=None, n_estimators=1, **SMALL)
    clf.set_callbacks(monitor).fit(X, y)
    frame = monitor.to_frame()
    assert list(frame.index) == [1, 2, 3, 4, 5]
    assert set(frame.columns) == set(clf.get_state_dict())
    # one batch per epoch: the tensors' norms are the parts of the global norm
    assert_allclose(np.sqrt((frame ** 2).sum(axis=1)), clf.grad_norm_curve_, rtol=1e-6)


# ------------------------------------------------------------ validation sets
def test_a_validation_set_of_your_own_stops_training_and_keeps_the_best_epoch():
    X, y = data()
    X_val, y_val = data(seed=1)
    y[::4] = ~y[::4]
    clf = RNNClassifier(max_iter=300, n_iter_no_change=5, learning_rate_init=0.05, hidden_size=16,
                        random_state=0).fit(X, y, X_val=X_val, y_val=y_val)
    curve = clf.validation_loss_curve_
    assert len(curve) == clf.n_iter_ < 300 and clf.best_loss_ is None
    best = int(np.argmin(curve))
    assert clf.best_validation_score_ == clf.validation_scores_[best] == pytest.approx(clf.score(X_val, y_val))
    assert clf.t_ == clf.n_iter_ * len(X)  # no part of X was held out


def test_validation_set_errors():
    X, y = data()
    with pytest.raises(ValueError, match="both X_val and y_val"):
        RNNClassifier(**SMALL).fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="X_val has 5 features"):
        RNNClassifier(max_iter=2, **SMALL).fit(X, y, X_val=X[:, :5], y_val=y)


def test_validation_set_for_the_regressor_uses_the_fitted_scaling():
    X = np.random.RandomState(0).normal(size=(80, 5))
    y = 1000 + 50 * X.sum(1)
    reg = RNNRegressor(max_iter=30, **SMALL).fit(X[:60], y[:60], X_val=X[60:], y_val=y[60:])
    assert reg.best_validation_score_ == pytest.approx(reg.score(X[60:], y[60:]), abs=1e-9)


# ------------------------------------------------------------------ schedules
def test_schedules_change_the_learning_rate_as_documented():
    X, y = data()
    kw = {"max_iter": 8, "tol": 0, "learning_rate_init": 0.01, **SMALL}
    const = RNNClassifier(**kw).fit(X, y)
    assert const.learning_rate_curve_ == [0.01] * 8
    step = RNNClassifier(learning_rate_schedule="step", **kw).fit(X, y)
    assert_allclose(step.learning_rate_curve_, [0.01] * 2 + [0.005] * 2 + [0.0025] * 2 + [0.00125] * 2)
    cos = RNNClassifier(learning_rate_schedule=Cosine(min_lr=0.0), **kw).fit(X, y)
    assert_allclose(cos.learning_rate_curve_, 0.005 * (1 + np.cos(np.pi * np.arange(8) / 8)))
    custom = RNNClassifier(learning_rate_schedule=Step(step_size=3, gamma=0.1), **kw).fit(X, y)
    assert_allclose(custom.learning_rate_curve_, [0.01] * 3 + [0.001] * 3 + [0.0001] * 2)


def test_reduce_on_plateau_halves_the_rate_before_training_stops():
    X, y = data()
    y[::3] = ~y[::3]
    clf = RNNClassifier(learning_rate_schedule="plateau", max_iter=500, n_iter_no_change=6,
                        learning_rate_init=0.05, **SMALL).fit(X, y)
    rates = np.array(clf.learning_rate_curve_)
    drops = np.flatnonzero(rates[1:] < rates[:-1]) + 1
    assert len(drops) >= 1 and clf.n_iter_ < 500
    assert_allclose(rates[drops] / rates[drops - 1], 0.5)
    loss = np.array(clf.loss_curve_)
    d = drops[0]  # before the first drop, 3 (= n_iter_no_change // 2) epochs that did not beat the best by tol
    assert all(loss[i] > loss[:i].min() - clf.tol for i in range(d - 3, d))
    assert not all(loss[i] > loss[:i].min() - clf.tol for i in range(d - 4, d - 1))  # ... and not a fourth
    tiny = RNNClassifier(learning_rate_schedule=ReduceOnPlateau(factor=0.1, patience=1, min_lr=0.5), max_iter=60,
                         learning_rate_init=0.05, **SMALL).fit(X, y)
    assert min(tiny.learning_rate_curve_) == pytest.approx(0.025)  # never below min_lr * learning_rate_init


def test_partial_fit_continues_the_schedule():
    X, y = data()
    kw = {"max_iter": 4, "tol": 0, "learning_rate_schedule": Step(step_size=1, gamma=0.5), "shuffle": False,
          "n_estimators": 1, **SMALL}  # 'auto' would train 5 networks in fit, 1 in partial_fit
    full = RNNClassifier(**kw).fit(X, y)
    parts = RNNClassifier(**kw)
    for _ in range(4):
        parts.partial_fit(X, y, classes=[False, True])
    assert parts.learning_rate_curve_ == full.learning_rate_curve_
    assert_array_equal(parts._flat, full._flat)


def test_schedules_can_be_grid_searched():
    X, y = data()
    search = GridSearchCV(RNNClassifier(max_iter=4, **SMALL),
                          {"learning_rate_schedule": ["constant", "plateau", "cosine", Step(step_size=2)]}, cv=2)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4


# ----------------------------------------------------------- metadata routing
def test_sample_weight_is_routed_through_pipeline_search_and_cross_validate():
    import sklearn

    X, y = data()
    w = np.random.RandomState(3).uniform(0.2, 3.0, size=len(y))
    direct = RNNClassifier(max_iter=3, **SMALL).fit(X, y, sample_weight=w)
    with sklearn.config_context(enable_metadata_routing=True):
        est = RNNClassifier(max_iter=3, **SMALL).set_fit_request(sample_weight=True).set_score_request(
            sample_weight=True)
        pipe = make_pipeline(FunctionTransformer(), est).fit(X, y, sample_weight=w)
        assert_array_equal(pipe[-1]._flat, direct._flat)
        search = GridSearchCV(make_pipeline(FunctionTransformer(), est), {"rnnclassifier__hidden_size": [4]},
                              cv=2).fit(X, y, sample_weight=w)
        assert_array_equal(search.best_estimator_[-1]._flat, direct._flat)  # refit on all data, weighted
        unweighted = cross_validate(RNNClassifier(max_iter=3, **SMALL), X, y, cv=2, return_estimator=True)
        weighted = cross_validate(est, X, y, cv=2, params={"sample_weight": w}, return_estimator=True)
    assert not np.array_equal(weighted["estimator"][0]._flat, unweighted["estimator"][0]._flat)
    assert not np.allclose(weighted["test_score"], unweighted["test_score"])  # scored with the weights too


def test_future_covariates_are_routed_to_the_forecaster():
    import sklearn

    y = load_airline()
    cal = pd.DataFrame({"month": y.index.month.astype(float)}, index=y.index)
    df = pd.concat([y, cal], axis=1)
    grid = {"hidden_size": [4]}
    with sklearn.config_context(enable_metadata_routing=True):
        f = RNNForecaster(window=13, strategy="recursive", max_iter=3, random_state=0).set_fit_request(
            future_covariates=True)
        search = GridSearchCV(f, grid, cv=TimeSeriesSplit(2)).fit(df, future_covariates=df[["month"]])
    assert search.best_estimator_._series.fcov_names == ["month"]
    with sklearn.config_context(enable_metadata_routing=True):
        plain = RNNForecaster(window=13, strategy="recursive", max_iter=3, random_state=0)
        # no request: routing refuses the covariates
        with pytest.raises(Exception, match="future_covariates"):
            GridSearchCV(plain, grid, cv=TimeSeriesSplit(2)).fit(df, future_covariates=df[["month"]])
