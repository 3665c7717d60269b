"""Determinism: the same ``random_state`` gives bitwise-identical weights and
predictions in two runs, in another process, under joblib's loky backend and
on a ``dask.distributed`` cluster (GridSearchCV ``cv_results_`` equal to the
sequential run)."""

import os
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV

from skrnn import RNNClassifier, RNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Everything that draws random numbers: initialisation, shuffling, dropout, the validation split.
RANDOM_PARTS = {"dropout": 0.3, "shuffle": True, "early_stopping": True, "validation_fraction": 0.2}


def data(n=48, T=6, D=2, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, T, D))
    return X, (X[:, -1, 0] + X[:, 0, 1] > 0).astype(int)


def fit_and_predict(cell, seed=0):
    X, y = data()
    clf = RNNClassifier(cell=cell, num_layers=2, hidden_size=5, max_iter=4, batch_size=8, random_state=seed,
                        **RANDOM_PARTS).fit(X, y)
    return clf._flat.copy(), clf.predict_proba(X), np.asarray(clf.loss_curve_)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_two_runs_are_bitwise_identical(cell):
    first, second = fit_and_predict(cell), fit_and_predict(cell)
    for a, b in zip(first, second, strict=True):
        assert_array_equal(a, b)
    assert not np.array_equal(fit_and_predict(cell, seed=1)[0], first[0])  # the seed matters


CHILD = textwrap.dedent(
    """
    import sys, warnings
    import numpy as np
    sys.path.insert(0, {tests!r})
    warnings.simplefilter("ignore")
    from test_determinism import fit_and_predict
    np.savez({out!r}, *[a for cell in ("rnn", "lstm", "gru") for a in fit_and_predict(cell)])
    """
)


def test_another_process_gives_bitwise_identical_results(tmp_path):
    out = tmp_path / "child.npz"
    code = CHILD.format(tests=os.path.dirname(__file__), out=str(out))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # a different hash seed changes nothing either
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    mine = [a for cell in ("rnn", "lstm", "gru") for a in fit_and_predict(cell)]
    with np.load(out) as child:
        theirs = [child[f"arr_{i}"] for i in range(len(mine))]
    for a, b in zip(mine, theirs, strict=True):
        assert_array_equal(a, b)


def _weights(cell, seed):
    return fit_and_predict(cell, seed)[0]


def test_loky_workers_are_bitwise_identical_to_this_process():
    jobs = [("gru", 0), ("lstm", 1), ("rnn", 2), ("gru", 3)]
    parallel = joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(_weights)(c, s) for c, s in jobs)
    for (cell, seed), w in zip(jobs, parallel, strict=True):
        assert_array_equal(w, _weights(cell, seed))


GRID = {"hidden_size": [3, 6], "cell": ["gru", "lstm"]}
RESULT_KEYS = ["mean_test_score", "std_test_score", "rank_test_score", "split0_test_score", "split1_test_score",
               "split2_test_score"]


def search(n_jobs=None):
    X, y = data()
    est = RNNRegressor(max_iter=3, batch_size=8, random_state=0, dropout=0.2)
    return GridSearchCV(est, GRID, cv=3, n_jobs=n_jobs).fit(X, y.astype(float) + X[:, 0, 0])


def assert_same_results(a, b):
    for key in RESULT_KEYS:
        assert_array_equal(a.cv_results_[key], b.cv_results_[key], err_msg=key)
    assert_array_equal(a.best_estimator_._flat, b.best_estimator_._flat)


def test_grid_search_on_loky_equals_the_sequential_run():
    assert_same_results(search(n_jobs=2), search(n_jobs=None))


def test_grid_search_on_a_dask_cluster_equals_the_sequential_run():
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask")
    # One thread per worker process, and no thread pools inside it: the cluster parallelises across fits.
    env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                 env=env) as cluster,
        distributed.Client(cluster) as client,
    ):
        seen = client.run(lambda: (os.environ.get("NUMBA_NUM_THREADS"), os.environ.get("OMP_NUM_THREADS")))
        assert len(seen) == 2 and set(seen.values()) == {("1", "1")}
        with distributed.get_task_stream(client=client) as tasks, joblib.parallel_config(backend="dask"):
            on_dask = search(n_jobs=-1)
        assert len(tasks.data) >= len(GRID["hidden_size"]) * len(GRID["cell"]) * 3  # the fits ran on the cluster
    assert_same_results(on_dask, search(n_jobs=None))
