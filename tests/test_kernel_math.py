"""The elementwise math helpers copied into each kernel module (``_tanh32``,
``_exp64``, ``_tanh64``, ``_sigmoid64``).

They are copied on purpose: Numba invalidates a cached kernel when *its own*
source file changes, not when a module it calls changes, so each kernel module
is self-contained (see ``src/skrnn/_config.py``).  These tests keep the copies
identical, and pin their accuracy and their NaN/inf behaviour against NumPy.
"""

import ast
import importlib
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

import skrnn._nn.kernels

KERNEL_DIR = Path(skrnn._nn.kernels.__file__).parent
CELLS = ("rnn", "lstm", "gru")
HELPERS = ("_tanh32", "_exp64", "_tanh64", "_sigmoid64")


def _helper_sources():
    """``{name: {module: ast dump}}`` of every private helper defined in more than one cell module."""
    found = {}
    for cell in CELLS:
        tree = ast.parse((KERNEL_DIR / f"{cell}.py").read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("_"):
                found.setdefault(node.name, {})[cell] = ast.dump(node)
    return {k: v for k, v in found.items() if len(v) > 1}


def test_copied_helpers_are_identical():
    shared = _helper_sources()
    assert {"_tanh32", "_exp64", "_tanh64"} <= set(shared)  # the copies this test exists for
    for name, copies in shared.items():
        assert len(set(copies.values())) == 1, f"{name} differs between {sorted(copies)}"


def _impls(name):
    return [getattr(importlib.import_module(f"skrnn._nn.kernels.{cell}"), name) for cell in CELLS
            if hasattr(importlib.import_module(f"skrnn._nn.kernels.{cell}"), name)]


def _ulps(a, b):
    """Distance in units in the last place of ``b``."""
    return np.abs(a - b) / np.spacing(np.abs(b).astype(b.dtype))


GRID64 = np.concatenate([np.linspace(-25, 25, 4001), np.geomspace(1e-300, 1e-3, 200), -np.geomspace(1e-300, 1e-3, 200),
                         [0.0, -0.0, 0.625, -0.625, 0.6249999999, 19.99, 20.0, 40.0, 700.0, -700.0]])


@pytest.mark.parametrize("impl", _impls("_tanh64"), ids=CELLS)
def test_tanh64_within_two_ulp_of_libm(impl):
    got = np.array([impl(x) for x in GRID64])
    want = np.tanh(GRID64)
    assert _ulps(got, want).max() <= 2.0


@pytest.mark.parametrize("impl", _impls("_exp64"), ids=CELLS)
def test_exp64_within_one_ulp_on_its_domain(impl):
    y = np.concatenate([np.linspace(0, 41, 4001), [0.0, 1e-12, np.log(2), 40.999]])
    got = np.array([impl(v) for v in y])
    assert _ulps(got, np.exp(y)).max() <= 1.0


@pytest.mark.parametrize("impl", _impls("_sigmoid64"), ids=[c for c in CELLS if c != "rnn"])
def test_sigmoid64_matches_expit(impl):
    got = np.array([impl(x) for x in GRID64])
    want = expit(GRID64)
    assert np.abs(got - want).max() <= 5e-18 + 4 * np.spacing(want).max()
    assert _ulps(got, want)[np.abs(GRID64) < 30].max() <= 4.0


@pytest.mark.parametrize("impl", _impls("_tanh32"), ids=CELLS)
def test_tanh32_error_is_a_few_float32_ulp(impl):
    x = np.linspace(-12, 12, 20001, dtype=np.float32)
    got = np.array([impl(v) for v in x], dtype=np.float32)
    want = np.tanh(x.astype(np.float64))
    assert np.abs(got - want).max() < 5e-7
    assert np.abs(got).max() <= 1.0  # never outside [-1, 1], so sigmoid = 0.5 + 0.5 tanh stays in [0, 1]


@pytest.mark.parametrize("name, dtype", [("_tanh64", np.float64), ("_sigmoid64", np.float64),
                                         ("_tanh32", np.float32)])
def test_nan_propagates_and_infinities_saturate(name, dtype):
    for impl in _impls(name):
        def f(v, impl=impl):
            return impl(dtype(v))

        assert np.isnan(f(np.nan)), name
        if name == "_sigmoid64":
            assert f(np.inf) == 1.0 and 0.0 <= f(-np.inf) < 5e-18  # |x| clamped at 40, as documented
        else:
            assert f(np.inf) == 1.0 and f(-np.inf) == -1.0
