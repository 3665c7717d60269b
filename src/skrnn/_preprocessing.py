"""Input preprocessing that knows what a sequence is: per-feature standardisation over all valid steps,
and patching (consecutive steps read as one input step).

* :func:`sequence_moments`, :func:`standardise` and :func:`patch` are pure functions on
  :class:`~skrnn._validation.Sequences` (padded ``(N, T, D)`` arrays with zeros past each length);
  padded steps never enter the statistics and stay zero.
* :class:`SequenceScaler` is the public transformer built on them: it takes every input form the
  estimators take (2-D, 3-D, ragged lists, trailing-NaN padding; validated by
  :func:`~skrnn._validation.check_sequences`) and returns the same form.
* :func:`fit_input` and :func:`prepare_input` are what an estimator's fit and predict call for its
  built-in ``scale_input`` and ``patch_size``.
"""

import math

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._compat import _check_sample_weight, _fit_context
from ._validation import Sequences, check_sequences

# patch_size='auto' aims at this many recurrent steps for a training sequence of the median length
AUTO_PATCH_STEPS = 32
# patch_size='multiscale': the networks of an ensemble (n_estimators) aim at these in turn, so that they
# read the series at several scales (benchmarks/results/sequences.txt, 2026-12-08: no better than 'auto' on
# the classification sets on average, better on the three regression sets; not the default)
MULTISCALE_PATCH_STEPS = (32, 16, 48)
# scale_input='auto' standardises each sequence by itself when, for some feature, the median spread within a
# sequence is above zero but below this fraction of the spread over the whole training set: global
# standardisation would then leave most sequences nearly flat (e.g. currents of appliances whose amplitudes
# span decades)
AUTO_SEQUENCE_SPREAD = 0.1


def valid_mask(seqs):
    """``(N, T)`` boolean, True at each sequence's valid steps."""
    return np.arange(seqs.X.shape[1])[None, :] < seqs.lengths[:, None]


def sequence_moments(seqs, sample_weight=None):
    """Per-feature mean and standard deviation ``(D,)`` over every valid step of every sequence, each
    step weighted by its sequence's ``sample_weight`` (float64). A feature of (nearly) zero spread gets
    scale 1, so constant features are centred, not blown up."""
    X = seqs.X.astype(np.float64, copy=False)
    w = np.ones(seqs.n_samples) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    ws = valid_mask(seqs) * w[:, None]  # (N, T) weight of each step; zero at padding
    total = ws.sum()
    with np.errstate(over="ignore", invalid="ignore"):
        mean = np.einsum("nt,ntd->d", ws, X) / total
        var = np.einsum("nt,ntd->d", ws, (X - mean) ** 2) / total
    scale = np.sqrt(var)
    scale[~(scale >= 1e-12 * np.maximum(np.abs(mean), 1.0))] = 1.0
    return mean, scale


def standardise(seqs, mean, scale, inverse=False):
    """``(x - mean) / scale`` (or its inverse) at the valid steps; padded steps stay zero. A new
    :class:`Sequences` in the input's dtype."""
    X = seqs.X.astype(np.float64)
    X = X * scale + mean if inverse else (X - mean) / scale
    X *= valid_mask(seqs)[:, :, None]
    return Sequences(X.astype(seqs.X.dtype, copy=False), seqs.lengths, seqs.layout, seqs.index)


def auto_patch_size(lengths, target=AUTO_PATCH_STEPS):
    """``patch_size='auto'``: the smallest patch that reads a sequence of the median of ``lengths`` (an
    int, or the training sequences' lengths) in at most ``target`` recurrent steps (1 for short
    sequences; 46 for length-1460 series, i.e. 32 steps). The median, not the longest, so that with
    ragged lengths a few long sequences do not squeeze the typical one into a handful of steps."""
    return max(1, math.ceil(float(np.median(lengths)) / target))


