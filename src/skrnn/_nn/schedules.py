"""Learning-rate schedules: the step size of each epoch as a pure function of
the training record, so that ``partial_fit``, ``warm_start`` and saved models
continue a schedule without extra state.

A schedule is called once before each epoch as
``schedule(epoch, lr0, history, config)`` and returns that epoch's learning
rate; ``epoch`` counts from 0 over every call of ``fit``/``partial_fit`` since
the weights were initialised, ``history`` is the
:class:`skrnn._training.History` so far (its ``learning_rate_curve`` holds the
rates of the epochs before).  Public classes live in :mod:`skrnn.schedules`.
"""

import math


class Constant:
    """The initial learning rate throughout."""

    def __call__(self, epoch, lr0, history, config):
        return lr0

    def __repr__(self):
        return "Constant()"


class ReduceOnPlateau:
    """Multiply the learning rate by ``factor`` when the monitored loss (the
    validation loss with held-out data, else the training loss) has not beaten
    its best by ``tol`` for ``patience`` consecutive epochs since the last
    reduction (the test of the stopping rule); never below ``min_lr`` times the
    initial rate.

    ``patience=None`` is half of the estimator's ``n_iter_no_change``, so the
    rate drops before training stops (as Keras users pair ``ReduceLROnPlateau``
    with ``EarlyStopping``).
    """

    def __init__(self, factor=0.5, patience=None, min_lr=1e-3):
        self.factor, self.patience, self.min_lr = factor, patience, min_lr

    def __call__(self, epoch, lr0, history, config):
        rates = history.learning_rate_curve
        if not rates:
            return lr0
        lr = rates[-1]
        curve = history.validation_loss_curve if history.validation_loss_curve else history.loss_curve
        patience = max(1, config.n_iter_no_change // 2) if self.patience is None else self.patience
        # epochs since the best loss, counting from the last reduction
        last_change = max((i for i in range(1, len(rates)) if rates[i] < rates[i - 1]), default=0)
        best, since = math.inf, 0  # the stopping rule's test: an epoch improves if it beats the best by tol
        for loss in curve[last_change:]:
            since = since + 1 if loss > best - config.tol else 0
            best = min(best, loss)
        if since >= patience:
            return max(lr * self.factor, lr0 * self.min_lr)
        return lr

    def __repr__(self):
        return f"ReduceOnPlateau(factor={self.factor}, patience={self.patience}, min_lr={self.min_lr})"


class Step:
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs
    (``None``: a quarter of ``max_iter``)."""

    def __init__(self, step_size=None, gamma=0.5):
        self.step_size, self.gamma = step_size, gamma

    def __call__(self, epoch, lr0, history, config):
        size = max(1, config.max_iter // 4) if self.step_size is None else self.step_size
        return lr0 * self.gamma ** (epoch // size)

    def __repr__(self):
        return f"Step(step_size={self.step_size}, gamma={self.gamma})"


class Cosine:
    """Cosine annealing from the initial rate to ``min_lr`` times it over
    ``max_iter`` epochs (Loshchilov and Hutter's SGDR without restarts)."""

    def __init__(self, min_lr=1e-2):
        self.min_lr = min_lr

    def __call__(self, epoch, lr0, history, config):
        T = max(1, config.max_iter)
        low = lr0 * self.min_lr
        return low + (lr0 - low) * (1 + math.cos(math.pi * min(epoch, T) / T)) / 2

    def __repr__(self):
        return f"Cosine(min_lr={self.min_lr})"


SCHEDULES = {"constant": Constant, "plateau": ReduceOnPlateau, "step": Step, "cosine": Cosine}


def as_schedule(spec):
    """A schedule from an estimator's ``learning_rate_schedule``: a name or a schedule object."""
    return SCHEDULES[spec]() if isinstance(spec, str) else spec
