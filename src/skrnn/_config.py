"""Numba compilation flags, in one place.

Every kernel in :mod:`skrnn._kernels` is compiled through :func:`kernel`, so the
flags below are the only ones in the code base (a test checks that no kernel
module calls ``numba.njit`` itself).

* ``cache=True``: compiled machine code is written next to the sources (or to
  ``NUMBA_CACHE_DIR``) so that only the first fit of a cell and dtype pays for
  compilation.  On a read-only installation with no writable cache location,
  numba refuses ``cache=True`` at decoration time; we then compile without a
  cache and warn once instead of failing the import.  A test imports a copy
  of the package whose ``__pycache__`` entries are regular files, with
  ``NUMBA_CACHE_DIR`` and the user cache under ``/dev/null`` (unwritable even
  for root), and checks that it fits, predicts identically and writes nothing.
* Numba invalidates a cached function when its source file changes (it stores
  the file's modification time and size, and the numba version).  It does *not*
  track other modules that a kernel calls, so each kernel module is
  self-contained: it calls no compiled function defined in another module
  (a test checks this).  An upgrade therefore cannot run stale machine code:
  it rewrites the source files, their modification time changes, the cache
  index misses and the kernel is compiled again (``tests/test_resources.py``
  edits a cached kernel module in place, keeping its size, and checks that the
  next process computes with the new source).  Only an edit that restores
  both the size and the modification time of the old file would go unseen;
  after such tooling, delete the ``*.nbi``/``*.nbc`` files or set
  ``SKRNN_DISABLE_CACHE=1``.
* ``fastmath`` is off: the kernels must see NaN and infinity so that divergence
  is detected, and float64 results must match the reference to 1e-10.
* ``error_model="numpy"``: division by zero gives inf/NaN like NumPy instead of
  raising inside a kernel.
* ``nogil=True``: kernels release the GIL, so joblib's threading backend can run
  fits side by side.
"""

import os
import warnings

FLAGS = {"cache": True, "fastmath": False, "error_model": "numpy", "nogil": True}

_warned_no_cache = False


def _cache_disabled_by_env():
    return os.environ.get("SKRNN_DISABLE_CACHE", "") not in ("", "0")


def __getattr__(name):
    # Numba (~0.25 s to import, with llvmlite) is imported by the first kernel
    # module, i.e. at the first fit or predict, not by ``import skrnn``
    if name == "numba":
        import numba

        return numba
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def kernel(func):
    """Compile ``func`` with the project's flags (the only ``njit`` call)."""
    import numba

    global _warned_no_cache
    flags = dict(FLAGS)
    if _cache_disabled_by_env():
        flags["cache"] = False
    try:
        return numba.njit(**flags)(func)
    except RuntimeError as exc:  # "cannot cache function ...: no locator available"
        if "cannot cache" not in str(exc):
            raise
        if not _warned_no_cache:
            warnings.warn(
                "skrnn: no writable Numba cache location (the installation is "
                "read-only); kernels are compiled on each new process. Set "
                "NUMBA_CACHE_DIR to a writable directory to keep them.",
                RuntimeWarning,
                stacklevel=2,
            )
            _warned_no_cache = True
        flags["cache"] = False
        return numba.njit(**flags)(func)


_controller = None


def single_threaded_blas():
    """Context manager limiting BLAS to one thread during a fit or predict.

    The network's products are small (one ``(B, H) @ (H, G*H)`` per step), so
    BLAS threads only add synchronisation, and under joblib parallelism (e.g.
    ``GridSearchCV(n_jobs=-1)``) they oversubscribe the cores: measured here, a
    small fit ran 2.5x faster with one BLAS thread, and much faster still when
    another process was busy.  Parallelise across fits instead.
    """
    global _controller
    if _controller is None:
        import scipy.linalg.cython_blas  # noqa: F401 - the BLAS Numba's np.dot calls
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
