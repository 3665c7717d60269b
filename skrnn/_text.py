"""RNNTextGenerator: a character-level language model that scores and generates text.

Training is next-character prediction with truncated backpropagation through
time: the training texts become one stream (each document preceded by a
``<bos>`` code), cut into ``batch_size`` parallel streams that are read in
chunks of ``bptt`` steps, the recurrent state carried from one chunk to the
next (gradients stop at chunk boundaries).  Generation steps the same weights
one character at a time through :func:`skrnn._rollout.rollout`.
"""

import time
import warnings
from collections import Counter
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._base import PARAMETERS, VersionedPickleMixin, constraints, make_init
from ._compat import Interval, _fit_context
from ._config import single_threaded_blas
from ._nn.heads import loss_rows
from ._nn.network import Network
from ._nn.optim import clip_gradient
from ._nn.params import Architecture, Layout, initialize
from ._nn.rollout import rollout
from ._training import _dropout_masks, _make_optimizer

BOS, UNK = "<bos>", "<unk>"
_SHARED = ["cell", "hidden_size", "num_layers", "initializer", "recurrent_initializer", "dropout", "solver",
           "learning_rate_init", "max_iter", "tol", "n_iter_no_change", "clip_value", "clip_norm", "beta_1",
           "beta_2", "epsilon", "momentum", "nesterovs_momentum", "random_state", "verbose"]
_positive_int = Interval(Integral, 1, None, closed="left")
_TABLE = {
    **{k: PARAMETERS[k] for k in _SHARED},
    "cell": ("lstm", PARAMETERS["cell"][1]),
    "hidden_size": (128, PARAMETERS["hidden_size"][1]),
    "learning_rate_init": (0.01, PARAMETERS["learning_rate_init"][1]),
    "max_iter": (20, PARAMETERS["max_iter"][1]),
    "batch_size": (16, [_positive_int]),
    "bptt": (32, [_positive_int]),
    "min_frequency": (2, [_positive_int]),
}


def _as_texts(X, what):
    if isinstance(X, str):
        return [X]
    if isinstance(X, (list, tuple)) and all(isinstance(t, str) for t in X):
        return list(X)
    raise TypeError(f"{what} must be a str or a list of str; got {type(X).__name__}.")


