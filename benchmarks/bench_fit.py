"""End-to-end ``fit`` and ``predict`` of the estimators against PyTorch CPU and
scikit-learn's ``MLPClassifier``, in the same run, and where an epoch's time goes.

For every config x cell x dtype, on the same data (``N`` sequences of shape
``(T, D)``, two classes) and one thread each:

* **skrnn**: ``RNNClassifier(cell, hidden_size=H, batch_size=B, max_iter=E,
  tol=0, patch_size=1).fit(X, y)`` as a user calls it (defaults otherwise:
  Adam ``learning_rate_init=0.005``, ``clip_norm=5.0``, L2 ``alpha=1e-4`` on
  the weights, shuffling, input standardisation), then ``predict(X)``.
  ``patch_size=1`` keeps the model PyTorch's: the default ``'auto'`` reads
  sequences longer than 32 steps in wider, fewer steps.
* **torch**: the loop a PyTorch user writes for the same model and objective:
  ``nn.RNN/LSTM/GRU`` + ``nn.Linear`` on ``h_n``, cross-entropy plus the same
  L2 term ``0.5 * alpha * ||W||^2 / B`` on the weight matrices, ``Adam``,
  ``clip_grad_norm_``, a ``randperm`` shuffle per epoch, ``loss.item()`` per
  batch; from the NumPy array (its conversion is timed, as skrnn's
  validation is).  Predict: ``argmax`` of the forward pass under
  ``inference_mode``.
* **mlp**: ``MLPClassifier(hidden_layer_sizes=(H,), batch_size=B, max_iter=E,
  tol=0)`` on the flattened windows ``X.reshape(N, T * D)`` (a different
  model: what the same data costs with scikit-learn's own network).
* **core**: skrnn's core alone on the same minibatches, already cut,
  time-major and contiguous (``Network.loss_grad`` + ``clip_gradient`` +
  ``Adam.step``, as ``bench_core.py``), ``E`` epochs: the floor a fit could
  reach.  ``fit/core`` is the estimator path's overhead (target <= 1.3).

Repetitions of the four are interleaved (the order rotates) and medians
reported.  Times are the process's CPU time (``--clock cpu``, the default):
every side computes on one thread, and on a shared machine CPU time is far
less disturbed by other processes than elapsed time (``--clock wall``),
which under load measured a predict at 4x its CPU time.  Ratios:
``vs torch = torch time / skrnn time`` (above 1: skrnn is faster), likewise
``vs mlp``.

``--profile`` prints, for the chosen combinations, a cProfile summary of one
fit: the kernels (Numba dispatchers), the network's Python around them, the
training loop and everything else, and the functions with the most own time.

``--startup`` runs fresh processes with a warm Numba cache: ``import skrnn``
plus a first small ``RNNClassifier`` fit and predict, against ``import
sklearn.neural_network`` plus a first ``MLPClassifier`` fit and predict; and a
floor: ``import skrnn`` plus the first call of one tiny cached kernel (the
optimiser's), i.e. importing Numba and loading one function from its cache,
which any Numba-backed first fit pays at least.

Run ``python benchmarks/bench_fit.py --help`` for the options.
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy.linalg.cython_blas  # noqa: F401 - the BLAS Numba's np.dot calls: loaded before threadpool_limits
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from skrnn import RNNClassifier
from skrnn._nn.network import Network
from skrnn._nn.optim import Adam, clip_gradient
from skrnn._nn.params import Architecture

CONFIGS = {  # name: (D, H, T, B), as bench_core.py
    "tiny": (1, 16, 24, 32),
    "small": (1, 32, 50, 32),
    "medium": (8, 64, 100, 64),
    "large": (32, 256, 100, 64),
    "long": (1, 32, 1000, 16),
}
N_DEFAULT = {"tiny": 1024, "small": 1024, "medium": 1024, "large": 512, "long": 256}
CELLS = ("rnn", "lstm", "gru")
DTYPES = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}
TORCH_CELLS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
LR, CLIP, ALPHA = 0.005, 5.0, 1e-4  # RNNClassifier's defaults
# patch_size='auto' would read T > 32 steps as fewer, wider steps, and bidirectional='auto' would run a second,
# backward direction: other models than PyTorch's one-directional one
SAME_MODEL = {k: v for k, v in {"patch_size": 1, "bidirectional": False}.items() if k in RNNClassifier().get_params()}


def make_data(cfg, dtype_name, n, seed=0):
    D, H, T, B = CONFIGS[cfg]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, T, D)).astype(DTYPES[dtype_name][0])
    y = (X[:, :, 0].sum(axis=1) > 0).astype(np.int64)
    return X, y


# ----------------------------------------------------------------- the sides
def skrnn_fit(cell, cfg, X, y, epochs):
    D, H, T, B = CONFIGS[cfg]
    clf = RNNClassifier(cell=cell, hidden_size=H, batch_size=B, max_iter=epochs, tol=0, random_state=0,
                        learning_rate_init=LR, clip_norm=CLIP, alpha=ALPHA, **SAME_MODEL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


def torch_fit(cell, cfg, X, y, epochs, dtype_name):
    D, H, T, B = CONFIGS[cfg]
    tdtype = DTYPES[dtype_name][1]
    torch.manual_seed(0)
    rnn = TORCH_CELLS[cell](D, H).to(tdtype)
    head = torch.nn.Linear(H, 2).to(tdtype)
    params = list(rnn.parameters()) + list(head.parameters())
    weights = [p for name, p in rnn.named_parameters() if name.startswith("weight")] + [head.weight]
    opt = torch.optim.Adam(params, lr=LR)
    Xt = torch.from_numpy(np.ascontiguousarray(X.transpose(1, 0, 2)))  # time-major, as skrnn's batches
    yt = torch.from_numpy(y)
    n = len(y)
    for _ in range(epochs):
        perm = torch.randperm(n)
        total = 0.0
        for a in range(0, n, B):
            idx = perm[a:a + B]
            xb, yb = Xt[:, idx], yt[idx]
            opt.zero_grad(set_to_none=True)
            _, h = rnn(xb)
            logits = head((h[0] if cell == "lstm" else h)[-1])
            loss = torch.nn.functional.cross_entropy(logits, yb)
            loss = loss + (0.5 * ALPHA / len(idx)) * sum((w * w).sum() for w in weights)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, CLIP)
            opt.step()
            total += loss.item() * len(idx)
    return rnn, head


def torch_predict(model, cell, X, chunk=1024):
    rnn, head = model
    out = []
    with torch.inference_mode():
        Xt = torch.from_numpy(np.ascontiguousarray(X.transpose(1, 0, 2)))
        for a in range(0, Xt.shape[1], chunk):
            _, h = rnn(Xt[:, a:a + chunk])
            out.append(head((h[0] if cell == "lstm" else h)[-1]).argmax(1))
    return torch.cat(out).numpy()


def mlp_fit(cfg, X, y, epochs):
    D, H, T, B = CONFIGS[cfg]
    mlp = MLPClassifier(hidden_layer_sizes=(H,), batch_size=B, max_iter=epochs, tol=0, random_state=0,
                        learning_rate_init=LR, alpha=ALPHA, n_iter_no_change=epochs + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return mlp.fit(X.reshape(len(X), -1), y)


class Core:
    """skrnn's core on the minibatches of ``E`` epochs, cut beforehand (not timed)."""

    def __init__(self, cell, cfg, X, y, epochs, seed=0):
        D, H, T, B = CONFIGS[cfg]
        self.net = Network(Architecture(cell, D, H, 2), "softmax")
        rng = np.random.RandomState(seed)
        self.flat0 = self.net.initialize(rng, X.dtype.type)
        Y = np.eye(2, dtype=X.dtype)[y]
        Xt = np.ascontiguousarray(X.transpose(1, 0, 2))
        n = len(y)
        self.batches = []
        for _ in range(epochs):
            order = rng.permutation(n)
            for a in range(0, n, B):
                idx = order[a:a + B]
                self.batches.append((np.ascontiguousarray(Xt[:, idx]), np.full(len(idx), T, dtype=np.int64),
                                     Y[idx]))

    def __call__(self):
        flat = self.flat0.copy()
        grad = np.zeros_like(flat)
        opt = Adam(flat.size, flat.dtype, learning_rate=LR)
        with threadpool_limits(limits=1, user_api="blas"):  # what the estimator does around a fit
            for Xb, L, Yb in self.batches:
                self.net.loss_grad(flat, grad, Xb, L, Yb)
                clip_gradient(grad, clip_norm=CLIP)
                opt.step(flat, grad)
        return flat


