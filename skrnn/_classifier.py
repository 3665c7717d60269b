"""RNNClassifier: labels, ``classes_``, softmax / sigmoid head, probabilities."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ._base import PARAMETERS, BaseRNN, constraints, make_init
from ._compat import StrOptions, _fit_context
from ._docstrings import fill

_TABLE = {**PARAMETERS, "class_weight": (None, [dict, StrOptions({"balanced"}), None])}


class RNNClassifier(ClassifierMixin, BaseRNN):
    __doc__ = fill(
        """Recurrent neural network classifier (Elman RNN, LSTM or GRU).

    Reads each sequence step by step and classifies it from the final hidden
    state (both directions' final states when ``bidirectional``). Binary and
    multiclass targets use a softmax head with cross-entropy; a 2-D indicator
    ``y`` (multilabel) uses a sigmoid per label with binary cross-entropy.
    Trained by exact backpropagation through time in a Numba-compiled core.

    Parameters
    ----------
    {model_parameters}

    {training_parameters}

    class_weight : dict, 'balanced' or None, default=None
        Weights ``{class_label: weight}`` multiplied into the sample weights;
        ``'balanced'`` uses ``n_samples / (n_classes * np.bincount(y))``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel ``y``, ``arange(n_labels)``).

    {fitted_attributes}

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
    )

    _parameter_constraints = constraints(_TABLE)
    __init__ = make_init(_TABLE)

    def _encode_targets(self, y, seqs, sw, first, classes):
        if y is None:
            raise ValueError("RNNClassifier requires y to be passed, but the target y is None.")
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

    def _score_seqs(self, seqs, Y, sw, flat):
        P = self._predict_seqs(seqs, flat=flat)
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
            a DataFrame.
        """
        P, seqs = self._forward_raw(X)
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
        """
        P, seqs = self._forward_raw(X)
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
        """
        P, seqs = self._forward_raw(X)
        out = (P > 0.5).astype(int) if self._multilabel else self.classes_[P.argmax(1)]
        return self._wrap(out, seqs, columns=self.classes_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
