"""BaseRNN: what every skrnn estimator shares.

* Parameters: each estimator writes its ``__init__`` signature explicitly
  (what IDEs, type checkers and ``help()`` see; the defaults live there and
  only there).  Subclassing derives ``_parameter_constraints`` from the
  signature and :data:`skrnn._parameters.PARAMS`, and writes the docstring's
  Parameters section with each ``default=`` read from the signature.
* Training: :meth:`BaseRNN._train` runs :func:`skrnn._training.fit_epochs` on
  an objective and validated sequences, holds out the validation split of
  ``early_stopping``, and copies the returned History into the fitted
  attributes (``n_iter_``, ``loss_curve_``, ...).  :meth:`BaseRNN._fit` is the
  classifier's and regressor's fit template on top of it.
* Weights, ``get_state_dict``/``set_state_dict``, ``save``, tags, and pickles
  stamped with the skrnn version.
"""

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _persistence
from ._callbacks import CallbackSupportMixin, epoch_tasks, wants_tensor_norms
from ._compat import _check_sample_weight, _fit_context
from ._config import single_threaded_blas
from ._docstrings import fill
from ._nn.ensemble import Ensemble
from ._nn.network import Network
from ._nn.params import Architecture
from ._nn.schedules import as_schedule
from ._parameters import parameter_constraints
from ._preprocessing import check_input_settings, fit_input, prepare_input
from ._training import (
    History,
    MemberBatches,
    SequenceBatches,
    TrainConfig,
    TrainState,
    Validation,
    auto_n_batches,
    fit_epochs,
    make_optimizer,
    split_validation,
)
from ._validation import check_finite_targets, check_sequences

# fitted attribute of each History field (the patience counter is private)
HISTORY_ATTRIBUTES = {
    "n_iter": "n_iter_", "t": "t_", "loss": "loss_", "loss_curve": "loss_curve_",
    "grad_norm_curve": "grad_norm_curve_", "clip_rate_curve": "clip_rate_curve_", "best_loss": "best_loss_",
    "no_improvement_count": "_no_improvement_count", "validation_loss_curve": "validation_loss_curve_",
    "validation_scores": "validation_scores_", "best_validation_score": "best_validation_score_",
    "learning_rate_curve": "learning_rate_curve_",
}


# n_estimators='auto': at most this many networks, and members x training sequences within the budget
AUTO_MAX_MEMBERS = 5
AUTO_MEMBER_SEQUENCES = 1000


