"""RNNClassifier: labels, ``classes_``, softmax / sigmoid head, probabilities."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ._base import BaseRNN
from ._compat import _fit_context
from ._embedding import SequenceEmbeddingMixin
from ._parameters import SEQUENCE_BIDIRECTIONAL, store
from ._steps import check_step_targets, split_steps, step_mask


class RNNClassifier(ClassifierMixin, SequenceEmbeddingMixin, BaseRNN):
    """Recurrent neural network classifier (Elman RNN, LSTM or GRU).

    Reads each sequence step by step (or patch by patch, ``patch_size``) and
    classifies it from a summary of the top layer's hidden states
    (``pooling``: the final state by default, or the attention, mean or max
    pooling of every step; both directions when ``bidirectional``), which
    :meth:`transform` also returns. Binary and
    multiclass targets use a softmax head with cross-entropy; a 2-D indicator
    ``y`` (multilabel) uses a sigmoid per label with binary cross-entropy.
    Trained by exact backpropagation through time in a Numba-compiled core.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel ``y``, ``arange(n_labels)``).

    {fitted_attributes}

    {input_attributes}

    {ensemble_attributes}

    See Also
    --------
    RNNRegressor : The same network with an identity head for regression.
    sklearn.neural_network.MLPClassifier : Feed-forward network on flat features.

    Notes
    -----
    Input conventions: a 2-D ``X`` holds one univariate sequence per row; a
    3-D ``X`` is ``(n_samples, n_timesteps, n_features)``; a list of arrays
    holds sequences of different lengths; trailing NaN pads shorter sequences
    in a 2-D or 3-D array. float32 input trains in float32.

    References
    ----------
    Elman, J. L. (1990). Finding structure in time. Cognitive Science 14(2).
    Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory.
    Cho, K. et al. (2014). Learning phrase representations using RNN
    encoder-decoder for statistical machine translation.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 10))
    >>> y = (X[:, :5].sum(axis=1) > 0).astype(int)
    >>> clf = RNNClassifier(hidden_size=16, max_iter=50, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    """

    def __init__(self, *, cell="gru", activation="tanh", hidden_size=64, num_layers=1, bidirectional="auto",
                 initializer="xavier_uniform", recurrent_initializer="orthogonal", dropout=0.0, return_sequences=False,
                 pooling="last_mean", patch_size="auto", scale_input="auto", n_estimators="auto",
                 solver="adam", learning_rate_init=0.005,
                 learning_rate_schedule="constant", batch_size="auto", max_iter=200, tol=1e-4, n_iter_no_change=25,
                 early_stopping=False, validation_fraction=0.1, shuffle=True, alpha=1e-4, l1=0.0, clip_value=None,
                 clip_norm=5.0, beta_1=0.9, beta_2=0.999, epsilon=1e-8, momentum=0.9, nesterovs_momentum=True,
                 random_state=None, verbose=False, warm_start=False, class_weight=None):
        store(self, locals())

    _equal_batches = True
    _stacked_ensemble = True
    PARAM_OVERRIDES = {"bidirectional": SEQUENCE_BIDIRECTIONAL}

    def _encode_targets(self, y, seqs, sw, first, classes):
        if y is None:
            raise ValueError("RNNClassifier requires y to be passed, but the target y is None.")
        if self._sequence_output:
            return self._encode_step_targets(y, seqs, sw, first, classes)
        y = np.asarray(y) if not hasattr(y, "iloc") else y.to_numpy()
        check_consistent_length(seqs.X, y)
        check_classification_targets(y)
        kind = type_of_target(y)
        if first:
            self._multilabel = kind == "multilabel-indicator"
            if self._multilabel:
                self.classes_ = np.arange(y.shape[1])
            else:
                labels = np.unique(column_or_1d(y)) if classes is None else np.unique(np.asarray(classes))
                if len(labels) < 2:
                    raise ValueError(
                        f"RNNClassifier needs samples of at least 2 classes in the data, but the data contains only "
                        f"one class: {labels[0]!r}. Use a dummy model or collect samples of another class."
                    )
                self.classes_ = labels
            self._head = "sigmoid" if self._multilabel else "softmax"
        if self._multilabel:
            if kind != "multilabel-indicator" or y.shape[1] != len(self.classes_):
                raise ValueError(f"y must be a multilabel indicator matrix with {len(self.classes_)} columns.")
            return y.astype(seqs.X.dtype), sw
        y = column_or_1d(y, warn=True)
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()} not seen in the first call; pass every label in `classes` "
                "on the first call to partial_fit."
            )
        codes = np.searchsorted(self.classes_, y)
        if self.class_weight is not None:
            sw = sw * compute_sample_weight(self.class_weight, y)
        return np.eye(len(self.classes_), dtype=seqs.X.dtype)[codes], sw

    def _encode_step_targets(self, y, seqs, sw, first, classes):
        """One-hot ``(N, T, n_classes)`` per-step targets, zero at padded steps."""
        if self.class_weight is not None:
            raise ValueError("class_weight is not supported with return_sequences=True (weights apply to whole "
                             "sequences); pass per-sequence sample_weight instead.")
        y, mask = check_step_targets(y, seqs, "RNNClassifier")
        if y.ndim != 2:
            raise ValueError(f"With return_sequences=True, RNNClassifier needs one label per step: y of shape "
                             f"(n_samples, n_timesteps) or a list of 1-D arrays; got {y.shape}.")
        valid = y[mask]
        check_classification_targets(valid)
        if first:
            self._multilabel, self._head = False, "softmax"
            self.classes_ = np.unique(valid) if classes is None else np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"RNNClassifier needs at least 2 classes among the step labels, but y contains "
                                 f"only {self.classes_[0]!r}.")
        unseen = np.setdiff1d(valid, self.classes_)
        if unseen.size:
            raise ValueError(f"y contains labels {unseen.tolist()} not seen in the first call; pass every label in "
                             "`classes` on the first call to partial_fit.")
        codes = np.searchsorted(self.classes_, y).clip(0, len(self.classes_) - 1)
        return np.eye(len(self.classes_), dtype=seqs.X.dtype)[codes] * mask[:, :, None], sw

    def _score_seqs(self, seqs, Y, sw, params):
        P = self._predict_seqs(seqs, params=params)
        if self._sequence_output:
            mask = step_mask(seqs)
            hit = P.argmax(-1) == Y.argmax(-1)
            return float(np.average(hit[mask], weights=np.broadcast_to(sw[:, None], mask.shape)[mask]))
        if self._multilabel:
            hit = ((P > 0.5) == (Y > 0.5)).all(axis=1)
        else:
            hit = P.argmax(1) == Y.argmax(1)
        return float(np.average(hit, weights=sw))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch over ``(X, y)``, continuing from the current state.

        The optimiser state (Adam moments, momentum) is kept across calls, so a
        stream of ``partial_fit`` calls trains like one long fit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Training sequences.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Targets.
        classes : array-like of shape (n_classes,), default=None
            Every class label; required on the first call (unless ``y`` is a
            multilabel indicator), ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence.

        Returns
        -------
        self : object
        """
        if not hasattr(self, "classes_"):
            if classes is None and type_of_target(np.asarray(y)) != "multilabel-indicator":
                raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Sequences.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class (each label, independently, for
            multilabel targets). A DataFrame indexed like ``X`` when ``X`` is
            a DataFrame. With ``return_sequences=True``: per-step
            probabilities, ndarray of shape (n_samples, n_timesteps, n_classes)
            or a list of arrays of shape (n_timesteps_i, n_classes) for ragged
            ``X``.
        """
        P, seqs = self._forward_raw(X)
        if self._sequence_output:
            return split_steps(P, seqs)
        return self._wrap(P, seqs, columns=self.classes_)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Sequences.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Per step with ``return_sequences=True``, as :meth:`predict_proba`.
        """
        P, seqs = self._forward_raw(X)
        if self._sequence_output:
            with np.errstate(divide="ignore"):
                return split_steps(np.log(P), seqs)
        with np.errstate(divide="ignore"):
            return self._wrap(np.log(P), seqs, columns=self.classes_)

    def predict(self, X):
        """Predicted class of each sequence.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Sequences.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels (a pandas Series indexed like ``X`` for DataFrame input).
            With ``return_sequences=True``: a label per step, ndarray of shape
            (n_samples, n_timesteps), or a list of 1-D arrays for ragged ``X``.
        """
        P, seqs = self._forward_raw(X)
        if self._sequence_output:
            return split_steps(self.classes_[P.argmax(-1)], seqs)
        out = (P > 0.5).astype(int) if self._multilabel else self.classes_[P.argmax(1)]
        return self._wrap(out, seqs, columns=self.classes_)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy (over the valid steps of every sequence with ``return_sequences=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Sequences.
        y : array-like of shape (n_samples,) or (n_samples, n_labels), or per-step labels
            True labels, in the form given to :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence (each of its steps, for per-step labels).

        Returns
        -------
        score : float
        """
        if not self._sequence_output:
            return super().score(X, y, sample_weight)
        P, seqs = self._forward_raw(X)
        y, mask = check_step_targets(y, seqs, "RNNClassifier")
        w = np.ones(len(mask)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        hit = self.classes_[P.argmax(-1)] == y
        return float(np.average(hit[mask], weights=np.broadcast_to(w[:, None], mask.shape)[mask]))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
