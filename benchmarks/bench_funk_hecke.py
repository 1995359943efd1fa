"""Wall times of the Funk-Hecke projection: tanh coefficients c_0..c_200.

Run from the repository root::

    python benchmarks/bench_funk_hecke.py

For d = 6 and d = 1000, in float64 and at 50 digits, it prints the wall time of a first
call (empty node caches) and of a repeated call (tanh-sinh nodes cached), the number of
quadrature nodes, and the largest reported error relative to sqrt(E[tanh^2]).
"""

from __future__ import annotations

import math
import time

import mpmath
import numpy as np

from w2s_theory._src import funk_hecke as fh
from w2s_theory._src.funk_hecke import nodes as fh_nodes
from w2s_theory._src.precision import Precision

K_MAX = 200


def _clear_caches():
    fh_nodes._geometry_float.cache_clear()
    fh_nodes._node_mp.cache_clear()


def _run(d, precision):
    kwargs = {} if precision.is_float else {"mp_func": mpmath.tanh}
    t0 = time.perf_counter()
    res = fh.funk_hecke_coefficients(np.tanh, d, K_MAX, precision, **kwargs)
    return time.perf_counter() - t0, res


def main():
    print(f"tanh, c_0..c_{K_MAX}")
    print(f"{'d':>6} {'precision':>10} {'first call':>11} {'repeat':>8} {'nodes':>6} "
          f"{'max err / sqrt(E s^2)':>22}")
    for d in (6, 1000):
        for precision in (Precision(), Precision(50)):
            _clear_caches()
            t_first, res = _run(d, precision)
            t_repeat, _ = _run(d, precision)
            rel = float(np.max(res.errors)) / math.sqrt(float(res.second_moment))
            label = "float64" if precision.is_float else f"{precision.digits} digits"
            print(f"{d:>6} {label:>10} {t_first:>10.3f}s {t_repeat:>7.3f}s {res.nodes:>6} "
                  f"{rel:>22.2e}")


if __name__ == "__main__":
    main()
