"""
=====================================================
Character-level text generation with RNNTextGenerator
=====================================================

A character-level LSTM language model trained for about a minute on the
docstrings of Python's standard library (text that ships with Python, nothing
is downloaded). The last tenth of the docstrings is held out; we compare the
model's held-out perplexity (``exp(-score)``, in characters) with a character
bigram model fitted on the same training text, then sample from it.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNTextGenerator
from skrnn.datasets import load_stdlib_docstrings

docs = load_stdlib_docstrings()
cut = int(0.9 * len(docs))
train, held_out = docs[:cut], docs[cut:]
print(f"{len(train)} training docstrings ({sum(map(len, train))} characters), "
      f"{len(held_out)} held out ({sum(map(len, held_out))} characters)")

# %%
# Training: truncated BPTT over chunks of 32 characters in 16 parallel
# streams, the LSTM state carried from chunk to chunk.
gen = RNNTextGenerator(cell="lstm", hidden_size=128, max_iter=5, random_state=0, verbose=True)
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget of 5 epochs
    gen.fit(train)
print(f"trained in {time.perf_counter() - t0:.0f} s, vocabulary of {len(gen.vocabulary_)} characters")


# %%
# The baseline: a character bigram model with add-one smoothing, on the same
# codes as the network (``<bos>`` starts each document, characters outside
# the vocabulary are ``<unk>``).
def bigram_perplexity(model, train, texts):
    V = len(model.characters_)
    counts = np.ones((V, V))  # add-one smoothing
    for t in train:
        ids = model._encode(t)
        np.add.at(counts, (ids[:-1], ids[1:]), 1)
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    total = sum(logp[ids[:-1], ids[1:]].sum() for ids in map(model._encode, texts))
    return float(np.exp(-total / sum(map(len, texts))))


bigram = bigram_perplexity(gen, train, held_out)
rnn = gen.perplexity(held_out)
print(f"held-out perplexity per character: LSTM {rnn:.2f}, add-one bigram {bigram:.2f}")

# %%
# Samples: the prompt is continued one character at a time (through the same
# rollout code path a recursive forecaster uses); lower temperatures give
# more conservative text.
for temperature in (0.5, 0.8):
    sample = gen.generate(300, prompt="Return the ", temperature=temperature, random_state=0)
    print(f"\n--- temperature {temperature} ---\nReturn the {sample}")

assert rnn < 0.8 * bigram, (rnn, bigram)
