"""Optimiser updates as one fused pass over the flat parameter buffer.

The NumPy form of an Adam step is eight full-buffer passes and as many
temporaries; on small networks their call overhead alone is a sizeable share of
a training step.  These kernels do the same arithmetic, in the same order and
in the buffers' dtype (the caller passes scalars already cast to it), so the
result is bitwise that of the NumPy expressions quoted in each docstring.
"""

import numpy as np

from ..._config import kernel


@kernel
def adam(params, grad, m, v, b1, omb1, b2, omb2, c2, step, eps):
    """In place, elementwise::

        m = m * b1 + omb1 * g;   v = v * b2 + omb2 * (g * g)
        p -= step * m / (sqrt(v / c2) + eps)

    with ``omb1 = 1 - b1``, ``omb2 = 1 - b2``, ``c2 = 1 - b2**t`` and
    ``step = lr / (1 - b1**t)``.
    """
    for i in range(params.size):
        g = grad[i]
        mi = m[i] * b1 + omb1 * g
        vi = v[i] * b2 + omb2 * (g * g)
        m[i] = mi
        v[i] = vi
        params[i] -= step * mi / (np.sqrt(vi / c2) + eps)


@kernel
def sgd(params, grad, u, momentum, lr, nesterov):
    """In place: ``u = u * momentum - lr * g``, then ``p += u`` (classical) or
    ``p += momentum * u - lr * g`` (Nesterov)."""
    for i in range(params.size):
        g = grad[i]
        ui = u[i] * momentum - lr * g
        u[i] = ui
        if nesterov:
            params[i] += momentum * ui - lr * g
        else:
            params[i] += ui
