"""Kernel modules compile only through ``skrnn._config.kernel`` and are
self-contained, so Numba's per-file cache invalidation is sound."""

import ast
import importlib
from pathlib import Path

import numba
import pytest

import skrnn._nn.kernels
from skrnn import _config
from skrnn._nn.kernels import KERNELS

PACKAGE = "skrnn._nn.kernels"
KERNEL_DIR = Path(skrnn._nn.kernels.__file__).parent
MODULE_NAMES = sorted(p.stem for p in KERNEL_DIR.glob("*.py"))  # "__init__" included
CELL_MODULES = [n for n in MODULE_NAMES if n != "__init__"]
NUMBA_COMPILERS = {"njit", "jit", "generated_jit", "vectorize", "guvectorize", "cfunc", "stencil", "jit_module"}


def module_name(stem):
    return PACKAGE if stem == "__init__" else f"{PACKAGE}.{stem}"


def module_tree(name):
    return ast.parse((KERNEL_DIR / f"{name}.py").read_text(), filename=f"{name}.py")


def imported_modules(tree, module):
    """Absolute names of everything ``module`` imports (``from a import b``
    yields both ``a`` and ``a.b``, since ``b`` may be a submodule)."""
    package = module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def dispatchers(module):
    return {k: v for k, v in vars(module).items() if isinstance(v, numba.core.registry.CPUDispatcher)}


def test_every_cell_has_a_kernel_module():
    assert set(KERNELS) == {"rnn", "lstm", "gru"}
    assert {m.__name__ for m in KERNELS.values()} <= {module_name(n) for n in CELL_MODULES}
    for module in KERNELS.values():
        found = dispatchers(module)
        assert {"forward", "backward"} <= set(found), module.__name__


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_no_direct_numba_compilation(name):
    tree = module_tree(name)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "numba":
            bad = {a.name for a in node.names} & NUMBA_COMPILERS
            assert not bad, f"{name}.py imports {bad} from numba; compile with skrnn._config.kernel"
        if isinstance(node, ast.Attribute):
            assert node.attr not in NUMBA_COMPILERS, f"{name}.py line {node.lineno} uses .{node.attr}"
        if isinstance(node, ast.Name):
            assert node.id not in NUMBA_COMPILERS, f"{name}.py line {node.lineno} uses {node.id}"
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                assert isinstance(dec, ast.Name) and dec.id == "kernel", (
                    f"{name}.{node.name} is decorated with {ast.unparse(dec)}, not @kernel"
                )


@pytest.mark.parametrize("name", CELL_MODULES)
def test_kernel_modules_are_self_contained(name):
    module = module_name(name)
    for imported in imported_modules(module_tree(name), module):
        assert not imported.startswith(PACKAGE), f"{module} imports {imported}"
    for attr, disp in dispatchers(importlib.import_module(module)).items():
        assert disp.py_func.__module__ == module, f"{module}.{attr} is compiled in {disp.py_func.__module__}"


def test_self_containment_check_detects_sibling_imports():
    tree = ast.parse("from .gru import forward\nfrom . import lstm\nfrom ..._config import kernel\n")
    found = set(imported_modules(tree, f"{PACKAGE}.rnn"))
    assert {f"{PACKAGE}.gru", f"{PACKAGE}.lstm", "skrnn._config.kernel"} <= found


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_kernels_carry_the_configured_flags(name):
    module = importlib.import_module(module_name(name))
    compiled = dispatchers(module)
    if name == "__init__":
        assert not compiled
        return
    assert compiled
    want_cache = _config.FLAGS["cache"] and not _config._cache_disabled_by_env() and not _config._warned_no_cache
    for attr, disp in compiled.items():
        assert disp.targetoptions.get("nopython") is True, attr
        for flag, value in _config.FLAGS.items():
            if flag == "cache":  # numba keeps it out of targetoptions: a cache object is attached instead
                assert (type(disp._cache).__name__ != "NullCache") == want_cache, attr
            else:
                assert disp.targetoptions.get(flag) == value, f"{name}.{attr}: {flag}"


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_gated_kernels_take_no_reshaped_views(name):
    """A reshape inside a kernel hands pointers to the arrays' shape and strides
    to Numba's external ``numba_attempt_nocopy_reshape``; LLVM then reloads them
    after every store and the GRU's passes stopped vectorising (3-5x slower).
    Gates are indexed at their offsets in the row instead."""
    calls = [node.lineno for node in ast.walk(module_tree(name))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "reshape"]
    assert not calls, f"{name}.py calls reshape at lines {calls}"
