"""How close ``predict`` is to the BLAS: achieved GFLOP/s of skrnn and PyTorch
against the machine's single-thread sgemm/dgemm rate, and the highest
``torch / skrnn`` ratio that equal arithmetic allows.

A forward pass over ``N`` sequences of ``T`` steps costs, in multiply-adds
counted twice (the products alone; the elementwise gate updates are extra)::

    FLOPs = 2 * (D + H) * G * H * T * N        G = 4 (LSTM), 3 (GRU), 1 (Elman)

which both libraries perform (skrnn's LSTM adds the bias as a row of the
product, a ``1 / (D + H)`` share more).  For every config x cell this prints
that count, the predict time (process CPU time, minimum of the repetitions,
one thread each) of skrnn's estimator, of its network alone on time-major
chunks already converted, and of PyTorch (``bench_fit.torch_predict``), each
as GFLOP/s; the rate of the product each skrnn step runs (NumPy's BLAS on
the same shape); and ``max ratio = torch time / (FLOPs / peak)``: the
``pred vs torch`` that a predict running every product at the measured peak
with free elementwise work would reach.  Below 2, ``predict >= 2x PyTorch``
cannot be met without doing less arithmetic than PyTorch.

Run ``python benchmarks/bench_flops.py --help`` for the options.
"""

import argparse
import time

import numpy as np
import scipy.linalg.cython_blas  # noqa: F401 - the BLAS Numba's np.dot calls: loaded before threadpool_limits
import torch
from bench_fit import CONFIGS, DTYPES, N_DEFAULT, make_data, skrnn_fit, torch_fit, torch_predict
from threadpoolctl import threadpool_limits

from skrnn._base import prepare_input
from skrnn._validation import check_sequences

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def best(fn, reps):
    """Minimum process CPU time of ``reps`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def gemm_rate(m, k, n, dtype, reps):
    """GFLOP/s of ``(m, k) @ (k, n)`` into a reused output, NumPy's BLAS."""
    rng = np.random.default_rng(0)
    a, b = rng.random((m, k)).astype(dtype), rng.random((k, n)).astype(dtype)
    c = np.empty((m, n), dtype=dtype)
    inner = max(1, int(2e9 // (2 * m * k * n)))  # about a second of products per repetition
    t = best(lambda: [np.dot(a, b, out=c) for _ in range(inner)], reps) / inner
    return 2 * m * k * n / t / 1e9


def step_product(cell, D, H, B):
    """The product one skrnn time step runs (LSTM: ``[h | x | 1] @ [W_hh^T; W_ih^T; b]``)."""
    if cell == "lstm":
        return B, H + D + 1, 4 * H
    return B, H, GATES[cell] * H


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", nargs="+", default=["large", "medium"], choices=list(CONFIGS))
    p.add_argument("--cells", nargs="+", default=["lstm", "gru"], choices=list(GATES))
    p.add_argument("--dtypes", nargs="+", default=["float32"], choices=list(DTYPES))
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        for dtype in args.dtypes:
            np_dtype = DTYPES[dtype][0]
            peak = gemm_rate(2048, 2048, 2048, np_dtype, args.reps)
            print(f"{dtype}: single-thread peak (2048, 2048) @ (2048, 2048), NumPy's BLAS: {peak:.1f} GFLOP/s")
            head = (f"{'cell':<5}{'config':<7}{'GFLOP':>7}{'step product':>22}{'its GFLOP/s':>12}"
                    f"{'skrnn ms':>9}{'GFLOP/s':>8}{'net ms':>8}{'GFLOP/s':>8}{'torch ms':>9}{'GFLOP/s':>8}"
                    f"{'vs torch':>9}{'max ratio':>10}")
            print(head)
            print("-" * len(head))
            for cell in args.cells:
                for cfg in args.configs:
                    D, H, T, B = CONFIGS[cfg]
                    n = N_DEFAULT[cfg]
                    X, y = make_data(cfg, dtype, n)
                    est = skrnn_fit(cell, cfg, X, y, 1)
                    model = torch_fit(cell, cfg, X, y, 1, dtype)
                    net, flat = est._model(), est._flat
                    chunks = list(prepare_input(est, check_sequences(est, X, reset=False))
                                  .time_major_chunks(1024, flat.dtype))
                    flop = 2 * (D + H) * GATES[cell] * H * T * n
                    m, k, nn = step_product(cell, D, H, min(n, 1024))
                    step = gemm_rate(m, k, nn, np_dtype, args.reps)
                    t_est = best(lambda: est.predict(X), args.reps)  # noqa: B023 - called at once
                    t_net = best(lambda: [net.predict(flat, Xb, L) for Xb, L in chunks], args.reps)  # noqa: B023
                    t_torch = best(lambda: torch_predict(model, cell, X), args.reps)  # noqa: B023
                    g = flop / 1e9
                    print(f"{cell:<5}{cfg:<7}{g:>7.2f}{f'({m},{k})@({k},{nn})':>22}{step:>12.1f}"
                          f"{1e3 * t_est:>9.1f}{g / t_est:>8.1f}{1e3 * t_net:>8.1f}{g / t_net:>8.1f}"
                          f"{1e3 * t_torch:>9.1f}{g / t_torch:>8.1f}{t_torch / t_est:>9.2f}"
                          f"{t_torch / (g / peak):>10.2f}", flush=True)


if __name__ == "__main__":
    main()
