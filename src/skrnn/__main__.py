"""``python -m skrnn``: the demo.

Fits an :class:`~skrnn.RNNClassifier` on scikit-learn's handwritten digits,
each 8x8 image read row by row as a sequence of 8 steps of 8 pixels, under a
small GridSearchCV over hidden size and initialiser; prints the search scores
and the accuracy on a held-out quarter of the data.  No download: the digits
ship with scikit-learn.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split

from . import RNNClassifier, __version__


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skrnn", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid, for a smoke test")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 8, 8)  # (n_samples, n_timesteps=8 rows, n_features=8 pixels)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    print(f"skrnn {__version__}: digits read row by row, X_train {X_train.shape}, X_test {X_test.shape}")

    grid = {"hidden_size": [32, 64], "initializer": ["xavier_uniform", "he_normal"]}
    if args.quick:
        grid = {"hidden_size": [16, 32], "initializer": ["xavier_uniform"]}
    search = GridSearchCV(RNNClassifier(random_state=0), grid, cv=3, n_jobs=-1)
    progress = _progress_bar()
    if progress is not None:
        search.set_callbacks(progress)  # nested bars: the search, each candidate and fold, their epochs
    t0 = time.perf_counter()
    search.fit(X_train, y_train)
    elapsed = time.perf_counter() - t0
    res = search.cv_results_
    print(f"\nGridSearchCV over {grid} (3-fold, {elapsed:.1f} s)")
    for params, mean, std in zip(res["params"], res["mean_test_score"], res["std_test_score"], strict=True):
        print(f"  {params}: {mean:.4f} +/- {std:.4f}")
    best = search.best_estimator_
    print(f"\nbest: {search.best_params_}, trained {best.n_iter_} epochs, final loss {best.loss_:.4f}")
    acc = best.score(X_test, y_test)
    print(f"test accuracy: {acc:.4f}")
    pred = best.predict(X_test[:10])
    print(f"first ten test digits: true {y_test[:10].tolist()}")
    print(f"                       pred {np.asarray(pred).tolist()}")
    return acc


def _progress_bar():
    """scikit-learn's ProgressBar (it needs rich: ``pip install -e ".[demo]"``), or None with a hint."""
    try:
        from sklearn.callback import ProgressBar

        return ProgressBar(max_propagation_depth=None)
    except ImportError:
        print("(install rich, e.g. pip install -e \".[demo]\", to see progress bars while the search runs)")
        return None


if __name__ == "__main__":
    main()
