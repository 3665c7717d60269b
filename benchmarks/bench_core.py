"""Throughput of skrnn's core against PyTorch CPU, in the same run.

Trains the same many-to-one model (one recurrent layer, softmax head with two
classes, cross-entropy, Adam, gradient clipping by global norm 1.0) with
skrnn's ``Network.loss_grad`` + ``clip_gradient`` + ``Adam.step`` and with
``torch.nn.RNN/LSTM/GRU`` + ``nn.Linear`` on ``h_n`` + ``torch.optim.Adam`` +
``clip_grad_norm_``, from identical weights and data, one thread each.
Inference is the forward pass only (``Network.predict`` against torch under
``inference_mode``).  Repetitions of the two are interleaved and the median
throughput is reported, which keeps a noisy shared machine from favouring
either side.

Run ``python benchmarks/bench_core.py --help`` for the options.
"""

import argparse
import statistics
import time

import numpy as np
import scipy.linalg.cython_blas  # noqa: F401 - the BLAS Numba's np.dot calls: loaded before threadpool_limits
import torch
from threadpoolctl import threadpool_limits

from skrnn._nn.network import Network
from skrnn._nn.optim import Adam, clip_gradient
from skrnn._nn.params import Architecture, initialize

CONFIGS = {  # name: (D, H, T, B)
    "tiny": (1, 16, 24, 32),
    "small": (1, 32, 50, 32),
    "medium": (8, 64, 100, 64),
    "large": (32, 256, 100, 64),
    "long": (1, 32, 1000, 16),
}
CELLS = ("rnn", "lstm", "gru")
DTYPES = {"float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64)}
TORCH_CELLS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
N_CLASSES = 2


def make_problem(cell, cfg, dtype_name, seed=0):
    D, H, T, B = CONFIGS[cfg]
    np_dtype, torch_dtype = DTYPES[dtype_name]
    rng = np.random.default_rng(seed)
    arch = Architecture(cell, D, H, N_CLASSES)
    net = Network(arch, "softmax")
    flat = initialize(net.layout, rng, np_dtype)
    X = rng.standard_normal((T, B, D)).astype(np_dtype)
    lengths = np.full(B, T, dtype=np.int64)
    labels = rng.integers(0, N_CLASSES, B)
    Y = np.eye(N_CLASSES, dtype=np_dtype)[labels]

    rnn = TORCH_CELLS[cell](D, H, batch_first=False).to(torch_dtype)
    head = torch.nn.Linear(H, N_CLASSES).to(torch_dtype)
    state = net.layout.to_state_dict(flat)
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            p.copy_(torch.from_numpy(state[name]))
        head.weight.copy_(torch.from_numpy(state["head.weight"]))
        head.bias.copy_(torch.from_numpy(state["head.bias"]))
    sk = {"net": net, "flat": flat, "grad": np.zeros_like(flat), "X": X, "lengths": lengths, "Y": Y,
          "opt": Adam(flat.size, np_dtype, learning_rate=1e-3)}
    params = list(rnn.parameters()) + list(head.parameters())
    th = {"rnn": rnn, "head": head, "params": params, "X": torch.from_numpy(X),
          "y": torch.from_numpy(labels), "opt": torch.optim.Adam(params, lr=1e-3), "cell": cell}
    return sk, th


def skrnn_train(sk):
    loss = sk["net"].loss_grad(sk["flat"], sk["grad"], sk["X"], sk["lengths"], sk["Y"])
    clip_gradient(sk["grad"], clip_norm=1.0)
    sk["opt"].step(sk["flat"], sk["grad"])
    return loss


def skrnn_infer(sk):
    return sk["net"].predict(sk["flat"], sk["X"], sk["lengths"])


def _torch_logits(th):
    _, h = th["rnn"](th["X"])
    h_n = h[0] if th["cell"] == "lstm" else h
    return th["head"](h_n[-1])


def torch_train(th):
    th["opt"].zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(_torch_logits(th), th["y"])
    loss.backward()
    torch.nn.utils.clip_grad_norm_(th["params"], 1.0)
    th["opt"].step()
    return loss


def torch_infer(th):
    with torch.inference_mode():
        return torch.softmax(_torch_logits(th), dim=-1)


CLOCK = {"cpu": time.process_time, "wall": time.perf_counter}
_clock = CLOCK["wall"]


def _calls_for(fn, arg, budget):
    """Number of calls that take about ``budget`` seconds (at least 1)."""
    t0 = _clock()
    fn(arg)
    dt = max(_clock() - t0, 1e-6)
    return max(1, int(budget / dt))


def _rate(fn, arg, n, B):
    t0 = _clock()
    for _ in range(n):
        fn(arg)
    return n * B / max(_clock() - t0, 1e-9)


def measure(sk_fn, th_fn, sk, th, B, reps, budget):
    """Median sequences/s of both, repetitions interleaved (order alternating)."""
    for _ in range(2):  # warm up: compilation, allocator, oneDNN primitive caches
        sk_fn(sk)
        th_fn(th)
    n_sk = _calls_for(sk_fn, sk, budget)
    n_th = _calls_for(th_fn, th, budget)
    rs, rt = [], []
    for r in range(reps):
        if r % 2:
            rt.append(_rate(th_fn, th, n_th, B))
            rs.append(_rate(sk_fn, sk, n_sk, B))
        else:
            rs.append(_rate(sk_fn, sk, n_sk, B))
            rt.append(_rate(th_fn, th, n_th, B))
    return statistics.median(rs), statistics.median(rt)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--cells", nargs="+", default=list(CELLS), choices=list(CELLS))
    p.add_argument("--dtypes", nargs="+", default=list(DTYPES), choices=list(DTYPES))
    p.add_argument("--modes", nargs="+", default=["train", "infer"], choices=["train", "infer"])
    p.add_argument("--reps", type=int, default=7, help="interleaved repetitions (median taken)")
    p.add_argument("--budget", type=float, default=0.25, help="seconds per repetition and side")
    p.add_argument("--quick", action="store_true", help="3 repetitions of ~0.08 s")
    p.add_argument("--clock", choices=list(CLOCK), default="wall",
                   help="wall: elapsed time; cpu: the process's CPU time (both sides run on one thread; far less "
                        "disturbed by other processes on a shared machine)")
    args = p.parse_args(argv)
    global _clock
    _clock = CLOCK[args.clock]
    if args.quick:
        args.reps, args.budget = 3, 0.08
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, threads 1, BLAS threads 1, reps {args.reps}, budget {args.budget}s, "
          f"{args.clock} clock")
    head = (f"{'mode':<6}{'dtype':<8}{'cell':<5}{'config':<8}{'(D,H,T,B)':<18}"
            f"{'skrnn seq/s':>13}{'torch seq/s':>13}{'ratio':>8}")
    print(head)
    print("-" * len(head))
    with threadpool_limits(limits=1):
        for mode in args.modes:
            sk_fn, th_fn = (skrnn_train, torch_train) if mode == "train" else (skrnn_infer, torch_infer)
            for dtype in args.dtypes:
                for cell in args.cells:
                    for cfg in args.configs:
                        sk, th = make_problem(cell, cfg, dtype)
                        B = CONFIGS[cfg][3]
                        s, t = measure(sk_fn, th_fn, sk, th, B, args.reps, args.budget)
                        print(f"{mode:<6}{dtype:<8}{cell:<5}{cfg:<8}{str(CONFIGS[cfg]):<18}"
                              f"{s:>13.0f}{t:>13.0f}{s / t:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
