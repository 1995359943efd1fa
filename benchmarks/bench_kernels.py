"""Wall times of kernel evaluation on a 4000 x 4000 Gram matrix of inner products.

Run from the repository root::

    python benchmarks/bench_kernels.py [n] [d]

For ReLU (arc-cosine closed form), tanh (truncated Mercer series, Clenshaw) and a few
others, it prints the construction time of the :class:`Kernel` (for tanh: the Funk-Hecke
quadrature), the number of Mercer terms, the time of a first and of a repeated
evaluation of ``kappa(W W^T)`` for ``n`` weights uniform on :math:`S^{d-1}` (default
``n = 4000``, ``d = 20``), and the evaluation cost per entry.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from w2s_theory._src.kernels import _build, kernel
from w2s_theory._src.sphere import sample_sphere

ACTIVATIONS = ("relu", "tanh", "leaky_relu", "relu^3", "erf")


def main(n: int = 4000, d: int = 20) -> None:
    W = sample_sphere(n, d, np.random.default_rng(0))
    G = W @ W.T                  # inner products; the diagonal exceeds 1 by rounding
    print(f"kappa(W W^T), W: {n} x {d}, {G.size:,} entries")
    print(f"{'activation':>11} {'method':>24} {'terms':>6} {'build':>8} "
          f"{'first':>8} {'repeat':>8} {'ns/entry':>9}")
    for name in ACTIVATIONS:
        _build.cache_clear()
        t0 = time.perf_counter()
        k = kernel(name, d)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        k(G)
        first = time.perf_counter() - t0
        reps = []
        for _ in range(2):
            t0 = time.perf_counter()
            k(G)
            reps.append(time.perf_counter() - t0)
        rep = min(reps)
        terms = "-" if k.degrees is None else str(k.degrees)
        print(f"{name:>11} {k.method:>24} {terms:>6} {build:8.3f} {first:8.3f} "
              f"{rep:8.3f} {1e9 * rep / G.size:9.1f}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