# ---------------------------------------------------------------- measuring
CLOCK = {"cpu": time.process_time, "wall": time.perf_counter}
STATS = {"median": statistics.median, "min": min}
_clock, _stat = CLOCK["cpu"], "median"


def _timed(fn):
    t0 = _clock()
    out = fn()
    return _clock() - t0, out


def measure(cell, cfg, dtype_name, n, epochs, reps, with_mlp=True):
    """Median seconds of each side's fit (``E`` epochs) and predict (``N`` sequences)."""
    X, y = make_data(cfg, dtype_name, n)
    Xflat = X.reshape(len(X), -1)
    core = Core(cell, cfg, X, y, epochs)
    sides = {
        "skrnn": lambda: skrnn_fit(cell, cfg, X, y, epochs),
        "torch": lambda: torch_fit(cell, cfg, X, y, epochs, dtype_name),
        "core": core,
    }
    if with_mlp:
        sides["mlp"] = lambda: mlp_fit(cfg, X, y, epochs)
    predicts = {
        "skrnn": lambda m: m.predict(X),
        "torch": lambda m: torch_predict(m, cell, X),
        "mlp": lambda m: m.predict(Xflat),
    }
    models = {name: fn() for name, fn in sides.items()}  # warm up: compilation, allocators, caches
    for name, m in models.items():
        if name in predicts:
            predicts[name](m)
    fit_t = {k: [] for k in sides}
    pred_t = {k: [] for k in sides if k in predicts}
    names = list(sides)
    for r in range(reps):
        for name in names[r % len(names):] + names[:r % len(names)]:
            dt, m = _timed(sides[name])
            fit_t[name].append(dt)
            if name in predicts:
                dt, _ = _timed(lambda: predicts[name](m))  # noqa: B023 - called at once
                pred_t[name].append(dt)
    stat = STATS[_stat]
    return {k: stat(v) for k, v in fit_t.items()}, {k: stat(v) for k, v in pred_t.items()}


