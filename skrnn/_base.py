"""BaseRNN: the parameters, their constraints and the fit template shared by
every skrnn estimator.

The constructor parameters are declared once, in :data:`PARAMETERS`, as
``name -> (default, constraints)``.  :func:`make_init` writes an ``__init__``
with an explicit keyword-only signature from such a table (as ``dataclasses``
does), so each estimator's signature is introspectable by scikit-learn without
repeating 30 parameters in three classes.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ._compat import Interval, StrOptions, _fit_context
from ._config import single_threaded_blas
from ._nn.network import Network
from ._nn.params import INITIALIZERS, Architecture, Layout, initialize
from ._training import fit_epochs
from ._validation import check_finite_targets, check_sequences

_positive = Interval(Real, 0, None, closed="neither")
_non_negative = Interval(Real, 0, None, closed="left")
_unit = Interval(Real, 0, 1, closed="left")

PARAMETERS = {
    "cell": ("gru", [StrOptions({"rnn", "lstm", "gru"})]),
    "activation": ("tanh", [StrOptions({"tanh", "relu"})]),
    "hidden_size": (64, [Interval(Integral, 1, None, closed="left")]),
    "num_layers": (1, [Interval(Integral, 1, None, closed="left")]),
    "bidirectional": (False, ["boolean"]),
    "initializer": ("xavier_uniform", [StrOptions(set(INITIALIZERS))]),
    "recurrent_initializer": ("orthogonal", [StrOptions(set(INITIALIZERS))]),
    "dropout": (0.0, [_unit]),
    "solver": ("adam", [StrOptions({"adam", "sgd"})]),
    "learning_rate_init": (0.005, [_positive]),
    "batch_size": ("auto", [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")]),
    "max_iter": (200, [Interval(Integral, 1, None, closed="left")]),
    "tol": (1e-4, [_non_negative]),
    "n_iter_no_change": (10, [Interval(Integral, 1, None, closed="left")]),
    "early_stopping": (False, ["boolean"]),
    "validation_fraction": (0.1, [Interval(Real, 0, 1, closed="neither")]),
    "shuffle": (True, ["boolean"]),
    "alpha": (1e-4, [_non_negative]),
    "l1": (0.0, [_non_negative]),
    "clip_value": (None, [None, _positive]),
    "clip_norm": (5.0, [None, _positive]),
    "beta_1": (0.9, [_unit]),
    "beta_2": (0.999, [_unit]),
    "epsilon": (1e-8, [_positive]),
    "momentum": (0.9, [Interval(Real, 0, 1, closed="both")]),
    "nesterovs_momentum": (True, ["boolean"]),
    "random_state": (None, ["random_state"]),
    "verbose": (False, ["verbose"]),
    "warm_start": (False, ["boolean"]),
    "return_sequences": (False, ["boolean"]),
}


def make_init(table):
    """An ``__init__(self, *, name=default, ...)`` storing each argument verbatim."""
    names = list(table)
    args = ", ".join(f"{n}=__defaults[{n!r}]" for n in names)
    body = "\n".join(f"    self.{n} = {n}" for n in names) or "    pass"
    namespace = {"__defaults": {n: d for n, (d, _) in table.items()}}
    exec(f"def __init__(self, *, {args}):\n{body}\n", namespace)  # noqa: S102 - generated signature
    return namespace["__init__"]


def constraints(table):
    return {n: c for n, (_, c) in table.items()}


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


class BaseRNN(VersionedPickleMixin, BaseEstimator):
    """Shared machinery; use :class:`RNNClassifier` or :class:`RNNRegressor`."""

    _parameter_constraints = constraints(PARAMETERS)
    __init__ = make_init(PARAMETERS)

    # Subclasses define: _head; _encode_targets(y, seqs, sw, first, classes)
    # -> (Y, sw) with Y of shape (n, n_outputs) on the network's scale; and
    # _score_seqs(seqs, Y, sw, flat), the validation score of weights ``flat``.
    _sequence_output = False

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or (n_samples, n_timesteps, n_features), or list of arrays
            Training sequences; see the User Guide for the conventions
            (trailing NaN pads shorter sequences).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets. With ``return_sequences=True``, per-step targets of shape
            (n_samples, n_timesteps[, n_outputs]) or a list of arrays.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss; an integer weight is
            equivalent to repeating the sequence.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
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
        dtype = seqs.X.dtype.type
        arch = Architecture(
            cell=self.cell, n_features=seqs.X.shape[2], hidden_size=self.hidden_size,
            n_outputs=Y.shape[-1], num_layers=self.num_layers, bidirectional=self.bidirectional,
            activation=self.activation,
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
            self._flat = initialize(Layout(self._arch), self._random_state, dtype,
                                    self.initializer, self.recurrent_initializer)
            self._reset_curves()
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = None  # built by fit_epochs
        self.n_outputs_ = Y.shape[-1]
        net = Network(self._arch, self._head, self._sequence_output)
        with single_threaded_blas():
            fit_epochs(self, net, seqs, Y, sw, incremental)
        return self

    def _reset_curves(self):
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.grad_norm_curve_ = []
        self.clip_rate_curve_ = []
        self.best_loss_ = np.inf
        self.loss_ = None
        self.validation_scores_ = [] if self.early_stopping else None
        self.validation_loss_curve_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._no_improvement_count = 0

    # --------------------------------------------------------------- inference
    def _forward_raw(self, X, batch=1024):
        """Head outputs on the model's internal scale, and the validated input."""
        check_is_fitted(self)
        seqs = check_sequences(self, X, reset=False)
        return self._predict_seqs(seqs, batch), seqs

    def _predict_seqs(self, seqs, batch=1024, flat=None):
        flat = self._flat if flat is None else flat
        net = Network(self._arch, self._head, self._sequence_output)
        X = seqs.X.astype(flat.dtype, copy=False)
        outs = []
        with single_threaded_blas():
            for a in range(0, X.shape[0], batch):
                L = seqs.lengths[a:a + batch]
                Xb = np.ascontiguousarray(X[a:a + batch, : L.max()].transpose(1, 0, 2))
                P = net.predict(flat, Xb, L)
                if self._sequence_output:  # (T_b, B, K) -> (B, T, K), zeros past each batch's longest sequence
                    P = np.pad(P.transpose(1, 0, 2), ((0, 0), (0, X.shape[1] - P.shape[0]), (0, 0)))
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
        return Layout(self._arch).views(self._flat)

    def get_state_dict(self):
        """The fitted parameters as a PyTorch-style ``state_dict`` of arrays.

        Keys and shapes are those of ``torch.nn.RNN/LSTM/GRU`` (``weight_ih_l0``,
        ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse``) and
        of an ``nn.Linear`` named ``head`` (``head.weight``, ``head.bias``), so
        ``rnn.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()
        if not k.startswith("head.")})`` loads them into PyTorch.

        Returns
        -------
        state_dict : dict of str to ndarray
            Independent copies of the weights.
        """
        check_is_fitted(self)
        return Layout(self._arch).to_state_dict(self._flat)

    def set_state_dict(self, state_dict):
        """Load parameters from a PyTorch-style ``state_dict`` (arrays or tensors).

        The estimator must be fitted (so that its architecture is known), and
        the keys and shapes must match :meth:`get_state_dict` exactly.

        Returns
        -------
        self : object
        """
        check_is_fitted(self)
        self._flat = Layout(self._arch).from_state_dict(state_dict, self._flat.dtype)
        return self

    # -------------------------------------------------------------- persistence
    def save(self, path):
        """Write the estimator to ``path`` in skrnn's safe format (see :func:`skrnn.load`).

        Unlike pickle, the file holds only arrays and JSON, and loading it runs
        no code from it. Predictions after :func:`skrnn.load` are bitwise equal.

        Parameters
        ----------
        path : str or path-like
            Destination file (written as is; no suffix is added).
        """
        from ._persistence import save

        save(self, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags
