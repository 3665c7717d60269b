"""Optimisers and gradient clipping on the flat parameter buffer.

Updates are in place on ``params``; the state (moments, velocity) is kept on
the optimiser object so that ``partial_fit`` continues where it stopped.

* :class:`Adam` (Kingma and Ba, 2015, with bias correction, PyTorch's form)::

      m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
      p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

* :class:`SGD` with momentum (scikit-learn's form)::

      u = mu u - lr g;   p += u              (classical)
      p += mu u - lr g                       (Nesterov, after updating u)
"""

import numpy as np

_optim_kernels = None


def _kernels():
    """The optimiser kernels, imported (with Numba) by the first step, not by ``import skrnn``."""
    global _optim_kernels
    if _optim_kernels is None:
        from .kernels import optim

        _optim_kernels = optim
    return _optim_kernels


class Adam:
    def __init__(self, n, dtype, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.t = 0
        self.m = np.zeros(n, dtype=dtype)
        self.v = np.zeros(n, dtype=dtype)

    def step(self, params, grad):
        """One update of ``params`` in place (one fused kernel pass)."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        c1 = 1 - b1**self.t
        c2 = 1 - b2**self.t
        f = params.dtype.type
        _kernels().adam(params, grad, self.m, self.v, f(b1), f(1 - b1), f(b2), f(1 - b2), f(c2),
                      f(self.learning_rate / c1), f(self.epsilon))


class SGD:
    def __init__(self, n, dtype, learning_rate=1e-2, momentum=0.9, nesterov=True):
        self.learning_rate, self.momentum, self.nesterov = learning_rate, momentum, nesterov
        self.t = 0
        self.velocity = np.zeros(n, dtype=dtype)

    def step(self, params, grad):
        """One update of ``params`` in place (one fused kernel pass)."""
        self.t += 1
        f = params.dtype.type
        _kernels().sgd(params, grad, self.velocity, f(self.momentum), f(self.learning_rate), bool(self.nesterov))


def _norm(grad):
    """Global L2 norm.  A finite float32 gradient whose squared norm
    overflows (norm above ~1.8e19) is summed again in float64, so it is
    clipped rather than zeroed."""
    with np.errstate(over="ignore"):
        sq = float(grad @ grad)
    if not np.isfinite(sq) and grad.dtype != np.float64:
        g = grad.astype(np.float64)
        sq = float(g @ g)
    return float(np.sqrt(sq))


def clip_gradient(grad, clip_value=None, clip_norm=None):
    """Clip ``grad`` in place: elementwise to ``[-clip_value, clip_value]``,
    then (if needed) rescale to global L2 norm ``clip_norm``, keeping its
    direction.  Returns ``(norm_before, clipped)``: the global norm before
    clipping and whether either rule changed the gradient.
    """
    norm = _norm(grad)
    clipped = False
    if clip_value is not None and np.abs(grad).max(initial=0) > clip_value:
        np.clip(grad, -clip_value, clip_value, out=grad)
        clipped = True
    if clip_norm is not None:
        n = norm if not clipped else _norm(grad)
        if n > clip_norm:
            grad *= clip_norm / n
            clipped = True
    return norm, clipped


def weight_runs(weight_mask):
    """Contiguous ``(start, stop)`` runs of a boolean mask: the weights are a
    few large blocks, and slicing them beats boolean indexing of the whole
    buffer."""
    m = np.concatenate([[False], np.asarray(weight_mask, dtype=bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def penalty(params, grad, alpha, l1, wsum, runs):
    """``(0.5 alpha ||W||^2 + l1 ||W||_1) / wsum`` over the weight ``runs``; adds its gradient to ``grad``.

    ``wsum`` is the sum of the batch's sample weights (its size when
    unweighted), as in scikit-learn's MLP, so that an integer weight is
    exactly equivalent to repeating a sequence."""
    sq, ab = 0.0, 0.0
    for a, b in runs:
        w, g = params[a:b], grad[a:b]
        if alpha:
            sq += float(np.dot(w, w))
            g += (alpha / wsum) * w
        if l1:
            ab += float(np.abs(w).sum())
            g += (l1 / wsum) * np.sign(w)
    return (0.5 * alpha * sq + l1 * ab) / wsum
