"""Benchmark (issue 2): the ReLU spectrum to degree 10,000 at d = 1,000.

Targets: under 1 s in float64 and under 10 s at 50 digits, on one core.
Run: ``python benchmarks/bench_spectrum.py``.
"""

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from w2s_theory import Precision, SphereSpectrum  # noqa: E402


def run(digits, d=1000, k_max=10_000):
    p = Precision(digits)
    t0 = time.perf_counter()
    spec = SphereSpectrum("relu", d)           # fresh object: no cached values
    with p.context():
        la, sg = spec.coefficients(k_max + 1, p)
        b = spec.blocks(k_max + 1, p)
        tail = spec.tail_moments(k_max + 1, 1, p)
    elapsed = time.perf_counter() - t0
    top = float(b.log_lam[k_max]) / np.log(10)
    return elapsed, top, float(tail.log_mass) / np.log(10)


if __name__ == "__main__":
    for digits, target in ((None, 1.0), (50, 10.0)):
        el, top, tail = run(digits)
        name = "float64" if digits is None else f"{digits} digits"
        print(f"relu, d = 1000, degrees 0..10000, {name:>10}: {el:6.2f} s "
              f"(target < {target:g} s)  log10 lambda_10000 = {top:.2f}, "
              f"log10 tail mass = {tail:.2f}")