def run_table(args):
    print(f"torch {torch.__version__}, threads 1, BLAS threads 1, epochs {args.epochs}, reps {args.reps}, "
          f"{args.clock} clock, {args.stat}")
    head = (f"{'dtype':<8}{'cell':<5}{'config':<7}{'N':>5}{'fit s':>8}{'epoch ms':>9}{'core ms':>9}"
            f"{'fit/core':>9}{'vs torch':>9}{'vs mlp':>8}{'pred ms':>9}{'pred vs torch':>14}{'vs mlp':>8}")
    print(head)
    print("-" * len(head))
    rows = []
    for dtype in args.dtypes:
        for cell in args.cells:
            for cfg in args.configs:
                n = args.n or N_DEFAULT[cfg]
                fit, pred = measure(cell, cfg, dtype, n, args.epochs, args.reps, not args.no_mlp)
                e = args.epochs
                row = {"dtype": dtype, "cell": cell, "config": cfg, "n": n, "fit": fit, "predict": pred}
                rows.append(row)
                mlp_fit_r = f"{fit['mlp'] / fit['skrnn']:>8.2f}" if "mlp" in fit else f"{'-':>8}"
                mlp_pred_r = f"{pred['mlp'] / pred['skrnn']:>8.2f}" if "mlp" in pred else f"{'-':>8}"
                print(f"{dtype:<8}{cell:<5}{cfg:<7}{n:>5}{fit['skrnn']:>8.3f}{1e3 * fit['skrnn'] / e:>9.2f}"
                      f"{1e3 * fit['core'] / e:>9.2f}{fit['skrnn'] / fit['core']:>9.2f}"
                      f"{fit['torch'] / fit['skrnn']:>9.2f}{mlp_fit_r}{1e3 * pred['skrnn']:>9.2f}"
                      f"{pred['torch'] / pred['skrnn']:>14.2f}{mlp_pred_r}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


# ---------------------------------------------------------------- profiling
def _bucket(filename, funcname):
    if "/skrnn/_nn/kernels/" in filename:
        return "kernels (Numba)"
    if "/skrnn/_nn/" in filename:
        return "network, heads, optimiser (Python + NumPy/BLAS)"
    if filename.endswith("skrnn/_training.py"):
        return "training loop (_training.py)"
    if "/skrnn/" in filename:
        return "estimator (validation, targets, setup)"
    if "threadpoolctl" in filename:
        return "threadpoolctl"
    return "other (NumPy, sklearn, builtins)"


def profile_one(cell, cfg, dtype_name, n, epochs):
    X, y = make_data(cfg, dtype_name, n)
    skrnn_fit(cell, cfg, X, y, epochs)  # warm up
    core = Core(cell, cfg, X, y, epochs)
    core()
    t_core = min(_timed(core)[0] for _ in range(3))
    t_fit = min(_timed(lambda: skrnn_fit(cell, cfg, X, y, epochs))[0] for _ in range(3))
    prof = cProfile.Profile()
    prof.enable()
    skrnn_fit(cell, cfg, X, y, epochs)
    prof.disable()
    st = pstats.Stats(prof)
    buckets = {}
    total = 0.0
    for (filename, _, funcname), (_, _, tt, _, _) in st.stats.items():
        b = _bucket(filename, funcname)
        buckets[b] = buckets.get(b, 0.0) + tt
        total += tt
    print(f"\n== {dtype_name} {cell} {cfg} {CONFIGS[cfg]} N={n}, {epochs} epochs: fit {1e3 * t_fit / epochs:.2f} "
          f"ms/epoch, core on the same batches {1e3 * t_core / epochs:.2f} ms/epoch (fit/core "
          f"{t_fit / t_core:.2f}); cProfile own time by part (profiled fit {1e3 * total:.1f} ms):")
    for b, t in sorted(buckets.items(), key=lambda kv: -kv[1]):
        print(f"   {100 * t / total:5.1f} %  {1e3 * t:8.2f} ms  {b}")
    print("   top functions by own time:")
    rows = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:14]
    for (filename, line, funcname), (_, nc, tt, _, _) in rows:
        where = filename.split("site-packages/")[-1].split("/work/wt/")[-1]
        print(f"   {1e3 * tt:8.2f} ms {nc:>7} calls  {funcname} ({where}:{line})")


