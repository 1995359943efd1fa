"""Benchmark (issue 3): a full risk curve (1,000 times, t*, PGR, win interval).

ReLU features, degree-1 target, teacher width 10^4, at d = 6 and d = 1,000.
Targets: under 0.5 s in float64 and under 10 s at 50 digits.
Run: ``python benchmarks/bench_risk.py``.
"""

import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from w2s_theory import SphereSpectrum, risk_curve  # noqa: E402


def run(d, digits):
    times = list(np.logspace(0, 12, 1000))
    t0 = time.perf_counter()
    c = risk_curve(SphereSpectrum("relu", d), "degree:1", 10_000, times, precision=digits)
    return time.perf_counter() - t0, c


if __name__ == "__main__":
    for d in (6, 1000):
        for digits, target in ((None, 0.5), (50, 10.0)):
            el, c = run(d, digits)
            name = "float64" if digits is None else f"{digits} digits"
            print(f"d = {d:4d}, {name:>10}: {el:6.2f} s (target < {target:g} s)  "
                  f"L_T = {float(c.teacher_risk):.6e}, t* = {float(c.optimal_time):.6e}, "
                  f"L_S(t*) = {float(c.optimal_student_risk):.6e}, "
                  f"PGR(t*) = {float(c.optimal_pgr):.4f}, K = {c.diagnostics['K']}")
