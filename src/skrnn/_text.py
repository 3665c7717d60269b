"""RNNTextGenerator: a character-level language model that scores and generates text.

Training is next-character prediction with truncated backpropagation through
time: the training texts become one stream (each document preceded by a
``<bos>`` code), cut into ``batch_size`` parallel streams that are read in
chunks of ``bptt`` steps, the recurrent state carried from one chunk to the
next (gradients stop at chunk boundaries).  Generation steps the same weights
one character at a time through :func:`skrnn._rollout.rollout`.
"""

from collections import Counter
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._base import DeclaredParametersMixin, VersionedPickleMixin
from ._callbacks import CallbackSupportMixin, epoch_tasks, wants_tensor_norms
from ._compat import Interval, _fit_context
from ._config import single_threaded_blas
from ._nn.heads import loss_rows
from ._nn.network import Network
from ._nn.params import Architecture
from ._nn.rollout import rollout
from ._nn.schedules import as_schedule
from ._parameters import Param, store
from ._training import History, TrainConfig, TrainState, fit_epochs, make_optimizer

BOS, UNK = "<bos>", "<unk>"


class _StreamObjective:
    """Next-character loss of a chunk of ``B`` parallel streams, the recurrent state carried from one chunk
    to the next (truncated BPTT: gradients stop at chunk boundaries); the training loop's objective."""

    def __init__(self, net, dtype):
        self.net, self.size, self.state = net, net.size, None
        self.eye = np.eye(net.arch.n_features, dtype=dtype)

    def weight_mask(self):
        return self.net.weight_mask()

    def begin_epoch(self):
        self.state = None  # each epoch reads the streams from their start

    def dropout_shapes(self, batch):
        return self.net.dropout_shapes(batch)

    def loss_and_grad(self, params, grad, batch, masks):
        x, y = batch  # (T, B) character codes and their successors
        T, B = x.shape
        cache = self.net.forward(params, self.eye[x], np.full(B, T), initial_state=self.state, masks=masks)
        self.state = self.net.final_state(cache)
        loss, dz = self.net.loss(cache, self.eye[y], None)
        self.net.backward(params, grad, cache, dz)
        return loss, float(B)


class _StreamBatches:
    """Consecutive ``bptt``-step chunks of the ``(m, B)`` streams, in order; an epoch counts ``m`` steps."""

    def __init__(self, inp, tgt, bptt):
        self.inp, self.tgt, self.bptt, self.n = inp, tgt, bptt, inp.shape[0]

    def epoch(self, rng, shuffle):
        for a in range(0, self.n, self.bptt):
            x = self.inp[a:a + self.bptt]
            yield (x, self.tgt[a:a + self.bptt]), len(x)


def _as_texts(X, what):
    if isinstance(X, str):
        return [X]
    if isinstance(X, (list, tuple)) and all(isinstance(t, str) for t in X):
        if not X:
            raise ValueError(f"{what} is an empty list; pass at least one text.")
        return list(X)
    raise TypeError(f"{what} must be a str or a list of str; got {type(X).__name__}.")


