"""Numba configuration: the read-only fallback, and BLAS thread limiting."""

import warnings

import numba
import numpy as np
import pytest

from skrnn import _config


def _square(x):
    return x * x


def test_kernel_falls_back_without_cache_and_warns_once(monkeypatch):
    real_njit = numba.njit
    calls = []

    def fake_njit(*args, **flags):
        if args:  # numba's own internals compile helpers with njit(func)
            return real_njit(*args, **flags)
        calls.append(flags["cache"])
        if flags["cache"]:
            raise RuntimeError("cannot cache function '_square': no locator available for file 'x.py'")
        return real_njit(**flags)

    monkeypatch.setattr(_config.numba, "njit", fake_njit)
    monkeypatch.setattr(_config, "_warned_no_cache", False)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        f = _config.kernel(_square)
        g = _config.kernel(_square)
    assert f(3.0) == 9.0 and g(2.0) == 4.0
    assert calls == [True, False, True, False]
    msgs = [str(w.message) for w in rec if issubclass(w.category, RuntimeWarning)]
    assert len(msgs) == 1 and "NUMBA_CACHE_DIR" in msgs[0]


def test_kernel_reraises_unrelated_errors(monkeypatch):
    real_njit = numba.njit

    def broken(*args, **flags):
        if args:
            return real_njit(*args, **flags)
        raise RuntimeError("something else")

    monkeypatch.setattr(_config.numba, "njit", broken)
    with pytest.raises(RuntimeError, match="something else"):
        _config.kernel(_square)


def test_env_switch_disables_cache(monkeypatch):
    seen = []
    real_njit = numba.njit
    monkeypatch.setenv("SKRNN_DISABLE_CACHE", "1")
    monkeypatch.setattr(
        _config.numba,
        "njit",
        lambda *a, **fl: real_njit(*a, **fl) if a else seen.append(fl["cache"]) or real_njit(**fl),
    )
    _config.kernel(_square)
    assert seen == [False]


def test_fit_limits_blas_to_one_thread_and_restores(monkeypatch):
    from threadpoolctl import threadpool_info

    from skrnn import RNNRegressor

    before = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    seen = []
    import skrnn._training as training

    real = training.clip_gradient

    def spy(grad, *a, **k):
        seen.append({i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
        return real(grad, *a, **k)

    monkeypatch.setattr(training, "clip_gradient", spy)
    X = np.random.default_rng(0).normal(size=(20, 4))
    RNNRegressor(hidden_size=4, max_iter=1, random_state=0).fit(X, X.sum(1))
    assert seen and all(v == 1 for s in seen for v in s.values())
    after = {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    assert after == before


def test_import_skrnn_defers_numba():
    """``import skrnn`` does not import Numba or the kernels (0.25 s and more); the first fit does."""
    import subprocess
    import sys

    code = (
        "import sys, warnings, numpy as np, skrnn\n"
        "assert 'numba' not in sys.modules and 'skrnn._nn.kernels' not in sys.modules, 'imported eagerly'\n"
        "X = np.random.default_rng(0).normal(size=(20, 5)); y = np.arange(20) % 2\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('ignore')\n"
        "    skrnn.RNNClassifier(hidden_size=4, max_iter=1).fit(X, y).predict(X)\n"
        "assert 'numba' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
