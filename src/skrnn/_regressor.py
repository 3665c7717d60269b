"""RNNRegressor: identity head, single and multi-output targets."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_array, check_consistent_length

from ._base import BaseRNN
from ._compat import _fit_context
from ._embedding import SequenceEmbeddingMixin
from ._parameters import SEQUENCE_BIDIRECTIONAL, store
from ._steps import check_step_targets, split_steps, step_mask


class StandardisedTargetsMixin:
    """Real-valued targets through an identity head, standardised internally with the weighted mean and
    standard deviation of the first fit (of the valid steps, for per-step targets); predictions are mapped
    back. Shared by :class:`RNNRegressor` and :class:`~skrnn.RNNForecaster`'s window face."""

    _head = "identity"

    def _encode_targets(self, y, seqs, sw, first, classes=None):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        if self._sequence_output:  # per-step targets: standardise over the valid steps
            y, mask = check_step_targets(y, seqs, type(self).__name__)
            shape = y.shape
            y = check_array(y.reshape(shape[0], -1), dtype=[np.float64, np.float32], input_name="y").reshape(shape)
            Y = y.reshape(shape[0], shape[1], -1).astype(np.float64)
            rows, wrows = Y[mask], np.broadcast_to(sw[:, None], mask.shape)[mask]
        else:
            y = check_array(y, ensure_2d=False, dtype=[np.float64, np.float32], input_name="y")
            check_consistent_length(seqs.X, y)
            if y.ndim > 2:
                raise ValueError(f"y must be of shape (n_samples,) or (n_samples, n_outputs); got {y.shape}.")
            Y = rows = y.reshape(len(y), -1).astype(np.float64)
            wrows = sw
        if first:
            self._y_1d = y.ndim == 1 + self._sequence_output
            w = wrows / wrows.sum()  # weighted moments of the rows (of the valid steps)
            with np.errstate(over="ignore", invalid="ignore"):
                mean = w @ rows
                scale = np.sqrt(w @ (rows - mean) ** 2)
            if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
                raise ValueError(
                    "y is too large to standardise in float64 (its variance overflows); rescale the targets "
                    "(e.g. divide by a power of ten) before fitting."
                )
            scale[scale < 1e-12 * np.maximum(np.abs(mean), 1.0)] = 1.0
            scale[scale == 0] = 1.0
            self._y_mean, self._y_scale = mean, scale
        if Y.shape[-1] != len(self._y_mean):
            raise ValueError(f"y has {Y.shape[-1]} outputs, but the model was fitted with {len(self._y_mean)}.")
        Z = (Y - self._y_mean) / self._y_scale
        if self._sequence_output:
            Z *= mask[:, :, None]
        return Z.astype(seqs.X.dtype), sw

    def _unscale(self, Z):
        out = Z * self._y_scale + self._y_mean
        return out[..., 0] if self._y_1d else out

    def _score_seqs(self, seqs, Y, sw, params):
        Z = self._predict_seqs(seqs, params=params)
        if self._sequence_output:
            mask = step_mask(seqs)
            Y, Z, sw = Y[mask], Z[mask], np.broadcast_to(sw[:, None], mask.shape)[mask]
        return float(r2_score(Y * self._y_scale, Z * self._y_scale, sample_weight=sw))

class RNNRegressor(RegressorMixin, SequenceEmbeddingMixin, StandardisedTargetsMixin, BaseRNN):
    """Recurrent neural network regressor (Elman RNN, LSTM or GRU).

    Reads each sequence step by step (or patch by patch) and predicts one or
    several real values from the pooled top-layer state (``pooling``) with a
    linear (identity) head, trained on half
    the mean squared error. Targets are standardised internally (weighted mean
    and standard deviation of the first fit) and predictions are mapped back,
    so no target scaling is needed.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {fitted_attributes}

    {input_attributes}

    {ensemble_attributes}

    See Also
    --------
    RNNClassifier : The same network with a softmax head for classification.
    sklearn.neural_network.MLPRegressor : Feed-forward network on flat features.

    Notes
    -----
    Input conventions are those of :class:`RNNClassifier`.

    References
    ----------
    Werbos, P. J. (1990). Backpropagation through time: what it does and how
    to do it. Proceedings of the IEEE 78(10).

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 10))
    >>> y = X.sum(axis=1)
    >>> reg = RNNRegressor(hidden_size=16, max_iter=50, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, *, cell="gru", activation="tanh", hidden_size=64, num_layers=1, bidirectional="auto",
                 initializer="xavier_uniform", recurrent_initializer="orthogonal", dropout=0.0, return_sequences=False,
                 pooling="last_mean", patch_size="auto", scale_input="auto", n_estimators="auto",
                 solver="adam", learning_rate_init=0.005,
                 learning_rate_schedule="constant", batch_size="auto", max_iter=200, tol=1e-4, n_iter_no_change=25,
                 early_stopping=False, validation_fraction=0.1, shuffle=True, alpha=1e-4, l1=0.0, clip_value=None,
                 clip_norm=5.0, beta_1=0.9, beta_2=0.999, epsilon=1e-8, momentum=0.9, nesterovs_momentum=True,
                 random_state=None, verbose=False, warm_start=False):
        store(self, locals())

    _equal_batches = True
    _stacked_ensemble = True
    PARAM_OVERRIDES = {"bidirectional": SEQUENCE_BIDIRECTIONAL}

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch over ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Training sequences.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets. The standardisation of the first call is kept.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Sequences.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions (pandas, indexed like ``X``, for DataFrame input).
        """
        Z, seqs = self._forward_raw(X)
        if self._sequence_output:
            return split_steps(self._unscale(Z).astype(Z.dtype, copy=False), seqs)
        return self._wrap(self._unscale(Z).astype(Z.dtype, copy=False), seqs)

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 (over the valid steps with ``return_sequences=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Sequences.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or per-step targets
            True values, in the form given to :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence (each of its steps, for per-step targets).

        Returns
        -------
        score : float
        """
        if not self._sequence_output:
            return super().score(X, y, sample_weight)
        Z, seqs = self._forward_raw(X)
        y, mask = check_step_targets(y, seqs, "RNNRegressor")
        Y = np.asarray(y, dtype=np.float64).reshape(mask.shape + (-1,))
        w = np.ones(len(mask)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        pred = (Z * self._y_scale + self._y_mean)[mask]
        return float(r2_score(Y[mask], pred, sample_weight=np.broadcast_to(w[:, None], mask.shape)[mask]))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