class RNNTextGenerator(CallbackSupportMixin, DeclaredParametersMixin, VersionedPickleMixin, BaseEstimator):
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
    {parameters}

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
    grad_norm_curve_ : list of float
        Mean global gradient L2 norm (before clipping) in each epoch.
    clip_rate_curve_ : list of float
        Fraction of the updates of each epoch whose gradient was clipped.
    learning_rate_curve_ : list of float
        Learning rate of each epoch (see ``learning_rate_schedule``).

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

    PARAM_OVERRIDES = {
        "cell": "Recurrent cell, as in :class:`RNNClassifier`.",
        "hidden_size": "Units per recurrent layer.",
        "dropout": "Inverted dropout on the inputs of layers 2.. and on the head's input (training only).",
        "max_iter": "Maximum number of epochs (passes over the training text).",
        "tol": "Minimum decrease of the epoch's training loss that resets the patience counter.",
        "random_state": "Seeds the initialisation and dropout (not :meth:`generate`, which has its own\n"
                        "``random_state``). An int gives bitwise-reproducible fits.",
        "verbose": "Print the loss after each epoch.",
        "batch_size": Param("int", [Interval(Integral, 1, None, closed="left")], """\
Number of parallel streams the training text is cut into (one chunk of
each per update)."""),
    }

    def __init__(self, *, cell="lstm", hidden_size=128, num_layers=1, initializer="xavier_uniform",
                 recurrent_initializer="orthogonal", dropout=0.0, solver="adam", learning_rate_init=0.01,
                 learning_rate_schedule="constant", max_iter=20, tol=1e-4, n_iter_no_change=10, clip_value=None,
                 clip_norm=5.0, beta_1=0.9, beta_2=0.999, epsilon=1e-8, momentum=0.9, nesterovs_momentum=True,
                 random_state=None, verbose=False, batch_size=16, bptt=32, min_frequency=2):
        store(self, locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True  # a str or a list of str
        tags.non_deterministic = False
        return tags

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
        if not counts:
            raise ValueError(f"The training text is empty ({len(texts)} text(s) of 0 characters); fit needs at "
                             "least one character.")
        chars = sorted(c for c, n in counts.items() if n >= self.min_frequency)
        if not chars:
            common, n = counts.most_common(1)[0]
            raise ValueError(
                f"No character occurs at least min_frequency={self.min_frequency} times in the training text (the "
                f"most frequent, {common!r}, occurs {n} time{'s' * (n != 1)}), so the vocabulary would be empty "
                f"and the model could generate nothing. Lower min_frequency (to at most {n}) or fit on more text."
            )
        self.characters_ = np.array([BOS, UNK] + chars, dtype=object)
        self.vocabulary_ = {c: i + 2 for i, c in enumerate(chars)}
        stream = np.concatenate([self._encode(t) for t in texts])
        V = len(self.characters_)
        self._arch = Architecture(cell=self.cell, n_features=V, hidden_size=self.hidden_size, n_outputs=V,
                                  num_layers=self.num_layers)
        self._random_state = check_random_state(self.random_state)
        net = self._net()
        self._flat = net.initialize(self._random_state, np.float32, self.initializer, self.recurrent_initializer)
        B = min(self.batch_size, len(stream) - 1)
        m = (len(stream) - 1) // B  # steps per stream; the last few characters are dropped
        inp = stream[:-1][: B * m].reshape(B, m).T
        tgt = stream[1:][: B * m].reshape(B, m).T
        self._optimizer = make_optimizer(self.solver, self._flat.size, self._flat.dtype, self.learning_rate_init,
                                         self.beta_1, self.beta_2, self.epsilon, self.momentum,
                                         self.nesterovs_momentum)
        config = TrainConfig(max_iter=self.max_iter, tol=self.tol, n_iter_no_change=self.n_iter_no_change,
                             clip_value=self.clip_value, clip_norm=self.clip_norm, dropout=self.dropout,
                             verbose=self.verbose, name=type(self).__name__, unit=" nats/char",
                             schedule=None if self.learning_rate_schedule == "constant"
                             else as_schedule(self.learning_rate_schedule),
                             learning_rate_init=self.learning_rate_init,
                             tensor_norms=net.tensor_slices() if wants_tensor_norms(self) else None)
        state = TrainState(self._optimizer, self._random_state, History())
        hooks = epoch_tasks(self, X, None, None, self.max_iter, self._reconstruction)
        try:
            with single_threaded_blas():
                fit_epochs(_StreamObjective(net, self._flat.dtype), self._flat, _StreamBatches(inp, tgt, self.bptt),
                           config, state, hooks=hooks)
        finally:
            self._set_history(state.history)
            if hooks is not None:
                hooks.close()
        return self

    def _set_history(self, h):
        self.n_iter_, self.loss_, self.loss_curve_ = h.n_iter, h.loss, h.loss_curve
        self.grad_norm_curve_, self.clip_rate_curve_ = h.grad_norm_curve, h.clip_rate_curve
        self.learning_rate_curve_ = h.learning_rate_curve

    def _reconstruction(self, params, history):
        return {"_flat": params, "n_iter_": history.n_iter, "loss_": history.loss,
                "loss_curve_": list(history.loss_curve), "grad_norm_curve_": list(history.grad_norm_curve),
                "clip_rate_curve_": list(history.clip_rate_curve),
                "learning_rate_curve_": list(history.learning_rate_curve),
                "_tensor_grad_norms": history.tensor_grad_norms}

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
        if isinstance(temperature, bool) or not isinstance(temperature, Real) or not 0 <= temperature < np.inf:
            raise ValueError(f"temperature must be a finite non-negative number (0 picks the most likely character, "
                             f"larger values sample more uniformly); got {temperature!r}.")
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
