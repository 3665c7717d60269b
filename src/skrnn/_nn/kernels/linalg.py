"""Matrix products that BLAS runs faster in blocks than in one call.

A weight gradient is ``a^T @ d`` over all ``T * B`` rows of a layer: a small
``(K, G)`` output and a long inner dimension.  OpenBLAS computes products of
at most about ``10^6`` multiply-adds (``M * N * K``) with a kernel that packs
nothing; the gradient of a small layer is faster as a sum of such products
over blocks of rows than as one packed product (``(34, 1600) @ (1600, 128)``
1.55x, ``(32, 1600) @ (1600, 96)`` 1.6x; above the threshold the blocks run
at the packed kernel's speed).  The caller picks the block length.
"""

import numpy as np

from ..._config import kernel


@kernel
def at_b(a, d, out, tmp, rows):
    """``out = a^T @ d``, summed over blocks of ``rows`` rows.

    a : (N, K), d : (N, G), out, tmp : (K, G) (``tmp`` is scratch).
    """
    N, K = a.shape
    G = d.shape[1]
    r = min(rows, N)
    np.dot(a[:r].T, d[:r], out)
    for s in range(r, N, rows):
        e = min(s + rows, N)
        np.dot(a[s:e].T, d[s:e], tmp)
        for k in range(K):
            for j in range(G):
                out[k, j] += tmp[k, j]
