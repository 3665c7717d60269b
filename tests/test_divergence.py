"""Divergence: a non-finite loss, gradient or update stops the fit before it
reaches the weights, with an error naming the epoch and what to try, no
NumPy RuntimeWarning noise, and the last weights with a finite loss kept.

(The absurd-learning-rate test is in ``test_estimators.py``; Ctrl-C in
``test_interrupt.py``.)
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import skrnn._base
import skrnn._training
from skrnn import RNNClassifier, RNNRegressor
from skrnn._training import Diverged


def regression_data(n=40, T=5, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, T))
    return X, X.sum(1)


def test_huge_target_mid_epoch_stops_with_a_clear_error_and_keeps_finite_weights():
    """partial_fit keeps the first call's standardisation, so a target of 1e300
    in a later batch overflows the loss in the fourth minibatch of epoch 2."""
    X, y = regression_data()
    kw = {"hidden_size": 4, "batch_size": 8, "shuffle": False, "random_state": 0}
    reg = RNNRegressor(**kw).partial_fit(X, y)
    bad = y.copy()
    bad[30] = 1e300  # minibatch 3 (rows 24..31)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(Diverged) as exc_info:
            reg.partial_fit(X, bad)
    message = str(exc_info.value)
    assert "non-finite in epoch 2" in message and "loss=inf" in message
    assert "learning_rate_init" in message and "standardised inputs and targets" in message
    assert not [w for w in rec if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in rec]
    assert isinstance(exc_info.value, FloatingPointError)  # catchable as NumPy's floating-point error
    # Consistent bookkeeping: the broken epoch is not counted.
    assert reg.n_iter_ == len(reg.loss_curve_) == len(reg.grad_norm_curve_) == 1
    # The weights at minibatch 3 gave a non-finite loss, so the kept weights are those before the last
    # update, i.e. after minibatches 0 and 1: the same as a second call on those 16 rows alone.
    twin = RNNRegressor(**kw).partial_fit(X, y).partial_fit(X[:16], y[:16])
    assert_array_equal(reg._flat, twin._flat)
    assert np.isfinite(reg._flat).all()
    assert np.isfinite(reg.predict(X)).all()


class _Poisoned:
    """An optimiser whose update number ``at`` writes inf into the weights."""

    def __init__(self, inner, at):
        self.inner, self.at, self.steps, self.before = inner, at, 0, None

    def step(self, params, grad):
        self.steps += 1
        self.before = params.copy()
        self.inner.step(params, grad)
        if self.steps == self.at:
            params[3] = np.inf


def test_an_update_that_overflows_the_weights_is_undone(monkeypatch):
    real = skrnn._base.make_optimizer
    made = []

    def poisoned(*args):
        made.append(_Poisoned(real(*args), at=5))
        return made[-1]

    monkeypatch.setattr(skrnn._base, "make_optimizer", poisoned)
    X, y = regression_data()
    clf = RNNClassifier(hidden_size=4, batch_size=8, max_iter=3, random_state=0)
    with pytest.raises(Diverged, match=r"epoch 1 \(an update overflowed the weights\).*learning_rate_init"):
        clf.fit(X, y > 0)
    opt = made[0]
    assert opt.steps == 5  # stopped at the poisoned update: no later step ran on inf weights
    assert_array_equal(clf._flat, opt.before)  # the weights before that update
    assert np.isfinite(clf.predict_proba(X)).all()


def test_a_non_finite_gradient_is_caught_before_the_update(monkeypatch):
    """The check runs between the backward pass and the optimiser step."""
    steps = []
    real_clip = skrnn._training.clip_gradient
    calls = {"n": 0}

    def nan_on_third(grad, clip_value, clip_norm):
        calls["n"] += 1
        if calls["n"] == 3:
            grad[:] = np.nan
        return real_clip(grad, clip_value, clip_norm)

    real = skrnn._base.make_optimizer

    def counting(*args):
        opt = real(*args)
        inner = opt.step
        opt.step = lambda p, g: (steps.append(np.isfinite(g).all()), inner(p, g))
        return opt

    monkeypatch.setattr(skrnn._training, "clip_gradient", nan_on_third)
    monkeypatch.setattr(skrnn._base, "make_optimizer", counting)
    X, y = regression_data()
    reg = RNNRegressor(hidden_size=4, batch_size=8, max_iter=2, n_estimators=1, random_state=0)
    with pytest.raises(Diverged, match="gradient norm=nan"):
        reg.fit(X, y)
    assert steps == [True, True]  # two finite updates; the NaN gradient never reached the optimiser
    assert np.isfinite(reg._flat).all()