def multiscale_patch_sizes(lengths, n_members):
    """``patch_size='multiscale'`` for ``n_members`` networks: member ``k`` aims at
    ``MULTISCALE_PATCH_STEPS[k % 3]`` recurrent steps (32, 16, 48, 32, ...); an int when they all come
    out equal (one network, or short sequences), else a tuple with one patch size per member."""
    steps = MULTISCALE_PATCH_STEPS
    sizes = tuple(auto_patch_size(lengths, steps[k % len(steps)]) for k in range(n_members))
    return sizes[0] if len(set(sizes)) == 1 else sizes


def per_sequence_moments(seqs):
    """Each sequence's own mean and standard deviation of each feature over its valid steps: two
    ``(N, D)`` float64 arrays."""
    X = seqs.X.astype(np.float64, copy=False)
    m = valid_mask(seqs)[:, :, None]
    n = np.maximum(seqs.lengths, 1)[:, None].astype(np.float64)
    mean = (X * m).sum(1) / n
    var = (((X - mean[:, None]) * m) ** 2).sum(1) / n
    return mean, np.sqrt(var)


def resolve_scaling(setting, seqs, sample_weight, moments=None):
    """The fitted ``scale_input_``: ``'none'``, ``'global'`` or ``'sequence'``. ``'auto'`` measures
    whether a typical sequence varies much less than the data set as a whole
    (:data:`AUTO_SEQUENCE_SPREAD`); ``moments`` are :func:`sequence_moments` of ``seqs`` when the caller
    has them."""
    if setting is False:
        return "none"
    if setting is True or setting == "global":
        return "global"
    if setting == "sequence":
        return "sequence"
    _, scale = moments if moments is not None else sequence_moments(seqs, sample_weight)
    typical = np.median(per_sequence_moments(seqs)[1], axis=0)
    # a feature constant in most sequences (typical spread 0, e.g. a sparse one) gains nothing from it
    return "sequence" if ((typical > 0) & (typical < AUTO_SEQUENCE_SPREAD * scale)).any() else "global"


def sequence_features(seqs, floor):
    """``scale_input='sequence'``: each sequence standardised per feature by its own mean and standard
    deviation (floored at ``floor``, ``(D,)``, so a constant sequence is centred, not blown up), followed
    by ``2 D`` features that repeat that mean and the log of that standard deviation at every valid step,
    so the level and amplitude the standardisation removed still reach the network:
    ``(N, T, D) -> (N, T, 3 D)`` in the input's dtype, zeros at padding."""
    mean, std = per_sequence_moments(seqs)
    std = np.maximum(std, floor)
    X = (seqs.X.astype(np.float64) - mean[:, None]) / std[:, None]
    N, T, _ = X.shape
    stats = np.broadcast_to(np.concatenate([mean, np.log(std)], axis=1)[:, None], (N, T, 2 * mean.shape[1]))
    out = np.concatenate([X, stats], axis=2) * valid_mask(seqs)[:, :, None]
    return Sequences(out.astype(seqs.X.dtype, copy=False), seqs.lengths, seqs.layout, seqs.index)