# ------------------------------------------------------------------ startup
STARTUP_CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
which = sys.argv[1]
if which == "skrnn":
    import skrnn
    Est = lambda: skrnn.RNNClassifier(hidden_size=16, max_iter=2, random_state=0)
elif which == "floor":
    import skrnn
    class Est:  # the least a Numba-backed first fit runs: import numba, load one cached kernel, call it
        def fit(self, X, y):
            from skrnn._nn.kernels import optim
            p = np.zeros(1)
            optim.sgd(p, p.copy(), p.copy(), 0.0, 0.0, False)
            return self
        def predict(self, X):
            return None
else:
    import sklearn.neural_network
    Est = lambda: sklearn.neural_network.MLPClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0)
t1 = time.perf_counter()
import numpy as np
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 20))
y = (X.sum(1) > 0).astype(int)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    est = Est().fit(X, y)
est.predict(X)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "modules": len(sys.modules)}))
"""


def run_startup(args):
    env = dict(os.environ)
    env.pop("SKRNN_DISABLE_CACHE", None)
    # bytecode caching on, as in any installation (pip compiles .pyc files): with
    # PYTHONDONTWRITEBYTECODE set, an editable skrnn compiled all its modules from source in
    # every process (~0.15 s) while scikit-learn's came from .pyc files; the warm-up run writes them
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    sides = ("skrnn", "sklearn", "floor")
    res = {k: [] for k in sides}
    for which in sides:  # warm-up: Numba cache, .pyc files, OS file cache
        subprocess.run([sys.executable, "-c", STARTUP_CHILD, which], env=env, check=True, capture_output=True)
    for r in range(args.startup_reps):
        for which in (sides if r % 2 == 0 else sides[::-1]):
            out = subprocess.run([sys.executable, "-c", STARTUP_CHILD, which], env=env, check=True,
                                 capture_output=True, text=True)
            res[which].append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {k: {f: statistics.median(d[f] for d in v) for f in ("import", "first", "modules")}
           for k, v in res.items()}
    print(f"\nFresh process, warm Numba cache ({os.environ.get('NUMBA_CACHE_DIR', 'default cache dir')}), "
          f"median of {args.startup_reps}:")
    print(f"{'':<34}{'import s':>9}{'first fit+predict s':>21}{'total s':>9}{'modules':>9}")
    for k, label in (("skrnn", "import skrnn; RNNClassifier"), ("sklearn", "import sklearn.neural_network; MLP"),
                     ("floor", "import skrnn; one cached kernel")):
        m = med[k]
        print(f"{label:<34}{m['import']:>9.3f}{m['first']:>21.3f}{m['import'] + m['first']:>9.3f}"
              f"{int(m['modules']):>9}")
    s, k, f = med["skrnn"], med["sklearn"], med["floor"]
    print(f"ratio skrnn / sklearn: import {s['import'] / k['import']:.2f}, total "
          f"{(s['import'] + s['first']) / (k['import'] + k['first']):.2f} (target <= 1.2); floor / sklearn: total "
          f"{(f['import'] + f['first']) / (k['import'] + k['first']):.2f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--cells", nargs="+", default=list(CELLS), choices=list(CELLS))
    p.add_argument("--dtypes", nargs="+", default=list(DTYPES), choices=list(DTYPES))
    p.add_argument("--epochs", type=int, default=3, help="epochs per fit (max_iter)")
    p.add_argument("--n", type=int, default=None, help=f"sequences (default per config: {N_DEFAULT})")
    p.add_argument("--reps", type=int, default=5, help="interleaved repetitions (median taken)")
    p.add_argument("--quick", action="store_true", help="3 repetitions, 2 epochs")
    p.add_argument("--no-mlp", action="store_true", help="skip MLPClassifier")
    p.add_argument("--profile", action="store_true", help="epoch profiles instead of the table")
    p.add_argument("--startup", action="store_true", help="import + first fit in fresh processes instead")
    p.add_argument("--startup-reps", type=int, default=7)
    p.add_argument("--clock", choices=list(CLOCK), default="cpu",
                   help="cpu: the process's CPU time (default; robust to other processes on a shared machine, "
                        "every side runs on one thread); wall: elapsed time")
    p.add_argument("--stat", choices=list(STATS), default="median",
                   help="statistic over the repetitions (min: other processes only ever add time)")
    p.add_argument("--json", help="also write the table's figures to this file")
    args = p.parse_args(argv)
    global _clock, _stat
    _clock, _stat = CLOCK[args.clock], args.stat
    if args.quick:
        args.reps, args.epochs = 3, 2
    if args.startup:
        return run_startup(args)
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        if args.profile:
            for dtype in args.dtypes:
                for cell in args.cells:
                    for cfg in args.configs:
                        profile_one(cell, cfg, dtype, args.n or N_DEFAULT[cfg], args.epochs)
        else:
            run_table(args)


if __name__ == "__main__":
    main()
