"""Resources: no memory growth over 200 consecutive fits, import from a
read-only installation, and a changed kernel source never runs stale machine
code from Numba's cache.  Each runs in a fresh process, so that what it
measures is not disturbed by the rest of the test session."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import skrnn

MEMORY_CHILD = textwrap.dedent(
    """
    import gc, json, os, warnings, weakref
    import numpy as np
    from numba.core.runtime import rtsys
    from skrnn import RNNClassifier, RNNRegressor

    warnings.simplefilter("ignore")
    page = os.sysconf("SC_PAGE_SIZE")

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * page

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 20, 4))  # 128 KB: every fit copies it (padding, time-major batches)
    labels = (X[:, -1, 0] > 0).astype(int)

    def fit(i):
        cls = RNNClassifier if i % 2 else RNNRegressor
        est = cls(cell=("rnn", "lstm", "gru")[i % 3], hidden_size=4, max_iter=1, batch_size=50, random_state=i)
        est.fit(X, labels if i % 2 else X[:, 0, 0]).predict(X)
        return weakref.ref(est)

    for i in range(30):  # compile, and let the allocators reach their steady state
        fit(i)
    gc.collect()
    rss0, nrt0 = rss(), rtsys.get_allocation_stats()
    refs = [fit(i) for i in range(200)]
    gc.collect()
    rss1, nrt1 = rss(), rtsys.get_allocation_stats()
    print(json.dumps({"rss_growth": rss1 - rss0, "nrt0": list(nrt0), "nrt1": list(nrt1),
                      "alive": sum(r() is not None for r in refs)}))
    """
)


def test_no_memory_growth_over_200_fits():
    env = {**os.environ, "NUMBA_NRT_STATS": "1"}
    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD], env=env, capture_output=True, text=True,
                         timeout=300, check=True).stdout
    stats = json.loads(out.splitlines()[-1])
    alloc0, free0, mi_alloc0, mi_free0 = stats["nrt0"]
    alloc1, free1, mi_alloc1, mi_free1 = stats["nrt1"]
    assert alloc1 > alloc0  # the statistics are live (the kernels allocate through the NRT)
    assert alloc1 - free1 == alloc0 - free0, "Numba NRT allocations not freed"
    assert mi_alloc1 - mi_free1 == mi_alloc0 - mi_free0, "Numba meminfos not freed"
    assert stats["alive"] == 0, "fitted estimators are kept alive after they are dropped"
    # Measured: under 0.1 MB. A leak of one copy of X per fit would be 25 MB; 4 MB allows ~20 KB per fit.
    assert stats["rss_growth"] < 4 * 2**20, stats


def _copy_package(dst):
    """skrnn's sources in ``dst`` with no bytecode and no Numba cache, and
    every ``__pycache__`` replaced by a regular file: no one, root included,
    can create a cache directory there."""
    shutil.copytree(Path(skrnn.__file__).parent, dst, ignore=shutil.ignore_patterns("__pycache__", "*.nb[ic]"))
    for root, _, _ in os.walk(dst):
        Path(root, "__pycache__").touch()


def _files(root):
    return {p: p.stat().st_mtime_ns for p in Path(root).rglob("*")}


READONLY_CHILD = textwrap.dedent(
    """
    import json, warnings
    import numpy as np
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        import skrnn
        X = np.random.default_rng(0).normal(size=(20, 5))
        pred = skrnn.RNNRegressor(hidden_size=3, max_iter=2, random_state=0).fit(X, X.sum(1)).predict(X)
    print(json.dumps({"file": skrnn.__file__, "pred": pred.tolist(),
                      "warnings": [str(w.message) for w in rec if issubclass(w.category, RuntimeWarning)]}))
    """
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_import_and_fit_from_a_read_only_installation(tmp_path):
    site = tmp_path / "site"
    _copy_package(site / "skrnn")
    before = _files(site)
    unwritable = "/dev/null/cache"  # a path under a file: makedirs fails with ENOTDIR, for root too
    env = {**os.environ, "PYTHONPATH": str(site), "NUMBA_CACHE_DIR": unwritable, "XDG_CACHE_HOME": unwritable,
           "HOME": unwritable}
    env.pop("SKRNN_DISABLE_CACHE", None)
    run = subprocess.run([sys.executable, "-c", READONLY_CHILD], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert Path(result["file"]).is_relative_to(site)  # the copy was imported, not the development tree
    assert len(result["warnings"]) == 1 and "NUMBA_CACHE_DIR" in result["warnings"][0]
    assert _files(site) == before  # nothing was written into the installation
    X = np.random.default_rng(0).normal(size=(20, 5))
    reg = skrnn.RNNRegressor(hidden_size=3, max_iter=2, random_state=0).fit(X, X.sum(1))
    np.testing.assert_array_equal(result["pred"], reg.predict(X))  # uncached code computes the same


KERNEL_MODULE = '''
from skrnn._config import kernel


@kernel
def shift(x):
    return x + {value}
'''


def test_a_changed_kernel_source_is_recompiled_not_read_from_a_stale_cache(tmp_path):
    """What an upgrade does: the cached module changes on disk. Numba keys its
    cache index on the source file's modification time and size, so the new
    source is compiled; the old machine code is never run."""
    package = tmp_path / "stalepkg"
    package.mkdir()
    (package / "__init__.py").touch()
    module = package / "kern.py"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("NUMBA_CACHE_DIR", None)
    env.pop("SKRNN_DISABLE_CACHE", None)
    code = "from stalepkg.kern import shift; print(shift(1.0), sum(shift.stats.cache_hits.values()))"

    def run():
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                             check=True).stdout.split()
        return float(out[0]), int(out[1])  # the result, and how many times it came from the cache

    module.write_text(KERNEL_MODULE.format(value="1.0"))
    assert run() == (2.0, 0)  # compiled and written to the cache
    assert list((package / "__pycache__").glob("kern.shift-*.nbc"))
    assert run() == (2.0, 1)  # read from the cache
    # Same length on purpose (the cache key includes the size); an upgrade writes a newer file.
    module.write_text(KERNEL_MODULE.format(value="5.0"))
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert run() == (6.0, 0)  # the new source, recompiled: no cache hit
