"""
=========================================================
Labelling every step: regimes of a signal
=========================================================

``return_sequences=True`` turns :class:`skrnn.RNNClassifier` into a tagger:
a label for every time step instead of one per sequence. Here a noisy signal
switches, at random times, between a calm regime and an agitated one (the
same mean, three times the standard deviation); no single step tells them
apart, so the network has to judge from the recent past. A unidirectional
network labels each step from the steps before it (it could run online); a
bidirectional one also reads the steps after it, which helps most around the
switches.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNClassifier

rng = np.random.RandomState(0)
T = 120


def make(n, switch=0.04):
    """n signals of T steps; the regime flips with probability ``switch`` at each step."""
    flips = rng.random_sample((n, T)) < switch
    flips[:, 0] = rng.random_sample(n) < 0.5
    regime = np.cumsum(flips, axis=1) % 2
    X = rng.normal(size=(n, T)) * np.where(regime == 1, 0.9, 0.3)
    return X.astype(np.float32), regime


X_train, y_train = make(400)
X_test, y_test = make(100)

# %%
# Training
# --------
# ``y`` has the shape of ``X``, ``(n_samples, n_timesteps)``: one label per
# step. The loss averages the cross-entropy over all steps.

taggers = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, bidirectional in [("unidirectional", False), ("bidirectional", True)]:
        clf = RNNClassifier(hidden_size=16, bidirectional=bidirectional, return_sequences=True, max_iter=40,
                            random_state=0)
        taggers[name] = clf.fit(X_train, y_train)
        print(f"{name:15} per-step test accuracy {clf.score(X_test, y_test):.3f} ({clf.n_iter_} epochs)")

# %%
# One test signal
# ---------------
# The signal, its true regime (shaded) and each tagger's probability of the
# agitated regime at every step (``predict_proba`` returns
# ``(n_samples, n_timesteps, n_classes)``).

i = 0
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True)
steps = np.arange(T)
for ax in (ax1, ax2):
    ax.fill_between(steps, 0, 1, where=y_test[i] == 1, step="mid", color="0.85", lw=0,
                    transform=ax.get_xaxis_transform(), label="agitated (truth)")
ax1.plot(steps, X_test[i], color="k", lw=0.8)
ax1.set_ylabel("signal")
for name, clf in taggers.items():
    ax2.plot(steps, clf.predict_proba(X_test[i : i + 1])[0, :, 1], label=name)
ax2.set(xlabel="time step", ylabel="P(agitated)", ylim=(-0.05, 1.05))
ax2.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize="small", frameon=False)
fig.tight_layout()

# %%
# Where the errors are
# --------------------
# Per-step accuracy over the test set as a function of the distance to the
# nearest regime switch. Far from a switch both taggers are reliable; right
# after one, the unidirectional tagger has not yet seen enough of the new
# regime, while the bidirectional one has already read what follows.


def distance_to_switch(y):
    d = np.full(y.shape, T)
    for b in range(len(y)):
        switches = np.flatnonzero(np.diff(y[b])) + 0.5
        if len(switches):
            d[b] = np.abs(np.arange(T)[:, None] - switches[None, :]).min(axis=1).astype(int)
    return d


dist = distance_to_switch(y_test)
bins = np.arange(0, 11)
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, clf in taggers.items():
    hit = clf.predict(X_test) == y_test
    acc = [hit[dist == k].mean() for k in bins]
    ax.plot(bins, acc, marker="o", label=name)
ax.set(xlabel="steps to the nearest switch", ylabel="per-step accuracy", ylim=(0.4, 1.02))
ax.legend()
fig.tight_layout()

plt.show()
