"""Callbacks on scikit-learn's callback protocol (``sklearn.callback``, 1.9+).

Every skrnn estimator accepts ``set_callbacks(...)``: scikit-learn's own
(:class:`sklearn.callback.ProgressBar`, which needs ``rich``, and
:class:`sklearn.callback.ScoringMonitor`) and these. A fit is one task with one
subtask per epoch; a callback's ``on_fit_task_end`` may stop training by
returning True, and sees a copy of the estimator with that epoch's weights.

* :class:`Checkpoint`: save the best epoch's model to a :meth:`save` file.
* :class:`GradientMonitor`: the mean gradient norm of each weight tensor per
  epoch, to see vanishing or exploding gradients layer by layer.
* :class:`StopOnLoss`: stop once the monitored loss is below a threshold (or
  return True from your own callback to stop on any rule).

Early stopping on a validation set of your own is built in:
``fit(X, y, X_val=X_val, y_val=y_val)``; learning-rate schedules are the
``learning_rate_schedule`` parameter (:mod:`skrnn.schedules`), so that they
can be grid-searched.
"""

import math


def _is_epoch(context):
    return context.task_name == "epoch"


def _monitored(est):
    """The validation loss of the epoch if there is held-out data, else its training loss."""
    val = getattr(est, "validation_loss_curve_", None)
    return val[-1] if val else est.loss_curve_[-1]


class _Callback:
    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass


class Checkpoint(_Callback):
    """Save the model of the best epoch so far to ``path`` (skrnn's safe format).

    "Best" is the lowest validation loss when the fit holds out data
    (``early_stopping=True`` or ``fit(X_val=..., y_val=...)``), else the lowest
    training loss. The file always holds a complete, loadable model
    (:func:`skrnn.load`), so an interrupted or crashed fit leaves its best epoch
    behind.

    Parameters
    ----------
    path : str or path-like
        File to write (overwritten at each improvement).

    Attributes
    ----------
    best_epoch_ : int or None
        Epoch (1-based) of the saved model, in the last fit.
    best_loss_ : float
        Its monitored loss.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> import skrnn
    >>> from skrnn.callbacks import Checkpoint
    >>> X = np.random.RandomState(0).normal(size=(40, 6))
    >>> path = os.path.join(tempfile.mkdtemp(), "best.skrnn")
    >>> reg = skrnn.RNNRegressor(hidden_size=4, max_iter=5, random_state=0)
    >>> reg = reg.set_callbacks(Checkpoint(path)).fit(X, X.sum(1))
    >>> skrnn.load(path).n_iter_ <= reg.n_iter_
    True
    """

    def __init__(self, path):
        self.path = path
        self.best_epoch_, self.best_loss_ = None, math.inf

    def setup(self, estimator, context):
        self.best_epoch_, self.best_loss_ = None, math.inf

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if not _is_epoch(context) or fitted_estimator is None:
            return False
        loss = _monitored(fitted_estimator)
        if loss < self.best_loss_:
            self.best_epoch_, self.best_loss_ = fitted_estimator.n_iter_, loss
            fitted_estimator.save(self.path)
        return False


class GradientMonitor(_Callback):
    """The mean L2 norm (before clipping) of the gradient of each weight tensor, per epoch.

    Norms shrinking towards zero in the first layers while the head still
    learns show vanishing gradients; norms growing by orders of magnitude (and
    ``clip_rate_curve_`` near 1) show exploding ones.

    Attributes
    ----------
    history_ : list of dict
        One row per epoch of the last fit: ``{"epoch": n, "weight_ih_l0": ..., ...}``
        with PyTorch's tensor names.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNClassifier
    >>> from skrnn.callbacks import GradientMonitor
    >>> X = np.random.RandomState(0).normal(size=(40, 6))
    >>> monitor = GradientMonitor()
    >>> clf = RNNClassifier(hidden_size=4, max_iter=3, n_estimators=1, bidirectional=False, random_state=0)
    >>> clf = clf.set_callbacks(monitor)
    >>> clf = clf.fit(X, X.sum(1) > 0)
    >>> len(monitor.history_), sorted(monitor.history_[0])[:3]
    (3, ['bias_hh_l0', 'bias_ih_l0', 'epoch'])
    """

    records_tensor_norms = True

    def __init__(self):
        self.history_ = []

    def setup(self, estimator, context):
        self.history_ = []

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if _is_epoch(context) and fitted_estimator is not None:
            norms = getattr(fitted_estimator, "_tensor_grad_norms", None) or {}
            self.history_.append({"epoch": fitted_estimator.n_iter_, **norms})
        return False

    def to_frame(self):
        """The history as a pandas DataFrame indexed by epoch.

        Returns
        -------
        frame : pandas.DataFrame
            One column per tensor.
        """
        import pandas as pd

        return pd.DataFrame(self.history_).set_index("epoch")


class StopOnLoss(_Callback):
    """Stop training once the monitored loss (validation loss with held-out data, else training loss)
    falls below ``threshold``.

    Parameters
    ----------
    threshold : float
        Loss at which to stop.
    """

    def __init__(self, threshold):
        self.threshold = threshold

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        return _is_epoch(context) and fitted_estimator is not None and _monitored(fitted_estimator) < self.threshold
