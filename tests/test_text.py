"""RNNTextGenerator: vocabulary and unknown characters, scoring with a state
carried across chunks, generation, and the bar against a bigram model."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNTextGenerator
from skrnn._nn.rollout import rollout
from skrnn.datasets import load_stdlib_docstrings

TEXT = "the cat sat on the mat. the dog sat on the log. " * 30 + "q"


def fit(X, **kw):
    params = dict(hidden_size=32, max_iter=15, random_state=0) | kw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return RNNTextGenerator(**params).fit(X)


@pytest.fixture(scope="module")
def small():
    return fit(TEXT)


def bigram_log_likelihood(model, train, texts):
    """Add-one smoothed character bigram on the model's codes (``<bos>`` first, ``<unk>`` for the unknown)."""
    V = len(model.characters_)
    counts = np.ones((V, V))
    for t in train:
        ids = model._encode(t)
        np.add.at(counts, (ids[:-1], ids[1:]), 1)
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    return sum(logp[ids[:-1], ids[1:]].sum() for ids in map(model._encode, texts)) / sum(map(len, texts))


def test_vocabulary_and_unknown_characters(small):
    assert list(small.characters_[:2]) == ["<bos>", "<unk>"]
    assert "q" not in small.vocabulary_  # seen once < min_frequency=2: read as <unk>
    assert set(small.vocabulary_) == set("the cat sat on the mat. dog log")
    assert np.isfinite(small.score("the zebra sat"))  # z, b, r unknown -> <unk>, finite
    assert small.score("the cat sat") > small.score("the zzz sat")
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['z'\]"):
        small.generate(5, prompt="zoo")
    with pytest.raises(TypeError, match="str or a list of str"):
        small.score(["ok", 3])


def test_generation_reproduces_the_text(small):
    out = small.generate(60, prompt="the ", temperature=0, random_state=0)
    assert len(out) == 60 and set(out) <= set(small.vocabulary_)
    assert "sat on the" in out
    a = small.generate(40, prompt="the ", temperature=1.0, random_state=3)
    assert a == small.generate(40, prompt="the ", temperature=1.0, random_state=3)
    assert small.generate(0) == ""
    assert small.perplexity("the cat sat on the mat. ") < 2.0
    again = pickle.loads(pickle.dumps(small))
    assert again.generate(30, prompt="the ", random_state=1) == small.generate(30, prompt="the ", random_state=1)


def test_score_equals_stepping_char_by_char(small):
    """Chunked scoring (state carried between chunks) = a teacher-forced rollout."""
    text = "the dog sat on the mat. the cat"
    ids = small._encode(text)
    eye = np.eye(len(small.characters_), dtype=small._flat.dtype)
    logps = []

    def feedback(k, logits):
        z = logits[0].astype(np.float64)
        logps.append(z[ids[k + 1]] - np.logaddexp.reduce(z))
        return eye[ids[k + 1]][None]

    rollout(small._net(), small._flat, eye[ids[:1]][:, None], np.array([1]), len(text), feedback)
    assert_allclose(small.score(text), np.mean(logps), rtol=1e-5)
    assert_allclose(small._log_likelihood(ids, chunk=7), small._log_likelihood(ids), rtol=1e-5)
    # a list scores every character once: the mean over all characters
    both = small.score([text, "the cat"])
    want = (small.score(text) * len(text) + small.score("the cat") * 7) / (len(text) + 7)
    assert_allclose(both, want, rtol=1e-6)


def test_beats_a_bigram_model_on_held_out_docstrings():
    docs = load_stdlib_docstrings(["textwrap", "string", "shlex", "fnmatch", "glob", "bisect", "heapq", "copy",
                                   "queue", "pprint", "calendar", "fractions"])
    train, held_out = docs[: int(0.85 * len(docs))], docs[int(0.85 * len(docs)):]
    gen = fit(train, hidden_size=64, max_iter=4)
    rnn = gen.score(held_out)
    bigram = bigram_log_likelihood(gen, train, held_out)
    assert rnn > bigram + 0.15, (np.exp(-rnn), np.exp(-bigram))


def test_pickle_from_another_skrnn_version_warns(small, monkeypatch):
    import skrnn

    blob = pickle.dumps(small)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = pickle.loads(blob)  # same version: silent
    assert same.generate(20, random_state=0) == small.generate(20, random_state=0)
    monkeypatch.setattr(skrnn._version, "__version__", "99.0")
    with pytest.warns(UserWarning, match="Unpickling RNNTextGenerator saved by skrnn 0.1.0 with skrnn 99.0"):
        pickle.loads(blob)


@pytest.mark.parametrize("X, params, message", [
    (["", ""], {}, r"The training text is empty \(2 text\(s\) of 0 characters\); fit needs at least one character"),
    ("", {}, r"The training text is empty \(1 text\(s\) of 0 characters\)"),
    ([], {}, r"X is an empty list; pass at least one text"),
    ("a", {}, r"No character occurs at least min_frequency=2 times.*'a', occurs 1 time\).*vocabulary would be "
              r"empty.*Lower min_frequency \(to at most 1\)"),
    ("hello world", {"min_frequency": 100}, r"min_frequency=100 times.*'l', occurs 3 times.*at most 3"),
])
def test_fit_refuses_texts_that_leave_nothing_to_learn(X, params, message):
    with pytest.raises(ValueError, match=message):
        RNNTextGenerator(hidden_size=3, max_iter=1, **params).fit(X)


def test_a_one_character_vocabulary_fits_and_generates_it():
    gen = fit("aaaa", hidden_size=3, max_iter=2)
    assert list(gen.characters_) == ["<bos>", "<unk>", "a"]
    assert gen.generate(4, random_state=0) == "aaaa"
    assert np.isfinite(gen.score("aa"))


@pytest.mark.parametrize("temperature", [np.inf, float("nan"), -0.5, True, "1"])
def test_generate_refuses_a_temperature_that_is_not_a_finite_non_negative_number(small, temperature):
    with pytest.raises(ValueError, match=r"temperature must be a finite non-negative number \(0 picks the most "
                                         r"likely character.*got"):
        small.generate(5, temperature=temperature)


@pytest.mark.parametrize("temperature", [0, 1e-300, 1e300])
def test_extreme_finite_temperatures_sample(small, temperature):
    out = small.generate(8, prompt="the ", temperature=temperature, random_state=0)
    assert len(out) == 8 and set(out) <= set(small.characters_[2:])
