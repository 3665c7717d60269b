"""The training loop, written once for every estimator.

:func:`fit_epochs` trains a flat parameter buffer in place and knows nothing
of estimators: what it trains is given by three small objects and a config.

* ``objective`` (the :class:`Objective` protocol), implemented by
  :class:`~skrnn._nn.network.Network`, :class:`~skrnn._nn.encoder_decoder.EncoderDecoder`
  and the text generator's stream objective: the data loss of a minibatch
  and its gradient, the shapes of the dropout masks it takes, and the data
  loss of a held-out chunk.
* ``batches`` (the :class:`Batches` protocol): an iterator over the
  minibatches of one epoch (it owns shuffling), and the chunks of a held-out
  set.
* ``state`` (:class:`TrainState`): the optimiser, the random generator (one
  source of randomness: shuffling and dropout) and the :class:`History`
  (curves, epoch counters, patience), kept by the estimator between calls so
  that ``partial_fit`` and ``warm_start`` continue where the last call
  stopped.

The loop owns what must be the same for every model: L2/L1 penalties,
gradient clipping, the optimiser step, divergence (a non-finite loss,
gradient or update keeps the last good weights and raises :class:`Diverged`),
Ctrl-C (keeps the weights, warns), patience on the training or validation
loss, restoring the best weights of early stopping, the per-epoch curves,
verbose output and the ``ConvergenceWarning``.  The per-step arithmetic lives
in the objective; this module only decides what to compute next.  Modelled on
``MLPClassifier._fit_stochastic``.  An objective with ``member_slices``
(:class:`~skrnn._nn.ensemble.Ensemble`: several networks on one stacked
buffer) has each slice's gradient clipped on its own and its penalty averaged
over the members, so that each member trains as it would alone;
:class:`MemberBatches` gives each its own minibatch order.
"""

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._nn.optim import SGD, Adam, clip_gradient, penalty, weight_runs


class Objective(Protocol):
    """What :func:`fit_epochs` trains.

    ``size`` is the length of the flat parameter buffer; ``weight_mask()`` the
    boolean mask of its entries that L2/L1 penalise (weights, not biases).
    """

    size: int

    def weight_mask(self) -> np.ndarray: ...

    def loss_and_grad(self, params, grad, batch, masks) -> tuple[float, float]:
        """Mean data loss of ``batch`` at ``params``, its gradient written into
        ``grad``; and the sum of the batch's sample weights (the denominator of
        the penalties)."""

    def evaluate(self, params, batch) -> tuple[float, float]:
        """Mean data loss of a held-out chunk (no dropout, no penalty) and its weight."""

    def dropout_shapes(self, batch) -> dict:
        """``{"layers": [shape, ...], "head": shape}`` of the inverted-dropout masks for ``batch``."""


class Batches(Protocol):
    """Minibatches of one data set; ``n`` counts what ``epoch`` yields per epoch."""

    n: int

    def epoch(self, rng, shuffle): ...  # -> iterator of (batch, count)


class Batch(NamedTuple):
    """A time-major minibatch: ``X`` ``(T, B, D)``, ``lengths`` ``(B,)``, targets, weights ``(B,)``."""

    X: np.ndarray
    lengths: np.ndarray
    Y: np.ndarray
    sample_weight: np.ndarray


class MemberBatches:
    """The minibatches of :class:`SequenceBatches` ``inner`` in an order of each member's own: each epoch
    yields, step by step, a list of ``n_members`` batches (of the same sizes, within one sequence), member
    ``k`` reading the set in an order drawn from its own random generator, as if it trained alone. Member 0
    reads the order the loop's generator draws; the others' generators are seeded from it at the first
    epoch. Without shuffling every member reads the set in order, so all see the same batches."""

    def __init__(self, inner, n_members):
        self.inner, self.n_members, self.n = inner, n_members, inner.n
        self._rngs = None

    def epoch(self, rng, shuffle):
        if not shuffle:
            for batch, count in self.inner.epoch(rng, False):
                yield [batch] * self.n_members, count
            return
        if self._rngs is None:
            self._rngs = [np.random.RandomState(s) for s in rng.randint(0, 2**31 - 1, size=self.n_members - 1)]
        epochs = [self.inner.epoch(rng, True)] + [self.inner.epoch(r, True) for r in self._rngs]
        for steps in zip(*epochs, strict=True):
            yield [b for b, _ in steps], steps[0][1]


