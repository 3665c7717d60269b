"""The Python training loop: epochs, minibatches, early stopping, curves,
warnings, divergence and interruption.  Per-step arithmetic lives in
:mod:`skrnn._network`; this module only decides what to compute next.

Modelled on ``MLPClassifier._fit_stochastic``.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._nn.optim import SGD, Adam, clip_gradient


def batch_size_for(est, n):
    return min(64, n) if est.batch_size == "auto" else min(est.batch_size, n)


def _make_optimizer(est, n, dtype):
    if est.solver == "adam":
        return Adam(n, dtype, est.learning_rate_init, est.beta_1, est.beta_2, est.epsilon)
    return SGD(n, dtype, est.learning_rate_init, est.momentum, est.nesterovs_momentum)


def _dropout_masks(est, net, rng, T, B, dtype):
    p = est.dropout
    if p <= 0:
        return None
    arch = net.arch
    width = arch.hidden_size * arch.num_directions
    keep = 1.0 / (1.0 - p)

    def draw(shape):
        return ((rng.random_sample(shape) >= p) * keep).astype(dtype)

    layers = [draw((T, B, width)) for _ in range(arch.num_layers - 1)]
    head = draw((T, B, width) if net.sequence_output else (B, width))
    return {"layers": layers, "head": head}


class _Batches:
    """Time-major minibatches cut to the longest sequence they contain."""

    def __init__(self, seqs, Y, sw, sequence_output):
        self.Xt = seqs.time_major()
        self.lengths = seqs.lengths
        self.Y = np.ascontiguousarray(Y.transpose(1, 0, 2)) if sequence_output else Y
        self.sw = sw
        self.sequence_output = sequence_output

    def take(self, idx):
        L = self.lengths[idx]
        T = int(L.max())
        X = self.Xt[:T, idx]
        Y = self.Y[:T, idx] if self.sequence_output else self.Y[idx]
        return X, L, Y, self.sw[idx]


def _split_validation(est, seqs, Y, sw):
    n = seqs.n_samples
    stratify = Y.argmax(-1) if (est._head == "softmax" and not est._sequence_output) else None
    idx = np.arange(n)
    try:
        tr, va = train_test_split(idx, test_size=est.validation_fraction, random_state=est._random_state,
                                  stratify=stratify)
    except ValueError:
        tr, va = train_test_split(idx, test_size=est.validation_fraction, random_state=est._random_state)
    if len(tr) == 0 or len(va) == 0:
        raise ValueError(
            f"early_stopping needs at least 2 training sequences to hold out validation_fraction="
            f"{est.validation_fraction}; got {n}. Use early_stopping=False or more data."
        )
    from ._validation import Sequences

    sub = lambda ix: Sequences(seqs.X[ix], seqs.lengths[ix], seqs.layout)  # noqa: E731
    return (sub(tr), Y[tr], sw[tr]), (sub(va), Y[va], sw[va])


def _objective(net, flat, seqs, Y, sw, chunk=1024):
    """Weighted data loss over a whole data set (no penalty, no dropout)."""
    total, weight = 0.0, 0.0
    for a in range(0, seqs.n_samples, chunk):
        L = seqs.lengths[a:a + chunk]
        T = int(L.max())
        X = np.ascontiguousarray(seqs.X[a:a + chunk, :T].transpose(1, 0, 2))
        Yb = Y[a:a + chunk]
        if net.sequence_output:
            Yb = np.ascontiguousarray(Yb[:, :T].transpose(1, 0, 2))
        w = sw[a:a + chunk]
        cache = net.forward(flat, X, L)
        loss, _ = net.loss(cache, Yb, w)
        wsum = float((w * L).sum()) if net.sequence_output else float(w.sum())
        total += loss * wsum
        weight += wsum
    return total / weight


class Diverged(FloatingPointError):
    """The loss or gradient became non-finite; the last good weights are kept."""


def _diverged_message(est, what):
    return (
        f"{type(est).__name__}: the training loss or gradient became non-finite in epoch {est.n_iter_ + 1} "
        f"({what}). The last weights with a finite loss are kept. Try a smaller learning_rate_init, a smaller "
        "clip_norm, standardised inputs and targets, or cell='lstm'/'gru' instead of a ReLU Elman cell."
    )


def fit_epochs(est, net, seqs, Y, sw, incremental):
    """Train ``est._flat`` in place: one epoch if ``incremental`` else up to ``max_iter``."""
    flat = est._flat
    dtype = flat.dtype
    Y = Y.astype(dtype, copy=False)
    sw = np.asarray(sw, dtype=dtype)
    rng = est._random_state
    early = est.early_stopping and not incremental
    if early:
        (seqs, Y, sw), val = _split_validation(est, seqs, Y, sw)
        if est.validation_scores_ is None:  # a warm start that switched early stopping on
            est.validation_scores_, est.validation_loss_curve_ = [], []
            est.best_validation_score_ = -np.inf
    if est._optimizer is None:
        est._optimizer = _make_optimizer(est, flat.size, dtype)
    opt = est._optimizer
    n = seqs.n_samples
    bs = batch_size_for(est, n)
    batches = _Batches(seqs, Y, sw, net.sequence_output)
    grad = np.zeros_like(flat)
    weight_mask = net.layout.weight_mask()
    best_flat = flat.copy() if early else None
    last_good, have_good = np.empty_like(flat), False  # the last weights whose loss was finite
    epochs = 1 if incremental else est.max_iter
    alpha, l1 = est.alpha, est.l1
    order = np.arange(n)
    best_vloss = np.inf
    try:
        for _ in range(epochs):
            t0 = t_shown = time.perf_counter()
            if est.shuffle:
                order = rng.permutation(n)
            loss_sum, norms, clipped = 0.0, [], 0
            for a in range(0, n, bs):
                idx = order[a:a + bs]
                X, L, Yb, w = batches.take(idx)
                masks = _dropout_masks(est, net, rng, X.shape[0], len(idx), dtype)
                with np.errstate(over="ignore", invalid="ignore"):  # non-finite values are caught just below
                    loss = net.loss_grad(flat, grad, X, L, Yb, w, alpha, l1, masks, weight_mask)
                    norm, was_clipped = clip_gradient(grad, est.clip_value, est.clip_norm)
                if not (np.isfinite(loss) and np.isfinite(norm)):
                    if have_good:  # the current weights overflow: step back to the last finite ones
                        flat[...] = last_good
                    raise Diverged(_diverged_message(est, f"loss={loss!r}, gradient norm={norm!r}"))
                last_good[...] = flat
                have_good = True
                opt.step(flat, grad)
                if not np.isfinite(flat).all():  # a finite gradient times the learning rate overflowed
                    flat[...] = last_good
                    raise Diverged(_diverged_message(est, "an update overflowed the weights"))
                loss_sum += loss * len(idx)
                norms.append(norm)
                clipped += was_clipped
                est.t_ += len(idx)
                if est.verbose and time.perf_counter() - t_shown > 1.0:  # progress line for long epochs
                    t_shown = time.perf_counter()
                    print(f"  epoch {est.n_iter_ + 1}: {a + len(idx)}/{n} sequences, "
                          f"running loss = {loss_sum / (a + len(idx)):.6f}", end="\r", flush=True)
            est.n_iter_ += 1
            est.loss_ = loss_sum / n
            est.loss_curve_.append(est.loss_)
            est.grad_norm_curve_.append(float(np.mean(norms)))
            est.clip_rate_curve_.append(clipped / len(norms))
            msg = f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}"
            if early:
                vloss = _objective(net, flat, *val)
                vscore = est._score_seqs(val[0], val[1], val[2], flat)
                est.validation_loss_curve_.append(vloss)
                est.validation_scores_.append(vscore)
                msg += f", validation loss = {vloss:.8f}, validation score = {vscore:.6f}"
                if vloss < best_vloss - est.tol:
                    est._no_improvement_count = 0
                else:
                    est._no_improvement_count += 1
                if vloss < best_vloss:
                    best_vloss = vloss
                    best_flat[...] = flat
                    est.best_validation_score_ = vscore
            else:
                best = np.inf if est.best_loss_ is None else est.best_loss_
                if est.loss_ > best - est.tol:
                    est._no_improvement_count += 1
                else:
                    est._no_improvement_count = 0
                est.best_loss_ = min(best, est.loss_)
            if est.verbose:
                print(f"{msg} ({time.perf_counter() - t0:.2f}s)".ljust(72), flush=True)
            if est._no_improvement_count > est.n_iter_no_change:
                if est.verbose:
                    what = "Validation loss" if early else "Training loss"
                    print(f"{what} did not improve more than tol={est.tol} for {est.n_iter_no_change} "
                          "consecutive epochs. Stopping.", flush=True)
                break
        else:
            if not incremental:
                warnings.warn(
                    f"{type(est).__name__}: maximum iterations ({est.max_iter}) reached and the optimization "
                    "hasn't converged yet. Increase max_iter or learning_rate_init.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
    except KeyboardInterrupt:
        warnings.warn(
            f"{type(est).__name__}: training interrupted by the user after {est.n_iter_} complete epochs; "
            "keeping the current weights" + (" of the best epoch." if early else "."),
            UserWarning,
            stacklevel=3,
        )
    finally:
        if early:
            if np.isfinite(best_vloss):
                flat[...] = best_flat
            est.best_loss_ = None
    return est
