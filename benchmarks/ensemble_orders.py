"""The default ensemble's networks reading the training set in one shared minibatch order (as until 2026-12-08)
against an order of each network's own (the library's ``MemberBatches``), same seeds, same process, so that the
comparison does not depend on the machine (some sets' fits do not reproduce bit for bit across machines).

    python benchmarks/ensemble_orders.py --seeds 0 1 2 --sets ArrowHead UnitTest GunPoint CardanoSentiment

Prints each fit and a table of mean±std per set (accuracy, RMSE for regression sets). The figures are in
``benchmarks/results/sequences.txt`` (2026-12-08 study).
"""

import argparse
import time
import warnings

import numpy as np
from bench_sequences import SETS, _score
from sklearn.exceptions import ConvergenceWarning

import skrnn._base as base
from skrnn import RNNClassifier, RNNRegressor

OWN = base.MemberBatches


def shared(inner, n_members):
    """The batches as they were: one order for every network."""
    return inner


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", nargs="+", choices=list(SETS), default=["ArrowHead", "UnitTest", "GunPoint"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = ap.parse_args(argv)
    rows = {}
    for name in args.sets:
        Xtr, ytr, Xte, yte = SETS[name]()
        regression = np.asarray(ytr).dtype.kind == "f"
        for seed in args.seeds:
            for label, batches in (("shared", shared), ("own", OWN)):
                base.MemberBatches = batches
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    est = (RNNRegressor if regression else RNNClassifier)(random_state=seed).fit(Xtr, ytr)
                s = _score(regression, yte, est.predict(Xte))
                rows.setdefault(name, {}).setdefault(label, []).append(s)
                print(f"  {name:22s} seed {seed} {label:6s}: {s:.4f} ({time.perf_counter() - t0:.1f}s, "
                      f"{est.n_iter_} epochs)", flush=True)
    base.MemberBatches = OWN
    print(f"\n{'set':22s} {'shared order':>14s} {'own orders':>14s}  seeds")
    for name, r in rows.items():
        cells = " ".join(f"{np.mean(r[k]):.3f}±{np.std(r[k]):.3f}".rjust(14) for k in ("shared", "own"))
        print(f"{name:22s} {cells}  {len(r['own'])}")


if __name__ == "__main__":
    main()
