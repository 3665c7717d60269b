"""scikit-learn's experimental callback API (``sklearn.callback``, 1.9+), in one place.

Every estimator supports ``set_callbacks`` (:class:`CallbackSupportMixin`).  A
fit is one task with one subtask per epoch: the training loop calls
:meth:`EpochTasks.begin_epoch` and :meth:`EpochTasks.end_epoch`, which open and
close the epoch's subcontext; ``on_fit_task_end`` may stop training (it returns
True), and callbacks that ask for a ``fitted_estimator`` get a copy of the
estimator holding a copy of that epoch's weights (not a view of the buffer
training goes on changing), ready to predict.  Callbacks propagated by a
meta-estimator (``GridSearchCV(...).set_callbacks(ProgressBar())``) attach the
estimator's task tree to the search's, so progress nests per candidate, fold
and epoch.

With a scikit-learn without ``sklearn.callback`` the estimators have no
``set_callbacks`` and train exactly as before.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:  # noqa: D101 - nothing to support
        pass

    HAVE_CALLBACKS = False
else:
    HAVE_CALLBACKS = True

# attributes callbacks attach to an estimator (or to the copies they are handed): never saved
TRANSIENT_ATTRIBUTES = ("_skl_callbacks", "_skl_callbacks_to_teardown", "_callback_fit_ctx", "_parent_callback_ctx",
                        "_tensor_grad_norms")


def callbacks_of(estimator):
    return list(getattr(estimator, "_skl_callbacks", []))


class EpochTasks:
    """The loop's hooks: a fit task of ``max_epochs`` epoch subtasks for the estimator's callbacks.

    ``reconstruction(params, history)`` returns the attributes that turn a copy
    of the estimator into the model of that epoch.
    """

    def __init__(self, estimator, X, y, metadata, max_epochs, reconstruction):
        self.estimator, self.X, self.y, self.metadata = estimator, X, y, metadata
        self.reconstruction = reconstruction
        self.root = estimator._init_callback_context(task_name="fit", max_subtasks=max_epochs)
        self.root.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
        self.epoch = None

    def begin_epoch(self):
        self.epoch = self.root.subcontext(task_name="epoch")
        self.epoch.call_on_fit_task_begin(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata)

    def end_epoch(self, params, history):
        ctx, self.epoch = self.epoch, None
        return ctx.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
                                        reconstruction_attributes=lambda: self.reconstruction(params.copy(), history))

    def close(self):
        """End an epoch cut short (interrupt, divergence), then the fit task."""
        if self.epoch is not None:
            self.epoch.call_on_fit_task_end(estimator=self.estimator)
            self.epoch = None
        self.root.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
                                       reconstruction_attributes={})


def epoch_tasks(estimator, X, y, metadata, max_epochs, reconstruction):
    """:class:`EpochTasks` when the estimator has callbacks (its own or a meta-estimator's), else None."""
    if not HAVE_CALLBACKS or not (callbacks_of(estimator) or hasattr(estimator, "_parent_callback_ctx")):
        return None
    return EpochTasks(estimator, X, y, metadata, max_epochs, reconstruction)


def wants_tensor_norms(estimator):
    return any(getattr(cb, "records_tensor_norms", False) for cb in callbacks_of(estimator))
