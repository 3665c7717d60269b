"""Compile time of what one fit needs, per cell and dtype.

For each cell x dtype, a fresh Python process with an empty ``NUMBA_CACHE_DIR``
imports skrnn's core and makes the first ``Network.loss_grad`` and
``Network.predict`` calls (every kernel one training fit of that cell and dtype
compiles).  A second fresh process, with the cache now warm, times import +
the first training step (``loss_grad`` + ``clip_gradient`` + ``Adam.step``) +
``predict``.  Targets (issue 2): cold <= 10 s, warm <= 1.5 s.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from skrnn._nn.network import Network
from skrnn._nn.optim import Adam, clip_gradient
from skrnn._nn.params import Architecture, initialize
t1 = time.perf_counter()
cell, dtype = sys.argv[1], np.dtype(sys.argv[2])
T, B, D, H = 20, 8, 3, 16
rng = np.random.default_rng(0)
net = Network(Architecture(cell, D, H, 2), "softmax")
flat = initialize(net.layout, rng, dtype)
grad = np.zeros_like(flat)
X = rng.standard_normal((T, B, D)).astype(dtype)
lengths = np.full(B, T, dtype=np.int64)
Y = np.eye(2, dtype=dtype)[rng.integers(0, 2, B)]
opt = Adam(flat.size, dtype)
net.loss_grad(flat, grad, X, lengths, Y)
clip_gradient(grad, clip_norm=1.0)
opt.step(flat, grad)
net.predict(flat, X, lengths)
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t1}))
"""


def run(cell, dtype, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    env.pop("SKRNN_DISABLE_CACHE", None)
    out = subprocess.run([sys.executable, "-c", CHILD, cell, dtype], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cells", nargs="+", default=["rnn", "lstm", "gru"])
    p.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    args = p.parse_args(argv)
    head = f"{'cell':<6}{'dtype':<9}{'cold import':>12}{'cold 1st fit':>13}{'cold total':>11}" \
           f"{'warm import':>12}{'warm 1st fit':>13}{'warm total':>11}"
    print(head)
    print("-" * len(head))
    for cell in args.cells:
        for dtype in args.dtypes:
            cache = tempfile.mkdtemp(prefix="skrnn-numba-")
            try:
                cold = run(cell, dtype, cache)
                warm = run(cell, dtype, cache)
            finally:
                shutil.rmtree(cache, ignore_errors=True)
            print(f"{cell:<6}{dtype:<9}{cold['import']:>12.2f}{cold['first']:>13.2f}"
                  f"{cold['import'] + cold['first']:>11.2f}{warm['import']:>12.2f}{warm['first']:>13.2f}"
                  f"{warm['import'] + warm['first']:>11.2f}", flush=True)


if __name__ == "__main__":
    main()