class RNNTextGenerator(VersionedPickleMixin, BaseEstimator):
    """Character-level recurrent language model: learns to predict the next
    character of a text, scores texts and generates new ones.

    ``fit`` learns a character vocabulary and trains the network (a stack of
    unidirectional LSTM, GRU or Elman layers with a softmax head over the
    vocabulary, fed the one-hot code of the previous character) by truncated
    backpropagation through time over chunks of ``bptt`` characters, carrying
    the state across chunks.  :meth:`generate` samples text one character at
    a time; :meth:`score` is the mean log-likelihood per character, so the
    perplexity is ``exp(-score(texts))``.

    Parameters
    ----------
    cell : {'rnn', 'lstm', 'gru'}, default='lstm'
        Recurrent cell, as in :class:`RNNClassifier`.
    hidden_size : int, default=128
        Units per recurrent layer.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    initializer, recurrent_initializer : str, default='xavier_uniform', 'orthogonal'
        Weight initialisers, as in :class:`RNNClassifier`.
    dropout : float, default=0.0
        Inverted dropout on the inputs of layers 2.. and on the head's input.
    solver : {'adam', 'sgd'}, default='adam'
        Optimiser.
    learning_rate_init : float, default=0.01
        Step size.
    max_iter : int, default=20
        Maximum number of epochs (passes over the training text).
    tol : float, default=1e-4
        Minimum decrease of the epoch's training loss that resets patience.
    n_iter_no_change : int, default=10
        Epochs without such a decrease before training stops.
    clip_value, clip_norm : float or None, default=None, 5.0
        Gradient clipping per entry and by global norm.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's parameters.
    momentum : float, default=0.9
        SGD momentum.
    nesterovs_momentum : bool, default=True
        Nesterov's momentum with ``solver='sgd'``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation and dropout (not :meth:`generate`, which
        has its own ``random_state``).
    verbose : bool or int, default=False
        Print the loss after each epoch.
    batch_size : int, default=16
        Number of parallel streams the training text is cut into (one
        chunk of each per update).
    bptt : int, default=32
        Characters per truncated-BPTT chunk: gradients flow back at most this
        far, the state (the model's memory) further.
    min_frequency : int, default=2
        Characters seen fewer times in the training texts are not in the
        vocabulary; they are read as the ``<unk>`` code, so the model learns
        how likely a rare or unseen character is (singletons estimate the
        unseen mass, as in Good-Turing smoothing).

    Attributes
    ----------
    characters_ : ndarray of shape (n_codes,)
        The symbol of each code: ``'<bos>'`` (start of a document), ``'<unk>'``
        then the vocabulary's characters in sorted order.
    vocabulary_ : dict of str to int
        Code of each known character.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Mean training cross-entropy per character (nats) of each epoch.
    loss_ : float
        The last epoch's.

    See Also
    --------
    RNNClassifier : With ``return_sequences=True``, a label per step.

    Notes
    -----
    Unknown characters: :meth:`score` reads any character not in the
    vocabulary as ``<unk>`` and charges the model's probability of ``<unk>``
    (learned from the characters rarer than ``min_frequency``); the prompt of
    :meth:`generate` must consist of known characters (ValueError otherwise).
    Generation never produces ``<bos>`` or ``<unk>``.

    Perplexity is ``exp(-score(texts))``: the model is on average as uncertain
    as a uniform choice among that many characters.

    References
    ----------
    Graves, A. (2013). Generating sequences with recurrent neural networks.
    arXiv:1308.0850.
    Karpathy, A. (2015). The unreasonable effectiveness of recurrent neural
    networks (char-rnn).

    Examples
    --------
    >>> from skrnn import RNNTextGenerator
    >>> text = "the cat sat on the mat. " * 40
    >>> gen = RNNTextGenerator(hidden_size=32, max_iter=30, random_state=0).fit(text)
    >>> len(gen.generate(20, prompt="the ", random_state=0))
    20
    >>> gen.score("the cat sat on the mat. ") > -1.0
    True
    """

    _parameter_constraints = constraints(_TABLE)
    __init__ = make_init(_TABLE)

    # ------------------------------------------------------------- encoding
    def _encode(self, text, unknown="unk"):
        get = self.vocabulary_.get
        ids = [get(c, 1) for c in text]
        if unknown == "raise" and 1 in ids:
            bad = sorted({c for c in text if c not in self.vocabulary_})
            raise ValueError(f"The prompt contains characters not in the vocabulary: {bad}; remove or replace them "
                             f"(known characters: {''.join(self.characters_[2:])!r}).")
        return np.array([0] + ids, dtype=np.int64)

    def _net(self):
        return Network(self._arch, "softmax", sequence_output=True)

    # -------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary and train the next-character model.

        Parameters
        ----------
        X : str or list of str
            Training text, or several documents (each starts after a
            ``<bos>`` code, so the model learns how documents begin).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        texts = _as_texts(X, "X")
        counts = Counter("".join(texts))
        chars = sorted(c for c, n in counts.items() if n >= self.min_frequency)
        self.characters_ = np.array([BOS, UNK] + chars, dtype=object)
        self.vocabulary_ = {c: i + 2 for i, c in enumerate(chars)}
        stream = np.concatenate([self._encode(t) for t in texts])
        if len(stream) < 2:
            raise ValueError("The training text is empty; fit needs at least one character.")
        V = len(self.characters_)
        self._arch = Architecture(cell=self.cell, n_features=V, hidden_size=self.hidden_size, n_outputs=V,
                                  num_layers=self.num_layers)
        rng = self._random_state = check_random_state(self.random_state)
        self._flat = initialize(Layout(self._arch), rng, np.float32, self.initializer, self.recurrent_initializer)
        B = min(self.batch_size, len(stream) - 1)
        m = (len(stream) - 1) // B  # steps per stream; the last few characters are dropped
        inp = stream[:-1][: B * m].reshape(B, m).T
        tgt = stream[1:][: B * m].reshape(B, m).T
        with single_threaded_blas():
            self._train(inp, tgt, rng)
        return self

    def _train(self, inp, tgt, rng):
        net, flat = self._net(), self._flat
        V = len(self.characters_)
        eye = np.eye(V, dtype=flat.dtype)
        grad = np.zeros_like(flat)
        self._optimizer = opt = _make_optimizer(self, flat.size, flat.dtype)
        self.n_iter_, self.loss_curve_, self.loss_ = 0, [], None
        best, stall = np.inf, 0
        m, B = inp.shape
        try:
            for _ in range(self.max_iter):
                t0, total, state = time.perf_counter(), 0.0, None
                for a in range(0, m, self.bptt):
                    x, y = inp[a:a + self.bptt], tgt[a:a + self.bptt]
                    T = len(x)
                    masks = _dropout_masks(self, net, rng, T, B, flat.dtype)
                    cache = net.forward(flat, eye[x], np.full(B, T), initial_state=state, masks=masks)
                    state = net.final_state(cache)
                    loss, dz = net.loss(cache, eye[y], None)
                    net.backward(flat, grad, cache, dz)
                    norm, _ = clip_gradient(grad, self.clip_value, self.clip_norm)
                    if not (np.isfinite(loss) and np.isfinite(norm)):
                        raise FloatingPointError(
                            "RNNTextGenerator: the training loss became non-finite; try a smaller "
                            "learning_rate_init or clip_norm.")
                    opt.step(flat, grad)
                    total += loss * T
                self.n_iter_ += 1
                self.loss_ = total / m
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.6f} nats/char "
                          f"({time.perf_counter() - t0:.2f}s)", flush=True)
                stall = stall + 1 if self.loss_ > best - self.tol else 0
                best = min(best, self.loss_)
                if stall > self.n_iter_no_change:
                    break
            else:
                warnings.warn(f"RNNTextGenerator: maximum iterations ({self.max_iter}) reached and the "
                              "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)
        except KeyboardInterrupt:
            warnings.warn(f"RNNTextGenerator: training interrupted by the user after {self.n_iter_} complete "
                          "epochs; keeping the current weights.", UserWarning, stacklevel=3)

    # ------------------------------------------------------------ inference
    def _log_likelihood(self, ids, chunk=4096):
        """Sum of ``log p(ids[t] | ids[:t])`` over ``t >= 1``."""
        net, flat = self._net(), self._flat
        eye = np.eye(len(self.characters_), dtype=flat.dtype)
        total, state = 0.0, None
        with single_threaded_blas():
            for a in range(0, len(ids) - 1, chunk):
                x, y = ids[a:a + chunk][:, None], ids[a + 1:a + 1 + chunk][:, None]
                x = x[: len(y)]
                cache = net.forward(flat, eye[x], np.array([len(x)]), initial_state=state)
                state = net.final_state(cache)
                rows, _ = loss_rows("softmax", cache["logits"].astype(np.float64), eye[y])
                total -= float(rows.sum())
        return total

    def score(self, X, y=None):
        """Mean log-likelihood per character (nats), over all characters of ``X``.

        Each text is read from a fresh state after a ``<bos>`` code;
        characters outside the vocabulary count as ``<unk>``.

        Parameters
        ----------
        X : str or list of str
            Texts.
        y : None
            Ignored.

        Returns
        -------
        score : float
            ``sum log p(char | preceding chars) / n_chars``; the perplexity is
            ``exp(-score)``.
        """
        check_is_fitted(self)
        texts = _as_texts(X, "X")
        n = sum(len(t) for t in texts)
        if n == 0:
            raise ValueError("score needs at least one character.")
        return sum(self._log_likelihood(self._encode(t)) for t in texts if t) / n

    def perplexity(self, X):
        """``exp(-score(X))``: per-character perplexity of the texts.

        Parameters
        ----------
        X : str or list of str
            Texts.

        Returns
        -------
        perplexity : float
        """
        return float(np.exp(-self.score(X)))

    def generate(self, n_chars, prompt="", temperature=1.0, random_state=None):
        """Sample ``n_chars`` characters following ``prompt``.

        Parameters
        ----------
        n_chars : int
            Number of characters to generate.
        prompt : str, default=""
            Text to continue (read after a ``<bos>`` code, as the start of a
            document); every character must be in the vocabulary.
        temperature : float, default=1.0
            Divides the logits before sampling: below 1 more conservative,
            above 1 more varied; 0 picks the most likely character.
        random_state : int, RandomState instance or None, default=None
            Seeds the sampling.

        Returns
        -------
        text : str
            The generated characters (without the prompt).
        """
        check_is_fitted(self)
        if not isinstance(n_chars, Integral) or n_chars < 0:
            raise ValueError(f"n_chars must be a non-negative integer; got {n_chars!r}.")
        if not isinstance(temperature, Real) or not temperature >= 0:
            raise ValueError(f"temperature must be a non-negative number; got {temperature!r}.")
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a str; got {type(prompt).__name__}.")
        if n_chars == 0:
            return ""
        rng = check_random_state(random_state)
        ids = self._encode(prompt, unknown="raise")
        V = len(self.characters_)
        eye = np.eye(V, dtype=self._flat.dtype)
        sampled = []

        def feedback(k, logits):
            z = logits[0].astype(np.float64)
            z[:2] = -np.inf  # never <bos> or <unk>
            if temperature == 0:
                c = int(np.argmax(z))
            else:
                p = np.exp((z - z.max()) / temperature)
                c = int(rng.choice(V, p=p / p.sum()))
            sampled.append(c)
            return eye[c][None]

        with single_threaded_blas():
            rollout(self._net(), self._flat, eye[ids][:, None], np.array([len(ids)]), n_chars, feedback)
        return "".join(self.characters_[sampled])
