"""
=======================================================================
Vanishing and exploding gradients: Elman, LSTM and GRU on a long memory
=======================================================================

A task that only memory can solve: each sequence starts with its label
(``+1`` or ``-1``) and goes on with 80 steps of noise; the classifier sees
the whole sequence and must recall its first step. The gradient that
teaches a network to do this has to travel back through all 80 steps of
backpropagation through time, and on its way it is multiplied by one
Jacobian per step: it shrinks towards zero (vanishes) or, once the network
starts to carry the information, can grow by more than an order of magnitude (explodes).

We train the three cells with skrnn's defaults (orthogonal recurrent
weights, a forget-gate bias of 1 for the LSTM, ``clip_norm=5``), and an
Elman cell with PyTorch's default initialisation (uniform recurrent
weights) for contrast, on the same data, and watch three things per epoch:
the losses (``loss_curve_``, ``validation_loss_curve_``), the gradient
norms (``grad_norm_curve_``, ``clip_rate_curve_`` and
:class:`skrnn.callbacks.GradientMonitor`), and, through a callback of our
own, how much the output depends on the input at each step.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNClassifier
from skrnn.callbacks import GradientMonitor

T = 80  # the delay: steps between the label and the end of the sequence
rng = np.random.RandomState(0)


def make(n):
    y = rng.randint(0, 2, n)
    X = rng.normal(scale=0.5, size=(n, T, 1))
    X[:, 0, 0] = 2 * y - 1  # the label, at the first step only
    return X, y


X, y = make(512)
X_val, y_val = make(256)

# %%
# How much does the output depend on each step?
# ----------------------------------------------
# The derivative of the classifier's log-odds with respect to the input at
# step ``t``, averaged over sequences, is exactly the quantity BPTT has to
# carry back from the end of the sequence to step ``t``. We measure it by
# finite differences with :meth:`~skrnn.RNNClassifier.predict_log_proba`
# (public API only) at the end of every epoch, from the copy of the model
# that scikit-learn's callback protocol hands to ``on_fit_task_end``.


def input_sensitivity(model, X, eps=1e-3):
    n = len(X)
    lp = model.predict_log_proba(X)
    base = lp[:, 1] - lp[:, 0]
    bumped = np.repeat(X[None], T, axis=0)  # one copy of X per step, that step nudged by eps
    bumped[np.arange(T), :, np.arange(T), 0] += eps
    lq = model.predict_log_proba(bumped.reshape(T * n, T, 1))
    logit = (lq[:, 1] - lq[:, 0]).reshape(T, n)
    return np.abs(logit - base).mean(axis=1) / eps


class Sensitivity:
    """Records input_sensitivity after each epoch (scikit-learn's callback protocol)."""

    def __init__(self, X):
        self.X = X

    def setup(self, estimator, context):
        self.history_ = []

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "epoch":
            self.history_.append(input_sensitivity(fitted_estimator, self.X))
        return False


# %%
# Training
# --------
# Thirty epochs of 16 minibatches each, at a fixed budget (``tol=0`` and a
# patience longer than the budget), with the held-out sequences passed as
# ``X_val``/``y_val`` so that every epoch records a validation loss and
# accuracy. ``patch_size=1`` makes the recurrence run all 80 steps: the
# default ``'auto'`` would read this sequence 3 steps at a time, in 27
# recurrent steps, which shortens the path the gradient has to travel.

models = {
    "Elman": dict(cell="rnn"),
    "LSTM": dict(cell="lstm"),
    "GRU": dict(cell="gru"),
    "Elman, uniform init": dict(cell="rnn", recurrent_initializer="uniform"),
}
fits = {}
for name, params in models.items():
    monitor, sens = GradientMonitor(), Sensitivity(X_val[:32])
    clf = RNNClassifier(hidden_size=16, batch_size=32, max_iter=30, tol=0, n_iter_no_change=30, patch_size=1,
                        random_state=0, **params)
    clf.set_callbacks(monitor, sens)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget on purpose
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    fits[name] = clf, monitor, sens
    solved = next((i + 1 for i, s in enumerate(clf.validation_scores_) if s >= 0.95), None)
    burst = int(np.argmax(clf.grad_norm_curve_))
    print(f"{name:20} validation accuracy {clf.validation_scores_[-1]:.2f}, first epoch above 95%: {solved}; "
          f"largest gradient norm {clf.grad_norm_curve_[burst]:.1f} in epoch {burst + 1} "
          f"({clf.clip_rate_curve_[burst]:.0%} of its updates clipped)")

colors = dict(zip(models, ["C0", "C1", "C2", "C7"], strict=True))
epochs = np.arange(1, 31)

# %%
# Learning curves
# ---------------
# Solid: training loss; dashed: validation loss. Chance is :math:`\log 2
# \approx 0.69`. A model either stays on that plateau (the gradient that
# would teach it to read step 0 is too small to matter) or leaves it
# abruptly, within an epoch or two, once it has found the signal.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
for name, (clf, _, _) in fits.items():
    ax1.plot(epochs, clf.loss_curve_, color=colors[name], label=name)
    ax1.plot(epochs, clf.validation_loss_curve_, color=colors[name], ls="--")
    ax2.plot(epochs, clf.validation_scores_, color=colors[name], label=name)
ax1.axhline(np.log(2), color="k", lw=0.5)
ax1.set(xlabel="epoch", ylabel="cross-entropy (nats)", title="training (solid) and validation (dashed) loss",
        yscale="log")
ax2.set(xlabel="epoch", ylabel="accuracy", title="validation accuracy", ylim=(0.4, 1.02))
ax2.legend(loc="center right")
fig.tight_layout()

# %%
# Gradient norms
# --------------
# Left: the mean global gradient norm of each epoch, before clipping
# (``grad_norm_curve_``; the dotted line is ``clip_norm``). Right: the
# gradient norm of the recurrent weights ``weight_hh_l0`` alone, from
# :class:`~skrnn.callbacks.GradientMonitor`, and in the inset the fraction
# of updates that clipping rescaled (``clip_rate_curve_``). The epoch in which
# a model starts to use step 0 is a gradient burst: the norm jumps by an
# order of magnitude and ``clip_norm`` rescales a large share of that epoch's
# minibatch updates. For the LSTM the burst is the epoch in which it learns
# the task, and the norm then falls with the loss. In this run the Elman cell
# has a burst too, after climbing part of the way (its validation accuracy
# above), and the burst throws it back to the plateau: an exploding gradient
# undoing progress, even with clipping. Models that never leave the plateau
# keep a flat, small gradient.

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
for name, (clf, monitor, _) in fits.items():
    ax1.plot(epochs, clf.grad_norm_curve_, color=colors[name], label=name)
    ax2.plot(epochs, monitor.to_frame()["weight_hh_l0"], color=colors[name], label=name)
ax1.axhline(5.0, color="k", ls=":", lw=1)
ax1.set(xlabel="epoch", ylabel="gradient norm", yscale="log", title="global gradient norm (grad_norm_curve_)")
ax2.set(xlabel="epoch", ylabel="gradient norm", yscale="log", title="weight_hh_l0 (GradientMonitor)")
ax1.legend(loc="lower left", fontsize="small")
inset = ax2.inset_axes([0.62, 0.6, 0.35, 0.35])
for name, (clf, _, _) in fits.items():
    inset.plot(epochs, clf.clip_rate_curve_, color=colors[name])
inset.set_title("clip rate", fontsize="small")
inset.tick_params(labelsize="x-small")
fig.tight_layout()

# %%
# Where the output looks
# ----------------------
# The sensitivity of the output to each step's input after the first epoch
# (left) and after the last (right), on a log scale. After one epoch it
# decays by orders of magnitude from the last step back to the first: this is
# the vanishing gradient itself. The LSTM keeps by far the most of it at step 0
# (its forget gate starts near :math:`\sigma(1) \approx 0.73`, and the
# cell-state path multiplies by it rather than by a Jacobian of the
# recurrence); the orthogonal Elman cell keeps less, and the GRU (its update
# gate :math:`z` starts near 1/2, so the direct path :math:`z \odot h_t`
# halves at every step) and the Elman cell with uniform recurrent weights
# (spectral radius well below 1) lose it entirely. After training, the model
# that solved the task is the one whose output depends most on step 0.

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, which, title in zip(axes, [0, -1], ["after epoch 1", "after epoch 30"], strict=True):
    for name, (_, _, sens) in fits.items():
        ax.plot(np.arange(T), np.maximum(sens.history_[which], 1e-9), color=colors[name], label=name)
    ax.set(xlabel="input step t", yscale="log", title=title)
axes[0].set_ylabel("|d log-odds / d x_t|")
axes[1].legend(loc="lower right", fontsize="small")
fig.tight_layout()

# %%
# What this run shows
# -------------------
# With skrnn's defaults and ``patch_size=1``, the LSTM is the cell that
# learns the 80-step memory within this budget, in one gradient burst that
# clipping keeps in check. The other three start with a gradient at step 0
# that is orders of magnitude smaller; the orthogonal Elman cell gets part of
# the way before a burst throws it back, and the GRU and the uniform-init
# Elman cell stay at chance. The numbers printed above come from this run
# (``random_state=0``); other seeds move the epochs. Besides the choice of
# cell, skrnn's parameters offer two remedies for long paths: ``clip_norm``
# (on by default) bounds the bursts, and ``patch_size`` and ``pooling``
# shorten the path from the loss to the early steps.

# sphinx_gallery_thumbnail_number = 3
plt.show()