# batch_size='auto' of the classifier and regressor: one batch below AUTO_SPLIT_FROM sequences, then at
# least AUTO_MIN_UPDATES equal minibatches per epoch while they hold at least AUTO_MIN_BATCH sequences, and
# none over AUTO_MAX_BATCH
AUTO_MAX_BATCH = 64
AUTO_MIN_BATCH = 12
AUTO_MIN_UPDATES = 8
# below this a set is one full batch (so sample weights equal repetition there: scikit-learn's check
# compares 15 weighted rows with their 27 repeats); no benchmark set has 24-27 training sequences
AUTO_SPLIT_FROM = 28


def auto_n_batches(n):
    """Number of equal minibatches per epoch for ``n`` sequences under ``batch_size='auto'``: one below
    ``AUTO_SPLIT_FROM`` (28) sequences, then ``n // AUTO_MIN_BATCH`` up to ``AUTO_MIN_UPDATES``, and
    ``ceil(n / AUTO_MAX_BATCH)`` on large sets."""
    if n < AUTO_SPLIT_FROM:
        return 1
    return max(1, math.ceil(n / AUTO_MAX_BATCH), min(AUTO_MIN_UPDATES, n // AUTO_MIN_BATCH))


class SequenceBatches:
    """Time-major minibatches of validated sequences, each cut to the longest
    sequence it contains.

    Y is ``(N, K)``, or ``(N, T, K)`` for per-step targets (``sequence_output``).
    ``n_batches``: instead of batches of ``batch_size`` (the last one shorter),
    split each epoch into this many batches of equal size (within one).

    Sequences of unequal lengths, shuffled, are bucketed: each epoch sorts them
    by their length times a random factor in ``[1 - jitter, 1 + jitter]``,
    cuts that order into batches and shuffles the batches, so that a batch
    holds sequences of similar lengths (the recurrence runs to the longest of
    its batch) while batches still differ from epoch to epoch (the sortish
    sampler of fastai, Keras' ``bucket_by_sequence_length``). Sequences of one
    length are shuffled as they were.
    """

    jitter = 0.25

    def __init__(self, seqs, Y, sw, sequence_output, batch_size, dtype, n_batches=None):
        self.seqs = seqs
        self.Xt = seqs.time_major()
        self.lengths = seqs.lengths
        self.ragged = len(self.lengths) > 0 and self.lengths.min() < self.lengths.max()  # bucketed when shuffled
        Y = Y.astype(dtype, copy=False)
        self.Yb = Y  # batch-major, for chunks
        self.Y = np.ascontiguousarray(Y.transpose(1, 0, 2)) if sequence_output else Y
        self.sw = np.asarray(sw, dtype=dtype)
        self.sequence_output = sequence_output
        self.n = seqs.n_samples
        self.batch_size = min(batch_size, self.n)
        self.n_batches = None if n_batches is None else min(n_batches, self.n)

    def take(self, idx):
        L = self.lengths[idx]
        T = int(L.max())
        Y = self.Y[:T, idx] if self.sequence_output else self.Y[idx]
        return Batch(self.Xt[:T, idx], L, Y, self.sw[idx])

    def epoch(self, rng, shuffle):
        order = rng.permutation(self.n) if shuffle else np.arange(self.n)
        if self.n_batches is not None:
            batches = np.array_split(order, self.n_batches)
        else:
            batches = [order[a:a + self.batch_size] for a in range(0, self.n, self.batch_size)]
        if shuffle and self.ragged and len(batches) > 1:
            key = self.lengths[order] * rng.uniform(1 - self.jitter, 1 + self.jitter, self.n)
            order = order[np.argsort(key, kind="stable")]
            cuts = np.cumsum([len(b) for b in batches])[:-1]
            sorted_batches = np.split(order, cuts)
            batches = [sorted_batches[i] for i in rng.permutation(len(sorted_batches))]
        for idx in batches:
            yield self.take(idx), len(idx)

    def chunks(self, size=1024):
        """The whole set in order, ``size`` sequences at a time (for evaluation)."""
        for a, (X, L) in zip(range(0, self.n, size), self.seqs.time_major_chunks(size), strict=True):
            Y = self.Yb[a:a + size]
            if self.sequence_output:
                Y = np.ascontiguousarray(Y[:, : X.shape[0]].transpose(1, 0, 2))
            yield Batch(X, L, Y, self.sw[a:a + size])


def split_validation(n, fraction, rng, stratify=None):
    """Indices ``(train, validation)`` holding out ``fraction`` of ``n`` samples
    (stratified when possible)."""
    # sklearn.model_selection (~10-25 ms to import) only for fits that hold data out
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    try:
        tr, va = train_test_split(idx, test_size=fraction, random_state=rng, stratify=stratify)
    except ValueError:
        tr, va = train_test_split(idx, test_size=fraction, random_state=rng)
    if len(tr) == 0 or len(va) == 0:
        raise ValueError(
            f"early_stopping needs at least 2 training sequences to hold out validation_fraction="
            f"{fraction}; got {n}. Use early_stopping=False or more data."
        )
    return tr, va


@dataclass
class Validation:
    """A held-out set: its chunks (for the objective's loss) and a score of the weights; or, with ``loss``,
    a loss of the weights computed by the caller (patience and the best epoch then follow it)."""

    chunks: Any  # callable () -> iterator of batches
    score: Any  # callable (params) -> float
    loss: Any = None  # callable (params) -> float; None: the objective's loss on the chunks


@dataclass(frozen=True)
class TrainConfig:
    """The training controls :func:`fit_epochs` reads (an estimator's hyperparameters)."""

    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: int = 10
    shuffle: bool = True
    alpha: float = 0.0
    l1: float = 0.0
    clip_value: float | None = None
    clip_norm: float | None = None
    dropout: float = 0.0
    verbose: int = 0
    incremental: bool = False  # one epoch, no ConvergenceWarning (partial_fit)
    name: str = "model"  # the estimator's name, for messages
    unit: str = ""  # of the loss, for verbose lines
    schedule: Any = None  # callable (epoch, lr0, history, config) -> learning rate; None: constant
    learning_rate_init: float | None = None  # lr0 of the schedule (None: the optimiser's)
    tensor_norms: Any = None  # {name: (start, stop)}: record each tensor's gradient norm per epoch
    fixed_epochs: bool = False  # max_iter is a budget, not a failure: no ConvergenceWarning when reached


@dataclass
class History:
    """Everything training records, continued across ``partial_fit`` calls."""

    n_iter: int = 0
    t: int = 0
    loss: float | None = None
    loss_curve: list = field(default_factory=list)
    grad_norm_curve: list = field(default_factory=list)
    clip_rate_curve: list = field(default_factory=list)
    best_loss: float | None = np.inf
    no_improvement_count: int = 0
    validation_loss_curve: list | None = None
    validation_scores: list | None = None
    best_validation_score: float | None = None
    learning_rate_curve: list = field(default_factory=list)
    stop_reason: str | None = None  # "converged", "max_iter", "epoch", "interrupted", "diverged" or "callback"
    tensor_grad_norms: dict | None = None  # the last epoch's mean gradient norm of each tensor (when recorded)


@dataclass
class TrainState:
    optimizer: Any
    rng: np.random.RandomState
    history: History


def make_optimizer(solver, n, dtype, learning_rate_init, beta_1=0.9, beta_2=0.999, epsilon=1e-8, momentum=0.9,
                   nesterovs_momentum=True):
    if solver == "adam":
        return Adam(n, dtype, learning_rate_init, beta_1, beta_2, epsilon)
    return SGD(n, dtype, learning_rate_init, momentum, nesterovs_momentum)


def dropout_masks(shapes, p, rng, dtype):
    """Inverted-dropout masks (entries 0 or ``1 / (1 - p)``) of the given shapes, drawn in order."""
    keep = 1.0 / (1.0 - p)

    def draw(shape):
        return ((rng.random_sample(shape) >= p) * keep).astype(dtype)

    return {k: [draw(s) for s in v] if isinstance(v, list) else draw(v) for k, v in shapes.items()}


class Diverged(FloatingPointError):
    """The loss or gradient became non-finite; the last good weights are kept."""


def _diverged_message(config, epoch, what):
    return (
        f"{config.name}: the training loss or gradient became non-finite in epoch {epoch} "
        f"({what}). The last weights with a finite loss are kept. Try a smaller learning_rate_init, a smaller "
        "clip_norm, standardised inputs and targets, or cell='lstm'/'gru' instead of a ReLU Elman cell."
    )


def _evaluate(objective, params, validation):
    if validation.loss is not None:
        return float(validation.loss(params))
    total, weight = 0.0, 0.0
    for batch in validation.chunks():
        loss, w = objective.evaluate(params, batch)
        total += loss * w
        weight += w
    return total / weight


def _clip(grad, config, members):
    """Clip ``grad`` in place (each member's slice apart): the mean norm before clipping, whether any
    was clipped."""
    if not members or len(members) == 1:
        return clip_gradient(grad, config.clip_value, config.clip_norm)
    norms, clipped = [], False
    for a, b in members:
        norm, was = clip_gradient(grad[a:b], config.clip_value, config.clip_norm)
        norms.append(norm)
        clipped |= was
    return float(np.mean(norms)), clipped


def fit_epochs(objective, params, batches, config, state, validation=None, hooks=None):
    """Train ``params`` in place: one epoch if ``config.incremental``, else up to ``config.max_iter``.

    Parameters
    ----------
    objective : Objective
    params : ndarray of shape (objective.size,)
        The flat parameter buffer, updated in place.
    batches : Batches
    config : TrainConfig
    state : TrainState
        Optimiser, random generator and history; updated in place (so an
        estimator that keeps it sees consistent figures even if training
        stops with an exception).
    validation : Validation or None
        Held-out data: patience then runs on its loss, and the weights of the
        best epoch are restored at the end.
    hooks : object or None
        ``hooks.begin_epoch()`` before and ``hooks.end_epoch(params, history)
        -> bool`` after each epoch (the callbacks: True stops training).

    Returns
    -------
    history : History
        ``state.history``.
    """
    hist, opt, rng = state.history, state.optimizer, state.rng
    dtype = params.dtype
    early = validation is not None
    if early and hist.validation_scores is None:  # a first fit, or a warm start that switched early stopping on
        hist.validation_scores, hist.validation_loss_curve = [], []
        hist.best_validation_score = -np.inf
    grad = np.zeros_like(params)
    runs = weight_runs(objective.weight_mask())
    best_params = params.copy() if early else None
    last_good, have_good = np.empty_like(params), False  # the last weights whose loss was finite
    epochs = 1 if config.incremental else config.max_iter
    alpha, l1, p = config.alpha, config.l1, config.dropout
    n = batches.n
    best_vloss = np.inf
    hist.stop_reason = None
    lr0 = opt.learning_rate if config.learning_rate_init is None else config.learning_rate_init
    tensors = config.tensor_norms
    # an Ensemble trains several members side by side: penalties enter its mean loss once per member,
    # and each member's gradient is clipped on its own, as if it trained alone
    members = getattr(objective, "member_slices", None)
    n_members = len(members) if members else 1
    try:
        for _ in range(epochs):
            t0 = t_shown = time.perf_counter()
            if hasattr(objective, "begin_epoch"):
                objective.begin_epoch()
            if config.schedule is not None:
                opt.learning_rate = config.schedule(hist.n_iter, lr0, hist, config)
            if hooks is not None:
                hooks.begin_epoch()
            loss_sum, norms, clipped, seen = 0.0, [], 0, 0
            tensor_sums = dict.fromkeys(tensors, 0.0) if tensors else None
            for batch, count in batches.epoch(rng, config.shuffle):
                masks = dropout_masks(objective.dropout_shapes(batch), p, rng, dtype) if p > 0 else None
                with np.errstate(over="ignore", invalid="ignore"):  # non-finite values are caught just below
                    loss, wsum = objective.loss_and_grad(params, grad, batch, masks)
                    if alpha or l1:
                        loss += penalty(params, grad, alpha, l1, wsum, runs) / n_members
                    if tensor_sums is not None:
                        for name, (a, b) in tensors.items():
                            tensor_sums[name] += float(np.sqrt(np.dot(grad[a:b], grad[a:b])))
                    norm, was_clipped = _clip(grad, config, members)
                if not (np.isfinite(loss) and np.isfinite(norm)):
                    if have_good:  # the current weights overflow: step back to the last finite ones
                        params[...] = last_good
                    hist.stop_reason = "diverged"
                    raise Diverged(_diverged_message(config, hist.n_iter + 1,
                                                     f"loss={loss!r}, gradient norm={norm!r}"))
                last_good[...] = params
                have_good = True
                opt.step(params, grad)
                if not np.isfinite(params).all():  # a finite gradient times the learning rate overflowed
                    params[...] = last_good
                    hist.stop_reason = "diverged"
                    raise Diverged(_diverged_message(config, hist.n_iter + 1, "an update overflowed the weights"))
                loss_sum += loss * count
                seen += count
                norms.append(norm)
                clipped += was_clipped
                hist.t += count
                if config.verbose and time.perf_counter() - t_shown > 1.0:  # progress line for long epochs
                    t_shown = time.perf_counter()
                    print(f"  epoch {hist.n_iter + 1}: {seen}/{n}, running loss = {loss_sum / seen:.6f}",
                          end="\r", flush=True)
            hist.n_iter += 1
            hist.loss = loss_sum / n
            hist.loss_curve.append(hist.loss)
            hist.grad_norm_curve.append(float(np.mean(norms)))
            hist.clip_rate_curve.append(clipped / len(norms))
            hist.learning_rate_curve.append(float(opt.learning_rate))
            if tensor_sums is not None:
                hist.tensor_grad_norms = {k: v / len(norms) for k, v in tensor_sums.items()}
            msg = f"Iteration {hist.n_iter}, loss = {hist.loss:.8f}{config.unit}"
            if early:
                vloss = _evaluate(objective, params, validation)
                vscore = validation.score(params)
                hist.validation_loss_curve.append(vloss)
                hist.validation_scores.append(vscore)
                msg += f", validation loss = {vloss:.8f}, validation score = {vscore:.6f}"
                if vloss < best_vloss - config.tol:
                    hist.no_improvement_count = 0
                else:
                    hist.no_improvement_count += 1
                if vloss < best_vloss:
                    best_vloss = vloss
                    best_params[...] = params
                    hist.best_validation_score = vscore
            else:
                best = np.inf if hist.best_loss is None else hist.best_loss
                if hist.loss > best - config.tol:
                    hist.no_improvement_count += 1
                else:
                    hist.no_improvement_count = 0
                hist.best_loss = min(best, hist.loss)
            if config.verbose:
                print(f"{msg} ({time.perf_counter() - t0:.2f}s)".ljust(72), flush=True)
            if hooks is not None and hooks.end_epoch(params, hist):
                hist.stop_reason = "callback"
                break
            if hist.no_improvement_count > config.n_iter_no_change:
                if config.verbose:
                    what = "Validation loss" if early else "Training loss"
                    print(f"{what} did not improve more than tol={config.tol} for {config.n_iter_no_change} "
                          "consecutive epochs. Stopping.", flush=True)
                hist.stop_reason = "converged"
                break
        else:
            hist.stop_reason = "epoch" if config.incremental else "max_iter"
            if not (config.incremental or config.fixed_epochs):
                warnings.warn(
                    f"{config.name}: maximum iterations ({config.max_iter}) reached and the optimization "
                    "hasn't converged yet. Increase max_iter or learning_rate_init.",
                    ConvergenceWarning,
                    stacklevel=4,
                )
    except KeyboardInterrupt:
        hist.stop_reason = "interrupted"
        warnings.warn(
            f"{config.name}: training interrupted by the user after {hist.n_iter} complete epochs; "
            "keeping the current weights" + (" of the best epoch." if early else "."),
            UserWarning,
            stacklevel=4,
        )
    finally:
        if early:
            if np.isfinite(best_vloss):
                params[...] = best_params
            hist.best_loss = None
    return hist
