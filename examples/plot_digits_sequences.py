"""
=====================================
Handwritten digits read row by row
=====================================

An 8x8 image of a digit is a sequence of 8 rows of 8 pixels. A recurrent
classifier reads the rows one after another, top to bottom, and names the
digit from its final state, without ever seeing the image as a whole. This is
the README's quickstart with a look at what it gets wrong.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from skrnn import RNNClassifier

digits = load_digits()
X = (digits.images / 16).astype(np.float32)  # (n_samples, 8 time steps, 8 features), float32 trains faster
y = digits.target
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print(f"{len(X_train)} training and {len(X_test)} test sequences of shape {X.shape[1:]}")

# %%
# What the network reads
# ----------------------
# Left, the image; right, the same numbers as the network receives them: a
# sequence of 8 time steps (columns), each a vector of 8 features (the pixels
# of one row).

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7, 3.2))
ax1.imshow(X_train[0], cmap="gray_r", vmin=0, vmax=1)
ax1.set(title=f"a {y_train[0]}", yticks=range(8), yticklabels=[f"row {t}" for t in range(8)], xticks=[])
ax2.imshow(X_train[0].T, cmap="gray_r", vmin=0, vmax=1)
ax2.set(title="as a sequence", xlabel="time step t (= row)", ylabel="feature (= pixel column)",
        xticks=range(8), yticks=range(8))
fig.tight_layout()

# %%
# Training
# --------
# A GRU of 64 units (the defaults) with early stopping on a held-out tenth of
# the training set: training stops when the validation loss has not improved
# for ``n_iter_no_change`` epochs and the best epoch's weights are kept.

clf = RNNClassifier(early_stopping=True, random_state=0).fit(X_train, y_train)
print(f"{clf.n_iter_} epochs, best validation accuracy {clf.best_validation_score_:.3f}")
print(f"test accuracy {clf.score(X_test, y_test):.3f}")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(clf.loss_curve_, label="training loss")
ax.plot(clf.validation_loss_curve_, label="validation loss")
ax.set(xlabel="epoch", ylabel="cross-entropy", yscale="log")
ax.legend()
fig.tight_layout()

# %%
# Confusion matrix
# ----------------
# Rows are the true digits, columns the predicted ones; what is off the
# diagonal are the test images the network got wrong.

fig, ax = plt.subplots(figsize=(5.5, 5))
ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test, ax=ax, colorbar=False)
ax.set_title("test set")
fig.tight_layout()

# %%
# The mistakes
# ------------
# The misclassified test digits, with what the network read them as.

wrong = np.flatnonzero(clf.predict(X_test) != y_test)
proba = clf.predict_proba(X_test)
n = min(len(wrong), 8)
if n:
    fig, axes = plt.subplots(1, n, figsize=(1.3 * n, 1.8), squeeze=False)
    for ax, i in zip(axes[0], wrong[:n], strict=True):
        ax.imshow(X_test[i], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{y_test[i]} as {clf.classes_[proba[i].argmax()]}\n({proba[i].max():.0%})", fontsize="small")
        ax.set_axis_off()
    fig.tight_layout()
print(f"{len(wrong)} of {len(y_test)} test digits misclassified")

# sphinx_gallery_thumbnail_number = 3
plt.show()