def patch(seqs, p):
    """Read ``p`` consecutive steps as one step of ``p * D`` features (step-major within a patch):
    ``(N, T, D) -> (N, ceil(T / p), p * D)``, lengths ``ceil(L / p)``. The last patch of a sequence whose
    length is not a multiple of ``p`` is completed with zeros (the padding value), so appending padding
    to a sequence never changes its patches."""
    if p == 1:
        return seqs
    N, T, D = seqs.X.shape
    Tp = -(-T // p)
    X = np.zeros((N, Tp * p, D), dtype=seqs.X.dtype)
    X[:, :T] = seqs.X
    return Sequences(X.reshape(N, Tp, p * D), -(-seqs.lengths // p), seqs.layout, seqs.index)


# ------------------------------------------------------------ estimator hooks
def fit_input(estimator, seqs, sample_weight, sequence_output, n_members=1):
    """At an estimator's first fit: the resolved ``scale_input_`` and its statistics (``_x_mean``,
    ``_x_scale``: per-feature moments of what the network reads, None when off; with ``'sequence'``
    also ``_x_floor``, the smallest standard deviation a sequence is divided by) and the resolved
    ``patch_size_`` (a tuple when the ``n_members`` networks read different patch sizes, see
    :func:`multiscale_patch_sizes`). Later fits (``warm_start``, ``partial_fit``) keep them."""
    setting = getattr(estimator, "scale_input", False)
    moments = None if setting is False else sequence_moments(seqs, sample_weight)  # once, for both uses
    mode = resolve_scaling(setting, seqs, sample_weight, moments)
    if hasattr(estimator, "scale_input"):
        estimator.scale_input_ = mode
    estimator._x_floor = None
    if mode == "sequence":
        estimator._x_floor = 1e-8 * moments[1]
        estimator._x_mean, estimator._x_scale = sequence_moments(sequence_features(seqs, estimator._x_floor),
                                                                 sample_weight)
    elif mode == "global":
        estimator._x_mean, estimator._x_scale = moments
    else:
        estimator._x_mean = estimator._x_scale = None
    if not hasattr(estimator, "patch_size"):  # e.g. the forecaster's windows: read step by step
        return
    size = estimator.patch_size
    if sequence_output and size in ("auto", "multiscale"):
        size = 1
    elif size == "auto":
        size = auto_patch_size(seqs.lengths)
    elif size == "multiscale":
        size = multiscale_patch_sizes(seqs.lengths, n_members)
    elif size > 1 and sequence_output:
        raise ValueError(f"patch_size={size} reads {size} steps as one, so there is no output per step; "
                         "return_sequences=True needs patch_size=1 (or 'auto'/'multiscale').")
    estimator.patch_size_ = size if isinstance(size, tuple) else int(size)


def check_input_settings(estimator):
    """A later fit (``warm_start``, ``partial_fit``) must not ask for another patch size."""
    size, fitted = getattr(estimator, "patch_size", 1), getattr(estimator, "patch_size_", 1)
    if size not in ("auto", "multiscale") and size != fitted:
        raise ValueError(f"patch_size changed to {size} since the model was fitted with patch_size_={fitted}; "
                         "fit from scratch (warm_start=False) to change it.")


def prepare_input(estimator, seqs):
    """Validated sequences as the network reads them: with ``scale_input_='sequence'`` each sequence
    standardised by itself with its level and amplitude appended (:func:`sequence_features`), then
    standardised with the fitted statistics, then patched (not when the networks of an ensemble read
    different patch sizes: each patches its own minibatches, :class:`~skrnn._nn.ensemble.Ensemble`).
    Models saved before these options existed read their input unchanged."""
    if getattr(estimator, "_x_floor", None) is not None:
        seqs = sequence_features(seqs, estimator._x_floor)
    if getattr(estimator, "_x_mean", None) is not None:
        seqs = standardise(seqs, estimator._x_mean, estimator._x_scale)
    size = getattr(estimator, "patch_size_", 1)
    return seqs if isinstance(size, tuple) else patch(seqs, size)


# ---------------------------------------------------------------- transformer
def _same_form(seqs, X_in, out):
    """``out`` (N, T, D) back in the form of the input ``X_in``: trailing NaN padding for arrays, a
    list of ``(T_i,)`` or ``(T_i, D)`` arrays for lists."""
    if seqs.layout == "list":
        one_d = all(np.ndim(x) == 1 for x in X_in)
        return [out[i, :L, 0] if one_d else out[i, :L] for i, L in enumerate(seqs.lengths)]
    pad = ~valid_mask(seqs)
    if pad.any():
        out[pad] = np.nan
    return out[:, :, 0] if seqs.layout == "2d" else out


class SequenceScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardise each feature of sequences over all their valid time steps.

    Unlike :class:`~sklearn.preprocessing.StandardScaler`, which treats each
    column of a 2-D ``X`` (each *time step* of univariate sequences) as its
    own feature and cannot read 3-D or ragged input, this scaler computes one
    mean and one standard deviation per feature, pooled over every step of
    every sequence, and ignores padding (trailing NaN, or the missing steps
    of shorter sequences in a list). It takes ``X`` in every form the skrnn
    estimators take and returns the same form: a 2-D array of univariate
    sequences, a 3-D array, or a list of arrays, with padding left as NaN.

    The skrnn estimators do the same standardisation internally with
    ``scale_input='global'`` (what their default ``'auto'`` resolves to unless
    sequences' amplitudes span orders of magnitude); use this transformer for other
    models, to inspect the scaled data, or to share one scaling across
    several estimators.

    Parameters
    ----------
    with_mean : bool, default=True
        Centre each feature.
    with_std : bool, default=True
        Divide each feature by its standard deviation (features of zero
        spread are left unscaled).

    Attributes
    ----------
    mean_ : ndarray of shape (n_sequence_features,)
        Mean of each feature over all valid steps (zeros when
        ``with_mean=False``). ``n_sequence_features`` is 1 for a 2-D ``X``.
    scale_ : ndarray of shape (n_sequence_features,)
        Standard deviation of each feature (ones when ``with_std=False``).
    n_steps_seen_ : int
        Number of valid time steps the statistics were computed from.
    n_features_in_ : int
        As for the estimators: columns (time steps) of a 2-D ``X``, features
        per step of a 3-D or list ``X``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X`` with string column names.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : Per-column standardisation of flat features.
    RNNClassifier : Standardises its input the same way with ``scale_input='global'``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SequenceScaler
    >>> X = np.array([[1.0, 2.0, 3.0], [5.0, 6.0, np.nan]])   # two univariate sequences, the second shorter
    >>> Xt = SequenceScaler().fit_transform(X)
    >>> Xt.round(2)
    array([[-1.29, -0.75, -0.22],
           [ 0.86,  1.4 ,   nan]])
    >>> [x.shape for x in SequenceScaler().fit_transform([np.ones((4, 2)), np.zeros((2, 2))])]
    [(4, 2), (2, 2)]
    """

    _parameter_constraints = {"with_mean": ["boolean"], "with_std": ["boolean"]}

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute each feature's mean and standard deviation over the valid steps of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Sequences, as the estimators take them.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence (of each of its steps).

        Returns
        -------
        self : object
            The fitted scaler.
        """
        seqs = check_sequences(self, X, reset=True)
        sw = _check_sample_weight(sample_weight, seqs.X, dtype=np.float64, ensure_non_negative=True)
        mean, scale = sequence_moments(seqs, sw)
        D = seqs.X.shape[2]
        self.mean_ = mean if self.with_mean else np.zeros(D)
        self.scale_ = scale if self.with_std else np.ones(D)
        self.n_steps_seen_ = int(seqs.lengths.sum())
        return self

    def transform(self, X):
        """Standardise ``X`` with the fitted statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Sequences with the fitted number of features.

        Returns
        -------
        X_scaled : ndarray or list of ndarray
            The same form as ``X`` (2-D, 3-D, or a list of arrays of the
            input's shapes), padding as NaN, in the input's float dtype.
        """
        return self._apply(X, inverse=False)

    def inverse_transform(self, X):
        """Undo :meth:`transform`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Standardised sequences.

        Returns
        -------
        X_original : ndarray or list of ndarray
            The same form as ``X``, on the original scale.
        """
        return self._apply(X, inverse=True)

    def _apply(self, X, inverse):
        check_is_fitted(self)
        seqs = check_sequences(self, X, reset=False)
        if seqs.X.shape[2] != len(self.mean_):
            raise ValueError(f"X has {seqs.X.shape[2]} features per step, but {type(self).__name__} was fitted "
                             f"with {len(self.mean_)}.")
        out = standardise(seqs, self.mean_, self.scale_, inverse=inverse).X
        return _same_form(seqs, X, out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False  # only trailing padding; NaN elsewhere is an error
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