def auto_n_estimators(n_samples, incremental=False):
    """``n_estimators='auto'``: 5 networks up to 200 training sequences, fewer up to 1000 (members x
    sequences <= 1000), 1 beyond and in ``partial_fit`` (whose first call sees one chunk of a stream)."""
    if incremental:
        return 1
    return int(min(AUTO_MAX_MEMBERS, max(1, AUTO_MEMBER_SEQUENCES // max(n_samples, 1))))


class VersionedPickleMixin:
    """Stamp pickles with the skrnn version; warn when loading another version's.

    scikit-learn's ``BaseEstimator`` does the same for its own version.
    """

    def __getstate__(self):
        from ._version import __version__

        return {**super().__getstate__(), "_skrnn_version": __version__}

    def __setstate__(self, state):
        from ._version import __version__

        version = state.pop("_skrnn_version", "unknown (before 0.1.0)")
        if version != __version__:
            warnings.warn(
                f"Unpickling {type(self).__name__} saved by skrnn {version} with skrnn {__version__}; the model "
                "may predict differently or fail. Refit it with this version, or load it with the version that "
                "saved it.",
                UserWarning,
                stacklevel=2,
            )
        super().__setstate__(state)


class DeclaredParametersMixin:
    """Derives ``_parameter_constraints`` and the Parameters docstring section from the explicit
    ``__init__`` of each subclass, and registers the public ones for :func:`skrnn.load`.
    ``PARAM_OVERRIDES`` (class attribute) replaces the table's entry of some parameters: a str replaces
    the description, a :class:`~skrnn._parameters.Param` the whole entry."""

    PARAM_OVERRIDES = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls._parameter_constraints = parameter_constraints(cls, cls.PARAM_OVERRIDES)
            if cls.__doc__:
                cls.__doc__ = fill(cls.__doc__, cls, cls.PARAM_OVERRIDES)
        if not cls.__name__.startswith("_"):
            _persistence.register(cls)

    def save(self, path):
        """Write the estimator to ``path`` in skrnn's safe format (see :func:`skrnn.load`).

        Unlike pickle, the file holds only arrays and JSON (with a SHA-256
        digest of both), and loading it runs no code from it; :func:`skrnn.load`
        validates it before building anything. Predictions after loading are
        bitwise equal. A state the format cannot hold raises TypeError (keep
        such a model with joblib).

        Parameters
        ----------
        path : str or path-like
            Destination file (written as is; no suffix is added).
        """
        _persistence.save(self, path)


class BaseRNN(CallbackSupportMixin, DeclaredParametersMixin, VersionedPickleMixin, BaseEstimator):
    """Shared machinery; use :class:`RNNClassifier` or :class:`RNNRegressor`.

    A subclass defines ``_head``, ``_encode_targets(y, seqs, sw, first,
    classes) -> (Y, sw)`` with ``Y`` of shape ``(n, n_outputs)`` on the
    network's scale, and ``_score_seqs(seqs, Y, sw, params)``: the validation
    score of the weights ``params``.
    """

    _sequence_output = False
    _equal_batches = False  # batch_size='auto' splits each epoch into auto_n_batches(n) equal minibatches
    # n_estimators trains that many networks side by side (the classifier and the regressor; the forecaster's
    # n_estimators is its own strategy='mimo' ensemble, and its window face trains one network)
    _stacked_ensemble = False

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None):
        """Fit the network to sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Training sequences: a 2-D array holds one univariate sequence per
            row, a list holds sequences of different lengths, and trailing
            NaN pads shorter sequences in an array.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets. With ``return_sequences=True``, per-step targets of shape
            (n_samples, n_timesteps[, n_outputs]) or a list of arrays.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss; an integer weight is
            equivalent to repeating the sequence.
        X_val : array-like or list of arrays, default=None
            Validation sequences of your own, in the form of ``X`` (after any
            preprocessing a Pipeline applies before this estimator). With
            ``y_val``, training stops when their loss stops improving by
            ``tol`` for ``n_iter_no_change`` epochs and the weights of the
            best epoch are kept, as with ``early_stopping=True`` but without
            holding out part of ``X`` (``early_stopping`` is then ignored).
        y_val : array-like, default=None
            Targets of ``X_val``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, X_val=X_val, y_val=y_val)

    def _fit(self, X, y, sample_weight, incremental, classes=None, X_val=None, y_val=None):
        """The classifier's and regressor's fit: validate, encode the targets, build or check the
        architecture, train."""
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val (validation sequences and their targets), or neither.")
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True (each call is one epoch on the batch it is "
                "given, so there is no held-out split to monitor); set early_stopping=False."
            )
        first = not hasattr(self, "_flat") or not (incremental or self.warm_start)
        steps = bool(getattr(self, "return_sequences", False))
        if first:
            self._sequence_output = steps  # fixed at the first fit, like the architecture
        elif steps != self._sequence_output:
            raise ValueError(f"return_sequences changed to {steps} since the model was fitted; fit from scratch "
                             "(warm_start=False) to change it.")
        seqs = check_sequences(self, X, reset=first)
        if not first and seqs.X.dtype != self._flat.dtype:  # a fitted model keeps its dtype, as its optimiser state
            seqs.X = seqs.X.astype(self._flat.dtype)
        sw = _check_sample_weight(sample_weight, seqs.X, dtype=seqs.X.dtype, ensure_non_negative=True)
        if not self._sequence_output:  # per-step targets may carry NaN padding
            check_finite_targets(y)
        Y, sw = self._encode_targets(y, seqs, sw, first, classes)
        if sw.sum() <= 0:
            raise ValueError("sample_weight sums to zero; at least one sequence needs a positive weight.")
        n_members = self._check_n_estimators(seqs.n_samples, first, incremental)
        if first:  # input scaling statistics and patch size (skrnn._preprocessing), fixed like the architecture
            fit_input(self, seqs, sw, self._sequence_output, n_members)
        else:
            check_input_settings(self)
        seqs = prepare_input(self, seqs)
        arch = Architecture(
            cell=self.cell, n_features=seqs.X.shape[2], hidden_size=self.hidden_size,
            n_outputs=Y.shape[-1], num_layers=self.num_layers,
            bidirectional=not steps if self.bidirectional == "auto" else bool(self.bidirectional),
            activation=self.activation, pooling="last" if steps else getattr(self, "pooling", "last"),
        )
        if not first and arch != self._arch:
            changed = [k for k in vars(arch) if getattr(arch, k) != getattr(self._arch, k)]
            raise ValueError(
                f"{'partial_fit' if incremental else 'warm_start=True'} continues from the fitted weights, but "
                f"{', '.join(changed)} changed since they were fitted ({self._arch}). Fit from scratch "
                "(warm_start=False) to change the architecture."
            )
        if first:
            self._random_state = check_random_state(self.random_state)
            self._arch = arch
            if self._stacked_ensemble:
                self.n_estimators_ = n_members
            self._flat = self._model().initialize(self._random_state, seqs.X.dtype.type, self.initializer,
                                                  self.recurrent_initializer)
            self._reset_curves()
        if not incremental:
            self._optimizer = None
        self.n_outputs_ = Y.shape[-1]
        stratify = Y.argmax(-1) if self._head == "softmax" and not self._sequence_output else None
        held_out = None
        if X_val is not None:
            vseqs = prepare_input(self, check_sequences(self, X_val, reset=False, where="X_val"))
            vseqs.X = vseqs.X.astype(self._flat.dtype, copy=False)
            vsw = np.ones(vseqs.n_samples, dtype=vseqs.X.dtype)
            if not self._sequence_output:
                check_finite_targets(y_val)
            vY, vsw = self._encode_targets(y_val, vseqs, vsw, False, classes)
            held_out = (vseqs, vY, vsw)
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._train(self._model(), seqs, Y, sw, incremental, stratify=stratify, sequence_output=self._sequence_output,
                    held_out=held_out, callback_data=(X, y, metadata))
        return self

    def _check_n_estimators(self, n_samples, first, incremental):
        """The number of networks to train: ``n_estimators`` resolved at the first fit (``'auto'``: up to
        :data:`AUTO_MAX_MEMBERS` on small sets, keeping members x sequences within
        :data:`AUTO_MEMBER_SEQUENCES`; 1 in ``partial_fit``), kept by later ``warm_start``/``partial_fit``
        calls."""
        if not self._stacked_ensemble:
            return 1
        requested = self.n_estimators
        if not first:
            fitted = getattr(self, "n_estimators_", 1)
            if requested not in ("auto", fitted):
                raise ValueError(
                    f"{'partial_fit' if incremental else 'warm_start=True'} continues from the fitted weights of "
                    f"{fitted} network(s), but n_estimators={requested}. Fit from scratch (warm_start=False) to "
                    "change the number of networks."
                )
            return fitted
        return auto_n_estimators(n_samples, incremental) if requested == "auto" else requested

    def _model(self):
        """The fitted network, or the ensemble of ``n_estimators_`` networks (rebuilt on demand: a Network
        keeps thread-local buffers, which do not pickle)."""
        n = getattr(self, "n_estimators_", 1)
        if n == 1:
            return Network(self._arch, self._head, self._sequence_output)
        patches = getattr(self, "patch_size_", 1)
        return Ensemble(self._arch, self._head, self._sequence_output, n,
                        patches if isinstance(patches, tuple) else None)

    def _train_config(self, incremental, model=None):
        schedule = as_schedule(self.learning_rate_schedule)
        tensors = None
        if model is not None and wants_tensor_norms(self):
            tensors = model.tensor_slices()
        return TrainConfig(
            max_iter=self.max_iter, tol=self.tol, n_iter_no_change=self.n_iter_no_change,
            shuffle=getattr(self, "shuffle", True), alpha=getattr(self, "alpha", 0.0), l1=getattr(self, "l1", 0.0),
            clip_value=self.clip_value, clip_norm=self.clip_norm, dropout=getattr(self, "dropout", 0.0),
            verbose=self.verbose, incremental=incremental, name=type(self).__name__,
            schedule=None if self.learning_rate_schedule == "constant" else schedule,
            learning_rate_init=self.learning_rate_init, tensor_norms=tensors,
        )

    def _reconstruction(self, params, history):
        """Attributes that make a copy of the estimator the model of the epoch just trained (for callbacks)."""
        copy = History(**{k: (list(v) if isinstance(v, list) else v) for k, v in vars(history).items()})
        attrs = {a: getattr(copy, k) for k, a in self._history_attributes().items()}
        return {**attrs, "_flat": params, "_tensor_grad_norms": history.tensor_grad_norms}

    def _new_optimizer(self, n, dtype):
        return make_optimizer(self.solver, n, dtype, self.learning_rate_init, self.beta_1, self.beta_2,
                              self.epsilon, self.momentum, self.nesterovs_momentum)

    def _train(self, objective, seqs, Y, sw, incremental, *, stratify=None, sequence_output=False, held_out=None,
               callback_data=(None, None, None)):
        """Train ``self._flat`` on validated sequences with :func:`~skrnn._training.fit_epochs`.

        ``Y`` is ``(n, ...)`` aligned with ``seqs``. Held-out data, scored by
        ``self._score_seqs``: ``held_out=(seqs, Y, sw)`` given by the caller, or
        with ``early_stopping`` (and not ``incremental``) a
        ``validation_fraction`` of the training data. ``callback_data``: the
        ``(X, y, metadata)`` the callbacks see.
        """
        dtype = self._flat.dtype
        Y = Y.astype(dtype, copy=False)
        sw = np.asarray(sw, dtype=dtype)
        bs = 64 if self.batch_size == "auto" else self.batch_size
        validation = None
        if held_out is None and getattr(self, "early_stopping", False) and not incremental:
            tr, va = split_validation(seqs.n_samples, self.validation_fraction, self._random_state, stratify)
            held_out = seqs.take(va), Y[va], sw[va]
            seqs, Y, sw = seqs.take(tr), Y[tr], sw[tr]
        if held_out is not None:
            vseqs, vY, vsw = held_out
            vY, vsw = vY.astype(dtype, copy=False), np.asarray(vsw, dtype=dtype)
            vbatches = SequenceBatches(vseqs, vY, vsw, sequence_output, bs, dtype)
            validation = Validation(vbatches.chunks, lambda p: self._score_seqs(vseqs, vY, vsw, p))
        # batch_size='auto': equal minibatches sized from the training set (classifier, regressor), else 64
        equal = self.batch_size == "auto" and self._equal_batches
        n_batches = auto_n_batches(seqs.n_samples) if equal else None
        if getattr(self, "_optimizer", None) is None:
            self._optimizer = self._new_optimizer(self._flat.size, dtype)
        config = self._train_config(incremental, objective)
        state = TrainState(self._optimizer, self._random_state, self._history())
        hooks = epoch_tasks(self, *callback_data, 1 if incremental else self.max_iter, self._reconstruction)
        try:
            with single_threaded_blas():
                batches = SequenceBatches(seqs, Y, sw, sequence_output, bs, dtype, n_batches)
                if getattr(objective, "n_members", 1) > 1:  # each network shuffles the set its own way
                    batches = MemberBatches(batches, objective.n_members)
                fit_epochs(objective, self._flat, batches, config, state, validation, hooks)
        finally:
            self._set_history(state.history)
            if hooks is not None:
                hooks.close()
        return state.history

    def _history_attributes(self):
        if "early_stopping" in self.get_params(deep=False):
            return HISTORY_ATTRIBUTES
        return {k: a for k, a in HISTORY_ATTRIBUTES.items() if not a.startswith(("validation", "best_validation"))}

    def _history(self):
        """The training record kept between calls, as the loop's History (a file saved before the learning-rate
        curve existed continues with an empty one)."""
        return History(**{k: getattr(self, a) if hasattr(self, a) or a != "learning_rate_curve_" else []
                          for k, a in self._history_attributes().items()})

    def _set_history(self, history):
        for k, a in self._history_attributes().items():
            setattr(self, a, getattr(history, k))

    def _reset_curves(self):
        early = getattr(self, "early_stopping", False)
        self._set_history(History(validation_loss_curve=[] if early else None,
                                  validation_scores=[] if early else None,
                                  best_validation_score=-np.inf if early else None))

    # --------------------------------------------------------------- inference
    def _forward_raw(self, X, batch=1024):
        """Head outputs on the model's internal scale, and the validated input."""
        check_is_fitted(self)
        seqs = check_sequences(self, X, reset=False)
        return self._predict_seqs(prepare_input(self, seqs), batch), seqs

    def _predict_seqs(self, seqs, batch=1024, params=None):
        params = self._flat if params is None else params
        net = self._model()
        T = seqs.X.shape[1]
        outs = []
        with single_threaded_blas():
            for Xb, L in seqs.time_major_chunks(batch, params.dtype):
                P = net.predict(params, Xb, L)
                if self._sequence_output:  # (T_b, B, K) -> (B, T, K), zeros past each batch's longest sequence
                    P = np.pad(P.transpose(1, 0, 2), ((0, 0), (0, T - P.shape[0]), (0, 0)))
                outs.append(P)
        return np.concatenate(outs, axis=0)

    @staticmethod
    def _wrap(out, seqs, columns=None, name=None):
        """pandas out when ``X`` was a DataFrame, keeping its index."""
        if seqs.index is None:
            return out
        import pandas as pd

        if out.ndim == 1:
            return pd.Series(out, index=seqs.index, name=name)
        return pd.DataFrame(out, index=seqs.index, columns=columns)

    # ------------------------------------------------------------------ weights
    @property
    def weights_(self):
        check_is_fitted(self)
        return self._model().views(self._flat)

    def get_state_dict(self):
        """The fitted parameters as a PyTorch-style ``state_dict`` of arrays.

        Keys and shapes are those of ``torch.nn.RNN/LSTM/GRU`` (``weight_ih_l0``,
        ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse``) and
        of an ``nn.Linear`` named ``head`` (``head.weight``, ``head.bias``), so
        ``rnn.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()
        if not k.startswith("head.")})`` loads them into PyTorch. An
        encoder-decoder prefixes its two networks' names with ``encoder.``
        and ``decoder.``; an ensemble (``n_estimators_ > 1``) prefixes
        network ``k``'s with ``estimators.<k>.``.

        Returns
        -------
        state_dict : dict of str to ndarray
            Independent copies of the weights.
        """
        check_is_fitted(self)
        return self._model().to_state_dict(self._flat)

    def set_state_dict(self, state_dict):
        """Load parameters from a PyTorch-style ``state_dict`` (arrays or tensors).

        The estimator must be fitted (so that its architecture is known), and
        the keys and shapes must match :meth:`get_state_dict` exactly.

        Parameters
        ----------
        state_dict : dict of str to ndarray or torch.Tensor
            The parameters, named as :meth:`get_state_dict` names them.

        Returns
        -------
        self : object
            The estimator, with the loaded weights.
        """
        check_is_fitted(self)
        self._flat = self._model().from_state_dict(state_dict, self._flat.dtype)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True  # (n_samples, n_timesteps, n_features)
        # Trailing NaN pads shorter sequences, but NaN anywhere else is refused: scikit-learn's
        # allow_nan means "handles missing values anywhere" (its checks put NaN at random positions),
        # so the truthful tag is False.
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags
