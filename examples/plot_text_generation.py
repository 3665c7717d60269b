"""
=====================================================
Character-level text generation with RNNTextGenerator
=====================================================

A character-level LSTM language model trained on the docstrings of Python's
standard library (text that ships with Python; nothing is downloaded). We
hold out the last tenth of the docstrings, follow the model's held-out
perplexity epoch by epoch through a callback, compare it with a character
bigram model fitted on the same text, and sample from it.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNTextGenerator
from skrnn.datasets import load_stdlib_docstrings

docs = load_stdlib_docstrings()
cut = int(0.9 * len(docs))
train, held_out = docs[:cut], docs[cut:]
# a budget for a quick example: every second training docstring (~170 000 characters) and every
# third held-out one (~15 000)
train, held_out = train[::2], held_out[::3]
print(f"{len(train)} training docstrings ({sum(map(len, train))} characters), "
      f"{len(held_out)} held out ({sum(map(len, held_out))} characters)")

# %%
# Held-out perplexity after every epoch
# -------------------------------------
# Perplexity is ``exp(-score)``: the model is on average as uncertain as a
# uniform choice among that many characters. A callback on scikit-learn's
# callback protocol receives, at the end of each epoch, a copy of the model
# with that epoch's weights (``fitted_estimator``), which it can score.


class HeldOutPerplexity:
    def __init__(self, texts):
        self.texts = texts

    def setup(self, estimator, context):
        self.history_ = []

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "epoch":
            self.history_.append(fitted_estimator.perplexity(self.texts))
        return False  # never stop training


# %%
# Training
# --------
# Truncated BPTT over chunks of 32 characters in 32 parallel streams, the
# LSTM state carried from chunk to chunk.

monitor = HeldOutPerplexity(held_out)
gen = RNNTextGenerator(cell="lstm", hidden_size=96, batch_size=32, max_iter=8, random_state=0)
gen.set_callbacks(monitor)
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget of epochs
    gen.fit(train)
print(f"trained {gen.n_iter_} epochs in {time.perf_counter() - t0:.0f} s, "
      f"{len(gen.characters_)} codes (<bos>, <unk> and {len(gen.vocabulary_)} characters)")


# %%
# The baseline: a character bigram model with add-one smoothing, on the same
# codes as the network (``<bos>`` starts each document, characters outside
# the vocabulary are ``<unk>``), read from the public ``vocabulary_``.
def encode(text):
    return np.array([0] + [gen.vocabulary_.get(c, 1) for c in text])


V = len(gen.characters_)
counts = np.ones((V, V))
for ids in map(encode, train):
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
log_p = np.log(counts / counts.sum(axis=1, keepdims=True))
bigram = float(np.exp(-sum(log_p[ids[:-1], ids[1:]].sum() for ids in map(encode, held_out))
                      / sum(map(len, held_out))))
print(f"held-out perplexity per character: LSTM {monitor.history_[-1]:.2f} after {gen.n_iter_} epochs, "
      f"add-one bigram {bigram:.2f}")

epochs = np.arange(1, gen.n_iter_ + 1)
fig, ax = plt.subplots(figsize=(6, 3.8))
ax.plot(epochs, np.exp(gen.loss_curve_), marker="o", label="LSTM, training (exp(loss_curve_))")
ax.plot(epochs, monitor.history_, marker="s", label="LSTM, held out (callback)")
ax.axhline(bigram, color="k", ls="--", lw=1, label="bigram, held out")
ax.set(xlabel="epoch", ylabel="perplexity per character", yscale="log")
ax.set_yticks([4, 5, 6, 8, 10, 15, 20], labels=["4", "5", "6", "8", "10", "15", "20"], minor=False)
ax.minorticks_off()
ax.legend()
fig.tight_layout()

# %%
# The training curve averages over each epoch while the weights change; the
# held-out one is measured at the end of the epoch, so it starts lower. The
# held-out perplexity falls below the bigram model's within the first epoch
# and keeps falling, more and more slowly; once the training curve passes
# below it, the gap measures how much the model fits its own training text
# better than docstrings it has not read.
#
# Samples
# -------
# The prompt is continued one character at a time; lower temperatures give
# more conservative text, higher ones more varied (and more misspelt) text.

for temperature in (0.3, 0.7, 1.0):
    sample = gen.generate(200, prompt="Return the ", temperature=temperature, random_state=0)
    print(f"--- temperature {temperature} ---\nReturn the {sample}\n")

plt.show()
