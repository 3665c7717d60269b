"""RNNSeq2SeqRegressor: sequences in, sequences of another length out, through
an :class:`~skrnn._nn.encoder_decoder.EncoderDecoder` trained by the common
training loop (:func:`skrnn._training.fit_epochs`)."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from ._base import BaseRNN
from ._compat import _check_sample_weight, _fit_context
from ._config import single_threaded_blas
from ._nn.encoder_decoder import EncoderDecoder
from ._parameters import store
from ._steps import step_mask
from ._validation import check_sequences


def _check_n_steps(n_steps, n_samples):
    """``predict``'s output lengths as an int array (one value, or one per sequence), or None for the
    default; a ValueError naming what is wrong otherwise."""
    if n_steps is None:
        return None
    what = "n_steps must be a positive integer (one output length for all sequences) or one per sequence"
    if isinstance(n_steps, (bool, np.bool_)) or isinstance(n_steps, (str, bytes)):
        raise ValueError(f"{what}; got {n_steps!r}.")
    if np.ndim(n_steps) == 0:
        if isinstance(n_steps, np.ndarray) and n_steps.dtype.kind in "iu":
            n_steps = n_steps.item()
        if not isinstance(n_steps, Integral):
            raise ValueError(f"{what}; got {n_steps!r}, which is not an integer.")
        if n_steps < 1:
            raise ValueError(f"{what}; got {n_steps!r}.")
        return np.array([int(n_steps)])
    try:
        a = np.asarray(n_steps, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what}; got {n_steps!r}.") from None
    if a.ndim != 1:
        raise ValueError(f"{what}: a 1-D array-like of shape (n_samples,); got shape {a.shape}.")
    if len(a) != n_samples:
        raise ValueError(f"n_steps has {len(a)} entries but X has {n_samples} sequences; pass one output length "
                         "per sequence, or an int for all.")
    bad = np.flatnonzero(~(np.isfinite(a) & (a == np.round(a)) & (a >= 1)))
    if bad.size:
        value = np.asarray(n_steps, dtype=object)[bad[0]]
        raise ValueError(f"{what}; entry {bad[0]} is {value!r}. Each output length must be an integer >= 1.")
    return a.astype(np.int64)


class RNNSeq2SeqRegressor(RegressorMixin, BaseRNN):
    """Sequence-to-sequence regression with an RNN encoder-decoder.

    An encoder RNN reads each input sequence; its final state starts a decoder
    RNN that emits the output sequence one step at a time, reading its previous
    output (teacher forcing in training: the previous *target*; free-running at
    prediction). Input and output sequences may have any lengths, different
    from each other and from sample to sample. Targets are standardised
    internally (over the valid steps) and predictions mapped back.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    n_features_in_ : int
        Input features per step (or columns of a 2-D ``X``).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.

    n_outputs_ : int
        Output values per step.

    max_output_length_ : int
        The longest target sequence seen in fit: the default ``n_steps`` of
        :meth:`predict`.

    n_iter_ : int
        Number of epochs run.

    t_ : int
        Number of training sequence pairs seen, counting repeats over epochs.

    loss_ : float
        Teacher-forced training loss of the last epoch (penalties included).

    loss_curve_ : list of float
        Teacher-forced training loss of each epoch.

    best_loss_ : float
        Lowest training loss reached.

    grad_norm_curve_ : list of float
        Mean global gradient L2 norm (before clipping) in each epoch.

    clip_rate_curve_ : list of float
        Fraction of the updates of each epoch whose gradient was clipped.

    learning_rate_curve_ : list of float
        Learning rate of each epoch (see ``learning_rate_schedule``).

    weights_ : dict of str to ndarray
        The parameters, the encoder's named ``encoder.*`` and the decoder's
        ``decoder.*`` in PyTorch's ``state_dict`` layout (see
        :meth:`get_state_dict`; the encoder's ``head`` is unused).

    See Also
    --------
    RNNRegressor : ``return_sequences=True`` for outputs aligned with the inputs.

    References
    ----------
    Sutskever, I., Vinyals, O. and Le, Q. V. (2014). Sequence to sequence
    learning with neural networks. NeurIPS.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNSeq2SeqRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(300, 4))
    >>> y = X[:, ::-2]  # two outputs: x3, x1
    >>> model = RNNSeq2SeqRegressor(hidden_size=16, max_iter=30, random_state=0).fit(X, y)
    >>> model.predict(X[:3]).shape
    (3, 2)
    """

    _head = "identity"
    PARAM_OVERRIDES = {
        "cell": "Recurrent cell of both the encoder and the decoder, as in :class:`RNNRegressor`.",
        "hidden_size": "Units per layer of the encoder and of the decoder (the encoder's final state starts\n"
                       "the decoder, so both have the same size).",
        "num_layers": "Stacked layers of the encoder and of the decoder (both unidirectional).",
        "batch_size": "Sequence pairs per minibatch. ``'auto'`` is ``min(64, n_samples)``.",
        "shuffle": "Shuffle the sequence pairs at each epoch.",
    }

    def __init__(self, *, cell="gru", activation="tanh", hidden_size=64, num_layers=1, initializer="xavier_uniform",
                 recurrent_initializer="orthogonal", solver="adam", learning_rate_init=0.005,
                 learning_rate_schedule="constant", batch_size="auto", max_iter=200, tol=1e-4, n_iter_no_change=10,
                 shuffle=True, alpha=1e-4, l1=0.0, clip_value=None, clip_norm=5.0, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, momentum=0.9, nesterovs_momentum=True, random_state=None, verbose=False):
        store(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the encoder-decoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Input sequences (trailing NaN pads shorter ones).
        y : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, n_outputs), or list of arrays
            Target sequences, of any lengths (trailing NaN pads shorter ones
            in an array; a list holds arrays of shape (n_steps_i,) or
            (n_steps_i, n_outputs)).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence pair.

        Returns
        -------
        self : object
        """
        seqs = check_sequences(self, X, reset=True)
        tgt = check_sequences(BaseEstimator(), y, reset=True, where="y")
        check_consistent_length(seqs.X, tgt.X)
        sw = _check_sample_weight(sample_weight, seqs.X, dtype=seqs.X.dtype, ensure_non_negative=True)
        mask = step_mask(tgt)
        rows, w = tgt.X[mask], np.broadcast_to(sw[:, None], mask.shape)[mask]
        self._y_mean = np.average(rows, axis=0, weights=w)
        self._y_scale = np.sqrt(np.average((rows - self._y_mean) ** 2, axis=0, weights=w))
        self._y_scale[~(self._y_scale > 1e-12 * np.maximum(np.abs(self._y_mean), 1.0))] = 1.0
        self._y_1d = tgt.layout == "2d" or (tgt.layout == "list" and np.ndim(y[0]) == 1)
        self._config = EncoderDecoder(self.cell, seqs.X.shape[2], tgt.X.shape[2], self.hidden_size,
                                      self.num_layers, self.activation).config
        self._random_state = check_random_state(self.random_state)
        self._flat = self._model().initialize(self._random_state, seqs.X.dtype.type, self.initializer,
                                              self.recurrent_initializer)
        self._reset_curves()
        self._optimizer = None
        self.n_outputs_ = tgt.X.shape[2]
        self.max_output_length_ = tgt.X.shape[1]
        Yp = EncoderDecoder.pack((tgt.X - self._y_mean) / self._y_scale, mask)
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._train(self._model(), seqs, Yp, sw, False, callback_data=(X, y, metadata))
        return self

    def _model(self):
        """The fitted encoder-decoder (rebuilt on demand: a Network keeps thread-local buffers)."""
        return EncoderDecoder.from_config(self._config)

    def predict(self, X, n_steps=None):
        """Free-running output sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Input sequences.
        n_steps : int, array-like of shape (n_samples,) or None, default=None
            Output length: one positive int for all (default
            ``max_output_length_``), or one per sequence (the model does not
            learn where to stop); anything else is a ValueError.

        Returns
        -------
        y : ndarray of shape (n_samples, n_steps) or (n_samples, n_steps, n_outputs), or list of arrays
            A list of arrays of each sequence's own length when ``n_steps``
            is per sequence.
        """
        check_is_fitted(self)
        seqs = check_sequences(self, X, reset=False)
        lengths = _check_n_steps(n_steps, seqs.n_samples)
        per_seq = lengths is not None and np.ndim(n_steps) == 1
        steps = self.max_output_length_ if lengths is None else int(lengths.max())
        model = self._model()
        with single_threaded_blas():
            outs = [model.predict(self._flat, Xb, L, steps).transpose(1, 0, 2)
                    for Xb, L in seqs.time_major_chunks(1024, self._flat.dtype)]
        out = np.concatenate(outs) * self._y_scale + self._y_mean
        out = out[..., 0] if self._y_1d else out
        if per_seq:
            return [o[:k] for o, k in zip(out, lengths, strict=True)]
        return out

    def score(self, X, y, sample_weight=None):
        """R^2 of the free-running predictions over the valid steps of ``y``.

        Parameters
        ----------
        X : array-like or list of arrays
            Input sequences.
        y : array-like or list of arrays
            True output sequences (predicted to each one's length).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence pair.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        tgt = check_sequences(BaseEstimator(), y, reset=True, where="y")
        mask = step_mask(tgt)
        pred = self.predict(X, n_steps=tgt.X.shape[1]).reshape(tgt.X.shape)
        w = np.ones(len(mask)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        return float(r2_score(tgt.X[mask], pred[mask], sample_weight=np.broadcast_to(w[:, None], mask.shape)[mask]))
